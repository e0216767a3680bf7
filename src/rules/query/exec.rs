//! Structural matching of one parsed pattern at one node: every way the pattern's steps can be
//! assigned to the node and its descendants, in the order tree-sitter's query cursor finds them.
//!
//! Semantics follow tree-sitter: child steps match visible children in document order (not
//! necessarily adjacent); a step with a kind or `(_)` only matches named nodes, a string step
//! (`"+"`) only that anonymous node; `field:` needs
//! the child in that field; `.` before a child step makes it the next named sibling (or first
//! named child), `.` after the last step makes it the last named child.

use tree_sitter::Node;

use super::parse::{Kind, Step, TextPred};
use crate::rules::flat_tree::FlatTree;

/// A match being built: captures in the order their steps matched, and the position of the
/// node the last step matched (where tree-sitter completes the match).
pub(crate) struct State<'t> {
    pub caps: Vec<(u32, Node<'t>)>,
    pub last: (usize, u32),
}

type Cont<'k, 't> = &'k mut dyn FnMut(&mut State<'t>);

/// What matching one pattern needs besides the tree: its single-capture text predicates,
/// checked as soon as their capture is bound (exactly what checking them at the end would
/// decide, since each must hold for every node of its capture), and the file's bytes.
pub(crate) struct Ctx<'p, 't> {
    pub early: &'p [(u32, TextPred)],
    pub src: &'p [u8],
    pub tree: &'p FlatTree<'t>,
}

impl Ctx<'_, '_> {
    /// Whether node `node` (of the flat tree) may be bound to `capture`.
    fn admits(&self, capture: u32, node: u32) -> bool {
        let mut preds = self.early.iter().filter(|(c, _)| *c == capture).peekable();
        if preds.peek().is_none() {
            return true;
        }
        let text = self.src.get(self.tree.byte_range(node)).unwrap_or(&[]);
        preds.all(|(_, p)| super::holds_on_text(p, text))
    }
}

/// Calls `k` once per way `step` matches `node`, sitting in `field` of its parent, at `depth`
/// (relative to the match root).
pub(crate) fn match_step<'t>(
    cx: &Ctx<'_, 't>,
    step: &Step,
    node: u32,
    field: Option<u16>,
    depth: u32,
    st: &mut State<'t>,
    k: Cont<'_, 't>,
) {
    if step.field.is_some() && step.field != field {
        return;
    }
    if step.alts.is_empty() {
        match_node(cx, step, &[], node, depth, st, k);
    } else {
        for alt in &step.alts {
            if alt.field.is_some() && alt.field != field {
                continue;
            }
            match_node(cx, alt, &step.captures, node, depth, st, k);
        }
    }
}

/// Whether a node of kind `kind`, named or not, fits a step's kind.
pub(super) fn accepts(step: &Kind, kind: u16, named: bool) -> bool {
    match step {
        Kind::AnyNamed => named,
        Kind::Ids(ids) => ids.contains(&kind),
    }
}

fn match_node<'t>(
    cx: &Ctx<'_, 't>,
    step: &Step,
    outer_caps: &[u32],
    node: u32,
    depth: u32,
    st: &mut State<'t>,
    k: Cont<'_, 't>,
) {
    if !step.alts.is_empty() {
        // A nested alternation: its alternatives carry this level's captures too.
        for alt in &step.alts {
            let mut caps: Vec<u32> = step.captures.clone();
            caps.extend_from_slice(outer_caps);
            match_node(cx, alt, &caps, node, depth, st, k);
        }
        return;
    }
    let flat = cx.tree.get(node);
    if !accepts(&step.kind, flat.kind, flat.named) {
        return;
    }
    let node_ref = flat.node;
    let saved = (st.caps.len(), st.last);
    for &c in step.captures.iter().chain(outer_caps) {
        if !cx.admits(c, node) {
            st.caps.truncate(saved.0);
            return;
        }
        st.caps.push((c, node_ref));
    }
    st.last = (node_ref.start_byte(), depth);
    if step.children.is_empty() {
        k(st);
    } else {
        let sib = Siblings {
            parent: step,
            kids: cx.tree.children(node),
            depth: depth + 1,
        };
        seq(cx, &sib, 0, sib.kids.start, None, st, k);
    }
    st.caps.truncate(saved.0);
    st.last = saved.1;
}

/// The children of a matched node that a step's child steps are matched against, in order:
/// positions in the [`FlatTree`]'s child lists.
struct Siblings<'a> {
    parent: &'a Step,
    kids: std::ops::Range<usize>,
    depth: u32,
}

/// Matches child steps `j..` of `sib.parent` against `sib.kids[from..]`; `prev` is the kid
/// the previous child step matched.
fn seq<'t>(
    cx: &Ctx<'_, 't>,
    sib: &Siblings<'_>,
    j: usize,
    from: usize,
    prev: Option<usize>,
    st: &mut State<'t>,
    k: Cont<'_, 't>,
) {
    let Siblings {
        parent,
        ref kids,
        depth,
    } = *sib;
    let steps = &parent.children;
    if j == steps.len() {
        if parent.anchor_last {
            let after = prev.map_or(kids.start, |p| p + 1);
            if (after..kids.end).any(|i| cx.tree.get(cx.tree.kid(i)).named) {
                return;
            }
        }
        k(st);
        return;
    }
    let step = &steps[j];
    if step.immediate {
        // The next named child, whatever its kind.
        let Some(i) = (from..kids.end).find(|&i| cx.tree.get(cx.tree.kid(i)).named) else {
            return;
        };
        let node = cx.tree.kid(i);
        let field = cx.tree.get(node).field();
        match_step(cx, step, node, field, depth, st, &mut |st| {
            seq(cx, sib, j + 1, i + 1, Some(i), st, k)
        });
        return;
    }
    for i in from..kids.end {
        let node = cx.tree.kid(i);
        let field = cx.tree.get(node).field();
        match_step(cx, step, node, field, depth, st, &mut |st| {
            seq(cx, sib, j + 1, i + 1, Some(i), st, k)
        });
    }
}
