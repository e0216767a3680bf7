//! The captures a rule's matches have, which fix parts and message placeholders may name;
//! checked when the rule loads.

use std::collections::BTreeSet;

use super::known;
use crate::rules::schema::{Pattern, RuleSpec};

/// The captures a rule's matches can have.
pub(super) fn available_captures(rule: &RuleSpec) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut add = |s: &str| {
        out.insert(s.to_string());
    };
    for p in &rule.patterns {
        match p {
            Pattern::Call { .. } => ["callee", "call", "qualname"].iter().for_each(|s| add(s)),
            Pattern::Import { .. } => ["module", "import"].iter().for_each(|s| add(s)),
            Pattern::Query { query } => {
                let b = query.as_bytes();
                for (i, _) in query.match_indices('@') {
                    let name: String = query[i + 1..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    let starts_ok = name.chars().next().is_some_and(|c| !c.is_ascii_digit());
                    if starts_ok && (i == 0 || b[i - 1] != b'\\') {
                        add(&name);
                    }
                }
            }
        }
    }
    if rule.taint.is_some() {
        [
            "callee",
            "call",
            "source",
            "origin",
            "built",
            "built_last",
            "arg",
        ]
        .iter()
        .for_each(|s| add(s));
    }
    out
}

/// Checks that every `{name}` placeholder of the rule's message names a capture its matches
/// have (a message leaves an unknown one as written, which no test would notice).
pub fn check_message(rule: &RuleSpec) -> Result<(), String> {
    let caps = available_captures(rule);
    let mut rest = rule.message.as_str();
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            break;
        };
        let name = &after[..close];
        let ident = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if ident {
            known(&caps, name).map_err(|m| format!("message: {m}"))?;
        }
        rest = &after[close + 1..];
    }
    Ok(())
}
