//! Rewriting the values interpolated into a built string in place (`shell-quote`,
//! `escape-fields`, `escape-data`...), and which escaping function a file already has.

use tree_sitter::Node;

use super::scope::imported_as;
use super::strings::{self, Wrapping};
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

/// Rewrites each interpolated value of the capture in place with `wrap` (given the value's
/// expression text and whether it must first be made a `str`).
fn wrap_values(node: Node, src: &str, wrap: impl Fn(&str, bool) -> String) -> Option<String> {
    wrap_some(node, src, |_| false, wrap)
}

/// [`wrap_values`], leaving out the values `keep` says are fine as they are.
pub(super) fn wrap_some(
    node: Node,
    src: &str,
    keep: impl Fn(Node) -> bool,
    wrap: impl Fn(&str, bool) -> String,
) -> Option<String> {
    let Some(p) = strings::pieces(node, src) else {
        return wrap_format_args(node, src, &keep, &wrap);
    };
    let by_percent = strings::by_percent(node, src);
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for v in p.values() {
        let to_str = match strings::wrapping(v, by_percent) {
            Wrapping::Wrap { to_str } => to_str,
            Wrapping::Number => continue,
            Wrapping::Unsure => return None,
        };
        let (s, e) = (v.node.start_byte(), v.node.end_byte());
        if edits.iter().any(|(a, _, _)| *a == s) || keep(v.node) {
            continue;
        }
        edits.push((s, e, wrap(text(v.node, src), to_str)));
    }
    if edits.is_empty() {
        return None;
    }
    edits.sort_by_key(|(s, _, _)| std::cmp::Reverse(*s));
    let base = node.start_byte();
    let mut out = text(node, src).to_string();
    for (s, e, new) in edits {
        if s < base || e > node.end_byte() {
            return None;
        }
        out.replace_range(s - base..e - base, &new);
    }
    Some(out)
}

pub(super) fn shell_quote(node: Node, src: &str) -> Option<String> {
    let p = strings::pieces(node, src)?;
    if p.literal_text().contains(['\'', '"', '\\', '`'])
        || p.values().any(|v| text(v.node, src).contains("quote("))
    {
        return None;
    }
    wrap_values(node, src, |x, to_str| {
        if to_str {
            format!("shlex.quote(str({x}))")
        } else {
            format!("shlex.quote({x})")
        }
    })
}

/// `TEMPLATE.format(a, k=b)` with `TEMPLATE` a module constant bound once to a string
/// literal whose fields are plain (`{}`, `{0}`, `{name}`: no conversion, no format spec): each
/// argument wrapped, as `str.format` prints it with `str`.
fn wrap_format_args(
    node: Node,
    src: &str,
    keep: &impl Fn(Node) -> bool,
    wrap: &impl Fn(&str, bool) -> String,
) -> Option<String> {
    let node = crate::rules::args::unparen(node);
    let f = node.child_by_field_id(FIELD.function)?;
    let template = f.child_by_field_id(FIELD.object)?;
    if f.kind_name() != "attribute"
        || text(f.child_by_field_id(FIELD.attribute)?, src) != "format"
        || template.kind_name() != "identifier"
    {
        return None;
    }
    let literal = module_string(node, text(template, src), src)?;
    // Every field plain: `{` ... `}` with only a name or index inside.
    let body = literal.replace("{{", "").replace("}}", "");
    let plain = body.split('{').skip(1).all(|rest| {
        rest.split_once('}')
            .is_some_and(|(field, _)| field.chars().all(|c| c.is_alphanumeric() || c == '_'))
    });
    if !plain {
        return None;
    }
    let args = node.child_by_field_id(FIELD.arguments)?;
    let mut c = args.walk();
    let mut edits = Vec::new();
    for a in args.named_children(&mut c) {
        let v = match a.kind_name() {
            "keyword_argument" => a.child_by_field_id(FIELD.value)?,
            "list_splat" | "dictionary_splat" => return None,
            "comment" => continue,
            _ => a,
        };
        let numeric = matches!(v.kind_name(), "integer" | "float");
        if numeric || keep(v) {
            continue;
        }
        edits.push((v.start_byte(), v.end_byte(), wrap(text(v, src), true)));
    }
    if edits.is_empty() {
        return None;
    }
    let base = node.start_byte();
    let mut out = text(node, src).to_string();
    for (s, e, new) in edits.into_iter().rev() {
        out.replace_range(s - base..e - base, &new);
    }
    Some(out)
}

/// The text of the string literal module constant `name` is bound to (once, at the top level).
fn module_string(at: Node, name: &str, src: &str) -> Option<String> {
    let root = crate::rules::resolve::root_of(at);
    let mut c = root.walk();
    let mut found = None;
    for s in root.named_children(&mut c) {
        let Some(a) = s.named_child(0).filter(|a| a.kind_name() == "assignment") else {
            continue;
        };
        if a.child_by_field_id(FIELD.left).map(|l| text(l, src)) != Some(name) {
            continue;
        }
        let v = a.child_by_field_id(FIELD.right)?;
        let p = strings::pieces(v, src)?;
        if found.is_some() || p.values().next().is_some() {
            return None;
        }
        found = Some(p.literal_text());
    }
    let rebound = super::scope::mentions(root, name, src)
        .into_iter()
        .filter(|n| super::scope::is_binding(*n))
        .count();
    found.filter(|_| rebound == 1)
}

pub(super) fn escape_fields(node: Node, src: &str, func: &str) -> Option<String> {
    wrap_values(node, src, |x, to_str| {
        if to_str {
            format!("{func}(str({x}))")
        } else {
            format!("{func}({x})")
        }
    })
}

/// The file's own `escape`, when it imports one (`from markupsafe import escape`, `from
/// django.utils.html import escape`) but not the `html` module, and the function does not
/// rebind the name: a page built with `escape` already reads better with it, and a local
/// `html` variable would hide the `html` module.
pub(super) fn own_escape(node: Node, src: &str) -> Option<&'static str> {
    const ESCAPES: &[&str] = &[
        "markupsafe.escape",
        "django.utils.html.escape",
        "html.escape",
        "flask.escape",
        "jinja2.escape",
    ];
    let root = crate::rules::resolve::root_of(node);
    let imported = imported_as(root, "escape", src).is_some_and(|q| ESCAPES.contains(&q.as_str()));
    // A file that imports the `html` module already keeps using it.
    if !imported || imported_as(root, "html", src).as_deref() == Some("html") {
        return None;
    }
    // (At the top level the binding is that import.)
    let scope = super::scope::scope_of(node);
    let rebound = scope.kind_name() != "module"
        && super::scope::mentions(scope, "escape", src)
            .into_iter()
            .any(super::scope::is_binding);
    (!rebound).then_some("escape")
}
