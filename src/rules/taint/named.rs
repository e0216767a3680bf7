//! Sinks known by the names code gives them rather than by an API: a call of a function named
//! for a secret (`save_api_key(...)`, `store_reset_token(...)`) or a keyword argument named for
//! one in any call (`KeyOut(key=raw)`, `User(password=pw)`). Rules declare them with
//! `callee-named` / `keyword-named` regexes in a `[[taint.sinks]]` entry.
//!
//! Dict keys are names too: `dict-keys = ["$regex"]` makes the value written under that key
//! of any dict literal the sink.
//!
//! Names say little on their own, so these sinks apply only in files that import a module of
//! the rule's sources (for weak randomness: `random`, `numpy`), and only to data from those
//! sources.

use regex::Regex;
use tree_sitter::Node;

use super::state::State;
use super::{Analyzer, TaintEngine, TaintFile};
use crate::rules::resolve::text;
use crate::rules::resolve::{ScopeId, MODULE_SCOPE};
use crate::syntax_fields::{KindName, FIELD};
use std::collections::BTreeSet;

impl TaintEngine {
    /// Whether sinks known by a name apply in a file importing `imported`.
    pub(crate) fn named_sinks_apply(&self, imported: &[(Node, Vec<String>)]) -> bool {
        self.named.apply_to(imported)
    }

    /// Whether `src` mentions a dict key that is a sink (the analysis then runs).
    pub(crate) fn mentions_sink_keys(&self, src: &str) -> bool {
        self.named
            .keys
            .iter()
            .any(|(k, _)| src.contains(k.as_str()))
    }

    /// Adds the scopes whose code mentions a dict key that is a sink.
    pub(super) fn key_sink_scopes(&self, file: &TaintFile, scopes: &mut BTreeSet<ScopeId>) {
        if !self.mentions_sink_keys(file.src) {
            return;
        }
        scopes.insert(MODULE_SCOPE);
        for (i, f) in file.funcs.iter().enumerate() {
            if self.mentions_sink_keys(&file.src[f.byte_range()]) {
                scopes.insert(i as ScopeId + 1);
            }
        }
    }

    /// Whether `call` is a sink known by a name (see [`NamedSinks`]).
    pub(crate) fn is_named_sink(&self, call: Node, src: &str) -> bool {
        !self.named.matches(call, src).is_empty()
    }
}

/// One sink of a rule that is known by a name.
#[derive(Debug)]
pub(super) struct NamedSink {
    /// Index into the engine's sinks.
    pub(super) sink: u32,
    /// Matches the last name of the callee (`store_token` in `db.store_token(...)`); alone,
    /// every argument of such calls is the sink.
    pub(super) callee: Option<Regex>,
    /// Matches keyword argument names: those arguments are the sink, in calls of any
    /// function or, with `callee`, of functions named so.
    pub(super) keyword: Option<Regex>,
}

/// Every name-known sink, and the modules one of which a file must import for them to apply.
#[derive(Debug, Default)]
pub(super) struct NamedSinks {
    pub(super) entries: Vec<NamedSink>,
    pub(super) modules: Vec<String>,
    /// `(dict key, sink)`: values written under these keys of dict literals.
    pub(super) keys: Vec<(String, u32)>,
}

impl NamedSinks {
    pub(super) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether the sinks apply in a file importing `imported` (module names per import).
    pub(super) fn apply_to(&self, imported: &[(Node, Vec<String>)]) -> bool {
        !self.entries.is_empty()
            && imported.iter().any(|(_, names)| {
                names.iter().any(|n| {
                    let top = n.split('.').next().unwrap_or(n);
                    self.modules.iter().any(|m| m == top)
                })
            })
    }

    /// The name-known sinks `call` is, each with the arguments to check: `(sink, label,
    /// argument)`.
    pub(super) fn matches<'t>(&self, call: Node<'t>, src: &'t str) -> Vec<(u32, String, Node<'t>)> {
        let mut out = Vec::new();
        let Some(f) = call.child_by_field_id(FIELD.function) else {
            return out;
        };
        let last = match f.kind_name() {
            "identifier" => Some(f),
            "attribute" => f.child_by_field_id(FIELD.attribute),
            _ => None,
        }
        .map(|n| text(n, src));
        let Some(list) = call.child_by_field_id(FIELD.arguments) else {
            return out;
        };
        let mut c = list.walk();
        let args: Vec<Node<'t>> = list
            .named_children(&mut c)
            .filter(|a| a.kind_name() != "comment")
            .collect();
        for e in &self.entries {
            let callee_ok = match (&e.callee, last) {
                (Some(re), Some(name)) => re.is_match(name),
                (Some(_), None) => false,
                (None, _) => true,
            };
            if !callee_ok {
                continue;
            }
            if e.keyword.is_none() {
                for (i, a) in args.iter().enumerate() {
                    let value = match a.kind_name() {
                        "keyword_argument" => a.child_by_field_id(FIELD.value),
                        _ => Some(*a),
                    };
                    if let Some(v) = value {
                        out.push((e.sink, format!("argument {}", i + 1), v));
                    }
                }
            }
            if let Some(re) = &e.keyword {
                for a in args.iter().filter(|a| a.kind_name() == "keyword_argument") {
                    let (Some(n), Some(v)) = (
                        a.child_by_field_id(FIELD.name),
                        a.child_by_field_id(FIELD.value),
                    ) else {
                        continue;
                    };
                    if re.is_match(text(n, src)) {
                        out.push((e.sink, format!("argument `{}`", text(n, src)), v));
                    }
                }
            }
        }
        out
    }
}

impl<'e, 'a, 't, 'o> Analyzer<'e, 'a, 't, 'o> {
    /// Values of dict literals in `region` (this scope's code only) written under a key that
    /// is a sink (`{"$regex": name}`).
    pub(super) fn check_key_sinks(&mut self, region: Node<'t>, st: &State<'t>) {
        let src = self.src();
        let body = text(region, src);
        if !self
            .eng
            .named
            .keys
            .iter()
            .any(|(k, _)| body.contains(k.as_str()))
        {
            return;
        }
        let mut pairs = Vec::new();
        let mut stack = vec![region];
        while let Some(n) = stack.pop() {
            match n.kind_name() {
                "function_definition" | "lambda" | "class_definition" => continue,
                "pair" => pairs.push(n),
                _ => {}
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
        pairs.sort_by_key(|p| p.start_byte());
        for pair in pairs {
            let (Some(key), Some(value)) = (
                pair.child_by_field_id(FIELD.key),
                pair.child_by_field_id(FIELD.value),
            ) else {
                continue;
            };
            let Some(k) = self.const_index(key) else {
                continue;
            };
            let Some(k) = k.strip_prefix("s:") else {
                continue;
            };
            let hits: Vec<u32> = self
                .eng
                .named
                .keys
                .iter()
                .filter(|(name, _)| name == k)
                .map(|(_, si)| *si)
                .collect();
            for si in hits {
                let label = format!("the value of `{k}`");
                self.check_candidates(si, pair, key, vec![(label, value)], st);
            }
        }
    }
}
