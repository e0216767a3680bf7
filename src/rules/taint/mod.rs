//! Taint analysis: does data from a source reach a sink? Per function, with summaries of the
//! file's local functions applied at their calls (`summary`, `calls`), and facts left for the
//! project-wide join (`crate::rules::project`).
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
mod conditions;
mod containers;
mod expressions;
mod fold;
pub(crate) use fold::comparison_parts;
mod globals;
mod named;
mod params;
mod passed;
mod rules;
mod sinks;
mod state;
mod statements;
mod summary;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::collections::BTreeSet;

use hashbrown::{HashMap, HashSet};
use std::rc::Rc;

use tree_sitter::Node;

use self::rules::{Sink, Source};
use self::state::{State, Step, Taint};
use self::summary::{FuncTable, Summary};
use crate::finding::{Confidence, TaintStepKind};
use crate::rules::raw::RawFinding;
use crate::rules::resolve::{NameTable, Resolver, ScopeId, MODULE_SCOPE};
use crate::syntax_fields::{KindName, FIELD};

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
    /// Source of handler parameters with a number type (`scalar-handler-params = true`).
    scalar_param_source: Option<u32>,
    route_decorators: NameTable<()>,
    view_first_params: Vec<String>,
    global_sanitizers: NameTable<()>,
    /// Rule-specific sanitizers → bits of the rules they clear.
    rule_sanitizers: NameTable<u128>,
    /// Calls that return true only for safe arguments (`pattern.fullmatch(x)`).
    validators: NameTable<()>,
    /// Bits of the rules for which a guard clause makes the checked value safe.
    guard_rules: u128,
    /// Bits of the rules for which a call's result is not made of its arguments' data
    /// (unless the call is known to carry it: see `expressions::carries_arguments`).
    process_rules: u128,
    /// Containers whose items are sinks → sink index.
    store_table: NameTable<u32>,
    /// Calls that switch a store sink off in the function that makes them → sink index.
    store_unless: NameTable<u32>,
    /// Handlers whose return value is a sink.
    return_sinks: Vec<rules::ReturnSinkSpec>,
    /// Calls that run a function passed to them → index into `runner_specs`.
    runners: NameTable<u32>,
    runner_specs: Vec<rules::RunnerSpec>,
    /// Sinks known by the names code gives them (`callee-named`, `keyword-named`).
    named: named::NamedSinks,
    /// Source kinds that global sanitizers do not clear.
    persistent_kinds: u64,
}

/// Sink calls inside local functions that parameters reach, as callers use them. The clean
/// ones that are never untrusted are vouched for.
#[derive(Default)]
struct ParamSinkCalls {
    /// (sink call start, start, end, CWE): a caller that read untrusted input passed a clean
    /// value, or the function checks what reaches the call itself; the range is the call's,
    /// or a statement that built its argument on the way from the parameter.
    clean: Vec<(usize, usize, usize, u32)>,
    /// Start bytes: a caller passed an untrusted value, or the callers are unknown.
    untrusted: HashSet<usize>,
}

/// What the taint pass needs to know about one file.
pub(crate) struct TaintFile<'a, 't> {
    pub src: &'t str,
    pub root: Node<'t>,
    pub resolver: Resolver<'a>,
    /// `function_definition` nodes; scope `i + 1` is `funcs[i]`.
    pub funcs: &'a [Node<'t>],
    /// The `decorated_definition` around each of `funcs`, if any.
    pub decorated: &'a [Option<Node<'t>>],
    /// The `class_definition` each of `funcs` is a direct method of, if any.
    pub classes: &'a [Option<Node<'t>>],
    /// Calls to sinks with their scope, in document order.
    pub sink_calls: &'a [(Node<'t>, ScopeId)],
    /// Every call with its scope, in document order (for calls to local functions).
    pub calls: &'a [(Node<'t>, ScopeId)],
    /// Each call's callee, parallel to `calls`.
    pub callees: &'a [Option<Node<'t>>],
    /// The modules the file imports (for sinks that depend on the framework).
    pub imported: &'a [(Node<'t>, Vec<String>)],
}

impl<'t> TaintFile<'_, 't> {
    /// The `decorated_definition` a function definition sits in, if any (from the file index
    /// for the file's own functions: `Node::parent` searches down from the root).
    pub fn decorated_definition(&self, func: Node<'t>) -> Option<Node<'t>> {
        let start = func.start_byte();
        let i = self.funcs.partition_point(|f| f.start_byte() < start);
        match (self.funcs.get(i), self.decorated.get(i)) {
            (Some(f), Some(d)) if *f == func => *d,
            _ => func
                .parent()
                .filter(|p| p.kind_name() == "decorated_definition"),
        }
    }
}

type StoredTaint<'t> = (Option<String>, String, state::Taint<'t>);

