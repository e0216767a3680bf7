//! The text format: compact output for terminals, in the style of compilers and linters.
//!
//! ```text
//! app/tasks.py:4:5: PW101 [high] `subprocess.run` runs its command through a shell
//!   |
//! 4 |     subprocess.run(f"tar czf {name}", shell=True)
//!   |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
//!   = CWE-78, confidence: high
//!   = taint path:
//!       1. source      app/tasks.py:2:12  request.args["name"]  (HTTP request parameter)
//!       2. sink        app/tasks.py:4:20  name
//!
//! 1 finding (1 high, 0 medium, 0 low) in 3 files; 0 suppressed
//! ```
//!
//! Diagnostics (files skipped or scanned partially) follow the findings under their own
//! heading; the summary line comes last.

use anstyle::{AnsiColor, Style};

use super::source::{self, numbered_lines};
use super::summary::Summary;
use super::{sorted_diagnostics, sorted_findings, RenderOptions};
use crate::finding::{Finding, Origin, Severity, TaintStepKind};
use crate::rules::Catalog;
use crate::scan::{Diagnostic, DiagnosticLevel, ScanOutcome};

/// Applies styles only when colour is on.
struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }
}

fn severity_style(s: Severity) -> Style {
    let color = match s {
        Severity::High => AnsiColor::Red,
        Severity::Medium => AnsiColor::Yellow,
        Severity::Low => AnsiColor::Cyan,
    };
    Style::new().fg_color(Some(color.into())).bold()
}

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const GUTTER: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Blue)))
    .bold();

