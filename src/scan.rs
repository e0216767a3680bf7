//! Scanning a set of paths: the result types shared with the reports.

use serde::{Deserialize, Serialize};

use crate::finding::Finding;

/// A problem with one input that did not stop the scan (unreadable file, syntax error...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub path: String,
    pub level: DiagnosticLevel,
    pub message: String,
    /// 1-based line, when the problem has a position (syntax errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticLevel {
    /// The file was skipped.
    Error,
    /// The file was scanned, perhaps partially (e.g. it has syntax errors).
    Warning,
}

/// Everything one scan produced. Findings are sorted by (path, line, column, rule id).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScanOutcome {
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
    pub files_scanned: usize,
}
