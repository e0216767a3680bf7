//! The `str-values` filter: a query document written as a dict literal, each value that is
//! not a literal made a string: `{"user": body["user"]}` → `{"user": str(body["user"])}`. A
//! request value can then only be compared as text, never be an operator document such as
//! `{"$ne": null}`. Values already converted (`str(...)`, `int(...)`, `ObjectId(...)`) and
//! nested documents (`{"$in": [...]}`, which hold operators on purpose) stay; a `**` splat
//! gives up.

use tree_sitter::Node;

use crate::rules::args::unparen;
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

const CONVERTED: &[&str] = &[
    "str(",
    "int(",
    "float(",
    "bool(",
    "ObjectId(",
    "bson.ObjectId(",
];

pub(super) fn str_values(node: Node, src: &str) -> Option<String> {
    let dict = unparen(node);
    if dict.kind_name() != "dictionary" {
        return None;
    }
    let base = dict.start_byte();
    let mut out = text(dict, src).to_string();
    let mut edits = Vec::new();
    let mut c = dict.walk();
    for pair in dict.named_children(&mut c) {
        match pair.kind_name() {
            "pair" => {}
            "comment" => continue,
            _ => return None,
        }
        let v = unparen(pair.child_by_field_id(FIELD.value)?);
        let t = text(v, src);
        let literal = matches!(
            v.kind_name(),
            "string" | "integer" | "float" | "true" | "false" | "none" | "dictionary" | "list"
        );
        if literal || CONVERTED.iter().any(|p| t.starts_with(p)) {
            continue;
        }
        edits.push((
            v.start_byte() - base,
            v.end_byte() - base,
            format!("str({t})"),
        ));
    }
    if edits.is_empty() {
        return None;
    }
    for (s, e, r) in edits.into_iter().rev() {
        out.replace_range(s..e, &r);
    }
    Some(out)
}