/// What the analysis of one file shares between its scopes: the local functions and their
/// summaries.
struct FileCx<'t> {
    table: FuncTable<'t>,
    /// Calls to imported functions: (call, scope, module, function), in document order.
    imported_calls: Vec<(Node<'t>, ScopeId, String, String)>,
    /// What those calls pass (normal mode), for the project join.
    calls_out: RefCell<Vec<crate::rules::project::CallOut>>,
    /// Byte ranges the analysis vouches for, and for which CWE (see
    /// [`TaintEngine::analyze`]).
    vouched: RefCell<Vec<(usize, usize, u32)>>,
    /// Sink calls inside local functions, reached through their parameters.
    param_sink_calls: RefCell<ParamSinkCalls>,
    summaries: RefCell<HashMap<usize, Rc<Summary<'t>>>>,
    in_progress: RefCell<Vec<usize>>,
    /// Names bound at the module's top level.
    module_names: HashSet<String>,
    /// Stores of tainted data another function may read (see [`globals`]): `(class, key,
    /// taint)`, the class being that of the object whose field `key` is (`None`: a
    /// module-level container named `key`).
    global_writes: RefCell<Vec<StoredTaint<'t>>>,
}

impl TaintEngine {
    /// Whether no rule has a taint spec.
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }

    /// Whether some rule's sinks are not calls (session stores, handler return values): the
    /// analysis then also runs on request handlers without sink calls.
    pub fn has_handler_sinks(&self) -> bool {
        !self.store_table.is_empty() || !self.return_sinks.is_empty()
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
    /// Returns, besides the findings pushed to `out`, what the project join needs and the
    /// byte ranges the analysis vouches for, each for one CWE: sink calls of functions that
    /// read untrusted input where none of it (nor any parameter) reaches the call, such whole
    /// functions when no input reached any sink, and branches that never run (CWE 0: any).
    /// Pattern rules with `yield_to_taint` drop their findings there when their primary CWE
    /// is the one vouched for.
    pub(crate) fn analyze<'t>(
        &self,
        file: &TaintFile<'_, 't>,
        out: &mut Vec<RawFinding<'t>>,
    ) -> TaintOutcome<'t> {
        let new_cx = |table: FuncTable<'t>, imported_calls| FileCx {
            table,
            imported_calls,
            calls_out: RefCell::new(Vec::new()),
            summaries: RefCell::new(HashMap::new()),
            in_progress: RefCell::new(Vec::new()),
            vouched: RefCell::new(Vec::new()),
            param_sink_calls: RefCell::new(ParamSinkCalls::default()),
            module_names: HashSet::new(),
            global_writes: RefCell::new(Vec::new()),
        };
        let mut scopes: BTreeSet<ScopeId> = file.sink_calls.iter().map(|(_, s)| *s).collect();
        if self.has_handler_sinks() {
            let probe_cx = new_cx(FuncTable::default(), Vec::new());
            let mut probe_out = Vec::new();
            let mut probe =
                Analyzer::new(self, file, &probe_cx, MODULE_SCOPE, &mut probe_out, false);
            for (i, f) in file.funcs.iter().enumerate() {
                if probe.is_handler(*f) {
                    scopes.insert(i as ScopeId + 1);
                }
            }
        }
        self.key_sink_scopes(file, &mut scopes);
        globals::add_container_writers(file, &mut scopes);
        // Nothing to analyse: most files of a library.
        if scopes.is_empty() {
            return TaintOutcome {
                vouched: Vec::new(),
                pending: Vec::new(),
                calls_out: Vec::new(),
            };
        }
        let table = FuncTable::build(file);
        let mut cx = new_cx(table, Vec::new());
        cx.module_names = globals::module_names(file.root, file.src);
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
        cx.imported_calls = imported_calls(file, &cx.table, &scopes);
        for &scope in &scopes {
            let before = out.len();
            let mut an = Analyzer::new(self, file, &cx, scope, &mut *out, false);
            let mut st = State::default();
            if scope == MODULE_SCOPE {
                an.exec_block(file.root, &mut st, 0);
            } else if let Some(func) = file.funcs.get(scope as usize - 1) {
                an.bind_params(*func, &mut st);
                an.return_sinks = an.return_sinks_of(*func);
                if let Some(body) = func.child_by_field_id(FIELD.body) {
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
        self.rerun_with_globals(file, &cx, &scopes, out);
        let mut pending = Vec::new();
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
            let func = &cx.table.funcs[fi];
            let mut alone = Vec::new();
            for ps in s.sinks.iter() {
                if ps.cleared & self.sinks[ps.sink as usize].rule_bit != 0 {
                    continue;
                }
                // Its callers are unknown: whatever it passes on may be untrusted.
                let mut calls = cx.param_sink_calls.borrow_mut();
                calls.untrusted.insert(ps.call.start_byte());
                drop(calls);
                let path = (*ps.path).clone();
                let raw = an.raw_finding(
                    ps.sink,
                    ps.call,
                    ps.callee,
                    ps.arg,
                    &path,
                    Some(Confidence::Medium),
                );
                // Module-level functions can be called from other files: the project join
                // settles them. A method's callers stay unknown.
                if func.class.is_none() {
                    let sink = &self.sinks[ps.sink as usize];
                    pending.push(Pending {
                        raw,
                        function: func.name.clone(),
                        param: ps.param,
                        built: ps.built,
                        kinds: sink.kinds,
                        rule_bit: sink.rule_bit,
                        rule: sink.rule,
                    });
                } else if ps.built {
                    alone.push(raw);
                }
            }
            out.append(&mut sink_out);
            out.append(&mut alone);
        }
        let mut vouched = cx.vouched.into_inner();
        let calls = cx.param_sink_calls.into_inner();
        vouched.extend(
            (calls.clean.into_iter())
                .filter(|(call, ..)| !calls.untrusted.contains(call))
                .map(|(_, s, e, cwe)| (s, e, cwe)),
        );
        TaintOutcome {
            vouched,
            pending,
            calls_out: cx.calls_out.into_inner(),
        }
    }
}

