//! Statements: blocks, assignments, branches, loops, `try`, exits; each updates the state.

use tree_sitter::Node;

use super::state::{Flow, State, Taint};
use super::{Analyzer, MAX_BLOCK_DEPTH, MAX_LOOP_PASSES};
use crate::finding::TaintStepKind;
use crate::syntax_fields::{KindName, FIELD};

impl<'e, 'a, 't, 'o> Analyzer<'e, 'a, 't, 'o> {
    /// Runs the statements of a block (or module) in order.
    pub(super) fn exec_block(&mut self, block: Node<'t>, st: &mut State<'t>, depth: usize) -> Flow {
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

    pub(super) fn exec_stmt(&mut self, s: Node<'t>, st: &mut State<'t>, depth: usize) -> Flow {
        match s.kind_name() {
            "expression_statement" => {
                self.check_sinks(s, st);
                let mut c = s.walk();
                let kids: Vec<Node<'t>> = s.named_children(&mut c).collect();
                let mut exits = false;
                for e in kids {
                    match e.kind_name() {
                        "assignment" => self.assign(e, st),
                        "augmented_assignment" => self.augment(e, st),
                        "call" => {
                            exits |= self.is_exit_call(e);
                            self.store_by_method(e, s, st);
                        }
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
                if s.kind_name() == "return_statement" {
                    self.note_return(s, st);
                    self.check_return(s, st);
                }
                Flow::Exit
            }
            "continue_statement" | "break_statement" => Flow::Exit,
            "if_statement" => self.exec_if(s, st, depth),
            "for_statement" => {
                if let Some(right) = s.child_by_field_id(FIELD.right) {
                    self.check_sinks(right, st);
                }
                self.exec_loop(s, st, depth, true)
            }
            "while_statement" => {
                if let Some(cond) = s.child_by_field_id(FIELD.condition) {
                    self.check_sinks(cond, st);
                }
                self.exec_loop(s, st, depth, false)
            }
            "with_statement" => {
                let mut c = s.walk();
                let clause = s
                    .named_children(&mut c)
                    .find(|n| n.kind_name() == "with_clause");
                if let Some(clause) = clause {
                    self.check_sinks(clause, st);
                    let mut c2 = clause.walk();
                    let items: Vec<Node<'t>> = clause.named_children(&mut c2).collect();
                    for item in items {
                        let Some(v) = item.child_by_field_id(FIELD.value) else {
                            continue;
                        };
                        if v.kind_name() == "as_pattern" {
                            let expr = v.named_child(0);
                            let target = v
                                .child_by_field_id(FIELD.alias)
                                .or_else(|| v.named_child(1))
                                .and_then(|t| {
                                    if t.kind_name() == "as_pattern_target" {
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
                match s.child_by_field_id(FIELD.body) {
                    Some(body) => self.exec_block(body, st, depth + 1),
                    None => Flow::Next,
                }
            }
            "try_statement" => self.exec_try(s, st, depth),
            "match_statement" => {
                if let Some(subj) = s.child_by_field_id(FIELD.subject) {
                    self.check_sinks(subj, st);
                }
                let before = st.clone();
                let mut merged: Option<State<'t>> = Some(before.clone());
                if let Some(body) = s.child_by_field_id(FIELD.body) {
                    let mut c = body.walk();
                    let cases: Vec<Node<'t>> = body.named_children(&mut c).collect();
                    for case in cases {
                        let mut bs = before.clone();
                        let flow = match case.child_by_field_id(FIELD.consequence) {
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

    pub(super) fn exec_if(&mut self, s: Node<'t>, st: &mut State<'t>, depth: usize) -> Flow {
        let before = st.clone();
        let mut falls: Vec<State<'t>> = Vec::new();
        // The state in which the next condition is evaluated: the negation of the previous
        // conditions holds there.
        let mut rest = before;
        let mut has_else = false;
        let mut clauses: Vec<(Option<Node<'t>>, Option<Node<'t>>)> = Vec::new();
        clauses.push((
            s.child_by_field_id(FIELD.condition),
            s.child_by_field_id(FIELD.consequence),
        ));
        let mut c = s.walk();
        for alt in s.children_by_field_name("alternative", &mut c) {
            match alt.kind_name() {
                "elif_clause" => clauses.push((
                    alt.child_by_field_id(FIELD.condition),
                    alt.child_by_field_id(FIELD.consequence),
                )),
                "else_clause" => {
                    has_else = true;
                    clauses.push((None, alt.child_by_field_id(FIELD.body)));
                }
                _ => {}
            }
        }
        for (cond, body) in clauses {
            let mut branch = rest.clone();
            if let Some(cond) = cond {
                self.check_sinks(cond, &rest);
                match super::fold::truthiness(cond, self.src()) {
                    // A dead branch: nothing in it runs or flows on.
                    Some(false) => {
                        if let Some(b) = body {
                            self.vouch(b.start_byte(), b.end_byte(), 0);
                        }
                        continue;
                    }
                    // Always taken: later clauses (and falling past the `if`) are dead.
                    Some(true) => {
                        has_else = true;
                        if body.map(|b| self.exec_block(b, &mut branch, depth + 1))
                            != Some(Flow::Exit)
                        {
                            falls.push(branch);
                        }
                        break;
                    }
                    None => {}
                }
                let (then_keys, else_keys) = self.condition_facts(cond, 0);
                let keep = self.summary.is_some();
                for k in &then_keys {
                    if let Some(p) = branch.checked_keys(k) {
                        branch.mark_checked(&p, keep);
                    }
                    branch.mark_checked(k, keep);
                }
                for k in &else_keys {
                    if let Some(p) = rest.checked_keys(k) {
                        rest.mark_checked(&p, keep);
                    }
                    rest.mark_checked(k, keep);
                }
            }
            let flow = match body {
                Some(b) => self.exec_block(b, &mut branch, depth + 1),
                None => Flow::Next,
            };
            if flow == Flow::Next {
                falls.push(branch);
            } else if let (Some(cond), Some(body)) = (cond, body) {
                // A guard clause that rejects: what it checked is safe afterwards, for rules
                // that say so.
                if self.rejects(body, &branch) {
                    self.guard(cond, &mut rest);
                }
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

    pub(super) fn exec_loop(
        &mut self,
        s: Node<'t>,
        st: &mut State<'t>,
        depth: usize,
        is_for: bool,
    ) -> Flow {
        let before = st.clone();
        let mut cur = st.clone();
        // Repeat until no new name becomes tainted (bounded): later passes see taint
        // carried around the loop by earlier ones.
        for _ in 0..MAX_LOOP_PASSES {
            let tainted_before = cur.vars.len();
            if is_for {
                if let (Some(left), Some(right)) = (
                    s.child_by_field_id(FIELD.left),
                    s.child_by_field_id(FIELD.right),
                ) {
                    let t = self.eval(right, &cur);
                    self.bind_target(left, None, t, s, &mut cur);
                }
            }
            let mut body_state = cur.clone();
            if let Some(body) = s.child_by_field_id(FIELD.body) {
                // `continue`/`break` end the body: the state at the end still flows on.
                self.exec_block(body, &mut body_state, depth + 1);
            }
            cur = cur.merge(body_state);
            if cur.vars.len() == tainted_before {
                break;
            }
        }
        let mut after = before.merge(cur);
        if let Some(alt) = s.child_by_field_id(FIELD.alternative) {
            if let Some(body) = alt.child_by_field_id(FIELD.body) {
                self.exec_block(body, &mut after, depth + 1);
            }
        }
        *st = after;
        Flow::Next
    }

    pub(super) fn exec_try(&mut self, s: Node<'t>, st: &mut State<'t>, depth: usize) -> Flow {
        let before = st.clone();
        let mut body_state = before.clone();
        let body_flow = match s.child_by_field_id(FIELD.body) {
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
            match p.kind_name() {
                "except_clause" | "except_group_clause" => {
                    let mut hs = handler_start.clone();
                    let mut c2 = p.walk();
                    let block = p.named_children(&mut c2).find(|n| n.kind_name() == "block");
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
                        let flow = match p.child_by_field_id(FIELD.body) {
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
            let block = f.named_children(&mut c3).find(|n| n.kind_name() == "block");
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

    // ----- assignments ----------------------------------------------------------------

    pub(super) fn assign(&mut self, a: Node<'t>, st: &mut State<'t>) {
        // Chained `a = b = value`: collect the targets down the `right` fields.
        let mut targets = Vec::new();
        let mut cur = a;
        let value = loop {
            if let Some(l) = cur.child_by_field_id(FIELD.left) {
                targets.push(l);
            }
            match cur.child_by_field_id(FIELD.right) {
                Some(r) if r.kind_name() == "assignment" => cur = r,
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

    pub(super) fn augment(&mut self, a: Node<'t>, st: &mut State<'t>) {
        let (Some(left), Some(right)) = (
            a.child_by_field_id(FIELD.left),
            a.child_by_field_id(FIELD.right),
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
    pub(super) fn bind_target(
        &mut self,
        target: Node<'t>,
        value: Option<Node<'t>>,
        t: Option<Taint<'t>>,
        stmt: Node<'t>,
        st: &mut State<'t>,
    ) {
        let target = crate::rules::args::unparen(target);
        match target.kind_name() {
            "identifier" | "attribute" => {
                let Some(key) = self.key_of(target) else {
                    // `f().x = v`: nothing to track.
                    return;
                };
                st.elems.remove(&key);
                st.clean.remove(&key);
                st.parsed.remove(&key);
                if let Some(p) = value.and_then(|v| self.parse_of(v)) {
                    st.parsed.insert(key.clone(), p);
                }
                if let Some(v) = value {
                    if self.bind_elements(&key, v, stmt, st) {
                        return;
                    }
                }
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
                if let Some(base) = target.child_by_field_id(FIELD.value) {
                    self.check_store(base, value.unwrap_or(target), &t, stmt);
                }
                if self.store_element(target, &t, stmt, st) {
                    return;
                }
                if let Some(t) = t {
                    self.taint_container(target, t, stmt, st);
                }
            }
            "pattern_list" | "tuple_pattern" | "list_pattern" | "tuple" | "list" => {
                let mut c = target.walk();
                let elems: Vec<Node<'t>> = target
                    .named_children(&mut c)
                    .filter(|n| n.kind_name() != "comment")
                    .collect();
                let values: Option<Vec<Node<'t>>> =
                    value.map(crate::rules::args::unparen).and_then(|v| {
                        if matches!(v.kind_name(), "expression_list" | "tuple" | "list") {
                            let mut c2 = v.walk();
                            let vs: Vec<Node<'t>> = v
                                .named_children(&mut c2)
                                .filter(|n| n.kind_name() != "comment")
                                .collect();
                            let splat = vs.iter().any(|n| n.kind_name() == "list_splat");
                            (vs.len() == elems.len() && !splat).then_some(vs)
                        } else {
                            None
                        }
                    });
                let unpacked = match (&values, value) {
                    (None, Some(v)) => self.unpacked(v, elems.len(), st),
                    _ => None,
                };
                for (i, e) in elems.iter().enumerate() {
                    let (ev, et) = match (&values, &unpacked) {
                        (Some(vs), _) => (Some(vs[i]), self.eval(vs[i], st)),
                        (None, Some(u)) => (None, u[i].clone()),
                        (None, None) => (None, t.clone()),
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
    pub(super) fn taint_container(
        &mut self,
        target: Node<'t>,
        t: Taint<'t>,
        stmt: Node<'t>,
        st: &mut State<'t>,
    ) {
        let mut base = target;
        while base.kind_name() == "subscript" {
            match base.child_by_field_id(FIELD.value) {
                Some(v) => base = v,
                None => return,
            }
        }
        if let Some(key) = self.key_of(base) {
            self.record_global_write(&key, &t);
            let note = format!("stored into `{key}`");
            let stepped = t.with_step(TaintStepKind::Propagation, stmt, note);
            let old = st.vars.remove(&key);
            if let Some(m) = Taint::merge(Some(stepped), old) {
                st.vars.insert(key, m);
            }
        }
    }
}
