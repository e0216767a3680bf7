//! Report formats: how a [`ScanOutcome`] is shown to a person or handed to another tool.
//!
//! Four formats share one entry point, [`render`]:
//!
//! - [`Format::Text`]: compact terminal output, one header line per finding
//!   (`path:line:col: PW101 [high] message`) plus the source line with a caret underline.
//! - [`Format::Markdown`]: a human report with one section per finding, grouped by file.
//! - [`Format::Json`]: one stable, versioned JSON object per run (see `docs/json-format.md`).
//! - [`Format::Sarif`]: SARIF 2.1.0 for code-scanning services and IDEs.
//!
//! Every format is deterministic: findings are sorted by (path, line, column, rule id,
//! fingerprint) and diagnostics by (path, line, message) whatever order they arrive in; no
//! timestamps, no host names, no paths but the ones the user gave.
//!
//! Columns in [`crate::finding::Span`] are read as 1-based counts of Unicode scalar values
//! (characters), `end_column` exclusive. SARIF output says so with
//! `columnKind: "unicodeCodePoints"`.

pub mod json;
pub(crate) mod markdown;
pub(crate) mod merge;
pub(crate) mod sarif;
pub(crate) mod source;
pub(crate) mod summary;
pub(crate) mod text;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::finding::Finding;
use crate::rules::Catalog;
use crate::scan::{Diagnostic, ScanOutcome};

pub use summary::Summary;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// Compact, one finding per header line, for terminals (the default).
    #[default]
    Text,
    /// A report for people, one section per finding.
    Markdown,
    /// Machine-readable, versioned (`docs/json-format.md`).
    Json,
    /// SARIF 2.1.0, for code-scanning services and editors.
    Sarif,
}

impl Format {
    /// Every format, in the order `--help` should list them.
    pub const ALL: [Format; 4] = [Format::Text, Format::Markdown, Format::Json, Format::Sarif];

    /// The name used on the command line: `text`, `markdown`, `json`, `sarif`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Markdown => "markdown",
            Format::Json => "json",
            Format::Sarif => "sarif",
        }
    }

    /// The usual file extension for this format, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Text => "txt",
            Format::Markdown => "md",
            Format::Json => "json",
            Format::Sarif => "sarif",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl clap::ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &Format::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let v = clap::builder::PossibleValue::new(self.as_str());
        Some(match self {
            Format::Text => v.help("compact terminal output"),
            Format::Markdown => v.alias("md").help("a report for people"),
            Format::Json => v.help("versioned JSON, see docs/json-format.md"),
            Format::Sarif => v.help("SARIF 2.1.0 for code scanning"),
        })
    }
}

/// A format name that is not one of `text`, `markdown`, `json`, `sarif`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown report format `{0}` (expected one of: text, markdown, json, sarif)")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    /// Case-insensitive; `md` is accepted for `markdown`.
    fn from_str(s: &str) -> Result<Format, UnknownFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(Format::Text),
            "markdown" | "md" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            _ => Err(UnknownFormat(s.to_string())),
        }
    }
}

/// Facts about the run itself, printed by the machine-readable formats for reproducibility.
///
/// New fields (model, backend, decoding settings...) will be added as `Option`s with
/// `#[serde(default)]`, so build it with [`RunMeta::new`] or `..Default::default()`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunMeta {
    /// pyward's version, e.g. `0.1.0`.
    pub tool_version: String,
    /// [`ruleset_hash`] of the catalogue the scan used.
    pub ruleset_hash: String,
    /// The arguments pyward was started with, program name first, as the user typed them.
    pub command_line: Vec<String>,
    /// The ids of the rules that ran (after `--select`/`--ignore`), in catalogue order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// The model that took part, when the LLM pipeline ran (absent for static-only scans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelProvenance>,
    /// What the model stages cost, when the LLM pipeline ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<RunUsage>,
}

/// What the model work behind a report cost, per stage and in total: every question, whether
/// its answer was used, discarded, failed or read from the per-question cache. For a file read
/// whole from the result cache it is the work recorded when the file was computed, and there
/// are counts and tokens only, no times: the report stays byte-identical for the same input
/// and model, warm cache or cold. (What one invocation itself computed is on standard error.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunUsage {
    /// Lines of the files scanned.
    pub source_lines: usize,
    /// By stage name (`guardrail`, `analyzer`, `calibration`, `fixer`).
    pub stages: std::collections::BTreeMap<String, StageUsage>,
    pub total: StageUsage,
}

/// One stage's questions and tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageUsage {
    /// Questions the model computed (the next five add up to this).
    pub calls: usize,
    pub parsed: usize,
    pub repeated: usize,
    pub capped: usize,
    pub invalid: usize,
    pub failed: usize,
    /// Questions answered from the result cache (no model work).
    pub cached_calls: usize,
    pub prompt_tokens: usize,
    /// Of the prompt tokens, those served from the model's prefix cache.
    pub cached_prompt_tokens: usize,
    pub completion_tokens: usize,
}

