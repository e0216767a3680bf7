//! Where a fix's edit goes in a call: whether the call is a statement, where a keyword
//! argument is inserted, which range removing one drops.

use tree_sitter::Node;

use crate::finding::Span;
use crate::syntax_fields::{KindName, FIELD};

/// Whether a call is a statement of its own.
pub(super) fn is_statement(call: Node) -> bool {
    let mut n = call;
    while let Some(p) = n.parent() {
        match p.kind_name() {
            "parenthesized_expression" => n = p,
            "expression_statement" => return p.named_child_count() == 1,
            _ => return false,
        }
    }
    false
}

/// The arguments of a call's argument list, comments left out.
pub(super) fn arguments(list: Node) -> Vec<Node> {
    let mut c = list.walk();
    list.named_children(&mut c)
        .filter(|n| n.kind_name() != "comment")
        .collect()
}

/// Where a new keyword argument goes: after the last argument (with a comma) or right after
/// `(`. `None` for a call whose argument is a bare generator expression.
pub(super) fn insertion(call: Node) -> Option<(usize, bool)> {
    let list = call
        .child_by_field_id(FIELD.arguments)
        .filter(|l| l.kind_name() == "argument_list")?;
    match arguments(list).last() {
        Some(last) => Some((last.end_byte(), true)),
        None => Some((list.start_byte() + 1, false)),
    }
}

/// The bytes to remove to drop argument value `v` with its comma; `None` when that would
/// shift later positional arguments or delete a comment.
pub(super) fn drop_range(call: Node, v: Node) -> Option<(usize, usize)> {
    let list = call.child_by_field_id(FIELD.arguments)?;
    let arg = v
        .parent()
        .filter(|p| p.kind_name() == "keyword_argument")
        .unwrap_or(v);
    let args = arguments(list);
    let i = args.iter().position(|a| a.id() == arg.id())?;
    let positional = |n: &Node| {
        !matches!(
            n.kind_name(),
            "keyword_argument" | "list_splat" | "dictionary_splat"
        )
    };
    if positional(&arg) && args[i + 1..].iter().any(positional) {
        return None;
    }
    let (s, e) = if i > 0 {
        (args[i - 1].end_byte(), arg.end_byte())
    } else if let Some(next) = args.get(i + 1) {
        (arg.start_byte(), next.start_byte())
    } else {
        (list.start_byte() + 1, list.end_byte() - 1)
    };
    let mut c = list.walk();
    let comment_inside = list
        .children(&mut c)
        .any(|n| n.kind_name() == "comment" && n.start_byte() >= s && n.end_byte() <= e);
    (!comment_inside).then_some((s, e))
}

/// The 1-based line/column span of a byte range.
pub(super) fn span_of_bytes(src: &str, start: usize, end: usize) -> Span {
    let pos = |b: usize| {
        let b = b.min(src.len());
        let before = src.get(..b).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    };
    let (start_line, start_column) = pos(start);
    let (end_line, end_column) = pos(end);
    Span {
        start_line,
        start_column,
        end_line,
        end_column,
    }
}
