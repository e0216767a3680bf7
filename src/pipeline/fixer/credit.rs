//! Targets an applied fix removed along with its own: the other end of a SQL statement built
//! in a variable (PW111 where it is built, PW110 where it runs), a second rule on the same
//! code. They share that fix: it is verified, and a re-scan shows them gone.

use crate::finding::{Finding, FixProposal, Origin};

/// A fix just applied for `target`: the findings `before` it, the re-scan of the patched text
/// and the lines `region` the fix occupies there.
pub(super) struct Applied<'a> {
    pub target: &'a Finding,
    pub proposal: &'a FixProposal,
    pub before: &'a [Finding],
    pub rescan: &'a [Finding],
    pub region: (usize, usize),
}

/// Records the fix for each of the `later` targets (still to do; `now` maps their scanned
/// lines to the text before the fix) that it removed, in `removed_by` (one slot per target).
pub(super) fn removed_too(
    fix: Applied,
    later: &[Finding],
    now: &dyn Fn(usize) -> usize,
    removed_by: &mut [Option<FixProposal>],
) {
    for (other, slot) in later.iter().zip(removed_by.iter_mut()) {
        let was = fix.before.iter().find(|f| {
            f.rule_id == other.rule_id
                && f.span.start_line == now(other.span.start_line)
                && !f.is_suppressed()
        });
        if other.origin == Origin::Static && was.is_some_and(|w| gone(w, fix.rescan, fix.region)) {
            *slot = Some(FixProposal {
                why: format!(
                    "the fix for {} at line {} removes this finding too: {}",
                    fix.target.rule_id, fix.target.span.start_line, fix.proposal.why
                ),
                ..fix.proposal.clone()
            });
        }
    }
}

/// Whether finding `was` (of the text before a fix) is gone from `rescan` (the patched text's
/// findings): no finding of its rule on the same code, nor any in the patched `region`, where
/// its code may have been rewritten.
fn gone(was: &Finding, rescan: &[Finding], region: (usize, usize)) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    !rescan.iter().any(|f| {
        f.rule_id == was.rule_id
            && !f.is_suppressed()
            && (norm(&f.snippet) == norm(&was.snippet)
                || (f.span.start_line <= region.1 + 1 && f.span.end_line + 1 >= region.0))
    })
}
