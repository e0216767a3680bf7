//! Expressions: whether a value is tainted, and by which path.

use std::rc::Rc;

use tree_sitter::Node;

use super::state::{State, Taint};
use super::Analyzer;
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

impl<'e, 'a, 't, 'o> Analyzer<'e, 'a, 't, 'o> {
    /// The state key of a name or attribute chain (`x`, `self.cmd`).
    pub(super) fn key_of(&self, n: Node<'t>) -> Option<String> {
        let n = crate::rules::args::unparen(n);
        match n.kind_name() {
            "identifier" => Some(text(n, self.src()).to_string()),
            "attribute" => {
                let mut parts = Vec::new();
                let mut cur = n;
                loop {
                    match cur.kind_name() {
                        "identifier" => {
                            parts.push(text(cur, self.src()));
                            break;
                        }
                        "attribute" => {
                            parts.push(text(cur.child_by_field_id(FIELD.attribute)?, self.src()));
                            cur = cur.child_by_field_id(FIELD.object)?;
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

    /// After a guard clause on `cond` (its body exits): the values it checked are safe for
    /// the rules whose `taint.guards` is set. A value is checked when the condition compares
    /// it (`==`, `in`, `<`...) or passes it to a check such as `startswith`, `isinstance`,
    /// `commonpath` or `is_relative_to`; `if not x:` or `if x.is_dir():` check nothing.
    pub(super) fn guard(&mut self, cond: Node<'t>, st: &mut State<'t>) {
        const CHECKS: &[&str] = &[
            "startswith",
            "endswith",
            "is_relative_to",
            "relative_to",
            "isinstance",
            "fullmatch",
            "match",
            "search",
            "commonpath",
            "commonprefix",
            "issubset",
            "issuperset",
        ];
        let bits = self.eng.guard_rules;
        if bits == 0 {
            return;
        }
        let mut keys = Vec::new();
        // (node, inside a check, under a `not`)
        let mut stack = vec![(cond, false, false)];
        while let Some((n, inside, negated)) = stack.pop() {
            match n.kind_name() {
                "identifier" | "attribute" if inside => {
                    if let Some(k) = self.key_of(n) {
                        // `parts.hostname` checks `parts` too.
                        if let Some((root, _)) = k.split_once('.') {
                            keys.push(root.to_string());
                        }
                        keys.push(k);
                        continue;
                    }
                    if let Some(o) = n.child_by_field_id(FIELD.object) {
                        stack.push((o, inside, negated));
                    }
                }
                "call" => {
                    let f = n.child_by_field_id(FIELD.function);
                    let name = f.map(|f| match f.kind_name() {
                        "attribute" => f
                            .child_by_field_id(FIELD.attribute)
                            .map_or("", |a| text(a, self.src())),
                        _ => text(f, self.src()).rsplit('.').next().unwrap_or(""),
                    });
                    // `x.startswith("//")` with a literal checks a prefix, not a root.
                    let first = n
                        .child_by_field_id(FIELD.arguments)
                        .and_then(|a| a.named_child(0));
                    let literal_arg =
                        first.is_some_and(|x| matches!(x.kind_name(), "string" | "tuple"));
                    // A required root (`"/"`, `"/srv/files/"`), not a scheme.
                    let root_literal = first.is_some_and(|x| {
                        x.kind_name() == "string"
                            && text(x, self.src())
                                .trim_start_matches(['r', 'b', 'u', 'R', 'B', 'U'])
                                .trim_start_matches(['"', '\''])
                                .starts_with('/')
                    });
                    let check = inside
                        || name.is_some_and(|m| {
                            CHECKS.contains(&m)
                                // `x.startswith("//")` rejects one bad prefix; `not
                                // x.startswith("/")` requires a good one.
                                && !(matches!(m, "startswith" | "endswith")
                                    && literal_arg
                                    && !(negated && root_literal))
                        });
                    if let Some(f) = f.filter(|f| f.kind_name() == "attribute") {
                        if let Some(o) = f.child_by_field_id(FIELD.object) {
                            stack.push((o, check, negated));
                        }
                    }
                    if let Some(a) = n.child_by_field_id(FIELD.arguments) {
                        stack.push((a, check, negated));
                    }
                }
                "comparison_operator" => {
                    // Membership (`x in ALLOWED`) checks the left side; an equality checks
                    // its sides only against something that is not a literal
                    // (`commonpath([root, p]) != root`); an ordering checks nothing.
                    let (ops, sides) = super::fold::comparison_parts(n);
                    let literal = |x: &Node| {
                        matches!(
                            x.kind_name(),
                            "string" | "integer" | "float" | "true" | "false" | "none"
                        )
                    };
                    if ops.iter().all(|o| matches!(*o, "in" | "not in")) {
                        if let Some(l) = sides.first() {
                            stack.push((*l, true, negated));
                        }
                    } else if ops
                        .iter()
                        .all(|o| matches!(*o, "==" | "!=" | "is" | "is not"))
                        && !sides.iter().any(literal)
                    {
                        for ch in sides {
                            stack.push((ch, true, negated));
                        }
                    }
                }
                _ => {
                    let mut c = n.walk();
                    for ch in n.named_children(&mut c) {
                        stack.push((ch, inside, negated || n.kind_name() == "not_operator"));
                    }
                }
            }
        }
        let parsed: Vec<String> = keys.iter().filter_map(|k| st.checked_keys(k)).collect();
        for k in keys.into_iter().chain(parsed) {
            if let Some(t) = st.vars.get_mut(&k) {
                t.cleared |= bits;
            }
        }
    }

    /// `urlparse(url)` / `urlsplit(url)` of a plain name: that name.
    pub(super) fn parse_of(&mut self, value: Node<'t>) -> Option<String> {
        let value = crate::rules::args::unparen(value);
        if value.kind_name() != "call" {
            return None;
        }
        let (q, m) = self.resolve(value.child_by_field_id(FIELD.function)?);
        let callee = q.or(m)?;
        if !matches!(callee.rsplit('.').next(), Some("urlparse" | "urlsplit")) {
            return None;
        }
        let arg = value.child_by_field_id(FIELD.arguments)?.named_child(0)?;
        (arg.kind_name() == "identifier").then(|| text(arg, self.src()).to_string())
    }

    // ----- expressions ----------------------------------------------------------------

    /// The taint of an expression (iterative: deep nesting cannot overflow the stack).
    pub(super) fn eval(&mut self, expr: Node<'t>, st: &State<'t>) -> Option<Taint<'t>> {
        let mut result: Option<Taint<'t>> = None;
        let mut stack = vec![expr];
        while let Some(n) = stack.pop() {
            match n.kind_name() {
                "identifier" => {
                    let name = text(n, self.src());
                    if let Some(t) = st.whole(name) {
                        result = Taint::merge(result, Some(t));
                    } else if st.elems.contains_key(name) {
                        // A container whose tracked elements are all clean.
                    } else if !st.objects.contains_key(name) {
                        if let Some(t) = self.value_source(n, st) {
                            result = Taint::merge(result, Some(t));
                        }
                    }
                }
                "attribute" => {
                    if let Some(key) = self.key_of(n) {
                        if st.clean.contains(&key) {
                            continue;
                        }
                        if let Some(t) = st.whole(&key) {
                            result = Taint::merge(result, Some(t));
                            continue;
                        }
                        if st.elems.contains_key(&key) {
                            continue;
                        }
                        if let Some(t) = self.value_source(n, st) {
                            result = Taint::merge(result, Some(t));
                            continue;
                        }
                    }
                    if let Some(o) = n.child_by_field_id(FIELD.object) {
                        stack.push(o);
                    }
                }
                "call" => {
                    let Some(f) = n.child_by_field_id(FIELD.function) else {
                        continue;
                    };
                    let (q, m) = self.resolve(f);
                    let (q, m) = (q.as_deref(), m.as_deref());
                    if self.eng.global_sanitizers.contains(q, m) {
                        // Some kinds survive conversions: a hash of a predictable value is
                        // predictable.
                        let keep = self.eng.persistent_kinds;
                        if let Some(a) = n.child_by_field_id(FIELD.arguments).filter(|_| keep != 0)
                        {
                            if let Some(mut t) = self.eval(a, st) {
                                t.kinds &= keep;
                                if t.kinds != 0 {
                                    result = Taint::merge(result, Some(t));
                                }
                            }
                        }
                        continue;
                    }
                    let mut cleared = 0u128;
                    self.eng.rule_sanitizers.lookup(q, m, |b| cleared |= *b);
                    if cleared != 0 {
                        if let Some(args) = n.child_by_field_id(FIELD.arguments) {
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
                    // A class of this file built from tainted arguments: the fields its
                    // constructor sets from them.
                    if f.kind_name() == "identifier" && !self.cx.table.instances.is_empty() {
                        let class = text(f, self.src());
                        if self.cx.table.instances.values().any(|c| c == class) {
                            self.record_field_writes(n, class, st);
                        }
                    }
                    // A function of this file: what its summary returns.
                    if let Some(fi) = self.local_callee(n) {
                        let t = self.call_result(n, fi, st);
                        result = Taint::merge(result, t);
                        continue;
                    }
                    // `request.args.get(...)`: the call on a source value is the source.
                    if f.kind_name() == "attribute"
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
                    // A lookup `table.get(key, default)` yields the table's values (or the
                    // default), not the key.
                    let is_get = f.kind_name() == "attribute"
                        && f.child_by_field_id(FIELD.attribute)
                            .is_some_and(|a| text(a, self.src()) == "get");
                    if is_get {
                        if let Some(t) =
                            self.tracked_element(f, n.child_by_field_id(FIELD.arguments), st)
                        {
                            result = Taint::merge(result, t);
                        } else if let Some(o) = f.child_by_field_id(FIELD.object) {
                            stack.push(o);
                        }
                        if let Some(a) = n.child_by_field_id(FIELD.arguments) {
                            let mut c = a.walk();
                            let mut positional = 0;
                            for x in a.named_children(&mut c) {
                                if x.kind_name() == "keyword_argument" || positional > 0 {
                                    stack.push(x);
                                }
                                if x.kind_name() != "keyword_argument" {
                                    positional += 1;
                                }
                            }
                        }
                        continue;
                    }
                    // Receivers carry data (`x.strip()`, `"".join(x)`); a bare function
                    // name does not.
                    if f.kind_name() != "identifier" {
                        stack.push(f);
                    }
                    // An ORM lookup (`Article.objects.filter(title__icontains=q)`) returns
                    // rows, not the text it was filtered by.
                    let lookup = f.kind_name() == "attribute" && m.is_some_and(is_orm_lookup);
                    if let Some(a) = n.child_by_field_id(FIELD.arguments).filter(|_| !lookup) {
                        let process = self.eng.process_rules;
                        if process != 0 && !carries_arguments(m.or(q)) {
                            if let Some(mut t) = self.eval(a, st) {
                                t.cleared |= process;
                                result = Taint::merge(result, Some(t));
                            }
                        } else {
                            stack.push(a);
                        }
                    }
                }
                "subscript" => {
                    // `d["k"]` of a container with tracked elements: that element.
                    if let Some(t) = self.tracked_element(n, None, st) {
                        result = Taint::merge(result, t);
                        continue;
                    }
                    // `TABLE[user_key]` is a trusted value: only the container matters.
                    if let Some(v) = n.child_by_field_id(FIELD.value) {
                        stack.push(v);
                    }
                }
                "keyword_argument" => {
                    if let Some(v) = n.child_by_field_id(FIELD.value) {
                        stack.push(v);
                    }
                }
                "conditional_expression" => {
                    // `a if cond else b`: a constant condition leaves one side dead, and a
                    // side the condition proves safe (`role if role in ROLES else "viewer"`)
                    // adds nothing.
                    let cond = n.named_child(1);
                    let live = cond.and_then(|c| super::fold::truthiness(c, self.src()));
                    let (when_true, when_false) = match (live, cond) {
                        (None, Some(c)) => self.condition_facts(c, 0),
                        _ => (vec![], vec![]),
                    };
                    // (or `opts["sort"] if opts["sort"] in COLUMNS else "id"`: the same
                    // subscript by a literal, tested where it is taken.)
                    let proven = |this: &Self, side: Node<'t>, keys: &[String], op: &str| {
                        this.key_of(side).is_some_and(|k| keys.contains(&k))
                            || cond.is_some_and(|c| {
                                super::conditions::membership_of(c, side, op, this.src())
                            })
                    };
                    let mut c = n.walk();
                    let sides: Vec<Node<'t>> = n.named_children(&mut c).collect();
                    for (i, ch) in sides.into_iter().enumerate() {
                        let keep = match live {
                            Some(true) => i == 0,
                            Some(false) => i == 2,
                            None => {
                                (i == 0 && !proven(self, ch, &when_true, "in"))
                                    || (i == 2 && !proven(self, ch, &when_false, "not in"))
                            }
                        };
                        if keep {
                            stack.push(ch);
                        }
                    }
                }
                "list_comprehension"
                | "set_comprehension"
                | "dictionary_comprehension"
                | "generator_expression" => {
                    result = Taint::merge(result, self.eval_comprehension(n, st));
                }
                "named_expression" => {
                    if let Some(v) = n.child_by_field_id(FIELD.value) {
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
                    if let Some(e) = n.child_by_field_id(FIELD.expression) {
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

    /// `d["k"]` (a subscript), or `d.get("k", default)` (an attribute `d.get` with its
    /// arguments) of a container with tracked elements: `Some(taint of that element)`;
    /// `None` when the form does not apply.
    #[allow(clippy::option_option)]
    fn tracked_element(
        &mut self,
        n: Node<'t>,
        get_args: Option<Node<'t>>,
        st: &State<'t>,
    ) -> Option<Option<Taint<'t>>> {
        let (base, idx) = match get_args {
            None => (
                n.child_by_field_id(FIELD.value)?,
                n.child_by_field_id(FIELD.subscript)?,
            ),
            Some(args) => {
                let mut c = args.walk();
                let first = args
                    .named_children(&mut c)
                    .find(|a| a.kind_name() != "comment" && a.kind_name() != "keyword_argument")?;
                (n.child_by_field_id(FIELD.object)?, first)
            }
        };
        let key = self.key_of(base)?;
        st.elems.get(&key)?;
        let idx = self.const_index(idx)?;
        Some(st.element(&key, &idx))
    }

    /// Taint of a name/attribute chain that is itself a source value (`sys.argv`,
    /// `request.args` where `request` is Flask's or a handler's request parameter).
    pub(super) fn value_source(&mut self, n: Node<'t>, st: &State<'t>) -> Option<Taint<'t>> {
        // Handler request objects: `request.GET` with `request` a parameter.
        if n.kind_name() == "attribute" {
            let key = self.key_of(n)?;
            // `self.request.POST` in a class-based view: `self.request` is the request.
            let view_request = key.starts_with("self.request.") && self.in_method();
            let key = if view_request {
                key["self.".len()..].to_string()
            } else {
                key
            };
            let mut parts = key.split('.');
            let root = parts.next()?;
            let object = st.objects.get(root).copied().or_else(|| {
                view_request
                    .then(|| self.eng.source_params.get("request").copied())
                    .flatten()
            });
            if let Some(si) = object {
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
}

/// Whether a call's result is made of its arguments' data (conversions, string building,
/// encodings, copies), as opposed to something computed from them (a lookup, a check).
fn carries_arguments(callee: Option<&str>) -> bool {
    let Some(c) = callee else { return true };
    let last = c.rsplit('.').next().unwrap_or(c);
    matches!(
        last,
        "str"
            | "repr"
            | "format"
            | "join"
            | "dict"
            | "list"
            | "tuple"
            | "set"
            | "frozenset"
            | "sorted"
            | "reversed"
            | "bytes"
            | "bytearray"
            | "dumps"
            | "loads"
            | "quote"
            | "quote_plus"
            | "unquote"
            | "unquote_plus"
            | "urlencode"
            | "encode"
            | "decode"
            | "b64encode"
            | "b64decode"
            | "urlsafe_b64encode"
            | "urlsafe_b64decode"
            | "copy"
            | "deepcopy"
            | "escape"
            | "Markup"
            | "strip"
            | "lower"
            | "upper"
            | "replace"
            | "get"
            | "getlist"
            | "pop"
            | "setdefault"
            | "update"
            | "append"
            | "extend"
    )
}

/// Methods of ORM query objects that select rows by their arguments (Django, SQLAlchemy,
/// Peewee, MongoEngine).
fn is_orm_lookup(method: &str) -> bool {
    let last = method.rsplit('.').next().unwrap_or(method);
    matches!(
        last,
        "filter"
            | "filter_by"
            | "exclude"
            | "get_object_or_404"
            | "get_list_or_404"
            | "get_or_none"
            | "get_or_create"
            | "exists"
            | "count"
    )
}
