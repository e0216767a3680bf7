//! The `allow-list` filter: a request value stored where the server trusts it (a session)
//! is limited to what the file's own constants allow. Two forms, both read from the code:
//!
//! * the value has a literal default that a module constant lists (`role =
//!   request.POST.get("role", "viewer")` with `ROLES = ("viewer", "editor")`): the stored value
//!   becomes `role if role in ROLES else "viewer"`;
//! * the request value overrides a default the server computes from a module constant
//!   (`body.get("percent", PROMO_CODES.get(code, 0))`): the server's value is used
//!   (`PROMO_CODES.get(code, 0)`), where the value is read.
//!
//! A name is followed to its one binding in the function. Given the read itself (`fmt =
//! request.form.get("format", "png")`, a taint path's origin), the name it is assigned to is
//! constrained on the next line: `fmt = fmt if fmt in FORMATS else "png"`. Anything else (no constant listing
//! the default, several, a default the server does not compute from a table) gets no fix: an
//! allow-list the code does not have cannot be invented.

use tree_sitter::Node;

use super::scope::{is_binding, mentions, sole_binding, RangeEdit};
use crate::rules::args::unparen;
use crate::rules::resolve::{root_of, text};
use crate::syntax_fields::{KindName, FIELD};

pub(crate) fn allow_list(value: Node, src: &str) -> Option<Vec<RangeEdit>> {
    let value = unparen(value);
    let (read, name) = if value.kind_name() == "identifier" {
        (sole_binding(value, src)?, Some(value))
    } else {
        (value, None)
    };
    let (default, _) = get_with_default(read, src)?;
    let root = root_of(value);
    if is_literal(default) {
        let table = listing(root, default, src)?;
        let d = text(default, src);
        let Some(name) = name else {
            // The read itself, assigned to a name: constrained on the next line.
            let assign = read.parent().filter(|a| a.kind_name() == "assignment")?;
            let stmt = assign
                .parent()
                .filter(|s| s.kind_name() == "expression_statement")?;
            let left = assign.child_by_field_id(FIELD.left)?;
            if left.kind_name() != "identifier" || stmt.named_child_count() != 1 {
                return None;
            }
            let v = text(left, src);
            let indent = super::filters::indent_at(src, stmt.start_byte());
            return Some(vec![(
                stmt.end_byte(),
                stmt.end_byte(),
                format!("\n{indent}{v} = {v} if {v} in {table} else {d}"),
            )]);
        };
        let v = text(name, src);
        return Some(vec![(
            name.start_byte(),
            name.end_byte(),
            format!("{v} if {v} in {table} else {d}"),
        )]);
    }
    // The server's own value, computed from a constant table.
    if !reads_table(root, default, src) {
        return None;
    }
    Some(vec![(
        read.start_byte(),
        read.end_byte(),
        text(default, src).to_string(),
    )])
}

/// `X.get(KEY, DEFAULT)` with a literal key: `(DEFAULT, X)`.
pub(super) fn get_with_default<'t>(call: Node<'t>, src: &str) -> Option<(Node<'t>, Node<'t>)> {
    if call.kind_name() != "call" {
        return None;
    }
    let f = call.child_by_field_id(FIELD.function)?;
    if f.kind_name() != "attribute" || text(f.child_by_field_id(FIELD.attribute)?, src) != "get" {
        return None;
    }
    let args = call.child_by_field_id(FIELD.arguments)?;
    let mut c = args.walk();
    let a: Vec<Node> = args
        .named_children(&mut c)
        .filter(|n| n.kind_name() != "comment")
        .collect();
    match a.as_slice() {
        [key, default]
            if key.kind_name() == "string" && default.kind_name() != "keyword_argument" =>
        {
            Some((unparen(*default), f.child_by_field_id(FIELD.object)?))
        }
        _ => None,
    }
}

fn is_literal(n: Node) -> bool {
    match n.kind_name() {
        "integer" | "float" | "true" | "false" => true,
        "string" => {
            let mut c = n.walk();
            let interpolates = n
                .named_children(&mut c)
                .any(|x| x.kind_name() == "interpolation");
            !interpolates
        }
        _ => false,
    }
}

/// The one module constant (an upper-case name bound once, at the top level, to a tuple,
/// list, set or dict literal, or `frozenset`/`set` of one) that lists `default` (as an element
/// or a key).
fn listing(root: Node, default: Node, src: &str) -> Option<String> {
    let want = text(default, src);
    let mut found = Vec::new();
    for (name, coll) in constants(root, src) {
        let mut c = coll.walk();
        let items: Vec<Node> = coll.named_children(&mut c).collect();
        let lists = items.iter().any(|i| {
            let item = match i.kind_name() {
                "pair" => i.child_by_field_id(FIELD.key),
                _ => Some(*i),
            };
            item.is_some_and(|x| is_literal(x) && text(x, src) == want)
        });
        if lists {
            found.push(name);
        }
    }
    match found.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// Whether `n` reads one of the module's constant tables (`PLAN_LIMITS.get(plan, 3)`).
fn reads_table(root: Node, n: Node, src: &str) -> bool {
    let tables: Vec<String> = constants(root, src).into_iter().map(|(t, _)| t).collect();
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if x.kind_name() == "identifier" && tables.iter().any(|t| t == text(x, src)) {
            return true;
        }
        let mut c = x.walk();
        stack.extend(x.named_children(&mut c));
    }
    false
}

