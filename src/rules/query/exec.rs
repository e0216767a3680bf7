//! Structural matching of one parsed pattern at one node: every way the pattern's steps can be
//! assigned to the node and its descendants, in the order tree-sitter's query cursor finds them.
//!
//! Semantics follow tree-sitter: child steps match visible children in document order (not
//! necessarily adjacent); a step with a kind or `(_)` only matches named nodes, a string step
//! (`"+"`) only that anonymous node; `field:` needs
//! the child in that field; `.` before a child step makes it the next named sibling (or first
//! named child), `.` after the last step makes it the last named child.

use tree_sitter::{Node, TreeCursor};

use super::parse::{Kind, Step, TextPred};

/// A match being built: captures in the order their steps matched, and the position of the
/// node the last step matched (where tree-sitter completes the match).
pub(crate) struct State<'t> {
    pub caps: Vec<(u32, Node<'t>)>,
    pub last: (usize, u32),
    /// The children of the nodes looked at while matching at the current root.
    pub kids: Kids<'t>,
}

/// Children already listed while matching at the current root: every pattern registered for a
/// kind looks at the same few nodes, so each node's children are listed once per root (with
/// one reused cursor, into one buffer) and read by index. Cleared by the caller per root node.
#[derive(Default)]
pub(crate) struct Kids<'t> {
    cursor: Option<TreeCursor<'t>>,
    buf: Vec<Kid<'t>>,
    /// Node id -> `(start, len)` in `buf`.
    listed: hashbrown::HashMap<usize, (u32, u32)>,
}

impl<'t> Kids<'t> {
    pub fn clear(&mut self) {
        self.buf.clear();
        self.listed.clear();
    }

    /// `node`'s visible children, as a range of [`Kids::get`] indices.
    pub fn of(&mut self, node: Node<'t>) -> std::ops::Range<usize> {
        if let Some(&(start, len)) = self.listed.get(&node.id()) {
            return start as usize..(start + len) as usize;
        }
        let start = self.buf.len();
        let c = match &mut self.cursor {
            Some(c) => {
                c.reset(node);
                c
            }
            None => self.cursor.insert(node.walk()),
        };
        if c.goto_first_child() {
            loop {
                let n = c.node();
                self.buf
                    .push((n, c.field_id().map(|f| f.get()), n.is_named()));
                if !c.goto_next_sibling() {
                    break;
                }
            }
        }
        let len = self.buf.len() - start;
        self.listed.insert(node.id(), (start as u32, len as u32));
        start..start + len
    }

    pub fn get(&self, i: usize) -> Kid<'t> {
        self.buf[i]
    }
}

type Cont<'k, 't> = &'k mut dyn FnMut(&mut State<'t>);

/// What matching one pattern needs besides the tree: its single-capture text predicates,
/// checked as soon as their capture is bound (exactly what checking them at the end would
/// decide, since each must hold for every node of its capture), and the file's bytes.
pub(crate) struct Ctx<'p> {
    pub early: &'p [(u32, TextPred)],
    pub src: &'p [u8],
}

impl Ctx<'_> {
    fn admits(&self, capture: u32, node: Node) -> bool {
        self.early
            .iter()
            .filter(|(c, _)| *c == capture)
            .all(|(_, p)| super::text_predicate_holds(p, &[(capture, node)], self.src))
    }
}

/// Calls `k` once per way `step` matches `node`, sitting in `field` of its parent, at `depth`
/// (relative to the match root).
pub(crate) fn match_step<'t>(
    cx: &Ctx,
    step: &Step,
    node: Node<'t>,
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

pub(super) fn accepts(kind: &Kind, node: Node) -> bool {
    match kind {
        Kind::AnyNamed => node.is_named(),
        Kind::Ids(ids) => ids.contains(&node.kind_id()),
    }
}

fn match_node<'t>(
    cx: &Ctx,
    step: &Step,
    outer_caps: &[u32],
    node: Node<'t>,
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
    if !accepts(&step.kind, node) {
        return;
    }
    let saved = (st.caps.len(), st.last);
    for &c in step.captures.iter().chain(outer_caps) {
        if !cx.admits(c, node) {
            st.caps.truncate(saved.0);
            return;
        }
        st.caps.push((c, node));
    }
    st.last = (node.start_byte(), depth);
    if step.children.is_empty() {
        k(st);
    } else {
        let sib = Siblings {
            parent: step,
            kids: st.kids.of(node),
            depth: depth + 1,
        };
        seq(cx, &sib, 0, sib.kids.start, None, st, k);
    }
    st.caps.truncate(saved.0);
    st.last = saved.1;
}

/// A visible child: the node, its field in the parent, whether it is named.
pub(crate) type Kid<'t> = (Node<'t>, Option<u16>, bool);

/// The children of a matched node that a step's child steps are matched against, in order:
/// indices into [`State::kids`].
struct Siblings<'a> {
    parent: &'a Step,
    kids: std::ops::Range<usize>,
    depth: u32,
}

/// Matches child steps `j..` of `sib.parent` against `sib.kids[from..]`; `prev` is the kid
/// the previous child step matched.
fn seq<'t>(
    cx: &Ctx,
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
            if (after..kids.end).any(|i| st.kids.get(i).2) {
                return;
            }
        }
        k(st);
        return;
    }
    let step = &steps[j];
    if step.immediate {
        // The next named child, whatever its kind.
        let Some(i) = (from..kids.end).find(|&i| st.kids.get(i).2) else {
            return;
        };
        let (node, field, _) = st.kids.get(i);
        match_step(cx, step, node, field, depth, st, &mut |st| {
            seq(cx, sib, j + 1, i + 1, Some(i), st, k)
        });
        return;
    }
    for i in from..kids.end {
        let (node, field, _) = st.kids.get(i);
        match_step(cx, step, node, field, depth, st, &mut |st| {
            seq(cx, sib, j + 1, i + 1, Some(i), st, k)
        });
    }
}
