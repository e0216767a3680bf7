//! Sinks known by the names code gives them rather than by an API: a call of a function named
//! for a secret (`save_api_key(...)`, `store_reset_token(...)`) or a keyword argument named for
//! one in any call (`KeyOut(key=raw)`, `User(password=pw)`). Rules declare them with
//! `callee-named` / `keyword-named` regexes in a `[[taint.sinks]]` entry.
//!
//! Names say little on their own, so these sinks apply only in files that import a module of
//! the rule's sources (for weak randomness: `random`, `numpy`), and only to data from those
//! sources.

use regex::Regex;
use tree_sitter::Node;

use super::TaintEngine;
use crate::rules::resolve::text;

impl TaintEngine {
    /// Whether sinks known by a name apply in a file importing `imported`.
    pub(crate) fn named_sinks_apply(&self, imported: &[(Node, Vec<String>)]) -> bool {
        self.named.apply_to(imported)
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
        let Some(f) = call.child_by_field_name("function") else {
            return out;
        };
        let last = match f.kind() {
            "identifier" => Some(f),
            "attribute" => f.child_by_field_name("attribute"),
            _ => None,
        }
        .map(|n| text(n, src));
        let Some(list) = call.child_by_field_name("arguments") else {
            return out;
        };
        let mut c = list.walk();
        let args: Vec<Node<'t>> = list
            .named_children(&mut c)
            .filter(|a| a.kind() != "comment")
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
                    let value = match a.kind() {
                        "keyword_argument" => a.child_by_field_name("value"),
                        _ => Some(*a),
                    };
                    if let Some(v) = value {
                        out.push((e.sink, format!("argument {}", i + 1), v));
                    }
                }
            }
            if let Some(re) = &e.keyword {
                for a in args.iter().filter(|a| a.kind() == "keyword_argument") {
                    let (Some(n), Some(v)) = (
                        a.child_by_field_name("name"),
                        a.child_by_field_name("value"),
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
