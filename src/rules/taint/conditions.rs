//! Conditions: what a branch condition proves (allow-lists, validators), and whether a
//! block that exits rejects the request (for guard clauses).

use tree_sitter::Node;

use crate::rules::args::unparen;
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

use super::state::State;
use super::Analyzer;

impl<'e, 'a, 't, 'o> Analyzer<'e, 'a, 't, 'o> {
    /// Names a condition proves safe: `(when true, when false)`.
    pub(super) fn condition_facts(
        &mut self,
        cond: Node<'t>,
        depth: usize,
    ) -> (Vec<String>, Vec<String>) {
        let cond = crate::rules::args::unparen(cond);
        if depth > 16 {
            return (vec![], vec![]);
        }
        match cond.kind_name() {
            "comparison_operator" => {
                let (ops, operands) = super::fold::comparison_parts(cond);
                let left = operands.first().copied();
                if ops.len() == 1 {
                    // `urlparse(x).netloc in HOSTS`, `urlsplit(x).hostname == "a.example"`:
                    // `x` goes to a host the code names, as `url_has_allowed_host_and_scheme`.
                    if let Some(key) = left.and_then(|l| self.host_of(l)) {
                        let constant = operands
                            .get(1)
                            .is_some_and(|r| crate::rules::constant::constant(*r, self.src(), 0));
                        match ops[0] {
                            "in" | "==" if constant => return (vec![key], vec![]),
                            "not in" | "!=" if constant => return (vec![], vec![key]),
                            _ => {}
                        }
                    }
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
            "not_operator" => match cond.child_by_field_id(FIELD.argument) {
                Some(a) => {
                    let (t, f) = self.condition_facts(a, depth + 1);
                    (f, t)
                }
                None => (vec![], vec![]),
            },
            "boolean_operator" => {
                let op = cond
                    .child_by_field_id(FIELD.operator)
                    .map(|o| o.kind_name());
                let (Some(l), Some(r)) = (
                    cond.child_by_field_id(FIELD.left),
                    cond.child_by_field_id(FIELD.right),
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
                // Validators: `pattern.fullmatch(x)`, `url_has_allowed_host_and_scheme(x)`,
                // `x.isdigit()` (no arguments: the receiver is checked).
                let Some(f) = cond.child_by_field_id(FIELD.function) else {
                    return (vec![], vec![]);
                };
                let (q, m) = self.resolve(f);
                if !self.eng.validators.contains(q.as_deref(), m.as_deref()) {
                    return (vec![], vec![]);
                }
                let mut keys = Vec::new();
                if let Some(args) = cond.child_by_field_id(FIELD.arguments) {
                    let mut c = args.walk();
                    for a in args.named_children(&mut c) {
                        let v = if a.kind_name() == "keyword_argument" {
                            a.child_by_field_id(FIELD.value)
                        } else {
                            Some(a)
                        };
                        if let Some(k) = v.and_then(|v| self.key_of(v)) {
                            keys.push(k);
                        }
                    }
                }
                if keys.is_empty() && f.kind_name() == "attribute" {
                    // `x.isalnum()`, and through string methods: `x.replace("-", "").isalnum()`.
                    let mut obj = f.child_by_field_id(FIELD.object);
                    while let Some(o) = obj.filter(|o| o.kind_name() == "call") {
                        obj = o
                            .child_by_field_id(FIELD.function)
                            .filter(|g| g.kind_name() == "attribute")
                            .and_then(|g| g.child_by_field_id(FIELD.object));
                    }
                    if let Some(k) = obj.and_then(|o| self.key_of(o)) {
                        keys.push(k);
                    }
                }
                (keys, vec![])
            }
            _ => (vec![], vec![]),
        }
    }

    /// The key of `x` in `urlparse(x).netloc` / `urlsplit(x).hostname` (the host a URL
    /// names).
    fn host_of(&mut self, n: Node<'t>) -> Option<String> {
        let n = unparen(n);
        if n.kind_name() != "attribute"
            || !matches!(
                text(n.child_by_field_id(FIELD.attribute)?, self.src()),
                "netloc" | "hostname"
            )
        {
            return None;
        }
        let call = unparen(n.child_by_field_id(FIELD.object)?);
        if call.kind_name() != "call" {
            return None;
        }
        let (q, m) = self.resolve(call.child_by_field_id(FIELD.function)?);
        let parses = |s: Option<&str>| {
            s.is_some_and(|s| matches!(s.rsplit('.').next(), Some("urlparse" | "urlsplit")))
        };
        if !parses(q.as_deref()) && !parses(m.as_deref()) {
            return None;
        }
        let url = call.child_by_field_id(FIELD.arguments)?.named_child(0)?;
        self.key_of(url)
    }

    /// Whether a block that exits does so by rejecting the request: it raises, aborts,
    /// skips the iteration, or returns something clean (an error response, a constant
    /// redirect), not the checked value.
    pub(super) fn rejects(&mut self, body: Node<'t>, st: &State<'t>) -> bool {
        let Some(last) = body.named_child(body.named_child_count().saturating_sub(1) as u32) else {
            return false;
        };
        match last.kind_name() {
            "raise_statement" | "continue_statement" | "break_statement" => true,
            "expression_statement" => true,
            "return_statement" => match last.named_child(0) {
                Some(v) => self.eval(v, st).is_none(),
                None => true,
            },
            _ => false,
        }
    }

    /// `abort(...)`, `sys.exit(...)`, `exit()`: control does not continue.
    pub(super) fn is_exit_call(&mut self, call: Node<'t>) -> bool {
        let Some(f) = call.child_by_field_id(FIELD.function) else {
            return false;
        };
        let (q, m) = self.resolve(f);
        matches!(
            q.as_deref(),
            Some("sys.exit" | "exit" | "quit" | "os._exit" | "abort")
        ) || m.as_deref() == Some("abort")
    }
}

/// Whether `cond` is `SIDE OP X` (`op` being `in` or `not in`) with `side` a subscript by a
/// literal of a name (`opts["sort"]`), the same text: taken where the test holds, `side` is
/// an element of `X`. (Names and attributes are keys of the state, which
/// `condition_facts` handles.)
pub(super) fn membership_of(cond: Node, side: Node, op: &str, src: &str) -> bool {
    let (cond, side) = (unparen(cond), unparen(side));
    let literal_subscript = side.kind_name() == "subscript"
        && side
            .child_by_field_id(FIELD.value)
            .is_some_and(|v| matches!(v.kind_name(), "identifier" | "attribute"))
        && side
            .child_by_field_id(FIELD.subscript)
            .is_some_and(|k| matches!(k.kind_name(), "string" | "integer"));
    if !literal_subscript || cond.kind_name() != "comparison_operator" {
        return false;
    }
    let (ops, operands) = super::fold::comparison_parts(cond);
    ops.as_slice() == [op]
        && operands.len() == 2
        && text(unparen(operands[0]), src) == text(side, src)
}
