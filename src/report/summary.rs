//! Counts shown at the top or bottom of every report.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::finding::Severity;
use crate::scan::{DiagnosticLevel, ScanOutcome};

/// Counts over one scan. Suppressed findings are counted apart and not in `findings`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Files the scan read (whether or not they had findings).
    pub files_scanned: usize,
    /// Distinct files with at least one unsuppressed finding.
    pub files_with_findings: usize,
    /// Unsuppressed findings.
    pub findings: usize,
    /// Unsuppressed findings by severity.
    pub by_severity: SeverityCounts,
    /// Findings silenced by an in-source comment (`# nosec`, `# noqa`, `# pyward: ignore`).
    pub suppressed: usize,
    /// Diagnostics of level `error` (files skipped).
    pub errors: usize,
    /// Diagnostics of level `warning` (files scanned partially).
    pub warnings: usize,
}

/// Finding counts per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    pub high: usize,
    pub medium: usize,
    pub low: usize,
}

impl SeverityCounts {
    /// The count for one severity.
    pub fn get(&self, s: Severity) -> usize {
        match s {
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
        }
    }
}

impl Summary {
    /// Counts the findings and diagnostics of a scan.
    pub fn of(outcome: &ScanOutcome) -> Summary {
        let mut s = Summary {
            files_scanned: outcome.files_scanned,
            ..Summary::default()
        };
        let mut files = BTreeSet::new();
        for f in &outcome.findings {
            if f.is_suppressed() {
                s.suppressed += 1;
                continue;
            }
            s.findings += 1;
            files.insert(f.path.as_str());
            match f.severity {
                Severity::High => s.by_severity.high += 1,
                Severity::Medium => s.by_severity.medium += 1,
                Severity::Low => s.by_severity.low += 1,
            }
        }
        s.files_with_findings = files.len();
        for d in &outcome.diagnostics {
            match d.level {
                DiagnosticLevel::Error => s.errors += 1,
                DiagnosticLevel::Warning => s.warnings += 1,
            }
        }
        s
    }

    /// One line: `3 findings (2 high, 1 medium, 0 low) in 12 files; 1 suppressed`, followed
    /// by `; 1 error, 2 warnings` when the scan had diagnostics.
    pub fn line(&self) -> String {
        let mut out = format!(
            "{} ({} high, {} medium, {} low) in {}; {} suppressed",
            plural(self.findings, "finding", "findings"),
            self.by_severity.high,
            self.by_severity.medium,
            self.by_severity.low,
            plural(self.files_scanned, "file", "files"),
            self.suppressed,
        );
        if self.errors > 0 || self.warnings > 0 {
            out.push_str(&format!(
                "; {}, {}",
                plural(self.errors, "error", "errors"),
                plural(self.warnings, "warning", "warnings")
            ));
        }
        out
    }
}

/// `1 file`, `2 files`, `0 files`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
