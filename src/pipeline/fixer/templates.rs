//! Template candidates. The first comes from the finding's own fix edits ([`first`]). Over
//! rounds: a template fix that removed one path to its target's sink but left the target
//! reported with another (a second request value reaching the same response,
//! say) is extended, in the next round, with the template fix the re-scan offers for it. So a
//! static-only run converges over `--max-rounds` too, without a model.

use super::{lines, Candidate};
use crate::finding::Edit;
use crate::pipeline::template;
use crate::pipeline::template::LineChange;
use crate::pipeline::verify::Verification;

/// The next round's candidate: `c` (verified as `v`) with the re-scanned target's template
/// fix applied on top; `changes` are the import lines `c` added or removed. `None` when `c`
/// broke something else (then more edits would not save it) or no template applies.
pub(super) fn next_template(
    v: &Verification,
    c: &Candidate,
    changes: &[LineChange],
) -> Option<(Candidate, Vec<LineChange>)> {
    if c.source != "template" || !v.parses || !v.new_findings.is_empty() || !v.names_intact() {
        return None;
    }
    let next = v.still_there.iter().find(|f| !f.fixes.is_empty())?;
    let (start, end) = (
        next.span.start_line,
        next.span.end_line.max(next.span.start_line),
    );
    let (c2, more) = first(&c.text, &next.fixes, start, end)?;
    if c2.text == c.text {
        return None;
    }
    // The first candidate's region, moved past the lines the second one added or removed.
    let moved = |l: usize| more.iter().fold(l, |l, ch| ch.forward(l));
    let region = (
        moved(c.region.0).min(c2.region.0),
        moved(c.region.1).max(c2.region.1),
    );
    let candidate = Candidate {
        replacement: lines(&c2.text, region.0, region.1),
        region,
        why: format!("{}; {}", c.why, c2.why),
        text: c2.text,
        source: "template",
    };
    let mut all = changes.to_vec();
    all.extend(more);
    Some((candidate, all))
}

/// Applies a rule's template edits (byte ranges of the current text) and the imports they
/// declare ([`template`]); also returns the import lines it changed.
/// The candidate of a finding's template edits on `text` (its lines `start..=end`), with the
/// import lines it adds or removes.
pub(super) fn first(
    text: &str,
    edits: &[Edit],
    start: usize,
    end: usize,
) -> Option<(Candidate, Vec<LineChange>)> {
    let p = template::apply_template(text, edits, start, end).ok()?;
    let mut why: Vec<String> = edits
        .iter()
        .map(|e| e.description.trim())
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .collect();
    why.extend(p.added_imports.iter().map(|i| format!("adds `{i}`")));
    why.extend(
        p.removed_imports
            .iter()
            .map(|i| format!("removes `{i}`, now unused")),
    );
    let c = Candidate {
        replacement: lines(&p.text, p.region.0, p.region.1),
        region: p.region,
        text: p.text,
        why: why.join("; "),
        source: "template",
    };
    Some((c, p.line_changes))
}
