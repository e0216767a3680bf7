//! The `redirect-guard:STYLE` filter: a redirect to a target taken from the request gets a
//! guard clause before it that sends anything but a page of this site to the site's root.
//!
//! ```python
//! return redirect(request.args.get("next", "/"))
//! ```
//!
//! becomes
//!
//! ```python
//! next_url = request.args.get("next", "/")
//! if not next_url or not next_url.startswith("/") or next_url.startswith("//") or "\\" in next_url or not next_url.isprintable():
//!     return redirect("/")
//! return redirect(next_url)
//! ```
//!
//! STYLE says how a target is judged:
//!
//! * `path`: it must be a path of this site: it starts with one `/`, and holds no backslash
//!   (browsers read `/\evil.example` as `//evil.example`) and no control character (browsers
//!   drop tabs and newlines, so `/\t/evil.example` would be `//evil.example` too);
//! * `django`: Django's own `url_has_allowed_host_and_scheme`, against the request's host
//!   (HTTPS required when the request came over HTTPS). Only for a callee imported from Django,
//!   in a function that has a `request` parameter; the filter gives up elsewhere.
//!
//! The redirect must be what a `return` statement returns, alone on its line: the guard is a
//! clause of its own that returns too. A target that is not a plain name is first bound to
//! `next_url` (or `next_url_2`..., a name the function does not use).

use tree_sitter::Node;

use super::filters::indent_at;
use super::scope::{imported_as, mentions, scope_of, RangeEdit};
use crate::rules::args::unparen;
use crate::rules::resolve::{root_of, text};
use crate::syntax_fields::{KindName, FIELD};

pub(crate) fn redirect_guard(arg: Node, src: &str, style: &str) -> Option<Vec<RangeEdit>> {
    let list = match arg.parent()? {
        p if p.kind_name() == "keyword_argument" => p.parent()?,
        p => p,
    };
    if list.kind_name() != "argument_list" {
        return None;
    }
    let call = list.parent().filter(|c| c.kind_name() == "call")?;
    let ret = returned_by(call)?;
    let indent = indent_at(src, ret.start_byte());
    // The `return` must start its line.
    if src[..ret.start_byte()].rsplit('\n').next() != Some(indent) {
        return None;
    }
    let callee = text(call.child_by_field_id(FIELD.function)?, src);
    let func = scope_of(call);
    if func.kind_name() != "function_definition" {
        return None;
    }
    let check = match style {
        "django" => {
            if !from_django(root_of(call), callee, src) || !has_param(func, "request", src) {
                return None;
            }
            "not url_has_allowed_host_and_scheme({n}, allowed_hosts={{request.get_host()}}, require_https=request.is_secure())"
        }
        "path" => "not {n} or not {n}.startswith(\"/\") or {n}.startswith(\"//\") or \"\\\\\" in {n} or not {n}.isprintable()",
        _ => return None,
    };
    let target = unparen(arg);
    if fixed_prefix(target, src) {
        return None;
    }
    let mut edits: Vec<RangeEdit> = Vec::new();
    let name = if target.kind_name() == "identifier" {
        text(target, src).to_string()
    } else {
        let name = fresh_name(func, "next_url", src);
        edits.push((arg.start_byte(), arg.end_byte(), name.clone()));
        name
    };
    let mut guard = String::new();
    if target.kind_name() != "identifier" {
        guard.push_str(&format!("{name} = {}\n{indent}", text(target, src)));
    }
    guard.push_str(&format!(
        "if {}:\n{indent}    return {callee}(\"/\")\n{indent}",
        check
            .replace("{n}", &name)
            .replace("{{", "{")
            .replace("}}", "}")
    ));
    edits.push((ret.start_byte(), ret.start_byte(), guard));
    edits.sort_by_key(|e| e.0);
    Some(edits)
}

/// Whether `target` starts with literal text (`"https://partner.example/?ref=" + ref`): the
/// code means to leave the site, and a guard would always refuse it.
fn fixed_prefix(target: Node, src: &str) -> bool {
    match target.kind_name() {
        "string" | "concatenated_string" => {
            let t = text(target, src).trim_start_matches(|c: char| c.is_ascii_alphabetic());
            let body = t.trim_start_matches(['"', '\'']);
            !body.is_empty() && !body.starts_with('{')
        }
        "binary_operator" => target
            .child_by_field_id(FIELD.left)
            .is_some_and(|l| fixed_prefix(unparen(l), src)),
        "call" => target
            .child_by_field_id(FIELD.function)
            .filter(|f| f.kind_name() == "attribute")
            .and_then(|f| f.child_by_field_id(FIELD.object))
            .is_some_and(|o| {
                matches!(o.kind_name(), "string" | "concatenated_string") && fixed_prefix(o, src)
            }),
        _ => false,
    }
}