/// The module's constant collections: upper-case names bound once, at the top level, to a
/// tuple, list, set or dict literal (or `frozenset`/`set`/`tuple` of one): `(NAME, the literal)`.
pub(super) fn constants<'t>(root: Node<'t>, src: &str) -> Vec<(String, Node<'t>)> {
    let mut out = Vec::new();
    let mut c = root.walk();
    for stmt in root.named_children(&mut c) {
        if stmt.kind_name() != "expression_statement" {
            continue;
        }
        let Some(a) = stmt
            .named_child(0)
            .filter(|a| a.kind_name() == "assignment")
        else {
            continue;
        };
        let (Some(left), Some(right)) = (
            a.child_by_field_id(FIELD.left),
            a.child_by_field_id(FIELD.right),
        ) else {
            continue;
        };
        let name = text(left, src);
        let upper = left.kind_name() == "identifier"
            && name.chars().any(|c| c.is_ascii_uppercase())
            && !name.chars().any(|c| c.is_ascii_lowercase());
        if !upper {
            continue;
        }
        let mut coll = unparen(right);
        if coll.kind_name() == "call"
            && coll
                .child_by_field_id(FIELD.function)
                .is_some_and(|f| matches!(text(f, src), "frozenset" | "set" | "tuple"))
        {
            match coll
                .child_by_field_id(FIELD.arguments)
                .and_then(|a| a.named_child(0))
            {
                Some(x) => coll = x,
                None => continue,
            }
        }
        if !matches!(coll.kind_name(), "tuple" | "list" | "set" | "dictionary") {
            continue;
        }
        let bound = mentions(root, name, src)
            .into_iter()
            .filter(|n| is_binding(*n))
            .count();
        if bound == 1 {
            out.push((name.to_string(), coll));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(src: &str, target: &str) -> Option<String> {
        super::super::test_util::edited_at(src, target, allow_list)
    }

    const VIEW: &str = "ROLES = (\"viewer\", \"editor\")\nLIMITS = {\"free\": 3, \"team\": 25}\n\n\ndef view(request, session):\n    role = request.POST.get(\"role\", \"viewer\")\n    plan = request.POST.get(\"plan\", \"free\")\n    other = request.POST.get(\"other\", \"x\")\n    session[\"role\"] = role\n    session[\"plan\"] = plan\n    session[\"seats\"] = request.POST.get(\"seats\", LIMITS.get(plan, 3))\n    session[\"other\"] = other\n";

    #[test]
    fn a_default_a_constant_lists_becomes_an_allow_list() {
        let out = fix(VIEW, "role\n").unwrap();
        assert!(
            out.contains("session[\"role\"] = role if role in ROLES else \"viewer\"\n"),
            "{out}"
        );
        // A dict's keys list the plans.
        let out = fix(VIEW, "plan\n").unwrap();
        assert!(
            out.contains("session[\"plan\"] = plan if plan in LIMITS else \"free\"\n"),
            "{out}"
        );
        // No constant lists `"x"`.
        assert!(fix(VIEW, "other\n").is_none());
    }

    #[test]
    fn a_read_with_a_listed_default_is_constrained_where_it_is_assigned() {
        let out = fix(VIEW, "request.POST.get(\"role\", \"viewer\")").unwrap();
        assert!(
            out.contains("    role = request.POST.get(\"role\", \"viewer\")\n    role = role if role in ROLES else \"viewer\"\n"),
            "{out}"
        );
    }

    #[test]
    fn a_default_the_server_computes_wins_over_the_request() {
        let out = fix(VIEW, "request.POST.get(\"seats\", LIMITS.get(plan, 3))").unwrap();
        assert!(
            out.contains("session[\"seats\"] = LIMITS.get(plan, 3)\n"),
            "{out}"
        );
        // A default that reads no constant table is not the server's decision.
        let src = VIEW.replace("LIMITS.get(plan, 3)", "len(plan)");
        assert!(fix(&src, "request.POST.get(\"seats\", len(plan))").is_none());
    }

    #[test]
    fn a_table_bound_twice_or_lowercase_is_no_allow_list() {
        let src = VIEW
            .replace("ROLES = (", "roles = (")
            .replace("in ROLES", "in roles");
        assert!(fix(&src, "role\n").is_none());
        let src = format!("{VIEW}ROLES = ()\n");
        assert!(fix(&src, "role\n").is_none());
    }
}
