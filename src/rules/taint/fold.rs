//! Constant folding of conditions: `7 * 18 + 106 > 200`, `not 0`, `False and x`. A branch
//! whose condition folds to false is dead, and its values do not flow.

use tree_sitter::Node;

use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

/// A constant value, as far as truthiness and comparisons need it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Const {
    Num(f64),
    /// A string or bytes literal, by its length (only truthiness is asked of it).
    Str(usize),
    None,
}

impl Const {
    fn truthy(self) -> bool {
        match self {
            Const::Num(n) => n != 0.0,
            Const::Str(len) => len > 0,
            Const::None => false,
        }
    }
}

/// The most nested operators folded.
const MAX_DEPTH: usize = 32;

/// Whether `cond` is a constant, and then its truth value.
pub(super) fn truthiness(cond: Node, src: &str) -> Option<bool> {
    fold(cond, src, 0).map(Const::truthy)
}

fn fold(n: Node, src: &str, depth: usize) -> Option<Const> {
    if depth > MAX_DEPTH {
        return None;
    }
    let d = depth + 1;
    match n.kind_name() {
        "parenthesized_expression" => fold(n.named_child(0)?, src, d),
        "integer" => {
            let t = text(n, src).replace('_', "");
            let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                i64::from_str_radix(h, 16).ok()? as f64
            } else if let Some(o) = t.strip_prefix("0o").or_else(|| t.strip_prefix("0O")) {
                i64::from_str_radix(o, 8).ok()? as f64
            } else if let Some(b) = t.strip_prefix("0b").or_else(|| t.strip_prefix("0B")) {
                i64::from_str_radix(b, 2).ok()? as f64
            } else {
                t.parse::<f64>().ok()?
            };
            Some(Const::Num(v))
        }
        "float" => Some(Const::Num(text(n, src).replace('_', "").parse().ok()?)),
        "true" => Some(Const::Num(1.0)),
        "false" => Some(Const::Num(0.0)),
        "none" => Some(Const::None),
        "string" => {
            let mut c = n.walk();
            let mut len = 0usize;
            for ch in n.named_children(&mut c) {
                match ch.kind_name() {
                    "interpolation" => return None,
                    "string_content" | "escape_sequence" => len += ch.byte_range().len(),
                    _ => {}
                }
            }
            Some(Const::Str(len))
        }
        "not_operator" => {
            let v = fold(n.child_by_field_id(FIELD.argument)?, src, d)?;
            Some(Const::Num(if v.truthy() { 0.0 } else { 1.0 }))
        }
        "unary_operator" => {
            let v = fold(n.child_by_field_id(FIELD.argument)?, src, d)?;
            let Const::Num(x) = v else { return None };
            match n.child_by_field_id(FIELD.operator).map(|o| o.kind_name()) {
                Some("-") => Some(Const::Num(-x)),
                Some("+") => Some(Const::Num(x)),
                _ => None,
            }
        }
        "boolean_operator" => {
            let l = fold(n.child_by_field_id(FIELD.left)?, src, d);
            let r = n.child_by_field_id(FIELD.right)?;
            let and = n.child_by_field_id(FIELD.operator).map(|o| o.kind_name()) == Some("and");
            // `False and x` / `True or x` decide without `x`.
            match (l, and) {
                (Some(l), true) if !l.truthy() => Some(l),
                (Some(l), false) if l.truthy() => Some(l),
                (Some(_), _) => fold(r, src, d),
                (None, _) => {
                    // `x and False` is falsy and `x or True` truthy, but not a constant value.
                    let rv = fold(r, src, d)?;
                    match (and, rv.truthy()) {
                        (true, false) | (false, true) => Some(rv),
                        _ => None,
                    }
                }
            }
        }
        "binary_operator" => {
            let (Const::Num(a), Const::Num(b)) = (
                fold(n.child_by_field_id(FIELD.left)?, src, d)?,
                fold(n.child_by_field_id(FIELD.right)?, src, d)?,
            ) else {
                return None;
            };
            let v = match n.child_by_field_id(FIELD.operator)?.kind_name() {
                "+" => a + b,
                "-" => a - b,
                "*" => a * b,
                "/" if b != 0.0 => a / b,
                "//" if b != 0.0 => (a / b).floor(),
                "%" if b != 0.0 => a - b * (a / b).floor(),
                "**" if b.abs() <= 64.0 => a.powf(b),
                _ => return None,
            };
            v.is_finite().then_some(Const::Num(v))
        }
        "comparison_operator" => {
            let (ops, vals) = comparison_parts(n);
            if vals.len() != ops.len() + 1 {
                return None;
            }
            let mut prev = fold(vals[0], src, d)?;
            for (op, v) in ops.iter().zip(&vals[1..]) {
                let cur = fold(*v, src, d)?;
                let holds = match (prev, cur) {
                    (Const::Num(a), Const::Num(b)) => match *op {
                        "<" => a < b,
                        "<=" => a <= b,
                        ">" => a > b,
                        ">=" => a >= b,
                        "==" => a == b,
                        "!=" => a != b,
                        _ => return None,
                    },
                    (Const::None, Const::None) => match *op {
                        "is" | "==" => true,
                        "is not" | "!=" => false,
                        _ => return None,
                    },
                    _ => return None,
                };
                if !holds {
                    return Some(Const::Num(0.0));
                }
                prev = cur;
            }
            Some(Const::Num(1.0))
        }
        _ => None,
    }
}

/// A comparison's operators (`<`, `not in`...) and its operands, in order.
pub(crate) fn comparison_parts<'t>(n: Node<'t>) -> (Vec<&'t str>, Vec<Node<'t>>) {
    let mut c = n.walk();
    let ops: Vec<&'t str> = n
        .children_by_field_name("operators", &mut c)
        .map(|o| o.kind_name())
        .collect();
    let mut c2 = n.walk();
    let operands: Vec<Node<'t>> = n.named_children(&mut c2).collect();
    (ops, operands)
}

#[cfg(test)]
mod tests {
    use super::truthiness;

    fn truth(expr: &str) -> Option<bool> {
        let mut p = tree_sitter::Parser::new();
        p.set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let src = format!("({expr})\n");
        let tree = p.parse(&src, None).unwrap();
        let e = tree
            .root_node()
            .named_child(0)
            .unwrap()
            .named_child(0)
            .unwrap();
        truthiness(e, &src)
    }

    #[test]
    fn folds_arithmetic_comparisons_and_logic() {
        assert_eq!(truth("7 * 18 + 106 > 200"), Some(true));
        assert_eq!(truth("7 * 18 + 106 < 200"), Some(false));
        assert_eq!(truth("not 0"), Some(true));
        assert_eq!(truth("False and x"), Some(false));
        assert_eq!(truth("x or True"), Some(true));
        assert_eq!(truth("1 < 2 < 3"), Some(true));
        assert_eq!(truth("3 > 2 > 2"), Some(false));
        assert_eq!(truth("''"), Some(false));
        assert_eq!(truth("'a'"), Some(true));
        assert_eq!(truth("None is None"), Some(true));
        assert_eq!(truth("2 ** 10 == 1024"), Some(true));
        assert_eq!(truth("-0x10 + 16"), Some(false));
        assert_eq!(truth("x > 1"), None);
        assert_eq!(truth("f'{x}'"), None);
        assert_eq!(truth("1 / 0"), None);
        assert_eq!(truth("x and True"), None);
    }
}
