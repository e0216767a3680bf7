//! Inline suppression comments.
//!
//! A finding is suppressed by a comment on its start line, on its end line, or on the last
//! line of the (simple) statement that contains it. Recognised forms:
//!
//! * `# nosec` — suppresses every finding on the line (Bandit's marker);
//!   `# nosec B602,B607` (or `# nosec: B602 B607`) only rules whose `bandit` ids are listed.
//!   Text after `nosec` that holds no test id (`# nosec - reviewed`) counts as a bare `nosec`.
//! * `# noqa: S602` — only rules whose `ruff` codes are listed. A **bare `# noqa` does not
//!   suppress security findings**: it is routinely added to silence style linters (line length,
//!   unused imports) by people who never saw a security warning, so honouring it would hide
//!   vulnerabilities nobody reviewed. (Ruff honours a bare `# noqa` for all of its rules;
//!   pyward deliberately requires the code, and `# nosec` remains the catch-all marker.)
//! * `# pyward: ignore` (all) and `# pyward: ignore[PW101, PW102]` (listed rules).
//!
//! In every coded form a pyward id (`PW101`) is accepted as well. Suppressed findings are never
//! dropped: `Finding.suppressed` records the kind and the comment text.
//!
//! Only real comments count: the engine passes the `comment` nodes of the syntax tree, so a
//! `# nosec` inside a string literal has no effect.

use std::collections::HashMap;

use crate::finding::Suppression;
use crate::rules::RuleSpec;

/// The comments of one file, by 1-based line.
#[derive(Debug, Default)]
pub struct CommentIndex<'s> {
    by_line: HashMap<usize, Vec<&'s str>>,
}

impl<'s> CommentIndex<'s> {
    /// Records the text of one comment (including `#`) found on 1-based `line`.
    pub fn add(&mut self, line: usize, text: &'s str) {
        // Only comments that can suppress anything are kept.
        let lower_has = |needle: &str| {
            text.as_bytes()
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
        };
        if lower_has("nosec") || lower_has("noqa") || lower_has("pyward") {
            self.by_line.entry(line).or_default().push(text);
        }
    }

    /// Whether no comment can suppress anything.
    pub fn is_empty(&self) -> bool {
        self.by_line.is_empty()
    }

    /// The suppression for `rule` from comments on any of `lines`, if one applies.
    pub fn suppression_for(&self, rule: &RuleSpec, lines: &[usize]) -> Option<Suppression> {
        for line in lines {
            if let Some(comments) = self.by_line.get(line) {
                for c in comments {
                    if let Some(kind) = comment_suppresses(c, rule) {
                        return Some(Suppression {
                            kind: kind.to_string(),
                            justification: c.trim().to_string(),
                        });
                    }
                }
            }
        }
        None
    }
}

/// If the comment suppresses `rule`, the kind of marker that does (`nosec`, `noqa`, `pyward`).
pub fn comment_suppresses(comment: &str, rule: &RuleSpec) -> Option<&'static str> {
    // A comment may hold several markers (`# noqa: E501  # nosec`): look at each `#` segment.
    for segment in comment.split('#') {
        let seg = segment.trim();
        let lower = seg.to_ascii_lowercase();
        if let Some(rest) = strip_word(&lower, seg, "nosec") {
            let codes = codes_in(rest);
            if codes.is_empty() || codes.iter().any(|c| rule_has_code(rule, c, &rule.bandit)) {
                return Some("nosec");
            }
        } else if let Some(rest) = strip_word(&lower, seg, "noqa") {
            let rest = rest.trim_start();
            if let Some(list) = rest.strip_prefix(':') {
                let codes = codes_in(list);
                if codes.iter().any(|c| rule_has_code(rule, c, &rule.ruff)) {
                    return Some("noqa");
                }
            }
        } else if lower.starts_with("pyward") {
            let rest = seg["pyward".len()..].trim_start();
            let Some(rest) = rest.strip_prefix(':') else {
                continue;
            };
            let rest = rest.trim_start();
            if !rest.to_ascii_lowercase().starts_with("ignore") {
                continue;
            }
            let rest = rest["ignore".len()..].trim_start();
            if let Some(list) = rest.strip_prefix('[') {
                let list = list.split(']').next().unwrap_or("");
                let codes = codes_in(list);
                if codes.iter().any(|c| c.eq_ignore_ascii_case(&rule.id)) {
                    return Some("pyward");
                }
            } else if rest.is_empty() || !rest.starts_with(|c: char| c.is_alphanumeric()) {
                return Some("pyward");
            }
        }
    }
    None
}

/// If `seg` starts with `word` (case-insensitively) as a whole word, the text after it.
fn strip_word<'a>(lower: &str, seg: &'a str, word: &str) -> Option<&'a str> {
    if !lower.starts_with(word) {
        return None;
    }
    let rest = &seg[word.len()..];
    match rest.chars().next() {
        Some(c) if c.is_alphanumeric() || c == '_' => None,
        _ => Some(rest),
    }
}

