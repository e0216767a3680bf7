//! Where a tainted value was first built into a string: the first step of a finding's path,
//! after its source, that formats, concatenates or interpolates values into text. A fix can
//! escape or quote the values there, before the text is passed on (to a helper, into a list,
//! into markup built later), which is where their meaning is still plain data; or the last
//! such step, where the text the sink gets (a command) is composed.

use tree_sitter::Node;

use crate::rules::args::unparen;
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

/// The string-building expression of the first node of a taint path (its steps' nodes) after
/// the source that has one; for a
/// value returned by a function of this file that builds markup (`render_card(name)`), that
/// function's definition, whose returned strings are built from the values.
pub(crate) fn first_built<'t>(path: &[Node<'t>], src: &str) -> Option<Node<'t>> {
    path.iter()
        .skip(1)
        .find_map(|n| building(*n, src, 0).or_else(|| markup_helper(*n, src)))
}

/// The module-level function `node` calls by name, when a string it returns holds markup.
pub(crate) fn markup_helper<'t>(node: Node<'t>, src: &str) -> Option<Node<'t>> {
    let call = unparen(node);
    let f = call
        .child_by_field_id(FIELD.function)
        .filter(|_| call.kind_name() == "call")?;
    if f.kind_name() != "identifier" {
        return None;
    }
    let name = text(f, src);
    let root = crate::rules::resolve::root_of(call);
    let mut c = root.walk();
    let def = root.named_children(&mut c).find_map(|d| {
        let d = match d.kind_name() {
            "decorated_definition" => d.child_by_field_id(FIELD.definition)?,
            _ => d,
        };
        (d.kind_name() == "function_definition"
            && d.child_by_field_id(FIELD.name)
                .is_some_and(|n| text(n, src) == name))
        .then_some(d)
    })?;
    let markup = returned_values(def).into_iter().any(|v| {
        let text_of = building(v, src, 0)
            .or_else(|| matches!(v.kind_name(), "string" | "concatenated_string").then_some(v));
        text_of.is_some_and(|t| text(t, src).contains('<'))
    });
    markup.then_some(def)
}

/// The string-building expressions the function `def` returns (nested functions left out).
pub(crate) fn returned_strings<'t>(def: Node<'t>, src: &str) -> Vec<Node<'t>> {
    returned_values(def)
        .into_iter()
        .filter_map(|v| building(v, src, 0))
        .collect()
}

/// The values the function `def` returns, in order (nested functions left out).
fn returned_values(def: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let Some(body) = def.child_by_field_id(FIELD.body) else {
        return out;
    };
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        match n.kind_name() {
            "function_definition" | "class_definition" | "lambda" => continue,
            "return_statement" => out.extend(n.named_child(0).map(unparen)),
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    out.sort_by_key(|n| n.start_byte());
    out
}

/// The string-building expression of the last step that has one: the text the sink gets
/// (a command, a query), as last composed.
pub(crate) fn last_built<'t>(path: &[Node<'t>], src: &str) -> Option<Node<'t>> {
    path.iter().skip(1).rev().find_map(|n| building(*n, src, 0))
}

/// The string built from values in `n` (an assignment's value, a call's argument...).
fn building<'t>(n: Node<'t>, src: &str, depth: u8) -> Option<Node<'t>> {
    if depth > 3 {
        return None;
    }
    let n = unparen(n);
    match n.kind_name() {
        "expression_statement" | "return_statement" => building(n.named_child(0)?, src, depth + 1),
        "assignment" | "augmented_assignment" => {
            building(n.child_by_field_id(FIELD.right)?, src, depth + 1)
        }
        "string" => interpolated(n).then_some(n),
        "concatenated_string" => {
            let mut c = n.walk();
            let any = n.named_children(&mut c).any(interpolated);
            any.then_some(n)
        }
        "binary_operator" => {
            let op = text(n.child_by_field_id(FIELD.operator)?, src);
            let has_literal = |x: Option<Node>| {
                x.map(unparen)
                    .is_some_and(|x| matches!(x.kind_name(), "string" | "concatenated_string"))
            };
            let literal = has_literal(n.child_by_field_id(FIELD.left))
                || has_literal(n.child_by_field_id(FIELD.right))
                || building(n.child_by_field_id(FIELD.left)?, src, depth + 1).is_some();
            (matches!(op, "+" | "%") && literal).then_some(n)
        }
        "call" => {
            let f = n.child_by_field_id(FIELD.function)?;
            let formats = f.kind_name() == "attribute"
                && f.child_by_field_id(FIELD.attribute)
                    .is_some_and(|a| text(a, src) == "format")
                && f.child_by_field_id(FIELD.object)
                    .map(unparen)
                    .is_some_and(|o| matches!(o.kind_name(), "string" | "concatenated_string"));
            if formats {
                return Some(n);
            }
            let args = n.child_by_field_id(FIELD.arguments)?;
            let mut c = args.walk();
            let found = args
                .named_children(&mut c)
                .find_map(|a| building(a, src, depth + 1));
            found
        }
        _ => None,
    }
}

/// Whether a string literal interpolates values (an f-string field).
fn interpolated(s: Node) -> bool {
    let mut c = s.walk();
    let any = s
        .named_children(&mut c)
        .any(|x| x.kind_name() == "interpolation");
    any
}
