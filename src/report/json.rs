//! The JSON format: one object per run, versioned. Documented field by field in
//! `docs/json-format.md`; within `version: 1` changes are additive only.

use serde::{Deserialize, Serialize};

use super::summary::Summary;
use super::{sorted_diagnostics, sorted_findings, RenderOptions, TOOL_NAME};
use crate::finding::Finding;
use crate::scan::{Diagnostic, ScanOutcome};

/// The format's version. Bumped only for a change that removes or changes the meaning of a
/// field; adding a field keeps it.
pub const JSON_FORMAT_VERSION: u32 = 1;

/// The whole JSON report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonReport {
    /// [`JSON_FORMAT_VERSION`].
    pub version: u32,
    pub tool: JsonTool,
    pub summary: Summary,
    /// Every finding, suppressed ones included (marked by their `suppressed` object), sorted.
    pub findings: Vec<Finding>,
    /// Problems with inputs, sorted by path and line.
    pub diagnostics: Vec<Diagnostic>,
}

/// The `tool` object: which pyward, with which rules, started how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonTool {
    /// Always `pyward`.
    pub name: String,
    pub version: String,
    /// SHA-256 of the rule catalogue (see [`super::ruleset_hash`]).
    pub ruleset_hash: String,
    pub command_line: Vec<String>,
    /// The ids of the rules that ran, in catalogue order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// The model, prompts and decoding settings, when the LLM pipeline ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<super::ModelProvenance>,
    /// What the model stages cost, when the LLM pipeline ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<super::RunUsage>,
    /// In a report made by `pyward merge`: the command lines of the merged reports, in input
    /// order (`command_line` is then the merge's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<Vec<Vec<String>>>,
}

impl JsonReport {
    /// Builds the report of one scan.
    pub fn new(outcome: &ScanOutcome, opts: &RenderOptions) -> JsonReport {
        JsonReport {
            version: JSON_FORMAT_VERSION,
            tool: JsonTool {
                name: TOOL_NAME.to_string(),
                version: opts.meta.tool_version.clone(),
                ruleset_hash: opts.meta.ruleset_hash.clone(),
                command_line: opts.meta.command_line.clone(),
                rules: opts.meta.rules.clone(),
                model: opts.meta.model.clone(),
                usage: opts.meta.usage.clone(),
                merged_from: None,
            },
            summary: Summary::of(outcome),
            findings: sorted_findings(&outcome.findings)
                .into_iter()
                .cloned()
                .collect(),
            diagnostics: sorted_diagnostics(&outcome.diagnostics)
                .into_iter()
                .cloned()
                .collect(),
        }
    }
}

/// Renders the JSON report, pretty-printed, with a trailing newline.
pub fn render(outcome: &ScanOutcome, opts: &RenderOptions) -> String {
    let report = JsonReport::new(outcome, opts);
    // Serializing plain structs, strings and integers cannot fail.
    let mut s = serde_json::to_string_pretty(&report).unwrap_or_default();
    s.push('\n');
    s
}
