//! Request data kept where another function reads it later:
//!
//! * in a module-level container (`ENTRIES.append((author, message))` in one handler,
//!   `for author, message in ENTRIES: ...` in the page that lists them: stored XSS);
//! * in an object's fields, by its constructor (`FeedImporter(url)` stores `self.source_url`,
//!   which a method later fetches).
//!
//! The first pass records each such store of tainted data (`G.append(x)`, `G[k] = x`, a
//! constructor argument that `__init__` assigns to `self.field`). When there is any, the scopes
//! that can read it (functions mentioning the name; the class's methods) run again with it
//! tainted from the start; the findings this second pass adds (and only those) are kept, at
//! medium confidence, since whether the stored data is read back depends on what runs when.

use std::collections::BTreeSet;

use hashbrown::HashSet;

use tree_sitter::Node;

use super::state::{State, Taint};
use super::{Analyzer, FileCx, TaintEngine, TaintFile};
use crate::finding::{Confidence, TaintStepKind};
use crate::rules::raw::RawFinding;
use crate::rules::resolve::{text, ScopeId, MODULE_SCOPE};
use crate::syntax_fields::{KindName, FIELD};

/// Adds to `scopes` the functions that mention a module-level container (a name bound to a
/// list, dict or set) that a scope already in `scopes` mentions: they may store into it what
/// the other reads.
pub(super) fn add_container_writers(file: &TaintFile, scopes: &mut BTreeSet<ScopeId>) {
    let containers = module_containers(file.root, file.src);
    if containers.is_empty() || scopes.is_empty() {
        return;
    }
    let mentions = |f: &Node, name: &str| text(*f, file.src).contains(name);
    let read: Vec<&String> = containers
        .iter()
        .filter(|c| {
            scopes.iter().any(|&s| {
                s == MODULE_SCOPE
                    || file
                        .funcs
                        .get(s as usize - 1)
                        .is_some_and(|f| mentions(f, c))
            })
        })
        .collect();
    for (i, f) in file.funcs.iter().enumerate() {
        if read.iter().any(|c| mentions(f, c)) {
            scopes.insert(i as ScopeId + 1);
        }
    }
}

/// `(name, value)` of the assignments to plain names at the top level of a module.
fn module_assignments<'t>(root: Node<'t>, src: &'t str) -> Vec<(&'t str, Node<'t>)> {
    let mut out = Vec::new();
    let mut c = root.walk();
    for stmt in root.named_children(&mut c) {
        let Some(a) = stmt.named_child(0).filter(|a| {
            stmt.kind_name() == "expression_statement" && a.kind_name() == "assignment"
        }) else {
            continue;
        };
        let (Some(left), Some(right)) = (
            a.child_by_field_id(FIELD.left),
            a.child_by_field_id(FIELD.right),
        ) else {
            continue;
        };
        if left.kind_name() == "identifier" {
            out.push((text(left, src), right));
        }
    }
    out
}

/// Module-level names bound to a container: a list, dict or set display, or a call of
/// `list`/`dict`/`set`/`defaultdict`/`deque`/`OrderedDict`.
fn module_containers(root: Node, src: &str) -> Vec<String> {
    let is_container = |right: Node| match right.kind_name() {
        "list" | "dictionary" | "set" => true,
        "call" => right.child_by_field_id(FIELD.function).is_some_and(|f| {
            let name = text(f, src);
            let last = name.rsplit('.').next().unwrap_or(name);
            matches!(
                last,
                "list" | "dict" | "set" | "defaultdict" | "deque" | "OrderedDict"
            )
        }),
        _ => false,
    };
    module_assignments(root, src)
        .into_iter()
        .filter(|(_, right)| is_container(*right))
        .map(|(name, _)| name.to_string())
        .collect()
}

/// Names bound by assignments at the top level of a module.
pub(super) fn module_names(root: Node, src: &str) -> HashSet<String> {
    module_assignments(root, src)
        .into_iter()
        .map(|(name, _)| name.to_string())
        .collect()
}

impl<'e, 'a, 't, 'o> Analyzer<'e, 'a, 't, 'o> {
    /// Records that this function stored `t` into container `key`, when `key` is a
    /// module-level name the function does not bind itself.
    pub(super) fn record_global_write(&mut self, key: &str, t: &Taint<'t>) {
        if self.summary.is_some()
            || self.scope == MODULE_SCOPE
            || t.kinds & super::summary::SOURCE_MASK == 0
            || !self.cx.module_names.contains(key)
        {
            return;
        }
        let Some(func) = self.file.funcs.get(self.scope as usize - 1) else {
            return;
        };
        if binds_locally(*func, key, self.src()) {
            return;
        }
        let mut writes = self.cx.global_writes.borrow_mut();
        if !writes.iter().any(|(c, k, _)| c.is_none() && k == key) {
            writes.push((None, key.to_string(), t.clone()));
        }
    }

