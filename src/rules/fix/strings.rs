//! String-building expressions taken apart into literal text and interpolated values, and
//! string literals written back: what the fix filters ([`super::filters`]) rewrite.
//!
//! Understood forms: string literals (f-strings included, with `{{`/`}}` and backslash
//! escapes decoded), implicit concatenation (`"a" "b"`), `+` chains with at least one string
//! literal, `"..." % value` / `% (a, b)` with positional directives, `"..." % {"k": v}` with
//! `%(k)s` directives, and `"...".format(a, name=b)` with `{}`, `{0}` and `{name}` fields.
//! Bytes literals, nested format specs, `%(name)s` with anything but a dict literal, `{x=}`
//! and `\N{...}` are not understood: the callers then offer no fix.

mod percent;

use tree_sitter::Node;

use crate::rules::args::unparen;
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

/// How the original expression turns an interpolated value into text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conv {
    /// `str(v)`: an f-string field without conversion or spec, `%s`, a `str.format` field.
    Str,
    /// A `+` operand: the value is already a `str`.
    Concat,
    /// `repr(v)`: `!r`, `%r`.
    Repr,
    /// Anything else, as a `str.format` field suffix: `!a`, `:>3`, `!r:>3`, `:d`.
    Other(String),
}

/// An interpolated value.
#[derive(Debug, Clone)]
pub struct Value<'t> {
    /// The value's expression.
    pub node: Node<'t>,
    pub conv: Conv,
}

/// A piece of the built string.
#[derive(Debug, Clone)]
pub enum Part<'t> {
    /// Literal text, decoded.
    Lit(String),
    Value(Value<'t>),
}

/// A string-building expression taken apart.
#[derive(Debug, Clone)]
pub struct Pieces<'t> {
    pub parts: Vec<Part<'t>>,
    /// The quote character of the first string literal.
    pub quote: char,
    /// The first string literal is triple-quoted.
    pub triple: bool,
}

/// One character of a built string's literal text, or an interpolated value: the stream the
/// SQL and `$where` rewriters read.
#[derive(Clone)]
pub enum Item<'a, 't> {
    Char(char),
    Val(&'a Value<'t>),
}

impl<'t> Pieces<'t> {
    /// The literal text character by character, with the values in their places.
    pub fn items(&self) -> Vec<Item<'_, 't>> {
        self.parts
            .iter()
            .flat_map(|part| match part {
                Part::Lit(s) => s.chars().map(Item::Char).collect::<Vec<_>>(),
                Part::Value(v) => vec![Item::Val(v)],
            })
            .collect()
    }
}

impl Pieces<'_> {
    /// The interpolated values, in order.
    pub fn values(&self) -> impl Iterator<Item = &Value<'_>> {
        self.parts.iter().filter_map(|p| match p {
            Part::Value(v) => Some(v),
            Part::Lit(_) => None,
        })
    }

    /// The literal text, values left out.
    pub fn literal_text(&self) -> String {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Lit(s) => Some(s.as_str()),
                Part::Value(_) => None,
            })
            .collect()
    }
}

/// Takes a string-building expression apart; `None` when it is not one this module
/// understands (or holds no string literal at all).
pub fn pieces<'t>(node: Node<'t>, src: &'t str) -> Option<Pieces<'t>> {
    let node = unparen(node);
    let mut parts = Vec::new();
    let mut quote = None;
    collect(node, src, &mut parts, &mut quote, true)?;
    let (quote, triple) = quote?;
    // Merge adjacent literals.
    let mut merged: Vec<Part> = Vec::with_capacity(parts.len());
    for p in parts {
        match (merged.last_mut(), p) {
            (Some(Part::Lit(a)), Part::Lit(b)) => a.push_str(&b),
            (_, p) => merged.push(p),
        }
    }
    Some(Pieces {
        parts: merged,
        quote,
        triple,
    })
}

