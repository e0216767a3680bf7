//! What the engine and the taint pass share, without depending on each other: a match before
//! it becomes a finding ([`RawFinding`]), its captures ([`Cap`]) and the span helpers.

use tree_sitter::Node;

use crate::finding::{Confidence, Span, TaintStep};
use crate::rules::resolve::text;

/// Placeholder values in messages are cut to this many characters.
pub(crate) const MAX_PLACEHOLDER_CHARS: usize = 80;

/// A capture usable in messages and fixes: a node of the file, or text (an imported module's
/// name, a taint source, a call's resolved name).
#[derive(Debug, Clone)]
pub(crate) enum Cap<'t> {
    Node(Node<'t>),
    Text(String),
}

/// A match before it becomes a [`Finding`].
#[derive(Debug, Clone)]
pub(crate) struct RawFinding<'t> {
    pub rule: u32,
    pub node: Node<'t>,
    pub captures: Vec<(String, Cap<'t>)>,
    pub taint_path: Vec<TaintStep>,
    /// A confidence other than the rule's (a taint path whose start is unknown).
    pub confidence: Option<Confidence>,
}

/// The span of a node with 1-based lines and 1-based character columns.
pub(crate) fn span_of(node: Node, src: &str) -> Span {
    let s = node.start_position();
    let e = node.end_position();
    Span {
        start_line: s.row + 1,
        start_column: char_column(src, node.start_byte(), s.column),
        end_line: e.row + 1,
        end_column: char_column(src, node.end_byte(), e.column),
    }
}

/// 1-based character column of byte offset `byte` whose byte column is `byte_col`.
fn char_column(src: &str, byte: usize, byte_col: usize) -> usize {
    let line_start = byte.saturating_sub(byte_col);
    match src.get(line_start..byte) {
        Some(prefix) => prefix.chars().count() + 1,
        None => byte_col + 1,
    }
}

/// The first line of a node's text, trimmed, for taint steps.
pub(crate) fn snippet_one_line(src: &str, node: Node) -> String {
    one_line(text(node, src))
}

/// The first line of `s`, trimmed, cut to [`MAX_PLACEHOLDER_CHARS`] with `…`.
pub(crate) fn one_line(s: &str) -> String {
    let first = s.lines().next().unwrap_or("").trim();
    let multi = s.trim().contains('\n');
    let mut out: String = first.chars().take(MAX_PLACEHOLDER_CHARS).collect();
    if multi || first.chars().count() > MAX_PLACEHOLDER_CHARS {
        out.push('…');
    }
    out
}
