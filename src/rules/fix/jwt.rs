//! The `jwt-algorithms` filter: the JWT algorithms the code already names, for a
//! `jwt.decode` call that must list them (see [`super::filters`]).

use tree_sitter::Node;

use super::strings::{self, literal};
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

/// The algorithm names of a literal `algorithm="X"` or `algorithms=["X", ...]` argument of a
/// call, `none` left out; with `strict`, nothing when the call accepts `none`.
fn named_algorithms(call: Node, src: &str, strict: bool) -> Vec<String> {
    let args = crate::rules::args::CallArgs::of_call(call, src);
    let mut out = Vec::new();
    for (k, v) in &args.keywords {
        let items: Vec<Node> = match (*k, v.kind_name()) {
            ("algorithm", "string") => vec![*v],
            ("algorithms", "list" | "tuple") => {
                let mut c = v.walk();
                v.named_children(&mut c).collect()
            }
            _ => continue,
        };
        for i in items {
            let Some(p) = strings::pieces(i, src) else {
                continue;
            };
            if p.values().next().is_none() {
                let name = p.literal_text();
                if name.eq_ignore_ascii_case("none") {
                    if strict {
                        return Vec::new();
                    }
                } else if !out.contains(&name) {
                    out.push(name);
                }
            }
        }
    }
    out
}

pub(super) fn jwt_algorithms(call: Node, src: &str) -> Option<String> {
    if call.kind_name() != "call" {
        return None;
    }
    let mut algs = named_algorithms(call, src, false);
    if algs.is_empty() {
        let root = crate::rules::resolve::root_of(call);
        let mut stack = vec![root];
        let mut seen: Option<Vec<String>> = None;
        while let Some(n) = stack.pop() {
            if n.kind_name() == "call" && n.id() != call.id() {
                let f = n
                    .child_by_field_id(FIELD.function)
                    .map_or("", |f| text(f, src));
                if f.ends_with("encode") || f.ends_with("decode") {
                    let mut a = named_algorithms(n, src, true);
                    if !a.is_empty() {
                        a.sort();
                        match &seen {
                            Some(s) if *s != a => return None,
                            _ => seen = Some(a),
                        }
                    }
                }
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
        algs = seen?;
    }
    let q = src[call.start_byte()..call.end_byte()]
        .chars()
        .find(|c| *c == '"' || *c == '\'')
        .unwrap_or('"');
    let items: Vec<String> = algs.iter().map(|a| literal(a, q)).collect();
    Some(format!("[{}]", items.join(", ")))
}
