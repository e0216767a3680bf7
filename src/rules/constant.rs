//! Whether a value is a constant of the program: a literal, a number, a module or class
//! constant bound only to literals, an element of such a table, a loop variable over one.
//! A string built only from constants cannot carry an attacker's text, whatever it
//! interpolates: `f"SELECT COUNT(*) FROM {t}" for t in TABLES` with `TABLES = ("a", "b")`, or
//! `{self.table}` with `table = "catalog_product"` in the class body and never assigned
//! elsewhere. Pattern rules that flag strings built at run time skip those (`dynamic`).

use tree_sitter::Node;

use super::args::unparen;
use super::fix::strings;
use super::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

/// Whether the string built in `node` interpolates at least one value that is not a
/// constant (`true` when it cannot tell).
pub(crate) fn dynamic(node: Node, src: &str) -> bool {
    match strings::pieces(node, src) {
        Some(p) => p.values().any(|v| !constant(v.node, src, 0)),
        None => true,
    }
}

/// Whether `v` always holds a constant of the program.
pub(crate) fn constant(v: Node, src: &str, depth: u8) -> bool {
    if depth > 6 {
        return false;
    }
    let v = unparen(v);
    match v.kind_name() {
        "integer" | "float" | "true" | "false" | "none" => true,
        "string" => {
            let mut c = v.walk();
            let interpolates = v
                .named_children(&mut c)
                .any(|x| x.kind_name() == "interpolation");
            !interpolates
        }
        "concatenated_string" | "binary_operator" => {
            let mut c = v.walk();
            let all = v
                .named_children(&mut c)
                .all(|x| constant(x, src, depth + 1));
            all
        }
        "tuple" | "list" | "set" => {
            let mut c = v.walk();
            let all = v
                .named_children(&mut c)
                .all(|x| constant(x, src, depth + 1));
            all
        }
        "dictionary" => {
            let mut c = v.walk();
            let all = v.named_children(&mut c).all(|p| {
                p.kind_name() == "pair"
                    && p.child_by_field_id(FIELD.key)
                        .is_some_and(|k| constant(k, src, depth + 1))
                    && p.child_by_field_id(FIELD.value)
                        .is_some_and(|x| constant(x, src, depth + 1))
            });
            all
        }
        "conditional_expression" => {
            let (Some(a), Some(cond), Some(b)) =
                (v.named_child(0), v.named_child(1), v.named_child(2))
            else {
                return false;
            };
            (constant(a, src, depth + 1) || member_of_constant(a, cond, "in", src, depth))
                && (constant(b, src, depth + 1)
                    || member_of_constant(b, cond, "not in", src, depth))
        }
        // A number cannot carry SQL or markup.
        // (and the entries of a constant table: `TABLE.items()`).
        "call" => {
            let Some(f) = v.child_by_field_id(FIELD.function) else {
                return false;
            };
            let entries = f.kind_name() == "attribute"
                && f.child_by_field_id(FIELD.attribute)
                    .is_some_and(|a| matches!(text(a, src), "items" | "values" | "keys"))
                && v.child_by_field_id(FIELD.arguments)
                    .is_some_and(|a| a.named_child_count() == 0)
                && f.child_by_field_id(FIELD.object)
                    .is_some_and(|o| constant(o, src, depth + 1));
            entries
                || matches!(
                    text(f, src),
                    "int" | "float" | "len" | "round" | "abs" | "bool"
                )
                || pure_of_constants(v, f, src, depth)
        }
        // An element of a constant table.
        "subscript" => v
            .child_by_field_id(FIELD.value)
            .is_some_and(|t| constant(t, src, depth + 1)),
        "identifier" => name_constant(v, src, depth),
        "attribute" => class_constant(v, src, depth),
        _ => false,
    }
}

