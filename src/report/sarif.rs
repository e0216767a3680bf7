//! The SARIF 2.1.0 format, for code-scanning services (GitHub, GitLab, Azure DevOps) and
//! editors' SARIF viewers.
//!
//! One run per log. Conventions followed:
//!
//! - Every rule of the catalogue is listed in `tool.driver.rules`, in id order, whether or
//!   not it fired; results point at them with `ruleIndex`.
//! - Rule tags carry `security` and CodeQL's `external/cwe/cwe-NNN` (zero-padded to three
//!   digits); `properties.security-severity` is GitHub's numeric severity
//!   (high 8.0, medium 5.5, low 3.0) and `properties.precision` the rule's confidence.
//! - Paths the user gave relative are relative URIs against `%SRCROOT%` (the directory
//!   pyward ran in, deliberately left without an absolute `uri`, so the log names no
//!   machine-specific path); absolute paths become `file://` URIs.
//! - Columns count Unicode code points (`columnKind: unicodeCodePoints`), end exclusive.
//! - Suppressed findings are results with an `inSource` suppression; every result has a
//!   `suppressions` array (empty when not suppressed), which tells viewers pyward supports
//!   suppressions.

use std::collections::BTreeMap;

use serde::Serialize;

use super::source::span_text;
use super::{
    cwe_url, information_uri, sorted_diagnostics, sorted_findings, RenderOptions, TOOL_NAME,
};
use crate::finding::{Confidence, Edit, Finding, Severity, Span, TaintStep, TaintStepKind};
use crate::rules::{Catalog, RuleSpec};
use crate::scan::{Diagnostic, DiagnosticLevel, ScanOutcome};

/// The schema URI written into `$schema`.
pub const SARIF_SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The key of pyward's fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "pywardFingerprint/v1";

/// The base id that relative artifact URIs resolve against.
pub const SRCROOT: &str = "%SRCROOT%";

/// Renders the SARIF log, pretty-printed, with a trailing newline.
pub fn render(outcome: &ScanOutcome, catalog: &Catalog, opts: &RenderOptions) -> String {
    let log = build(outcome, catalog, opts);
    // Serializing plain structs, maps with string keys, strings and integers cannot fail.
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

/// Builds the SARIF log as a typed value.
pub fn build(outcome: &ScanOutcome, catalog: &Catalog, opts: &RenderOptions) -> SarifLog {
    let rules: Vec<ReportingDescriptor> = catalog.rules().iter().map(descriptor).collect();
    let results = sorted_findings(&outcome.findings)
        .into_iter()
        .map(|f| result(f, catalog))
        .collect();
    let notifications = sorted_diagnostics(&outcome.diagnostics)
        .into_iter()
        .map(notification)
        .collect();
    let mut base_ids = BTreeMap::new();
    base_ids.insert(
        SRCROOT.to_string(),
        ArtifactLocation {
            uri: None,
            uri_base_id: None,
            description: Some(Message::text(
                "The directory pyward was run from; relative paths on its command line \
                 are relative to it.",
            )),
        },
    );
    let version = opts.meta.tool_version.clone();
    SarifLog {
        schema: SARIF_SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: ToolComponent {
                    name: TOOL_NAME,
                    semantic_version: is_semver(&version).then(|| version.clone()),
                    version,
                    information_uri: information_uri(),
                    rules,
                },
            },
            invocations: vec![Invocation {
                // Rendering happens only after a scan that ran to completion; problems with
                // single inputs are reported as notifications, not as a failed execution.
                execution_successful: true,
                arguments: opts.meta.command_line.clone(),
                tool_execution_notifications: notifications,
            }],
            original_uri_base_ids: base_ids,
            results,
            column_kind: "unicodeCodePoints",
            properties: RunProperties {
                ruleset_hash: opts.meta.ruleset_hash.clone(),
                model: opts.meta.model.clone(),
                usage: opts.meta.usage.clone(),
            },
        }],
    }
}

