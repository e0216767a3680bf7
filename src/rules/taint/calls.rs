//! Calls to local functions: summaries built on demand, applied where they are called.

use std::rc::Rc;

use tree_sitter::Node;

use super::state::{render_path, State, Step, Taint};
use super::summary::{ParamSink, Summary, MAX_PARAMS, PARAM_SHIFT, SOURCE_MASK};
use super::Analyzer;
use crate::finding::{Confidence, TaintStepKind};
use crate::rules::raw::{Cap, RawFinding};
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

/// The most parameter-to-sink facts one summary keeps.
const MAX_SUMMARY_SINKS: usize = 32;
/// The most steps a path through several functions keeps.
const MAX_CALL_PATH_STEPS: usize = 16;

/// The parameter indexes whose marker bits are set in `kinds`.
pub(super) fn param_bits(kinds: u64) -> impl Iterator<Item = usize> {
    let bits = kinds >> PARAM_SHIFT;
    (0..MAX_PARAMS).filter(move |i| bits & (1 << i) != 0)
}

/// `a` then `b`, the first step of `b` (a parameter) becoming a propagation step.
fn join_paths<'t>(a: &[Step<'t>], b: &[Step<'t>]) -> Rc<Vec<Step<'t>>> {
    let mut v: Vec<Step<'t>> = a.to_vec();
    for (i, s) in b.iter().enumerate() {
        let mut s = s.clone();
        if i == 0 && s.kind == TaintStepKind::Source {
            s.kind = TaintStepKind::Propagation;
        }
        v.push(s);
    }
    if v.len() > MAX_CALL_PATH_STEPS {
        let cut = v.len() - MAX_CALL_PATH_STEPS;
        v.drain(1..=cut);
    }
    Rc::new(v)
}

impl<'e, 'a, 't, 'o> Analyzer<'e, 'a, 't, 'o> {
    /// The summary of local function `fi`, computed once per file (empty while it is being
    /// computed, for recursion).
    pub(super) fn summary(&mut self, fi: usize) -> Rc<Summary<'t>> {
        if let Some(s) = self.cx.summaries.borrow().get(&fi) {
            return s.clone();
        }
        if self.cx.in_progress.borrow().contains(&fi) {
            return Rc::new(Summary::default());
        }
        self.cx.in_progress.borrow_mut().push(fi);
        let mut sink_out = Vec::new();
        let func = &self.cx.table.funcs[fi];
        let mut an = Analyzer::new(
            self.eng,
            self.file,
            self.cx,
            fi as u32 + 1,
            &mut sink_out,
            true,
        );
        if let Some(s) = an.summary.as_mut() {
            s.param_count = func.params.len().min(MAX_PARAMS);
        }
        let mut st = State::default();
        let handler = an.bind_params(func.node, &mut st);
        if !handler {
            for (i, (name, node)) in func.params.iter().enumerate().take(MAX_PARAMS) {
                if st.vars.contains_key(name) || st.objects.contains_key(name) {
                    continue;
                }
                let taint = Taint {
                    kinds: 1u64 << (PARAM_SHIFT + i as u32),
                    cleared: 0,
                    path: Rc::new(vec![Step {
                        kind: TaintStepKind::Source,
                        node: *node,
                        note: format!("parameter `{name}` of `{}`", func.name),
                    }]),
                };
                st.vars.insert(name.clone(), taint);
            }
        }
        if let Some(body) = func.node.child_by_field_id(FIELD.body) {
            an.exec_block(body, &mut st, 0);
        }
        let mut s = an.summary.take().unwrap_or_default();
        s.handler = handler;
        let s = Rc::new(s);
        self.cx.in_progress.borrow_mut().retain(|&x| x != fi);
        self.cx.summaries.borrow_mut().insert(fi, s.clone());
        s
    }

    /// The local function a call runs, if any.
    pub(super) fn local_callee(&self, call: Node<'t>) -> Option<usize> {
        self.cx
            .table
            .resolve_call(call, self.scope, &self.file.resolver, self.src())
    }

    /// The taint of a call to local function `fi`, from its summary's return value.
    pub(super) fn call_result(
        &mut self,
        call: Node<'t>,
        fi: usize,
        st: &State<'t>,
    ) -> Option<Taint<'t>> {
        let s = self.summary(fi);
        let ret = s.returns.as_ref()?;
        self.substitute(call, fi, ret, st)
    }

    /// A taint of function `fi`'s summary as seen by `call`: its real sources, and for each
    /// parameter marker the taint of the argument passed there.
    pub(super) fn substitute(
        &mut self,
        call: Node<'t>,
        fi: usize,
        ret: &Taint<'t>,
        st: &State<'t>,
    ) -> Option<Taint<'t>> {
        let name = self.cx.table.funcs[fi].name.clone();
        let mut result = None;
        if ret.kinds & SOURCE_MASK != 0 {
            result = Some(Taint {
                kinds: ret.kinds & SOURCE_MASK,
                cleared: ret.cleared,
                path: ret.path.clone(),
            });
        }
        for p in param_bits(ret.kinds) {
            let Some((_, t)) = self.marker_argument(call, fi, p, st) else {
                continue;
            };
            if let Some(mut t) = t {
                t.cleared |= ret.cleared;
                let note = format!("returned by `{name}`");
                result = Taint::merge(
                    result,
                    Some(t.with_step(TaintStepKind::Propagation, call, note)),
                );
            }
        }
        result
    }

    /// The argument `call` passes for marker `p` of local function `fi`, and its taint here.
    /// A marker of an element of a parameter takes that element of the argument when the
    /// argument's elements are known (a tuple literal, a local call returning a tuple, a name
    /// with tracked elements), else the whole argument.
    pub(super) fn marker_argument(
        &mut self,
        call: Node<'t>,
        fi: usize,
        p: usize,
        st: &State<'t>,
    ) -> Option<(Node<'t>, Option<Taint<'t>>)> {
        let Some((param, i, n)) = self.summary(fi).element_of(p) else {
            let arg = self.cx.table.argument(call, fi, p, self.src())?;
            return Some((arg, self.eval(arg, st)));
        };
        let arg = self.cx.table.argument(call, fi, param, self.src())?;
        let t = match self.unpacked(arg, n, st) {
            Some(mut elems) => elems.swap_remove(i),
            None => self.eval(arg, st),
        };
        Some((arg, t))
    }

    /// Summary mode: markers of their own for the `n` elements of parameter `p`, which this
    /// function unpacks (`a, b = p`); `t` is the parameter's untouched marker. `None` when the
    /// marker bits run out.
    pub(super) fn param_elements(
        &mut self,
        p: usize,
        n: usize,
        t: &Taint<'t>,
    ) -> Option<Vec<Option<Taint<'t>>>> {
        let s = self.summary.as_mut()?;
        if p >= s.param_count {
            // An element of an element: the whole one stands for it.
            return None;
        }
        let base = match s.elem_params.iter().position(|&e| e == (p, 0, n)) {
            Some(k) => s.param_count + k,
            None => {
                let base = s.param_count + s.elem_params.len();
                if base + n > MAX_PARAMS {
                    return None;
                }
                s.elem_params.extend((0..n).map(|i| (p, i, n)));
                base
            }
        };
        let origin = t.path.first()?;
        Some(
            (0..n)
                .map(|i| {
                    Some(Taint {
                        kinds: 1u64 << (PARAM_SHIFT + (base + i) as u32),
                        cleared: 0,
                        path: Rc::new(vec![Step {
                            kind: TaintStepKind::Source,
                            node: origin.node,
                            note: format!("element {i} of {}", origin.note),
                        }]),
                    })
                })
                .collect(),
        )
    }

    /// Calls in `region` (of this scope) to local functions whose parameters reach sinks.
    pub(super) fn check_local_calls(&mut self, region: Node<'t>, st: &State<'t>) {
        let (start, end) = (region.start_byte(), region.end_byte());
        let calls = &self.cx.table.calls;
        let first = calls.partition_point(|(c, _, _)| c.start_byte() < start);
        let mine: Vec<(Node<'t>, usize)> = calls[first..]
            .iter()
            .take_while(|(c, _, _)| c.start_byte() < end)
            .filter(|(c, s, _)| *s == self.scope && c.end_byte() <= end)
            .map(|(c, _, fi)| (*c, *fi))
            .collect();
        for (call, fi) in mine {
            let s = self.summary(fi);
            for ps in &s.sinks {
                self.apply_param_sink(call, fi, ps, st);
            }
        }
    }

    fn apply_param_sink(&mut self, call: Node<'t>, fi: usize, ps: &ParamSink<'t>, st: &State<'t>) {
        let Some((arg, t)) = self.marker_argument(call, fi, ps.param, st) else {
            return;
        };
        let sink = &self.eng.sinks[ps.sink as usize];
        let Some(t) = t else {
            self.note_param_sink_call(ps, Some(false));
            return;
        };
        let cleared = (t.cleared | ps.cleared) & sink.rule_bit != 0;
        if cleared && self.summary.is_none() {
            self.note_param_sink_call(ps, Some(true));
            return;
        }
        let real = self.summary(fi).real_param(ps.param);
        let func = &self.cx.table.funcs[fi];
        let Some((pname, pnode)) = func.params.get(real) else {
            return;
        };
        let note = format!("passed to `{}` as `{pname}`", func.name);
        let at_call = t.with_step(TaintStepKind::Propagation, arg, note);
        // Values of several parameters merged on the way to the sink keep one path, which may
        // start at another parameter (`path_for(owner_id, filename)`): it starts at this one.
        let mut inner = ps.path.as_ref().clone();
        if let Some(first) = inner.first_mut() {
            if first.kind == TaintStepKind::Source && first.node.id() != pnode.id() {
                first.node = *pnode;
                first.note = format!("parameter `{pname}` of `{}`", func.name);
            }
        }
        let path = join_paths(&at_call.path, &inner);
        if self.summary.is_none() {
            if t.kinds & SOURCE_MASK & sink.kinds != 0 {
                self.note_param_sink_call(ps, None);
                self.emit(ps.sink, ps.call, ps.callee, ps.arg, &path, None);
            }
            return;
        }
        let built = ps.built || super::summary::is_built(arg, self.src());
        for p in param_bits(t.kinds) {
            self.record_param_sink(ParamSink {
                param: p,
                sink: ps.sink,
                call: ps.call,
                callee: ps.callee,
                arg: ps.arg,
                cleared: t.cleared | ps.cleared,
                path: path.clone(),
                built,
            });
        }
    }

    /// Normal mode: this scope passed a clean value (`Some(sanitized)`) or an untrusted one
    /// (`None`) to a local function whose parameter reaches the sink call of `ps`. A value
    /// that is clean because nothing is known of it counts only in a scope that read
    /// untrusted input, as for a sink call of its own (see `check_sink_call`); one that a
    /// sanitizer or a guard cleared counts anywhere.
    fn note_param_sink_call(&self, ps: &ParamSink<'t>, clean: Option<bool>) {
        if self.summary.is_some() || clean == Some(false) && !self.saw_source.get() {
            return;
        }
        let mut calls = self.cx.param_sink_calls.borrow_mut();
        if clean.is_some() {
            let cwe = self.eng.sinks[ps.sink as usize].cwe;
            let (call, end) = (ps.call.start_byte(), ps.call.end_byte());
            calls.clean.push((call, call, end, cwe));
            // The statements that carried the parameter to the call (`sql = "..." + clause`)
            // are vouched for with it: what they built is clean too.
            let scope = enclosing_function(ps.call).map(|f| f.id());
            for step in ps
                .path
                .iter()
                .filter(|s| s.kind == TaintStepKind::Propagation)
            {
                let n = step.node;
                if matches!(
                    n.kind_name(),
                    "assignment" | "augmented_assignment" | "expression_statement"
                ) && n.end_byte() <= call
                    && enclosing_function(n).map(|f| f.id()) == scope
                {
                    calls.clean.push((call, n.start_byte(), n.end_byte(), cwe));
                }
            }
        } else {
            calls.untrusted.insert(ps.call.start_byte());
        }
    }

    /// Adds a fact to the summary being built (deduplicated, bounded).
    pub(super) fn record_param_sink(&mut self, ps: ParamSink<'t>) {
        let Some(s) = self.summary.as_mut() else {
            return;
        };
        let bit = self.eng.sinks[ps.sink as usize].rule_bit;
        if s.sinks.len() >= MAX_SUMMARY_SINKS
            || s.sinks.iter().any(|x| {
                x.param == ps.param
                    && x.sink == ps.sink
                    && x.call == ps.call
                    && (x.cleared ^ ps.cleared) & bit == 0
            })
        {
            return;
        }
        s.sinks.push(ps);
    }

    /// In summary mode: the value a `return` statement returns.
    pub(super) fn note_return(&mut self, ret: Node<'t>, st: &State<'t>) {
        if self.summary.is_none() {
            return;
        }
        let Some(value) = ret.named_child(0) else {
            return;
        };
        let t = self.eval(value, st);
        let v = crate::rules::args::unparen(value);
        let elems: Option<Vec<Option<Taint<'t>>>> =
            if matches!(v.kind_name(), "tuple" | "expression_list") {
                self.literal_elements(v, st)
                    .map(|(e, _)| e.into_iter().map(|(_, t)| t).collect())
            } else {
                None
            };
        if let Some(s) = self.summary.as_mut() {
            s.returns = Taint::merge(s.returns.take(), t);
            match (elems, s.returns_elems.take()) {
                (Some(new), None) if !s.returns_mixed => s.returns_elems = Some(new),
                (Some(new), Some(old)) if new.len() == old.len() => {
                    s.returns_elems = Some(
                        old.into_iter()
                            .zip(new)
                            .map(|(a, b)| Taint::merge(a, b))
                            .collect(),
                    )
                }
                _ => s.returns_mixed = true,
            }
        }
    }

    /// Reports a finding of sink `sink` at `call`.
    pub(super) fn emit(
        &mut self,
        sink: u32,
        call: Node<'t>,
        callee: Node<'t>,
        arg: Node<'t>,
        path: &[Step<'t>],
        confidence: Option<Confidence>,
    ) {
        let raw = self.raw_finding(sink, call, callee, arg, path, confidence);
        self.out.push(raw);
    }

    /// The raw finding of sink `sink` at `call`.
    pub(super) fn raw_finding(
        &self,
        sink: u32,
        call: Node<'t>,
        callee: Node<'t>,
        arg: Node<'t>,
        path: &[Step<'t>],
        confidence: Option<Confidence>,
    ) -> RawFinding<'t> {
        let src = self.src();
        let source_text = path.first().map(|s| text(s.node, src)).unwrap_or("");
        let mut captures = vec![
            ("callee".into(), Cap::Node(callee)),
            ("call".into(), Cap::Node(call)),
            ("arg".into(), Cap::Node(arg)),
            ("value".into(), Cap::Node(arg)),
            ("source".into(), Cap::Text(source_text.to_string())),
        ];
        // Where the value was first read (a fix may make it safe there).
        if let Some(first) = path.first() {
            captures.push(("origin".into(), Cap::Node(first.node)));
        }
        let nodes: Vec<Node<'t>> = path.iter().map(|s| s.node).collect();
        if let Some(b) = crate::rules::built::first_built(&nodes, src) {
            captures.push(("built".into(), Cap::Node(b)));
        }
        if let Some(b) = crate::rules::built::last_built(&nodes, src) {
            captures.push(("built_last".into(), Cap::Node(b)));
        }
        RawFinding {
            rule: self.eng.sinks[sink as usize].rule,
            node: call,
            captures,
            taint_path: render_path(path, src),
            confidence,
        }
    }

    /// Calls in `region` (of this scope) to functions imported from other modules: what
    /// each positional argument carries, for the project join.
    pub(super) fn record_calls_out(&mut self, region: Node<'t>, st: &State<'t>) {
        if self.summary.is_some() {
            return;
        }
        let (start, end) = (region.start_byte(), region.end_byte());
        let calls = &self.cx.imported_calls;
        let first = calls.partition_point(|(c, _, _, _)| c.start_byte() < start);
        let mine: Vec<(Node<'t>, String, String)> = calls[first..]
            .iter()
            .take_while(|(c, _, _, _)| c.start_byte() < end)
            .filter(|(c, s, _, _)| *s == self.scope && c.end_byte() <= end)
            .map(|(c, _, m, f)| (*c, m.clone(), f.clone()))
            .collect();
        for (call, module, function) in mine {
            let mut args = Vec::new();
            if let Some(list) = call.child_by_field_id(FIELD.arguments) {
                let mut c = list.walk();
                let positional: Vec<Node<'t>> = list
                    .named_children(&mut c)
                    .filter(|a| {
                        !matches!(
                            a.kind_name(),
                            "comment" | "keyword_argument" | "list_splat" | "dictionary_splat"
                        )
                    })
                    .collect();
                for a in positional {
                    let t = self.eval(a, st).filter(|t| t.kinds & SOURCE_MASK != 0);
                    args.push(t.map(|t| {
                        let note = format!("passed to `{function}` of `{module}`");
                        let stepped = t.with_step(TaintStepKind::Propagation, a, note);
                        crate::rules::project::ArgTaint {
                            kinds: t.kinds & SOURCE_MASK,
                            cleared: t.cleared,
                            steps: render_path(&stepped.path, self.src()),
                        }
                    }));
                }
            }
            self.cx
                .calls_out
                .borrow_mut()
                .push(crate::rules::project::CallOut {
                    module,
                    function,
                    args,
                });
        }
    }
}

/// The function definition `n` is in, if any.
fn enclosing_function(n: Node<'_>) -> Option<Node<'_>> {
    let mut p = n.parent();
    while let Some(x) = p {
        if x.kind_name() == "function_definition" {
            return Some(x);
        }
        p = x.parent();
    }
    None
}