fn collect<'t>(
    node: Node<'t>,
    src: &'t str,
    out: &mut Vec<Part<'t>>,
    quote: &mut Option<(char, bool)>,
    top: bool,
) -> Option<()> {
    let node = unparen(node);
    match node.kind_name() {
        "string" => string_parts(node, src, out, quote),
        "concatenated_string" => {
            let mut c = node.walk();
            for s in node.named_children(&mut c) {
                if s.kind_name() == "string" {
                    string_parts(s, src, out, quote)?;
                }
            }
            Some(())
        }
        "binary_operator" => {
            let op = node
                .child_by_field_id(FIELD.operator)
                .map(|o| text(o, src))?;
            let left = node.child_by_field_id(FIELD.left)?;
            let right = node.child_by_field_id(FIELD.right)?;
            match op {
                "+" => {
                    for side in [left, right] {
                        let side = unparen(side);
                        if is_stringish(side) {
                            collect(side, src, out, quote, false)?;
                        } else {
                            out.push(Part::Value(Value {
                                node: side,
                                conv: Conv::Concat,
                            }));
                        }
                    }
                    Some(())
                }
                "%" if top => percent::percent(left, right, src, out, quote),
                _ => None,
            }
        }
        "call" if top => format_call(node, src, out, quote),
        _ => None,
    }
}

/// A string literal, a concatenation of them, or a `+` chain (with a literal somewhere).
fn is_stringish(n: Node) -> bool {
    match n.kind_name() {
        "string" | "concatenated_string" => true,
        "binary_operator" => {
            let plus = n
                .child_by_field_id(FIELD.operator)
                .is_some_and(|o| o.kind_name() == "+");
            plus && [
                n.child_by_field_id(FIELD.left),
                n.child_by_field_id(FIELD.right),
            ]
            .into_iter()
            .flatten()
            .any(|c| is_stringish(unparen(c)))
        }
        _ => false,
    }
}

/// `(is_f, is_raw, quote, triple)` of a string's `string_start`; `None` for bytes literals.
fn prefix(node: Node, src: &str) -> Option<(bool, bool, char, bool)> {
    let start = node.child(0).filter(|c| c.kind_name() == "string_start")?;
    let t = text(start, src);
    let q = t.chars().last()?;
    let p: String = t.chars().filter(|c| c.is_ascii_alphabetic()).collect();
    let p = p.to_ascii_lowercase();
    if p.contains('b') {
        return None;
    }
    let triple = t.ends_with(&q.to_string().repeat(3));
    Some((p.contains('f'), p.contains('r'), q, triple))
}

fn string_parts<'t>(
    node: Node<'t>,
    src: &'t str,
    out: &mut Vec<Part<'t>>,
    quote: &mut Option<(char, bool)>,
) -> Option<()> {
    let (is_f, raw, q, triple) = prefix(node, src)?;
    quote.get_or_insert((q, triple));
    let mut c = node.walk();
    for child in node.children(&mut c) {
        match child.kind_name() {
            "string_start" | "string_end" => {}
            "string_content" => out.push(Part::Lit(decode(text(child, src), raw, is_f)?)),
            "interpolation" => out.push(Part::Value(field(child, src)?)),
            _ => return None,
        }
    }
    Some(())
}

/// An f-string field: its expression and conversion.
fn field<'t>(interp: Node<'t>, src: &'t str) -> Option<Value<'t>> {
    let expr = interp.child_by_field_id(FIELD.expression)?;
    let mut conv = String::new();
    let mut c = interp.walk();
    for child in interp.children(&mut c) {
        match child.kind_name() {
            "{" | "}" => {}
            "type_conversion" => conv.push_str(text(child, src)),
            "format_specifier" => {
                let mut cc = child.walk();
                if child
                    .named_children(&mut cc)
                    .any(|n| n.kind_name() == "interpolation")
                {
                    return None;
                }
                conv.push_str(text(child, src));
            }
            _ if child.id() == expr.id() => {}
            // `{x=}` and anything else unexpected.
            _ => return None,
        }
    }
    let conv = match conv.as_str() {
        "" | "!s" => Conv::Str,
        "!r" => Conv::Repr,
        _ => Conv::Other(conv),
    };
    Some(Value { node: expr, conv })
}

