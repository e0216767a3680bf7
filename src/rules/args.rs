//! Conditions on call arguments (`ArgCondition` / `ArgIs` in the schema), compiled once.

use regex::Regex;
use tree_sitter::Node;

use super::resolve::text;
use super::schema::{ArgCondition, ArgIs};
use crate::syntax_fields::{KindName, FIELD};

/// An `ArgCondition` with its regex compiled and its values normalised.
#[derive(Debug, Clone)]
pub struct CompiledArg {
    pub name: Option<String>,
    pub position: Option<usize>,
    pub is: ArgIs,
    pub below: i64,
    pub regex: Option<Regex>,
    pub values: Vec<String>,
}

impl CompiledArg {
    /// Compiles one condition; the error names the problem.
    pub fn compile(c: &ArgCondition) -> Result<CompiledArg, String> {
        if c.name.is_none() && c.position.is_none() {
            return Err("an argument condition needs `name` or `position`".into());
        }
        let regex = match (c.is, &c.regex) {
            (ArgIs::Matches | ArgIs::NotMatches, Some(r)) => Some(
                crate::rules::regexes::text(r).map_err(|e| format!("invalid regex `{r}`: {e}"))?,
            ),
            (ArgIs::Matches | ArgIs::NotMatches, None) => {
                return Err("`is = \"matches\"` and `\"not-matches\"` need `regex`".into())
            }
            _ => None,
        };
        let below = match (c.is, c.below) {
            (ArgIs::IntBelow, Some(b)) => b,
            (ArgIs::IntBelow, None) => return Err("`is = \"int-below\"` needs `below`".into()),
            _ => 0,
        };
        if c.is == ArgIs::OneOf && c.values.is_empty() {
            return Err("`is = \"one-of\"` needs `values`".into());
        }
        Ok(CompiledArg {
            name: c.name.clone(),
            position: c.position,
            is: c.is,
            below,
            regex,
            values: c.values.iter().map(|v| strip_ws(v)).collect(),
        })
    }

    /// Whether the call's arguments satisfy this condition.
    pub fn holds(&self, args: &CallArgs, src: &str) -> bool {
        let found = args.find(self.name.as_deref(), self.position);
        match found {
            ArgLookup::Found(v) => match self.is {
                ArgIs::Present => true,
                ArgIs::Absent => false,
                ArgIs::True => literal_truth(v, src) == Some(true),
                ArgIs::False | ArgIs::AbsentOrFalse => literal_truth(v, src) == Some(false),
                ArgIs::LiteralString => is_literal_string(v, src),
                ArgIs::NonLiteral => !is_plain_literal(v, src),
                ArgIs::NonConstant => {
                    !is_plain_literal(v, src) && !crate::rules::constant::constant(v, src, 0)
                }
                ArgIs::IntBelow => int_value(v, src).is_some_and(|i| i < self.below),
                ArgIs::Matches => self
                    .regex
                    .as_ref()
                    .is_some_and(|r| r.is_match(text(v, src))),
                ArgIs::NotMatches => self
                    .regex
                    .as_ref()
                    .is_some_and(|r| !r.is_match(text(v, src))),
                ArgIs::OneOf => {
                    let t = strip_ws(text(v, src));
                    self.values.contains(&t)
                }
            },
            ArgLookup::Absent => matches!(self.is, ArgIs::Absent | ArgIs::AbsentOrFalse),
            // Hidden behind `*args`/`**kwargs`: nothing can be said, so no condition holds.
            ArgLookup::Unknown => false,
        }
    }
}

fn strip_ws(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Result of looking an argument up.
#[derive(Debug, Clone, Copy)]
pub enum ArgLookup<'t> {
    /// The argument's value expression.
    Found(Node<'t>),
    /// Certainly not passed.
    Absent,
    /// Possibly passed through `*args` or `**kwargs`.
    Unknown,
}

/// The arguments of one call, split into positional and keyword arguments.
#[derive(Debug, Default)]
pub struct CallArgs<'t> {
    /// Positional arguments in order, up to the first `*args`.
    pub positional: Vec<Node<'t>>,
    /// `(name, value)` of keyword arguments.
    pub keywords: Vec<(&'t str, Node<'t>)>,
    pub has_star: bool,
    pub has_double_star: bool,
}

