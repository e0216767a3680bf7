//! Stage 5, the fixer: repairs confirmed findings and proves each repair by re-scanning.
//!
//! For each target finding (reported, unsuppressed, not a prompt-injection finding), bottom
//! of the file first so earlier line numbers stay valid:
//!
//! * round 1, candidate 0: the rule's deterministic fix template (`Finding.fixes`), if any,
//!   with the imports it declares added to the file ([`super::template`]);
//! * each round: `candidates` model proposals for the affected lines (temperature > 0, seeds
//!   `seed + 1000·round + i`), the remaining problems of the previous round fed back;
//! * every candidate is verified ([`super::verify`]): it parses, the target is gone, nothing
//!   new appeared, no name is newly undefined and no binding it replaced is lost. The best by
//!   the scanner's verdict wins; the first verified one is applied and the next target is
//!   repaired on top of it;
//! * after `max_rounds` without success, the best candidate is reported as **unverified** and
//!   not applied.
//!
//! The output is a unified diff of the verified fixes ([`FixResult::diff`]) and, for
//! `--write`, [`write_fixed`]: atomic replacement with a `.orig` backup that refuses to touch
//! a file changed since the scan.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod credit;
mod templates;
#[cfg(test)]
mod tests;
mod write;

use super::ask::Asker;
use super::backend::{Backend, Stage};
use super::cache::{content_hash, Cache};
use super::layout::{self, FileView, Question, RunPrefix};
use super::template::{self, LineChange};
use super::verify::{verify, Before, Patched, Verification};
use super::{prompts, schema_of, PipelineOptions, StageStats};
use crate::finding::{Finding, FixProposal, Origin, VerdictStatus};
use crate::rules::Engine;
use crate::scan::Diagnostic;
pub use write::{unified_diff, write_fixed, FixError};

/// The fixer's answer: replacement lines, then why they are safe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FixAnswer {
    /// The new code for exactly the given lines.
    #[schemars(length(max = 1500))]
    pub replacement: String,
    /// One sentence.
    #[schemars(length(max = 240))]
    pub why: String,
}

/// What fixing one file produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FixResult {
    pub path: String,
    /// SHA-256 of the text the fixes were computed on.
    pub original_sha256: String,
    pub original: String,
    /// The text with every verified fix applied.
    pub patched: String,
    /// Unified diff from `original` to `patched` (empty when nothing verified).
    pub diff: String,
    /// Every target finding, with its `fix` set when a candidate existed.
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
    pub stats: StageStats,
}

impl FixResult {
    /// Targets with a verified fix.
    pub fn verified(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.fix.as_ref().is_some_and(|x| x.verified))
            .count()
    }

    /// Targets whose best candidate never verified.
    pub fn unverified(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.fix.as_ref().is_some_and(|x| !x.verified))
            .count()
    }

    /// A one-line summary.
    pub fn summary(&self) -> String {
        let no_candidate = self.findings.iter().filter(|f| f.fix.is_none()).count();
        format!(
            "{}: {} verified fix(es), {} unverified, {} without a candidate",
            self.path,
            self.verified(),
            self.unverified(),
            no_candidate
        )
    }
}

/// Whether a finding is a repair target.
pub fn is_target(f: &Finding) -> bool {
    !f.is_suppressed()
        && !super::guardrail::is_injection_rule(&f.rule_id)
        && f.verdict
            .as_ref()
            .is_none_or(|v| v.status == VerdictStatus::Confirmed)
}

/// A fix answer stops when a run of this many tokens repeats (code may repeat a little).
const FIX_REPEAT_NGRAM: usize = 32;

/// A candidate fix.
struct Candidate {
    text: String,
    /// Lines the replacement occupies in `text`.
    region: (usize, usize),
    replacement: String,
    why: String,
    source: &'static str,
}

