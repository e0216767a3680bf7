//! The `escape-request:F` filter: in HTML built from strings, each value read from the
//! request is passed through `F` (`html.escape`), where it was built:
//!
//! * the capture itself when it builds the string (`f"<h1>Hello {name}!</h1>"`);
//! * or, for a name (`HTMLResponse(page)`), the value of its one assignment in the same
//!   function, when the name is read nowhere else.
//!
//! A value counts as request data when it is read from `request` (`request.args.get("q")`,
//! `request.query_params["x"].strip()`), or is a local name every assignment of which reads
//! it so. Other values (markup built elsewhere, numbers) are left as they are: escaping
//! them could garble a page that was right. With no request value to escape the filter gives
//! up; whether the finding is gone is for the re-scan to say.

use tree_sitter::Node;

use super::scope::{is_binding, mentions, scope_of, single_assignment, RangeEdit};
use super::strings::{self, Wrapping};
use super::wrap::wrap_some;
use crate::rules::args::unparen;
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

pub(crate) fn escape_request(node: Node, src: &str, func: &str) -> Option<Vec<RangeEdit>> {
    let built = if node.kind_name() == "identifier" {
        let assign = single_assignment(node, src)?;
        unparen(assign.child_by_field_id(FIELD.right)?)
    } else {
        node
    };
    let p = strings::pieces(built, src)?;
    let scope = scope_of(built);
    let by_percent = strings::by_percent(built, src);
    let mut edits: Vec<RangeEdit> = Vec::new();
    for v in p.values() {
        if !from_request(v.node, scope, src) {
            continue;
        }
        let to_str = match strings::wrapping(v, by_percent) {
            Wrapping::Wrap { to_str } => to_str,
            Wrapping::Number => continue,
            Wrapping::Unsure => return None,
        };
        let (s, e) = (v.node.start_byte(), v.node.end_byte());
        if edits.iter().any(|(a, _, _)| *a == s) {
            continue;
        }
        let x = text(v.node, src);
        let wrapped = if to_str {
            format!("{func}(str({x}))")
        } else {
            format!("{func}({x})")
        };
        edits.push((s, e, wrapped));
    }
    (!edits.is_empty()).then_some(edits)
}

/// `request.a.b(...)[...]...`, possibly awaited: an expression rooted at the name `request`.
fn rooted_at_request(n: Node, src: &str) -> bool {
    let mut n = unparen(n);
    if n.kind_name() == "await" {
        match n.named_child(0) {
            Some(x) => n = unparen(x),
            None => return false,
        }
    }
    let mut steps = 0;
    loop {
        let next = match n.kind_name() {
            "call" => n.child_by_field_id(FIELD.function),
            "attribute" => n.child_by_field_id(FIELD.object),
            "subscript" => n.child_by_field_id(FIELD.value),
            "identifier" => return steps > 0 && text(n, src) == "request",
            _ => return false,
        };
        match next {
            Some(x) => n = unparen(x),
            None => return false,
        }
        steps += 1;
    }
}

/// Whether value `v` is text read from the request (see the module doc).
fn from_request(v: Node, scope: Node, src: &str) -> bool {
    let v = unparen(v);
    if rooted_at_request(v, src) {
        return true;
    }
    if v.kind_name() != "identifier" {
        return false;
    }
    let all = mentions(scope, text(v, src), src);
    let mut assigned = false;
    for m in all {
        let in_parameters = {
            let mut p = m.parent();
            let mut found = false;
            while let Some(x) = p {
                if x.kind_name() == "parameters" || x.kind_name() == "lambda_parameters" {
                    found = true;
                    break;
                }
                if x.id() == scope.id() {
                    break;
                }
                p = x.parent();
            }
            found
        };
        if in_parameters {
            return false;
        }
        if !is_binding(m) {
            continue;
        }
        let Some(assign) = m.parent().filter(|a| a.kind_name() == "assignment") else {
            return false;
        };
        let plain = assign
            .child_by_field_id(FIELD.left)
            .is_some_and(|l| l.id() == m.id());
        match assign.child_by_field_id(FIELD.right) {
            Some(r) if plain && rooted_at_request(r, src) => assigned = true,
            _ => return false,
        }
    }
    assigned
}

