//! A cheap necessary condition for a pattern to match at a node: the pattern's skeleton of
//! kinds and fields, without captures, text predicates, sibling order or anchors.
//!
//! The full matcher ([`super::exec`]) lists a node's children into a buffer, binds captures and
//! checks text predicates (often regexes) as it goes. Most tries fail, and most fail on the
//! shape alone: a `(_ ...)` root tried on an identifier, a `call` whose arguments hold no
//! `dictionary_splat`. [`admits`] reads the children from the per-root table the full matcher
//! also uses, binds nothing and runs no predicate. Every match the full matcher finds passes
//! it (it only drops conditions), so it never changes a result.

use tree_sitter::Node;

use super::exec::{self, Kids};
use super::parse::Step;

/// Child steps beyond this many per level are not checked (the condition stays necessary).
const MAX_STEPS: usize = 64;

/// Whether `root` (a pattern's root step) may match `node`; `false` means it cannot. Children
/// are listed through `kids`, the same per-root table the full matcher reads.
pub(crate) fn admits<'t>(root: &Step, node: Node<'t>, kids: &mut Kids<'t>) -> bool {
    step(root, node, None, kids)
}

/// Mirrors [`exec::match_step`]: the field the node sits in, then the alternatives.
fn step<'t>(step: &Step, node: Node<'t>, field: Option<u16>, kids: &mut Kids<'t>) -> bool {
    if step.field.is_some() && step.field != field {
        return false;
    }
    if step.alts.is_empty() {
        return shape(step, node, kids);
    }
    step.alts
        .iter()
        .any(|alt| (alt.field.is_none() || alt.field == field) && shape(alt, node, kids))
}

/// Mirrors [`exec::match_node`]: the kind, then every child step matched by some child.
fn shape<'t>(s: &Step, node: Node<'t>, kids: &mut Kids<'t>) -> bool {
    if !s.alts.is_empty() {
        return s.alts.iter().any(|alt| shape(alt, node, kids));
    }
    if !exec::accepts(&s.kind, node) {
        return false;
    }
    let steps = &s.children[..s.children.len().min(MAX_STEPS)];
    if steps.is_empty() {
        return true;
    }
    if node.child_count() == 0 {
        return false;
    }
    let all: u64 = if steps.len() == 64 {
        u64::MAX
    } else {
        (1u64 << steps.len()) - 1
    };
    let mut found = 0u64;
    for i in kids.of(node) {
        let (kid, field, _) = kids.get(i);
        for (j, c) in steps.iter().enumerate() {
            if found & (1 << j) == 0 && step(c, kid, field, kids) {
                found |= 1 << j;
            }
        }
        if found == all {
            return true;
        }
    }
    false
}
