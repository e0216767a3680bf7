//! The `where-document` filter: a MongoDB `$where` clause built from values, when its
//! JavaScript only compares fields of the document with strings, becomes the query document
//! that says the same without running JavaScript:
//!
//! ```python
//! {"$where": "this.customer == '" + customer + "' && this.state != 'void'"}
//! ```
//!
//! becomes `{"customer": str(customer), "state": {"$ne": "void"}}`. Each compared value is made
//! a `str`, as the JavaScript string comparison had it, so a document sent in its place cannot
//! smuggle in an operator. The clause must be exactly `this.FIELD OP 'TEXT'` terms joined by
//! `&&`, with `OP` one of `==`, `===`, `!=`, `!==` and each quoted text either literal or one
//! value; anything else (other operators, `||`, function calls, numbers, a field compared
//! twice) gets no fix.

use tree_sitter::Node;

use super::strings::{self, literal, Item};
use crate::rules::args::unparen;
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

/// The replacement of the `"$where": ...` pair `pair`.
pub(crate) fn where_document(pair: Node, src: &str) -> Option<String> {
    if pair.kind_name() != "pair" {
        return None;
    }
    let value = unparen(pair.child_by_field_id(FIELD.value)?);
    let p = strings::pieces(value, src)?;
    let items = p.items();
    // The keys of the document's other pairs, which a field must not repeat.
    let mut others: Vec<String> = Vec::new();
    if let Some(doc) = pair.parent() {
        let mut c = doc.walk();
        for other in doc.named_children(&mut c).filter(|o| o.id() != pair.id()) {
            match other
                .child_by_field_id(FIELD.key)
                .and_then(|k| strings::pieces(k, src))
            {
                Some(k) if k.values().next().is_none() => others.push(k.literal_text()),
                _ => return None,
            }
        }
    }
    let mut i = 0;
    let mut fields: Vec<String> = Vec::new();
    let mut out: Vec<String> = Vec::new();
    loop {
        skip_space(&items, &mut i);
        expect(&items, &mut i, "this.")?;
        let field = field(&items, &mut i)?;
        skip_space(&items, &mut i);
        let negated = op(&items, &mut i)?;
        skip_space(&items, &mut i);
        let compared = quoted(&items, &mut i, src, p.quote)?;
        if fields.contains(&field) || others.contains(&field) {
            return None;
        }
        let key = literal(&field, p.quote);
        out.push(if negated {
            format!("{key}: {{{}: {compared}}}", literal("$ne", p.quote))
        } else {
            format!("{key}: {compared}")
        });
        fields.push(field);
        skip_space(&items, &mut i);
        if i == items.len() {
            break;
        }
        expect(&items, &mut i, "&&")?;
    }
    Some(out.join(", "))
}

fn skip_space(items: &[Item], i: &mut usize) {
    while matches!(items.get(*i), Some(Item::Char(c)) if c.is_whitespace()) {
        *i += 1;
    }
}

fn expect(items: &[Item], i: &mut usize, s: &str) -> Option<()> {
    for want in s.chars() {
        match items.get(*i) {
            Some(Item::Char(c)) if *c == want => *i += 1,
            _ => return None,
        }
    }
    Some(())
}

/// A dotted field path: `customer`, `address.city`.
fn field(items: &[Item], i: &mut usize) -> Option<String> {
    let mut f = String::new();
    while let Some(Item::Char(c)) = items.get(*i) {
        if c.is_ascii_alphanumeric() || *c == '_' || (*c == '.' && !f.is_empty()) {
            f.push(*c);
            *i += 1;
        } else {
            break;
        }
    }
    let ok = f
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && !f.ends_with('.')
        && !f.contains("..");
    ok.then_some(f)
}

/// `==`/`===` (`false`) or `!=`/`!==` (`true`).
fn op(items: &[Item], i: &mut usize) -> Option<bool> {
    let negated = match items.get(*i) {
        Some(Item::Char('=')) => false,
        Some(Item::Char('!')) => true,
        _ => return None,
    };
    *i += 1;
    expect(items, i, "=")?;
    if matches!(items.get(*i), Some(Item::Char('='))) {
        *i += 1;
    }
    Some(negated)
}

/// A quoted JavaScript string: literal text, or exactly one value (`str(value)`).
fn quoted(items: &[Item], i: &mut usize, src: &str, q: char) -> Option<String> {
    let open = match items.get(*i) {
        Some(Item::Char(c @ ('\'' | '"'))) => *c,
        _ => return None,
    };
    *i += 1;
    if let Some(Item::Val(v)) = items.get(*i) {
        *i += 1;
        expect(items, i, &open.to_string())?;
        let n = unparen(v.node);
        let t = text(n, src);
        let is_str = n.kind_name() == "call"
            && n.child_by_field_id(FIELD.function)
                .is_some_and(|f| text(f, src) == "str");
        return Some(if is_str {
            t.to_string()
        } else {
            format!("str({t})")
        });
    }
    let mut s = String::new();
    loop {
        match items.get(*i)? {
            Item::Char(c) if *c == open => {
                *i += 1;
                break;
            }
            Item::Char('\\') | Item::Val(_) => return None,
            Item::Char(c) => s.push(*c),
        }
        *i += 1;
    }
    Some(literal(&s, q))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(value: &str) -> Option<String> {
        let src = format!("def f(a, b):\n    return {{\"$where\": {value}}}\n");
        let mut p = tree_sitter::Parser::new();
        p.set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let tree = p.parse(&src, None).unwrap();
        let at = src.find("\"$where\"").unwrap();
        let mut n = tree
            .root_node()
            .descendant_for_byte_range(at, at + 1)
            .unwrap();
        while n.kind_name() != "pair" {
            n = n.parent().unwrap();
        }
        where_document(n, &src)
    }

    #[test]
    fn string_comparisons_become_a_document() {
        assert_eq!(
            fix("\"this.customer == '\" + a + \"'\"").as_deref(),
            Some("\"customer\": str(a)")
        );
        assert_eq!(
            fix("f\"this.owner === '{a}' && this.state != 'void' && this.addr.city !== \\\"{str(b)}\\\"\"")
                .as_deref(),
            Some("\"owner\": str(a), \"state\": {\"$ne\": \"void\"}, \"addr.city\": {\"$ne\": str(b)}")
        );
    }

    #[test]
    fn a_field_the_document_already_has_is_left_alone() {
        let src = "q = {\"customer\": 1, \"$where\": \"this.customer == '\" + a + \"'\"}\n";
        let mut p = tree_sitter::Parser::new();
        p.set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let tree = p.parse(src, None).unwrap();
        let at = src.find("\"$where\"").unwrap();
        let pair = tree
            .root_node()
            .descendant_for_byte_range(at, at + 1)
            .unwrap()
            .parent()
            .unwrap()
            .parent()
            .unwrap();
        assert_eq!(pair.kind_name(), "pair");
        assert_eq!(where_document(pair, src), None);
    }

    #[test]
    fn anything_else_is_left_alone() {
        for v in [
            "\"this.total > \" + a",
            "\"this.a == '\" + a + \"' || this.b == 'x'\"",
            "\"this.a == '\" + a + \"' && this.a == 'x'\"",
            "\"this.a == 'x\" + a + \"'\"",
            "\"this.tags.indexOf('\" + a + \"') >= 0\"",
            "\"this.a == \" + a",
            "a",
        ] {
            assert_eq!(fix(v), None, "{v}");
        }
    }
}
