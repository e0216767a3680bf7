//! `"fmt" % value`, `"fmt" % (a, b)` and `"fmt" % {"name": v}` taken apart.

use tree_sitter::Node;

use super::{collect, Conv, Part, Value};
use crate::rules::args::unparen;
use crate::syntax_fields::{KindName, FIELD};

/// `"fmt" % value` / `"fmt" % (a, b)` with positional directives, or `"fmt" % {"k": v}` (a
/// dict literal with plain string keys) with `%(k)s` directives only. With a mapping, every
/// key must be used exactly once: a value left out or repeated would change how often its
/// expression is evaluated.
pub(super) fn percent<'t>(
    left: Node<'t>,
    right: Node<'t>,
    src: &'t str,
    out: &mut Vec<Part<'t>>,
    quote: &mut Option<(char, bool)>,
) -> Option<()> {
    let left = unparen(left);
    let mut lit = Vec::new();
    match left.kind_name() {
        "string" | "concatenated_string" => collect(left, src, &mut lit, quote, false)?,
        _ => return None,
    }
    let mut fmt = String::new();
    for p in lit {
        match p {
            Part::Lit(s) => fmt.push_str(&s),
            Part::Value(_) => return None,
        }
    }
    let right = unparen(right);
    let mut mapping = if right.kind_name() == "dictionary" {
        Some(mapping(right, src)?)
    } else {
        None
    };
    let values: Vec<Node> = if mapping.is_some() {
        Vec::new()
    } else if right.kind_name() == "tuple" {
        let mut c = right.walk();
        let v: Vec<Node> = right
            .named_children(&mut c)
            .filter(|n| n.kind_name() != "comment")
            .collect();
        if v.iter().any(|n| n.kind_name() == "list_splat") {
            return None;
        }
        v
    } else {
        vec![right]
    };
    let mut values = values.into_iter();
    let mut reordered = false;
    let mut chars = fmt.chars().peekable();
    let mut buf = String::new();
    while let Some(c) = chars.next() {
        if c != '%' {
            buf.push(c);
            continue;
        }
        let mut key = None;
        if chars.peek() == Some(&'(') {
            chars.next();
            let mut name = String::new();
            loop {
                match chars.next()? {
                    ')' => break,
                    '(' => return None,
                    d => name.push(d),
                }
            }
            key = Some(name);
        }
        let mut spec = String::new();
        loop {
            let d = chars.next()?;
            if d == '(' || d == '*' {
                return None;
            }
            if d.is_ascii_alphabetic() || d == '%' {
                spec.push(d);
                break;
            }
            spec.push(d);
        }
        if spec == "%" {
            if key.is_some() {
                return None;
            }
            buf.push('%');
            continue;
        }
        if !buf.is_empty() {
            out.push(Part::Lit(std::mem::take(&mut buf)));
        }
        let node = match (&mut mapping, key) {
            (Some(m), Some(k)) => {
                let at = m.iter().position(|(name, _, _)| *name == k)?;
                // Values taken out of the dict's order are evaluated in another order: only
                // names and attributes, which do nothing when evaluated, may move.
                if m[..at].iter().any(|(_, _, used)| !used) {
                    reordered = true;
                }
                let slot = &mut m[at];
                if slot.2 {
                    return None;
                }
                slot.2 = true;
                slot.1
            }
            (None, None) => values.next()?,
            _ => return None,
        };
        let conv = match spec.as_str() {
            "s" => Conv::Str,
            "r" => Conv::Repr,
            // `%d` → `{:d}`: the closest `str.format` spelling, for callers that keep a spec.
            _ => Conv::Other(format!(":{spec}")),
        };
        out.push(Part::Value(Value { node, conv }));
    }
    if values.next().is_some() {
        return None;
    }
    if let Some(m) = mapping {
        if m.iter().any(|(_, _, used)| !used) || (reordered && !m.iter().all(|(_, v, _)| inert(*v)))
        {
            return None;
        }
    }
    if !buf.is_empty() {
        out.push(Part::Lit(buf));
    }
    Some(())
}

/// The entries of a dict literal whose keys are plain string literals, each with a "used"
/// mark; `None` for a `**` entry, another kind of key or a key given twice.
fn mapping<'t>(dict: Node<'t>, src: &'t str) -> Option<Vec<(String, Node<'t>, bool)>> {
    let mut entries: Vec<(String, Node<'t>, bool)> = Vec::new();
    let mut c = dict.walk();
    for pair in dict.named_children(&mut c) {
        if pair.kind_name() == "comment" {
            continue;
        }
        if pair.kind_name() != "pair" {
            return None;
        }
        let key = pair.child_by_field_id(FIELD.key)?;
        let value = pair.child_by_field_id(FIELD.value)?;
        if key.kind_name() != "string" {
            return None;
        }
        let mut parts = Vec::new();
        let mut q = None;
        collect(key, src, &mut parts, &mut q, false)?;
        let name = match parts.as_slice() {
            [Part::Lit(s)] => s.clone(),
            _ => return None,
        };
        if entries.iter().any(|(n, _, _)| *n == name) {
            return None;
        }
        entries.push((name, value, false));
    }
    Some(entries)
}

/// A name or an attribute of one (`x`, `self.x`): evaluating it does nothing else.
fn inert(n: Node) -> bool {
    let n = unparen(n);
    match n.kind_name() {
        "identifier" => true,
        "attribute" => n.child_by_field_id(FIELD.object).is_some_and(inert),
        _ => false,
    }
}