impl<'t> CallArgs<'t> {
    /// Collects the arguments of a `call` node.
    pub fn of_call(call: Node<'t>, src: &'t str) -> CallArgs<'t> {
        let mut out = CallArgs::default();
        let Some(list) = call.child_by_field_id(FIELD.arguments) else {
            return out;
        };
        if list.kind_name() == "generator_expression" {
            out.positional.push(list);
            return out;
        }
        let mut c = list.walk();
        for a in list.named_children(&mut c) {
            match a.kind_name() {
                "comment" => {}
                "keyword_argument" => {
                    if let (Some(n), Some(v)) = (
                        a.child_by_field_id(FIELD.name),
                        a.child_by_field_id(FIELD.value),
                    ) {
                        out.keywords.push((text(n, src), v));
                    }
                }
                "list_splat" => out.has_star = true,
                "dictionary_splat" => out.has_double_star = true,
                _ => {
                    if !out.has_star {
                        out.positional.push(a);
                    }
                }
            }
        }
        out
    }

    /// Finds an argument by keyword `name` or 0-based `position` (either, when both given).
    pub fn find(&self, name: Option<&str>, position: Option<usize>) -> ArgLookup<'t> {
        if let Some(n) = name {
            if let Some((_, v)) = self.keywords.iter().find(|(k, _)| *k == n) {
                return ArgLookup::Found(*v);
            }
        }
        if let Some(p) = position {
            if let Some(v) = self.positional.get(p) {
                return ArgLookup::Found(*v);
            }
        }
        let maybe_star = position.is_some() && self.has_star;
        let maybe_kw = name.is_some() && self.has_double_star;
        if maybe_star || maybe_kw {
            ArgLookup::Unknown
        } else {
            ArgLookup::Absent
        }
    }
}

/// Skips redundant parentheses around an expression.
pub fn unparen(mut n: Node) -> Node {
    while n.kind_name() == "parenthesized_expression" {
        match n.named_child(0) {
            Some(inner) if inner.kind_name() != "comment" => n = inner,
            _ => break,
        }
    }
    n
}