    /// `Class(args)` of a class of this file: records the fields its `__init__` sets from
    /// parameters that receive tainted arguments.
    pub(super) fn record_field_writes(&mut self, call: Node<'t>, class: &str, st: &State<'t>) {
        if self.summary.is_some() {
            return;
        }
        let table = &self.cx.table;
        let Some(init) = table
            .funcs
            .iter()
            .position(|f| f.class.as_deref() == Some(class) && f.name == "__init__")
        else {
            return;
        };
        let src = self.src();
        let params: Vec<String> = table.funcs[init]
            .params
            .iter()
            .map(|(n, _)| n.clone())
            .collect();
        let fields = init_fields(table.funcs[init].node, &params, src);
        for (field, p) in fields {
            let Some(arg) = self.cx.table.argument(call, init, p, src) else {
                continue;
            };
            let Some(t) = self
                .eval(arg, st)
                .filter(|t| t.kinds & super::summary::SOURCE_MASK != 0)
            else {
                continue;
            };
            let key = format!("self.{field}");
            let note = format!("stored in `{key}` by `{class}(...)`");
            let t = t.with_step(TaintStepKind::Propagation, call, note);
            let mut writes = self.cx.global_writes.borrow_mut();
            if !writes
                .iter()
                .any(|(c, k, _)| c.as_deref() == Some(class) && *k == key)
            {
                writes.push((Some(class.to_string()), key, t));
            }
        }
    }
}

/// `(field, parameter index)` for each `self.field = <expression using the parameter>` in an
/// `__init__` (`params` without `self`).
fn init_fields(init: Node, params: &[String], src: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let Some(body) = init.child_by_field_id(FIELD.body) else {
        return out;
    };
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        match n.kind_name() {
            "function_definition" | "class_definition" | "lambda" => continue,
            "assignment" => {
                let (Some(left), Some(right)) = (
                    n.child_by_field_id(FIELD.left),
                    n.child_by_field_id(FIELD.right),
                ) else {
                    continue;
                };
                let field = (left.kind_name() == "attribute")
                    .then(|| left.child_by_field_id(FIELD.object))
                    .flatten()
                    .filter(|o| o.kind_name() == "identifier" && text(*o, src) == "self")
                    .and_then(|_| left.child_by_field_id(FIELD.attribute));
                if let Some(field) = field {
                    let mut ids = vec![right];
                    while let Some(x) = ids.pop() {
                        if x.kind_name() == "identifier" {
                            if let Some(p) = params.iter().position(|p| p == text(x, src)) {
                                out.push((text(field, src).to_string(), p));
                            }
                        }
                        let mut c = x.walk();
                        ids.extend(x.named_children(&mut c));
                    }
                }
                continue;
            }
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    out.sort();
    out.dedup();
    out
}

/// Whether `func` assigns `name` itself (then its `name` is a local, not the module's).
fn binds_locally(func: Node, name: &str, src: &str) -> bool {
    let Some(body) = func.child_by_field_id(FIELD.body) else {
        return false;
    };
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        match n.kind_name() {
            "function_definition" | "class_definition" | "lambda" => continue,
            "assignment" | "augmented_assignment"
                if n.child_by_field_id(FIELD.left)
                    .is_some_and(|l| l.kind_name() == "identifier" && text(l, src) == name) =>
            {
                return true;
            }
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    false
}

impl TaintEngine {
    /// The second pass: scopes that mention a module-level name holding stored request data
    /// run again with it tainted; findings not already in `out` are added.
    pub(super) fn rerun_with_globals<'t>(
        &self,
        file: &TaintFile<'_, 't>,
        cx: &FileCx<'t>,
        scopes: &BTreeSet<ScopeId>,
        out: &mut Vec<RawFinding<'t>>,
    ) {
        let writes = cx.global_writes.borrow().clone();
        if writes.is_empty() {
            return;
        }
        let seen: HashSet<(u32, usize)> =
            out.iter().map(|r| (r.rule, r.node.start_byte())).collect();
        let mut added = Vec::new();
        for &scope in scopes {
            let Some(func) = (scope != MODULE_SCOPE)
                .then(|| file.funcs.get(scope as usize - 1))
                .flatten()
            else {
                continue;
            };
            let body_text = text(*func, file.src);
            let class = cx
                .table
                .funcs
                .get(scope as usize - 1)
                .and_then(|f| f.class.as_deref());
            let reads: Vec<&(Option<String>, String, Taint<'t>)> = writes
                .iter()
                .filter(|(c, k, _)| match c {
                    None => body_text.contains(k.as_str()),
                    Some(c) => class == Some(c.as_str()) && body_text.contains(k.as_str()),
                })
                .collect();
            if reads.is_empty() {
                continue;
            }
            let mut st = State::default();
            for (c, k, t) in reads {
                let note = match c {
                    None => format!("kept in module-level `{k}` and read back here"),
                    Some(c) => format!("read back from `{k}` in a method of `{c}`"),
                };
                let stepped = t.with_step(TaintStepKind::Propagation, *func, note);
                st.vars.insert(k.clone(), stepped);
            }
            let mut found = Vec::new();
            let mut an = Analyzer::new(self, file, cx, scope, &mut found, false);
            an.bind_params(*func, &mut st);
            an.return_sinks = an.return_sinks_of(*func);
            if let Some(body) = func.child_by_field_id(FIELD.body) {
                an.exec_block(body, &mut st, 0);
            }
            for mut raw in found {
                if !seen.contains(&(raw.rule, raw.node.start_byte())) {
                    raw.confidence = Some(Confidence::Medium);
                    added.push(raw);
                }
            }
        }
        out.append(&mut added);
    }
}