/// Decodes a literal's source text: backslash escapes unless `raw`, `{{`/`}}` in f-strings.
pub fn decode(s: &str, raw: bool, is_f: bool) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '{' | '}' if is_f => {
                if it.peek() == Some(&c) {
                    it.next();
                }
                out.push(c);
            }
            '\\' if !raw => {
                let e = it.next()?;
                match e {
                    '\n' => {}
                    '\\' | '\'' | '"' => out.push(e),
                    'a' => out.push('\x07'),
                    'b' => out.push('\x08'),
                    'f' => out.push('\x0c'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'v' => out.push('\x0b'),
                    '0'..='7' => {
                        let mut v = e.to_digit(8)?;
                        for _ in 0..2 {
                            match it.peek().and_then(|d| d.to_digit(8)) {
                                Some(d) => {
                                    v = v * 8 + d;
                                    it.next();
                                }
                                None => break,
                            }
                        }
                        out.push(char::from_u32(v)?);
                    }
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let hex: String = (0..n).filter_map(|_| it.next()).collect();
                        if hex.len() != n {
                            return None;
                        }
                        out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    'N' => return None,
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

/// `"...".format(a, b, name=c)`.
fn format_call<'t>(
    call: Node<'t>,
    src: &'t str,
    out: &mut Vec<Part<'t>>,
    quote: &mut Option<(char, bool)>,
) -> Option<()> {
    let f = call.child_by_field_id(FIELD.function)?;
    if f.kind_name() != "attribute"
        || f.child_by_field_id(FIELD.attribute).map(|a| text(a, src)) != Some("format")
    {
        return None;
    }
    let obj = unparen(f.child_by_field_id(FIELD.object)?);
    let mut lit = Vec::new();
    match obj.kind_name() {
        "string" | "concatenated_string" => collect(obj, src, &mut lit, quote, false)?,
        _ => return None,
    }
    let mut fmt = String::new();
    for p in lit {
        match p {
            Part::Lit(s) => fmt.push_str(&s),
            Part::Value(_) => return None,
        }
    }
    let args = crate::rules::args::CallArgs::of_call(call, src);
    if args.has_star || args.has_double_star {
        return None;
    }
    let mut auto = 0usize;
    let mut chars = fmt.chars().peekable();
    let mut buf = String::new();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                buf.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                buf.push('}');
            }
            '}' => return None,
            '{' => {
                let mut inner = String::new();
                loop {
                    match chars.next()? {
                        '}' => break,
                        '{' => return None,
                        x => inner.push(x),
                    }
                }
                let split = inner.find(['!', ':']).unwrap_or(inner.len());
                let (name, suffix) = inner.split_at(split);
                let node = if name.is_empty() {
                    auto += 1;
                    *args.positional.get(auto - 1)?
                } else if let Ok(i) = name.parse::<usize>() {
                    *args.positional.get(i)?
                } else if name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    args.keywords.iter().find(|(k, _)| *k == name)?.1
                } else {
                    return None;
                };
                if !buf.is_empty() {
                    out.push(Part::Lit(std::mem::take(&mut buf)));
                }
                let conv = match suffix {
                    "" | "!s" => Conv::Str,
                    "!r" => Conv::Repr,
                    s => Conv::Other(s.to_string()),
                };
                out.push(Part::Value(Value { node, conv }));
            }
            _ => buf.push(c),
        }
    }
    if !buf.is_empty() {
        out.push(Part::Lit(buf));
    }
    Some(())
}

/// A Python string literal with the text `s`, in quote `q` (`"` or `'`).
pub fn literal(s: &str, q: char) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q);
    escape_into(s, q, false, &mut out);
    out.push(q);
    out
}

fn escape_into(s: &str, q: char, f: bool, out: &mut String) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '{' if f => out.push_str("{{"),
            '}' if f => out.push_str("}}"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
}

/// The value as an expression of its own producing the text the original put in the string:
/// `x` for a `+` operand, `str(x)`, `repr(x)`, `format(x, ">3")`.
pub fn value_expr(v: &Value, src: &str) -> String {
    let x = text(v.node, src);
    match &v.conv {
        Conv::Concat => x.to_string(),
        Conv::Str => format!("str({x})"),
        Conv::Repr => format!("repr({x})"),
        Conv::Other(s) => {
            let (conv, spec) = match s.find(':') {
                Some(i) => (&s[..i], &s[i + 1..]),
                None => (s.as_str(), ""),
            };
            let inner = match conv {
                "!r" => format!("repr({x})"),
                "!a" => format!("ascii({x})"),
                _ => x.to_string(),
            };
            if spec.is_empty() {
                if conv.is_empty() {
                    format!("str({inner})")
                } else {
                    inner
                }
            } else {
                format!("format({inner}, {})", literal(spec, '"'))
            }
        }
    }
}

