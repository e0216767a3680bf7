//! Helpers for the filters' unit tests.

use tree_sitter::Node;

use super::scope::RangeEdit;

/// `src` with the edits `filter` makes of the node at the last occurrence of `target` (its
/// trailing whitespace only helps find it), applied bottom-up; `None` when the filter gives up.
pub(super) fn edited_at(
    src: &str,
    target: &str,
    filter: impl Fn(Node, &str) -> Option<Vec<RangeEdit>>,
) -> Option<String> {
    let mut p = tree_sitter::Parser::new();
    p.set_language(&tree_sitter_python::LANGUAGE.into())
        .expect("the Python grammar loads");
    let tree = p.parse(src, None).expect("tree-sitter parses any text");
    let at = src.rfind(target).expect("the target is in the source");
    let node = tree
        .root_node()
        .descendant_for_byte_range(at, at + target.trim_end().len())?;
    let mut edits = filter(node, src)?;
    edits.sort_by_key(|e| e.0);
    let mut out = src.to_string();
    for (s, e, t) in edits.into_iter().rev() {
        out.replace_range(s..e, &t);
    }
    Some(out)
}
