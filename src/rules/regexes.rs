//! Rule regexes, compiled once per distinct pattern per process.
//!
//! Many rules share a pattern (the secret-name regex appears in 17 query predicates), and a
//! case-insensitive pattern with Unicode `\w` is expensive to compile: compiling every copy
//! was most of the start-up time of a one-file scan. A compiled [`regex::Regex`] clones
//! cheaply (the program is shared; each clone gets its own match cache).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

/// Compiled text regexes, by pattern.
static TEXT: LazyLock<Mutex<HashMap<String, regex::Regex>>> = LazyLock::new(Default::default);
/// Compiled byte regexes, by pattern.
static BYTES: LazyLock<Mutex<HashMap<String, regex::bytes::Regex>>> =
    LazyLock::new(Default::default);

/// A `&str` regex for `pattern`, compiled at most once per process, for matching and finding
/// only: like [`bytes`], its groups are compiled as non-capturing.
pub(crate) fn text(pattern: &str) -> Result<regex::Regex, regex::Error> {
    memo(&TEXT, pattern, |p| regex::Regex::new(&without_captures(p)))
}

/// A `&[u8]` regex for `pattern`, compiled at most once per process, for `is_match` only: its
/// groups are compiled as non-capturing ([`without_captures`]).
pub(crate) fn bytes(pattern: &str) -> Result<regex::bytes::Regex, regex::Error> {
    memo(&BYTES, pattern, |p| {
        regex::bytes::Regex::new(&without_captures(p))
    })
}

/// `pattern` with every capturing group made non-capturing (`(a|b)` → `(?:a|b)`), which matches
/// exactly the same texts. The regex engines' match state holds a slot per capture group for
/// every NFA state: a rule regex with a dozen groups and Unicode classes took several MiB per
/// thread, and an alternation of four such regexes more than the four together. A pattern that
/// does not parse is returned unchanged (compiling it reports the error).
pub(crate) fn without_captures(pattern: &str) -> String {
    use regex_syntax::ast::{self, Ast, GroupKind};
    fn strip(a: &mut Ast) {
        match a {
            Ast::Group(g) => {
                if !matches!(g.kind, GroupKind::NonCapturing(_)) {
                    g.kind = GroupKind::NonCapturing(ast::Flags {
                        span: g.span,
                        items: Vec::new(),
                    });
                }
                strip(&mut g.ast);
            }
            Ast::Repetition(r) => strip(&mut r.ast),
            Ast::Alternation(alt) => alt.asts.iter_mut().for_each(strip),
            Ast::Concat(c) => c.asts.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let Ok(mut parsed) = ast::parse::Parser::new().parse(pattern) else {
        return pattern.to_string();
    };
    strip(&mut parsed);
    let mut out = String::new();
    match ast::print::Printer::new().print(&parsed, &mut out) {
        Ok(()) => out,
        Err(_) => pattern.to_string(),
    }
}

fn memo<R: Clone>(
    cache: &Mutex<HashMap<String, R>>,
    pattern: &str,
    compile: fn(&str) -> Result<R, regex::Error>,
) -> Result<R, regex::Error> {
    let lock = || cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = lock().get(pattern) {
        return Ok(r.clone());
    }
    // Compiled outside the lock: another thread compiling the same pattern meanwhile only
    // wastes its own work.
    let r = compile(pattern)?;
    lock().entry(pattern.to_string()).or_insert(r.clone());
    Ok(r)
}

#[cfg(test)]
mod tests {
    #[test]
    fn memoized_regexes_match_like_fresh_ones_and_errors_pass_through() {
        let a = super::text(r"(?i)^(\w*_)?token$").unwrap();
        let b = super::text(r"(?i)^(\w*_)?token$").unwrap();
        assert!(a.is_match("API_TOKEN") && b.is_match("api_token") && !b.is_match("tokens"));
        let c = super::bytes(r"^x+$").unwrap();
        assert!(c.is_match(b"xxx") && !c.is_match(b"xy"));
        assert!(super::text("(").is_err());
        assert!(super::bytes("(").is_err());
    }

    #[test]
    fn groups_become_non_capturing_and_match_the_same_texts() {
        let cases = [
            (
                r"(?i)(ignore|skip)\W+(all\W+)*(rules)",
                "(?i)(?:ignore|skip)\\W+(?:all\\W+)*(?:rules)",
            ),
            (r"^[(]x(?P<n>y)\(z\)$", "^[(]x(?:y)\\(z\\)$"),
            (r"a(?i:b)(c)?", "a(?i:b)(?:c)?"),
        ];
        for (p, want) in cases {
            assert_eq!(super::without_captures(p), want, "{p}");
        }
        let re = super::bytes(r"(?i)^(\w*_)?(token|pin)s?$").unwrap();
        assert!(re.is_match(b"API_TOKEN") && re.is_match(b"pins") && !re.is_match(b"tokens_x"));
        assert_eq!(super::without_captures("("), "(");
    }
}