fn is_semver(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// SARIF `level` of a severity: high → error, medium → warning, low → note.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `security-severity` score of a severity.
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// CodeQL's CWE tag, `external/cwe/cwe-078`.
pub fn cwe_tag(cwe: u32) -> String {
    format!("external/cwe/cwe-{cwe:03}")
}

fn precision(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

fn descriptor(rule: &RuleSpec) -> ReportingDescriptor {
    let mut tags = vec!["security".to_string(), rule.category.clone()];
    tags.extend(rule.cwe.iter().map(|&c| cwe_tag(c)));
    ReportingDescriptor {
        id: rule.id.clone(),
        name: rule.name.clone(),
        short_description: MultiformatMessage::text(&rule.title),
        full_description: MultiformatMessage::text(rule.doc.what.trim()),
        help: MultiformatMessage {
            text: help_text(rule),
            markdown: Some(help_markdown(rule)),
        },
        help_uri: rule.doc.references.first().cloned(),
        default_configuration: Configuration {
            level: level(rule.severity),
        },
        properties: RuleProperties {
            tags,
            cwe: rule.cwe.iter().map(|c| format!("CWE-{c}")).collect(),
            precision: precision(rule.confidence),
            security_severity: security_severity(rule.severity),
            bandit: rule.bandit.clone(),
            ruff: rule.ruff.clone(),
        },
    }
}

/// The rule documentation as plain text.
fn help_text(rule: &RuleSpec) -> String {
    let d = &rule.doc;
    let mut s = format!(
        "{}\n\nWhy is this bad?\n{}\n\nHow to fix it\n{}\n\nExample:\n{}\n\nUse instead:\n{}",
        d.what.trim(),
        d.why.trim(),
        rule.remediation.trim(),
        d.example.trim_matches('\n'),
        d.use_instead.trim_matches('\n'),
    );
    if !d.references.is_empty() {
        s.push_str("\n\nReferences:");
        for r in &d.references {
            s.push_str("\n- ");
            s.push_str(r);
        }
    }
    s
}

/// The rule documentation as Markdown.
fn help_markdown(rule: &RuleSpec) -> String {
    let d = &rule.doc;
    let cwes: Vec<String> = rule
        .cwe
        .iter()
        .map(|&c| format!("[CWE-{c}]({})", cwe_url(c)))
        .collect();
    let mut s = format!(
        "## What it does\n\n{}\n\n## Why is this bad?\n\n{}\n\n## How to fix it\n\n{}\n\n\
         ### Example\n\n```python\n{}\n```\n\n### Use instead\n\n```python\n{}\n```\n\n\
         **Severity:** {} · **Confidence:** {} · {}",
        d.what.trim(),
        d.why.trim(),
        rule.remediation.trim(),
        d.example.trim_matches('\n'),
        d.use_instead.trim_matches('\n'),
        rule.severity.as_str(),
        rule.confidence.as_str(),
        cwes.join(", "),
    );
    if !d.references.is_empty() {
        s.push_str("\n\n## References\n");
        for r in &d.references {
            s.push_str(&format!("\n- <{r}>"));
        }
    }
    s
}

fn result(f: &Finding, catalog: &Catalog) -> SarifResult {
    let rule_index = catalog.rules().iter().position(|r| r.id == f.rule_id);
    let mut partial_fingerprints = BTreeMap::new();
    if !f.fingerprint.is_empty() {
        partial_fingerprints.insert(FINGERPRINT_KEY.to_string(), f.fingerprint.clone());
    }
    let code_flows = if f.taint_path.is_empty() {
        Vec::new()
    } else {
        vec![CodeFlow {
            message: Message::text("How untrusted data reaches the sink"),
            thread_flows: vec![ThreadFlow {
                locations: f
                    .taint_path
                    .iter()
                    .map(|step| thread_flow_location(f, step))
                    .collect(),
            }],
        }]
    };
    let mut fixes = Vec::new();
    if let Some(x) = f.fix.as_ref().filter(|x| x.verified) {
        fixes.push(verified_fix(f, x));
    }
    if !f.fixes.is_empty() {
        fixes.push(fix(f));
    }
    let suppressions = f
        .suppressed
        .iter()
        .map(|s| SarifSuppression {
            kind: "inSource",
            justification: s.justification.clone(),
            properties: SuppressionProperties {
                comment_kind: s.kind.clone(),
            },
        })
        .collect();
    SarifResult {
        rule_id: f.rule_id.clone(),
        rule_index,
        level: level(f.severity),
        message: Message::text(&f.message),
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: artifact_location(&f.path),
                region: Some(region(f.span, span_text(&f.snippet, f.span))),
                context_region: context_region(f),
            },
            message: None,
        }],
        partial_fingerprints,
        code_flows,
        fixes,
        suppressions,
        properties: ResultProperties {
            severity: f.severity.as_str(),
            confidence: f.confidence.as_str(),
            origin: match f.origin {
                crate::finding::Origin::Static => "static",
                crate::finding::Origin::Model => "model",
            },
            cwe: f.cwe.iter().map(|c| format!("CWE-{c}")).collect(),
            verdict: f.verdict.as_ref().map(|v| v.status.as_str()),
            verdict_confidence: f.verdict.as_ref().map(|v| v.confidence),
            verdict_reason: f.verdict.as_ref().map(|v| v.reason.clone()),
            fix_verified: f.fix.as_ref().map(|x| x.verified),
        },
    }
}

