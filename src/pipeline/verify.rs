//! Verifying a candidate fix by re-scanning, deterministically:
//!
//! 1. the patched file parses no worse than before (no new tree-sitter ERROR or MISSING
//!    nodes);
//! 2. the target finding is gone: no finding of the same rule (unsuppressed) overlaps the
//!    replaced lines, or the line just above or below them unless it is an untouched
//!    neighbour reported before the fix on other code; for a model-found target the caller
//!    passes the analyzer's findings on the patched file (without them a model-found target
//!    cannot be verified);
//! 3. nothing new appeared: every unsuppressed finding of the patched file matches a finding
//!    of the file before the fix by rule and whitespace-normalised snippet (as a multiset);
//! 4. no name is newly undefined: the patched file reads no name that no scope binds, beyond
//!    those the file already read unbound before the fix ([`super::names`]), and it adds no
//!    star import that would hide its names;
//! 5. no binding is lost: every name the changed lines bound before the fix, and that code
//!    after them still reads, is still bound by the changed lines, in the same scope;
//! 6. no statement is emptied: no statement without effect is added, and no `return`,
//!    `raise`, `yield` or call statement is lost ([`super::effects`]).
//!
//! Model and template candidates pass the same checks; the fixer applies only candidates that
//! pass them all ([`Verification::ok`]).

use std::collections::HashMap;

use tree_sitter::Parser;

use super::effects::{self, EffectDiff};
use super::names::{self, LostBinding, NameUse};
use crate::finding::{Finding, Origin};
use crate::rules::Engine;

/// The outcome of checking one candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    pub parses: bool,
    pub target_gone: bool,
    /// Findings the fix introduced.
    pub new_findings: Vec<Finding>,
    /// Findings of the target's rule still overlapping the replaced lines.
    pub still_there: Vec<Finding>,
    /// The static engine's findings on the patched text.
    pub rescan: Vec<Finding>,
    /// Names the patched file reads unbound and the original did not (line: in the patched
    /// file).
    pub new_undefined: Vec<NameUse>,
    /// Bindings the replaced lines made, that later code reads, and the replacement no longer
    /// makes.
    pub lost_bindings: Vec<LostBinding>,
    /// The fix added a `from m import *`, after which names cannot be checked.
    pub star_import_added: bool,
    /// Statements the fix emptied or dropped.
    pub effects: EffectDiff,
}

impl Verification {
    /// Parses, target gone, nothing new, no name newly undefined, no binding lost, no
    /// statement emptied.
    pub fn ok(&self) -> bool {
        self.parses && self.target_gone && self.new_findings.is_empty() && self.names_intact()
    }

    /// No name newly undefined, no binding lost, no star import added, no statement emptied:
    /// the code still does what it did, but for the fix.
    pub fn names_intact(&self) -> bool {
        self.new_undefined.is_empty()
            && self.lost_bindings.is_empty()
            && !self.star_import_added
            && self.effects.is_clean()
    }

    /// Sort key, best first: verified, parses, leaves the code's names intact, target gone,
    /// fewest new findings. A candidate that breaks the code ranks below one that keeps it
    /// working, even when it removes the finding.
    pub fn rank(&self) -> (bool, bool, bool, bool, std::cmp::Reverse<usize>) {
        (
            self.ok(),
            self.parses,
            self.names_intact(),
            self.target_gone,
            std::cmp::Reverse(self.new_findings.len()),
        )
    }

