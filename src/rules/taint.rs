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

use std::collections::HashMap;
use std::rc::Rc;

use serde::Deserialize;
use tree_sitter::Node;

use super::args::{CallArgs, CompiledArg};
use super::raw::{snippet_one_line, span_of, Cap, RawFinding};
use super::resolve::{text, NamePattern, NameTable, Resolver, ScopeId, MODULE_SCOPE};
use super::{embedded_data_file, Catalog};
use crate::error::RuleError;
use crate::finding::{TaintStep, TaintStepKind};

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesFile {
    handlers: HandlersSpec,
    #[serde(default)]
    source: Vec<SourceSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct HandlersSpec {
    #[serde(default)]
    route_decorators: Vec<String>,
    #[serde(default)]
    view_first_params: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct SourceSpec {
    kind: String,
    description: String,
    #[serde(default)]
    calls: Vec<String>,
    #[serde(default)]
    values: Vec<String>,
    #[serde(default)]
    params: Vec<String>,
    #[serde(default)]
    attributes: Vec<String>,
    #[serde(default)]
    handler_params: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SanitizersFile {
    names: Vec<String>,
}

/// One compiled source entry.
#[derive(Debug)]
struct Source {
    kind_bit: u64,
    description: String,
    attributes: Vec<String>,
}

/// One compiled sink of one rule.
#[derive(Debug)]
struct Sink {
    /// Index of the rule in the catalogue.
    rule: u32,
    /// Bit of the rule among taint rules (for rule-specific sanitizers).
    rule_bit: u128,
    /// Source kinds the rule accepts.
    kinds: u64,
    positions: Vec<usize>,
    keywords: Vec<String>,
    args: Vec<CompiledArg>,
}

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

fn data_error(file: &str, message: String) -> RuleError {
    RuleError::Invalid {
        file: file.to_string(),
        message,
    }
}

impl TaintEngine {
    /// Compiles the taint specs of every rule, and the shared sources and sanitizers.
    pub fn new(catalog: &Catalog) -> Result<TaintEngine, RuleError> {
        let sources_text = embedded_data_file(SOURCES_FILE)
            .ok_or_else(|| data_error(SOURCES_FILE, "missing".into()))?;
        let sanitizers_text = embedded_data_file(SANITIZERS_FILE)
            .ok_or_else(|| data_error(SANITIZERS_FILE, "missing".into()))?;
        Self::from_data(catalog, sources_text, sanitizers_text)
    }

    /// Like [`TaintEngine::new`] with explicit data files (used by tests).
    pub fn from_data(
        catalog: &Catalog,
        sources_text: &str,
        sanitizers_text: &str,
    ) -> Result<TaintEngine, RuleError> {
        let mut eng = TaintEngine::default();
        let name = |file: &str, s: &str| NamePattern::parse(s).map_err(|m| data_error(file, m));
        let sf: SourcesFile = toml::from_str(sources_text).map_err(|source| RuleError::Toml {
            file: SOURCES_FILE.into(),
            source,
        })?;
        let mut kind_bits: HashMap<String, u64> = HashMap::new();
        for (si, s) in sf.source.iter().enumerate() {
            let next = kind_bits.len();
            if next >= 64 {
                return Err(data_error(SOURCES_FILE, "more than 64 source kinds".into()));
            }
            let bit = *kind_bits.entry(s.kind.clone()).or_insert(1u64 << next);
            eng.sources.push(Source {
                kind_bit: bit,
                description: s.description.clone(),
                attributes: s.attributes.clone(),
            });
            let si = si as u32;
            for c in &s.calls {
                eng.source_calls.insert(&name(SOURCES_FILE, c)?, si);
            }
            for v in &s.values {
                match name(SOURCES_FILE, v)? {
                    NamePattern::Exact(v) => eng.source_values.entry(v).or_default().push(si),
                    _ => {
                        return Err(data_error(
                            SOURCES_FILE,
                            format!("value `{v}` must be an exact name"),
                        ))
                    }
                }
            }
            for p in &s.params {
                eng.source_params.insert(p.clone(), si);
            }
            if s.handler_params {
                eng.handler_param_source = Some(si);
            }
        }
        for d in &sf.handlers.route_decorators {
            eng.route_decorators.insert(&name(SOURCES_FILE, d)?, ());
        }
        eng.view_first_params = sf.handlers.view_first_params;
        let san: SanitizersFile =
            toml::from_str(sanitizers_text).map_err(|source| RuleError::Toml {
                file: SANITIZERS_FILE.into(),
                source,
            })?;
        for s in &san.names {
            eng.global_sanitizers.insert(&name(SANITIZERS_FILE, s)?, ());
        }

        let mut taint_rules = 0usize;
        for (ri, rule) in catalog.rules().iter().enumerate() {
            let Some(t) = &rule.taint else { continue };
            let file = format!("python/{}/{}.toml", rule.category, rule.id);
            if taint_rules >= 128 {
                return Err(data_error(&file, "more than 128 taint rules".into()));
            }
            let rule_bit = 1u128 << taint_rules;
            taint_rules += 1;
            if t.sinks.is_empty() {
                return Err(data_error(&file, "taint.sinks is empty".into()));
            }
            let kinds = if t.sources.is_empty() {
                u64::MAX
            } else {
                let mut k = 0;
                for s in &t.sources {
                    k |= kind_bits.get(s).copied().ok_or_else(|| {
                        data_error(
                            &file,
                            format!("unknown taint source kind `{s}` (see rules/{SOURCES_FILE})"),
                        )
                    })?;
                }
                k
            };
            for s in &t.sanitizers {
                eng.rule_sanitizers.insert(&name(&file, s)?, rule_bit);
            }
            for sink in &t.sinks {
                if sink.callee.is_empty() {
                    return Err(data_error(&file, "a sink needs at least one callee".into()));
                }
                let idx = eng.sinks.len() as u32;
                for c in &sink.callee {
                    eng.sink_table.insert(&name(&file, c)?, idx);
                }
                let args = sink
                    .args
                    .iter()
                    .map(CompiledArg::compile)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|m| data_error(&file, m))?;
                eng.sinks.push(Sink {
                    rule: ri as u32,
                    rule_bit,
                    kinds,
                    positions: sink.positions.clone(),
                    keywords: sink.keywords.clone(),
                    args,
                });
            }
        }
        Ok(eng)
    }

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

/// One step of a taint path before it is rendered.
#[derive(Debug, Clone)]
struct Step<'t> {
    kind: TaintStepKind,
    node: Node<'t>,
    note: String,
}

/// The taint of a value: which source kinds may reach it, which rules' sanitizers it went
/// through, and one representative path.
#[derive(Debug, Clone)]
struct Taint<'t> {
    kinds: u64,
    cleared: u128,
    path: Rc<Vec<Step<'t>>>,
}

impl<'t> Taint<'t> {
    fn merge(a: Option<Taint<'t>>, b: Option<Taint<'t>>) -> Option<Taint<'t>> {
        match (a, b) {
            (None, x) | (x, None) => x,
            (Some(a), Some(b)) => Some(Taint {
                kinds: a.kinds | b.kinds,
                cleared: a.cleared & b.cleared,
                path: a.path,
            }),
        }
    }

    fn with_step(&self, kind: TaintStepKind, node: Node<'t>, note: String) -> Taint<'t> {
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
struct State<'t> {
    vars: HashMap<String, Taint<'t>>,
    /// Parameter name → source whose `attributes` are tainted.
    objects: HashMap<String, u32>,
}

impl<'t> State<'t> {
    fn merge(mut self, other: State<'t>) -> State<'t> {
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
enum Flow {
    Next,
    Exit,
}

struct Analyzer<'e, 'a, 't, 'o> {
    eng: &'e TaintEngine,
    file: &'e TaintFile<'a, 't>,
    scope: ScopeId,
    out: &'o mut Vec<RawFinding<'t>>,
    buf: String,
}

impl<'e, 'a, 't, 'o> Analyzer<'e, 'a, 't, 'o> {
    fn src(&self) -> &'t str {
        self.file.src
    }

    /// Resolves a callee or name chain: `(qualified name, method name)`.
    fn resolve(&mut self, node: Node<'t>) -> (Option<String>, Option<String>) {
        let r = self.file.resolver;
        let ok = r.resolve_into(node, self.scope, &mut self.buf);
        let qual = ok.then(|| self.buf.clone());
        let method = r.method_name(node, qual.as_deref()).map(str::to_string);
        (qual, method)
    }

    // ----- function entry -------------------------------------------------------------

    /// Taints the parameters of handler functions (routes and Django-style views).
    fn bind_params(&mut self, func: Node<'t>, st: &mut State<'t>) {
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

    fn is_route_handler(&mut self, func: Node<'t>) -> bool {
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

    fn source_taint(&self, si: u32, node: Node<'t>) -> Taint<'t> {
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

    /// Runs the statements of a block (or module) in order.
    fn exec_block(&mut self, block: Node<'t>, st: &mut State<'t>, depth: usize) -> Flow {
        if depth > MAX_BLOCK_DEPTH {
            return Flow::Next;
        }
        let mut c = block.walk();
        let stmts: Vec<Node<'t>> = block.named_children(&mut c).collect();
        for s in stmts {
            if self.exec_stmt(s, st, depth) == Flow::Exit {
                return Flow::Exit;
            }
        }
        Flow::Next
    }

    fn exec_stmt(&mut self, s: Node<'t>, st: &mut State<'t>, depth: usize) -> Flow {
        match s.kind() {
            "expression_statement" => {
                self.check_sinks(s, st);
                let mut c = s.walk();
                let kids: Vec<Node<'t>> = s.named_children(&mut c).collect();
                let mut exits = false;
                for e in kids {
                    match e.kind() {
                        "assignment" => self.assign(e, st),
                        "augmented_assignment" => self.augment(e, st),
                        "call" => exits |= self.is_exit_call(e),
                        _ => {}
                    }
                }
                if exits {
                    Flow::Exit
                } else {
                    Flow::Next
                }
            }
            "return_statement" | "raise_statement" => {
                self.check_sinks(s, st);
                Flow::Exit
            }
            "continue_statement" | "break_statement" => Flow::Exit,
            "if_statement" => self.exec_if(s, st, depth),
            "for_statement" => {
                if let Some(right) = s.child_by_field_name("right") {
                    self.check_sinks(right, st);
                }
                self.exec_loop(s, st, depth, true)
            }
            "while_statement" => {
                if let Some(cond) = s.child_by_field_name("condition") {
                    self.check_sinks(cond, st);
                }
                self.exec_loop(s, st, depth, false)
            }
            "with_statement" => {
                let mut c = s.walk();
                let clause = s.named_children(&mut c).find(|n| n.kind() == "with_clause");
                if let Some(clause) = clause {
                    self.check_sinks(clause, st);
                    let mut c2 = clause.walk();
                    let items: Vec<Node<'t>> = clause.named_children(&mut c2).collect();
                    for item in items {
                        let Some(v) = item.child_by_field_name("value") else {
                            continue;
                        };
                        if v.kind() == "as_pattern" {
                            let expr = v.named_child(0);
                            let target = v
                                .child_by_field_name("alias")
                                .or_else(|| v.named_child(1))
                                .and_then(|t| {
                                    if t.kind() == "as_pattern_target" {
                                        t.named_child(0)
                                    } else {
                                        Some(t)
                                    }
                                });
                            if let (Some(expr), Some(target)) = (expr, target) {
                                let t = self.eval(expr, st);
                                self.bind_target(target, None, t, s, st);
                            }
                        }
                    }
                }
                match s.child_by_field_name("body") {
                    Some(body) => self.exec_block(body, st, depth + 1),
                    None => Flow::Next,
                }
            }
            "try_statement" => self.exec_try(s, st, depth),
            "match_statement" => {
                if let Some(subj) = s.child_by_field_name("subject") {
                    self.check_sinks(subj, st);
                }
                let before = st.clone();
                let mut merged: Option<State<'t>> = Some(before.clone());
                if let Some(body) = s.child_by_field_name("body") {
                    let mut c = body.walk();
                    let cases: Vec<Node<'t>> = body.named_children(&mut c).collect();
                    for case in cases {
                        let mut bs = before.clone();
                        let flow = match case.child_by_field_name("consequence") {
                            Some(b) => self.exec_block(b, &mut bs, depth + 1),
                            None => Flow::Next,
                        };
                        if flow == Flow::Next {
                            merged = Some(match merged {
                                Some(m) => m.merge(bs),
                                None => bs,
                            });
                        }
                    }
                }
                *st = merged.unwrap_or(before);
                Flow::Next
            }
            // Other scopes are analysed on their own.
            "function_definition" | "class_definition" | "decorated_definition" => Flow::Next,
            _ => {
                self.check_sinks(s, st);
                Flow::Next
            }
        }
    }

    fn exec_if(&mut self, s: Node<'t>, st: &mut State<'t>, depth: usize) -> Flow {
        let before = st.clone();
        let mut falls: Vec<State<'t>> = Vec::new();
        // The state in which the next condition is evaluated: the negation of the previous
        // conditions holds there.
        let mut rest = before;
        let mut has_else = false;
        let mut clauses: Vec<(Option<Node<'t>>, Option<Node<'t>>)> = Vec::new();
        clauses.push((
            s.child_by_field_name("condition"),
            s.child_by_field_name("consequence"),
        ));
        let mut c = s.walk();
        for alt in s.children_by_field_name("alternative", &mut c) {
            match alt.kind() {
                "elif_clause" => clauses.push((
                    alt.child_by_field_name("condition"),
                    alt.child_by_field_name("consequence"),
                )),
                "else_clause" => {
                    has_else = true;
                    clauses.push((None, alt.child_by_field_name("body")));
                }
                _ => {}
            }
        }
        for (cond, body) in clauses {
            let mut branch = rest.clone();
            if let Some(cond) = cond {
                self.check_sinks(cond, &rest);
                let (then_keys, else_keys) = self.condition_facts(cond, 0);
                for k in &then_keys {
                    branch.vars.remove(k);
                }
                for k in &else_keys {
                    rest.vars.remove(k);
                }
            }
            let flow = match body {
                Some(b) => self.exec_block(b, &mut branch, depth + 1),
                None => Flow::Next,
            };
            if flow == Flow::Next {
                falls.push(branch);
            }
        }
        if !has_else {
            falls.push(rest);
        }
        let mut it = falls.into_iter();
        match it.next() {
            Some(first) => {
                *st = it.fold(first, State::merge);
                Flow::Next
            }
            None => Flow::Exit,
        }
    }

    /// Names a condition proves safe: `(when true, when false)`.
    fn condition_facts(&mut self, cond: Node<'t>, depth: usize) -> (Vec<String>, Vec<String>) {
        let cond = super::args::unparen(cond);
        if depth > 16 {
            return (vec![], vec![]);
        }
        match cond.kind() {
            "comparison_operator" => {
                let mut c = cond.walk();
                let ops: Vec<&str> = cond
                    .children_by_field_name("operators", &mut c)
                    .map(|o| o.kind())
                    .collect();
                let left = cond.named_child(0);
                if ops.len() == 1 {
                    if let Some(key) = left.and_then(|l| self.key_of(l)) {
                        match ops[0] {
                            "in" => return (vec![key], vec![]),
                            "not in" => return (vec![], vec![key]),
                            _ => {}
                        }
                    }
                }
                (vec![], vec![])
            }
            "not_operator" => match cond.child_by_field_name("argument") {
                Some(a) => {
                    let (t, f) = self.condition_facts(a, depth + 1);
                    (f, t)
                }
                None => (vec![], vec![]),
            },
            "boolean_operator" => {
                let op = cond.child_by_field_name("operator").map(|o| o.kind());
                let (Some(l), Some(r)) = (
                    cond.child_by_field_name("left"),
                    cond.child_by_field_name("right"),
                ) else {
                    return (vec![], vec![]);
                };
                let (lt, lf) = self.condition_facts(l, depth + 1);
                let (rt, rf) = self.condition_facts(r, depth + 1);
                if op == Some("and") {
                    (lt.into_iter().chain(rt).collect(), vec![])
                } else {
                    (vec![], lf.into_iter().chain(rf).collect())
                }
            }
            "call" => {
                // `x.isdigit()` and friends.
                let Some(f) = cond.child_by_field_name("function") else {
                    return (vec![], vec![]);
                };
                if f.kind() == "attribute" {
                    let m = f
                        .child_by_field_name("attribute")
                        .map(|a| text(a, self.src()));
                    if matches!(
                        m,
                        Some(
                            "isdigit"
                                | "isalnum"
                                | "isnumeric"
                                | "isdecimal"
                                | "isidentifier"
                                | "isalpha"
                        )
                    ) {
                        if let Some(key) =
                            f.child_by_field_name("object").and_then(|o| self.key_of(o))
                        {
                            return (vec![key], vec![]);
                        }
                    }
                }
                (vec![], vec![])
            }
            _ => (vec![], vec![]),
        }
    }

    fn exec_loop(&mut self, s: Node<'t>, st: &mut State<'t>, depth: usize, is_for: bool) -> Flow {
        let before = st.clone();
        let mut cur = st.clone();
        // Repeat until no new name becomes tainted (bounded): later passes see taint
        // carried around the loop by earlier ones.
        for _ in 0..MAX_LOOP_PASSES {
            let tainted_before = cur.vars.len();
            if is_for {
                if let (Some(left), Some(right)) = (
                    s.child_by_field_name("left"),
                    s.child_by_field_name("right"),
                ) {
                    let t = self.eval(right, &cur);
                    self.bind_target(left, None, t, s, &mut cur);
                }
            }
            let mut body_state = cur.clone();
            if let Some(body) = s.child_by_field_name("body") {
                // `continue`/`break` end the body: the state at the end still flows on.
                self.exec_block(body, &mut body_state, depth + 1);
            }
            cur = cur.merge(body_state);
            if cur.vars.len() == tainted_before {
                break;
            }
        }
        let mut after = before.merge(cur);
        if let Some(alt) = s.child_by_field_name("alternative") {
            if let Some(body) = alt.child_by_field_name("body") {
                self.exec_block(body, &mut after, depth + 1);
            }
        }
        *st = after;
        Flow::Next
    }

    fn exec_try(&mut self, s: Node<'t>, st: &mut State<'t>, depth: usize) -> Flow {
        let before = st.clone();
        let mut body_state = before.clone();
        let body_flow = match s.child_by_field_name("body") {
            Some(b) => self.exec_block(b, &mut body_state, depth + 1),
            None => Flow::Next,
        };
        // A handler may start anywhere in the body: from the merge of before and after.
        let handler_start = before.clone().merge(body_state.clone());
        let mut falls: Vec<State<'t>> = Vec::new();
        let mut c = s.walk();
        let parts: Vec<Node<'t>> = s.named_children(&mut c).collect();
        let mut else_seen = false;
        let mut finally: Option<Node<'t>> = None;
        for p in parts {
            match p.kind() {
                "except_clause" | "except_group_clause" => {
                    let mut hs = handler_start.clone();
                    let mut c2 = p.walk();
                    let block = p.named_children(&mut c2).find(|n| n.kind() == "block");
                    let flow = match block {
                        Some(b) => self.exec_block(b, &mut hs, depth + 1),
                        None => Flow::Next,
                    };
                    if flow == Flow::Next {
                        falls.push(hs);
                    }
                }
                "else_clause" => {
                    else_seen = true;
                    if body_flow == Flow::Next {
                        let mut es = body_state.clone();
                        let flow = match p.child_by_field_name("body") {
                            Some(b) => self.exec_block(b, &mut es, depth + 1),
                            None => Flow::Next,
                        };
                        if flow == Flow::Next {
                            falls.push(es);
                        }
                    }
                }
                "finally_clause" => finally = Some(p),
                _ => {}
            }
        }
        if !else_seen && body_flow == Flow::Next {
            falls.push(body_state);
        }
        let mut it = falls.into_iter();
        let (mut result, flow) = match it.next() {
            Some(first) => (it.fold(first, State::merge), Flow::Next),
            None => (handler_start, Flow::Exit),
        };
        if let Some(f) = finally {
            let mut c3 = f.walk();
            let block = f.named_children(&mut c3).find(|n| n.kind() == "block");
            if let Some(b) = block {
                if self.exec_block(b, &mut result, depth + 1) == Flow::Exit {
                    *st = result;
                    return Flow::Exit;
                }
            }
        }
        *st = result;
        flow
    }

    /// `abort(...)`, `sys.exit(...)`, `exit()`: control does not continue.
    fn is_exit_call(&mut self, call: Node<'t>) -> bool {
        let Some(f) = call.child_by_field_name("function") else {
            return false;
        };
        let (q, m) = self.resolve(f);
        matches!(
            q.as_deref(),
            Some("sys.exit" | "exit" | "quit" | "os._exit" | "abort")
        ) || m.as_deref() == Some("abort")
    }

    // ----- assignments ----------------------------------------------------------------

    fn assign(&mut self, a: Node<'t>, st: &mut State<'t>) {
        // Chained `a = b = value`: collect the targets down the `right` fields.
        let mut targets = Vec::new();
        let mut cur = a;
        let value = loop {
            if let Some(l) = cur.child_by_field_name("left") {
                targets.push(l);
            }
            match cur.child_by_field_name("right") {
                Some(r) if r.kind() == "assignment" => cur = r,
                Some(r) => break Some(r),
                None => break None,
            }
        };
        // An annotation without value (`x: int`) changes nothing.
        let Some(value) = value else { return };
        let t = self.eval(value, st);
        for target in targets {
            self.bind_target(target, Some(value), t.clone(), a, st);
        }
    }

    fn augment(&mut self, a: Node<'t>, st: &mut State<'t>) {
        let (Some(left), Some(right)) = (
            a.child_by_field_name("left"),
            a.child_by_field_name("right"),
        ) else {
            return;
        };
        let t = self.eval(right, st);
        if let Some(key) = self.key_of(left) {
            let old = st.vars.get(&key).cloned();
            if let Some(t) = t {
                let note = format!("appended to `{key}`");
                let stepped = t.with_step(TaintStepKind::Propagation, a, note);
                if let Some(m) = Taint::merge(Some(stepped), old) {
                    st.vars.insert(key, m);
                }
            }
        } else if let Some(t) = t {
            self.taint_container(left, t, a, st);
        }
    }

    /// Binds `target` to a value of taint `t`; `value` (when known) allows pairwise tuple
    /// unpacking.
    fn bind_target(
        &mut self,
        target: Node<'t>,
        value: Option<Node<'t>>,
        t: Option<Taint<'t>>,
        stmt: Node<'t>,
        st: &mut State<'t>,
    ) {
        let target = super::args::unparen(target);
        match target.kind() {
            "identifier" | "attribute" => {
                let Some(key) = self.key_of(target) else {
                    // `f().x = v`: nothing to track.
                    return;
                };
                match t {
                    Some(t) => {
                        let note = format!("assigned to `{key}`");
                        st.vars
                            .insert(key, t.with_step(TaintStepKind::Propagation, stmt, note));
                    }
                    None => {
                        st.vars.remove(&key);
                    }
                }
            }
            "subscript" => {
                if let Some(t) = t {
                    self.taint_container(target, t, stmt, st);
                }
            }
            "pattern_list" | "tuple_pattern" | "list_pattern" | "tuple" | "list" => {
                let mut c = target.walk();
                let elems: Vec<Node<'t>> = target
                    .named_children(&mut c)
                    .filter(|n| n.kind() != "comment")
                    .collect();
                let values: Option<Vec<Node<'t>>> = value.map(super::args::unparen).and_then(|v| {
                    if matches!(v.kind(), "expression_list" | "tuple" | "list") {
                        let mut c2 = v.walk();
                        let vs: Vec<Node<'t>> = v
                            .named_children(&mut c2)
                            .filter(|n| n.kind() != "comment")
                            .collect();
                        let splat = vs.iter().any(|n| n.kind() == "list_splat");
                        (vs.len() == elems.len() && !splat).then_some(vs)
                    } else {
                        None
                    }
                });
                for (i, e) in elems.iter().enumerate() {
                    let (ev, et) = match &values {
                        Some(vs) => (Some(vs[i]), self.eval(vs[i], st)),
                        None => (None, t.clone()),
                    };
                    self.bind_target(*e, ev, et, stmt, st);
                }
            }
            "list_splat_pattern" | "list_splat" => {
                if let Some(inner) = target.named_child(0) {
                    self.bind_target(inner, None, t, stmt, st);
                }
            }
            _ => {}
        }
    }

    /// `d[k] = tainted` / `d[k] += tainted`: the container `d` becomes tainted.
    fn taint_container(
        &mut self,
        target: Node<'t>,
        t: Taint<'t>,
        stmt: Node<'t>,
        st: &mut State<'t>,
    ) {
        let mut base = target;
        while base.kind() == "subscript" {
            match base.child_by_field_name("value") {
                Some(v) => base = v,
                None => return,
            }
        }
        if let Some(key) = self.key_of(base) {
            let note = format!("stored into `{key}`");
            let stepped = t.with_step(TaintStepKind::Propagation, stmt, note);
            let old = st.vars.remove(&key);
            if let Some(m) = Taint::merge(Some(stepped), old) {
                st.vars.insert(key, m);
            }
        }
    }

    /// The state key of a name or attribute chain (`x`, `self.cmd`).
    fn key_of(&self, n: Node<'t>) -> Option<String> {
        let n = super::args::unparen(n);
        match n.kind() {
            "identifier" => Some(text(n, self.src()).to_string()),
            "attribute" => {
                let mut parts = Vec::new();
                let mut cur = n;
                loop {
                    match cur.kind() {
                        "identifier" => {
                            parts.push(text(cur, self.src()));
                            break;
                        }
                        "attribute" => {
                            parts.push(text(cur.child_by_field_name("attribute")?, self.src()));
                            cur = cur.child_by_field_name("object")?;
                        }
                        _ => return None,
                    }
                }
                parts.reverse();
                Some(parts.join("."))
            }
            _ => None,
        }
    }

    // ----- expressions ----------------------------------------------------------------

    /// The taint of an expression (iterative: deep nesting cannot overflow the stack).
    fn eval(&mut self, expr: Node<'t>, st: &State<'t>) -> Option<Taint<'t>> {
        let mut result: Option<Taint<'t>> = None;
        let mut stack = vec![expr];
        while let Some(n) = stack.pop() {
            match n.kind() {
                "identifier" => {
                    let name = text(n, self.src());
                    if let Some(t) = st.vars.get(name) {
                        result = Taint::merge(result, Some(t.clone()));
                    } else if !st.objects.contains_key(name) {
                        if let Some(t) = self.value_source(n, st) {
                            result = Taint::merge(result, Some(t));
                        }
                    }
                }
                "attribute" => {
                    if let Some(key) = self.key_of(n) {
                        if let Some(t) = st.vars.get(&key) {
                            result = Taint::merge(result, Some(t.clone()));
                            continue;
                        }
                        if let Some(t) = self.value_source(n, st) {
                            result = Taint::merge(result, Some(t));
                            continue;
                        }
                    }
                    if let Some(o) = n.child_by_field_name("object") {
                        stack.push(o);
                    }
                }
                "call" => {
                    let Some(f) = n.child_by_field_name("function") else {
                        continue;
                    };
                    let (q, m) = self.resolve(f);
                    let (q, m) = (q.as_deref(), m.as_deref());
                    if self.eng.global_sanitizers.contains(q, m) {
                        continue;
                    }
                    let mut cleared = 0u128;
                    self.eng.rule_sanitizers.lookup(q, m, |b| cleared |= *b);
                    if cleared != 0 {
                        if let Some(args) = n.child_by_field_name("arguments") {
                            if let Some(mut t) = self.eval(args, st) {
                                t.cleared |= cleared;
                                result = Taint::merge(result, Some(t));
                            }
                        }
                        continue;
                    }
                    let mut src_hit = None;
                    self.eng.source_calls.lookup(q, m, |si| {
                        src_hit.get_or_insert(*si);
                    });
                    if let Some(si) = src_hit {
                        result = Taint::merge(result, Some(self.source_taint(si, n)));
                        continue;
                    }
                    // `request.args.get(...)`: the call on a source value is the source.
                    if f.kind() == "attribute"
                        && self.key_of(f).is_some_and(|k| !st.vars.contains_key(&k))
                    {
                        if let Some(mut t) = self.value_source(f, st) {
                            if let Some(step) = Rc::make_mut(&mut t.path).first_mut() {
                                step.node = n;
                            }
                            result = Taint::merge(result, Some(t));
                            continue;
                        }
                    }
                    // Receivers carry data (`x.strip()`, `"".join(x)`); a bare function
                    // name does not.
                    if f.kind() != "identifier" {
                        stack.push(f);
                    }
                    if let Some(a) = n.child_by_field_name("arguments") {
                        stack.push(a);
                    }
                }
                "subscript" => {
                    // `TABLE[user_key]` is a trusted value: only the container matters.
                    if let Some(v) = n.child_by_field_name("value") {
                        stack.push(v);
                    }
                }
                "keyword_argument" => {
                    if let Some(v) = n.child_by_field_name("value") {
                        stack.push(v);
                    }
                }
                "conditional_expression" => {
                    let mut c = n.walk();
                    for (i, ch) in n.named_children(&mut c).enumerate() {
                        if i != 1 {
                            stack.push(ch);
                        }
                    }
                }
                "named_expression" => {
                    if let Some(v) = n.child_by_field_name("value") {
                        stack.push(v);
                    }
                }
                "comparison_operator"
                | "not_operator"
                | "lambda"
                | "integer"
                | "float"
                | "true"
                | "false"
                | "none"
                | "comment"
                | "string_content"
                | "escape_sequence"
                | "string_start"
                | "string_end"
                | "format_specifier"
                | "type"
                | "ellipsis" => {}
                "interpolation" => {
                    if let Some(e) = n.child_by_field_name("expression") {
                        stack.push(e);
                    }
                }
                _ => {
                    let mut c = n.walk();
                    for ch in n.named_children(&mut c) {
                        stack.push(ch);
                    }
                }
            }
        }
        result
    }

    /// Taint of a name/attribute chain that is itself a source value (`sys.argv`,
    /// `request.args` where `request` is Flask's or a handler's request parameter).
    fn value_source(&mut self, n: Node<'t>, st: &State<'t>) -> Option<Taint<'t>> {
        // Handler request objects: `request.GET` with `request` a parameter.
        if n.kind() == "attribute" {
            let key = self.key_of(n)?;
            let mut parts = key.split('.');
            let root = parts.next()?;
            if let Some(&si) = st.objects.get(root) {
                let attr = parts.next()?;
                let s = &self.eng.sources[si as usize];
                if s.attributes.iter().any(|a| a == attr) {
                    return Some(self.source_taint(si, n));
                }
                return None;
            }
        }
        if self.eng.source_values.is_empty() {
            return None;
        }
        let (q, _) = self.resolve(n);
        let q = q?;
        let bytes = q.as_bytes();
        for end in (0..=q.len()).filter(|&i| i == q.len() || bytes[i] == b'.') {
            let prefix = &q[..end];
            let Some(sources) = self.eng.source_values.get(prefix) else {
                continue;
            };
            for &si in sources {
                let s = &self.eng.sources[si as usize];
                if s.attributes.is_empty() {
                    return Some(self.source_taint(si, n));
                }
                let rest = q[end..].strip_prefix('.').unwrap_or("");
                let attr = rest.split('.').next().unwrap_or("");
                if !attr.is_empty() && s.attributes.iter().any(|a| a == attr) {
                    return Some(self.source_taint(si, n));
                }
            }
        }
        None
    }

    // ----- sinks ----------------------------------------------------------------------

    /// Checks every sink call of this scope inside `region` against the state.
    fn check_sinks(&mut self, region: Node<'t>, st: &State<'t>) {
        let calls = self.file.sink_calls;
        let (start, end) = (region.start_byte(), region.end_byte());
        let first = calls.partition_point(|(c, _)| c.start_byte() < start);
        for &(call, scope) in &calls[first..] {
            if call.start_byte() >= end {
                break;
            }
            if scope != self.scope || call.end_byte() > end {
                continue;
            }
            self.check_sink_call(call, st);
        }
    }

    fn check_sink_call(&mut self, call: Node<'t>, st: &State<'t>) {
        let Some(f) = call.child_by_field_name("function") else {
            return;
        };
        let (q, m) = self.resolve(f);
        let mut sinks = Vec::new();
        self.eng
            .sink_table
            .lookup(q.as_deref(), m.as_deref(), |i| sinks.push(*i));
        if sinks.is_empty() {
            return;
        }
        let src = self.src();
        let args = CallArgs::of_call(call, src);
        for si in sinks {
            let sink = &self.eng.sinks[si as usize];
            if !sink.args.iter().all(|c| c.holds(&args, src)) {
                continue;
            }
            // The dangerous arguments: listed positions and keywords, or all.
            let mut candidates: Vec<(String, Node<'t>)> = Vec::new();
            if sink.positions.is_empty() && sink.keywords.is_empty() {
                if let Some(list) = call.child_by_field_name("arguments") {
                    let mut c = list.walk();
                    for (i, a) in list.named_children(&mut c).enumerate() {
                        if a.kind() != "comment" {
                            candidates.push((format!("argument {}", i + 1), a));
                        }
                    }
                }
            } else {
                for &p in &sink.positions {
                    if let Some(a) = args.positional.get(p) {
                        candidates.push((format!("argument {}", p + 1), *a));
                    }
                }
                for k in &sink.keywords {
                    if let Some((_, v)) = args.keywords.iter().find(|(n, _)| n == k) {
                        candidates.push((format!("argument `{k}`"), *v));
                    }
                }
                // `*args` / `**kwargs` may carry a dangerous argument.
                if let Some(list) = call.child_by_field_name("arguments") {
                    let mut c = list.walk();
                    for a in list.named_children(&mut c) {
                        if matches!(a.kind(), "list_splat" | "dictionary_splat") {
                            candidates.push(("unpacked arguments".to_string(), a));
                        }
                    }
                }
            }
            for (label, arg) in candidates {
                let Some(t) = self.eval(arg, st) else {
                    continue;
                };
                if t.kinds & sink.kinds == 0 || t.cleared & sink.rule_bit != 0 {
                    continue;
                }
                let callee = text(f, src);
                let t = t.with_step(
                    TaintStepKind::Sink,
                    arg,
                    format!("reaches {label} of `{}`", first_line(callee)),
                );
                let source_text = t.path.first().map(|s| text(s.node, src)).unwrap_or("");
                self.out.push(RawFinding {
                    rule: sink.rule,
                    node: call,
                    captures: vec![
                        ("callee".into(), Cap::Node(f)),
                        ("call".into(), Cap::Node(call)),
                        ("arg".into(), Cap::Node(arg)),
                        ("source".into(), Cap::Text(source_text.to_string())),
                    ],
                    taint_path: render_path(&t.path, src),
                });
                break;
            }
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("").trim()
}

fn render_path(path: &[Step], src: &str) -> Vec<TaintStep> {
    path.iter()
        .map(|s| TaintStep {
            kind: s.kind,
            span: span_of(s.node, src),
            snippet: snippet_one_line(src, s.node),
            note: s.note.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::finding::{Finding, TaintStepKind};
    use crate::rules::{parse_rule, Catalog, Engine};

    /// A taint rule named PW950 with the given `[taint]` section.
    fn rule(taint: &str) -> String {
        format!(
            r#"id = "PW950"
name = "t"
title = "T"
category = "test"
cwe = [89]
severity = "high"
confidence = "high"
message = "{{callee}} gets {{source}}"
remediation = "r"
[doc]
what = "w"
why = "w"
example = ""
use_instead = ""
references = ["https://cwe.mitre.org/data/definitions/89.html"]
{taint}
"#
        )
    }

    fn engine(taint: &str) -> Engine {
        let spec = parse_rule("python/test/PW950.toml", &rule(taint)).unwrap();
        Engine::new(Catalog::from_specs(vec![spec]).unwrap()).unwrap()
    }

    fn sql() -> Engine {
        engine(
            "[taint]\nsanitizers = [\"mydb.escape\"]\n[[taint.sinks]]\ncallee = [\"*.execute\"]\npositions = [0]\nkeywords = [\"sql\"]\n",
        )
    }

    fn scan(e: &Engine, src: &str) -> Vec<Finding> {
        e.scan_source("t.py", src).findings
    }

    fn lines(e: &Engine, src: &str) -> Vec<usize> {
        scan(e, src).iter().map(|f| f.span.start_line).collect()
    }

    const PRELUDE: &str = "from flask import request\nimport mydb\n";

    fn body(stmts: &str) -> String {
        // Line 4 is the first statement of the function body.
        format!(
            "{PRELUDE}def view():\n{}",
            stmts
                .lines()
                .map(|l| format!("    {l}\n"))
                .collect::<String>()
        )
    }

    #[test]
    fn path_lists_source_propagation_and_sink() {
        let src = body(
            "q = request.args.get('q')\nsql = 'SELECT * FROM t WHERE a = ' + q\ncur.execute(sql)",
        );
        let f = scan(&sql(), &src);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].message, "cur.execute gets request.args.get('q')");
        let kinds: Vec<TaintStepKind> = f[0].taint_path.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            vec![
                TaintStepKind::Source,
                TaintStepKind::Propagation,
                TaintStepKind::Propagation,
                TaintStepKind::Sink
            ]
        );
        let p = &f[0].taint_path;
        assert_eq!(p[0].span.start_line, 4);
        assert_eq!(p[0].snippet, "request.args.get('q')");
        assert_eq!(p[1].note, "assigned to `q`");
        assert_eq!(p[2].note, "assigned to `sql`");
        assert_eq!(p[3].span.start_line, 6);
        assert!(p[3].note.contains("argument 1"), "{}", p[3].note);
    }

    #[test]
    fn parameterized_queries_do_not_fire() {
        let e = sql();
        assert!(lines(
            &e,
            &body("q = request.args['q']\ncur.execute('SELECT * FROM t WHERE a = %s', (q,))")
        )
        .is_empty());
        assert!(lines(
            &e,
            &body("q = request.args['q']\nsql = 'SELECT 1 WHERE a = ?'\ncur.execute(sql, [q])")
        )
        .is_empty());
        assert_eq!(
            lines(
                &e,
                &body("q = request.args['q']\ncur.execute(sql=f'SELECT {q}')")
            ),
            vec![5]
        );
    }

    #[test]
    fn propagation_forms() {
        let e = sql();
        let cases = [
            "a = request.form['x']\nb = '%s' % a\ncur.execute(b)",
            "a = request.form['x']\nb = 'x {}'.format(a)\ncur.execute(b)",
            "a = request.form['x']\nb = ','.join([a, 'y'])\ncur.execute(b)",
            "a = request.json\nb = a['k'][0]\ncur.execute(b)",
            "a = request.json\ncur.execute(a.lower().strip())",
            "a, b = request.args['x'], 1\ncur.execute(a)",
            "(a, b) = get(request.args['x'])\ncur.execute(b)",
            "d = {}\nd['k'] = request.args['x']\ncur.execute(d['k'])",
            "s = 'SELECT '\ns += request.args['x']\ncur.execute(s)",
            "a = b = request.cookies['c']\ncur.execute(b)",
            "a = [x for x in request.args.values()]\ncur.execute(a[0])",
            "self.q = request.args['x']\ncur.execute(self.q)",
        ];
        for c in cases {
            assert_eq!(lines(&e, &body(c)).len(), 1, "should fire:\n{c}");
        }
    }

    #[test]
    fn sanitizers_and_kills() {
        let e = sql();
        let cases = [
            "a = int(request.args['x'])\ncur.execute('SELECT %d' % a)",
            "a = mydb.escape(request.args['x'])\ncur.execute('SELECT ' + a)",
            "a = request.args['x']\na = 'constant'\ncur.execute(a)",
            "a = request.args['x']\ncur.execute(TABLES[a])",
            "a = request.args['x']\ncur.execute('SELECT ' + str(len(a)))",
            "a = request.args['x']\ncur.execute('x' if a else 'y')",
            "a = request.method\ncur.execute(a)",
        ];
        for c in cases {
            assert!(lines(&e, &body(c)).is_empty(), "should not fire:\n{c}");
        }
        // A rule-specific sanitizer clears only that rule; mixing with unsanitised data
        // keeps the taint.
        assert_eq!(
            lines(
                &e,
                &body(
                    "a = mydb.escape(request.args['x'])\nb = request.args['y']\ncur.execute(a + b)"
                )
            )
            .len(),
            1
        );
    }

    #[test]
    fn branches_merge_and_exits_stop_flow() {
        let e = sql();
        assert_eq!(
            lines(
                &e,
                &body("if c:\n    a = request.args['x']\nelse:\n    a = 'k'\ncur.execute(a)")
            ),
            vec![8]
        );
        assert!(lines(
            &e,
            &body("a = request.args['x']\nif c:\n    a = 'k'\nelse:\n    a = 'j'\ncur.execute(a)")
        )
        .is_empty());
        assert!(lines(
            &e,
            &body("a = request.args['x']\nif c:\n    a = 'k'\nelse:\n    return\ncur.execute(a)")
        )
        .is_empty());
        assert!(lines(&e, &body("a = request.args['x']\ntry:\n    a = str(int(a))\nexcept ValueError:\n    raise\ncur.execute(a)")).is_empty());
        assert_eq!(
            lines(&e, &body("a = request.args['x']\ntry:\n    a = str(int(a))\nexcept ValueError:\n    pass\ncur.execute(a)")),
            vec![9]
        );
        // Loop-carried taint is found on the second pass.
        assert_eq!(
            lines(&e, &body("x = 'a'\ny = 'b'\nwhile c:\n    cur.execute(x)\n    x = y\n    y = request.args['q']")),
            vec![7]
        );
        // match/case branches.
        assert_eq!(
            lines(&e, &body("match k:\n    case 1:\n        a = request.args['x']\n    case _:\n        a = 'z'\ncur.execute(a)")),
            vec![9]
        );
    }

    #[test]
    fn allow_lists_untaint_in_scope() {
        let e = sql();
        assert!(lines(
            &e,
            &body("a = request.args['x']\nif a in OK:\n    cur.execute(a)")
        )
        .is_empty());
        assert!(lines(
            &e,
            &body("a = request.args['x']\nif a not in OK:\n    raise ValueError()\ncur.execute(a)")
        )
        .is_empty());
        assert!(lines(
            &e,
            &body("a = request.args['x']\nif not a in OK:\n    return\ncur.execute(a)")
        )
        .is_empty());
        assert!(lines(
            &e,
            &body("a = request.args['x']\nif a not in OK:\n    pass\nelse:\n    cur.execute(a)")
        )
        .is_empty());
        // Without an exit the check does not protect the code after it.
        assert_eq!(
            lines(
                &e,
                &body("a = request.args['x']\nif a not in OK:\n    log(a)\ncur.execute(a)")
            ),
            vec![7]
        );
        assert!(lines(
            &e,
            &body("a = request.args['x']\nif a.isdigit() and a in OK:\n    cur.execute(a)")
        )
        .is_empty());
    }

    #[test]
    fn source_kinds_filter_rules() {
        let e = engine(
            "[taint]\nsources = [\"environment\"]\n[[taint.sinks]]\ncallee = [\"*.execute\"]\n",
        );
        let src = "import os\nfrom flask import request\ncur.execute(os.getenv('Q'))\ncur.execute(request.args['q'])\ncur.execute(os.environ['X'])\n";
        assert_eq!(lines(&e, src), vec![3, 5]);
        let bad = parse_rule(
            "python/test/PW950.toml",
            &rule("[taint]\nsources = [\"nope\"]\n[[taint.sinks]]\ncallee = [\"*.execute\"]\n"),
        )
        .unwrap();
        let err = Engine::new(Catalog::from_specs(vec![bad]).unwrap()).unwrap_err();
        assert!(
            err.to_string().contains("unknown taint source kind `nope`"),
            "{err}"
        );
    }

    #[test]
    fn handler_parameters_and_sink_conditions() {
        let e = engine(
            "[taint]\n[[taint.sinks]]\ncallee = [\"subprocess.run\"]\nargs = [{ name = \"shell\", is = \"true\" }]\n",
        );
        let src = "import subprocess\n@app.route('/x/<p>')\ndef h(p):\n    subprocess.run(p, shell=True)\n    subprocess.run(p)\n\ndef plain(p):\n    subprocess.run(p, shell=True)\n";
        assert_eq!(lines(&e, src), vec![4]);
    }

    #[test]
    fn deep_expressions_in_analysed_functions_do_not_overflow() {
        let e = sql();
        let n = 5_000;
        let src = body(&format!(
            "a = request.args['x']\nb = {}a{}\ncur.execute(b)",
            "(".repeat(n),
            ")".repeat(n)
        ));
        let got = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || lines(&e, &src))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(got, vec![6]);
    }
}