/// A SARIF fix for a verified repair from `pyward fix`: the whole replaced lines.
fn verified_fix(f: &Finding, x: &crate::finding::FixProposal) -> SarifFix {
    let last_len = x
        .original
        .lines()
        .last()
        .map(|l| l.chars().count())
        .unwrap_or(0);
    let span = Span {
        start_line: x.start_line,
        start_column: 1,
        end_line: x.end_line.max(x.start_line),
        end_column: last_len + 1,
    };
    let why = x.why.trim();
    // Import lines the fix adds or removes elsewhere: whole lines (an empty region at the
    // start of the line an insertion goes before).
    let mut by_line: Vec<&crate::finding::ImportEdit> = x.imports.iter().collect();
    by_line.sort_by_key(|i| i.line);
    let imports = by_line.into_iter().map(|i| Replacement {
        deleted_region: region(
            Span {
                start_line: i.line,
                start_column: 1,
                end_line: i.line + i.deleted_lines,
                end_column: 1,
            },
            None,
        ),
        inserted_content: ArtifactContent {
            text: i.text.clone(),
        },
    });
    SarifFix {
        description: Message::text(&if why.is_empty() {
            format!("Verified {} fix from pyward", x.source)
        } else {
            format!("Verified {} fix: {why}", x.source)
        }),
        artifact_changes: vec![ArtifactChange {
            artifact_location: artifact_location(&f.path),
            replacements: imports
                .chain(std::iter::once(Replacement {
                    deleted_region: region(span, None),
                    inserted_content: ArtifactContent {
                        text: x.replacement.clone(),
                    },
                }))
                .collect(),
        }],
    }
}

/// A SARIF region for a span. Out-of-range parts (line 0, column 0, an end before the start)
/// are left out rather than written invalid: the region then covers less precisely.
fn region(span: Span, snippet: Option<String>) -> Region {
    let start_line = span.start_line.max(1);
    let start_column = (span.start_column > 0).then_some(span.start_column);
    let end_line = (span.end_line >= start_line).then_some(span.end_line);
    let end_column = match (end_line, start_column) {
        (Some(el), Some(sc)) if el == start_line && span.end_column < sc => None,
        (Some(_), _) if span.end_column > 0 => Some(span.end_column),
        _ => None,
    };
    let exact = span.start_line > 0 && start_column.is_some() && end_column.is_some();
    Region {
        start_line,
        start_column,
        end_line,
        end_column,
        snippet: snippet
            .filter(|_| exact)
            .map(|text| ArtifactContent { text }),
    }
}

/// The whole lines of the snippet, when they cover the finding's span.
fn context_region(f: &Finding) -> Option<Region> {
    let n = super::source::numbered_lines(f).len();
    if n == 0 || f.span.start_line == 0 {
        return None;
    }
    let last = f.span.start_line + n - 1;
    if last < f.span.end_line {
        return None; // a context region must contain the region
    }
    Some(Region {
        start_line: f.span.start_line,
        start_column: None,
        end_line: Some(last),
        end_column: None,
        snippet: Some(ArtifactContent {
            text: f.snippet.clone(),
        }),
    })
}

fn thread_flow_location(f: &Finding, step: &TaintStep) -> ThreadFlowLocation {
    let (kind, prefix) = match step.kind {
        TaintStepKind::Source => ("source", "Source"),
        TaintStepKind::Propagation => ("propagation", "Propagation"),
        TaintStepKind::Sink => ("sink", "Sink"),
    };
    let note = step.note.trim();
    let text = if note.is_empty() {
        format!("{prefix}: {}", step.snippet.trim())
    } else {
        format!("{prefix}: {note}")
    };
    ThreadFlowLocation {
        location: Location {
            physical_location: PhysicalLocation {
                artifact_location: artifact_location(step.path.as_deref().unwrap_or(&f.path)),
                region: Some(region(
                    step.span,
                    (!step.snippet.is_empty()).then(|| step.snippet.clone()),
                )),
                context_region: None,
            },
            message: Some(Message::text(&text)),
        },
        kinds: vec!["taint", kind],
    }
}

