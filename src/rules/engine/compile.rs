//! Building an [`Engine`] from a catalogue: every name, regex and query checked and compiled
//! once per process; nothing is compiled per file.

use std::sync::OnceLock;

use tree_sitter::{Language, Query, QueryPredicateArg};

use super::{rule_file, Engine, KindIds};
use crate::error::RuleError;
use crate::rules::args::CompiledArg;
use crate::rules::query::NativeSet;
use crate::rules::query_gate::Gates;
use crate::rules::resolve::{NamePattern, NameTable};
use crate::rules::schema::Pattern;
use crate::rules::taint::TaintEngine;
use crate::rules::Catalog;

/// Query texts `(rule index, text)` compiled together on first use.
pub(super) struct LazyQuery {
    parts: Vec<(u32, String)>,
    compiled: OnceLock<Result<Option<CombinedQuery>, RuleError>>,
}

impl LazyQuery {
    pub(super) fn new(parts: Vec<(u32, String)>) -> LazyQuery {
        LazyQuery {
            parts,
            compiled: OnceLock::new(),
        }
    }

    pub(super) fn get(
        &self,
        catalog: &Catalog,
        language: &Language,
    ) -> &Result<Option<CombinedQuery>, RuleError> {
        self.compiled.get_or_init(|| {
            let parts: Vec<(u32, &str)> =
                self.parts.iter().map(|(r, q)| (*r, q.as_str())).collect();
            compile_queries(catalog, language, &parts)
        })
    }
}

/// Several rules' `query` patterns, compiled as one tree-sitter query.
pub(super) struct CombinedQuery {
    pub(super) query: Query,
    /// Rule index of each pattern of the combined query.
    pub(super) pattern_rule: Vec<u32>,
    /// Capture index of `@match`, if any pattern uses it.
    pub(super) match_capture: Option<u32>,
    /// `#qualname?` predicates per pattern: `(capture index, names)`.
    pub(super) qualname: Vec<Vec<(u32, Vec<NamePattern>)>>,
}

impl Engine {
    /// Compiles the catalogue (already filtered by `--select`/`--ignore`): every name and
    /// regex is checked here, so a bad rule is an error naming its file. Rule queries are
    /// parsed once, here, for the native matcher ([`crate::rules::query`]); a query using
    /// syntax it does not support stays a tree-sitter query, compiled on the first file that
    /// may match it. [`Engine::new_checked`] also has tree-sitter compile every query, so a
    /// query tree-sitter rejects is an error up front.
    pub fn new(catalog: Catalog) -> Result<Engine, RuleError> {
        let language: Language = tree_sitter_python::LANGUAGE.into();
        let mut call_table = NameTable::default();
        let mut call_args = Vec::new();
        let mut import_patterns = Vec::new();
        let mut ungated_parts: Vec<(u32, String)> = Vec::new();
        let mut gated = Vec::new();
        let mut gate_lits = Vec::new();
        let mut fixes = Vec::new();
        let mut native = NativeSet::default();
        let mut native_parts: Vec<(u32, String)> = Vec::new();
        for (ri, rule) in catalog.rules().iter().enumerate() {
            let invalid = |message: String| RuleError::Invalid {
                file: rule_file(rule),
                message,
            };
            fixes.push(crate::rules::fix::compile(rule).map_err(invalid)?);
            let mut per_pattern = Vec::new();
            for (pi, pat) in rule.patterns.iter().enumerate() {
                let mut compiled = Vec::new();
                match pat {
                    Pattern::Call { callee, args } => {
                        if callee.is_empty() {
                            return Err(invalid("a call pattern needs at least one callee".into()));
                        }
                        for c in callee {
                            let np = NamePattern::parse(c).map_err(invalid)?;
                            call_table.insert(&np, (ri as u32, pi as u32));
                        }
                        for a in args {
                            compiled.push(CompiledArg::compile(a).map_err(invalid)?);
                        }
                    }
                    Pattern::Import { modules } => {
                        if modules.is_empty() {
                            return Err(invalid("an import pattern needs modules".into()));
                        }
                        for m in modules {
                            let np = NamePattern::parse(m).map_err(invalid)?;
                            let NamePattern::Exact(m) = np else {
                                return Err(invalid(format!(
                                    "import module `{m}` must be a plain dotted name"
                                )));
                            };
                            import_patterns.push((m, ri as u32));
                        }
                    }
                    Pattern::Query { query } => {
                        if !query.contains("@match") {
                            return Err(RuleError::Query {
                                file: rule_file(rule),
                                message: "the query must capture the reported node as `@match`"
                                    .into(),
                            });
                        }
                        let gate = crate::rules::query_gate::required_literals(query).map(|lits| {
                            gate_lits.push(lits);
                            (gate_lits.len() - 1) as u32
                        });
                        let group = gate.map_or(0, |g| g + 1);
                        if native
                            .try_add(&language, query, ri as u32, group, gate)
                            .is_some()
                        {
                            native_parts.push((ri as u32, query.clone()));
                        } else {
                            match gate {
                                Some(g) => gated
                                    .push((g, LazyQuery::new(vec![(ri as u32, query.clone())]))),
                                None => ungated_parts.push((ri as u32, query.clone())),
                            }
                        }
                    }
                }
                per_pattern.push(compiled);
            }
            call_args.push(per_pattern);
        }
        let merged = crate::rules::query::merge::merge_regex_alternatives(&mut native);
        // Regex literals: a second gate per native pattern still tried (ASCII files only).
        let mut ascii_only = vec![false; gate_lits.len()];
        for (p, _) in native.patterns.iter_mut().zip(merged).filter(|(_, m)| !m) {
            if let Some(lits) = crate::rules::query::literals::needed(&p.parsed) {
                gate_lits.push(lits);
                ascii_only.push(true);
                p.literal_gate = Some((gate_lits.len() - 1) as u32);
            }
        }
        let gates = Gates::new(&gate_lits, &ascii_only);
        let taint = TaintEngine::new(&catalog)?;
        let kinds = KindIds::new(&language);
        Ok(Engine {
            catalog,
            language,
            call_table,
            call_args,
            import_patterns,
            ungated: LazyQuery::new(ungated_parts),
            gated,
            native,
            native_check: LazyQuery::new(native_parts),
            gates,
            taint,
            kinds,
            fixes,
        })
    }

