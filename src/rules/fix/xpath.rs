//! The `xpath-vars` filter: an XPath expression built from values, passed as the only argument
//! of an `xpath()` call (`tree.xpath(f"//user[@name='{name}']")`), becomes an expression with
//! XPath variables and the values as keyword arguments: `"//user[@name=$name]", name=name`.
//!
//! Only values that form a whole quoted XPath string literal (`'{name}'`, `"{a} {b}"`) become
//! variables; a value anywhere else (an element name, a number in a predicate) makes the
//! filter give up. A variable is named after its value when that is a plain identifier, else
//! `v1`, `v2`...

use tree_sitter::Node;

use super::strings::{self, literal, Part};
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

pub fn xpath_vars(node: Node, src: &str) -> Option<String> {
    let list = node.parent().filter(|l| l.kind_name() == "argument_list")?;
    let mut c = list.walk();
    let args = list
        .named_children(&mut c)
        .filter(|n| n.kind_name() != "comment")
        .count();
    let call = list.parent()?;
    let callee = text(call.child_by_field_id(FIELD.function)?, src);
    if args != 1 || !callee.ends_with(".xpath") {
        return None;
    }
    let p = strings::pieces(node, src)?;
    let mut out = String::new();
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut quote: Option<(char, Vec<Part>)> = None;
    let add_var = |parts: &[Part], vars: &mut Vec<(String, String)>| -> Option<String> {
        let (name, value) = match parts {
            [Part::Value(v)] => {
                let t = text(v.node, src);
                let plain = v.node.kind_name() == "identifier" && !t.starts_with('_');
                let value = match v.conv {
                    strings::Conv::Str | strings::Conv::Concat => t.to_string(),
                    _ => strings::value_expr(v, src),
                };
                (plain.then(|| t.to_string()), value)
            }
            parts => (None, strings::fstring(parts, src, p.quote)?),
        };
        let name = name
            .filter(|n| !vars.iter().any(|(m, _)| m == n))
            .unwrap_or_else(|| format!("v{}", vars.len() + 1));
        vars.push((name.clone(), value));
        Some(name)
    };
    for part in &p.parts {
        match (part, &mut quote) {
            (Part::Lit(s), _) => {
                for ch in s.chars() {
                    match &mut quote {
                        Some((q, content)) if ch == *q => {
                            let has_value = content.iter().any(|p| matches!(p, Part::Value(_)));
                            if has_value {
                                let name = add_var(content, &mut vars)?;
                                out.push('$');
                                out.push_str(&name);
                            } else {
                                out.push(*q);
                                for p in content.iter() {
                                    if let Part::Lit(l) = p {
                                        out.push_str(l);
                                    }
                                }
                                out.push(*q);
                            }
                            quote = None;
                        }
                        Some((_, content)) => match content.last_mut() {
                            Some(Part::Lit(l)) => l.push(ch),
                            _ => content.push(Part::Lit(ch.to_string())),
                        },
                        None if ch == '\'' || ch == '"' => quote = Some((ch, Vec::new())),
                        None => out.push(ch),
                    }
                }
            }
            (Part::Value(v), Some((_, content))) => content.push(Part::Value(v.clone())),
            (Part::Value(_), None) => return None,
        }
    }
    if quote.is_some() || vars.is_empty() {
        return None;
    }
    let kwargs: Vec<String> = vars.iter().map(|(n, v)| format!("{n}={v}")).collect();
    Some(format!("{}, {}", literal(&out, p.quote), kwargs.join(", ")))
}
