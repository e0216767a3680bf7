//! The Markdown format: a report for people, grouped by file, one section per finding.
//!
//! Layout:
//!
//! 1. a title and a line about the run (pyward version, ruleset hash, files scanned);
//! 2. a summary: counts by severity, then a table of every finding linking to its section;
//! 3. one `##` section per file, one `###` section per finding, each made of `####`
//!    sub-sections built by [`finding_sections`] (problem, vulnerable code, why it is
//!    dangerous, how to fix, taint path);
//! 4. diagnostics, when there are any.
//!
//! Later stages (the LLM pipeline's verdict, explanation and verified fix) slot in as extra
//! sub-sections in [`finding_sections`]: each sub-section is rendered only when it has a
//! body, so absent data leaves no empty heading.

use super::source::{numbered_lines, span_text};
use super::summary::{plural, Summary};
use super::{cwe_url, sorted_diagnostics, sorted_findings, RenderOptions};
use crate::finding::{Edit, Finding, Origin, Severity, TaintStepKind};
use crate::rules::{Catalog, RuleSpec};
use crate::scan::ScanOutcome;

/// Longest flagged expression shown inline under "Problem"; longer ones are only in the code.
const MAX_INLINE_EXPR: usize = 120;

/// Renders the Markdown report.
pub fn render(outcome: &ScanOutcome, catalog: &Catalog, opts: &RenderOptions) -> String {
    let summary = Summary::of(outcome);
    let shown: Vec<&Finding> = sorted_findings(&outcome.findings)
        .into_iter()
        .filter(|f| opts.show_suppressed || !f.is_suppressed())
        .collect();

    let mut out = String::from("# pyward security report\n\n");
    out.push_str(&run_line(outcome, opts));
    out.push_str("\n\n## Summary\n\n");
    out.push_str(&format!("**{}.**\n\n", capitalize(&summary.line())));
    out.push_str("| Severity | Findings |\n| --- | ---: |\n");
    for s in [Severity::High, Severity::Medium, Severity::Low] {
        out.push_str(&format!(
            "| {} | {} |\n",
            capitalize(s.as_str()),
            summary.by_severity.get(s)
        ));
    }
    out.push_str(&format!("| **Total** | **{}** |\n", summary.findings));
    if summary.suppressed > 0 {
        let n = summary.suppressed;
        out.push_str(&format!(
            "\n{} suppressed by in-source comments {} {}.\n",
            plural(n, "finding", "findings"),
            if n == 1 { "is" } else { "are" },
            if opts.show_suppressed {
                "included below, marked as suppressed"
            } else {
                "not shown"
            }
        ));
    }

    if shown.is_empty() {
        out.push_str("\nNo findings.\n");
    } else {
        out.push_str("\n| # | Severity | Rule | Location | Title |\n");
        out.push_str("| ---: | --- | --- | --- | --- |\n");
        for (i, f) in shown.iter().enumerate() {
            let n = i + 1;
            out.push_str(&format!(
                "| [{n}](#finding-{n}) | {}{} | `{}` | {} | {} |\n",
                f.severity.as_str(),
                if f.is_suppressed() {
                    " (suppressed)"
                } else {
                    ""
                },
                f.rule_id,
                code_span(&format!(
                    "{}:{}:{}",
                    f.path, f.span.start_line, f.span.start_column
                )),
                table_cell(&title(f, catalog.get(&f.rule_id))),
            ));
        }
    }

    let mut current_path: Option<&str> = None;
    for (i, f) in shown.iter().enumerate() {
        if current_path != Some(f.path.as_str()) {
            out.push_str(&format!("\n## {}\n", code_span(&f.path)));
            current_path = Some(f.path.as_str());
        }
        render_finding(i + 1, f, catalog.get(&f.rule_id), &mut out);
    }

    let diagnostics = sorted_diagnostics(&outcome.diagnostics);
    if !diagnostics.is_empty() {
        out.push_str("\n## Diagnostics\n\nFiles pyward skipped or could scan only in part:\n\n");
        for d in diagnostics {
            out.push_str(&format!(
                "- **{}** {}: {}\n",
                d.level,
                code_span(&d.location()),
                escape_text(&one_line(d.message_after_path()))
            ));
        }
    }
    out
}