impl StageUsage {
    /// Adds another stage's counts.
    pub fn add(&mut self, o: &StageUsage) {
        self.calls += o.calls;
        self.parsed += o.parsed;
        self.repeated += o.repeated;
        self.capped += o.capped;
        self.invalid += o.invalid;
        self.failed += o.failed;
        self.cached_calls += o.cached_calls;
        self.prompt_tokens += o.prompt_tokens;
        self.cached_prompt_tokens += o.cached_prompt_tokens;
        self.completion_tokens += o.completion_tokens;
    }
}

/// What model produced a report's verdicts and fixes, and how: enough to reproduce and audit
/// the run. Built by `pipeline::provenance`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelProvenance {
    /// Backend name, e.g. `candle`.
    pub backend: String,
    /// `local` or `remote`.
    pub kind: String,
    pub model: String,
    /// SHA-256 of the model file.
    pub model_sha256: String,
    /// Whether the scanned code was sent off this machine.
    pub code_left_machine: bool,
    /// `pipeline::prompts::prompt_hash` of the stage prompts.
    pub prompt_hash: String,
    /// The model's capability tier (1 tiny … 3 capable).
    pub tier: u8,
    pub seed: u64,
    /// Temperature of the analysis stages (decimal text, so the type stays `Eq`).
    pub temperature: String,
    /// Temperature of fix candidates.
    pub fix_temperature: String,
    pub max_rounds: usize,
    pub candidates: usize,
    /// The stage plan that ran: the stages, and why the others did not.
    #[serde(default)]
    pub plan: String,
}

impl RunMeta {
    /// Meta for this build of pyward and the given catalogue.
    pub fn new(catalog: &Catalog, command_line: Vec<String>) -> RunMeta {
        RunMeta {
            tool_version: TOOL_VERSION.to_string(),
            ruleset_hash: ruleset_hash(catalog),
            command_line,
            rules: catalog.rules().iter().map(|r| r.id.clone()).collect(),
            model: None,
            usage: None,
        }
    }
}

/// How to render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// Emit ANSI colour codes (text format only; the others never colour).
    pub color: bool,
    /// Show suppressed findings in the text and Markdown formats. JSON and SARIF always
    /// include them, marked as suppressed.
    pub show_suppressed: bool,
    pub meta: RunMeta,
}

/// The tool's name in every report.
pub const TOOL_NAME: &str = "pyward";

/// This build's version.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where to learn about pyward: the crate's `homepage`, else its `repository`, else none.
pub fn information_uri() -> Option<&'static str> {
    [
        option_env!("CARGO_PKG_HOMEPAGE"),
        option_env!("CARGO_PKG_REPOSITORY"),
    ]
    .into_iter()
    .flatten()
    .find(|s| !s.is_empty())
}

/// Renders a scan outcome in the given format. The result ends with a newline.
pub fn render(
    format: Format,
    outcome: &ScanOutcome,
    catalog: &Catalog,
    opts: &RenderOptions,
) -> String {
    match format {
        Format::Text => text::render(outcome, catalog, opts),
        Format::Markdown => markdown::render(outcome, catalog, opts),
        Format::Json => json::render(outcome, opts),
        Format::Sarif => sarif::render(outcome, catalog, opts),
    }
}

/// A SHA-256 (lower-case hex) over the catalogue's rules, each serialized canonically
/// (JSON, in id order, fields in declaration order). Two runs with the same hash used the
/// same rules, including their messages, docs and fix templates.
pub fn ruleset_hash(catalog: &Catalog) -> String {
    let mut h = Sha256::new();
    for rule in catalog.rules() {
        // RuleSpec holds only structs, vectors and scalars: its JSON form is canonical.
        let bytes = serde_json::to_vec(rule).unwrap_or_default();
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    hex::encode(h.finalize())
}

/// The findings in the one order of findings ([`crate::finding::FindingOrder`]).
pub fn sorted_findings(findings: &[Finding]) -> Vec<&Finding> {
    let mut v: Vec<&Finding> = findings.iter().collect();
    v.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    v
}

/// The diagnostics in report order: (path, line, message).
pub fn sorted_diagnostics(diagnostics: &[Diagnostic]) -> Vec<&Diagnostic> {
    let mut v: Vec<&Diagnostic> = diagnostics.iter().collect();
    v.sort_by(|a, b| {
        (&a.path, a.line, &a.message, level_rank(a)).cmp(&(
            &b.path,
            b.line,
            &b.message,
            level_rank(b),
        ))
    });
    v
}

fn level_rank(d: &Diagnostic) -> u8 {
    match d.level {
        crate::scan::DiagnosticLevel::Error => 0,
        crate::scan::DiagnosticLevel::Warning => 1,
    }
}

/// The MITRE page of a CWE.
pub fn cwe_url(cwe: u32) -> String {
    format!("https://cwe.mitre.org/data/definitions/{cwe}.html")
}
