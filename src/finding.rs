//! The finding type shared by the static engine, the LLM stages and every report.
//!
//! A finding is designed to be fed back to a model as evidence: it carries the exact source
//! snippet it is about, the rule's CWE ids, and (for taint findings) the source → sink path.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How bad a finding is if it is real. Ordered: `Low < Medium < High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

/// How sure the producer of a finding is that it is real. Ordered: `Low < Medium < High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// A span in a file. Lines and columns are 1-based; `end_column` is exclusive.
///
/// Columns count characters (Unicode scalar values), not bytes: tree-sitter's byte columns
/// must be converted. Every report relies on this (SARIF declares `unicodeCodePoints`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// One step of a taint path: where tainted data was introduced, passed on, or consumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaintStep {
    /// `source`, `propagation` or `sink`.
    pub kind: TaintStepKind,
    pub span: Span,
    /// The source text of the expression at this step (one line, trimmed).
    pub snippet: String,
    pub note: String,
    /// The file of this step when it is not the finding's (a path through another module).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaintStepKind {
    Source,
    Propagation,
    Sink,
}

/// Which part of pyward produced a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// The tree-sitter rule engine (pattern or taint rule).
    Static,
    /// A model finding that survived the evidence check.
    Model,
}

/// Why a finding is not counted (it is still reported in JSON and SARIF).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// `nosec`, `noqa` or `pyward`.
    pub kind: String,
    /// The comment text that suppressed it, e.g. `# nosec B602`.
    pub justification: String,
}

/// A deterministic replacement suggested by a rule's fix template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    pub span: Span,
    /// Byte range in the file, for applying the edit.
    pub start_byte: usize,
    pub end_byte: usize,
    pub replacement: String,
    pub description: String,
    /// Import statements the replacement needs (`import secrets`); `pyward fix` adds the ones
    /// the file lacks next to its other imports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<String>,
}

/// A reported vulnerability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    /// CWE numbers, e.g. `[78]`.
    pub cwe: Vec<u32>,
    pub severity: Severity,
    pub confidence: Confidence,
    /// Path as given on the command line (or `-` for stdin), with `/` separators.
    pub path: String,
    pub span: Span,
    /// The source lines the finding covers (whole lines, at most a few), verbatim.
    pub snippet: String,
    pub message: String,
    pub remediation: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taint_path: Vec<TaintStep>,
    /// Stable across unrelated edits: hash of rule id, path and the normalised snippet,
    /// plus an occurrence counter for identical snippets in one file.
    pub fingerprint: String,
    pub origin: Origin,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Edit>,
    /// The LLM pipeline's calibrated verdict (absent in static-only runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// The model's explanation of the finding (absent in static-only runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
    /// A repair from `pyward fix`, verified by re-scanning or marked unverified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<FixProposal>,
}

/// What the calibration stage (fused with the static evidence) concluded about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerdictStatus {
    /// Reported by default.
    Confirmed,
    /// Plausible but not established; reported only with `--show-speculative`.
    Speculative,
    /// Judged a false positive (with a reason); never reported as a finding.
    Rejected,
}

impl VerdictStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictStatus::Confirmed => "confirmed",
            VerdictStatus::Speculative => "speculative",
            VerdictStatus::Rejected => "rejected",
        }
    }
}

/// A finding's calibrated verdict: the fused status, why, and a confidence in `[0, 1]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub status: VerdictStatus,
    pub reason: String,
    /// Calibrated confidence in `[0, 1]`, rounded to three decimals (deterministic output).
    pub confidence: f64,
    /// What the model itself answered, when it differs from the fused status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_verdict: Option<VerdictStatus>,
}

/// The model's explanation of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    pub root_cause: String,
    pub consequence: String,
}

/// A repair of a finding: vulnerable code, replacement, why it works, and whether the
/// re-scan verified it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixProposal {
    /// 1-based first and last line of the replaced region in the scanned file.
    pub start_line: usize,
    pub end_line: usize,
    pub original: String,
    pub replacement: String,
    pub why: String,
    /// True only when the patched file parses, the finding is gone and nothing new appeared.
    pub verified: bool,
    /// Fixer rounds used (1 = the first attempt verified).
    pub rounds: usize,
    /// `template` (the rule's deterministic fix) or `model`.
    pub source: String,
    /// The import lines a template fix adds or removes outside the replaced lines, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<ImportEdit>,
}

