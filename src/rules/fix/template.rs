//! The `template-vars` filter: template source built from values becomes a constant template
//! whose values are passed as context variables, which the template engine escapes:
//!
//! ```python
//! render_template_string("<h2>" + title + "</h2><p>{{ body }}</p>", body=text)
//! ```
//!
//! becomes `render_template_string("<h2>{{ title }}</h2><p>{{ body }}</p>", body=text,
//! title=title)`. The same for `ENV.from_string(SOURCE).render(...)`, whose `render` call gets
//! the variables. A template in a local name assigned once and read only by the call is
//! rewritten where it is assigned.
//!
//! Gives up on a value inside template syntax already (`{{ ` + x + ` }}`), one converted other
//! than to `str` (`%d`, `!r`), one whose variable name cannot be told (a name, an attribute, a
//! subscript by a string key), and a name the template or the call already uses.

use tree_sitter::Node;

use super::placement::insertion;
use super::scope::{mentions, scope_of, sole_binding, RangeEdit};
use super::strings::{self, literal, Conv, Part};
use crate::rules::args::unparen;
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

pub(crate) fn template_vars(arg: Node, src: &str) -> Option<Vec<RangeEdit>> {
    let list = arg.parent().filter(|l| l.kind_name() == "argument_list")?;
    let call = list.parent().filter(|c| c.kind_name() == "call")?;
    let first = list.named_child(0)?;
    if first.id() != arg.id() {
        return None;
    }
    // Where the variables go: the call itself, or the `.render(...)` chained on it.
    let f = text(call.child_by_field_id(FIELD.function)?, src);
    let target = if f == "render_template_string" || f.ends_with(".render_template_string") {
        call
    } else if f.ends_with(".from_string") {
        let attr = call.parent().filter(|a| a.kind_name() == "attribute")?;
        let render = attr.parent().filter(|c| c.kind_name() == "call")?;
        if text(attr.child_by_field_id(FIELD.attribute)?, src) != "render" {
            return None;
        }
        render
    } else {
        return None;
    };
    let built = if arg.kind_name() == "identifier" {
        let b = sole_binding(arg, src)?;
        // Read only here.
        let name = text(arg, src);
        let reads = mentions(scope_of(arg), name, src).len();
        if reads != 2 {
            return None;
        }
        b
    } else {
        unparen(arg)
    };
    let p = strings::pieces(built, src)?;
    let given = keyword_names(target, src)?;
    let mut names: Vec<String> = Vec::new();
    let mut out = String::new();
    let mut kwargs: Vec<String> = Vec::new();
    for part in &p.parts {
        match part {
            Part::Lit(s) => out.push_str(s),
            Part::Value(v) => {
                if !matches!(v.conv, Conv::Str | Conv::Concat) || inside_tag(&out) {
                    return None;
                }
                let n = unparen(v.node);
                let name = var_name(n, src)?;
                let expr = text(n, src);
                let literal_text = p.literal_text();
                if given.contains(&name) || mentions_word(&literal_text, &name) {
                    return None;
                }
                if !names.contains(&name) {
                    names.push(name.clone());
                    kwargs.push(format!("{name}={expr}"));
                } else if !kwargs.contains(&format!("{name}={expr}")) {
                    return None;
                }
                out.push_str(&format!("{{{{ {name} }}}}"));
            }
        }
    }
    if kwargs.is_empty() || p.triple {
        return None;
    }
    let (at, has_args) = insertion(target)?;
    let added = if has_args {
        format!(", {}", kwargs.join(", "))
    } else {
        kwargs.join(", ")
    };
    let mut edits = vec![
        (built.start_byte(), built.end_byte(), literal(&out, p.quote)),
        (at, at, added),
    ];
    edits.sort_by_key(|e| e.0);
    Some(edits)
}

