//! Whether a fix kept what the code does: the safety gate's view of "this fix emptied a
//! statement". A candidate that turns `return target.read_bytes()` into `20-20-20`, or
//! `pool.map(os.remove, paths)` into `True`, removes the finding and binds and reads the same
//! names, yet deletes the code's behaviour. Comparing the file before and after the fix:
//!
//! * **no statement without effect is added**: an expression statement that is only
//!   literals, names and operators on them (what pylint calls a pointless statement), or a
//!   `pass`. Docstrings and `...` are not counted;
//! * **no exit is lost**: the file has as many `return` statements with a value, `return`s,
//!   `raise`s and `yield`s as before (a fix may add a guard clause, not remove one);
//! * **no call statement is lost**: as many statements that are a call or an `await` as
//!   before (assignments from a call are not counted: a fix may bind a constant instead).
//!
//! Counts are per file and per kind, so moving code is fine and a fix that rewrites a call
//! keeps its count.

use std::collections::HashMap;

use crate::syntax_fields::KindName;
use tree_sitter::Node;

/// What a fix removed of the code's effects, or added without effect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EffectDiff {
    /// Lines (1-based, in the patched file) of statements without effect the fix added.
    pub pointless: Vec<usize>,
    /// The kinds of statement the fix removed (`return`, `raise`, `yield`, `call`), each once.
    pub lost: Vec<&'static str>,
}

impl EffectDiff {
    pub fn is_clean(&self) -> bool {
        self.pointless.is_empty() && self.lost.is_empty()
    }
}

/// The statements of `before` that the fix to `after` emptied or dropped; clean when either
/// file does not parse (the parse check judges that).
pub fn compare(before: &str, after: &str) -> EffectDiff {
    let (Some(b), Some(a)) = (census(before), census(after)) else {
        return EffectDiff::default();
    };
    let mut pool: HashMap<&str, usize> = HashMap::new();
    for (text, _) in &b.pointless {
        *pool.entry(text.as_str()).or_insert(0) += 1;
    }
    let mut pointless = Vec::new();
    for (text, line) in &a.pointless {
        match pool.get_mut(text.as_str()).filter(|n| **n > 0) {
            Some(n) => *n -= 1,
            None => pointless.push(*line),
        }
    }
    let lost = KINDS
        .iter()
        .filter(|k| a.counts.get(*k).copied().unwrap_or(0) < b.counts.get(*k).copied().unwrap_or(0))
        .copied()
        .collect();
    EffectDiff { pointless, lost }
}

/// The kinds of effect counted.
const KINDS: [&str; 5] = ["return value", "return", "raise", "yield", "call"];

#[derive(Debug, Default)]
struct Census {
    /// Statements without effect: their text (whitespace-normalised) and 1-based line.
    pointless: Vec<(String, usize)>,
    counts: HashMap<&'static str, usize>,
}

fn census(src: &str) -> Option<Census> {
    let tree = super::names::parse_clean(src)?;
    let root = tree.root_node();
    let mut out = Census::default();
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        let mut count = |k: &'static str| *out.counts.entry(k).or_insert(0) += 1;
        match n.kind_name() {
            "return_statement" => count(if n.named_child_count() > 0 {
                "return value"
            } else {
                "return"
            }),
            "raise_statement" => count("raise"),
            "yield" => count("yield"),
            "pass_statement" => out.pointless.push(("pass".into(), line(n))),
            "expression_statement" => {
                if calls(n) {
                    count("call");
                } else if no_effect(n) && !docstring(n) {
                    let text = n.utf8_text(src.as_bytes()).unwrap_or("");
                    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    out.pointless.push((text, line(n)));
                }
            }
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    Some(out)
}

fn line(n: Node) -> usize {
    n.start_position().row + 1
}

/// Whether the expression statement is a call or an `await` (`pool.map(f, xs)`, `await
/// conn.commit()`), not an assignment or other expression holding one.
fn calls(stmt: Node) -> bool {
    stmt.named_child_count() == 1
        && stmt
            .named_child(0)
            .is_some_and(|e| matches!(e.kind_name(), "call" | "await"))
}

/// An expression statement that is only literals and names combined by operators (an
/// assignment, a call, an `await`, a `yield`, a subscript or an attribute may do something).
/// `...` is a placeholder, not a statement without effect.
fn no_effect(stmt: Node) -> bool {
    let Some(e) = stmt.named_child(0) else {
        return false;
    };
    if stmt.named_child_count() != 1 || e.kind_name() == "ellipsis" {
        return false;
    }
    let mut stack = vec![e];
    while let Some(n) = stack.pop() {
        match n.kind_name() {
            "integer"
            | "float"
            | "true"
            | "false"
            | "none"
            | "identifier"
            | "string"
            | "concatenated_string"
            | "string_start"
            | "string_content"
            | "string_end"
            | "escape_sequence"
            | "ellipsis" => {}
            "binary_operator"
            | "unary_operator"
            | "comparison_operator"
            | "boolean_operator"
            | "not_operator"
            | "parenthesized_expression"
            | "tuple"
            | "list"
            | "set" => {
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
            }
            _ => return false,
        }
    }
    true
}

/// A string statement first in its module, class or function body (it documents it).
fn docstring(stmt: Node) -> bool {
    let is_string = stmt
        .named_child(0)
        .is_some_and(|e| matches!(e.kind_name(), "string" | "concatenated_string"));
    is_string
        && stmt.parent().is_some_and(|p| {
            matches!(p.kind_name(), "module" | "block")
                && p.named_child(0).is_some_and(|f| f.id() == stmt.id())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORE: &str = "\"\"\"Attachments.\"\"\"\nimport os\n\n\ndef read(target, paths, pool):\n    \"\"\"Reads one.\"\"\"\n    if not target.is_file():\n        return None\n    pool.map(os.remove, paths)\n    return target.read_bytes()\n";

    #[test]
    fn a_statement_turned_into_a_constant_is_refused() {
        let after = STORE.replace("return target.read_bytes()", "20-20-20");
        let d = compare(STORE, &after);
        assert_eq!(d.pointless, vec![10]);
        assert_eq!(d.lost, vec!["return value"]);
        assert!(!d.is_clean());
        let after = STORE.replace("pool.map(os.remove, paths)", "True");
        assert_eq!(
            compare(STORE, &after),
            EffectDiff {
                pointless: vec![9],
                lost: vec!["call"],
            }
        );
        let after = STORE.replace("pool.map(os.remove, paths)", "pass");
        assert!(!compare(STORE, &after).is_clean());
    }

    #[test]
    fn rewritten_calls_guards_and_docstrings_keep_the_effects() {
        // The same call with other arguments, a guard clause added, a docstring: clean.
        let after = STORE
            .replace("pool.map(os.remove, paths)", "pool.map(os.remove, [p for p in paths if p])")
            .replace(
                "    return target.read_bytes()",
                "    if target.is_symlink():\n        raise ValueError(\"link\")\n    return target.read_bytes()",
            );
        assert!(
            compare(STORE, &after).is_clean(),
            "{:?}",
            compare(STORE, &after)
        );
        // A statement without effect that was already there is not the fix's.
        let with_marker = STORE.replace("import os\n", "import os\n...\nFLAG\n");
        let after = with_marker.replace("paths)", "list(paths))");
        assert!(compare(&with_marker, &after).is_clean());
        // An unparsable candidate is the parse check's to refuse.
        assert!(compare(STORE, "def (:\n").is_clean());
    }
}
