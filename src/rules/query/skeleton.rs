//! A cheap necessary condition for a pattern to match at a node: the pattern's skeleton of
//! kinds and fields, without captures, text predicates, sibling order or anchors.
//!
//! The full matcher ([`super::exec`]) lists a node's children into a buffer, binds captures and
//! checks text predicates (often regexes) as it goes. Most tries fail, and most fail on the
//! shape alone: a `(_ ...)` root tried on an identifier, a `call` whose arguments hold no
//! `dictionary_splat`. [`admits`] reads the children from the same [`FlatTree`] the full matcher
//! reads, binds nothing and runs no predicate. Every match the full matcher finds passes
//! it (it only drops conditions), so it never changes a result.
//!
//! Before that, a coarser test costs one AND: a node's [`signature`] sets a bit for the (field,
//! kind) of each child and grandchild, and a pattern's [`requirement`] the bits its child and
//! grandchild steps need. A pattern whose bits are not all set cannot match there: most
//! patterns tried on a `call` are ruled out this way, once the call's signature is known.

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

/// A 128-bit summary of which (depth, field, kind) triples occur among a node's children
/// (depth 1) and grandchildren (depth 2); see [`signature`].
pub(crate) type Signature = u128;

/// Field value standing for "any field" in a signature bit.
const ANY_FIELD: u16 = u16::MAX;

fn bit(depth: u32, field: u16, kind: u16) -> Signature {
    let h = (depth.wrapping_mul(0x9E37_79B1) ^ (u32::from(field) << 16) ^ u32::from(kind))
        .wrapping_mul(0x85EB_CA77);
    1 << (h >> 25)
}

/// The bits of node `node`'s children and grandchildren: each sets its (field, kind) bit and
/// its (any field, kind) bit at its depth.
pub(crate) fn signature(node: u32, tree: &FlatTree) -> Signature {
    let mut sig = 0;
    for k in tree.children(node) {
        let kid = tree.kid(k);
        sig |= node_bits(1, kid, tree);
        for g in tree.children(kid) {
            sig |= node_bits(2, tree.kid(g), tree);
        }
    }
    sig
}

fn node_bits(depth: u32, node: u32, tree: &FlatTree) -> Signature {
    let n = tree.get(node);
    bit(depth, n.field().unwrap_or(ANY_FIELD), n.kind) | bit(depth, ANY_FIELD, n.kind)
}

/// The signature bits every node a pattern (its root step) can match has: one per child and
/// grandchild step of a single kind outside alternations. Steps with alternatives, several
/// kinds or `(_)` add none, so the test stays a necessary condition.
pub(crate) fn requirement(root: &Step) -> Signature {
    if !root.alts.is_empty() {
        return 0;
    }
    let mut req = 0;
    for c in root.children.iter().filter(|c| c.alts.is_empty()) {
        req |= step_bit(1, c);
        for g in c.children.iter().filter(|g| g.alts.is_empty()) {
            req |= step_bit(2, g);
        }
    }
    req
}

fn step_bit(depth: u32, step: &Step) -> Signature {
    match &step.kind {
        super::parse::Kind::Ids(ids) if ids.len() == 1 => {
            bit(depth, step.field.unwrap_or(ANY_FIELD), ids[0])
        }
        _ => 0,
    }
}
