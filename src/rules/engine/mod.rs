//! The static engine: compiles a [`Catalog`] once and scans source files with it.
//!
//! Per file the work is: one parse, one iterative pre-order walk over the syntax tree (a
//! `TreeCursor`, never recursion, so 10 000 nested brackets cannot overflow the stack) that
//! collects calls, imports, comments, function scopes and the first syntax error, and matches
//! the rules' `query` patterns on the way ([`super::query`]: each pattern is registered under
//! its root node kind, gated by the literals it needs); then
//!
//! * every call's callee is resolved once (see [`super::resolve`]) and dispatched through hash
//!   tables to the call patterns that name it (no per-rule walk);
//! * import statements are checked against the import patterns;
//! * `#qualname?` predicates of the query matches are checked;
//! * the taint pass ([`super::taint`]) runs only on functions that contain a sink call.
//!
//! Findings are deduplicated per (rule, node), sorted, fingerprinted and marked suppressed.
//!
//! One step per file: [`compile`] builds the engine from a catalogue, [`index`] is the walk,
//! [`matching`] turns calls, imports and query matches into raw findings, [`dedupe`] drops
//! duplicates, [`render`] makes findings.

mod compile;
mod dedupe;
mod index;
mod matching;
mod render;
#[cfg(test)]
mod tests;

use std::cell::RefCell;

use tree_sitter::{Language, Node, Parser};

use self::compile::LazyQuery;
use self::index::FileIndex;
use super::args::CompiledArg;
use super::flat_tree::FlatTree;
use super::query::NativeSet;
use super::raw::RawFinding;
use super::resolve::{NameTable, Resolver};
use super::schema::RuleSpec;
use super::taint::TaintEngine;
use super::Catalog;
use crate::rules::query_gate::Gates;
use crate::scan::{Diagnostic, DiagnosticLevel, FileScan};

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
    /// Fallback (queries the native matcher does not support; none of the embedded rules):
    /// ungated ones as one combined tree-sitter query, compiled on first use.
    ungated: LazyQuery,
    /// Fallback queries gated by literals (see [`super::query_gate`]), each compiled on first
    /// use: `(gate index, query)`.
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
    fixes: Vec<Vec<crate::rules::fix::CompiledFix>>,
}

/// Node kind ids the walk dispatches on (integer compares instead of string compares).
#[derive(Debug, Clone, Copy)]
pub(crate) struct KindIds {
    call: u16,
    comment: u16,
    function_definition: u16,
    decorated_definition: u16,
    class_definition: u16,
    block: u16,
    import_statement: u16,
    import_from_statement: u16,
}

impl KindIds {
    fn new(lang: &Language) -> KindIds {
        KindIds {
            call: lang.id_for_node_kind("call", true),
            comment: lang.id_for_node_kind("comment", true),
            function_definition: lang.id_for_node_kind("function_definition", true),
            decorated_definition: lang.id_for_node_kind("decorated_definition", true),
            class_definition: lang.id_for_node_kind("class_definition", true),
            block: lang.id_for_node_kind("block", true),
            import_statement: lang.id_for_node_kind("import_statement", true),
            import_from_statement: lang.id_for_node_kind("import_from_statement", true),
        }
    }
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
                facts: Default::default(),
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
        let flat = FlatTree::build(root);
        let mut native =
            (!self.native.is_empty()).then(|| self.native.start(src.as_bytes(), &flat, &open));
        let file = FileIndex::build(&flat, src, self.kinds, native.as_mut());
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
        let mut facts = crate::rules::project::ProjectFacts::default();
        let sink_calls = self.match_calls(&file, &resolver, src, &mut raw);
        self.match_imports(&file, &mut raw);
        self.match_queries(native_matches, root, &resolver, &open, &mut raw)
            .into_iter()
            .for_each(|message| {
                diagnostics.push(Diagnostic {
                    path: path.to_string(),
                    level: DiagnosticLevel::Warning,
                    message,
                    line: None,
                })
            });
        if !sink_calls.is_empty()
            || (self.taint.has_handler_sinks() && !file.funcs.is_empty())
            || self.taint.mentions_sink_keys(src)
        {
            let ctx = crate::rules::taint::TaintFile {
                src,
                root,
                resolver,
                funcs: &file.funcs,
                decorated: &file.decorated,
                classes: &file.classes,
                sink_calls: &sink_calls,
                calls: &file.calls,
                callees: &file.callees,
                imported: &file.imported,
            };
            let outcome = self.taint.analyze(&ctx, &mut raw);
            let vouched = outcome.vouched;
            facts.calls_out = outcome.calls_out;
            let rules = self.catalog.rules();
            for p in outcome.pending {
                let rule = &rules[p.rule as usize];
                let finding = self
                    .finish(path, src, vec![p.raw.clone()], &file.comments)
                    .pop();
                if p.built {
                    raw.push(p.raw);
                }
                if let Some(finding) = finding {
                    facts.pending.push(crate::rules::project::PendingSink {
                        function: p.function,
                        param: p.param,
                        finding,
                        reported_alone: p.built,
                        kinds: p.kinds,
                        rule_bit: p.rule_bit,
                        rule_confidence: rule.confidence,
                        vouches: rules
                            .iter()
                            .filter(|r| r.yield_to_taint && r.cwe.first() == rule.cwe.first())
                            .map(|r| r.id.clone())
                            .collect(),
                    });
                }
            }
            if !vouched.is_empty() {
                let rules = self.catalog.rules();
                raw.retain(|r| {
                    !(r.taint_path.is_empty()
                        && rules[r.rule as usize].yield_to_taint
                        && vouched.iter().any(|&(s, e, cwe)| {
                            s <= r.node.start_byte()
                                && r.node.end_byte() <= e
                                && (cwe == 0 || rules[r.rule as usize].cwe.first() == Some(&cwe))
                        }))
                });
            }
        }
        let findings = self.finish(path, src, raw, &file.comments);
        FileScan {
            findings,
            diagnostics,
            facts,
        }
    }
}