fn fix(f: &Finding) -> SarifFix {
    let mut edits: Vec<&Edit> = f.fixes.iter().collect();
    edits.sort_by_key(|e| (e.span, e.start_byte, e.end_byte));
    let descriptions: Vec<&str> = edits
        .iter()
        .map(|e| e.description.trim())
        .filter(|d| !d.is_empty())
        .collect();
    SarifFix {
        description: Message::text(&if descriptions.is_empty() {
            "Apply pyward's suggested fix".to_string()
        } else {
            descriptions.join("; ")
        }),
        artifact_changes: vec![ArtifactChange {
            artifact_location: artifact_location(&f.path),
            replacements: edits
                .iter()
                .map(|e| Replacement {
                    deleted_region: region(e.span, None),
                    inserted_content: ArtifactContent {
                        text: e.replacement.clone(),
                    },
                })
                .collect(),
        }],
    }
}

fn notification(d: &Diagnostic) -> Notification {
    Notification {
        level: match d.level {
            DiagnosticLevel::Error => "error",
            DiagnosticLevel::Warning => "warning",
        },
        message: Message::text(&d.message),
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: artifact_location(&d.path),
                region: d.line.filter(|&l| l > 0).map(|l| Region {
                    start_line: l,
                    start_column: None,
                    end_line: None,
                    end_column: None,
                    snippet: None,
                }),
                context_region: None,
            },
            message: None,
        }],
    }
}

/// The artifact location of a path as the user gave it (`/` separators).
///
/// Relative paths become relative URIs against `%SRCROOT%` (a leading `./` dropped);
/// absolute paths (`/x`, `C:/x`) become `file://` URIs; `-` (standard input) stays `-`
/// with no base.
pub fn artifact_location(path: &str) -> ArtifactLocation {
    if path == "-" {
        return ArtifactLocation {
            uri: Some("-".to_string()),
            uri_base_id: None,
            description: Some(Message::text("standard input")),
        };
    }
    let is_drive = {
        let b = path.as_bytes();
        b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/'
    };
    if path.starts_with('/') || is_drive {
        let abs = if is_drive {
            format!("/{path}")
        } else {
            path.to_string()
        };
        return ArtifactLocation {
            uri: Some(format!("file://{}", encode_path(&abs, true))),
            uri_base_id: None,
            description: None,
        };
    }
    let mut rel = path;
    while let Some(rest) = rel.strip_prefix("./") {
        rel = rest;
    }
    ArtifactLocation {
        uri: Some(encode_path(rel, false)),
        uri_base_id: Some(SRCROOT),
        description: None,
    }
}

/// Percent-encodes a path for a URI, keeping `/` and unreserved characters. A `:` is kept
/// only in absolute paths (in a relative reference it could read as a scheme).
fn encode_path(path: &str, absolute: bool) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'_' | b'~' | b'/' | b'!' | b'$' | b'&' | b'\''
            )
            || matches!(b, b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b'@')
            || (absolute && b == b':');
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---- The SARIF object model (the subset pyward writes) ----