    /// Like [`Engine::new`], and also compiles every query now, so that a bad query is an
    /// error here rather than a diagnostic during the scan.
    pub fn new_checked(catalog: Catalog) -> Result<Engine, RuleError> {
        let e = Engine::new(catalog)?;
        e.compile_all_queries()?;
        Ok(e)
    }

    /// Compiles every query not compiled yet; the first error names its rule file.
    pub fn compile_all_queries(&self) -> Result<(), RuleError> {
        let all = [&self.ungated, &self.native_check];
        for q in all.into_iter().chain(self.gated.iter().map(|(_, q)| q)) {
            if let Err(e) = q.get(&self.catalog, &self.language) {
                return Err(match e {
                    RuleError::Query { file, message } => RuleError::Query {
                        file: file.clone(),
                        message: message.clone(),
                    },
                    other => RuleError::Invalid {
                        file: "python".into(),
                        message: other.to_string(),
                    },
                });
            }
        }
        Ok(())
    }
}

/// Compiles all query patterns as one query, mapping each pattern back to its rule.
fn compile_queries(
    catalog: &Catalog,
    language: &Language,
    parts: &[(u32, &str)],
) -> Result<Option<CombinedQuery>, RuleError> {
    if parts.is_empty() {
        return Ok(None);
    }
    let mut combined = String::new();
    let mut bounds = Vec::new(); // (start byte, rule)
    for (ri, q) in parts {
        bounds.push((combined.len(), *ri));
        combined.push_str(q);
        combined.push('\n');
    }
    let query = match Query::new(language, &combined) {
        Ok(q) => q,
        Err(_) => {
            // Find the culprit by compiling each rule's query alone.
            for (ri, q) in parts {
                if let Err(e) = Query::new(language, q) {
                    return Err(RuleError::Query {
                        file: rule_file(&catalog.rules()[*ri as usize]),
                        message: format!("line {}: {:?}: {}", e.row + 1, e.kind, e.message),
                    });
                }
            }
            return Err(RuleError::Query {
                file: "python".into(),
                message: "the rules' queries do not compile together".into(),
            });
        }
    };
    let mut pattern_rule = Vec::new();
    let mut qualname = Vec::new();
    for pi in 0..query.pattern_count() {
        let start = query.start_byte_for_pattern(pi);
        let idx = bounds
            .partition_point(|(s, _)| *s <= start)
            .saturating_sub(1);
        let ri = bounds[idx].1;
        let rule = &catalog.rules()[ri as usize];
        pattern_rule.push(ri);
        let mut preds = Vec::new();
        for p in query.general_predicates(pi) {
            let bad = |message: String| RuleError::Query {
                file: rule_file(rule),
                message,
            };
            if p.operator.as_ref() != "qualname?" {
                return Err(bad(format!("unknown predicate `#{}`", p.operator)));
            }
            let mut cap = None;
            let mut names = Vec::new();
            for a in p.args.iter() {
                match a {
                    QueryPredicateArg::Capture(c) if cap.is_none() => cap = Some(*c),
                    QueryPredicateArg::String(s) => {
                        names.push(NamePattern::parse(s).map_err(&bad)?)
                    }
                    QueryPredicateArg::Capture(_) => {
                        return Err(bad("`#qualname?` takes one capture then names".into()))
                    }
                }
            }
            match cap {
                Some(c) if !names.is_empty() => preds.push((c, names)),
                _ => {
                    return Err(bad(
                        "`#qualname?` needs a capture and at least one name".into()
                    ))
                }
            }
        }
        qualname.push(preds);
    }
    let match_capture = query.capture_index_for_name("match");
    Ok(Some(CombinedQuery {
        query,
        pattern_rule,
        match_capture,
        qualname,
    }))
}