/// A call that computes its value from its receiver and arguments alone, all of them
/// constants: string methods (`", ".join(FIELDS)`, `"{}".format(N)`, `NAME.upper()`) and
/// conversions of constants (`str(PORT)`, `sorted(COLUMNS)`).
fn pure_of_constants(call: Node, f: Node, src: &str, depth: u8) -> bool {
    let pure = match f.kind_name() {
        "attribute" => {
            f.child_by_field_id(FIELD.attribute).is_some_and(|a| {
                matches!(
                    text(a, src),
                    "join"
                        | "format"
                        | "upper"
                        | "lower"
                        | "strip"
                        | "lstrip"
                        | "rstrip"
                        | "replace"
                        | "title"
                        | "capitalize"
                )
            }) && f
                .child_by_field_id(FIELD.object)
                .is_some_and(|o| constant(o, src, depth + 1))
        }
        "identifier" => matches!(
            text(f, src),
            "str" | "sorted" | "tuple" | "list" | "set" | "frozenset" | "min" | "max"
        ),
        _ => false,
    };
    let Some(args) = call.child_by_field_id(FIELD.arguments).filter(|_| pure) else {
        return false;
    };
    let mut c = args.walk();
    let all = args.named_children(&mut c).all(|a| match a.kind_name() {
        "comment" => true,
        "keyword_argument" => a
            .child_by_field_id(FIELD.value)
            .is_some_and(|x| constant(x, src, depth + 1)),
        _ => constant(a, src, depth + 1),
    });
    all
}

/// Whether `cond` proves `side` to be an element of a constant collection where `side` is
/// taken: `x if x in ("a", "b") else "a"` (`op` is `in` for the first side, `not in` for the
/// second).
fn member_of_constant(side: Node, cond: Node, op: &str, src: &str, depth: u8) -> bool {
    let cond = unparen(cond);
    if cond.kind_name() != "comparison_operator" {
        return false;
    }
    let (ops, operands) = crate::rules::taint::comparison_parts(cond);
    match (ops.as_slice(), operands.as_slice()) {
        ([o], [left, table]) => {
            *o == op
                && text(unparen(*left), src) == text(unparen(side), src)
                && constant(*table, src, depth + 1)
        }
        _ => false,
    }
}

/// Every binding of the name `v` reads, in its function or else at module level, gives it a
/// constant: an assignment of one, or a loop over a constant collection.
fn name_constant(v: Node, src: &str, depth: u8) -> bool {
    let name = text(v, src);
    let mut scope = v;
    while let Some(p) = scope.parent() {
        scope = p;
        if matches!(scope.kind_name(), "function_definition" | "lambda") {
            break;
        }
    }
    let local = bindings(scope, name, src);
    if local.params {
        return false;
    }
    let values = if !local.values.is_empty() || scope.kind_name() == "module" {
        local
    } else {
        let root = crate::rules::resolve::root_of(scope);
        bindings(root, name, src)
    };
    !values.params
        && !values.values.is_empty()
        && values.values.iter().all(|b| match b {
            Bound::Value(x) => constant(*x, src, depth + 1),
            Bound::Element(x) => constant(*x, src, depth + 1),
            Bound::Other => false,
        })
}

enum Bound<'t> {
    /// `name = x`
    Value(Node<'t>),
    /// `for name in x`, `[... for name in x]`
    Element(Node<'t>),
    /// Anything else (augmented assignment, unpacking, `with`, import...).
    Other,
}

struct Bindings<'t> {
    values: Vec<Bound<'t>>,
    params: bool,
}