    /// What to tell the model about a failed candidate.
    pub fn feedback(&self) -> Vec<String> {
        let mut v = Vec::new();
        if !self.parses {
            v.push("the replacement does not parse as Python (syntax error); return complete, valid statements".to_string());
        }
        for f in self.still_there.iter().take(3) {
            v.push(format!(
                "{} is still reported at line {}: {}",
                f.rule_id,
                f.span.start_line,
                one_line(&f.message)
            ));
        }
        if !self.target_gone && self.still_there.is_empty() {
            v.push("the weakness could not be shown to be gone".to_string());
        }
        for f in self.new_findings.iter().take(3) {
            v.push(format!(
                "the fix introduced {} at line {}: {}",
                f.rule_id,
                f.span.start_line,
                one_line(&f.message)
            ));
        }
        for l in self.lost_bindings.iter().take(3) {
            v.push(format!(
                "the replacement no longer assigns `{}`, which line {} uses; keep the assignment",
                l.name, l.used_at
            ));
        }
        let lost = |n: &str| self.lost_bindings.iter().any(|l| l.name == n);
        for u in self.new_undefined.iter().filter(|u| !lost(&u.name)).take(3) {
            v.push(format!(
                "the replacement leaves `{}` undefined (line {}); define or import it",
                u.name, u.line
            ));
        }
        if self.star_import_added {
            v.push("do not add `from ... import *`; import the names you use".to_string());
        }
        for line in self.effects.pointless.iter().take(3) {
            v.push(format!(
                "the statement at line {line} does nothing; keep what the original statement did"
            ));
        }
        for kind in &self.effects.lost {
            v.push(format!(
                "the replacement removes {} the code had; keep it",
                match *kind {
                    "return value" => "a `return` with a value",
                    "return" => "a `return`",
                    "raise" => "a `raise`",
                    "yield" => "a `yield`",
                    _ => "a call",
                }
            ));
        }
        v
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Number of ERROR and MISSING nodes in the parse of `text` (`usize::MAX` if it cannot be
/// parsed at all).
pub fn error_count(text: &str) -> usize {
    let mut parser = Parser::new();
    let Some(tree) = parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .ok()
        .and_then(|_| parser.parse(text, None))
    else {
        return usize::MAX;
    };
    let mut n = 0;
    let mut cursor = tree.walk();
    let mut done = false;
    while !done {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            n += 1;
        }
        if node.has_error() && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                done = true;
                break;
            }
        }
    }
    n
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A file before a fix: its text and its static findings.
#[derive(Debug, Clone, Copy)]
pub struct Before<'a> {
    pub text: &'a str,
    pub findings: &'a [Finding],
}

/// A candidate fix: the patched file and the 1-based lines `(start, end)` the replacement
/// occupies in it.
#[derive(Debug, Clone, Copy)]
pub struct Patched<'a> {
    pub text: &'a str,
    pub region: (usize, usize),
}

