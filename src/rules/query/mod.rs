//! Rule `query` patterns matched natively, during the engine's one walk over a file.
//!
//! tree-sitter's query cursor walks the whole tree once per query and, for 150 patterns, spends
//! several times a plain walk on states that die; it was most of a scan's time. Here each
//! pattern is parsed once per process ([`parse`]) and registered under its root node kind; the
//! engine's walk calls [`NativeRun::visit`] on every node of a registered kind, and the pattern
//! is matched there ([`exec`]), without a second walk and without starting states anywhere
//! else. Patterns outside the supported subset keep running through tree-sitter (the engine's
//! fallback), so unsupported syntax costs speed, not findings.
//!
//! Order: tree-sitter reports the matches of one query in the order they complete (the node the
//! last step matched, in pre-order). [`NativeRun::finish`] sorts native matches by that key,
//! after the query *group* (the combined ungated query first, then each gated query), which is
//! the order the engine ran tree-sitter queries in; the first match per (rule, node) wins
//! deduplication, so this keeps reports identical.

pub(crate) mod exec;
pub(crate) mod literals;
pub(crate) mod merge;
pub(crate) mod parse;
mod skeleton;

use tree_sitter::{Language, Node};

use self::exec::State;
use self::parse::{Kind, Names, Parsed, Step, TextPred};
use crate::rules::flat_tree::FlatTree;

/// One natively matched pattern.
#[derive(Debug)]
pub(crate) struct NativePattern {
    pub parsed: Parsed,
    pub rule: u32,
    /// Query group: 0 = the combined ungated query, `1 + g` = gated query `g`.
    pub group: u32,
    /// The gate (index into the engine's gates) that must be open, if gated.
    pub gate: Option<u32>,
    /// The gate of the literals its regexes need ([`literals`]), if any: a second condition,
    /// which leaves the pattern's group (and so the order of matches) as it is.
    pub literal_gate: Option<u32>,
    /// The signature bits a node needs for this pattern to match there.
    requirement: skeleton::Signature,
}

/// Every natively matched pattern, indexed by root node kind.
#[derive(Debug, Default)]
pub(crate) struct NativeSet {
    pub patterns: Vec<NativePattern>,
    /// Patterns by root kind id.
    by_kind: Vec<Vec<u32>>,
    /// Patterns whose root is `(_ (child) ...)` with a first child step of known kinds, by
    /// those kinds: tried on the parent of each node of such a kind, once per parent, instead
    /// of on every node.
    by_child_kind: Vec<Vec<u32>>,
    /// The other patterns whose root is `(_)`: tried on every named node.
    any_root: Vec<u32>,
    pub names: Vec<String>,
    match_capture: Option<u32>,
}

/// A structural match whose text predicates hold (`#qualname?` is checked by the engine).
pub(crate) struct NativeMatch<'t> {
    pub pattern: u32,
    pub captures: Vec<(u32, Node<'t>)>,
    key: (u32, usize, u32, u32, u32),
}

