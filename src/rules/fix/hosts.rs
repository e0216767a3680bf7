//! The `host-allow-list` filter: a request for a URL taken from the caller gets a guard
//! clause before it that refuses a host the file's own allow-list does not name, when the file
//! has exactly one: an upper-case module constant bound once to a set, tuple, list or
//! `frozenset` literal of host names (`ALLOWED_HOSTS = {"cdn.example.com", ...}`), which
//! nothing checks yet.
//!
//! ```python
//! resp = requests.get(target, timeout=4)
//! ```
//!
//! becomes
//!
//! ```python
//! if urlsplit(target).hostname not in ALLOWED_HOSTS:
//!     raise requests.exceptions.InvalidURL("host not allowed")
//! resp = requests.get(target, timeout=4)
//! ```
//!
//! The exception is `requests`' own `InvalidURL` where the module imports `requests` (a
//! `RequestException`, so the handlers the code has for failed requests catch it, and a
//! `ValueError`), else `ValueError`. A URL that is not a name or an attribute chain is left
//! alone, and so is a call that is not a statement of its own in a block.

use tree_sitter::Node;

use super::filters::indent_at;
use super::scope::{imported_as, RangeEdit};
use crate::rules::args::unparen;
use crate::rules::resolve::{root_of, text};
use crate::syntax_fields::{KindName, FIELD};

pub(crate) fn host_allow_list(url: Node, src: &str) -> Option<Vec<RangeEdit>> {
    let url = unparen(url);
    if !is_chain(url) {
        return None;
    }
    let stmt = statement_of(url)?;
    let indent = indent_at(src, stmt.start_byte());
    if src[..stmt.start_byte()].rsplit('\n').next() != Some(indent) {
        return None;
    }
    let root = root_of(url);
    let hosts = host_list(root, src)?;
    let error = if imported_as(root, "requests", src).as_deref() == Some("requests") {
        "requests.exceptions.InvalidURL"
    } else {
        "ValueError"
    };
    let guard = format!(
        "if urlsplit({u}).hostname not in {hosts}:\n{indent}    raise {error}(\"host not allowed\")\n{indent}",
        u = text(url, src)
    );
    Some(vec![(stmt.start_byte(), stmt.start_byte(), guard)])
}

/// A name or an attribute chain on one (`target`, `self.source_url`).
fn is_chain(n: Node) -> bool {
    match n.kind_name() {
        "identifier" => true,
        "attribute" => n.child_by_field_id(FIELD.object).is_some_and(is_chain),
        _ => false,
    }
}

/// The simple statement holding `n`, when it stands in a block (or the module).
fn statement_of(n: Node) -> Option<Node> {
    let mut s = n;
    while let Some(p) = s.parent() {
        if matches!(p.kind_name(), "block" | "module") {
            return matches!(s.kind_name(), "expression_statement" | "return_statement")
                .then_some(s);
        }
        if matches!(
            p.kind_name(),
            "function_definition"
                | "lambda"
                | "class_definition"
                | "list_comprehension"
                | "generator_expression"
                | "set_comprehension"
                | "dictionary_comprehension"
        ) {
            return None;
        }
        s = p;
    }
    None
}

/// The one module constant that lists host names and is not read anywhere yet.
fn host_list(root: Node, src: &str) -> Option<String> {
    let found: Vec<String> = super::allow::constants(root, src)
        .into_iter()
        .filter(|(name, coll)| {
            let mut c = coll.walk();
            let items: Vec<Node> = coll.named_children(&mut c).collect();
            coll.kind_name() != "dictionary"
                && !items.is_empty()
                && items.iter().all(|i| is_host(*i, src))
                && uses(root, name, src) == 1
        })
        .map(|(name, _)| name)
        .collect();
    match found.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// A string literal that is a host name with a dot: `cdn.example.com`.
fn is_host(n: Node, src: &str) -> bool {
    if n.kind_name() != "string" {
        return false;
    }
    let t = text(n, src);
    let body = t.trim_matches(|c| c == '"' || c == '\'');
    body.len() + 2 == t.len()
        && body.contains('.')
        && !body.starts_with('.')
        && !body.ends_with('.')
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// How many times the module reads `name` other than in a guard this filter writes
/// (`urlsplit(u).hostname not in NAME`: another finding's fix, applied first).
fn uses(root: Node, name: &str, src: &str) -> usize {
    let ours = |x: Node| {
        x.parent().is_some_and(|cmp| {
            cmp.kind_name() == "comparison_operator"
                && cmp.named_child(0).is_some_and(|l| {
                    let t = text(l, src);
                    t.starts_with("urlsplit(") && t.ends_with(").hostname")
                })
        })
    };
    let mut n = 0;
    let mut stack = vec![root];
    while let Some(x) = stack.pop() {
        if x.kind_name() == "identifier" && text(x, src) == name && !ours(x) {
            n += 1;
        }
        let mut c = x.walk();
        stack.extend(x.children(&mut c));
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(src: &str, target: &str) -> Option<String> {
        super::super::test_util::edited_at(src, target, host_allow_list)
    }

    const SRC: &str = "import requests\n\nALLOWED_HOSTS = {\"cdn.example.com\", \"docs.example.com\"}\nEXTENSIONS = {\"png\", \"jpg\"}\n\n\ndef fetch(target):\n    resp = requests.get(target, timeout=4)\n    return resp\n";

    #[test]
    fn the_files_host_list_guards_the_request() {
        let out = fix(SRC, "target");
        assert_eq!(
            out.as_deref(),
            Some("import requests\n\nALLOWED_HOSTS = {\"cdn.example.com\", \"docs.example.com\"}\nEXTENSIONS = {\"png\", \"jpg\"}\n\n\ndef fetch(target):\n    if urlsplit(target).hostname not in ALLOWED_HOSTS:\n        raise requests.exceptions.InvalidURL(\"host not allowed\")\n    resp = requests.get(target, timeout=4)\n    return resp\n")
        );
        let src = SRC.replace("import requests\n", "from urllib.request import urlopen\n");
        assert!(fix(&src, "target")
            .unwrap()
            .contains("raise ValueError(\"host not allowed\")"));
    }

    #[test]
    fn no_single_unused_host_list_no_fix() {
        // Two lists: which one applies is not clear.
        let src = SRC.replace(
            "EXTENSIONS = {\"png\", \"jpg\"}",
            "MIRRORS = (\"a.example\",)",
        );
        assert_eq!(fix(&src, "target"), None);
        // Already checked somewhere: the code has its own idea of where it applies.
        let src = format!("{SRC}\n\ndef ok(u):\n    return u in ALLOWED_HOSTS\n");
        assert_eq!(fix(&src, "target"), None);
        // Its guard on another request (another finding's fix) is no use of it.
        let src = format!("{SRC}\n\ndef other(u):\n    if urlsplit(u).hostname not in ALLOWED_HOSTS:\n        raise ValueError(u)\n");
        assert!(fix(&src, "target").is_some());
        // No list at all.
        let src = SRC.replace(
            "ALLOWED_HOSTS = {\"cdn.example.com\", \"docs.example.com\"}\n",
            "",
        );
        assert_eq!(fix(&src, "target"), None);
    }
}
