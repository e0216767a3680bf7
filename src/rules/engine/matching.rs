//! Turning what the walk collected into raw findings: calls dispatched by resolved callee,
//! imports, and query matches (native ones, plus any query tree-sitter still runs).

use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, QueryCursor};

use super::compile::CombinedQuery;
use super::index::FileIndex;
use super::Engine;
use crate::rules::args::CallArgs;
use crate::rules::query::NativeMatch;
use crate::rules::raw::{Cap, RawFinding};
use crate::rules::resolve::{NamePattern, Resolver, ScopeId};
use crate::syntax_fields::{KindName, FIELD};

impl Engine {
    /// Call patterns: each call's callee is resolved once and looked up in the call table.
    /// Returns the calls that are taint sinks.
    pub(super) fn match_calls<'t>(
        &self,
        file: &FileIndex<'t, '_>,
        resolver: &Resolver,
        src: &str,
        raw: &mut Vec<RawFinding<'t>>,
    ) -> Vec<(Node<'t>, ScopeId)> {
        let mut sink_calls: Vec<(Node, ScopeId)> = Vec::new();
        let mut buf = String::new();
        let want_sinks = !self.taint.is_empty();
        let named_sinks = want_sinks && self.taint.named_sinks_apply(&file.imported);
        for (&(call, scope), &callee) in file.calls.iter().zip(&file.callees) {
            let Some(func) = callee else {
                continue;
            };
            let qual = resolver
                .resolve_into(func, scope, &mut buf)
                .then_some(buf.as_str());
            let method = resolver.method_name(func, qual);
            let mut args: Option<CallArgs> = None;
            self.call_table.lookup(qual, method, |&(ri, pi)| {
                let conds = &self.call_args[ri as usize][pi as usize];
                let a = args.get_or_insert_with(|| CallArgs::of_call(call, src));
                if conds.iter().all(|c| c.holds(a, src)) {
                    raw.push(RawFinding {
                        rule: ri,
                        node: call,
                        captures: vec![
                            ("callee".into(), Cap::Node(func)),
                            ("call".into(), Cap::Node(call)),
                            // The callee's resolved name, for fix conditions.
                            ("qualname".into(), Cap::Text(qual.unwrap_or("").to_string())),
                        ],
                        taint_path: Vec::new(),
                        confidence: None,
                    });
                }
            });
            if want_sinks
                && (self.taint.is_sink(qual, method)
                    || self.passes_sink(qual, method, call, scope, resolver, src)
                    || (named_sinks && self.taint.is_named_sink(call, src)))
            {
                sink_calls.push((call, scope));
            }
        }
        sink_calls
    }

    /// Whether `call` runs a function passed to it (`pool.map(os.remove, paths)`) and that
    /// function is a taint sink.
    fn passes_sink(
        &self,
        qual: Option<&str>,
        method: Option<&str>,
        call: Node,
        scope: ScopeId,
        resolver: &Resolver,
        src: &str,
    ) -> bool {
        let Some((func, _)) = self.taint.passed_function(qual, method, call, src) else {
            return false;
        };
        let mut buf = String::new();
        let qual = resolver
            .resolve_into(func, scope, &mut buf)
            .then_some(buf.as_str());
        self.taint.is_sink(qual, resolver.method_name(func, qual))
    }

    /// Import patterns: a module or one of its submodules imported.
    pub(super) fn match_imports<'t>(
        &self,
        file: &FileIndex<'t, '_>,
        raw: &mut Vec<RawFinding<'t>>,
    ) {
        for &(node, ref names) in &file.imported {
            for (module, ri) in &self.import_patterns {
                if let Some(name) = names.iter().find(|n| {
                    n.as_str() == module
                        || (n.len() > module.len()
                            && n.starts_with(module.as_str())
                            && n.as_bytes()[module.len()] == b'.')
                }) {
                    raw.push(RawFinding {
                        rule: *ri,
                        node,
                        captures: vec![
                            ("module".into(), Cap::Text(name.clone())),
                            // The whole statement, for fix templates.
                            ("import".into(), Cap::Node(node)),
                        ],
                        taint_path: Vec::new(),
                        confidence: None,
                    });
                }
            }
        }
    }

    /// Query patterns: the native matches of the walk, then any query tree-sitter runs.
    /// Returns diagnostics for queries that could not run.
    pub(super) fn match_queries<'t>(
        &self,
        native_matches: Vec<NativeMatch<'t>>,
        root: Node<'t>,
        resolver: &Resolver,
        open: &[bool],
        raw: &mut Vec<RawFinding<'t>>,
    ) -> Vec<String> {
        let mut problems = Vec::new();
        // Query findings carry their query group (see `super::query`): sorted by it, stably,
        // they come in the order the rules' queries always ran in.
        let mut qraw: Vec<(u32, RawFinding)> = Vec::new();
        self.native_findings(native_matches, resolver, &mut qraw);
        let mut cursor = QueryCursor::new();
        let lazies = std::iter::once((0, &self.ungated)).chain(
            self.gated
                .iter()
                .filter(|(g, _)| open.get(*g as usize).copied().unwrap_or(true))
                .map(|(g, q)| (g + 1, q)),
        );
        for (group, lq) in lazies {
            match lq.get(&self.catalog, &self.language) {
                Ok(Some(q)) => self.run_query(q, &mut cursor, root, resolver, group, &mut qraw),
                Ok(None) => {}
                Err(e) => problems.push(format!("a rule query was skipped: {e}")),
            }
        }
        qraw.sort_by_key(|(g, _)| *g);
        raw.extend(qraw.into_iter().map(|(_, r)| r));
        problems
    }

    /// Runs one tree-sitter query over the whole tree (only for query syntax the native
    /// matcher does not support; no embedded rule needs it). The file's text is the resolver's.
    fn run_query<'t>(
        &self,
        q: &CombinedQuery,
        cursor: &mut QueryCursor,
        root: Node<'t>,
        resolver: &Resolver,
        group: u32,
        raw: &mut Vec<(u32, RawFinding<'t>)>,
    ) {
        let mut matches = cursor.matches(&q.query, root, resolver.src.as_bytes());
        let names = q.query.capture_names();
        let mut buf = String::new();
        while let Some(m) = matches.next() {
            let pi = m.pattern_index;
            // `#qualname?`: every listed capture must resolve to one of the names.
            let ok = q.qualname[pi].iter().all(|(cap, pats)| {
                m.nodes_for_capture_index(*cap)
                    .all(|n| qualname_holds(n, pats, resolver, &mut buf))
            });
            if !ok {
                continue;
            }
            let reported = q
                .match_capture
                .and_then(|mc| m.nodes_for_capture_index(mc).next())
                .or_else(|| m.captures().first().map(|c| c.node));
            let Some(node) = reported else { continue };
            let captures = m
                .captures()
                .iter()
                .map(|c| (names[c.index as usize].to_string(), Cap::Node(c.node)))
                .collect();
            raw.push((
                group,
                RawFinding {
                    rule: q.pattern_rule[pi],
                    node,
                    captures,
                    taint_path: Vec::new(),
                    confidence: None,
                },
            ));
        }
    }

    /// Turns native query matches into raw findings, checking `#qualname?` now that the
    /// file's imports and scopes are known.
    fn native_findings<'t>(
        &self,
        matches: Vec<NativeMatch<'t>>,
        resolver: &Resolver,
        raw: &mut Vec<(u32, RawFinding<'t>)>,
    ) {
        let set = &self.native;
        let mut buf = String::new();
        for m in matches {
            let p = &set.patterns[m.pattern as usize];
            let ok = p.parsed.qualname.iter().all(|(cap, pats)| {
                m.captures
                    .iter()
                    .filter(|(c, _)| c == cap)
                    .all(|&(_, n)| qualname_holds(n, pats, resolver, &mut buf))
            });
            if !ok {
                continue;
            }
            let reported = set
                .match_capture()
                .and_then(|mc| m.captures.iter().find(|(c, _)| *c == mc))
                .or_else(|| m.captures.first())
                .map(|&(_, n)| n);
            let Some(node) = reported else { continue };
            let captures = m
                .captures
                .iter()
                .map(|&(c, n)| (set.names[c as usize].clone(), Cap::Node(n)))
                .collect();
            raw.push((
                p.group,
                RawFinding {
                    rule: p.rule,
                    node,
                    captures,
                    taint_path: Vec::new(),
                    confidence: None,
                },
            ));
        }
    }
}

/// `#qualname?`: `n` (a call's callee for a call) resolves to one of `pats`.
fn qualname_holds(n: Node, pats: &[NamePattern], resolver: &Resolver, buf: &mut String) -> bool {
    let n = if n.kind_name() == "call" {
        n.child_by_field_id(FIELD.function).unwrap_or(n)
    } else {
        n
    };
    let scope = resolver.scopes.scope_at(n.start_byte());
    let qual = resolver.resolve_into(n, scope, buf).then_some(buf.as_str());
    let method = resolver.method_name(n, qual);
    pats.iter().any(|p| p.matches(qual, method))
}