/// The bindings of `name` directly in `scope` (nested functions and classes left out, except
/// comprehensions, whose loop names are read where they stand).
fn bindings<'t>(scope: Node<'t>, name: &str, src: &str) -> Bindings<'t> {
    let mut out = Bindings {
        values: Vec::new(),
        params: false,
    };
    let mut stack = vec![scope];
    while let Some(n) = stack.pop() {
        if n.id() != scope.id()
            && matches!(
                n.kind_name(),
                "function_definition" | "class_definition" | "lambda"
            )
        {
            continue;
        }
        match n.kind_name() {
            "parameters" | "lambda_parameters" => {
                let mut c = n.walk();
                let hit = n.named_children(&mut c).any(|p| {
                    let id = if p.kind_name() == "identifier" {
                        Some(p)
                    } else {
                        p.child_by_field_id(FIELD.name)
                            .or_else(|| p.named_child(0))
                            .filter(|x| x.kind_name() == "identifier")
                    };
                    id.is_some_and(|i| text(i, src) == name)
                });
                out.params |= hit;
                continue;
            }
            "assignment" | "augmented_assignment" => {
                let left = n.child_by_field_id(FIELD.left);
                if left.is_some_and(|l| l.kind_name() == "identifier" && text(l, src) == name) {
                    match (n.kind_name(), n.child_by_field_id(FIELD.right)) {
                        ("assignment", Some(r)) => out.values.push(Bound::Value(r)),
                        _ => out.values.push(Bound::Other),
                    }
                } else if left
                    .is_some_and(|l| l.kind_name() != "identifier" && mentions(l, name, src))
                {
                    out.values.push(Bound::Other);
                }
            }
            "for_statement" | "for_in_clause" => {
                let left = n.child_by_field_id(FIELD.left);
                if left.is_some_and(|l| mentions(l, name, src)) {
                    // `for name in T`, `for key, name in T.items()`: an element, or a part of
                    // one, of `T`.
                    let plain = left.is_some_and(|l| {
                        matches!(
                            l.kind_name(),
                            "identifier" | "pattern_list" | "tuple_pattern" | "list_pattern"
                        )
                    });
                    match n.child_by_field_id(FIELD.right) {
                        Some(r) if plain => out.values.push(Bound::Element(r)),
                        _ => out.values.push(Bound::Other),
                    }
                }
            }
            "named_expression"
                if n.child_by_field_id(FIELD.name)
                    .is_some_and(|x| text(x, src) == name) =>
            {
                match n.child_by_field_id(FIELD.value) {
                    Some(r) => out.values.push(Bound::Value(r)),
                    None => out.values.push(Bound::Other),
                }
            }
            "as_pattern"
                if n.child_by_field_id(FIELD.alias)
                    .is_some_and(|a| mentions(a, name, src)) =>
            {
                out.values.push(Bound::Other);
            }
            "import_statement"
            | "import_from_statement"
            | "global_statement"
            | "nonlocal_statement"
            | "delete_statement"
                if mentions(n, name, src) =>
            {
                out.values.push(Bound::Other);
            }
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    out
}

/// Whether identifier `name` occurs under `n`.
fn mentions(n: Node, name: &str, src: &str) -> bool {
    if n.kind_name() == "identifier" {
        return text(n, src) == name;
    }
    let mut c = n.walk();
    let any = n.named_children(&mut c).any(|x| mentions(x, name, src));
    any
}

/// `self.X` / `cls.X`: the enclosing class binds `X` in its body to a constant only, and no
/// code of the file assigns `.X` anywhere.
fn class_constant(v: Node, src: &str, depth: u8) -> bool {
    let (Some(obj), Some(attr)) = (
        v.child_by_field_id(FIELD.object),
        v.child_by_field_id(FIELD.attribute),
    ) else {
        return false;
    };
    if !matches!(text(obj, src), "self" | "cls") {
        return false;
    }
    let attr = text(attr, src);
    let mut class = v;
    while class.kind_name() != "class_definition" {
        match class.parent() {
            Some(p) => class = p,
            None => return false,
        }
    }
    let Some(body) = class.child_by_field_id(FIELD.body) else {
        return false;
    };
    let root = crate::rules::resolve::root_of(class);
    // Assigned through an attribute anywhere (`self.table = name`, `repo.table = ...`).
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if matches!(n.kind_name(), "assignment" | "augmented_assignment") {
            let l = n.child_by_field_id(FIELD.left);
            let hit = l.is_some_and(|l| {
                let mut s = vec![l];
                while let Some(x) = s.pop() {
                    if x.kind_name() == "attribute"
                        && x.child_by_field_id(FIELD.attribute)
                            .is_some_and(|a| text(a, src) == attr)
                    {
                        return true;
                    }
                    let mut c = x.walk();
                    s.extend(x.named_children(&mut c));
                }
                false
            });
            if hit {
                return false;
            }
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    let b = bindings(body, attr, src);
    !b.values.is_empty()
        && b.values
            .iter()
            .all(|x| matches!(x, Bound::Value(r) if constant(*r, src, depth + 1)))
}
