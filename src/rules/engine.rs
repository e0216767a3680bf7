//! The static engine: compiles a [`Catalog`] once and scans source files with it.
//!
//! Per file the work is: one parse, one iterative pre-order walk over the syntax tree (a
//! `TreeCursor`, never recursion, so 10 000 nested brackets cannot overflow the stack) that
//! collects calls, imports, comments, function scopes and the first syntax error; then
//!
//! * every call's callee is resolved once (see [`super::resolve`]) and dispatched through hash
//!   tables to the call patterns that name it (no per-rule walk);
//! * import statements are checked against the import patterns;
//! * all `query` patterns of all rules run as **one** combined tree-sitter query;
//! * the taint pass ([`super::taint`]) runs only on functions that contain a sink call.
//!
//! Findings are deduplicated per (rule, node), sorted, fingerprinted and marked suppressed.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::OnceLock;

use streaming_iterator::StreamingIterator;
use tree_sitter::{Language, Node, Parser, Query, QueryCursor, QueryPredicateArg, TreeCursor};

use super::args::{CallArgs, CompiledArg};
pub(crate) use super::capture::Cap;
use super::query::NativeSet;
use super::query_gate::Gates;
use super::resolve::{
    text, ImportTable, NamePattern, NameTable, Resolver, ScopeId, Scopes, MODULE_SCOPE,
    SHADOWABLE_BUILTINS,
};
use super::schema::{Pattern, RuleSpec};
use super::taint::TaintEngine;
use super::Catalog;
use crate::error::RuleError;
use crate::finding::{sort_and_fingerprint, Finding, Origin, Span, TaintStep};
use crate::scan::{Diagnostic, DiagnosticLevel, FileScan};
use crate::suppress::CommentIndex;

/// The most lines a finding's snippet shows.
const MAX_SNIPPET_LINES: usize = 5;
/// Placeholder values in messages are cut to this many characters.
const MAX_PLACEHOLDER_CHARS: usize = 80;

/// A compiled rule catalogue, ready to scan files. `Sync`: share one across threads.
pub struct Engine {
    catalog: Catalog,
    language: Language,
    /// Call patterns by callee name: `(rule index, pattern index)`.
    call_table: NameTable<(u32, u32)>,
    /// Compiled argument conditions, `[rule][pattern]`.
    call_args: Vec<Vec<Vec<CompiledArg>>>,
    /// Import patterns: `(module, rule index)`.
    import_patterns: Vec<(String, u32)>,
    /// Query patterns without literals to gate them: one combined query, compiled on first use.
    ungated: LazyQuery,
    /// Rule queries gated by literals (see [`super::query_gate`]), each compiled on first use:
    /// `(gate index, query)`.
    gated: Vec<(u32, LazyQuery)>,
    /// Query patterns matched natively during the walk (see [`super::query`]).
    native: NativeSet,
    /// The natively matched queries, compiled by tree-sitter only to validate them
    /// ([`Engine::compile_all_queries`]); never run.
    native_check: LazyQuery,
    gates: Gates,
    taint: TaintEngine,
    kinds: KindIds,
    /// Compiled fix templates, per rule.
    fixes: Vec<Vec<super::fix::CompiledFix>>,
}

/// Node kind ids the walk dispatches on (integer compares instead of string compares).
#[derive(Debug, Clone, Copy)]
pub(crate) struct KindIds {
    call: u16,
    comment: u16,
    function_definition: u16,
    import_statement: u16,
    import_from_statement: u16,
}

impl KindIds {
    fn new(lang: &Language) -> KindIds {
        KindIds {
            call: lang.id_for_node_kind("call", true),
            comment: lang.id_for_node_kind("comment", true),
            function_definition: lang.id_for_node_kind("function_definition", true),
            import_statement: lang.id_for_node_kind("import_statement", true),
            import_from_statement: lang.id_for_node_kind("import_from_statement", true),
        }
    }
}

/// Query texts `(rule index, text)` compiled together on first use.
struct LazyQuery {
    parts: Vec<(u32, String)>,
    compiled: OnceLock<Result<Option<CombinedQuery>, RuleError>>,
}

impl LazyQuery {
    fn new(parts: Vec<(u32, String)>) -> LazyQuery {
        LazyQuery {
            parts,
            compiled: OnceLock::new(),
        }
    }

