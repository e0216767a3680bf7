//! A cheap necessary condition for a pattern to match at a node: the pattern's skeleton of
//! kinds and fields, without captures, text predicates, sibling order or anchors.
//!
//! The full matcher ([`super::exec`]) lists a node's children into a buffer, binds captures and
//! checks text predicates (often regexes) as it goes. Most tries fail, and most fail on the
//! shape alone: a `(_ ...)` root tried on an identifier, a `call` whose arguments hold no
//! `dictionary_splat`. [`admits`] reads the children from the same [`FlatTree`] the full matcher
//! reads, binds nothing and runs no predicate. Every match the full matcher finds passes
//! it (it only drops conditions), so it never changes a result.

use super::exec;
use super::parse::Step;
use crate::rules::flat_tree::FlatTree;

/// Child steps beyond this many per level are not checked (the condition stays necessary).
const MAX_STEPS: usize = 64;

/// Whether `root` (a pattern's root step) may match node `node` of `tree`; `false` means it
/// cannot.
pub(crate) fn admits(root: &Step, node: u32, tree: &FlatTree) -> bool {
    step(root, node, None, tree)
}

/// Mirrors [`exec::match_step`]: the field the node sits in, then the alternatives.
fn step(step: &Step, node: u32, field: Option<u16>, tree: &FlatTree) -> bool {
    if step.field.is_some() && step.field != field {
        return false;
    }
    if step.alts.is_empty() {
        return shape(step, node, tree);
    }
    step.alts
        .iter()
        .any(|alt| (alt.field.is_none() || alt.field == field) && shape(alt, node, tree))
}

/// Mirrors [`exec::match_node`]: the kind, then every child step matched by some child.
fn shape(s: &Step, node: u32, tree: &FlatTree) -> bool {
    if !s.alts.is_empty() {
        return s.alts.iter().any(|alt| shape(alt, node, tree));
    }
    let flat = tree.get(node);
    if !exec::accepts(&s.kind, flat.kind, flat.named) {
        return false;
    }
    let steps = &s.children[..s.children.len().min(MAX_STEPS)];
    if steps.is_empty() {
        return true;
    }
    let kids = tree.children(node);
    if kids.is_empty() {
        return false;
    }
    let all: u64 = if steps.len() == 64 {
        u64::MAX
    } else {
        (1u64 << steps.len()) - 1
    };
    let mut found = 0u64;
    for k in kids {
        let kid = tree.kid(k);
        let field = tree.get(kid).field();
        for (j, c) in steps.iter().enumerate() {
            if found & (1 << j) == 0 && step(c, kid, field, tree) {
                found |= 1 << j;
            }
        }
        if found == all {
            return true;
        }
    }
    false
}