/// Repairs the target findings of one file. `findings` are the file's reported findings
/// (from [`super::scan_file`]); non-targets are ignored. Never fails: problems become
/// diagnostics and unverified fixes.
pub fn fix_file(
    engine: &Engine,
    mut backend: Option<&mut dyn Backend>,
    label: &str,
    text: &str,
    findings: &[Finding],
    opts: &PipelineOptions,
    cache: &mut Cache,
) -> FixResult {
    let mut stats = StageStats::default();
    let mut diagnostics = Vec::new();
    if let Some(b) = backend.as_deref() {
        let id = super::cache_identity(engine, Some(&b.describe()));
        if cache.identity() != &id {
            cache.set_identity(id);
        }
    }
    let mut targets: Vec<Finding> = findings.iter().filter(|f| is_target(f)).cloned().collect();
    targets.sort_by(|a, b| {
        (b.span.start_line, b.span.start_column, &b.rule_id).cmp(&(
            a.span.start_line,
            a.span.start_column,
            &a.rule_id,
        ))
    });
    let run = RunPrefix::new(engine.catalog());
    // The file as the model sees it: the original text (the scan's file prefix, still in the
    // model's cache) as long as the lines asked about lie above every applied fix; the chunk
    // holding them when the file does not fit the model's context.
    let context = backend.as_deref().and_then(|b| b.context_length());
    let view_of = |text: &str, line: usize| {
        layout::views(&run, label, text, context, opts.chunk_lines)
            .into_iter()
            .find(|v| v.contains(line))
            .unwrap_or_else(|| FileView::whole(label, text))
    };
    let mut first_changed = usize::MAX;
    let mut current = text.to_string();
    let mut done = Vec::new();
    // Import lines added or removed by applied template fixes, in order. They move the
    // targets still to do (above the fixed one, below the imports).
    let mut changes: Vec<LineChange> = Vec::new();
    // Targets an applied fix removed along with its own (the other end of a SQL statement
    // built in a variable, a second rule on the same code): that fix, by target index.
    let mut removed_by: Vec<Option<FixProposal>> = vec![None; targets.len()];
    for (ti, target) in targets.iter().enumerate() {
        let mut target = target.clone();
        let before = engine.scan_source(label, &current).findings;
        let now = |line: usize| changes.iter().fold(line, |l, c| c.forward(l));
        // Re-locate a static target in the current text (an earlier fix may have removed it).
        let live: Option<Finding> = match target.origin {
            Origin::Static => before
                .iter()
                .find(|f| {
                    f.rule_id == target.rule_id
                        && f.span.start_line == now(target.span.start_line)
                        && !f.is_suppressed()
                })
                .cloned(),
            Origin::Model => {
                let mut f = target.clone();
                f.span.start_line = now(f.span.start_line);
                f.span.end_line = now(f.span.end_line);
                Some(f)
            }
        };
        let Some(live) = live else {
            target.fix = removed_by[ti].take();
            done.push(target);
            continue;
        };
        let (start, end) = (
            live.span.start_line,
            live.span.end_line.max(live.span.start_line),
        );
        let original_region = lines(&current, start, end);
        let mut best: Option<(Verification, Candidate, usize)> = None;
        let mut feedback: Vec<String> = Vec::new();
        let mut applied = false;
        let mut template_changes: Vec<LineChange> = Vec::new();
        let mut chained: Option<(Candidate, Vec<LineChange>)> = None;
        for round in 1..=opts.max_rounds.max(1) {
            let mut cands: Vec<Candidate> = Vec::new();
            if round == 1 && !live.fixes.is_empty() {
                if let Some((c, ch)) = templates::first(&current, &live.fixes, start, end) {
                    cands.push(c);
                    template_changes = ch;
                }
            }
            if let Some((c, ch)) = chained.take() {
                cands.push(c);
                template_changes = ch;
            }
            if let Some(b) = backend.as_deref_mut() {
                let view = if end < first_changed {
                    view_of(text, start)
                } else {
                    view_of(&current, start)
                };
                let mut asker = Asker {
                    backend: b,
                    cache,
                    stats: &mut stats,
                    run: &run,
                };
                for i in 0..opts.candidates.max(1) {
                    let seed = opts.seed.wrapping_add(1000 * round as u64 + i as u64);
                    let ask = FixRequest {
                        text: &current,
                        finding: &live,
                        start,
                        end,
                        feedback: &feedback,
                        seed,
                    };
                    match model_candidate(&mut asker, engine, &view, &ask, opts) {
                        Ok(Some(c)) => cands.push(c),
                        Ok(None) | Err(super::PipelineError::Discarded { .. }) => {}
                        Err(e) => diagnostics.push(super::stage_diagnostic(
                            label,
                            Stage::Fixer,
                            &e,
                            Some(start),
                        )),
                    }
                }
            }
            if cands.is_empty() {
                break;
            }
            for c in cands {
                let model_view = if live.origin == Origin::Model {
                    backend.as_deref_mut().map(|b| {
                        let mut asker = Asker {
                            backend: b,
                            cache,
                            stats: &mut stats,
                            run: &run,
                        };
                        reanalyze(&mut asker, engine, label, &c.text, opts)
                    })
                } else {
                    None
                };
                let v = verify(
                    engine,
                    label,
                    Before {
                        text: &current,
                        findings: &before,
                    },
                    &live,
                    Patched {
                        text: &c.text,
                        region: c.region,
                    },
                    model_view.as_deref(),
                );
                let better = best.as_ref().is_none_or(|(bv, _, _)| v.rank() > bv.rank());
                if better {
                    best = Some((v, c, round));
                }
            }
            let Some((bv, _, _)) = best.as_ref() else {
                break;
            };
            if bv.ok() {
                applied = true;
                break;
            }
            feedback = bv.feedback();
            chained = best
                .as_ref()
                .and_then(|(v, c, _)| templates::next_template(v, c, &template_changes));
            if backend.is_none() && chained.is_none() {
                break;
            }
        }
        if let Some((v, c, round)) = best {
            let imports = if c.source == "template" {
                template::import_edits(&changes, &template_changes)
            } else {
                Vec::new()
            };
            let proposal = FixProposal {
                start_line: template::line_before(start, &changes),
                end_line: template::line_before(end, &changes),
                original: original_region,
                replacement: c.replacement.clone(),
                why: c.why.clone(),
                verified: applied,
                rounds: round,
                source: c.source.to_string(),
                imports,
            };
            if applied {
                credit::removed_too(
                    credit::Applied {
                        target: &target,
                        proposal: &proposal,
                        before: &before,
                        rescan: &v.rescan,
                        region: c.region,
                    },
                    &targets[ti + 1..],
                    &now,
                    &mut removed_by[ti + 1..],
                );
            }
            target.fix = Some(proposal);
            if applied {
                first_changed = first_changed.min(start);
                if c.source == "template" {
                    // Import lines added or removed above change what the model sees too.
                    for ch in &template_changes {
                        first_changed = first_changed.min(ch.line);
                    }
                    changes.extend(template_changes);
                }
                current = c.text;
            }
        }
        done.push(target);
    }
    done.sort_by(|a, b| {
        (a.span.start_line, a.span.start_column, &a.rule_id).cmp(&(
            b.span.start_line,
            b.span.start_column,
            &b.rule_id,
        ))
    });
    let diff = if current == text {
        String::new()
    } else {
        unified_diff(label, text, &current)
    };
    FixResult {
        path: label.to_string(),
        original_sha256: content_hash(text),
        original: text.to_string(),
        patched: current,
        diff,
        findings: done,
        diagnostics,
        stats,
    }
}