/// Checks a candidate `patched` for `target`, one of the findings `before` the fix;
/// `model_view` holds the analyzer's findings on the patched text when the target was found
/// by the model.
pub fn verify(
    engine: &Engine,
    label: &str,
    before: Before,
    target: &Finding,
    patched: Patched,
    model_view: Option<&[Finding]>,
) -> Verification {
    let Before {
        text: before_text,
        findings: before,
    } = before;
    let Patched {
        text: patched,
        region,
    } = patched;
    let parses = error_count(patched) <= error_count(before_text);
    let rescan = engine.scan_source(label, patched).findings;
    let (lo, hi) = (region.0.saturating_sub(1), region.1 + 1);
    let overlaps = |f: &Finding| f.span.start_line <= hi && f.span.end_line >= lo;
    let in_region = |f: &Finding| f.span.start_line <= region.1 && f.span.end_line >= region.0;
    // A finding of the same rule whose code the fix did not touch (it was reported before, on
    // other code than the target) is a neighbour still waiting for its own fix, not the
    // target: on the line just above or below the replacement, or inside a region that spans
    // other findings (an edit where the value was made, lines away), when its code is not the
    // target's.
    let neighbour = |f: &Finding| {
        let elsewhere = before.iter().any(|b| {
            b.rule_id == f.rule_id && b.span != target.span && norm(&b.snippet) == norm(&f.snippet)
        });
        elsewhere && (!in_region(f) || norm(&f.snippet) != norm(&target.snippet))
    };
    let still_there: Vec<Finding> = match target.origin {
        Origin::Static => rescan
            .iter()
            .filter(|&f| {
                f.rule_id == target.rule_id && !f.is_suppressed() && overlaps(f) && !neighbour(f)
            })
            .cloned()
            .collect(),
        Origin::Model => model_view
            .unwrap_or(&[])
            .iter()
            .filter(|&f| f.rule_id == target.rule_id && overlaps(f))
            .cloned()
            .collect(),
    };
    let target_gone =
        still_there.is_empty() && (target.origin == Origin::Static || model_view.is_some());
    let mut pool: HashMap<(String, String), usize> = HashMap::new();
    for f in before.iter().filter(|f| !f.is_suppressed()) {
        *pool
            .entry((f.rule_id.clone(), norm(&f.snippet)))
            .or_insert(0) += 1;
    }
    // Findings of other rules in the replaced region before the fix: if they are still there
    // (with changed text) they are not new, only not fixed by this candidate.
    let before_hi = target.span.end_line.max(region.0) + 1;
    let mut in_region: HashMap<String, usize> = HashMap::new();
    for f in before
        .iter()
        .filter(|f| !f.is_suppressed() && f.span.start_line <= before_hi && f.span.end_line >= lo)
    {
        *in_region.entry(f.rule_id.clone()).or_insert(0) += 1;
    }
    let mut new_findings = Vec::new();
    for f in rescan.iter().filter(|f| !f.is_suppressed()) {
        if still_there.iter().any(|s| s == f) {
            continue;
        }
        if let Some(n) = pool
            .get_mut(&(f.rule_id.clone(), norm(&f.snippet)))
            .filter(|n| **n > 0)
        {
            *n -= 1;
            continue;
        }
        if let Some(n) = in_region
            .get_mut(&f.rule_id)
            .filter(|n| **n > 0 && overlaps(f))
        {
            *n -= 1;
            continue;
        }
        new_findings.push(f.clone());
    }
    let names = names::compare(before_text, patched);
    Verification {
        parses,
        target_gone,
        new_findings,
        still_there,
        rescan,
        new_undefined: names.new_undefined,
        lost_bindings: names.lost,
        star_import_added: names.star_import_added,
        effects: effects::compare(before_text, patched),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verification() -> Verification {
        Verification {
            parses: true,
            target_gone: true,
            new_findings: Vec::new(),
            still_there: Vec::new(),
            rescan: Vec::new(),
            new_undefined: Vec::new(),
            lost_bindings: Vec::new(),
            star_import_added: false,
            effects: EffectDiff::default(),
        }
    }

    #[test]
    fn broken_names_fail_the_gate_and_are_fed_back() {
        assert!(verification().ok());
        let undefined = Verification {
            new_undefined: vec![NameUse {
                name: "md5".into(),
                line: 3,
            }],
            ..verification()
        };
        assert!(!undefined.ok());
        assert_eq!(
            undefined.feedback(),
            ["the replacement leaves `md5` undefined (line 3); define or import it"]
        );
        let lost = Verification {
            new_undefined: vec![
                NameUse {
                    name: "user_profile".into(),
                    line: 8,
                },
                NameUse {
                    name: "UserProfile".into(),
                    line: 7,
                },
            ],
            lost_bindings: vec![LostBinding {
                name: "user_profile".into(),
                bound_at: 7,
                used_at: 8,
            }],
            ..verification()
        };
        assert!(!lost.ok());
        assert_eq!(
            lost.feedback(),
            [
                "the replacement no longer assigns `user_profile`, which line 8 uses; keep the assignment",
                "the replacement leaves `UserProfile` undefined (line 7); define or import it",
            ]
        );
        let star = Verification {
            star_import_added: true,
            ..verification()
        };
        assert!(!star.ok());
        let emptied = Verification {
            effects: EffectDiff {
                pointless: vec![12],
                lost: vec!["return value"],
            },
            ..verification()
        };
        assert!(!emptied.ok());
        assert_eq!(
            emptied.feedback(),
            [
                "the statement at line 12 does nothing; keep what the original statement did",
                "the replacement removes a `return` with a value the code had; keep it",
            ]
        );
        // A candidate that keeps the code working outranks one that removes the finding but
        // breaks a name.
        let still_there = Verification {
            target_gone: false,
            ..verification()
        };
        assert!(still_there.rank() > lost.rank());
        assert!(verification().rank() > still_there.rank());
    }

    #[test]
    fn error_count_sees_new_syntax_errors() {
        assert_eq!(error_count("x = 1\n"), 0);
        assert!(error_count("x = (1\n") > 0);
        assert!(error_count("def f(:\n  pass\n") > 0);
    }
}
