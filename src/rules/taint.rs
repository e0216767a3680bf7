//! Intra-procedural taint analysis (source → sink data flow). First version: sinks compiled,
//! analysis pending.

use tree_sitter::Node;

use super::engine::RawFinding;
use super::resolve::{NamePattern, NameTable, Resolver, ScopeId};
use super::Catalog;
use crate::error::RuleError;

/// The compiled taint rules of a catalogue.
#[derive(Debug, Default)]
pub struct TaintEngine {
    sinks: NameTable<(u32, u32)>,
}

/// What the taint pass needs to know about one file.
pub(crate) struct TaintFile<'a, 't> {
    pub src: &'t str,
    pub root: Node<'t>,
    pub resolver: Resolver<'a>,
    pub funcs: &'a [Node<'t>],
    pub sink_calls: &'a [(Node<'t>, ScopeId)],
}

impl TaintEngine {
    /// Compiles the taint specs of every rule.
    pub fn new(catalog: &Catalog) -> Result<TaintEngine, RuleError> {
        let mut sinks = NameTable::default();
        for (ri, rule) in catalog.rules().iter().enumerate() {
            if let Some(t) = &rule.taint {
                for (si, s) in t.sinks.iter().enumerate() {
                    for c in &s.callee {
                        let np = NamePattern::parse(c).map_err(|message| RuleError::Invalid {
                            file: format!("python/{}/{}.toml", rule.category, rule.id),
                            message,
                        })?;
                        sinks.insert(&np, (ri as u32, si as u32));
                    }
                }
            }
        }
        Ok(TaintEngine { sinks })
    }

    /// Whether no rule has a taint spec.
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }

    /// Whether a callee is a sink of some rule.
    pub fn is_sink(&self, qual: Option<&str>, method: Option<&str>) -> bool {
        self.sinks.contains(qual, method)
    }

    pub(crate) fn analyze<'t>(&self, _file: &TaintFile<'_, 't>, _out: &mut Vec<RawFinding<'t>>) {}
}
