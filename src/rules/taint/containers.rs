//! Containers element by element: dict keys and list or tuple positions that are constants
//! (`d["k"] = v`, `{"k": v}`, `[a, b]`, `x, y = pair`, a local function returning a tuple),
//! so that a clean element read back from a container holding a tainted one stays clean.

use tree_sitter::Node;

use super::state::{Elements, State, Taint};
use super::Analyzer;
use crate::finding::TaintStepKind;
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

/// The most elements tracked per container.
const MAX_ELEMENTS: usize = 64;

impl<'e, 'a, 't, 'o> Analyzer<'e, 'a, 't, 'o> {
    /// A comprehension (`[f(x) for x in xs if ...]`, generators, set and dict forms): its
    /// elements are what the body yields with each loop name bound to the taint of its
    /// iterable, so `[os.path.basename(n) for n in names]` is as clean as `basename` makes it.
    pub(super) fn eval_comprehension(&mut self, n: Node<'t>, st: &State<'t>) -> Option<Taint<'t>> {
        let mut inner: Option<State<'t>> = None;
        let mut c = n.walk();
        let clauses: Vec<Node<'t>> = n
            .named_children(&mut c)
            .filter(|ch| ch.kind_name() == "for_in_clause")
            .collect();
        for clause in clauses {
            let (Some(left), Some(right)) = (
                clause.child_by_field_id(FIELD.left),
                clause.child_by_field_id(FIELD.right),
            ) else {
                continue;
            };
            let t = self.eval(right, inner.as_ref().unwrap_or(st));
            let mut scope = inner.take().unwrap_or_else(|| st.clone());
            self.bind_target(left, None, t, clause, &mut scope);
            inner = Some(scope);
        }
        let body = n.child_by_field_id(FIELD.body)?;
        self.eval(body, inner.as_ref().unwrap_or(st))
    }

    /// A constant subscript index: `"key"` → `s:key`, `3` → `i:3`, `-1` → `i:-1`.
    pub(super) fn const_index(&self, n: Node<'t>) -> Option<String> {
        let n = crate::rules::args::unparen(n);
        match n.kind_name() {
            "integer" => Some(format!("i:{}", text(n, self.src()).replace('_', ""))),
            "unary_operator" if text(n, self.src()).starts_with('-') => {
                let a = n.child_by_field_id(FIELD.argument)?;
                (a.kind_name() == "integer").then(|| format!("i:-{}", text(a, self.src())))
            }
            "string" => {
                let mut c = n.walk();
                let mut out = String::from("s:");
                for ch in n.named_children(&mut c) {
                    match ch.kind_name() {
                        "string_content" | "escape_sequence" => out.push_str(text(ch, self.src())),
                        "string_start" | "string_end" => {}
                        _ => return None,
                    }
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// The elements of a container literal or of a call to a local function returning a
    /// tuple; `None` when the value is neither (or its layout is not constant). The second
    /// part is the taint of the rest (non-constant keys, `**spread`).
    #[allow(clippy::type_complexity)]
    pub(super) fn literal_elements(
        &mut self,
        value: Node<'t>,
        st: &State<'t>,
    ) -> Option<(Vec<(String, Option<Taint<'t>>)>, Option<Taint<'t>>)> {
        let value = crate::rules::args::unparen(value);
        let mut c = value.walk();
        let kids: Vec<Node<'t>> = value
            .named_children(&mut c)
            .filter(|n| n.kind_name() != "comment")
            .collect();
        match value.kind_name() {
            "dictionary" => {
                let mut out = Vec::new();
                let mut rest = None;
                for kid in kids.iter().take(MAX_ELEMENTS) {
                    let key = kid
                        .child_by_field_id(FIELD.key)
                        .and_then(|k| self.const_index(k));
                    match (kid.kind_name(), key) {
                        ("pair", Some(k)) => {
                            let t = kid
                                .child_by_field_id(FIELD.value)
                                .and_then(|v| self.eval(v, st));
                            out.push((k, t));
                        }
                        _ => rest = Taint::merge(rest, self.eval(*kid, st)),
                    }
                }
                Some((out, rest))
            }
            "list" | "tuple" | "expression_list" => {
                if kids.len() > MAX_ELEMENTS
                    || kids
                        .iter()
                        .any(|k| matches!(k.kind_name(), "list_splat" | "parenthesized_list_splat"))
                {
                    return None;
                }
                let out = kids
                    .iter()
                    .enumerate()
                    .map(|(i, k)| (format!("i:{i}"), self.eval(*k, st)))
                    .collect();
                Some((out, None))
            }
            "call" => {
                let fi = self.local_callee(value)?;
                let s = self.summary(fi);
                let elems = s.returns_elems.as_ref()?;
                let mut out = Vec::new();
                for (i, t) in elems.iter().enumerate() {
                    let t = match t {
                        Some(t) => self.substitute(value, fi, t, st),
                        None => None,
                    };
                    out.push((format!("i:{i}"), t));
                }
                Some((out, None))
            }
            _ => None,
        }
    }

    /// Binds `key` to a container value element by element; false when `value` has no
    /// constant layout (the caller binds it whole).
    pub(super) fn bind_elements(
        &mut self,
        key: &str,
        value: Node<'t>,
        stmt: Node<'t>,
        st: &mut State<'t>,
    ) -> bool {
        let Some((elems, rest)) = self.literal_elements(value, st) else {
            return false;
        };
        let mut map = Elements::new();
        for (idx, t) in elems {
            let note = format!("stored into `{key}`");
            let t = t.map(|t| t.with_step(TaintStepKind::Propagation, stmt, note));
            map.insert(idx, t);
        }
        match rest {
            Some(t) => {
                let note = format!("stored into `{key}`");
                st.vars.insert(
                    key.to_string(),
                    t.with_step(TaintStepKind::Propagation, stmt, note),
                );
            }
            None => {
                st.vars.remove(key);
            }
        }
        st.elems.insert(key.to_string(), map);
        true
    }

    /// `d["k"] = v`: element `k` of `d` becomes `v`'s taint. False when the index is not
    /// a constant or the container not a name.
    pub(super) fn store_element(
        &mut self,
        target: Node<'t>,
        t: &Option<Taint<'t>>,
        stmt: Node<'t>,
        st: &mut State<'t>,
    ) -> bool {
        let (Some(base), Some(idx)) = (
            target.child_by_field_id(FIELD.value),
            target.child_by_field_id(FIELD.subscript),
        ) else {
            return false;
        };
        let (Some(key), Some(idx)) = (self.key_of(base), self.const_index(idx)) else {
            return false;
        };
        let e = st.elems.entry(key.clone()).or_default();
        if e.len() >= MAX_ELEMENTS && !e.contains_key(&idx) {
            return false;
        }
        let note = format!("stored into `{key}`");
        let t = t
            .as_ref()
            .map(|t| t.with_step(TaintStepKind::Propagation, stmt, note));
        e.insert(idx, t);
        true
    }

    /// Per-position taints of a value unpacked into `n` targets, when known: a container
    /// name with tracked elements, a tuple or list literal, a local call returning a tuple,
    /// or (building a summary) a parameter of the function, whose elements get markers of
    /// their own.
    pub(super) fn unpacked(
        &mut self,
        value: Node<'t>,
        n: usize,
        st: &State<'t>,
    ) -> Option<Vec<Option<Taint<'t>>>> {
        let value = crate::rules::args::unparen(value);
        if let Some(key) = self.key_of(value) {
            if let Some(p) = st.vars.get(&key).and_then(|t| untouched_param(t)) {
                if !st.elems.contains_key(&key) {
                    let t = st.vars[&key].clone();
                    return self.param_elements(p, n, &t);
                }
            }
            st.elems.get(&key)?;
            return Some(
                (0..n)
                    .map(|i| st.element(&key, &format!("i:{i}")))
                    .collect(),
            );
        }
        if matches!(
            value.kind_name(),
            "call" | "tuple" | "list" | "expression_list"
        ) {
            let (elems, _) = self.literal_elements(value, st)?;
            return (elems.len() == n).then(|| elems.into_iter().map(|(_, t)| t).collect());
        }
        None
    }

    /// `d.update({...})`, `items.append(x)` and friends: what a method call stores into
    /// its receiver. Returns whether the call was one.
    pub(super) fn store_by_method(&mut self, call: Node<'t>, stmt: Node<'t>, st: &mut State<'t>) {
        let Some(f) = call
            .child_by_field_id(FIELD.function)
            .filter(|f| f.kind_name() == "attribute")
        else {
            return;
        };
        let (Some(obj), Some(m)) = (
            f.child_by_field_id(FIELD.object),
            f.child_by_field_id(FIELD.attribute),
        ) else {
            return;
        };
        let method = text(m, self.src());
        if !matches!(
            method,
            "update" | "append" | "extend" | "insert" | "add" | "setdefault" | "appendleft"
        ) {
            return;
        }
        let Some(args) = call.child_by_field_id(FIELD.arguments) else {
            return;
        };
        if matches!(method, "update" | "setdefault") && !self.eng.store_table.is_empty() {
            let t = self.eval(args, st);
            self.check_store(obj, args, &t, stmt);
        }
        let Some(key) = self.key_of(obj) else { return };
        if method == "update" {
            let mut c = args.walk();
            let first = args
                .named_children(&mut c)
                .find(|a| a.kind_name() != "comment");
            if let Some(d) = first.filter(|d| d.kind_name() == "dictionary") {
                if let Some((elems, rest)) = self.literal_elements(d, st) {
                    let note = format!("stored into `{key}`");
                    let e = st.elems.entry(key.clone()).or_default();
                    for (idx, t) in elems {
                        let t =
                            t.map(|t| t.with_step(TaintStepKind::Propagation, stmt, note.clone()));
                        e.insert(idx, t);
                    }
                    if let Some(t) = rest {
                        self.taint_container(obj, t, stmt, st);
                    }
                    return;
                }
            }
        }
        if let Some(t) = self.eval(args, st) {
            self.taint_container(obj, t, stmt, st);
        }
    }
}

/// The parameter whose marker `t` is, untouched: the marker bit alone, straight from the
/// parameter (no sanitizer, no step).
fn untouched_param(t: &Taint<'_>) -> Option<usize> {
    let bits = t.kinds >> super::summary::PARAM_SHIFT;
    (t.kinds & super::summary::SOURCE_MASK == 0
        && bits.count_ones() == 1
        && t.cleared == 0
        && t.path.len() == 1)
        .then(|| bits.trailing_zeros() as usize)
}