/// A whole-line change a template fix makes outside the replaced lines: adding an import it
/// needs, or removing one it made unused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportEdit {
    /// 1-based first line of the scanned file it replaces, or inserts before.
    pub line: usize,
    /// How many lines it replaces (0: an insertion).
    pub deleted_lines: usize,
    /// The new lines, each ending in a newline (empty: a deletion).
    pub text: String,
}

impl Finding {
    /// This finding's place in the one order of findings.
    pub fn order_key(&self) -> FindingOrder<&str> {
        FindingOrder {
            path: &self.path,
            span: self.span,
            rule_id: &self.rule_id,
            fingerprint: &self.fingerprint,
            message: &self.message,
        }
    }

    pub fn is_suppressed(&self) -> bool {
        self.suppressed.is_some()
    }
}

/// The one order of findings, used by the engine, the pipeline, every report and `merge`:
/// path, span (start line, start column, end line, end column), rule id, fingerprint, message.
/// `S` is `&str` for a [`Finding`] ([`Finding::order_key`]) and `String` where the key is read
/// back from a report (`merge`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FindingOrder<S> {
    pub path: S,
    pub span: Span,
    pub rule_id: S,
    pub fingerprint: S,
    pub message: S,
}

/// Sorts findings into [`FindingOrder`].
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
}

/// Sorts one file's findings into [`FindingOrder`] and (re)computes their fingerprints.
/// Fingerprints are cleared first, so ties (same rule and span) keep their order, and the
/// occurrence numbers in the fingerprints do not depend on stale fingerprints.
pub fn sort_and_fingerprint(findings: &mut [Finding]) {
    for f in findings.iter_mut() {
        f.fingerprint.clear();
    }
    sort_findings(findings);
    assign_fingerprints(findings);
}

/// Computes fingerprints for the findings of one file, in place.
///
/// The fingerprint ignores line numbers (so inserting lines above does not change it) and
/// whitespace inside the snippet; identical (rule, snippet) pairs are told apart by their order.
/// The path is hashed as [`fingerprint_path`] normalises it, so `scan .` and `scan src` agree.
pub fn assign_fingerprints(findings: &mut [Finding]) {
    use std::collections::HashMap;
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut paths: HashMap<String, String> = HashMap::new();
    for f in findings.iter_mut() {
        let path = paths
            .entry(f.path.clone())
            .or_insert_with(|| fingerprint_path(&f.path))
            .clone();
        let norm: String = f.snippet.split_whitespace().collect::<Vec<_>>().join(" ");
        let n = seen.entry((f.rule_id.clone(), norm.clone())).or_insert(0);
        let mut h = Sha256::new();
        h.update(f.rule_id.as_bytes());
        h.update([0]);
        h.update(path.as_bytes());
        h.update([0]);
        h.update(norm.as_bytes());
        h.update([0]);
        h.update(n.to_string().as_bytes());
        *n += 1;
        f.fingerprint = hex::encode(&h.finalize()[..16]);
    }
}

/// A finding's path as its fingerprint hashes it: `/`-separated, without `.` components, and
/// relative to the current directory when it is an absolute path inside it (`./src/a.py`,
/// `src/a.py` and `$PWD/src/a.py` are one path).
pub fn fingerprint_path(label: &str) -> String {
    use std::path::{Component, Path};
    let p = Path::new(label);
    let cwd = std::env::current_dir().ok();
    let rel = match &cwd {
        Some(c) if p.is_absolute() => p.strip_prefix(c).unwrap_or(p),
        _ => p,
    };
    let parts: Vec<String> = rel
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| match c {
            Component::RootDir => String::new(),
            other => other.as_os_str().to_string_lossy().into_owned(),
        })
        .collect();
    match parts.as_slice() {
        [] => label.to_string(),
        [only] if only.is_empty() => "/".to_string(),
        _ => parts.join("/"),
    }
}