/// Renders the text report.
pub fn render(outcome: &ScanOutcome, _catalog: &Catalog, opts: &RenderOptions) -> String {
    let p = Painter { color: opts.color };
    let mut out = String::new();
    for f in sorted_findings(&outcome.findings) {
        if f.is_suppressed() && !opts.show_suppressed {
            continue;
        }
        render_finding(&p, f, &mut out);
        out.push('\n');
    }
    let diagnostics = sorted_diagnostics(&outcome.diagnostics);
    if !diagnostics.is_empty() {
        out.push_str(&p.paint(BOLD, "diagnostics (files skipped or scanned partially):"));
        out.push('\n');
        for d in diagnostics {
            out.push_str("  ");
            out.push_str(&diagnostic_line(&p, d));
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str(&p.paint(BOLD, &Summary::of(outcome).line()));
    out.push('\n');
    out
}

/// One finding: header, source lines with carets, notes.
fn render_finding(p: &Painter, f: &Finding, out: &mut String) {
    let sev = severity_style(f.severity);
    out.push_str(&format!(
        "{}:{}:{}: {} {}{} {}\n",
        p.paint(BOLD, &f.path),
        f.span.start_line,
        f.span.start_column,
        p.paint(BOLD, &f.rule_id),
        p.paint(sev, &format!("[{}]", f.severity.as_str())),
        if f.is_suppressed() {
            format!(" {}", p.paint(DIM, "(suppressed)"))
        } else {
            String::new()
        },
        single_line(&f.message),
    ));

    let lines = numbered_lines(f);
    let shown: Vec<(usize, &str)> = lines
        .into_iter()
        .filter(|(n, _)| *n <= f.span.end_line.max(f.span.start_line))
        .collect();
    let gutter_width = shown.last().map(|(n, _)| n.to_string().len()).unwrap_or(1);
    let blank_gutter = format!("{} {}", " ".repeat(gutter_width), p.paint(GUTTER, "|"));
    let note_prefix = format!("{} {}", " ".repeat(gutter_width), p.paint(GUTTER, "="));

    if !shown.is_empty() {
        out.push_str(&blank_gutter);
        out.push('\n');
    }
    for (n, line) in &shown {
        out.push_str(&format!(
            "{} {}",
            p.paint(GUTTER, &format!("{n:>gutter_width$}")),
            p.paint(GUTTER, "|")
        ));
        let display = source::expand_tabs(line);
        if !display.is_empty() {
            out.push(' ');
            out.push_str(&display);
        }
        out.push('\n');
        if let Some((from, to)) = underline_range(f, *n, line) {
            let (indent, width) = source::underline(line, from, to);
            out.push_str(&format!(
                "{} {}{}\n",
                blank_gutter,
                " ".repeat(indent),
                p.paint(sev, &"^".repeat(width))
            ));
        }
    }

    let mut facts = Vec::new();
    if !f.cwe.is_empty() {
        let cwes: Vec<String> = f.cwe.iter().map(|c| format!("CWE-{c}")).collect();
        facts.push(cwes.join(", "));
    }
    facts.push(format!("confidence: {}", f.confidence.as_str()));
    if f.origin == Origin::Model {
        facts.push("found by the model".to_string());
    }
    out.push_str(&format!("{note_prefix} {}\n", facts.join(", ")));

    if let Some(s) = &f.suppressed {
        out.push_str(&format!(
            "{note_prefix} suppressed ({}): {}\n",
            s.kind,
            single_line(&s.justification)
        ));
    }
    if !f.fixes.is_empty() {
        // The edits of one fix (a literal and a call, say) share its description: once.
        let mut descs: Vec<String> = Vec::new();
        for e in &f.fixes {
            let d = single_line(&e.description);
            if !descs.contains(&d) {
                descs.push(d);
            }
        }
        out.push_str(&format!(
            "{note_prefix} fix available: {}\n",
            descs.join("; ")
        ));
    }
    if !f.taint_path.is_empty() {
        out.push_str(&format!("{note_prefix} taint path:\n"));
        let pad = " ".repeat(gutter_width + 5);
        let locations: Vec<String> = f
            .taint_path
            .iter()
            .map(|s| format!("{}:{}:{}", f.path, s.span.start_line, s.span.start_column))
            .collect();
        let loc_width = locations.iter().map(|l| l.len()).max().unwrap_or(0);
        for (i, (step, loc)) in f.taint_path.iter().zip(&locations).enumerate() {
            let kind = match step.kind {
                TaintStepKind::Source => "source",
                TaintStepKind::Propagation => "propagation",
                TaintStepKind::Sink => "sink",
            };
            let mut line = format!(
                "{pad}{}. {kind:<11} {loc:<loc_width$}  {}",
                i + 1,
                code_line(&step.snippet)
            );
            if !step.note.trim().is_empty() {
                line.push_str(&format!("  ({})", single_line(&step.note)));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
}

/// The 0-based character range to underline on source line `n` of a finding, if any.
fn underline_range(f: &Finding, n: usize, line: &str) -> Option<(usize, usize)> {
    let span = f.span;
    let len = line.chars().count();
    let from = if n == span.start_line {
        span.start_column.saturating_sub(1)
    } else {
        // Continuation lines are underlined from their first non-blank character.
        line.chars().take_while(|c| c.is_whitespace()).count()
    };
    let to = if n == span.end_line {
        span.end_column.saturating_sub(1)
    } else {
        len
    };
    if n != span.start_line && from >= len {
        return None; // a blank line inside a multi-line span
    }
    Some((from, to))
}

/// `path:line: level: message`, without repeating the path when the message starts with it.
fn diagnostic_line(p: &Painter, d: &Diagnostic) -> String {
    let style = match d.level {
        DiagnosticLevel::Error => severity_style(Severity::High),
        DiagnosticLevel::Warning => severity_style(Severity::Medium),
    };
    let word = d.level.as_str();
    format!(
        "{}: {}: {}",
        p.paint(BOLD, &d.location()),
        p.paint(style, word),
        single_line(d.message_after_path())
    )
}

/// Collapses a message onto one line (newlines become spaces).
fn single_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Source code on one line: trimmed, line breaks turned into spaces, inner spacing kept.
fn code_line(s: &str) -> String {
    s.trim().replace("\r\n", " ").replace('\n', " ")
}