/// The truth value of a literal, or `None` when the expression is not a literal.
pub fn literal_truth(n: Node, src: &str) -> Option<bool> {
    let n = unparen(n);
    match n.kind_name() {
        "true" => Some(true),
        "false" | "none" => Some(false),
        "integer" => int_value(n, src).map(|v| v != 0).or(Some(true)),
        "float" => text(n, src)
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .map(|f| f != 0.0),
        "string" | "concatenated_string" => {
            if !is_literal_string(n, src) {
                return None;
            }
            Some(string_has_content(n))
        }
        "list" | "tuple" | "dictionary" | "set" => {
            if n.named_child_count() == 0 {
                Some(false)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Whether a string literal node (or concatenation) has any content.
fn string_has_content(n: Node) -> bool {
    let mut stack = vec![n];
    while let Some(s) = stack.pop() {
        let mut c = s.walk();
        for ch in s.named_children(&mut c) {
            match ch.kind_name() {
                "string" => stack.push(ch),
                "string_content" | "escape_sequence" | "interpolation" => return true,
                _ => {}
            }
        }
    }
    false
}

/// A string literal without interpolation (plain string, f-string without fields, or an
/// implicit concatenation of such strings).
pub fn is_literal_string(n: Node, _src: &str) -> bool {
    let n = unparen(n);
    let mut stack = vec![n];
    while let Some(s) = stack.pop() {
        match s.kind_name() {
            "string" => {
                let mut c = s.walk();
                if s.named_children(&mut c)
                    .any(|ch| ch.kind_name() == "interpolation")
                {
                    return false;
                }
            }
            "concatenated_string" => {
                let mut c = s.walk();
                for ch in s.named_children(&mut c) {
                    if ch.kind_name() != "comment" {
                        stack.push(ch);
                    }
                }
            }
            _ => return false,
        }
    }
    true
}

/// A plain literal: strings without interpolation, numbers, `True`/`False`/`None`, `...`,
/// negated numbers, and lists/tuples/sets/dicts made only of plain literals.
pub fn is_plain_literal(n: Node, src: &str) -> bool {
    let mut stack = vec![n];
    while let Some(s) = stack.pop() {
        match s.kind_name() {
            "integer" | "float" | "true" | "false" | "none" | "ellipsis" | "comment" => {}
            "string" | "concatenated_string" => {
                if !is_literal_string(s, src) {
                    return false;
                }
            }
            "unary_operator"
            | "parenthesized_expression"
            | "list"
            | "tuple"
            | "set"
            | "dictionary"
            | "pair" => {
                let mut c = s.walk();
                for ch in s.named_children(&mut c) {
                    stack.push(ch);
                }
            }
            _ => return false,
        }
    }
    true
}

/// The value of an integer literal (decimal, hex, octal, binary, underscores, unary minus).
pub fn int_value(n: Node, src: &str) -> Option<i64> {
    let n = unparen(n);
    match n.kind_name() {
        "integer" => {
            let t: String = text(n, src).chars().filter(|c| *c != '_').collect();
            let lower = t.to_ascii_lowercase();
            let lower = lower.trim_end_matches(['l', 'j']);
            if let Some(h) = lower.strip_prefix("0x") {
                i64::from_str_radix(h, 16).ok()
            } else if let Some(o) = lower.strip_prefix("0o") {
                i64::from_str_radix(o, 8).ok()
            } else if let Some(b) = lower.strip_prefix("0b") {
                i64::from_str_radix(b, 2).ok()
            } else {
                lower.parse().ok()
            }
        }
        "unary_operator" => {
            let op = n.child_by_field_id(FIELD.operator).map(|o| text(o, src))?;
            let v = int_value(n.child_by_field_id(FIELD.argument)?, src)?;
            match op {
                "-" => v.checked_neg(),
                "+" => Some(v),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::schema::ArgCondition;

    fn cond(name: Option<&str>, position: Option<usize>, is: ArgIs) -> ArgCondition {
        ArgCondition {
            name: name.map(String::from),
            position,
            is,
            below: None,
            regex: None,
            values: vec![],
        }
    }

    /// Evaluates `c` against the single call in `call_src`.
    fn holds(c: ArgCondition, call_src: &str) -> bool {
        let mut p = tree_sitter::Parser::new();
        p.set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let tree = p.parse(call_src, None).unwrap();
        let call = tree.root_node().child(0).unwrap().child(0).unwrap();
        assert_eq!(call.kind_name(), "call", "{call_src}");
        let args = CallArgs::of_call(call, call_src);
        CompiledArg::compile(&c).unwrap().holds(&args, call_src)
    }

    #[test]
    fn present_and_absent() {
        assert!(holds(
            cond(Some("shell"), None, ArgIs::Present),
            "f(x, shell=True)"
        ));
        assert!(!holds(cond(Some("shell"), None, ArgIs::Present), "f(x)"));
        assert!(holds(cond(Some("shell"), None, ArgIs::Absent), "f(x)"));
        assert!(!holds(
            cond(Some("shell"), None, ArgIs::Absent),
            "f(x, shell=False)"
        ));
        // **kwargs may hide it: neither present nor absent.
        assert!(!holds(
            cond(Some("shell"), None, ArgIs::Absent),
            "f(x, **kw)"
        ));
        assert!(!holds(
            cond(Some("shell"), None, ArgIs::Present),
            "f(x, **kw)"
        ));
        assert!(holds(cond(None, Some(1), ArgIs::Present), "f(x, y)"));
        assert!(!holds(cond(None, Some(1), ArgIs::Absent), "f(x, *rest)"));
    }

    #[test]
    fn true_and_false_literals() {
        assert!(holds(
            cond(Some("shell"), None, ArgIs::True),
            "f(shell=True)"
        ));
        assert!(holds(cond(Some("shell"), None, ArgIs::True), "f(shell=1)"));
        assert!(holds(
            cond(Some("shell"), None, ArgIs::True),
            "f(shell='yes')"
        ));
        assert!(!holds(
            cond(Some("shell"), None, ArgIs::True),
            "f(shell=flag)"
        ));
        assert!(!holds(
            cond(Some("shell"), None, ArgIs::True),
            "f(shell=False)"
        ));
        assert!(holds(cond(Some("v"), None, ArgIs::False), "f(v=False)"));
        assert!(holds(cond(Some("v"), None, ArgIs::False), "f(v=None)"));
        assert!(holds(cond(Some("v"), None, ArgIs::False), "f(v=0)"));
        assert!(holds(cond(Some("v"), None, ArgIs::False), "f(v='')"));
        assert!(!holds(cond(Some("v"), None, ArgIs::False), "f(v=x)"));
        assert!(!holds(cond(Some("v"), None, ArgIs::False), "f()"));
    }

    #[test]
    fn absent_or_false() {
        let c = || cond(Some("httponly"), None, ArgIs::AbsentOrFalse);
        assert!(holds(c(), "set_cookie('a', v)"));
        assert!(holds(c(), "set_cookie('a', v, httponly=False)"));
        assert!(!holds(c(), "set_cookie('a', v, httponly=True)"));
        assert!(!holds(c(), "set_cookie('a', v, **opts)"));
    }

    #[test]
    fn literal_and_non_literal() {
        let lit = || cond(Some("args"), Some(0), ArgIs::LiteralString);
        let non = || cond(Some("args"), Some(0), ArgIs::NonLiteral);
        assert!(holds(lit(), "run('ls -l')"));
        assert!(holds(lit(), "run(f'ls -l')"));
        assert!(holds(lit(), "run('ls' ' -l')"));
        assert!(!holds(lit(), "run(f'ls {x}')"));
        assert!(!holds(lit(), "run(cmd)"));
        assert!(holds(non(), "run(f'ls {x}')"));
        assert!(holds(non(), "run('ls ' + x)"));
        assert!(holds(non(), "run(cmd)"));
        assert!(holds(non(), "run(args=cmd)"));
        assert!(holds(non(), "run(['ls', x])"));
        assert!(!holds(non(), "run(['ls', '-l'])"));
        assert!(!holds(non(), "run('ls')"));
        assert!(!holds(non(), "run(-1)"));
    }

    #[test]
    fn int_below() {
        let mut c = cond(Some("key_size"), Some(0), ArgIs::IntBelow);
        c.below = Some(2048);
        assert!(holds(c.clone(), "gen(1024)"));
        assert!(holds(c.clone(), "gen(key_size=0x400)"));
        assert!(holds(c.clone(), "gen(1_024)"));
        assert!(!holds(c.clone(), "gen(4096)"));
        assert!(!holds(c.clone(), "gen(n)"));
        assert!(holds(c, "gen(-5)"));
    }

    #[test]
    fn matches_and_one_of() {
        let mut m = cond(Some("mode"), Some(1), ArgIs::Matches);
        m.regex = Some("^0o?7".into());
        assert!(holds(m.clone(), "chmod(p, 0o777)"));
        assert!(!holds(m, "chmod(p, 0o600)"));
        let mut o = cond(Some("verify"), None, ArgIs::OneOf);
        o.values = vec!["ssl.CERT_NONE".into(), "False".into()];
        assert!(holds(o.clone(), "wrap(verify = ssl . CERT_NONE)"));
        assert!(holds(o.clone(), "wrap(verify=False)"));
        assert!(!holds(o, "wrap(verify=True)"));
    }

    #[test]
    fn compile_errors_are_reported() {
        assert!(CompiledArg::compile(&cond(None, None, ArgIs::Present)).is_err());
        assert!(CompiledArg::compile(&cond(Some("a"), None, ArgIs::Matches)).is_err());
        assert!(CompiledArg::compile(&cond(Some("a"), None, ArgIs::IntBelow)).is_err());
        assert!(CompiledArg::compile(&cond(Some("a"), None, ArgIs::OneOf)).is_err());
    }
}