/// An f-string (or a plain literal, when there is no value) with these parts, in quote
/// `prefer` when the values' expressions allow it. `None` when an expression holds a
/// backslash or both quote characters (not allowed inside f-string fields before 3.12).
pub fn fstring(parts: &[Part], src: &str, prefer: char) -> Option<String> {
    if !parts.iter().any(|p| matches!(p, Part::Value(_))) {
        let s: String = parts
            .iter()
            .filter_map(|p| match p {
                Part::Lit(s) => Some(s.as_str()),
                Part::Value(_) => None,
            })
            .collect();
        return Some(literal(&s, prefer));
    }
    let exprs: Vec<&str> = parts
        .iter()
        .filter_map(|p| match p {
            Part::Value(v) => Some(text(v.node, src)),
            Part::Lit(_) => None,
        })
        .collect();
    if exprs.iter().any(|e| e.contains('\\') || e.contains('\n')) {
        return None;
    }
    let other = if prefer == '"' { '\'' } else { '"' };
    let q = [prefer, other]
        .into_iter()
        .find(|q| !exprs.iter().any(|e| e.contains(*q)))?;
    let mut out = format!("f{q}");
    for p in parts {
        match p {
            Part::Lit(s) => escape_into(s, q, true, &mut out),
            Part::Value(v) => {
                out.push('{');
                let e = text(v.node, src);
                // A field starting with `{` (a dict or set display) needs a space.
                if e.starts_with('{') {
                    out.push(' ');
                }
                out.push_str(e);
                match &v.conv {
                    Conv::Str | Conv::Concat => {}
                    Conv::Repr => out.push_str("!r"),
                    Conv::Other(s) => out.push_str(s),
                }
                out.push('}');
            }
        }
    }
    out.push(q);
    Some(out)
}

/// Whether `node` is a `"..." % x` expression: every value [`pieces`] finds in it
/// comes from a `%` directive.
pub fn by_percent(node: Node, src: &str) -> bool {
    let n = crate::rules::args::unparen(node);
    n.kind_name() == "binary_operator"
        && n.child_by_field_id(FIELD.operator)
            .is_some_and(|o| text(o, src) == "%")
}

/// What a filter that wraps values in place (`escape(...)`, `shlex.quote(...)`) does with
/// value `v` of a string built by `%` or not (`by_percent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapping {
    /// Wrap it; `to_str`: make it a `str` first (an f-string field, `%s`, a `.format` field),
    /// not when it already is one (a `+` operand).
    Wrap { to_str: bool },
    /// Leave it: a `%d`/`%f`... directive converts it to a number and prints digits, sign,
    /// point, exponent or `inf`/`nan`, nothing to quote or escape. (Not a `{n:d}` field: an
    /// object's `__format__` may print anything.)
    Number,
    /// No wrapping keeps the text the same (`!r`, a format spec): no fix.
    Unsure,
}

/// How value `v` is wrapped (see [`Wrapping`]).
pub fn wrapping(v: &Value, by_percent: bool) -> Wrapping {
    match &v.conv {
        Conv::Concat => Wrapping::Wrap { to_str: false },
        Conv::Str => Wrapping::Wrap { to_str: true },
        Conv::Other(spec) if by_percent && numeric(spec) => Wrapping::Number,
        Conv::Repr | Conv::Other(_) => Wrapping::Unsure,
    }
}

/// A `%` directive's spec as [`pieces`] writes it (`:d`, `:-5.2f`) that prints a number.
pub fn numeric(spec: &str) -> bool {
    spec.starts_with(':')
        && spec.ends_with(['d', 'i', 'u', 'o', 'x', 'X', 'e', 'E', 'f', 'F', 'g', 'G'])
}
