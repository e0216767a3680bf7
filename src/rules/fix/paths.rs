//! The `send-from-directory` filter: Flask's `send_file(os.path.join(BASE, name), ...)`
//! becomes `send_from_directory(BASE, name, ...)`, which joins the two with `safe_join` and
//! answers 404 for a name that leaves `BASE` (`../`, an absolute path).
//!
//! It applies to the whole call, and only when the path is the first, positional argument and
//! is a two-argument `os.path.join` (or `posixpath.join`) call without `*`/`**` or keywords;
//! the call's other arguments must be keywords (`as_attachment=True`, `**opts`): they are
//! kept, since `send_from_directory` passes them on to `send_file`. Anything else gives up.
//!
//! The `confine-path:F` filter keeps a path built from a base directory inside it: each part
//! joined to the base that is not a literal or a constant (`UPPER_CASE`) is reduced by `F`
//! (`os.path.basename`) to a bare name, so `../` and absolute values cannot leave the base:
//! `os.path.join(ROOT, tenant, name)` → `os.path.join(ROOT, F(tenant), F(name))`, and
//! `root / name` → `root / F(name)`. A path held in a local name is edited where the name is
//! bound, when the function binds it once, before the use. Anything else gives up.

use tree_sitter::Node;

use super::scope::{sole_binding, RangeEdit};
use crate::rules::args::unparen;
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

const JOINS: [&str; 2] = ["os.path.join", "posixpath.join"];

pub fn send_from_directory(call: Node, src: &str) -> Option<String> {
    if call.kind_name() != "call" {
        return None;
    }
    let callee = text(call.child_by_field_id(FIELD.function)?, src);
    let prefix = callee.strip_suffix("send_file")?;
    if !(prefix.is_empty() || prefix.ends_with('.')) {
        return None;
    }
    let args = arguments(call)?;
    let (path, rest) = args.split_first()?;
    // `send_from_directory(directory, path, **kwargs)` takes no further positional arguments.
    if !rest
        .iter()
        .all(|n| matches!(n.kind_name(), "keyword_argument" | "dictionary_splat"))
    {
        return None;
    }
    let join = unparen(*path);
    if join.kind_name() != "call"
        || !JOINS.contains(&text(join.child_by_field_id(FIELD.function)?, src))
    {
        return None;
    }
    let parts = arguments(join)?;
    let plain = |n: &Node| {
        !matches!(
            n.kind_name(),
            "keyword_argument" | "list_splat" | "dictionary_splat"
        )
    };
    if parts.len() != 2 || !parts.iter().all(plain) {
        return None;
    }
    let mut out: Vec<&str> = parts.iter().map(|n| text(*n, src)).collect();
    out.extend(rest.iter().map(|n| text(*n, src)));
    Some(format!("{prefix}send_from_directory({})", out.join(", ")))
}

/// The arguments of a call with an argument list (not a generator argument), comments left out.
fn arguments(call: Node) -> Option<Vec<Node>> {
    let list = call
        .child_by_field_id(FIELD.arguments)
        .filter(|l| l.kind_name() == "argument_list")?;
    let mut c = list.walk();
    let args: Vec<Node> = list
        .named_children(&mut c)
        .filter(|n| n.kind_name() != "comment")
        .collect();
    Some(args)
}

pub(super) fn confine_path(node: Node, src: &str, func: &str) -> Option<Vec<RangeEdit>> {
    let node = unparen(node);
    let built = if node.kind_name() == "identifier" {
        sole_binding(node, src)?
    } else {
        node
    };
    let parts = joined_parts(built, src)?;
    let mut edits = Vec::new();
    for p in parts {
        let t = text(p, src);
        let constant = match p.kind_name() {
            "string" | "concatenated_string" | "integer" => true,
            "identifier" | "attribute" => {
                let last = t.rsplit('.').next().unwrap_or(t);
                last.chars().any(|c| c.is_ascii_uppercase())
                    && !last.chars().any(|c| c.is_ascii_lowercase())
            }
            "call" => t.starts_with(func) || t.contains("secure_filename("),
            _ => false,
        };
        if !constant {
            edits.push((p.start_byte(), p.end_byte(), format!("{func}({t})")));
        }
    }
    (!edits.is_empty()).then_some(edits)
}

/// The parts joined to the base of `os.path.join(base, *parts)` or `base / a / b`.
fn joined_parts<'t>(built: Node<'t>, src: &str) -> Option<Vec<Node<'t>>> {
    match built.kind_name() {
        "call" => {
            let f = text(built.child_by_field_id(FIELD.function)?, src);
            if !JOINS.contains(&f) {
                return None;
            }
            let args = arguments(built)?;
            if args.len() < 2
                || args.iter().any(|a| {
                    a.kind_name().ends_with("argument") || a.kind_name().ends_with("splat")
                })
            {
                return None;
            }
            Some(args[1..].iter().map(|a| unparen(*a)).collect())
        }
        "binary_operator" => {
            let mut out = Vec::new();
            let mut n = built;
            while n.kind_name() == "binary_operator"
                && n.child_by_field_id(FIELD.operator)
                    .is_some_and(|o| text(o, src) == "/")
            {
                out.push(unparen(n.child_by_field_id(FIELD.right)?));
                n = unparen(n.child_by_field_id(FIELD.left)?);
            }
            out.reverse();
            (!out.is_empty()).then_some(out)
        }
        _ => None,
    }
}
