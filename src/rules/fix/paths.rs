//! The `send-from-directory` filter: Flask's `send_file(os.path.join(BASE, name), ...)`
//! becomes `send_from_directory(BASE, name, ...)`, which joins the two with `safe_join` and
//! answers 404 for a name that leaves `BASE` (`../`, an absolute path).
//!
//! It applies to the whole call, and only when the path is the first, positional argument and
//! is a two-argument `os.path.join` (or `posixpath.join`) call without `*`/`**` or keywords;
//! the call's other arguments must be keywords (`as_attachment=True`, `**opts`): they are
//! kept, since `send_from_directory` passes them on to `send_file`. Anything else gives up.

use tree_sitter::Node;

use crate::rules::args::unparen;
use crate::rules::resolve::text;

const JOINS: [&str; 2] = ["os.path.join", "posixpath.join"];

pub fn send_from_directory(call: Node, src: &str) -> Option<String> {
    if call.kind() != "call" {
        return None;
    }
    let callee = text(call.child_by_field_name("function")?, src);
    let prefix = callee.strip_suffix("send_file")?;
    if !(prefix.is_empty() || prefix.ends_with('.')) {
        return None;
    }
    let args = arguments(call)?;
    let (path, rest) = args.split_first()?;
    // `send_from_directory(directory, path, **kwargs)` takes no further positional arguments.
    if !rest
        .iter()
        .all(|n| matches!(n.kind(), "keyword_argument" | "dictionary_splat"))
    {
        return None;
    }
    let join = unparen(*path);
    if join.kind() != "call" || !JOINS.contains(&text(join.child_by_field_name("function")?, src)) {
        return None;
    }
    let parts = arguments(join)?;
    let plain = |n: &Node| {
        !matches!(
            n.kind(),
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
        .child_by_field_name("arguments")
        .filter(|l| l.kind() == "argument_list")?;
    let mut c = list.walk();
    let args: Vec<Node> = list
        .named_children(&mut c)
        .filter(|n| n.kind() != "comment")
        .collect();
    Some(args)
}
