//! Intra-procedural taint analysis: does data from a source reach a sink argument?
//!
//! The analysis runs per function (and once for the module top level), and only on scopes
//! that contain a call to some rule's sink, so files without sinks cost nothing.
//!
//! **Sources** come from `rules/python/_taint/sources.toml` (request objects and their
//! attributes, handler parameters, `input()`, `sys.argv`, `os.environ`, file and socket reads);
//! **global sanitizers** from `rules/python/_taint/sanitizers.toml`, plus each rule's own
//! `taint.sanitizers`.
//!
//! The abstract state maps variable names (and attribute chains such as `self.cmd`) to a
//! [`Taint`]. Statements are interpreted in order:
//!
//! * assignments (also chained, augmented, annotated, tuple unpacking pairwise when the shapes
//!   agree) set or clear the target's taint; `d[k] = tainted` taints `d` (containers);
//! * an expression is tainted when any of its data-carrying sub-expressions is: names,
//!   attribute chains, f-string fields, operands of `+`/`%`, `.format`/`.join` receivers and
//!   arguments, container elements, call receivers and arguments. Exceptions: the result of a
//!   sanitizer call, comparisons and `not` (booleans), the *index* of a subscript (a lookup
//!   `TABLE[user_key]` yields a trusted value), lambdas;
//! * `if`/`elif`/`else`, `match`, `try`/`except`, loops: each branch starts from the state
//!   before it; states of branches that fall through are merged conservatively (tainted if
//!   tainted on any path); branches ending in `return`, `raise`, `continue`, `break`,
//!   `abort(...)` or `sys.exit(...)` do not flow on. Loop bodies run twice so that taint carried
//!   around the loop is seen.
//! * **allow-list checks** untaint a name inside their scope: within `if x in ALLOWED:` and
//!   `if x.isdigit():` (and the `else` of the negated forms), and after
//!   `if x not in ALLOWED: return|raise|abort(...)`. This is an approximation: the checked
//!   name is trusted, whatever the collection holds.
//!
//! A sink call is checked against the state before its statement runs; each tainted sink
//! argument yields a finding whose `taint_path` lists the source, the assignments it went
//! through, and the sink.
//!
//! Files: [`rules`] loads the rule data (sources, sanitizers, sinks), [`state`] holds the
//! abstract state, [`statements`] interprets statements, [`expressions`] evaluates
//! expressions, [`sinks`] checks sink calls.

mod expressions;
mod rules;
mod sinks;
mod state;
mod statements;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::rc::Rc;

use tree_sitter::Node;

use self::rules::{Sink, Source};
use self::state::{State, Step, Taint};
use crate::finding::TaintStepKind;
use crate::rules::raw::RawFinding;
use crate::rules::resolve::{text, NameTable, Resolver, ScopeId, MODULE_SCOPE};

/// Path of the shared sources file under `rules/`.
pub const SOURCES_FILE: &str = "python/_taint/sources.toml";
/// Path of the global sanitizers file under `rules/`.
pub const SANITIZERS_FILE: &str = "python/_taint/sanitizers.toml";

/// Deepest statement nesting analysed; deeper blocks are skipped (Python itself refuses
/// more than 100 nested blocks).
const MAX_BLOCK_DEPTH: usize = 100;
/// The most steps kept in a taint path (the source and the latest propagations).
const MAX_PATH_STEPS: usize = 8;
/// The most times a loop body is interpreted.
const MAX_LOOP_PASSES: usize = 4;

/// The compiled taint rules of a catalogue, plus the shared sources and sanitizers.
#[derive(Debug, Default)]
pub struct TaintEngine {
    sinks: Vec<Sink>,
    sink_table: NameTable<u32>,
    sources: Vec<Source>,
    source_calls: NameTable<u32>,
    source_values: HashMap<String, Vec<u32>>,
    /// Handler parameter name → source holding the object.
    source_params: HashMap<String, u32>,
    /// Source of handler parameters (`handler-params = true`).
    handler_param_source: Option<u32>,
    route_decorators: NameTable<()>,
    view_first_params: Vec<String>,
    global_sanitizers: NameTable<()>,
    /// Rule-specific sanitizers → bits of the rules they clear.
    rule_sanitizers: NameTable<u128>,
}

/// What the taint pass needs to know about one file.
pub(crate) struct TaintFile<'a, 't> {
    pub src: &'t str,
    pub root: Node<'t>,
    pub resolver: Resolver<'a>,
    /// `function_definition` nodes; scope `i + 1` is `funcs[i]`.
    pub funcs: &'a [Node<'t>],
    /// Calls to sinks with their scope, in document order.
    pub sink_calls: &'a [(Node<'t>, ScopeId)],
}

