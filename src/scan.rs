//! Scanning a set of paths: the result types shared with the reports.

use std::fmt;

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

impl DiagnosticLevel {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosticLevel::Error => "error",
            DiagnosticLevel::Warning => "warning",
        }
    }
}

impl fmt::Display for DiagnosticLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Diagnostic {
    /// `path` or `path:line`: where the report formats put the diagnostic.
    pub fn location(&self) -> String {
        match self.line {
            Some(l) => format!("{}:{l}", self.path),
            None => self.path.clone(),
        }
    }

    /// The message without a leading `path: ` (the report formats print the path first).
    pub fn message_after_path(&self) -> &str {
        self.message
            .strip_prefix(&format!("{}: ", self.path))
            .unwrap_or(&self.message)
    }
}

/// `path[:line]: message` (what standard error shows after `pyward: level: `), without
/// repeating a path the message already starts with.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.starts_with(&self.path) {
            return f.write_str(&self.message);
        }
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// Everything one scan produced. Findings are in [`crate::finding::FindingOrder`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScanOutcome {
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
    pub files_scanned: usize,
}

/// What scanning one file produced.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FileScan {
    /// In [`crate::finding::FindingOrder`], fingerprinted, suppression applied.
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
    /// What the project-wide taint join needs from this file.
    #[serde(skip)]
    pub facts: crate::rules::project::ProjectFacts,
}

/// How a scan finds and reads files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOptions {
    /// Worker threads; `None` = one per CPU.
    pub jobs: Option<usize>,
    /// Gitignore-style globs of paths to skip while walking directories.
    pub exclude: Vec<String>,
    /// Files larger than this many bytes are skipped with a diagnostic (`0` = no limit).
    pub max_file_size: u64,
    /// Follow symbolic links while walking (loops are detected and reported).
    pub follow_symlinks: bool,
    /// Scan only the files (and report only the walk problems) of this shard.
    pub shard: Option<crate::shard::Shard>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            jobs: None,
            exclude: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            follow_symlinks: false,
            shard: None,
        }
    }
}

/// Default size limit: 10 MiB (generated files above that are rarely worth scanning).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// Sorts findings into the one order of findings ([`crate::finding::FindingOrder`]) and
/// diagnostics by (path, line), whatever order the files were scanned in.
pub fn sort_outcome(out: &mut ScanOutcome) {
    crate::finding::sort_findings(&mut out.findings);
    out.diagnostics
        .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
}