    fn get(
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
struct CombinedQuery {
    query: Query,
    /// Rule index of each pattern of the combined query.
    pattern_rule: Vec<u32>,
    /// Capture index of `@match`, if any pattern uses it.
    match_capture: Option<u32>,
    /// `#qualname?` predicates per pattern: `(capture index, names)`.
    qualname: Vec<Vec<(u32, Vec<NamePattern>)>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("rules", &self.catalog.rules().len())
            .finish_non_exhaustive()
    }
}

fn rule_file(r: &RuleSpec) -> String {
    format!("python/{}/{}.toml", r.category, r.id)
}

impl Engine {
    /// Compiles the catalogue (already filtered by `--select`/`--ignore`): every name and
    /// regex is checked here, so a bad rule is an error naming its file. Tree-sitter queries
    /// are compiled lazily, on the first file that may match them (a one-file scan compiles
    /// only what it needs); [`Engine::new_checked`] compiles them all up front.
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
            fixes.push(super::fix::compile(rule).map_err(invalid)?);
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
                        let gate = super::query_gate::required_literals(query).map(|lits| {
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
        let gates = Gates::new(&gate_lits);
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

    /// The catalogue this engine runs.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Scans one file's text. Never panics on any input; findings come back sorted by
    /// position and rule, fingerprinted, with suppression comments applied.
    pub fn scan_source(&self, path_label: &str, text: &str) -> FileScan {
        thread_local! {
            static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
        }
        let tree = PARSER.with(|p| {
            let mut p = p.borrow_mut();
            if p.is_none() {
                let mut parser = Parser::new();
                if parser.set_language(&self.language).is_err() {
                    return None;
                }
                *p = Some(parser);
            }
            p.as_mut().and_then(|parser| parser.parse(text, None))
        });
        let Some(tree) = tree else {
            return FileScan {
                findings: vec![],
                diagnostics: vec![Diagnostic {
                    path: path_label.to_string(),
                    level: DiagnosticLevel::Error,
                    message: "tree-sitter could not parse the file".into(),
                    line: None,
                }],
            };
        };
        self.scan_tree(path_label, text, tree.root_node())
    }

    fn scan_tree(&self, path: &str, src: &str, root: Node) -> FileScan {
        let open = if self.gates.is_empty() {
            Vec::new()
        } else {
            self.gates.open_for(src)
        };
        let mut native =
            (!self.native.is_empty()).then(|| self.native.start(src.as_bytes(), &open));
        let file = FileIndex::build(root, src, self.kinds, native.as_mut());
        let native_matches = native.map(|n| n.finish()).unwrap_or_default();
        let mut diagnostics = Vec::new();
        if let Some(line) = file.first_error_line {
            diagnostics.push(Diagnostic {
                path: path.to_string(),
                level: DiagnosticLevel::Warning,
                message: format!(
                    "syntax error at line {line}; the file was scanned, but findings may be incomplete"
                ),
                line: Some(line),
            });
        }
        let resolver = Resolver {
            src,
            imports: &file.imports,
            scopes: &file.scopes,
        };
        let mut raw: Vec<RawFinding> = Vec::new();
        let mut sink_calls: Vec<(Node, ScopeId)> = Vec::new();
        let mut buf = String::new();
        let want_sinks = !self.taint.is_empty();
        for &(call, scope) in &file.calls {
            let Some(func) = call.child_by_field_name("function") else {
                continue;
            };
            let qual = resolver
                .resolve_into(func, scope, &mut buf)
                .then_some(buf.as_str());
            let method = resolver.method_name(func, qual);
            let mut args: Option<CallArgs> = None;
            self.call_table.lookup(qual, method, |&(ri, pi)| {
                let conds = &self.call_args[ri as usize][pi as usize];
                let a = args.get_or_insert_with(|| CallArgs::of_call(call, src));
                if conds.iter().all(|c| c.holds(a, src)) {
                    raw.push(RawFinding {
                        rule: ri,
                        node: call,
                        captures: vec![
                            ("callee".into(), Cap::Node(func)),
                            ("call".into(), Cap::Node(call)),
                            // The callee's resolved name, for fix conditions.
                            ("qualname".into(), Cap::Text(qual.unwrap_or("").to_string())),
                        ],
                        taint_path: Vec::new(),
                    });
                }
            });
            if want_sinks && self.taint.is_sink(qual, method) {
                sink_calls.push((call, scope));
            }
        }
        for &(node, ref names) in &file.imported {
            for (module, ri) in &self.import_patterns {
                if let Some(name) = names.iter().find(|n| {
                    n.as_str() == module
                        || (n.len() > module.len()
                            && n.starts_with(module.as_str())
                            && n.as_bytes()[module.len()] == b'.')
                }) {
                    raw.push(RawFinding {
                        rule: *ri,
                        node,
                        captures: vec![("module".into(), Cap::Text(name.clone()))],
                        taint_path: Vec::new(),
                    });
                }
            }
        }
        // Query findings carry their query group (see `super::query`): sorted by it, stably,
        // they come in the order the rules' queries always ran in.
        let mut qraw: Vec<(u32, RawFinding)> = Vec::new();
        self.native_findings(native_matches, &resolver, &file.scopes, &mut qraw);
        let mut cursor = QueryCursor::new();
        let lazies = std::iter::once((0, &self.ungated)).chain(
            self.gated
                .iter()
                .filter(|(g, _)| open.get(*g as usize).copied().unwrap_or(true))
                .map(|(g, q)| (g + 1, q)),
        );
        for (group, lq) in lazies {
            match lq.get(&self.catalog, &self.language) {
                Ok(Some(q)) => self.run_query(
                    q,
                    &mut cursor,
                    root,
                    src,
                    &resolver,
                    &file.scopes,
                    group,
                    &mut qraw,
                ),
                Ok(None) => {}
                Err(e) => diagnostics.push(Diagnostic {
                    path: path.to_string(),
                    level: DiagnosticLevel::Warning,
                    message: format!("a rule query was skipped: {e}"),
                    line: None,
                }),
            }
        }
        qraw.sort_by_key(|(g, _)| *g);
        raw.extend(qraw.into_iter().map(|(_, r)| r));
        if !sink_calls.is_empty() {
            let ctx = super::taint::TaintFile {
                src,
                root,
                resolver,
                funcs: &file.funcs,
                sink_calls: &sink_calls,
            };
            self.taint.analyze(&ctx, &mut raw);
        }
        let findings = self.finish(path, src, raw, &file.comments);
        FileScan {
            findings,
            diagnostics,
        }
    }

    fn run_query<'t>(
        &self,
        q: &CombinedQuery,
        cursor: &mut QueryCursor,
        root: Node<'t>,
        src: &'t str,
        resolver: &Resolver,
        scopes: &Scopes,
        group: u32,
        raw: &mut Vec<(u32, RawFinding<'t>)>,
    ) {
        let mut matches = cursor.matches(&q.query, root, src.as_bytes());
        let names = q.query.capture_names();
        let mut buf = String::new();
        while let Some(m) = matches.next() {
            let pi = m.pattern_index;
            // `#qualname?`: every listed capture must resolve to one of the names.
            let ok = q.qualname[pi].iter().all(|(cap, pats)| {
                m.nodes_for_capture_index(*cap)
                    .all(|n| qualname_holds(n, pats, resolver, scopes, &mut buf))
            });
            if !ok {
                continue;
            }
            let reported = q
                .match_capture
                .and_then(|mc| m.nodes_for_capture_index(mc).next())
                .or_else(|| m.captures().first().map(|c| c.node));
            let Some(node) = reported else { continue };
            let captures = m
                .captures()
                .iter()
                .map(|c| (names[c.index as usize].to_string(), Cap::Node(c.node)))
                .collect();
            raw.push((
                group,
                RawFinding {
                    rule: q.pattern_rule[pi],
                    node,
                    captures,
                    taint_path: Vec::new(),
                },
            ));
        }
    }

    /// Turns native query matches into raw findings, checking `#qualname?` now that the
    /// file's imports and scopes are known.
    fn native_findings<'t>(
        &self,
        matches: Vec<super::query::NativeMatch<'t>>,
        resolver: &Resolver,
        scopes: &Scopes,
        raw: &mut Vec<(u32, RawFinding<'t>)>,
    ) {
        let set = &self.native;
        let mut buf = String::new();
        for m in matches {
            let p = &set.patterns[m.pattern as usize];
            let ok = p.parsed.qualname.iter().all(|(cap, pats)| {
                m.captures
                    .iter()
                    .filter(|(c, _)| c == cap)
                    .all(|&(_, n)| qualname_holds(n, pats, resolver, scopes, &mut buf))
            });
            if !ok {
                continue;
            }
            let reported = set
                .match_capture()
                .and_then(|mc| m.captures.iter().find(|(c, _)| *c == mc))
                .or_else(|| m.captures.first())
                .map(|&(_, n)| n);
            let Some(node) = reported else { continue };
            let captures = m
                .captures
                .iter()
                .map(|&(c, n)| (set.names[c as usize].clone(), Cap::Node(n)))
                .collect();
            raw.push((
                p.group,
                RawFinding {
                    rule: p.rule,
                    node,
                    captures,
                    taint_path: Vec::new(),
                },
            ));
        }
    }

    /// Turns raw matches into sorted, fingerprinted, suppression-marked findings.
    fn finish(
        &self,
        path: &str,
        src: &str,
        mut raw: Vec<RawFinding>,
        comments: &CommentIndex,
    ) -> Vec<Finding> {
        // One finding per (rule, node); keep the first (call patterns before taint).
        let mut seen = HashSet::new();
        raw.retain(|r| seen.insert((r.rule, r.node.start_byte(), r.node.end_byte())));
        let rules = self.catalog.rules();
        dedupe_across_rules(&mut raw, rules);
        let mut findings: Vec<Finding> = raw
            .into_iter()
            .map(|r| {
                let rule = &rules[r.rule as usize];
                let span = span_of(r.node, src);
                let mut f = Finding {
                    rule_id: rule.id.clone(),
                    cwe: rule.cwe.clone(),
                    severity: rule.severity,
                    confidence: rule.confidence,
                    path: path.to_string(),
                    span,
                    snippet: snippet_lines(src, r.node.start_byte(), r.node.end_byte()),
                    message: interpolate(&rule.message, &r.captures, src),
                    remediation: rule.remediation.clone(),
                    taint_path: r.taint_path,
                    fingerprint: String::new(),
                    origin: Origin::Static,
                    suppressed: None,
                    fixes: super::fix::edits(&self.fixes[r.rule as usize], &r.captures, src),
                    verdict: None,
                    explanation: None,
                    fix: None,
                };
                if !comments.is_empty() {
                    let mut lines = vec![span.start_line, span.end_line];
                    if let Some(end) = statement_end_line(r.node) {
                        lines.push(end);
                    }
                    f.suppressed = comments.suppression_for(rule, &lines);
                }
                f
            })
            .collect();
        sort_and_fingerprint(&mut findings);
        findings
    }
}

/// Drops findings that another, more specific rule already reports on the same node for the
/// same weakness (same primary CWE; a pattern rule and a taint rule flagging the same call, say).
///
/// Within one node span, findings are ranked: a taint path beats none, then higher
/// confidence, then the lower rule id. Walking that order, a finding is kept unless an
/// already-kept finding has the same primary CWE. Then a pattern finding (no taint path) nested
/// inside a kept taint finding's node with the same primary CWE is dropped too. Deterministic whatever
/// the input order.
pub(crate) fn dedupe_across_rules(raw: &mut Vec<RawFinding>, rules: &[RuleSpec]) {
    if raw.len() < 2 {
        return;
    }
    let rank = |r: &RawFinding| {
        let rule = &rules[r.rule as usize];
        (
            r.taint_path.is_empty(),
            std::cmp::Reverse(rule.confidence),
            rule.id.clone(),
        )
    };
    // Same weakness = same primary (first) CWE: PW106 (CWE-426, also tagged 78) and PW107
    // (CWE-155, also tagged 78) describe different problems of one call and both stay.
    let primary_cwe = |i: usize| rules[raw[i].rule as usize].cwe.first().copied();
    let mut order: Vec<usize> = (0..raw.len()).collect();
    order.sort_by_cached_key(|&i| {
        (
            raw[i].node.start_byte(),
            raw[i].node.end_byte(),
            rank(&raw[i]),
        )
    });
    let mut drop = vec![false; raw.len()];
    let mut group_start = 0;
    for k in 0..order.len() {
        let i = order[k];
        let span = (raw[i].node.start_byte(), raw[i].node.end_byte());
        let first = order[group_start];
        if (raw[first].node.start_byte(), raw[first].node.end_byte()) != span {
            group_start = k;
        }
        let cwe = primary_cwe(i);
        drop[i] = order[group_start..k]
            .iter()
            .any(|&j| !drop[j] && primary_cwe(j) == cwe);
    }
    // A taint finding also covers pattern findings inside its sink call (the SQL string
    // built in `cur.execute("..." + x)`, say) that share a CWE with it.
    for t in 0..raw.len() {
        if drop[t] || raw[t].taint_path.is_empty() {
            continue;
        }
        let (ts, te) = (raw[t].node.start_byte(), raw[t].node.end_byte());
        let tcwe = primary_cwe(t);
        for n in 0..raw.len() {
            let r = &raw[n];
            if !drop[n]
                && r.taint_path.is_empty()
                && ts <= r.node.start_byte()
                && r.node.end_byte() <= te
                && primary_cwe(n) == tcwe
            {
                drop[n] = true;
            }
        }
    }
    let mut i = 0;
    raw.retain(|_| {
        let keep = !drop[i];
        i += 1;
        keep
    });
}

/// `#qualname?`: `n` (a call's callee for a call) resolves to one of `pats`.
fn qualname_holds(
    n: Node,
    pats: &[NamePattern],
    resolver: &Resolver,
    scopes: &Scopes,
    buf: &mut String,
) -> bool {
    let n = if n.kind() == "call" {
        n.child_by_field_name("function").unwrap_or(n)
    } else {
        n
    };
    let scope = scopes.scope_at(n.start_byte());
    let qual = resolver.resolve_into(n, scope, buf).then_some(buf.as_str());
    let method = resolver.method_name(n, qual);
    pats.iter().any(|p| p.matches(qual, method))
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

/// A match before it becomes a [`Finding`].
#[derive(Debug, Clone)]
pub(crate) struct RawFinding<'t> {
    pub rule: u32,
    pub node: Node<'t>,
    pub captures: Vec<(String, Cap<'t>)>,
    pub taint_path: Vec<TaintStep>,
}

/// What the single walk over a file's tree collects.
pub(crate) struct FileIndex<'t, 's> {
    pub calls: Vec<(Node<'t>, ScopeId)>,
    /// Import statements with the qualified names they import.
    pub imported: Vec<(Node<'t>, Vec<String>)>,
    pub imports: ImportTable,
    pub scopes: Scopes,
    /// `function_definition` nodes; scope id `i + 1` is `funcs[i]`.
    pub funcs: Vec<Node<'t>>,
    pub comments: CommentIndex<'s>,
    pub first_error_line: Option<usize>,
}

impl<'t, 's> FileIndex<'t, 's> {
    /// One iterative pre-order walk over the tree.
    pub fn build(
        root: Node<'t>,
        src: &'s str,
        k: KindIds,
        mut native: Option<&mut super::query::NativeRun<'t, '_>>,
    ) -> FileIndex<'t, 's> {
        let mut idx = FileIndex {
            calls: Vec::new(),
            imported: Vec::new(),
            imports: ImportTable::default(),
            scopes: Scopes::default(),
            funcs: Vec::new(),
            comments: CommentIndex::default(),
            first_error_line: None,
        };
        let mut cursor: TreeCursor<'t> = root.walk();
        // (depth, scope) of enclosing functions.
        let mut stack: Vec<(usize, ScopeId)> = Vec::new();
        let mut depth = 0usize;
        let mut check_errors = root.has_error();
        loop {
            let node = cursor.node();
            while stack.last().is_some_and(|(d, _)| *d >= depth) {
                stack.pop();
            }
            let scope = stack.last().map_or(MODULE_SCOPE, |s| s.1);
            let kind = node.kind_id();
            if let Some(n) = native.as_deref_mut() {
                n.visit(node, depth as u32);
            }
            match kind {
                _ if kind == k.call => idx.calls.push((node, scope)),
                _ if kind == k.comment => {
                    let line = node.start_position().row + 1;
                    idx.comments.add(line, text(node, src));
                }
                _ if kind == k.function_definition => {
                    let id = idx.scopes.push(node.start_byte(), node.end_byte(), scope);
                    idx.funcs.push(node);
                    stack.push((depth, id));
                    if scope == MODULE_SCOPE {
                        if let Some(n) = node.child_by_field_name("name") {
                            let name = text(n, src);
                            if SHADOWABLE_BUILTINS.contains(&name) {
                                idx.imports.shadow_builtin(name);
                            }
                        }
                    }
                }
                _ if kind == k.import_statement || kind == k.import_from_statement => {
                    let names = idx.imports.add_import(node, src, scope);
                    idx.imported.push((node, names));
                }
                _ => {}
            }
            if check_errors && (node.is_error() || node.is_missing()) {
                idx.first_error_line = Some(node.start_position().row + 1);
                check_errors = false;
            }
            if cursor.goto_first_child() {
                depth += 1;
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return idx;
                }
                depth -= 1;
            }
        }
    }
}

/// The span of a node with 1-based lines and 1-based character columns.
pub(crate) fn span_of(node: Node, src: &str) -> Span {
    let s = node.start_position();
    let e = node.end_position();
    Span {
        start_line: s.row + 1,
        start_column: char_column(src, node.start_byte(), s.column),
        end_line: e.row + 1,
        end_column: char_column(src, node.end_byte(), e.column),
    }
}

/// 1-based character column of byte offset `byte` whose byte column is `byte_col`.
fn char_column(src: &str, byte: usize, byte_col: usize) -> usize {
    let line_start = byte.saturating_sub(byte_col);
    match src.get(line_start..byte) {
        Some(prefix) => prefix.chars().count() + 1,
        None => byte_col + 1,
    }
}

/// The whole source lines covering `start..end`, at most [`MAX_SNIPPET_LINES`], without the
/// final newline.
pub(crate) fn snippet_lines(src: &str, start: usize, end: usize) -> String {
    let bytes = src.as_bytes();
    let start = start.min(bytes.len());
    let end = end.clamp(start, bytes.len());
    let line_start = bytes[..start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let mut line_end = start;
    let mut lines = 1;
    loop {
        match bytes[line_end..].iter().position(|&b| b == b'\n') {
            Some(p) => {
                let nl = line_end + p;
                if nl >= end.max(start + 1) || lines >= MAX_SNIPPET_LINES {
                    line_end = nl;
                    break;
                }
                line_end = nl + 1;
                lines += 1;
            }
            None => {
                line_end = bytes.len();
                break;
            }
        }
    }
    let s = src.get(line_start..line_end).unwrap_or("");
    s.strip_suffix('\r').unwrap_or(s).to_string()
}

/// The first line of a node's text, trimmed, for taint steps.
pub(crate) fn snippet_one_line(src: &str, node: Node) -> String {
    one_line(text(node, src))
}

/// The last line of the simple statement containing `node`, when that statement spans more
/// lines than the node (e.g. a multi-line call ending `)  # nosec`).
fn statement_end_line(node: Node) -> Option<usize> {
    let mut cur = Some(node);
    while let Some(n) = cur {
        match n.kind() {
            "expression_statement"
            | "return_statement"
            | "assert_statement"
            | "delete_statement"
            | "raise_statement"
            | "import_statement"
            | "import_from_statement"
            | "global_statement"
            | "print_statement"
            | "exec_statement"
            | "type_alias_statement" => {
                return Some(n.end_position().row + 1);
            }
            "block" | "module" | "function_definition" | "class_definition" => return None,
            _ => {}
        }
        cur = n.parent();
    }
    None
}

/// Replaces `{name}` placeholders with the text of the capture `name`, cut to one line.
pub(crate) fn interpolate(template: &str, caps: &[(String, Cap)], src: &str) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match caps.iter().find(|(n, _)| n == name) {
                    Some((_, cap)) => out.push_str(&one_line(cap_text(cap, src))),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn cap_text<'a>(cap: &'a Cap, src: &'a str) -> &'a str {
    match cap {
        Cap::Node(n) => text(*n, src),
        Cap::Text(t) => t,
    }
}

/// The first line of `s`, trimmed, cut to [`MAX_PLACEHOLDER_CHARS`] with `…`.
fn one_line(s: &str) -> String {
    let first = s.lines().next().unwrap_or("").trim();
    let multi = s.trim().contains('\n');
    let mut out: String = first.chars().take(MAX_PLACEHOLDER_CHARS).collect();
    if multi || first.chars().count() > MAX_PLACEHOLDER_CHARS {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse_rule;

    fn engine(rules: &[(&str, &str)]) -> Engine {
        let specs = rules
            .iter()
            .map(|(path, text)| parse_rule(path, text).unwrap())
            .collect();
        Engine::new(Catalog::from_specs(specs).unwrap()).unwrap()
    }

    fn rule_toml(id: &str, extra: &str) -> String {
        // Message placeholders must name captures the rule's matches have.
        let message = if extra.contains("kind = \"call\"") {
            "call to {callee} in {call}"
        } else {
            "match"
        };
        format!(
            r#"id = "{id}"
name = "t"
title = "T"
category = "test"
cwe = [1]
severity = "high"
confidence = "high"
bandit = ["B999"]
ruff = ["S999"]
message = "{message}"
remediation = "r"
[doc]
what = "w"
why = "w"
example = ""
use_instead = ""
references = ["https://cwe.mitre.org/data/definitions/1.html"]
{extra}
"#
        )
    }

    fn lines(e: &Engine, src: &str) -> Vec<(String, usize)> {
        let s = e.scan_source("t.py", src);
        s.findings
            .iter()
            .map(|f| (f.rule_id.clone(), f.span.start_line))
            .collect()
    }

    #[test]
    fn findings_sharing_node_and_cwe_keep_the_most_specific() {
        let pat = |id: &str, conf: &str, cwe: &str| {
            rule_toml(
                id,
                "[[patterns]]\nkind = \"call\"\ncallee = [\"os.system\"]\n",
            )
            .replace("confidence = \"high\"", &format!("confidence = \"{conf}\""))
            .replace("cwe = [1]", &format!("cwe = {cwe}"))
        };
        let src = "import os\nos.system(cmd)\n";
        // Same node, same primary CWE: higher confidence wins, whatever the ids.
        let e = engine(&[
            ("python/test/PW901.toml", &pat("PW901", "medium", "[78]")),
            ("python/test/PW902.toml", &pat("PW902", "high", "[78, 88]")),
        ]);
        assert_eq!(lines(&e, src), vec![("PW902".to_string(), 2)]);
        // Tie: the lower id wins.
        let e = engine(&[
            ("python/test/PW902.toml", &pat("PW902", "high", "[78]")),
            ("python/test/PW901.toml", &pat("PW901", "high", "[78]")),
        ]);
        assert_eq!(lines(&e, src), vec![("PW901".to_string(), 2)]);
        // Different primary CWEs: both stay, even when a secondary CWE is shared.
        let e = engine(&[
            ("python/test/PW901.toml", &pat("PW901", "high", "[78]")),
            ("python/test/PW902.toml", &pat("PW902", "high", "[89]")),
        ]);
        assert_eq!(
            lines(&e, src),
            vec![("PW901".to_string(), 2), ("PW902".to_string(), 2)]
        );
        let e = engine(&[
            ("python/test/PW901.toml", &pat("PW901", "high", "[426, 78]")),
            ("python/test/PW902.toml", &pat("PW902", "high", "[155, 78]")),
        ]);
        assert_eq!(
            lines(&e, src),
            vec![("PW901".to_string(), 2), ("PW902".to_string(), 2)]
        );
    }

    #[test]
    fn taint_finding_beats_pattern_on_the_same_call() {
        let catalog = Catalog::embedded().unwrap();
        let e = Engine::new(catalog).unwrap();
        let src = "import os\ndef handler(request):\n    host = request.args.get('h')\n    os.system('ping ' + host)\n";
        let ids: Vec<String> = e
            .scan_source("t.py", src)
            .findings
            .into_iter()
            .map(|f| f.rule_id)
            .collect();
        assert!(ids.contains(&"PW102".to_string()), "{ids:?}");
        assert!(!ids.contains(&"PW104".to_string()), "{ids:?}");
        // The SQL string built inside a tainted `execute` call: the taint rule covers it.
        let src = "def handler(request, cur):\n    uid = request.args.get('id')\n    cur.execute(\"SELECT name FROM users WHERE id = \" + uid)\n";
        let ids: Vec<String> = e
            .scan_source("t.py", src)
            .findings
            .into_iter()
            .map(|f| f.rule_id)
            .collect();
        assert!(
            ids.contains(&"PW110".to_string()) && !ids.contains(&"PW111".to_string()),
            "{ids:?}"
        );
        // Without a tainted source the pattern rule still reports it.
        let src =
            "def f(cur, uid):\n    cur.execute(\"SELECT name FROM users WHERE id = \" + uid)\n";
        let ids: Vec<String> = e
            .scan_source("t.py", src)
            .findings
            .into_iter()
            .map(|f| f.rule_id)
            .collect();
        assert!(
            ids.contains(&"PW111".to_string()) && !ids.contains(&"PW110".to_string()),
            "{ids:?}"
        );
    }

    #[test]
    fn call_pattern_with_message_and_snippet() {
        let t = rule_toml(
            "PW901",
            "[[patterns]]\nkind = \"call\"\ncallee = [\"os.system\"]\n",
        );
        let e = engine(&[("python/test/PW901.toml", &t)]);
        let src = "import os as o\nx = 1\no.system(\n  cmd)\n";
        let s = e.scan_source("a/t.py", src);
        assert_eq!(s.findings.len(), 1);
        let f = &s.findings[0];
        assert_eq!(f.message, "call to o.system in o.system(…");
        assert_eq!(f.snippet, "o.system(\n  cmd)");
        assert_eq!(
            f.span,
            Span {
                start_line: 3,
                start_column: 1,
                end_line: 4,
                end_column: 7
            }
        );
        assert_eq!(f.origin, Origin::Static);
        assert_eq!(f.fingerprint.len(), 32);
    }

    #[test]
    fn import_and_query_patterns() {
        let t1 = rule_toml(
            "PW902",
            "[[patterns]]\nkind = \"import\"\nmodules = [\"telnetlib\", \"xml.etree\"]\n",
        );
        let t2 = rule_toml(
            "PW903",
            "[[patterns]]\nkind = \"query\"\nquery = '''((call function: (_) @f arguments: (argument_list (string) @s)) @match (#qualname? @f \"pickle.loads\" \"*.unsafe\"))'''\n",
        );
        let e = engine(&[
            ("python/test/PW902.toml", &t1),
            ("python/test/PW903.toml", &t2),
        ]);
        let src = "import telnetlib\nfrom xml.etree import ElementTree\nimport xmlx\nimport pickle as p\np.loads('x')\nloads('x')\no.unsafe('y')\n";
        assert_eq!(
            lines(&e, src),
            vec![
                ("PW902".into(), 1),
                ("PW902".into(), 2),
                ("PW903".into(), 5),
                ("PW903".into(), 7)
            ]
        );
    }

    #[test]
    fn standard_query_predicates_apply() {
        let t = rule_toml(
            "PW911",
            "[[patterns]]\nkind = \"query\"\nquery = '''((assignment left: (identifier) @name right: (string) @match) (#match? @name \"(?i)passw(or)?d\") (#not-eq? @name \"password_hint\"))'''\nmessage_capture = \"\"\n",
        );
        let t = t.replace("message_capture = \"\"\n", "");
        let e = engine(&[("python/test/PW911.toml", &t)]);
        let src = "PASSWORD = 'hunter2'\npassword_hint = 'x'\nname = 'bob'\npasswd = 's'\n";
        assert_eq!(
            lines(&e, src),
            vec![("PW911".into(), 1), ("PW911".into(), 4)]
        );
    }

    #[test]
    fn bad_query_names_its_rule() {
        let t = rule_toml(
            "PW904",
            "[[patterns]]\nkind = \"query\"\nquery = '(call (nonsense) @match)'\n",
        );
        let specs = vec![parse_rule("python/test/PW904.toml", &t).unwrap()];
        let err = Engine::new_checked(Catalog::from_specs(specs).unwrap()).unwrap_err();
        assert!(err.to_string().contains("PW904"), "{err}");
        let t = rule_toml(
            "PW905",
            "[[patterns]]\nkind = \"query\"\nquery = '((call) @match (#frobnicate? @match))'\n",
        );
        let specs = vec![parse_rule("python/test/PW905.toml", &t).unwrap()];
        let err = Engine::new_checked(Catalog::from_specs(specs).unwrap()).unwrap_err();
        assert!(err.to_string().contains("frobnicate"), "{err}");
    }

    #[test]
    fn suppression_is_marked_not_dropped() {
        let t = rule_toml(
            "PW906",
            "[[patterns]]\nkind = \"call\"\ncallee = [\"eval\"]\n",
        );
        let e = engine(&[("python/test/PW906.toml", &t)]);
        let src = "eval(a)  # nosec\neval(b)  # noqa\neval(c)  # noqa: S999\nx = '# nosec'; eval(d)\neval(\n  e,\n)  # pyward: ignore[PW906]\n";
        let s = e.scan_source("t.py", src);
        let got: Vec<(usize, Option<String>)> = s
            .findings
            .iter()
            .map(|f| {
                (
                    f.span.start_line,
                    f.suppressed.as_ref().map(|x| x.kind.clone()),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (1, Some("nosec".into())),
                (2, None),
                (3, Some("noqa".into())),
                (4, None),
                (5, Some("pyward".into())),
            ]
        );
    }

    #[test]
    fn fix_templates_become_edits() {
        let t = rule_toml(
            "PW907",
            "[[patterns]]\nkind = \"call\"\ncallee = [\"yaml.load\"]\n[[fix]]\ncapture = \"callee\"\nreplacement = \"yaml.safe_load\"\ndescription = \"use safe_load\"\n[[fix]]\ncapture = \"arg:verify\"\nreplacement = \"True\"\ndescription = \"verify\"\n",
        );
        let e = engine(&[("python/test/PW907.toml", &t)]);
        let src = "import yaml\nyaml.load(s, verify=False)\n";
        let f = &e.scan_source("t.py", src).findings[0];
        assert_eq!(f.fixes.len(), 2);
        assert_eq!(
            &src[f.fixes[0].start_byte..f.fixes[0].end_byte],
            "yaml.load"
        );
        assert_eq!(f.fixes[0].replacement, "yaml.safe_load");
        assert_eq!(&src[f.fixes[1].start_byte..f.fixes[1].end_byte], "False");
    }

    #[test]
    fn syntax_errors_warn_and_scan_continues() {
        let t = rule_toml(
            "PW908",
            "[[patterns]]\nkind = \"call\"\ncallee = [\"eval\"]\n",
        );
        let e = engine(&[("python/test/PW908.toml", &t)]);
        let s = e.scan_source("t.py", "x = 1\ndef f(:\n    pass\neval(x)\n");
        assert_eq!(s.diagnostics.len(), 1);
        assert_eq!(s.diagnostics[0].level, DiagnosticLevel::Warning);
        assert_eq!(s.diagnostics[0].line, Some(2));
        assert_eq!(s.findings.len(), 1);
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let t = rule_toml("PW909", "[[patterns]]\nkind = \"call\"\ncallee = [\"eval\"]\n[[patterns]]\nkind = \"query\"\nquery = '((call) @match (#qualname? @match \"eval\"))'\n");
        let e = engine(&[("python/test/PW909.toml", &t)]);
        let n = 10_000;
        let src = format!("x = {}eval(y){}\n", "(".repeat(n), ")".repeat(n));
        let s = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || e.scan_source("t.py", &src).findings.len())
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(s, 1);
        let t = rule_toml(
            "PW910",
            "[[patterns]]\nkind = \"call\"\ncallee = [\"eval\"]\n",
        );
        let e = engine(&[("python/test/PW910.toml", &t)]);
        let src = format!("x = {}{}\n", "[".repeat(n), "]".repeat(n));
        let s = e.scan_source("t.py", &src);
        assert!(s.findings.is_empty());
    }

    #[test]
    fn pathological_inputs_never_panic_with_the_full_catalogue() {
        let e = Engine::new(Catalog::embedded().unwrap()).unwrap();
        let mut nested_ifs = String::from(
            "import os\nfrom flask import request\ndef f():\n    x = request.args['a']\n",
        );
        for d in 1..300 {
            nested_ifs.push_str(&"    ".repeat(d));
            nested_ifs.push_str("if x:\n");
        }
        nested_ifs.push_str(&"    ".repeat(300));
        nested_ifs.push_str("os.system(x)\n");
        let inputs = vec![
            String::new(),
            "# only a comment".to_string(),
            "x = '''unterminated".to_string(),
            "def f(:\n  eval(\n".to_string(),
            "\r\n\r\nimport os\r\nos.system(input())\r\n".to_string(),
            "s = 'héllo 🎉'; eval(s)  # nosec".to_string(),
            format!("x = {}", "[".repeat(10_000)),
            format!("x = {}1{}", "-".repeat(10_000), ""),
            format!("x = a{}", ".b".repeat(10_000)),
            format!("x = f{}", "()".repeat(5_000)),
            nested_ifs,
            "\u{0}\u{1}\u{7f}".to_string(),
        ];
        for src in inputs {
            let e = &e;
            let head: String = src.chars().take(40).collect();
            std::thread::scope(|s| {
                s.spawn(move || {
                    let r = e.scan_source("p.py", &src);
                    for f in &r.findings {
                        assert!(f.span.start_line >= 1 && f.span.end_line >= f.span.start_line);
                    }
                })
                .join()
                .unwrap_or_else(|_| panic!("panicked on input starting {head:?}"));
            });
        }
    }

    #[test]
    fn snippets_are_whole_lines_capped() {
        let src = "a\nbb(1,\n2,\n3,\n4,\n5,\n6)\nc";
        let start = src.find("bb").unwrap() + 1;
        let end = src.find("6)").unwrap() + 2;
        assert_eq!(snippet_lines(src, start, end), "bb(1,\n2,\n3,\n4,\n5,");
        assert_eq!(snippet_lines("x = 1\r\n", 0, 1), "x = 1");
    }
}
