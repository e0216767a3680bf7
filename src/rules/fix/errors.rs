//! The `redact-errors` filter: in the arguments of an error response, each value that carries
//! exception details (`str(exc)`, `repr(e)`, `f"{err}"`, `e.args`, `traceback.format_exc()`)
//! becomes the generic text `"internal error"`: `{"error": str(e)}` → `{"error": "internal
//! error"}`, `HttpResponse(repr(e))` → `HttpResponse("internal error")`. The details belong in
//! the server's log, which the rule's template writes. Gives up when no value carries them.

use std::sync::LazyLock;

use regex::Regex;
use tree_sitter::Node;

use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

static DETAILS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(str|repr)\(\s*(e|ex|exc|err|error|exception)\s*\)|\{\s*(e|ex|exc|err|error|exception)\s*(![rs])?\s*\}|\b(e|ex|exc|err|error|exception)\.(args|message)\b|format_exc\(|format_exception\(|format_tb\(",
    )
    .expect("a valid regex")
});

pub(super) fn redact_errors(node: Node, src: &str) -> Option<String> {
    let mut edits: Vec<(usize, usize)> = Vec::new();
    visit(node, src, &mut edits);
    if edits.is_empty() {
        return None;
    }
    edits.sort();
    let base = node.start_byte();
    let mut out = text(node, src).to_string();
    for (s, e) in edits.into_iter().rev() {
        out.replace_range(s - base..e - base, "\"internal error\"");
    }
    Some(out)
}

/// Collects the values under `n` (a response call, its arguments, the documents in them, a
/// returned tuple) that carry exception details.
fn visit(n: Node, src: &str, edits: &mut Vec<(usize, usize)>) {
    match n.kind_name() {
        "pair" | "keyword_argument" => {
            if let Some(v) = n.child_by_field_id(FIELD.value) {
                value(v, src, edits);
            }
        }
        "call" => {
            if let Some(a) = n.child_by_field_id(FIELD.arguments) {
                visit(a, src, edits);
            }
        }
        "argument_list"
        | "dictionary"
        | "list"
        | "tuple"
        | "expression_list"
        | "return_statement"
        | "parenthesized_expression" => {
            let mut c = n.walk();
            for ch in n.named_children(&mut c) {
                match ch.kind_name() {
                    "pair" | "keyword_argument" => visit(ch, src, edits),
                    "comment" => {}
                    _ => value(ch, src, edits),
                }
            }
        }
        _ => {}
    }
}

fn value(v: Node, src: &str, edits: &mut Vec<(usize, usize)>) {
    const DETAIL_CALLS: &[&str] = &["str", "repr", "format_exc", "format_exception", "format_tb"];
    let holds_values = match v.kind_name() {
        "dictionary" | "list" | "tuple" | "expression_list" | "parenthesized_expression" => true,
        "call" => !v
            .child_by_field_id(FIELD.function)
            .map(|f| text(f, src).rsplit('.').next().unwrap_or(""))
            .is_some_and(|f| DETAIL_CALLS.contains(&f)),
        _ => false,
    };
    if holds_values {
        visit(v, src, edits);
    } else if DETAILS.is_match(text(v, src)) {
        edits.push((v.start_byte(), v.end_byte()));
    }
}

#[cfg(test)]
mod tests {
    use super::redact_errors;
    use crate::syntax_fields::FIELD;

    fn run(call: &str) -> Option<String> {
        let mut p = tree_sitter::Parser::new();
        p.set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let tree = p.parse(call, None).unwrap();
        let call_node = tree
            .root_node()
            .named_child(0)
            .and_then(|s| s.named_child(0))
            .unwrap();
        let args = call_node.child_by_field_id(FIELD.arguments).unwrap();
        redact_errors(args, call)
    }

    #[test]
    fn exception_details_become_a_generic_message() {
        assert_eq!(
            run("JsonResponse({'ok': False, 'error': repr(exc), 'trace': traceback.format_exc()}, status=500)").as_deref(),
            Some("({'ok': False, 'error': \"internal error\", 'trace': \"internal error\"}, status=500)")
        );
        assert_eq!(
            run("jsonify(error=str(e))").as_deref(),
            Some("(error=\"internal error\")")
        );
        assert_eq!(
            run("HttpResponse(f'failed: {err}')").as_deref(),
            Some("(\"internal error\")")
        );
        assert_eq!(run("jsonify(error='failed', code=code)"), None);
        assert_eq!(
            run("jsonify(make_body(str(e)))").as_deref(),
            Some("(make_body(\"internal error\"))"),
            "inside a call that builds the body"
        );
    }
}