/// A SARIF log (`sarifLog`).
#[derive(Debug, Serialize)]
pub struct SarifLog {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub version: &'static str,
    pub runs: Vec<Run>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub tool: Tool,
    pub invocations: Vec<Invocation>,
    pub original_uri_base_ids: BTreeMap<String, ArtifactLocation>,
    pub results: Vec<SarifResult>,
    pub column_kind: &'static str,
    pub properties: RunProperties,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunProperties {
    /// The catalogue's [`super::ruleset_hash`].
    pub ruleset_hash: String,
    /// The model, prompts and decoding settings, when the LLM pipeline ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<super::ModelProvenance>,
    /// What the model stages cost, when the LLM pipeline ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<super::RunUsage>,
}

#[derive(Debug, Serialize)]
pub struct Tool {
    pub driver: ToolComponent,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolComponent {
    pub name: &'static str,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub semantic_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub information_uri: Option<&'static str>,
    pub rules: Vec<ReportingDescriptor>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportingDescriptor {
    pub id: String,
    pub name: String,
    pub short_description: MultiformatMessage,
    pub full_description: MultiformatMessage,
    pub help: MultiformatMessage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    pub default_configuration: Configuration,
    pub properties: RuleProperties,
}

#[derive(Debug, Serialize)]
pub struct Configuration {
    pub level: &'static str,
}

#[derive(Debug, Serialize)]
pub struct RuleProperties {
    pub tags: Vec<String>,
    pub cwe: Vec<String>,
    pub precision: &'static str,
    #[serde(rename = "security-severity")]
    pub security_severity: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bandit: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ruff: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct MultiformatMessage {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
}

impl MultiformatMessage {
    fn text(s: &str) -> MultiformatMessage {
        MultiformatMessage {
            text: s.to_string(),
            markdown: None,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Message {
    pub text: String,
}

impl Message {
    fn text(s: &str) -> Message {
        Message {
            text: s.to_string(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    pub execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<String>,
    pub tool_execution_notifications: Vec<Notification>,
}

#[derive(Debug, Serialize)]
pub struct Notification {
    pub level: &'static str,
    pub message: Message,
    pub locations: Vec<Location>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    pub rule_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_index: Option<usize>,
    pub level: &'static str,
    pub message: Message,
    pub locations: Vec<Location>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub partial_fingerprints: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub code_flows: Vec<CodeFlow>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<SarifFix>,
    pub suppressions: Vec<SarifSuppression>,
    pub properties: ResultProperties,
}

#[derive(Debug, Serialize)]
pub struct ResultProperties {
    pub severity: &'static str,
    pub confidence: &'static str,
    pub origin: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cwe: Vec<String>,
    /// The LLM pipeline's calibrated verdict: `confirmed`, `speculative` or `rejected`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<&'static str>,
    #[serde(rename = "verdictConfidence", skip_serializing_if = "Option::is_none")]
    pub verdict_confidence: Option<f64>,
    #[serde(rename = "verdictReason", skip_serializing_if = "Option::is_none")]
    pub verdict_reason: Option<String>,
    /// Whether `pyward fix` verified its repair by re-scanning.
    #[serde(rename = "fixVerified", skip_serializing_if = "Option::is_none")]
    pub fix_verified: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_region: Option<Region>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(rename = "uriBaseId", skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Message>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub start_line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<ArtifactContent>,
}

#[derive(Debug, Serialize)]
pub struct ArtifactContent {
    pub text: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeFlow {
    pub message: Message,
    pub thread_flows: Vec<ThreadFlow>,
}

#[derive(Debug, Serialize)]
pub struct ThreadFlow {
    pub locations: Vec<ThreadFlowLocation>,
}

#[derive(Debug, Serialize)]
pub struct ThreadFlowLocation {
    pub location: Location,
    pub kinds: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifFix {
    pub description: Message,
    pub artifact_changes: Vec<ArtifactChange>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactChange {
    pub artifact_location: ArtifactLocation,
    pub replacements: Vec<Replacement>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Replacement {
    pub deleted_region: Region,
    pub inserted_content: ArtifactContent,
}

#[derive(Debug, Serialize)]
pub struct SarifSuppression {
    pub kind: &'static str,
    pub justification: String,
    pub properties: SuppressionProperties,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SuppressionProperties {
    /// `nosec`, `noqa` or `pyward`: which comment convention suppressed the finding.
    pub comment_kind: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_resolve_against_srcroot() {
        let a = artifact_location("./app/views.py");
        assert_eq!(a.uri.as_deref(), Some("app/views.py"));
        assert_eq!(a.uri_base_id, Some(SRCROOT));
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            artifact_location("my app/ünï:1.py").uri.as_deref(),
            Some("my%20app/%C3%BCn%C3%AF%3A1.py")
        );
        assert_eq!(
            artifact_location("/srv/a b.py").uri.as_deref(),
            Some("file:///srv/a%20b.py")
        );
        assert_eq!(
            artifact_location("C:/src/x.py").uri.as_deref(),
            Some("file:///C:/src/x.py")
        );
        assert_eq!(artifact_location("/srv/x.py").uri_base_id, None);
    }

    #[test]
    fn stdin_has_no_base() {
        let a = artifact_location("-");
        assert_eq!(a.uri.as_deref(), Some("-"));
        assert_eq!(a.uri_base_id, None);
    }

    #[test]
    fn cwe_tags_are_zero_padded() {
        assert_eq!(cwe_tag(78), "external/cwe/cwe-078");
        assert_eq!(cwe_tag(1333), "external/cwe/cwe-1333");
        assert_eq!(cwe_tag(9), "external/cwe/cwe-009");
    }

    #[test]
    fn semver_detection() {
        assert!(is_semver("0.1.0"));
        assert!(is_semver("1.2.3-alpha.1"));
        assert!(!is_semver("1.2"));
        assert!(!is_semver("dev"));
    }
}
