//! The SARIF 2.1.0 format, for code-scanning services (GitHub, GitLab, Azure DevOps) and
//! editors' SARIF viewers.
//!
//! One run per log. Conventions followed:
//!
//! - Every rule that ran (the catalogue after `--select`/`--ignore`) is listed in
//!   `tool.driver.rules`, in id order, whether or not it fired; results point at them with
//!   `ruleIndex`. These ids are the run's selected rules, as `tool.rules` is in JSON.
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

mod model;
mod results;
mod rules;
mod uri;

use std::collections::BTreeMap;

use super::{information_uri, sorted_diagnostics, sorted_findings, RenderOptions, TOOL_NAME};
use crate::finding::{Confidence, Severity};
use crate::rules::Catalog;
use crate::scan::ScanOutcome;

pub use model::*;
pub use uri::{artifact_location, location_path};

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
    let rules: Vec<ReportingDescriptor> = catalog.rules().iter().map(rules::descriptor).collect();
    let results = sorted_findings(&outcome.findings)
        .into_iter()
        .map(|f| results::result(f, catalog))
        .collect();
    let notifications = sorted_diagnostics(&outcome.diagnostics)
        .into_iter()
        .map(results::notification)
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
        schema: SARIF_SCHEMA_URI.to_string(),
        version: "2.1.0".to_string(),
        runs: vec![Run {
            tool: Tool {
                driver: ToolComponent {
                    name: TOOL_NAME.to_string(),
                    semantic_version: is_semver(&version).then(|| version.clone()),
                    version,
                    information_uri: information_uri().map(str::to_string),
                    rules,
                },
            },
            invocations: vec![Invocation {
                // Rendering happens only after a scan that ran to completion; problems with
                // single inputs are reported as notifications, not as a failed execution.
                execution_successful: true,
                arguments: opts.meta.command_line.clone(),
                tool_execution_notifications: notifications,
                properties: None,
            }],
            original_uri_base_ids: base_ids,
            results,
            column_kind: "unicodeCodePoints".to_string(),
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

pub(super) fn precision(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
