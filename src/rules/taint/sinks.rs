//! Sink calls: a tainted argument of a rule's sink becomes a finding with its taint path.

use tree_sitter::Node;

use super::calls::param_bits;
use super::state::{first_line, State, Taint};
use super::summary::{is_built, step_builds, ParamSink, PARAM_SHIFT, SOURCE_MASK};
use super::Analyzer;
use crate::finding::TaintStepKind;
use crate::rules::args::CallArgs;
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

impl<'e, 'a, 't, 'o> Analyzer<'e, 'a, 't, 'o> {
    /// Checks every sink call of this scope inside `region` against the state.
    pub(super) fn check_sinks(&mut self, region: Node<'t>, st: &State<'t>) {
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
        if !self.eng.named.keys.is_empty() {
            self.check_key_sinks(region, st);
        }
        if !self.cx.table.calls.is_empty() {
            self.check_local_calls(region, st);
        }
        if !self.cx.imported_calls.is_empty() {
            self.record_calls_out(region, st);
        }
    }

    pub(super) fn check_sink_call(&mut self, call: Node<'t>, st: &State<'t>) {
        self.check_named_sinks(call, st);
        let Some(mut f) = call.child_by_field_id(FIELD.function) else {
            return;
        };
        let src = self.src();
        let (q, m) = self.resolve(f);
        let mut sinks = Vec::new();
        self.eng
            .sink_table
            .lookup(q.as_deref(), m.as_deref(), |i| sinks.push(*i));
        // A sink passed to a call that runs it, with the arguments it will get.
        let mut passed = None;
        if sinks.is_empty() {
            let Some((func, args)) =
                self.eng
                    .passed_function(q.as_deref(), m.as_deref(), call, src)
            else {
                return;
            };
            let (q, m) = self.resolve(func);
            self.eng
                .sink_table
                .lookup(q.as_deref(), m.as_deref(), |i| sinks.push(*i));
            f = func;
            passed = Some(args);
        }
        if sinks.is_empty() {
            return;
        }
        let is_passed = passed.is_some();
        let args = passed.unwrap_or_else(|| CallArgs::of_call(call, src));
        for si in sinks {
            let sink = &self.eng.sinks[si as usize];
            if !sink.args.iter().all(|c| c.holds(&args, src))
                || !(sink.imports.is_empty() || imports_any(self.file.imported, &sink.imports))
            {
                continue;
            }
            // The dangerous arguments: listed positions and keywords, or all.
            let mut candidates: Vec<(String, Node<'t>)> = Vec::new();
            if is_passed {
                for (i, a) in args.positional.iter().enumerate() {
                    if sink.positions.is_empty() || sink.positions.contains(&i) {
                        candidates.push((format!("argument {}", i + 1), *a));
                    }
                }
            } else if sink.positions.is_empty() && sink.keywords.is_empty() && !sink.receiver {
                if let Some(list) = call.child_by_field_id(FIELD.arguments) {
                    let mut c = list.walk();
                    for (i, a) in list.named_children(&mut c).enumerate() {
                        if a.kind_name() != "comment" {
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
                if let Some(list) = call.child_by_field_id(FIELD.arguments) {
                    let mut c = list.walk();
                    for a in list.named_children(&mut c) {
                        if matches!(a.kind_name(), "list_splat" | "dictionary_splat") {
                            candidates.push(("unpacked arguments".to_string(), a));
                        }
                    }
                }
            }
            if sink.receiver && !is_passed {
                if let Some(o) = f
                    .child_by_field_id(FIELD.object)
                    .filter(|_| f.kind_name() == "attribute")
                {
                    candidates.push(("the object it is called on".to_string(), o));
                }
            }
            let any_taint = self.check_candidates(si, call, f, candidates, st);
            if !any_taint && self.saw_source.get() {
                let cwe = self.eng.sinks[si as usize].cwe;
                self.vouch(call.start_byte(), call.end_byte(), cwe);
            }
        }
    }

    /// Checks the dangerous arguments of one sink call against the state: a finding (or, in a
    /// summary, the parameters that reach it). Returns whether any of them is tainted.
    pub(super) fn check_candidates(
        &mut self,
        si: u32,
        call: Node<'t>,
        f: Node<'t>,
        candidates: Vec<(String, Node<'t>)>,
        st: &State<'t>,
    ) -> bool {
        let src = self.src();
        let sink = &self.eng.sinks[si as usize];
        let candidates = if sink.argv {
            argv_elements(candidates, src)
        } else {
            candidates
        };
        let mut any_taint = false;
        for (label, arg) in candidates {
            let Some(t) = self.eval(arg, st) else {
                continue;
            };
            any_taint = true;
            // A summary keeps cleared facts too: callers that pass a value through
            // them know it is clean.
            let cleared = t.cleared & sink.rule_bit != 0;
            if cleared && self.summary.is_none() {
                continue;
            }
            let real = t.kinds & SOURCE_MASK & sink.kinds != 0;
            let params = t.kinds >> PARAM_SHIFT != 0;
            if !real && !params {
                continue;
            }
            let callee = text(f, src);
            let t = t.with_step(
                TaintStepKind::Sink,
                arg,
                format!("reaches {label} of `{}`", first_line(callee)),
            );
            if self.summary.is_some() {
                if cleared && params && !real {
                    // Only parameters reach it, each through a check or a sanitizer:
                    // safe whatever the callers pass.
                    let cwe = self.eng.sinks[si as usize].cwe;
                    let mut calls = self.cx.param_sink_calls.borrow_mut();
                    let at = call.start_byte();
                    calls.clean.push((at, at, call.end_byte(), cwe));
                }
                let built = is_built(arg, src) || t.path.iter().any(|s| step_builds(s, src));
                for p in param_bits(t.kinds) {
                    self.record_param_sink(ParamSink {
                        param: p,
                        sink: si,
                        call,
                        callee: f,
                        arg,
                        cleared: t.cleared,
                        path: t.path.clone(),
                        built,
                    });
                }
                if params && !cleared {
                    break;
                }
                continue;
            }
            if !real {
                continue;
            }
            let path = t.path.clone();
            self.emit(si, call, f, arg, &path, None);
            break;
        }
        any_taint
    }

    /// Sinks known by a name (`save_api_key(...)`, `KeyOut(key=...)`) that `call` is.
    fn check_named_sinks(&mut self, call: Node<'t>, st: &State<'t>) {
        if self.eng.named.is_empty() || !self.eng.named.apply_to(self.file.imported) {
            return;
        }
        let Some(f) = call.child_by_field_id(FIELD.function) else {
            return;
        };
        let src = self.src();
        let found = self.eng.named.matches(call, src);
        if found.is_empty() {
            return;
        }
        let args = CallArgs::of_call(call, src);
        let mut sinks: Vec<u32> = found.iter().map(|(si, _, _)| *si).collect();
        sinks.dedup();
        for si in sinks {
            let sink = &self.eng.sinks[si as usize];
            if !sink.args.iter().all(|c| c.holds(&args, src)) {
                continue;
            }
            let candidates = found
                .iter()
                .filter(|(s, _, _)| *s == si)
                .map(|(_, label, arg)| (label.clone(), *arg))
                .collect();
            self.check_candidates(si, call, f, candidates, st);
        }
    }
}

impl<'e, 'a, 't, 'o> Analyzer<'e, 'a, 't, 'o> {
    /// `container[k] = value` (or an update of it): a store sink when the container is one.
    pub(super) fn check_store(
        &mut self,
        container: Node<'t>,
        value: Node<'t>,
        t: &Option<Taint<'t>>,
        stmt: Node<'t>,
    ) {
        if self.eng.store_table.is_empty() {
            return;
        }
        let Some(t) = t else { return };
        let mut base = container;
        while base.kind_name() == "subscript" {
            match base.child_by_field_id(FIELD.value) {
                Some(v) => base = v,
                None => return,
            }
        }
        let (q, m) = self.resolve(base);
        let mut hits = Vec::new();
        self.eng
            .store_table
            .lookup(q.as_deref(), m.as_deref(), |i| hits.push(*i));
        let src = self.src();
        for si in hits {
            let sink = &self.eng.sinks[si as usize];
            if t.cleared & sink.rule_bit != 0 || self.scope_calls_unless(si) {
                continue;
            }
            let note = format!("stored into `{}`", first_line(text(base, src)));
            let stepped = t.with_step(TaintStepKind::Sink, stmt, note);
            if self.summary.is_some() {
                for p in param_bits(t.kinds) {
                    self.record_param_sink(ParamSink {
                        param: p,
                        sink: si,
                        call: stmt,
                        callee: base,
                        arg: value,
                        cleared: t.cleared,
                        path: stepped.path.clone(),
                        built: false,
                    });
                }
            } else if t.kinds & SOURCE_MASK & sink.kinds != 0 {
                let path = stepped.path.clone();
                self.emit(si, stmt, base, value, &path, None);
            }
        }
    }

    /// Whether this scope calls one of the calls that switch store sink `si` off.
    fn scope_calls_unless(&mut self, si: u32) -> bool {
        if self.eng.store_unless.is_empty() {
            return false;
        }
        let file = self.file;
        for (&(_, scope), &callee) in file.calls.iter().zip(file.callees) {
            if scope != self.scope {
                continue;
            }
            let Some(f) = callee else {
                continue;
            };
            let (q, m) = self.resolve(f);
            let mut hit = false;
            self.eng
                .store_unless
                .lookup(q.as_deref(), m.as_deref(), |i| hit |= *i == si);
            if hit {
                return true;
            }
        }
        false
    }

    /// The return-value sinks that apply to a function: its decorators match, and the file
    /// imports the framework.
    pub(super) fn return_sinks_of(&mut self, func: Node<'t>) -> Vec<u32> {
        let eng = self.eng;
        let mut out = Vec::new();
        for rs in &eng.return_sinks {
            let imported = imports_any(self.file.imported, &rs.imports);
            let keyword = !rs.keywords.is_empty() && self.decorator_keyword(func, &rs.keywords);
            if (imported || keyword) && self.decorated_with(func, &rs.decorators) {
                out.push(rs.sink);
            }
        }
        out
    }

    /// Whether a decorator call of `func` passes one of `keywords` (`NAME`, value suffix).
    fn decorator_keyword(&self, func: Node<'t>, keywords: &[(String, String)]) -> bool {
        let Some(parent) = self.file.decorated_definition(func) else {
            return false;
        };
        let src = self.src();
        let mut c = parent.walk();
        let found = parent.named_children(&mut c).any(|d| {
            let Some(args) = d
                .named_child(0)
                .filter(|e| e.kind_name() == "call")
                .and_then(|e| e.child_by_field_id(FIELD.arguments))
            else {
                return false;
            };
            let mut c2 = args.walk();
            let hit = args.named_children(&mut c2).any(|a| {
                a.kind_name() == "keyword_argument"
                    && keywords.iter().any(|(n, v)| {
                        a.child_by_field_id(FIELD.name)
                            .is_some_and(|x| text(x, src) == n)
                            && a.child_by_field_id(FIELD.value)
                                .is_some_and(|x| text(x, src).ends_with(v.as_str()))
                    })
            });
            hit
        });
        found
    }

    /// `return <value>` in a handler whose return value is a sink: a string built from
    /// tainted data (a dict or a `jsonify(...)` is not HTML).
    pub(super) fn check_return(&mut self, ret: Node<'t>, st: &State<'t>) {
        if self.return_sinks.is_empty() || self.summary.is_some() {
            return;
        }
        let Some(mut value) = ret.named_child(0).map(crate::rules::args::unparen) else {
            return;
        };
        if matches!(value.kind_name(), "tuple" | "expression_list") {
            match value.named_child(0) {
                Some(v) => value = crate::rules::args::unparen(v),
                None => return,
            }
        }
        let src = self.src();
        let direct = builds_text(value, src)
            || (value.kind_name() == "call" && self.local_callee(value).is_some());
        if !direct && !matches!(value.kind_name(), "identifier" | "attribute") {
            return;
        }
        let Some(t) = self.eval(value, st) else {
            return;
        };
        // A name must hold text built from parts.
        let assigned_text = |s: &super::state::Step| match s.node.kind_name() {
            "assignment" | "augmented_assignment" => s
                .node
                .child_by_field_id(FIELD.right)
                .is_some_and(|r| builds_text(r, src)),
            _ => false,
        };
        if !direct && !t.path.iter().any(assigned_text) {
            return;
        }
        for si in self.return_sinks.clone() {
            let sink = &self.eng.sinks[si as usize];
            if t.kinds & SOURCE_MASK & sink.kinds == 0 || t.cleared & sink.rule_bit != 0 {
                continue;
            }
            let stepped = t.with_step(
                TaintStepKind::Sink,
                value,
                "returned as the response body".to_string(),
            );
            let path = stepped.path.clone();
            self.emit(si, ret, value, value, &path, None);
        }
    }
}

/// Whether a file importing `imported` imports one of `modules` or a submodule of one.
pub(super) fn imports_any(imported: &[(Node, Vec<String>)], modules: &[String]) -> bool {
    imported.iter().any(|(_, names)| {
        names.iter().any(|n| {
            modules.iter().any(|m| {
                n == m || (n.starts_with(m.as_str()) && n.as_bytes().get(m.len()) == Some(&b'.'))
            })
        })
    })
}

/// Whether an expression builds text around literal parts: an f-string with fields, `+` or
/// `%` with a string literal operand, `"...".format(...)`. (`a.render() + b.render()` joins
/// values; it adds no markup of its own.)
fn builds_text(n: Node, src: &str) -> bool {
    let n = crate::rules::args::unparen(n);
    match n.kind_name() {
        "string" | "concatenated_string" => is_built(n, src),
        "binary_operator" => {
            let op = n.child_by_field_id(FIELD.operator).map(|o| o.kind_name());
            if !matches!(op, Some("+" | "%")) {
                return false;
            }
            let side = |f: &str| {
                n.child_by_field_name(f).is_some_and(|x| {
                    let x = crate::rules::args::unparen(x);
                    matches!(x.kind_name(), "string" | "concatenated_string") || builds_text(x, src)
                })
            };
            side("left") || side("right")
        }
        // `"...".format(...)`, `PAGE.format(...)`: a template filled in.
        "call" => n
            .child_by_field_id(FIELD.function)
            .filter(|f| f.kind_name() == "attribute")
            .is_some_and(|f| {
                f.child_by_field_id(FIELD.attribute)
                    .is_some_and(|a| text(a, src) == "format")
            }),
        _ => false,
    }
}

/// The elements of argument vectors that could inject a program or an option (see
/// `TaintSink::argv`); other arguments stay whole.
fn argv_elements<'t>(candidates: Vec<(String, Node<'t>)>, src: &str) -> Vec<(String, Node<'t>)> {
    let mut out = Vec::new();
    for (label, arg) in candidates {
        let v = crate::rules::args::unparen(arg);
        let mut c = v.walk();
        let items: Vec<Node<'t>> = v
            .named_children(&mut c)
            .filter(|n| n.kind_name() != "comment")
            .collect();
        let fixed_program = matches!(v.kind_name(), "list" | "tuple")
            && items
                .first()
                .is_some_and(|p| crate::rules::constant::constant(*p, src, 0));
        if !fixed_program {
            out.push((label, arg));
            continue;
        }
        let mut options_end = false;
        for item in &items[1..] {
            let t = text(*item, src);
            if options_end || starts_with_text(*item, src) {
                continue;
            }
            if item.kind_name() == "string" && t.trim_matches(['"', '\'']) == "--" {
                options_end = true;
                continue;
            }
            out.push((label.clone(), *item));
        }
    }
    out
}

/// A string that begins with literal text not starting with `-`: no value put into it can
/// make it an option.
fn starts_with_text(n: Node, src: &str) -> bool {
    if n.kind_name() != "string" {
        return false;
    }
    let mut c = n.walk();
    let first = n
        .named_children(&mut c)
        .find(|x| x.kind_name() != "string_start");
    first.is_some_and(|x| {
        x.kind_name() == "string_content"
            && !text(x, src).is_empty()
            && !text(x, src).starts_with('-')
    })
}
