//! The `session-rotate:FRAMEWORK` filter: a login function that writes the user into the
//! session it was given gets a new session first, the way the framework does it.
//!
//! * `aiohttp`: the function's one `await get_session(...)` (imported from `aiohttp_session`)
//!   becomes `await new_session(...)`, which discards the old session and its id;
//! * `django`: `request.session.cycle_key()` goes before the first `request.session[...] = ...`
//!   (in a file importing Django): a new key, the data kept, as `django.contrib.auth.login`
//!   does.
//!
//! Anything else (Flask's cookie session has no id to rotate; Flask-Session's `clear()` keeps
//! it) gets no fix.

use tree_sitter::Node;

use super::scope::RangeEdit;
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

pub(crate) fn session_rotate(body: Node, src: &str, framework: &str) -> Option<Vec<RangeEdit>> {
    let root = {
        let mut r = body;
        while let Some(p) = r.parent() {
            r = p;
        }
        r
    };
    match framework {
        "aiohttp" => aiohttp(body, root, src),
        "django" => django(body, root, src),
        _ => None,
    }
}

/// The nodes under `root` (nested functions and classes left out when `own` is set).
fn nodes<'t>(root: Node<'t>, own: bool) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if own
            && n.id() != root.id()
            && matches!(
                n.kind_name(),
                "function_definition" | "class_definition" | "lambda"
            )
        {
            continue;
        }
        out.push(n);
        let mut c = n.walk();
        stack.extend(n.children(&mut c));
    }
    out.sort_by_key(|n| n.start_byte());
    out
}

/// Whether the module imports `name` from `module` (`from module import ..., name, ...`).
fn imports_from(root: Node, module: &str, name: &str, src: &str) -> bool {
    nodes(root, false)
        .into_iter()
        .filter(|n| n.kind_name() == "import_from_statement")
        .any(|n| {
            let from = n
                .child_by_field_id(FIELD.module_name)
                .is_some_and(|m| text(m, src) == module);
            let mut c = n.walk();
            from && n
                .children_by_field_name("name", &mut c)
                .any(|x| x.kind_name() == "dotted_name" && text(x, src) == name)
        })
}

fn aiohttp(body: Node, root: Node, src: &str) -> Option<Vec<RangeEdit>> {
    if !imports_from(root, "aiohttp_session", "get_session", src) {
        return None;
    }
    let calls: Vec<Node> = nodes(body, true)
        .into_iter()
        .filter(|n| {
            n.kind_name() == "call"
                && n.child_by_field_id(FIELD.function)
                    .is_some_and(|f| f.kind_name() == "identifier" && text(f, src) == "get_session")
        })
        .collect();
    let [call] = calls.as_slice() else {
        return None;
    };
    // `session = await get_session(request)`: the session the function then writes to.
    let awaited = call.parent().filter(|p| p.kind_name() == "await")?;
    let assign = awaited.parent().filter(|p| p.kind_name() == "assignment")?;
    if assign.child_by_field_id(FIELD.left)?.kind_name() != "identifier" {
        return None;
    }
    let f = call.child_by_field_id(FIELD.function)?;
    Some(vec![(f.start_byte(), f.end_byte(), "new_session".into())])
}

fn django(body: Node, root: Node, src: &str) -> Option<Vec<RangeEdit>> {
    let django = nodes(root, false).into_iter().any(|n| {
        matches!(n.kind_name(), "import_from_statement" | "import_statement")
            && text(n, src)
                .split_whitespace()
                .nth(1)
                .is_some_and(|m| m == "django" || m.starts_with("django."))
    });
    if !django {
        return None;
    }
    // The first statement writing `request.session[...]`, in the function's own code.
    let stmt = nodes(body, true).into_iter().find_map(|n| {
        let left = n.child_by_field_id(FIELD.left)?;
        let object = left.child_by_field_id(FIELD.value)?;
        (n.kind_name() == "assignment"
            && left.kind_name() == "subscript"
            && text(object, src) == "request.session")
            .then(|| n.parent())
            .flatten()
            .filter(|s| s.kind_name() == "expression_statement")
    })?;
    let at = stmt.start_byte();
    // The statement starts its line: the new one goes on a line of its own, same indentation.
    let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
    if !src[line_start..at].trim().is_empty() {
        return None;
    }
    let indent = &src[line_start..at];
    Some(vec![(
        at,
        at,
        format!("request.session.cycle_key()\n{indent}"),
    )])
}
