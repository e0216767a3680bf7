//! The `drop-exemption` filter: a CSRF exemption (`@csrf_exempt`, `@csrf.exempt`) removed
//! from a view that authenticates its caller through the session cookie, which is what CSRF
//! protection exists for. The evidence must be in the view: a decorator that requires a
//! logged-in user (`login_required`, `permission_required`, `user_passes_test`,
//! `staff_member_required`...) or a read of `request.user` or `current_user`. A view without
//! it may be an API authenticated otherwise (a token, a signature), where the exemption can be
//! deliberate: no fix. The decorator must stand alone on its line (a comment after it goes
//! with it).

use std::sync::LazyLock;

use regex::Regex;
use tree_sitter::Node;

use super::scope::RangeEdit;
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

static SESSION_AUTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^@\s*([\w.]+\.)?(login_required|fresh_login_required|permission_required|user_passes_test|staff_member_required|superuser_required|roles_required|roles_accepted)\b",
    )
    .expect("a valid regex")
});

static USER_READ: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\brequest\.user\b|\bcurrent_user\b").expect("a valid regex"));

pub(crate) fn drop_exemption(callee: Node, src: &str) -> Option<Vec<RangeEdit>> {
    let decorator = callee.parent().filter(|d| d.kind_name() == "decorator")?;
    let def = decorator
        .parent()
        .filter(|d| d.kind_name() == "decorated_definition")?;
    let func = def.child_by_field_id(FIELD.definition)?;
    let mut c = def.walk();
    let session = def
        .children(&mut c)
        .filter(|d| d.kind_name() == "decorator" && d.id() != decorator.id())
        .any(|d| SESSION_AUTH.is_match(text(d, src)))
        || USER_READ.is_match(text(func, src));
    if !session {
        return None;
    }
    let start = src[..decorator.start_byte()]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    if !src[start..decorator.start_byte()].trim().is_empty() {
        return None;
    }
    let end = src[decorator.end_byte()..]
        .find('\n')
        .map_or(src.len(), |i| decorator.end_byte() + i + 1);
    let rest = src[decorator.end_byte()..end].trim();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return None;
    }
    Some(vec![(start, end, String::new())])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(src: &str) -> Option<String> {
        super::super::test_util::edited_at(src, "csrf_exempt", drop_exemption)
    }

    #[test]
    fn a_view_behind_a_login_loses_its_exemption() {
        let src = "@csrf_exempt\n@login_required\ndef transfer(request):\n    pass\n";
        assert_eq!(
            fix(src).as_deref(),
            Some("@login_required\ndef transfer(request):\n    pass\n")
        );
        let src = "@csrf_exempt  # legacy\ndef transfer(request):\n    return request.user.id\n";
        assert_eq!(
            fix(src).as_deref(),
            Some("def transfer(request):\n    return request.user.id\n")
        );
    }

    #[test]
    fn a_view_without_session_evidence_keeps_it() {
        assert_eq!(
            fix("@csrf_exempt\ndef hook(request):\n    return 1\n"),
            None
        );
    }
}