/// The `return` statement whose value is `call`.
fn returned_by(call: Node) -> Option<Node> {
    let mut n = call;
    while let Some(p) = n.parent() {
        match p.kind_name() {
            "parenthesized_expression" => n = p,
            "return_statement" => return Some(p),
            _ => return None,
        }
    }
    None
}

/// Whether `callee` (`redirect`, `shortcuts.redirect`) is bound by an import from Django.
fn from_django(root: Node, callee: &str, src: &str) -> bool {
    let first = callee.split('.').next().unwrap_or(callee);
    imported_as(root, first, src).is_some_and(|q| q == "django" || q.starts_with("django."))
}

/// Whether function `func` has a parameter named `name`.
fn has_param(func: Node, name: &str, src: &str) -> bool {
    let Some(params) = func.child_by_field_id(FIELD.parameters) else {
        return false;
    };
    let mut c = params.walk();
    let found = params.named_children(&mut c).any(|p| {
        let id = match p.kind_name() {
            "identifier" => Some(p),
            _ => p
                .child_by_field_id(FIELD.name)
                .or_else(|| p.named_child(0))
                .filter(|n| n.kind_name() == "identifier"),
        };
        id.is_some_and(|id| text(id, src) == name)
    });
    found
}

/// `base`, or `base_2`, `base_3`...: the first the function does not mention.
fn fresh_name(func: Node, base: &str, src: &str) -> String {
    (1..)
        .map(|i| {
            if i == 1 {
                base.to_string()
            } else {
                format!("{base}_{i}")
            }
        })
        .find(|n| mentions(func, n, src).is_empty())
        .unwrap_or_else(|| base.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(src: &str, target: &str, style: &str) -> Option<String> {
        super::super::test_util::edited_at(src, target, |n, s| redirect_guard(n, s, style))
    }

    #[test]
    fn binds_an_expression_and_guards_it() {
        let src = "def login():\n    return redirect(request.args.get(\"next\", \"/\"))\n";
        let out = fix(src, "request.args.get(\"next\", \"/\")", "path").unwrap();
        assert_eq!(
            out,
            "def login():\n    next_url = request.args.get(\"next\", \"/\")\n    if not next_url or not next_url.startswith(\"/\") or next_url.startswith(\"//\") or \"\\\\\" in next_url or not next_url.isprintable():\n        return redirect(\"/\")\n    return redirect(next_url)\n"
        );
    }

    #[test]
    fn guards_a_name_in_place_and_avoids_names_in_use() {
        let src = "def go(target):\n    next_url = 1\n    return redirect(target)\n";
        let out = fix(src, "target", "path").unwrap();
        assert!(out.contains("    if not target or"), "{out}");
        assert!(out.ends_with("        return redirect(\"/\")\n    return redirect(target)\n"));
        let src = "def go(next_url):\n    return redirect(next_url.strip())\n";
        let out = fix(src, "next_url.strip()", "path").unwrap();
        assert!(out.contains("next_url_2 = next_url.strip()"), "{out}");
    }

    #[test]
    fn django_needs_a_django_callee_and_a_request() {
        let src = "from django.http import HttpResponseRedirect\n\ndef signin(request):\n    return HttpResponseRedirect(request.POST.get(\"next\") or \"/\")\n";
        let out = fix(src, "request.POST.get(\"next\") or \"/\"", "django").unwrap();
        assert!(
            out.contains("    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):\n        return HttpResponseRedirect(\"/\")\n"),
            "{out}"
        );
        let flask = src.replace("django.http", "flask");
        assert!(fix(&flask, "request.POST.get(\"next\") or \"/\"", "django").is_none());
        let no_request = src.replace("signin(request)", "signin(req)");
        assert!(fix(&no_request, "request.POST.get(\"next\") or \"/\"", "django").is_none());
    }

    #[test]
    fn leaves_a_redirect_to_a_fixed_site() {
        for t in [
            "\"https://partner.example.com/?ref=\" + ref",
            "f\"https://partner.example.com/{ref}\"",
            "\"https://partner.example.com/{}\".format(ref)",
        ] {
            let src = format!("def go(ref):\n    return redirect({t})\n");
            assert!(fix(&src, t, "path").is_none(), "{t}");
        }
        let src = "def go(ref):\n    return redirect(f\"{ref}/done\")\n";
        assert!(fix(src, "f\"{ref}/done\"", "path").is_some());
    }

    #[test]
    fn only_a_returned_redirect() {
        let src = "def go(t):\n    r = redirect(t)\n";
        assert!(fix(src, "t", "path").is_none());
        let src = "def go(t):\n    return x or redirect(t)\n";
        assert!(fix(src, "t", "path").is_none());
    }
}