/// Lines `start..=end` of `text`, joined with `\n`.
fn lines(text: &str, start: usize, end: usize) -> String {
    text.lines()
        .skip(start - 1)
        .take(end + 1 - start)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Cleans a model replacement: strips code fences and copied line numbers, and re-indents it
/// to the original region's indentation when the model dropped it.
pub fn clean_replacement(replacement: &str, original: &str) -> String {
    let mut lines: Vec<&str> = replacement.lines().collect();
    if lines
        .first()
        .is_some_and(|l| l.trim_start().starts_with("```"))
    {
        lines.remove(0);
    }
    if lines
        .last()
        .is_some_and(|l| l.trim_start().starts_with("```"))
    {
        lines.pop();
    }
    // Line numbers copied from the prompt (`12 code`, or the older `12 | code`): stripped when
    // every line has one and they count up by one, so code that starts with a number stays.
    let number_of = |l: &str| -> Option<(usize, usize)> {
        let d = l.chars().take_while(|c| c.is_ascii_digit()).count();
        let n = l[..d].parse().ok()?;
        let sep = [" | ", "| ", " "]
            .iter()
            .find(|s| l[d..].starts_with(**s))?;
        Some((n, d + sep.len()))
    };
    let numbers: Vec<Option<(usize, usize)>> = lines.iter().map(|l| number_of(l)).collect();
    let numbered = !lines.is_empty()
        && numbers.iter().all(Option::is_some)
        && numbers
            .windows(2)
            .all(|w| matches!(w, [Some((a, _)), Some((b, _))] if *b == a + 1));
    let stripped: Vec<String> = lines
        .iter()
        .zip(&numbers)
        .map(|(l, n)| match n {
            Some((_, cut)) if numbered => l[*cut..].to_string(),
            _ => l.to_string(),
        })
        .collect();
    let indent = |s: &str| s.len() - s.trim_start().len();
    let orig_indent = original
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(indent)
        .min()
        .unwrap_or(0);
    let rep_indent = stripped
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| indent(l))
        .min()
        .unwrap_or(0);
    let prefix: String = original
        .lines()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.chars().take_while(|c| c.is_whitespace()).collect())
        .unwrap_or_default();
    stripped
        .iter()
        .map(|l| {
            if l.trim().is_empty() {
                String::new()
            } else if rep_indent < orig_indent {
                let pad: String = prefix.chars().take(orig_indent - rep_indent).collect();
                format!("{pad}{l}")
            } else {
                l.clone()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the fixer asks the model to repair: lines `start..=end` of `text`, where `finding`
/// is, with the previous round's `feedback`, sampled with `seed`.
struct FixRequest<'a> {
    text: &'a str,
    finding: &'a Finding,
    start: usize,
    end: usize,
    feedback: &'a [String],
    seed: u64,
}

/// Asks the model for a replacement of lines `start..=end` of `text`; `view` shows the model
/// a file whose lines up to `end` are those of `text`.
fn model_candidate(
    asker: &mut Asker,
    engine: &Engine,
    view: &FileView,
    ask: &FixRequest,
    opts: &PipelineOptions,
) -> Result<Option<Candidate>, super::PipelineError> {
    let &FixRequest {
        text,
        finding: f,
        start,
        end,
        feedback,
        seed,
    } = ask;
    let rule = engine.catalog().get(&f.rule_id);
    let original = lines(text, start, end);
    let code = prompts::escape_invisible_block(&original);
    let use_instead = rule.map(|r| r.doc.use_instead.trim()).unwrap_or("");
    let ctx = serde_json::json!({
        "fence": prompts::fence_for(&format!("{code}\n{use_instead}")),
        "rule_id": f.rule_id,
        "cwe": f.cwe.first().copied().unwrap_or(0),
        "line": f.span.start_line,
        "message": f.message,
        "remediation": f.remediation,
        "use_instead": use_instead,
        "feedback": feedback,
        "start_line": start,
        "end_line": end,
        "code": code,
    });
    // A replacement a few times the size of the lines it replaces, at most the schema's 1500
    // characters; the cap is the answer at its longest, so a finished answer is never cut.
    let replacement_chars = (3 * original.len()).clamp(300, 1500);
    let mut schema = schema_of::<FixAnswer>();
    if let Some(r) = schema.pointer_mut("/properties/replacement") {
        r["maxLength"] = replacement_chars.into();
    }
    if let Some(w) = schema.pointer_mut("/properties/why") {
        w["maxLength"] = opts.plan.fixer.why_chars.into();
    }
    let cap = opts.plan.fixer.max_tokens + replacement_chars + opts.plan.fixer.why_chars;
    let mut question =
        Question::new(Stage::Fixer, &ctx, schema, cap, seed)?.stop_on_repeat(FIX_REPEAT_NGRAM);
    question.temperature = opts.fix_temperature.max(0.05);
    let ans: FixAnswer = asker.ask(view, question)?.value;
    let replacement = clean_replacement(&ans.replacement, &original);
    if replacement.trim().is_empty() || replacement == original {
        return Ok(None);
    }
    let all: Vec<&str> = text.lines().collect();
    let mut out: Vec<&str> = Vec::with_capacity(all.len());
    out.extend(&all[..start - 1]);
    out.extend(replacement.lines());
    out.extend(&all[end.min(all.len())..]);
    let mut patched = out.join("\n");
    if text.ends_with('\n') {
        patched.push('\n');
    }
    let new_end = start + replacement.lines().count().max(1) - 1;
    Ok(Some(Candidate {
        text: patched,
        region: (start, new_end),
        replacement,
        why: ans.why.split_whitespace().collect::<Vec<_>>().join(" "),
        source: "model",
    }))
}

/// The analyzer's findings on the patched file, for verifying a model-found target.
fn reanalyze(
    asker: &mut Asker,
    engine: &Engine,
    label: &str,
    text: &str,
    opts: &PipelineOptions,
) -> Vec<Finding> {
    let statics = engine.scan_source(label, text).findings;
    let view = FileView::whole(label, text);
    match super::analyzer::analyze_view(
        asker,
        engine.catalog(),
        text,
        &view,
        &statics,
        &opts.plan.analyzer,
        opts.seed,
    ) {
        Ok(out) => {
            // The model agreeing with a static finding there also counts as "still there".
            let mut v = out.model_findings;
            v.extend(
                out.explanations
                    .into_iter()
                    .map(|(i, _)| statics[i].clone()),
            );
            v
        }
        Err(_) => Vec::new(),
    }
}
