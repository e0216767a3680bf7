//! A capture of a match: what rule messages (`{name}`) and fix templates refer to.

use tree_sitter::Node;

/// A capture usable in messages and fixes: a node of the file, or text (an imported module's
/// name, a taint source, a call's resolved name).
#[derive(Debug, Clone)]
pub(crate) enum Cap<'t> {
    Node(Node<'t>),
    Text(String),
}