impl NativeSet {
    /// Parses every top-level pattern of `query`; `None` (and nothing added) when one of them
    /// is outside the supported subset.
    pub fn try_add(
        &mut self,
        lang: &Language,
        query: &str,
        rule: u32,
        group: u32,
        gate: Option<u32>,
    ) -> Option<()> {
        let mut names = Names {
            names: std::mem::take(&mut self.names),
        };
        let mut parsed = Vec::new();
        let mut ok = true;
        let parts = crate::rules::query_gate::top_level_patterns(query);
        for p in &parts {
            match parse::parse_pattern(p, lang, &mut names) {
                Some(x) => parsed.push(x),
                None => {
                    ok = false;
                    break;
                }
            }
        }
        // Names interned for a rejected query stay: harmless, they are never referenced.
        self.names = names.names;
        if !ok || parsed.is_empty() {
            return None;
        }
        for p in parsed {
            let pi = self.patterns.len() as u32;
            match (root_kinds(&p.root), first_child_kinds(&p.root)) {
                (Some(kinds), _) => register(&mut self.by_kind, &kinds, pi),
                (None, Some(kinds)) => register(&mut self.by_child_kind, &kinds, pi),
                (None, None) => self.any_root.push(pi),
            }
            self.patterns.push(NativePattern {
                requirement: skeleton::requirement(&p.root),
                parsed: p,
                rule,
                group,
                gate,
                literal_gate: None,
            });
        }
        self.match_capture = self
            .names
            .iter()
            .position(|n| n == "match")
            .map(|i| i as u32);
        Some(())
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The capture index of `@match`.
    pub fn match_capture(&self) -> Option<u32> {
        self.match_capture
    }

    /// Starts the matching of one file (its bytes and flat tree); `open[g]` says whether gate
    /// `g` is open.
    pub fn start<'t, 'a>(
        &'a self,
        src: &'a [u8],
        tree: &'a FlatTree<'t>,
        open: &'a [bool],
    ) -> NativeRun<'t, 'a> {
        NativeRun {
            set: self,
            src,
            tree,
            open,
            state: State {
                caps: Vec::new(),
                last: (0, 0),
            },
            found: Vec::new(),
            root_buf: Vec::new(),
            path: Vec::new(),
            tried: Default::default(),
            signature: None,
        }
    }
}

/// Root kinds of a step; `None` for `(_)` at the root.
fn root_kinds(step: &Step) -> Option<Vec<u16>> {
    if step.alts.is_empty() {
        match &step.kind {
            Kind::AnyNamed => None,
            Kind::Ids(ids) => Some(ids.clone()),
        }
    } else {
        let mut out = Vec::new();
        for a in &step.alts {
            out.extend(root_kinds(a)?);
        }
        Some(out)
    }
}

/// Adds pattern `pi` to `table` under each of `kinds`.
fn register(table: &mut Vec<Vec<u32>>, kinds: &[u16], pi: u32) {
    for &k in kinds {
        let k = k as usize;
        if table.len() <= k {
            table.resize(k + 1, Vec::new());
        }
        table[k].push(pi);
    }
}

/// For a `(_ (child) ...)` root: the kinds its first child step can match, if known. Every
/// node the pattern matches has a child of one of these kinds.
fn first_child_kinds(root: &Step) -> Option<Vec<u16>> {
    if !root.alts.is_empty() || !matches!(root.kind, Kind::AnyNamed) {
        return None;
    }
    root_kinds(root.children.first()?)
}

/// A match found at one root: its captures and where it completed.
type RootMatch<'t> = (Vec<(u32, Node<'t>)>, (usize, u32));

/// Matching in progress over one file.
pub(crate) struct NativeRun<'t, 'a> {
    set: &'a NativeSet,
    src: &'a [u8],
    tree: &'a FlatTree<'t>,
    open: &'a [bool],
    state: State<'t>,
    found: Vec<NativeMatch<'t>>,
    root_buf: Vec<RootMatch<'t>>,
    /// The visited node's ancestors: `path[d]` is the one at depth `d`.
    path: Vec<u32>,
    /// `(pattern, parent node)` pairs already tried through [`NativeSet::by_child_kind`].
    tried: hashbrown::HashSet<(u32, u32)>,
    /// The last node whose signature was computed, with it.
    signature: Option<(u32, skeleton::Signature)>,
}

