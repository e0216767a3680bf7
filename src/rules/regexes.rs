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

/// A `&str` regex for `pattern`, compiled at most once per process.
pub(crate) fn text(pattern: &str) -> Result<regex::Regex, regex::Error> {
    memo(&TEXT, pattern, regex::Regex::new)
}

/// A `&[u8]` regex for `pattern`, compiled at most once per process.
pub(crate) fn bytes(pattern: &str) -> Result<regex::bytes::Regex, regex::Error> {
    memo(&BYTES, pattern, regex::bytes::Regex::new)
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
}