/// `pyward 0.1.0 · ruleset `0123456789ab` · 12 files scanned · command `pyward scan .``
fn run_line(outcome: &ScanOutcome, opts: &RenderOptions) -> String {
    let mut parts = vec![format!("pyward {}", opts.meta.tool_version)];
    if !opts.meta.ruleset_hash.is_empty() {
        let short: String = opts.meta.ruleset_hash.chars().take(12).collect();
        parts.push(format!("ruleset `{short}`"));
    }
    if let Some(m) = &opts.meta.model {
        let sha: String = m.model_sha256.chars().take(12).collect();
        let prompts: String = m.prompt_hash.chars().take(12).collect();
        parts.push(format!(
            "model {} (sha256 `{sha}`, tier {}, {} backend `{}`{}) · prompts `{prompts}` · seed {}",
            escape_text(&m.model),
            m.tier,
            m.kind,
            escape_text(&m.backend),
            if m.code_left_machine {
                ", code sent off this machine"
            } else {
                ", no code left this machine"
            },
            m.seed
        ));
    }
    parts.push(format!(
        "{} scanned",
        plural(outcome.files_scanned, "file", "files")
    ));
    if !opts.meta.command_line.is_empty() {
        parts.push(format!(
            "command {}",
            code_span(&opts.meta.command_line.join(" "))
        ));
    }
    parts.join(" · ")
}

fn title(f: &Finding, rule: Option<&RuleSpec>) -> String {
    match rule {
        Some(r) => r.title.clone(),
        None => one_line(&f.message),
    }
}

fn render_finding(n: usize, f: &Finding, rule: Option<&RuleSpec>, out: &mut String) {
    out.push_str(&format!(
        "\n<a id=\"finding-{n}\"></a>\n\n### {n}. {}\n\n",
        title(f, rule)
    ));
    let rule_cell = match rule {
        Some(r) => format!("`{}` ({})", f.rule_id, code_span(&r.name)),
        None => format!("`{}`", f.rule_id),
    };
    let cwes: Vec<String> = f
        .cwe
        .iter()
        .map(|&c| format!("[CWE-{c}]({})", cwe_url(c)))
        .collect();
    out.push_str("| Rule | Severity | Confidence | CWE | Location |\n");
    out.push_str("| --- | --- | --- | --- | --- |\n");
    out.push_str(&format!(
        "| {rule_cell} | {} | {} | {} | line {}, column {} |\n",
        f.severity.as_str(),
        f.confidence.as_str(),
        if cwes.is_empty() {
            "–".to_string()
        } else {
            cwes.join(", ")
        },
        f.span.start_line,
        f.span.start_column,
    ));
    if let Some(s) = &f.suppressed {
        out.push_str(&format!(
            "\n> **Suppressed** ({}) by {}\n",
            s.kind,
            code_span(&one_line(&s.justification))
        ));
    }
    for (heading, body) in finding_sections(f, rule) {
        if body.trim().is_empty() {
            continue;
        }
        out.push_str(&format!("\n#### {heading}\n\n{}\n", body.trim_end()));
    }
}

/// The sub-sections of one finding, in order, as (heading, Markdown body). Sections with an
/// empty body are skipped by the caller.
///
/// The LLM pipeline's results slot in here: a verdict after "Problem", an explanation after
/// "Why it is dangerous", and a verified fix at the top of "How to fix".
pub fn finding_sections(f: &Finding, rule: Option<&RuleSpec>) -> Vec<(&'static str, String)> {
    vec![
        ("Problem", problem(f)),
        ("Verdict", verdict(f)),
        ("Vulnerable code", vulnerable_code(f)),
        (
            "Why it is dangerous",
            rule.map(|r| r.doc.why.trim().to_string())
                .unwrap_or_default(),
        ),
        ("Explanation", explanation(f)),
        ("Suggested fix", suggested_fix(f)),
        ("How to fix", how_to_fix(f, rule)),
        ("Taint path", taint_path(f)),
    ]
}