impl<'t> NativeRun<'t, '_> {
    /// Tries every pattern registered for the kind of node `node` (of the flat tree), and those
    /// registered for its kind as a child on its parent. Nodes come in pre-order.
    pub fn visit(&mut self, node: u32) {
        let set = self.set;
        let flat = self.tree.get(node);
        let depth = flat.depth;
        let d = depth as usize;
        self.path.truncate(d);
        self.path.push(node);
        let kind = flat.kind as usize;
        let by_kind = set.by_kind.get(kind).map_or(&[][..], |v| v.as_slice());
        let by_child = match d {
            0 => &[][..],
            _ => set
                .by_child_kind
                .get(kind)
                .map_or(&[][..], |v| v.as_slice()),
        };
        if by_kind.is_empty() && by_child.is_empty() && set.any_root.is_empty() {
            return;
        }
        for &pi in by_kind.iter().chain(&set.any_root) {
            self.try_pattern(pi, node, depth);
        }
        for &pi in by_child {
            let parent = self.path[d - 1];
            if self.tried.insert((pi, parent)) {
                self.try_pattern(pi, parent, depth - 1);
            }
        }
    }

    /// Runs pattern `pi` at `node` if its gate is open and its skeleton fits.
    fn try_pattern(&mut self, pi: u32, node: u32, depth: u32) {
        let p = &self.set.patterns[pi as usize];
        let closed =
            |g: Option<u32>| g.is_some_and(|g| !self.open.get(g as usize).copied().unwrap_or(true));
        if closed(p.gate) || closed(p.literal_gate) {
            return;
        }
        if p.requirement != 0 {
            let sig = match self.signature {
                Some((n, sig)) if n == node => sig,
                _ => {
                    let sig = skeleton::signature(node, self.tree);
                    self.signature = Some((node, sig));
                    sig
                }
            };
            if p.requirement & !sig != 0 {
                return;
            }
        }
        if skeleton::admits(&p.parsed.root, node, self.tree) {
            self.run_pattern(pi, node, depth);
        }
    }

    fn run_pattern(&mut self, pi: u32, node: u32, depth: u32) {
        let p = &self.set.patterns[pi as usize];
        let src = self.src;
        let mut roots = std::mem::take(&mut self.root_buf);
        roots.clear();
        let cx = exec::Ctx {
            early: &p.parsed.early,
            src,
            tree: self.tree,
        };
        exec::match_step(
            &cx,
            &p.parsed.root,
            node,
            None,
            0,
            &mut self.state,
            &mut |st| {
                if text_predicates_hold(&p.parsed.text, &st.caps, src)
                    && !roots.iter().any(|(c, _)| c == &st.caps)
                {
                    roots.push((st.caps.clone(), st.last));
                }
            },
        );
        for (caps, (start, d)) in roots.drain(..) {
            self.found.push(NativeMatch {
                pattern: pi,
                captures: caps,
                key: (p.group, start, depth + d, depth, pi),
            });
        }
        self.root_buf = roots;
    }

    /// The matches, in the order tree-sitter would have reported them (see the module doc).
    pub fn finish(mut self) -> Vec<NativeMatch<'t>> {
        self.found.sort_by_key(|m| m.key);
        self.found
    }
}

fn text_predicates_hold(preds: &[TextPred], caps: &[(u32, Node)], src: &[u8]) -> bool {
    preds.iter().all(|p| text_predicate_holds(p, caps, src))
}

/// One text predicate over a match's captures, with tree-sitter's semantics.
pub(crate) fn text_predicate_holds(p: &TextPred, caps: &[(u32, Node)], src: &[u8]) -> bool {
    let text = |n: &Node| src.get(n.start_byte()..n.end_byte()).unwrap_or(&[]);
    let nodes = |c: u32| caps.iter().filter(move |(i, _)| *i == c).map(|(_, n)| n);
    match p {
        TextPred::EqCapture(a, b, positive, all) => {
            let mut n1 = nodes(*a).peekable();
            let mut n2 = nodes(*b).peekable();
            while n1.peek().is_some() && n2.peek().is_some() {
                let (Some(x), Some(y)) = (n1.next(), n2.next()) else {
                    break;
                };
                let m = text(x) == text(y);
                if m != *positive && *all {
                    return false;
                }
                if m == *positive && !*all {
                    return true;
                }
            }
            n1.next().is_none() && n2.next().is_none()
        }
        // Single-capture predicates: `all` (`#eq?`, `#match?`) needs every node of the
        // capture to pass, `any` (`#any-eq?`, `#any-match?`) stops at the first that does.
        TextPred::EqString(a, _, _, all) | TextPred::Match(a, _, _, all) => {
            for n in nodes(*a) {
                let ok = holds_on_text(p, text(n));
                if ok != *all {
                    return ok;
                }
            }
            true
        }
        TextPred::AnyOf(a, ..) => nodes(*a).all(|n| holds_on_text(p, text(n))),
    }
}

/// A single-capture predicate (one that must hold for each node of its capture) on the text
/// of one node: what [`text_predicate_holds`] decides for a capture bound to that node alone.
pub(crate) fn holds_on_text(p: &TextPred, text: &[u8]) -> bool {
    match p {
        TextPred::EqString(_, s, positive, _) => (text == s.as_bytes()) == *positive,
        TextPred::Match(_, re, positive, _) => re.is_match(text) == *positive,
        TextPred::AnyOf(_, v, positive) => v.iter().any(|s| text == s.as_bytes()) == *positive,
        // Never early: it compares two captures.
        TextPred::EqCapture(..) => true,
    }
}

#[cfg(test)]
mod tests;