/// What [`TaintEngine::analyze`] returns besides findings.
pub(crate) struct TaintOutcome<'t> {
    /// Byte ranges vouched for, with the CWE (0: any).
    pub vouched: Vec<(usize, usize, u32)>,
    /// Parameters of uncalled module-level functions that reach a sink.
    pub pending: Vec<Pending<'t>>,
    /// Calls into imported functions and what they pass.
    pub calls_out: Vec<crate::rules::project::CallOut>,
}

/// A parameter of an uncalled module-level function that reaches a sink: reported alone
/// when `built`, and settled by the project join.
pub(crate) struct Pending<'t> {
    pub raw: RawFinding<'t>,
    pub function: String,
    pub param: usize,
    pub built: bool,
    pub kinds: u64,
    pub rule_bit: u128,
    /// Index of the rule in the catalogue.
    pub rule: u32,
}

/// Calls to functions imported from other modules (not defined in this file).
fn imported_calls<'t>(
    file: &TaintFile<'_, 't>,
    table: &FuncTable<'t>,
    scopes: &BTreeSet<ScopeId>,
) -> Vec<(Node<'t>, ScopeId, String, String)> {
    let mut out = Vec::new();
    let mut buf = String::new();
    for (&(call, scope), &callee) in file.calls.iter().zip(file.callees) {
        if !scopes.contains(&scope) {
            continue;
        }
        let Some(f) = callee else {
            continue;
        };
        let mut root = f;
        while root.kind_name() == "attribute" {
            match root.child_by_field_id(FIELD.object) {
                Some(o) => root = o,
                None => break,
            }
        }
        if root.kind_name() != "identifier" {
            continue;
        }
        let name = crate::rules::resolve::text(root, file.src);
        if file
            .resolver
            .imports
            .lookup(name, scope, file.resolver.scopes)
            .is_none()
            || table
                .resolve_call(call, scope, &file.resolver, file.src)
                .is_some()
            || !file.resolver.resolve_into(f, scope, &mut buf)
        {
            continue;
        }
        if let Some((module, function)) = buf.rsplit_once('.') {
            out.push((call, scope, module.to_string(), function.to_string()));
        }
    }
    out
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
    /// Sinks that this scope's return values reach (a handler whose response is its
    /// return value).
    return_sinks: Vec<u32>,
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
            return_sinks: Vec::new(),
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

    /// Whether a function is a request handler: a route or a Django-style view.
    pub(super) fn is_handler(&mut self, func: Node<'t>) -> bool {
        if self.is_route_handler(func) {
            return true;
        }
        summary::first_parameter(func, self.src())
            .is_some_and(|n| self.eng.view_first_params.iter().any(|v| v == n))
    }

    pub(super) fn is_route_handler(&mut self, func: Node<'t>) -> bool {
        let eng = self.eng;
        self.decorated_with(func, &eng.route_decorators)
    }

    /// Whether a function carries a decorator (a call or a name) matching `table`.
    pub(super) fn decorated_with<T: Clone>(
        &mut self,
        func: Node<'t>,
        table: &NameTable<T>,
    ) -> bool {
        let Some(parent) = self.file.decorated_definition(func) else {
            return false;
        };
        let mut c = parent.walk();
        let decorators: Vec<Node<'t>> = parent
            .named_children(&mut c)
            .filter(|d| d.kind_name() == "decorator")
            .collect();
        for d in decorators {
            let Some(mut e) = d.named_child(0) else {
                continue;
            };
            if e.kind_name() == "call" {
                match e.child_by_field_id(FIELD.function) {
                    Some(f) => e = f,
                    None => continue,
                }
            }
            let (q, m) = self.resolve(e);
            if table.contains(q.as_deref(), m.as_deref()) {
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

impl Analyzer<'_, '_, '_, '_> {
    /// Whether this scope is a method (its `self.request` is a class-based view's request).
    fn in_method(&self) -> bool {
        (self.scope as usize)
            .checked_sub(1)
            .and_then(|i| self.cx.table.funcs.get(i))
            .is_some_and(|f| f.class.is_some())
    }
}
