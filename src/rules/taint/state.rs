//! The abstract state of the taint analysis: what is tainted, by which path.

use hashbrown::HashMap;
use std::rc::Rc;

use tree_sitter::Node;

use super::MAX_PATH_STEPS;
use crate::finding::{TaintStep, TaintStepKind};
use crate::rules::raw::{snippet_one_line, span_of};

/// One step of a taint path before it is rendered.
#[derive(Debug, Clone)]
pub(super) struct Step<'t> {
    pub(super) kind: TaintStepKind,
    pub(super) node: Node<'t>,
    pub(super) note: String,
}

/// The taint of a value: which source kinds may reach it, which rules' sanitizers it went
/// through, and one representative path.
#[derive(Debug, Clone)]
pub(super) struct Taint<'t> {
    pub(super) kinds: u64,
    pub(super) cleared: u128,
    pub(super) path: Rc<Vec<Step<'t>>>,
}

impl<'t> Taint<'t> {
    pub(super) fn merge(a: Option<Taint<'t>>, b: Option<Taint<'t>>) -> Option<Taint<'t>> {
        match (a, b) {
            (None, x) | (x, None) => x,
            (Some(a), Some(b)) => Some(Taint {
                kinds: a.kinds | b.kinds,
                cleared: a.cleared & b.cleared,
                path: a.path,
            }),
        }
    }

    pub(super) fn with_step(&self, kind: TaintStepKind, node: Node<'t>, note: String) -> Taint<'t> {
        let mut path: Vec<Step<'t>> = (*self.path).clone();
        if path.len() >= MAX_PATH_STEPS {
            // Keep the source, drop the oldest propagation.
            path.remove(1);
        }
        path.push(Step { kind, node, note });
        Taint {
            kinds: self.kinds,
            cleared: self.cleared,
            path: Rc::new(path),
        }
    }
}

/// Container elements under constant keys: index (`s:key`, `i:0`) → taint (`None`: known
/// clean, whatever the container holds otherwise).
pub(super) type Elements<'t> = HashMap<String, Option<Taint<'t>>>;

/// Variable name (or attribute chain) → taint; handler parameters holding request objects.
#[derive(Debug, Clone, Default)]
pub(super) struct State<'t> {
    pub(super) vars: HashMap<String, Taint<'t>>,
    /// Parameter name → source whose `attributes` are tainted.
    pub(super) objects: HashMap<String, u32>,
    /// Container name → its elements under constant keys. The container's own entry in
    /// `vars` is the taint of everything else in it.
    pub(super) elems: HashMap<String, Elements<'t>>,
    /// Attribute chains a check proved clean (`body.handle` after `body.handle.isalnum()`),
    /// whatever the object they belong to carries.
    pub(super) clean: hashbrown::HashSet<String>,
    /// Name → the name it is the parse of (`parts = urlsplit(url)`): a check of
    /// `parts.hostname` checks `url`.
    pub(super) parsed: HashMap<String, String>,
}

impl<'t> State<'t> {
    /// A condition showed `key` safe. `keep`: it stays, cleared for every rule (in a
    /// summary, so that callers learn their value went through a check).
    pub(super) fn mark_checked(&mut self, key: &str, keep: bool) {
        match self.vars.get_mut(key) {
            Some(t) if keep => t.cleared = u128::MAX,
            _ => self.mark_clean(key),
        }
    }

    /// Marks a name or attribute chain as proven clean.
    pub(super) fn mark_clean(&mut self, key: &str) {
        self.vars.remove(key);
        if key.contains('.') {
            self.clean.insert(key.to_string());
        }
    }

    /// The taint of element `idx` of container `base`.
    pub(super) fn element(&self, base: &str, idx: &str) -> Option<Taint<'t>> {
        match self.elems.get(base).and_then(|e| e.get(idx)) {
            Some(t) => t.clone(),
            None => self.vars.get(base).cloned(),
        }
    }

    /// The taint of a whole container: its own and all its elements'.
    pub(super) fn whole(&self, base: &str) -> Option<Taint<'t>> {
        let mut t = self.vars.get(base).cloned();
        if let Some(e) = self.elems.get(base) {
            let mut keys: Vec<&String> = e.keys().collect();
            keys.sort();
            for k in keys {
                t = Taint::merge(t, e[k].clone());
            }
        }
        t
    }

    pub(super) fn merge(mut self, other: State<'t>) -> State<'t> {
        // Elements first, while both sides' container taints are at hand.
        let mut bases: Vec<String> = self
            .elems
            .keys()
            .chain(other.elems.keys())
            .cloned()
            .collect();
        bases.sort();
        bases.dedup();
        let mut elems = HashMap::new();
        for b in bases {
            let mut idxs: Vec<String> = self
                .elems
                .get(&b)
                .into_iter()
                .chain(other.elems.get(&b))
                .flat_map(|e| e.keys().cloned())
                .collect();
            idxs.sort();
            idxs.dedup();
            let merged: Elements<'t> = idxs
                .into_iter()
                .map(|i| {
                    let t = Taint::merge(self.element(&b, &i), other.element(&b, &i));
                    (i, t)
                })
                .collect();
            elems.insert(b, merged);
        }
        self.elems = elems;
        // Clean on both paths only.
        let other_clean = other.clean;
        self.clean.retain(|k| other_clean.contains(k));
        for (k, v) in other.vars {
            let cur = self.vars.remove(&k);
            if let Some(m) = Taint::merge(cur, Some(v)) {
                self.vars.insert(k, m);
            }
        }
        for (k, v) in other.objects {
            self.objects.entry(k).or_insert(v);
        }
        // The same parse on both paths only.
        let other_parsed = other.parsed;
        self.parsed.retain(|k, v| other_parsed.get(k) == Some(v));
        self
    }

    /// The names a check of `key` covers: `key`, and what it is the parse of.
    pub(super) fn checked_keys(&self, key: &str) -> Option<String> {
        let root = key.split('.').next().unwrap_or(key);
        self.parsed.get(root).cloned()
    }
}

/// Whether control can continue after a statement or block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    Next,
    Exit,
}

pub(super) fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("").trim()
}

pub(super) fn render_path(path: &[Step], src: &str) -> Vec<TaintStep> {
    path.iter()
        .map(|s| TaintStep {
            kind: s.kind,
            span: span_of(s.node, src),
            snippet: snippet_one_line(src, s.node),
            note: s.note.clone(),
            path: None,
        })
        .collect()
}