/// Tokens that look like codes (`B602`, `S602`, `PW101`), uppercased. Bandit's long form
/// `B602:subprocess_popen_with_shell_equals_true` yields `B602`.
fn codes_in(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c == ':' || c.is_whitespace())
        .filter_map(|t| {
            let t = t.trim();
            let letters = t.chars().take_while(|c| c.is_ascii_alphabetic()).count();
            let digits = t[letters..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .count();
            (letters > 0 && digits > 0 && letters + digits == t.len())
                .then(|| t.to_ascii_uppercase())
        })
        .collect()
}

fn rule_has_code(rule: &RuleSpec, code: &str, ids: &[String]) -> bool {
    code.eq_ignore_ascii_case(&rule.id) || ids.iter().any(|i| i.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Confidence, Severity};
    use crate::rules::schema::RuleDoc;

    fn rule() -> RuleSpec {
        RuleSpec {
            id: "PW101".into(),
            name: "x".into(),
            title: "x".into(),
            category: "command-injection".into(),
            cwe: vec![78],
            severity: Severity::High,
            confidence: Confidence::High,
            bandit: vec!["B602".into()],
            ruff: vec!["S602".into()],
            message: "m".into(),
            remediation: "r".into(),
            doc: RuleDoc {
                what: String::new(),
                why: String::new(),
                example: String::new(),
                use_instead: String::new(),
                references: vec![],
            },
            patterns: vec![],
            taint: None,
            yield_to_taint: false,
            default_off: false,
            dynamic: None,
            fix: vec![],
            tags: vec![],
        }
    }

    #[test]
    fn nosec_forms() {
        let r = rule();
        assert_eq!(comment_suppresses("# nosec", &r), Some("nosec"));
        assert_eq!(comment_suppresses("#nosec", &r), Some("nosec"));
        assert_eq!(comment_suppresses("# nosec B602", &r), Some("nosec"));
        assert_eq!(comment_suppresses("# nosec B607,B602", &r), Some("nosec"));
        assert_eq!(comment_suppresses("# nosec: B602", &r), Some("nosec"));
        assert_eq!(
            comment_suppresses("# nosec B602:subprocess_popen_with_shell_equals_true", &r),
            Some("nosec")
        );
        assert_eq!(comment_suppresses("# nosec PW101", &r), Some("nosec"));
        assert_eq!(comment_suppresses("# nosec B607", &r), None);
        assert_eq!(
            comment_suppresses("# nosec - reviewed by security", &r),
            Some("nosec")
        );
        assert_eq!(comment_suppresses("# nosecurity", &r), None);
    }

    #[test]
    fn noqa_needs_a_matching_code() {
        let r = rule();
        assert_eq!(comment_suppresses("# noqa", &r), None);
        assert_eq!(comment_suppresses("# noqa: E501", &r), None);
        assert_eq!(comment_suppresses("# noqa: S602", &r), Some("noqa"));
        assert_eq!(comment_suppresses("# noqa: E501, S602", &r), Some("noqa"));
        assert_eq!(comment_suppresses("# noqa:S602", &r), Some("noqa"));
        assert_eq!(comment_suppresses("# noqa: PW101", &r), Some("noqa"));
    }

    #[test]
    fn pyward_ignore_forms() {
        let r = rule();
        assert_eq!(comment_suppresses("# pyward: ignore", &r), Some("pyward"));
        assert_eq!(
            comment_suppresses("# pyward: ignore[PW101]", &r),
            Some("pyward")
        );
        assert_eq!(
            comment_suppresses("# pyward: ignore[PW102, PW101]", &r),
            Some("pyward")
        );
        assert_eq!(comment_suppresses("# pyward: ignore[PW102]", &r), None);
        assert_eq!(comment_suppresses("# pyward: ignored", &r), None);
        assert_eq!(comment_suppresses("# pyward is great", &r), None);
    }

    #[test]
    fn several_markers_in_one_comment() {
        let r = rule();
        assert_eq!(
            comment_suppresses("# noqa: E501  # nosec", &r),
            Some("nosec")
        );
        assert_eq!(
            comment_suppresses("# type: ignore # pyward: ignore[PW101]", &r),
            Some("pyward")
        );
    }

    #[test]
    fn index_looks_at_given_lines_only() {
        let r = rule();
        let mut idx = CommentIndex::default();
        idx.add(3, "# nosec B602");
        idx.add(4, "# just a comment");
        assert!(idx.suppression_for(&r, &[2]).is_none());
        let s = idx.suppression_for(&r, &[2, 3]).unwrap();
        assert_eq!(s.kind, "nosec");
        assert_eq!(s.justification, "# nosec B602");
    }
}
