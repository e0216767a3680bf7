//! Sink calls: a tainted argument of a rule's sink becomes a finding with its taint path.

use tree_sitter::Node;

use super::calls::param_bits;
use super::state::{first_line, State};
use super::summary::{is_built, step_builds, ParamSink, PARAM_SHIFT, SOURCE_MASK};
use super::Analyzer;
use crate::finding::TaintStepKind;
use crate::rules::args::CallArgs;
use crate::rules::resolve::text;

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
        if !self.cx.table.calls.is_empty() {
            self.check_local_calls(region, st);
        }
    }

    pub(super) fn check_sink_call(&mut self, call: Node<'t>, st: &State<'t>) {
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
            let mut any_taint = false;
            for (label, arg) in candidates {
                let Some(t) = self.eval(arg, st) else {
                    continue;
                };
                any_taint = true;
                if t.cleared & sink.rule_bit != 0 {
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
                    if params {
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
            if !any_taint && self.saw_source.get() {
                let cwe = self.eng.sinks[si as usize].cwe;
                self.vouch(call.start_byte(), call.end_byte(), cwe);
            }
        }
    }
}