/// The calibration verdict, when the LLM pipeline ran.
fn verdict(f: &Finding) -> String {
    let Some(v) = &f.verdict else {
        return String::new();
    };
    let mut s = format!(
        "**{}** (confidence {:.2}): {}",
        capitalize(v.status.as_str()),
        v.confidence,
        escape_text(&one_line(&v.reason))
    );
    if let Some(m) = v.model_verdict {
        s.push_str(&format!("\n\nThe model itself answered *{}*.", m.as_str()));
    }
    s
}

/// The model's root cause and consequence.
fn explanation(f: &Finding) -> String {
    let Some(e) = &f.explanation else {
        return String::new();
    };
    let mut parts = Vec::new();
    if !e.root_cause.trim().is_empty() {
        parts.push(format!(
            "- **Root cause:** {}",
            escape_text(&one_line(&e.root_cause))
        ));
    }
    if !e.consequence.trim().is_empty() {
        parts.push(format!(
            "- **Consequence:** {}",
            escape_text(&one_line(&e.consequence))
        ));
    }
    parts.join("\n")
}

/// The fixer's repair: vulnerable code → suggested code, why, and whether it was verified.
fn suggested_fix(f: &Finding) -> String {
    let Some(x) = &f.fix else {
        return String::new();
    };
    let status = if x.verified {
        format!(
            "Verified by re-scanning (round {}, {} fix).",
            x.rounds, x.source
        )
    } else {
        format!("**Unverified**: no candidate passed re-scanning in {} round(s); review before applying.", x.rounds)
    };
    let mut s = format!(
        "{status}\n\nVulnerable code (lines {}–{}):\n\n",
        x.start_line, x.end_line
    );
    s.push_str(&fenced("python", x.original.trim_end_matches('\n')));
    s.push_str("\n\nSuggested code:\n\n");
    s.push_str(&fenced("python", x.replacement.trim_end_matches('\n')));
    if !x.why.trim().is_empty() {
        s.push_str(&format!(
            "\n\nWhy it works: {}",
            escape_text(&one_line(&x.why))
        ));
    }
    s
}

fn problem(f: &Finding) -> String {
    let mut s = one_line(&f.message);
    if let Some(expr) = span_text(&f.snippet, f.span) {
        let expr = expr.trim();
        if !expr.is_empty() && !expr.contains('\n') && expr.chars().count() <= MAX_INLINE_EXPR {
            s.push_str(&format!("\n\nFlagged expression: {}", code_span(expr)));
        }
    }
    if f.origin == Origin::Model {
        s.push_str("\n\nReported by the model and confirmed against the source text.");
    }
    s
}

fn vulnerable_code(f: &Finding) -> String {
    let lines = numbered_lines(f);
    if lines.is_empty() {
        return String::new();
    }
    let width = lines.last().map(|(n, _)| n.to_string().len()).unwrap_or(1);
    let body: Vec<String> = lines
        .iter()
        .map(|(n, l)| format!("{n:>width$} | {l}").trim_end().to_string())
        .collect();
    let body = body.join("\n");
    format!(
        "{} (line {}, column {}):\n\n{}",
        code_span(&f.path),
        f.span.start_line,
        f.span.start_column,
        fenced("python", &body)
    )
}

fn how_to_fix(f: &Finding, rule: Option<&RuleSpec>) -> String {
    let mut s = one_line(&f.remediation);
    if let Some(r) = rule {
        let safer = r.doc.use_instead.trim_matches('\n');
        if !safer.trim().is_empty() {
            s.push_str("\n\nA safer pattern:\n\n");
            s.push_str(&fenced("python", safer));
        }
    }
    if !f.fixes.is_empty() {
        let mut edits: Vec<&Edit> = f.fixes.iter().collect();
        edits.sort_by_key(|e| (e.span, e.start_byte));
        if !s.ends_with('\n') {
            s.push('\n');
        }
        s.push_str(if edits.len() == 1 {
            "\nSuggested edit:\n"
        } else {
            "\nSuggested edits (apply them together):\n"
        });
        for e in edits {
            s.push_str(&format!(
                "\n- {} (line {}, column {}",
                escape_text(&one_line(&e.description)),
                e.span.start_line,
                e.span.start_column
            ));
            match edit_diff(f, e) {
                Some(diff) => {
                    s.push_str("):\n\n");
                    for l in fenced("diff", &diff).lines() {
                        s.push_str(format!("  {l}").trim_end());
                        s.push('\n');
                    }
                }
                None => {
                    s.push_str(&format!("): replace with {}\n", code_span(&e.replacement)));
                }
            }
        }
    }
    s
}

