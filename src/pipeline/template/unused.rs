//! Removing an import that a template fix made unused.
//!
//! Only when it is certain: the edit replaced a read of a name that, in the original file,
//! only a top-level import bound; in the patched file nothing reads the name and the name does
//! not appear anywhere else, not even in a string or a comment (`__all__`, `getattr`, a
//! docstring...); the import is a one-line statement alone on its line. A statement importing
//! several names loses only that one (`from hashlib import md5, sha1` → `from hashlib import
//! sha1`).

use tree_sitter::Node;

use super::LineChange;
use crate::pipeline::names::{self, BindingKind, Resolution};
use crate::syntax_fields::{KindName, FIELD};

/// An import removed from a text.
pub(super) struct Removal {
    pub change: LineChange,
    /// The statement as it was, e.g. `from hashlib import md5`.
    pub statement: String,
    /// The new text.
    pub text: String,
}

/// Removes the import of `name` from `patched` when the edit that replaced its read at byte
/// `at` of `original` left it unused; `None` when it is used, not certainly unused, or not a
/// plain one-line top-level import.
pub(super) fn remove(original: &str, at: usize, name: &str, patched: &str) -> Option<Removal> {
    let before = names::analyze(original)?;
    let read_there = before.reads.iter().any(|r| r.name == name && r.byte == at);
    if before.star_import || !read_there || before.resolve_at(name, at) != Resolution::Scope(0) {
        return None;
    }
    match before.scopes[0].names.get(name).map(Vec::as_slice) {
        Some([BindingKind::Import { .. }]) => {}
        _ => return None,
    }
    let after = names::analyze(patched)?;
    if after.reads.iter().any(|r| r.name == name) || word_count(patched, name) != 1 {
        return None;
    }
    let tree = names::parse_clean(patched)?;
    let root = tree.root_node();
    let mut cursor = root.walk();
    let stmt = root
        .named_children(&mut cursor)
        .filter(|s| matches!(s.kind_name(), "import_statement" | "import_from_statement"))
        .find(|s| binding_node(*s, name, patched).is_some())?;
    let (node, all) = binding_node(stmt, name, patched)?;
    if stmt.start_position().row != stmt.end_position().row {
        return None;
    }
    let line_start = patched[..stmt.start_byte()]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line_end = patched[stmt.end_byte()..]
        .find('\n')
        .map(|i| stmt.end_byte() + i + 1)?;
    let rest = patched[stmt.end_byte()..line_end].trim();
    if !patched[line_start..stmt.start_byte()].trim().is_empty()
        || !(rest.is_empty() || rest.starts_with('#'))
    {
        return None;
    }
    let line = patched[..line_start].matches('\n').count() + 1;
    let new_line = if all.len() == 1 {
        String::new()
    } else {
        // Drop the name with the separator after it (or, for the last name, before it).
        let k = all.iter().position(|n| n.id() == node.id())?;
        let (from, to) = if k + 1 < all.len() {
            (node.start_byte(), all[k + 1].start_byte())
        } else {
            (all[k - 1].end_byte(), node.end_byte())
        };
        format!("{}{}", &patched[line_start..from], &patched[to..line_end])
    };
    let statement = patched[stmt.start_byte()..stmt.end_byte()].to_string();
    let text = format!(
        "{}{new_line}{}",
        &patched[..line_start],
        &patched[line_end..]
    );
    Some(Removal {
        change: LineChange {
            line,
            deleted: 1,
            text: new_line,
        },
        statement,
        text,
    })
}

/// The child of an import statement that binds `name`, and all its imported-name children.
fn binding_node<'t>(stmt: Node<'t>, name: &str, src: &str) -> Option<(Node<'t>, Vec<Node<'t>>)> {
    let mut cursor = stmt.walk();
    let all: Vec<Node> = stmt.children_by_field_name("name", &mut cursor).collect();
    let text = |n: Node| n.utf8_text(src.as_bytes()).unwrap_or("");
    let found = all.iter().copied().find(|n| match n.kind_name() {
        "aliased_import" => n
            .child_by_field_id(FIELD.alias)
            .is_some_and(|a| text(a) == name),
        // `import a.b` binds `a`; `from m import x` binds `x`.
        "dotted_name" => n.named_child(0).is_some_and(|i| text(i) == name),
        _ => false,
    })?;
    Some((found, all))
}

/// How many times `name` occurs in `text` as a whole word.
fn word_count(text: &str, name: &str) -> usize {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(name)
        .filter(|(i, _)| {
            !text[..*i].chars().next_back().is_some_and(ident)
                && !text[i + name.len()..].chars().next().is_some_and(ident)
        })
        .count()
}