impl TaintEngine {
    /// Whether no rule has a taint spec.
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }

    /// Whether a callee is a sink of some rule.
    pub fn is_sink(&self, qual: Option<&str>, method: Option<&str>) -> bool {
        self.sink_table.contains(qual, method)
    }

    /// Analyses every scope of the file that holds a sink call.
    pub(crate) fn analyze<'t>(&self, file: &TaintFile<'_, 't>, out: &mut Vec<RawFinding<'t>>) {
        let mut scopes: Vec<ScopeId> = file.sink_calls.iter().map(|(_, s)| *s).collect();
        scopes.sort_unstable();
        scopes.dedup();
        for scope in scopes {
            let mut an = Analyzer {
                eng: self,
                file,
                scope,
                out: &mut *out,
                buf: String::new(),
            };
            let mut st = State::default();
            if scope == MODULE_SCOPE {
                an.exec_block(file.root, &mut st, 0);
            } else if let Some(func) = file.funcs.get(scope as usize - 1) {
                an.bind_params(*func, &mut st);
                if let Some(body) = func.child_by_field_name("body") {
                    an.exec_block(body, &mut st, 0);
                }
            }
        }
    }
}

struct Analyzer<'e, 'a, 't, 'o> {
    eng: &'e TaintEngine,
    file: &'e TaintFile<'a, 't>,
    scope: ScopeId,
    out: &'o mut Vec<RawFinding<'t>>,
    buf: String,
}

impl<'e, 'a, 't, 'o> Analyzer<'e, 'a, 't, 'o> {
    pub(super) fn src(&self) -> &'t str {
        self.file.src
    }

    /// Resolves a callee or name chain: `(qualified name, method name)`.
    pub(super) fn resolve(&mut self, node: Node<'t>) -> (Option<String>, Option<String>) {
        let r = self.file.resolver;
        let ok = r.resolve_into(node, self.scope, &mut self.buf);
        let qual = ok.then(|| self.buf.clone());
        let method = r.method_name(node, qual.as_deref()).map(str::to_string);
        (qual, method)
    }

    // ----- function entry -------------------------------------------------------------

    /// Taints the parameters of handler functions (routes and Django-style views).
    pub(super) fn bind_params(&mut self, func: Node<'t>, st: &mut State<'t>) {
        let Some(params) = func.child_by_field_name("parameters") else {
            return;
        };
        let mut names: Vec<(String, Node<'t>)> = Vec::new();
        let mut c = params.walk();
        for p in params.named_children(&mut c) {
            let ident = match p.kind() {
                "identifier" => Some(p),
                "typed_parameter" => {
                    let mut c2 = p.walk();
                    let found = p.named_children(&mut c2).find(|x| x.kind() == "identifier");
                    found
                }
                "default_parameter" | "typed_default_parameter" => p
                    .child_by_field_name("name")
                    .filter(|n| n.kind() == "identifier"),
                _ => None,
            };
            if let Some(id) = ident {
                names.push((text(id, self.src()).to_string(), id));
            }
        }
        let is_route = self.is_route_handler(func);
        let first = names.iter().position(|(n, _)| n != "self" && n != "cls");
        let is_view = first.is_some_and(|i| self.eng.view_first_params.contains(&names[i].0));
        if !is_route && !is_view {
            return;
        }
        let start = if is_view && !is_route {
            first.map_or(0, |i| i + 1)
        } else {
            0
        };
        for (i, (name, node)) in names.iter().enumerate() {
            if name == "self" || name == "cls" {
                continue;
            }
            if let Some(&si) = self.eng.source_params.get(name) {
                let s = &self.eng.sources[si as usize];
                if s.attributes.is_empty() {
                    st.vars.insert(name.clone(), self.source_taint(si, *node));
                } else {
                    st.objects.insert(name.clone(), si);
                }
                continue;
            }
            if i < start {
                continue;
            }
            if let Some(si) = self.eng.handler_param_source {
                st.vars.insert(name.clone(), self.source_taint(si, *node));
            }
        }
    }

    pub(super) fn is_route_handler(&mut self, func: Node<'t>) -> bool {
        let Some(parent) = func.parent().filter(|p| p.kind() == "decorated_definition") else {
            return false;
        };
        let mut c = parent.walk();
        let decorators: Vec<Node<'t>> = parent
            .named_children(&mut c)
            .filter(|d| d.kind() == "decorator")
            .collect();
        for d in decorators {
            let Some(mut e) = d.named_child(0) else {
                continue;
            };
            if e.kind() == "call" {
                match e.child_by_field_name("function") {
                    Some(f) => e = f,
                    None => continue,
                }
            }
            let (q, m) = self.resolve(e);
            if self
                .eng
                .route_decorators
                .contains(q.as_deref(), m.as_deref())
            {
                return true;
            }
        }
        false
    }

    pub(super) fn source_taint(&self, si: u32, node: Node<'t>) -> Taint<'t> {
        let s = &self.eng.sources[si as usize];
        Taint {
            kinds: s.kind_bit,
            cleared: 0,
            path: Rc::new(vec![Step {
                kind: TaintStepKind::Source,
                node,
                note: s.description.clone(),
            }]),
        }
    }

    // ----- statements -----------------------------------------------------------------
}
