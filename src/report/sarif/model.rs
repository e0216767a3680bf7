//! The SARIF 2.1.0 object model: the subset pyward writes, and reads back in `pyward merge`.
//!
//! Field order is the order pyward writes. Every field pyward may leave out is
//! `#[serde(default)]`, so a log pyward wrote reads back into the same value.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::report::{ModelProvenance, RunUsage};

/// A SARIF log (`sarifLog`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SarifLog {
    #[serde(rename = "$schema")]
    pub schema: String,
    pub version: String,
    pub runs: Vec<Run>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub tool: Tool,
    pub invocations: Vec<Invocation>,
    pub original_uri_base_ids: BTreeMap<String, ArtifactLocation>,
    pub results: Vec<SarifResult>,
    pub column_kind: String,
    pub properties: RunProperties,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunProperties {
    /// The catalogue's [`crate::report::ruleset_hash`].
    pub ruleset_hash: String,
    /// The model, prompts and decoding settings, when the LLM pipeline ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelProvenance>,
    /// What the model stages cost, when the LLM pipeline ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<RunUsage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub driver: ToolComponent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolComponent {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semantic_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub information_uri: Option<String>,
    /// The rules that ran (after `--select`/`--ignore`), in catalogue order: the run's
    /// selected rule ids are these descriptors' ids.
    pub rules: Vec<ReportingDescriptor>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportingDescriptor {
    pub id: String,
    pub name: String,
    pub short_description: MultiformatMessage,
    pub full_description: MultiformatMessage,
    pub help: MultiformatMessage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    pub default_configuration: Configuration,
    pub properties: RuleProperties,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Configuration {
    pub level: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleProperties {
    pub tags: Vec<String>,
    pub cwe: Vec<String>,
    pub precision: String,
    #[serde(rename = "security-severity")]
    pub security_severity: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bandit: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ruff: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiformatMessage {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
}

impl MultiformatMessage {
    pub(crate) fn text(s: &str) -> MultiformatMessage {
        MultiformatMessage {
            text: s.to_string(),
            markdown: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub text: String,
}

impl Message {
    pub(crate) fn text(s: &str) -> Message {
        Message {
            text: s.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    pub execution_successful: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<String>,
    pub tool_execution_notifications: Vec<Notification>,
    /// Only in a log written by `pyward merge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<InvocationProperties>,
}

/// The invocation properties of a merged log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvocationProperties {
    /// The command lines of the merged runs, in input order.
    pub merged_from: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub level: String,
    pub message: Message,
    pub locations: Vec<Location>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    pub rule_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_index: Option<usize>,
    pub level: String,
    pub message: Message,
    pub locations: Vec<Location>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub partial_fingerprints: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub code_flows: Vec<CodeFlow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<SarifFix>,
    pub suppressions: Vec<SarifSuppression>,
    pub properties: ResultProperties,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultProperties {
    pub severity: String,
    pub confidence: String,
    pub origin: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwe: Vec<String>,
    /// The LLM pipeline's calibrated verdict: `confirmed`, `speculative` or `rejected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    #[serde(
        rename = "verdictConfidence",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub verdict_confidence: Option<f64>,
    #[serde(
        rename = "verdictReason",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub verdict_reason: Option<String>,
    /// Whether `pyward fix` verified its repair by re-scanning.
    #[serde(
        rename = "fixVerified",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub fix_verified: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub physical_location: PhysicalLocation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_region: Option<Region>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(rename = "uriBaseId", default, skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Message>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub start_line: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_column: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_column: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<ArtifactContent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtifactContent {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeFlow {
    pub message: Message,
    pub thread_flows: Vec<ThreadFlow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadFlow {
    pub locations: Vec<ThreadFlowLocation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadFlowLocation {
    pub location: Location,
    pub kinds: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifFix {
    pub description: Message,
    pub artifact_changes: Vec<ArtifactChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactChange {
    pub artifact_location: ArtifactLocation,
    pub replacements: Vec<Replacement>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Replacement {
    pub deleted_region: Region,
    pub inserted_content: ArtifactContent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SarifSuppression {
    pub kind: String,
    pub justification: String,
    pub properties: SuppressionProperties,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuppressionProperties {
    /// `nosec`, `noqa` or `pyward`: which comment convention suppressed the finding.
    pub comment_kind: String,
}
