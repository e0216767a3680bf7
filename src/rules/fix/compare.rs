//! The `compare-digest` filter: `a == b` → `hmac.compare_digest(a, b)`, and `a != b` →
//! `not hmac.compare_digest(a, b)`, a comparison that takes the same time however much of the
//! two values matches. Only a single comparison of two operands is rewritten (`a == b == c`
//! and `in`/`<` give up).

use tree_sitter::Node;

use crate::rules::args::unparen;
use crate::rules::resolve::text;
use crate::syntax_fields::KindName;

pub(super) fn compare_digest(node: Node, src: &str) -> Option<String> {
    let cmp = unparen(node);
    if cmp.kind_name() != "comparison_operator" {
        return None;
    }
    let (ops, operands) = crate::rules::taint::comparison_parts(cmp);
    let ([a, b], [op]) = (operands.as_slice(), ops.as_slice()) else {
        return None;
    };
    let call = format!("hmac.compare_digest({}, {})", text(*a, src), text(*b, src));
    match *op {
        "==" => Some(call),
        "!=" => Some(format!("not {call}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::compare_digest;
    use crate::syntax_fields::FIELD;

    fn run(expr: &str) -> Option<String> {
        let mut p = tree_sitter::Parser::new();
        p.set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let src = format!("x = {expr}\n");
        let tree = p.parse(&src, None).unwrap();
        let value = tree
            .root_node()
            .named_child(0)
            .and_then(|s| s.named_child(0))
            .and_then(|a| a.child_by_field_id(FIELD.right))
            .unwrap();
        compare_digest(value, &src)
    }

    #[test]
    fn equality_becomes_a_constant_time_comparison() {
        assert_eq!(
            run("sig == expected").as_deref(),
            Some("hmac.compare_digest(sig, expected)")
        );
        assert_eq!(
            run("request.headers.get('X-Sig', '') != hmac_of(body)").as_deref(),
            Some("not hmac.compare_digest(request.headers.get('X-Sig', ''), hmac_of(body))")
        );
        assert_eq!(run("a == b == c"), None);
        assert_eq!(run("a in b"), None);
        assert_eq!(run("a < b"), None);
    }
}
