//! The abstract state of the taint analysis: what is tainted, by which path.

use std::collections::HashMap;
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

/// Variable name (or attribute chain) → taint; handler parameters holding request objects.
#[derive(Debug, Clone, Default)]
pub(super) struct State<'t> {
    pub(super) vars: HashMap<String, Taint<'t>>,
    /// Parameter name → source whose `attributes` are tainted.
    pub(super) objects: HashMap<String, u32>,
}

impl<'t> State<'t> {
    pub(super) fn merge(mut self, other: State<'t>) -> State<'t> {
        for (k, v) in other.vars {
            let cur = self.vars.remove(&k);
            if let Some(m) = Taint::merge(cur, Some(v)) {
                self.vars.insert(k, m);
            }
        }
        for (k, v) in other.objects {
            self.objects.entry(k).or_insert(v);
        }
        self
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
        })
        .collect()
}
