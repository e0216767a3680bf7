//! The literals a natively matched pattern needs in the file, from its regex predicates.
//!
//! The query gate ([`crate::rules::query_gate`]) reads `#eq?`, `#any-of?` and `#qualname?`
//! literals from a query's text. A pattern whose only text conditions are regexes (the
//! prompt-injection texts, `0.0.0.0` in a bind address, a secret's variable name) stayed
//! ungated and was tried on every node of its kind. Here, each `#match?` predicate that must
//! hold for a capture the pattern always binds contributes the literals its regex needs
//! ([`crate::rules::regex_literals`]), and the pattern takes the most selective set.

use super::parse::{Parsed, Step, TextPred};
use crate::rules::regex_literals;

/// The literals (lower case; one of them must occur, case-insensitively, in an ASCII file)
/// pattern `p` needs; `None` when none is known. An empty set: it cannot match ASCII text.
pub(crate) fn needed(p: &Parsed) -> Option<Vec<String>> {
    let mut best: Option<Vec<Vec<u8>>> = None;
    for (capture, pred) in &p.early {
        let TextPred::Match(_, re, true, true) = pred else {
            continue;
        };
        if !always_binds(&p.root, *capture) {
            continue;
        }
        let Some(set) = regex_literals::required(re.as_str()) else {
            continue;
        };
        if best
            .as_ref()
            .is_none_or(|b| regex_literals::better(&set, b))
        {
            best = Some(set);
        }
    }
    best.map(|set| {
        set.into_iter()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
            .collect()
    })
}

/// Whether every match of `step` binds `capture`: a predicate on a capture that a match may
/// leave unbound holds vacuously there, so its regex is not needed.
fn always_binds(step: &Step, capture: u32) -> bool {
    if step.captures.contains(&capture) {
        return true;
    }
    if !step.alts.is_empty() {
        return step.alts.iter().all(|a| always_binds(a, capture));
    }
    step.children.iter().any(|c| always_binds(c, capture))
}
