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

mod calls;
mod containers;
mod expressions;
mod fold;
mod rules;
mod sinks;
mod state;
mod statements;
mod summary;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use tree_sitter::Node;

use self::rules::{Sink, Source};
use self::state::{State, Step, Taint};
use self::summary::{FuncTable, Summary};
use crate::finding::{Confidence, TaintStepKind};
use crate::rules::raw::RawFinding;
use crate::rules::resolve::{NameTable, Resolver, ScopeId, MODULE_SCOPE};

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
    /// Calls that return true only for safe arguments (`pattern.fullmatch(x)`).
    validators: NameTable<()>,
    /// Bits of the rules for which a guard clause makes the checked value safe.
    guard_rules: u128,
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
    /// Every call with its scope, in document order (for calls to local functions).
    pub calls: &'a [(Node<'t>, ScopeId)],
}

/// What the analysis of one file shares between its scopes: the local functions and their
/// summaries.
struct FileCx<'t> {
    table: FuncTable<'t>,
    /// Byte ranges the analysis vouches for, and for which CWE (see
    /// [`TaintEngine::analyze`]).
    vouched: RefCell<Vec<(usize, usize, u32)>>,
    summaries: RefCell<HashMap<usize, Rc<Summary<'t>>>>,
    in_progress: RefCell<Vec<usize>>,
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

    /// Analyses every scope of the file that holds a sink call, or calls (directly or through
    /// other local functions) a function that does. Functions whose parameters reach a sink
    /// in a built string, and that nothing in the file calls, are reported with medium
    /// confidence: their callers are unknown.
    ///
    /// Returns the byte ranges the analysis vouches for, each for one CWE: sink calls of
    /// functions that read untrusted input where none of it (nor any parameter) reaches the
    /// call, such whole functions when no input reached any sink, and branches that never
    /// run (CWE 0: any). Pattern rules with `yield_to_taint` drop their findings there when
    /// their primary CWE is the one vouched for.
    pub(crate) fn analyze<'t>(
        &self,
        file: &TaintFile<'_, 't>,
        out: &mut Vec<RawFinding<'t>>,
    ) -> Vec<(usize, usize, u32)> {
        let cx = FileCx {
            table: FuncTable::build(file.funcs, file.calls, &file.resolver, file.src),
            summaries: RefCell::new(HashMap::new()),
            in_progress: RefCell::new(Vec::new()),
            vouched: RefCell::new(Vec::new()),
        };
        let mut scopes: BTreeSet<ScopeId> = file.sink_calls.iter().map(|(_, s)| *s).collect();
        let mut reaches = vec![false; cx.table.funcs.len()];
        for &s in &scopes {
            if s != MODULE_SCOPE {
                reaches[s as usize - 1] = true;
            }
        }
        loop {
            let mut changed = false;
            for &(_, caller, fi) in &cx.table.calls {
                if reaches[fi] && scopes.insert(caller) {
                    changed = true;
                    if caller != MODULE_SCOPE {
                        reaches[caller as usize - 1] = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        for &scope in &scopes {
            let before = out.len();
            let mut an = Analyzer::new(self, file, &cx, scope, &mut *out, false);
            let mut st = State::default();
            if scope == MODULE_SCOPE {
                an.exec_block(file.root, &mut st, 0);
            } else if let Some(func) = file.funcs.get(scope as usize - 1) {
                an.bind_params(*func, &mut st);
                if let Some(body) = func.child_by_field_name("body") {
                    an.exec_block(body, &mut st, 0);
                }
                // A function that read untrusted input, none of which reached a sink: its
                // built strings are not made of that input.
                let saw = an.saw_source.get();
                let cwes = std::mem::take(&mut *an.clean_cwes.borrow_mut());
                if saw && out.len() == before {
                    let mut v = cx.vouched.borrow_mut();
                    for cwe in cwes {
                        v.push((func.start_byte(), func.end_byte(), cwe));
                    }
                }
            }
        }
        for (fi, _) in reaches
            .iter()
            .enumerate()
            .filter(|(i, r)| **r && !cx.table.called[*i])
        {
            let mut sink_out = Vec::new();
            let mut an = Analyzer::new(self, file, &cx, fi as ScopeId + 1, &mut sink_out, false);
            let s = an.summary(fi);
            if s.handler {
                continue;
            }
            for ps in s.sinks.iter().filter(|ps| ps.built) {
                let path = (*ps.path).clone();
                an.emit(
                    ps.sink,
                    ps.call,
                    ps.callee,
                    ps.arg,
                    &path,
                    Some(Confidence::Medium),
                );
            }
            out.append(&mut sink_out);
        }
        cx.vouched.into_inner()
    }
}

struct Analyzer<'e, 'a, 't, 'o> {
    eng: &'e TaintEngine,
    file: &'e TaintFile<'a, 't>,
    cx: &'e FileCx<'t>,
    scope: ScopeId,
    out: &'o mut Vec<RawFinding<'t>>,
    buf: String,
    /// When building a function's summary: what it has found so far. Findings of real
    /// sources are not reported in this mode (the scope's own analysis reports them).
    summary: Option<Summary<'t>>,
    /// Whether this scope has read a source so far.
    saw_source: std::cell::Cell<bool>,
    /// Primary CWEs of the sinks this scope called with clean arguments.
    clean_cwes: RefCell<Vec<u32>>,
}

impl<'e, 'a, 't, 'o> Analyzer<'e, 'a, 't, 'o> {
    fn new(
        eng: &'e TaintEngine,
        file: &'e TaintFile<'a, 't>,
        cx: &'e FileCx<'t>,
        scope: ScopeId,
        out: &'o mut Vec<RawFinding<'t>>,
        summarising: bool,
    ) -> Self {
        Analyzer {
            eng,
            file,
            cx,
            scope,
            out,
            buf: String::new(),
            summary: summarising.then(Summary::default),
            saw_source: std::cell::Cell::new(false),
            clean_cwes: RefCell::new(Vec::new()),
        }
    }

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

    /// Taints the parameters of handler functions (routes and Django-style views); returns
    /// whether the function is one.
    pub(super) fn bind_params(&mut self, func: Node<'t>, st: &mut State<'t>) -> bool {
        let names = summary::parameters(func, self.src());
        let is_route = self.is_route_handler(func);
        let first = names.iter().position(|(n, _)| n != "self" && n != "cls");
        let is_view = first.is_some_and(|i| self.eng.view_first_params.contains(&names[i].0));
        if !is_route && !is_view {
            return false;
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
                    self.saw_source.set(true);
                    st.objects.insert(name.clone(), si);
                }
                continue;
            }
            if i < start || has_scalar_type(*node, self.src()) {
                continue;
            }
            if let Some(si) = self.eng.handler_param_source {
                st.vars.insert(name.clone(), self.source_taint(si, *node));
            }
        }
        true
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
        self.saw_source.set(true);
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

/// Whether a parameter is annotated with a type whose values cannot carry an injection
/// (`user_id: int` in a FastAPI handler is converted, or rejected, before the call).
fn has_scalar_type(param: Node, src: &str) -> bool {
    let Some(p) = param.parent().filter(|p| {
        matches!(p.kind(), "typed_parameter" | "typed_default_parameter")
    }) else {
        return false;
    };
    p.child_by_field_name("type").is_some_and(|t| {
        matches!(
            crate::rules::resolve::text(t, src).trim(),
            "int" | "float" | "bool" | "uuid.UUID" | "UUID" | "datetime" | "date"
                | "datetime.date" | "datetime.datetime" | "Decimal" | "decimal.Decimal"
        )
    })
}

impl Analyzer<'_, '_, '_, '_> {
    /// Records a range the analysis vouches for, for `cwe` (0: any; normal mode only).
    fn vouch(&self, start: usize, end: usize, cwe: u32) {
        if self.summary.is_none() {
            self.cx.vouched.borrow_mut().push((start, end, cwe));
            if cwe != 0 {
                let mut c = self.clean_cwes.borrow_mut();
                if !c.contains(&cwe) {
                    c.push(cwe);
                }
            }
        }
    }
}