/// The edit as a `-`/`+` diff of whole lines, when the snippet holds every line it touches.
fn edit_diff(f: &Finding, e: &Edit) -> Option<String> {
    let lines = numbered_lines(f);
    let old: Vec<&str> = lines
        .iter()
        .filter(|(n, _)| (e.span.start_line..=e.span.end_line).contains(n))
        .map(|(_, l)| *l)
        .collect();
    if e.span.end_line < e.span.start_line
        || old.len() != e.span.end_line - e.span.start_line + 1
        || e.span.start_column == 0
        || e.span.end_column == 0
    {
        return None;
    }
    let first: Vec<char> = old[0].chars().collect();
    let last: Vec<char> = old[old.len() - 1].chars().collect();
    let (sc, ec) = (e.span.start_column - 1, e.span.end_column - 1);
    if sc > first.len() || ec > last.len() || (old.len() == 1 && ec < sc) {
        return None;
    }
    let mut new: String = first[..sc].iter().collect();
    new.push_str(&e.replacement);
    new.extend(&last[ec..]);
    let mut diff = String::new();
    for l in &old {
        diff.push_str(&format!("-{l}\n"));
    }
    for l in new.lines() {
        diff.push_str(&format!("+{l}\n"));
    }
    Some(diff.trim_end_matches('\n').to_string())
}

fn taint_path(f: &Finding) -> String {
    let mut s = String::new();
    for (i, step) in f.taint_path.iter().enumerate() {
        let kind = match step.kind {
            TaintStepKind::Source => "Source",
            TaintStepKind::Propagation => "Propagation",
            TaintStepKind::Sink => "Sink",
        };
        let file = step
            .path
            .as_deref()
            .map(|p| format!("{} ", code_span(p)))
            .unwrap_or_default();
        s.push_str(&format!(
            "{}. **{kind}** at {file}line {}, column {}: {}",
            i + 1,
            step.span.start_line,
            step.span.start_column,
            code_span(&code_line(&step.snippet)),
        ));
        if !step.note.trim().is_empty() {
            s.push_str(&format!(" — {}", escape_text(&one_line(&step.note))));
        }
        s.push('\n');
    }
    s
}

/// Inline code that survives backticks in `s`.
fn code_span(s: &str) -> String {
    let longest = longest_backtick_run(s);
    let fence = "`".repeat(longest + 1);
    if longest > 0 || s.starts_with(' ') || s.ends_with(' ') {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

/// A fenced code block that survives backtick fences inside `body`.
fn fenced(lang: &str, body: &str) -> String {
    let fence = "`".repeat((longest_backtick_run(body) + 1).max(3));
    format!("{fence}{lang}\n{body}\n{fence}\n")
}

fn longest_backtick_run(s: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in s.chars() {
        if c == '`' {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// Escapes characters that would turn plain text (a note, a description) into HTML or links.
fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

/// Text for a table cell: one line, pipes escaped.
fn table_cell(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Source code on one line: trimmed, line breaks turned into spaces, inner spacing kept.
fn code_line(s: &str) -> String {
    s.trim().replace("\r\n", " ").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code_span("a.py"), "`a.py`");
        assert_eq!(code_span("x = `y`"), "`` x = `y` ``");
    }

    #[test]
    fn fences_grow_past_inner_fences() {
        assert_eq!(
            fenced("text", "```\nx\n```"),
            "````text\n```\nx\n```\n````\n"
        );
    }

    #[test]
    fn table_cells_escape_pipes() {
        assert_eq!(table_cell("a | b\nc"), "a \\| b c");
    }
}
