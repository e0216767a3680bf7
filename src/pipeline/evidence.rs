//! Stage 3, the evidence check: deterministic, no model. A model's claim survives only when
//!
//! * its quote (whitespace-normalised, line-number prefixes stripped, at least
//!   [`MIN_QUOTE_CHARS`] non-blank characters) occurs in the file at, or within
//!   [`LINE_SLACK`] lines of, the lines it names;
//! * its rule id exists in the catalogue and its CWE is one of that rule's, or (no rule id)
//!   its CWE belongs to exactly one rule that was asked about.
//!
//! Everything else is discarded and counted ([`DiscardReason`]), never silently kept.

use crate::rules::{Catalog, RuleSpec};

/// How many lines a quote may be away from the claimed range.
pub const LINE_SLACK: usize = 3;
/// A quote shorter than this (without whitespace) proves nothing.
pub const MIN_QUOTE_CHARS: usize = 4;

/// A model's claim about the code, before checking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim<'a> {
    pub rule_id: &'a str,
    pub cwe: u32,
    pub start_line: usize,
    pub end_line: usize,
    pub quote: &'a str,
}

/// Why a claim was discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DiscardReason {
    /// The quote is empty or too short to prove anything.
    QuoteTooShort,
    /// The quote is not in the file near the claimed lines.
    QuoteNotFound,
    /// The CWE is in no rule of the catalogue.
    UnknownCwe,
    /// The rule id is unknown, or the CWE is not the rule's.
    RuleMismatch,
}

/// A claim that passed: the rule it is about and where the quote really is.
#[derive(Debug, Clone)]
pub struct Evidence<'c> {
    pub rule: &'c RuleSpec,
    /// The line where the quote starts.
    pub line: usize,
    /// The line where the quote ends.
    pub end_line: usize,
}

/// Collapses whitespace runs to one space, trims, and strips `12 | ` line-number prefixes a
/// model may have copied from the prompt.
pub fn normalize(s: &str) -> String {
    let mut parts = Vec::new();
    for line in s.lines() {
        let t = line.trim_start();
        let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
        let rest = &t[digits..];
        let rest_trim = rest.trim_start();
        let stripped = if digits > 0 && rest_trim.starts_with('|') {
            &rest_trim[1..]
        } else {
            t
        };
        let words: Vec<&str> = stripped.split_whitespace().collect();
        if !words.is_empty() {
            parts.push(words.join(" "));
        }
    }
    parts.join(" ")
}

/// The first line in `start - slack ..= end + slack` at which the normalised `quote` occurs
/// (possibly spanning several lines), or `None`.
pub fn quote_near(
    text: &str,
    quote: &str,
    start: usize,
    end: usize,
    slack: usize,
) -> Option<usize> {
    quote_span(text, quote, start, end, slack).map(|(s, _)| s)
}

/// Like [`quote_near`], with the last line the quote covers.
pub fn quote_span(
    text: &str,
    quote: &str,
    start: usize,
    end: usize,
    slack: usize,
) -> Option<(usize, usize)> {
    quote_span_exact(text, quote, start, end, slack).or_else(|| {
        // The prompt numbers lines as `12 code`: a quote may start with a copied number.
        let t = quote.trim_start();
        let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
        let rest = &t[digits..];
        (digits > 0 && rest.starts_with(' '))
            .then(|| quote_span_exact(text, rest, start, end, slack))
            .flatten()
    })
}

fn quote_span_exact(
    text: &str,
    quote: &str,
    start: usize,
    end: usize,
    slack: usize,
) -> Option<(usize, usize)> {
    let q = normalize(quote);
    if q.chars().filter(|c| !c.is_whitespace()).count() < MIN_QUOTE_CHARS {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() || start == 0 {
        return None;
    }
    let span_lines = quote
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count()
        .max(1);
    let lo = start.saturating_sub(slack).max(1);
    let hi = end.max(start).saturating_add(slack).min(lines.len());
    for l in lo..=hi {
        let last = (l + span_lines - 1).min(lines.len());
        let window = normalize(&lines[l - 1..last].join("\n"));
        if window.contains(&q) {
            return Some((l, last));
        }
    }
    None
}

/// Checks one claim against the file and the catalogue. `asked` are the rules the model was
/// asked about (used when the claim names no rule).
pub fn check<'c>(
    claim: &Claim,
    text: &str,
    catalog: &'c Catalog,
    asked: &[&'c RuleSpec],
) -> Result<Evidence<'c>, DiscardReason> {
    if normalize(claim.quote)
        .chars()
        .filter(|c| !c.is_whitespace())
        .count()
        < MIN_QUOTE_CHARS
    {
        return Err(DiscardReason::QuoteTooShort);
    }
    if !catalog.cwes().contains(&claim.cwe) {
        return Err(DiscardReason::UnknownCwe);
    }
    let rule = if claim.rule_id.trim().is_empty() {
        let mut with_cwe = asked.iter().filter(|r| r.cwe.contains(&claim.cwe));
        match (with_cwe.next(), with_cwe.next()) {
            (Some(r), None) => *r,
            _ => return Err(DiscardReason::RuleMismatch),
        }
    } else {
        match catalog.get(claim.rule_id.trim()) {
            Some(r) if r.cwe.contains(&claim.cwe) => r,
            _ => return Err(DiscardReason::RuleMismatch),
        }
    };
    match quote_span(
        text,
        claim.quote,
        claim.start_line,
        claim.end_line,
        LINE_SLACK,
    ) {
        Some((line, end_line)) => Ok(Evidence {
            rule,
            line,
            end_line,
        }),
        None => Err(DiscardReason::QuoteNotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "import os\n\ndef f(x):\n    os.system(\n        'ls ' + x)\n    return 1\n";

    #[test]
    fn normalisation_strips_whitespace_and_line_numbers() {
        assert_eq!(normalize("  4 |   os.system( x )\n"), "os.system( x )");
        assert_eq!(normalize("a\n\n   b"), "a b");
        assert_eq!(normalize("x = 1 | 2"), "x = 1 | 2");
    }

    #[test]
    fn quotes_must_be_near_the_claimed_lines() {
        assert_eq!(quote_near(SRC, "os.system(", 4, 4, 0), Some(4));
        assert_eq!(quote_near(SRC, "os.system(", 1, 1, 3), Some(4));
        assert_eq!(quote_near(SRC, "os.system(", 1, 1, 2), None);
        // Multi-line quote, re-indented by the model.
        assert_eq!(
            quote_span(SRC, "os.system(\n 'ls ' + x)", 4, 5, 0),
            Some((4, 5))
        );
        assert_eq!(quote_near(SRC, "subprocess.run(x)", 4, 4, 3), None);
        assert_eq!(
            quote_near(SRC, "x", 4, 4, 3),
            None,
            "too short to prove anything"
        );
        assert_eq!(quote_near(SRC, "os.system(", 99, 99, 3), None);
    }
}