/// The `escape-data:F` filter: every value of the string built in `node` passed through `F`,
/// except values that already are markup, are escaped, or print a number.
pub(crate) fn escape_data(node: Node, src: &str, func: &str) -> Option<String> {
    let scope = scope_of(node);
    wrap_some(
        node,
        src,
        |v| kept_as_is(v, scope, src, 0),
        |x, to_str| {
            if to_str {
                format!("{func}(str({x}))")
            } else {
                format!("{func}({x})")
            }
        },
    )
}

/// [`escape_data`] in each string the function `def` returns: a helper that builds markup
/// from its arguments.
pub(crate) fn escape_returns(def: Node, src: &str, func: &str) -> Option<Vec<RangeEdit>> {
    let edits: Vec<RangeEdit> = crate::rules::built::returned_strings(def, src)
        .into_iter()
        .filter_map(|b| Some((b.start_byte(), b.end_byte(), escape_data(b, src, func)?)))
        .collect();
    (!edits.is_empty()).then_some(edits)
}

/// Whether value `v` is markup, already escaped, or a number: escaping it again would garble
/// the page.
fn kept_as_is(v: Node, scope: Node, src: &str, depth: u8) -> bool {
    let v = unparen(v);
    let t = text(v, src);
    let safe_calls = [
        "escape(", "Markup(", "len(", "str(len(", "int(", "float(", "round(",
    ];
    if safe_calls
        .iter()
        .any(|c| t.starts_with(c) || t.contains(&format!(".{c}")))
        || matches!(v.kind_name(), "integer" | "float" | "string")
    {
        return true;
    }
    if depth > 2 {
        return false;
    }
    match v.kind_name() {
        // `"".join(rows)`: markup when what it joins is; a function of this file that
        // builds markup.
        "call" => {
            let Some(f) = v.child_by_field_id(FIELD.function) else {
                return false;
            };
            if crate::rules::built::markup_helper(v, src).is_some() {
                return true;
            }
            let joins = f.kind_name() == "attribute"
                && f.child_by_field_id(FIELD.attribute)
                    .is_some_and(|a| text(a, src) == "join");
            let arg = v
                .child_by_field_id(FIELD.arguments)
                .and_then(|a| a.named_child(0));
            match arg {
                Some(a) if joins && a.kind_name() == "identifier" => {
                    kept_as_is(a, scope, src, depth + 1)
                }
                Some(a) if joins => text(a, src).contains('<'),
                _ => false,
            }
        }
        // A local whose every value is built from markup (`rows.append("<li>...")`).
        "identifier" => {
            let mut built = false;
            for m in mentions(scope, t, src) {
                let Some(p) = m.parent() else { continue };
                let value = if is_binding(m) {
                    match p.kind_name() {
                        "assignment" | "augmented_assignment" => p.child_by_field_id(FIELD.right),
                        _ => return false,
                    }
                } else if p.kind_name() == "attribute"
                    && p.parent().is_some_and(|c| c.kind_name() == "call")
                    && p.child_by_field_id(FIELD.attribute)
                        .is_some_and(|a| matches!(text(a, src), "append" | "extend"))
                {
                    p.parent()
                        .and_then(|c| c.child_by_field_id(FIELD.arguments))
                } else {
                    continue;
                };
                match value {
                    Some(x) if text(x, src).contains('<') => built = true,
                    Some(x) if kept_as_is(x, scope, src, depth + 1) => built = true,
                    Some(x) if empty(x, src) => {}
                    _ => return false,
                }
            }
            built
        }
        _ => false,
    }
}

/// `[]`, `""`, `''`: a start that adds nothing.
fn empty(x: Node, src: &str) -> bool {
    let t = text(x, src);
    (x.kind_name() == "list" && x.named_child_count() == 0)
        || (x.kind_name() == "string" && t.trim_matches(['"', '\'']).is_empty())
}