/// The keyword names a call passes (`body` for `render(body=x)`); `None` with a `**ctx`,
/// which might pass any name.
fn keyword_names(call: Node, src: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    if let Some(list) = call.child_by_field_id(FIELD.arguments) {
        let mut c = list.walk();
        for a in list.named_children(&mut c) {
            match a.kind_name() {
                "keyword_argument" => {
                    if let Some(n) = a.child_by_field_id(FIELD.name) {
                        out.push(text(n, src).to_string());
                    }
                }
                "dictionary_splat" => return None,
                _ => {}
            }
        }
    }
    Some(out)
}

/// The context variable a value is passed as: its name, the last attribute, or a string key.
fn var_name(n: Node, src: &str) -> Option<String> {
    let name = match n.kind_name() {
        "identifier" => text(n, src).to_string(),
        "attribute" => text(n.child_by_field_id(FIELD.attribute)?, src).to_string(),
        "subscript" => {
            let key = n.child_by_field_id(FIELD.subscript)?;
            let p = strings::pieces(key, src)?;
            if p.values().next().is_some() {
                return None;
            }
            p.literal_text()
        }
        _ => return None,
    };
    let ident = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    const RESERVED: &[&str] = &[
        "and", "or", "not", "in", "is", "if", "else", "for", "true", "false", "none", "True",
        "False", "None", "self", "loop", "range", "request", "session", "g", "config",
    ];
    (ident && !RESERVED.contains(&name.as_str())).then_some(name)
}

/// Whether text ends inside a `{{ ... }}`, `{% ... %}` or `{# ... #}`.
fn inside_tag(before: &str) -> bool {
    [("{{", "}}"), ("{%", "%}"), ("{#", "#}")]
        .iter()
        .any(|(open, close)| match before.rfind(open) {
            Some(o) => before[o..].find(close).is_none(),
            None => false,
        })
}

/// Whether `word` occurs in `text` as a whole word.
fn mentions_word(text: &str, word: &str) -> bool {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(src: &str, target: &str) -> Option<String> {
        super::super::test_util::edited_at(src, target, template_vars)
    }

    #[test]
    fn values_become_context_variables() {
        let src = "def card(title):\n    template = \"<h2>\" + title + \"</h2><p>{{ body }}</p>\"\n    return render_template_string(template, body=\"Thanks\")\n";
        assert_eq!(
            fix(src, "template").unwrap(),
            "def card(title):\n    template = \"<h2>{{ title }}</h2><p>{{ body }}</p>\"\n    return render_template_string(template, body=\"Thanks\", title=title)\n"
        );
        let src =
            "def hello(args):\n    return env.from_string(f\"<p>{args['who']}</p>\").render()\n";
        assert_eq!(
            fix(src, "f\"<p>{args['who']}</p>\"").unwrap(),
            "def hello(args):\n    return env.from_string(\"<p>{{ who }}</p>\").render(who=args['who'])\n"
        );
    }

    #[test]
    fn refuses_what_it_cannot_tell() {
        // Already inside template syntax.
        let src = "def f(x):\n    return render_template_string(\"{{ \" + x + \" }}\")\n";
        assert!(fix(src, "\"{{ \" + x + \" }}\"").is_none());
        // A name the template or the call already uses.
        let src = "def f(body):\n    return render_template_string(\"<p>{{ body }}</p>\" + body)\n";
        assert!(fix(src, "\"<p>{{ body }}</p>\" + body").is_none());
        let src = "def f(x):\n    return render_template_string(\"<p>\" + x, x=1)\n";
        assert!(fix(src, "\"<p>\" + x").is_none());
        // Not a name.
        let src = "def f(x):\n    return render_template_string(\"<p>\" + x.strip())\n";
        assert!(fix(src, "\"<p>\" + x.strip()").is_none());
        // A context the call passes whole might hold any name.
        let src = "def f(x, ctx):\n    return render_template_string(\"<p>\" + x, **ctx)\n";
        assert!(fix(src, "\"<p>\" + x").is_none());
        // Not a template call.
        let src = "def f(x):\n    return render(\"<p>\" + x)\n";
        assert!(fix(src, "\"<p>\" + x").is_none());
    }
}
