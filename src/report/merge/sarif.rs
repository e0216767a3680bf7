//! Merging SARIF logs pyward wrote, read into the typed model of [`crate::report::sarif`].

use std::collections::HashSet;
use std::path::PathBuf;

use super::{same, short, MergeError};
use crate::finding::{FindingOrder, Severity, Span};
use crate::report::sarif::{
    location_path, Invocation, InvocationProperties, Notification, PhysicalLocation, SarifLog,
    SarifResult, FINGERPRINT_KEY,
};

/// Merges SARIF logs pyward wrote (checked by [`super::load`]) into one log: the first log's
/// run with every input's results (deduplicated by pyward's fingerprint, sorted as a scan
/// sorts them) and one invocation carrying the merge's command line, every input's
/// notifications and `properties.mergedFrom`.
///
/// The inputs must agree on the pyward version, the rule set and the model. The first log's
/// `tool.driver.rules` (the rules that ran) is kept: logs with one ruleset hash list the
/// same rules.
pub fn merge_sarif(
    inputs: &[(PathBuf, SarifLog)],
    command_line: &[String],
) -> Result<SarifLog, MergeError> {
    let Some((first_path, first)) = inputs.first() else {
        return Err(MergeError::NoInputs);
    };
    let mut out = first.clone();
    // `load` checked every log has exactly one run.
    let Some(run0) = first.runs.first() else {
        return Ok(out);
    };
    let mut results: Vec<SarifResult> = Vec::new();
    let mut notifications: Vec<Notification> = Vec::new();
    let mut merged_from: Vec<Vec<String>> = Vec::new();
    let mut successful = true;
    let mut seen = HashSet::new();
    for (path, log) in inputs {
        let Some(run) = log.runs.first() else {
            continue;
        };
        same(
            first_path,
            path,
            "pyward versions",
            &run0.tool.driver.version,
            &run.tool.driver.version,
            json_text,
        )?;
        same(
            first_path,
            path,
            "rule sets (ruleset_hash)",
            &run0.properties.ruleset_hash,
            &run.properties.ruleset_hash,
            |h| short(h),
        )?;
        same(
            first_path,
            path,
            "models",
            &run0.properties.model,
            &run.properties.model,
            |m| match m {
                None => "no model (static only)".into(),
                Some(m) => json_text(m),
            },
        )?;
        for r in &run.results {
            match r.partial_fingerprints.get(FINGERPRINT_KEY) {
                Some(fp) if !seen.insert(fp.clone()) => {}
                _ => results.push(r.clone()),
            }
        }
        for inv in &run.invocations {
            successful &= inv.execution_successful;
            match &inv.properties {
                Some(p) => merged_from.extend(p.merged_from.iter().cloned()),
                None => merged_from.push(inv.arguments.clone()),
            }
            for n in &inv.tool_execution_notifications {
                if !notifications.contains(n) {
                    notifications.push(n.clone());
                }
            }
        }
    }
    results.sort_by_cached_key(result_key);
    notifications.sort_by_cached_key(notification_key);
    if let Some(run) = out.runs.first_mut() {
        run.results = results;
        run.invocations = vec![Invocation {
            execution_successful: successful,
            arguments: command_line.to_vec(),
            tool_execution_notifications: notifications,
            properties: Some(InvocationProperties { merged_from }),
        }];
    }
    Ok(out)
}

/// A value as compact JSON, for mismatch messages (strings quoted, objects' keys sorted).
fn json_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .map(|v| v.to_string())
        .unwrap_or_default()
}

/// Adds `mergedFrom` to the (single) invocation of a SARIF log pyward built.
pub fn mark_sarif_merged(log: &mut SarifLog, merged_from: &[Vec<String>]) {
    if let Some(inv) = log
        .runs
        .first_mut()
        .and_then(|run| run.invocations.first_mut())
    {
        inv.properties = Some(InvocationProperties {
            merged_from: merged_from.to_vec(),
        });
    }
}

/// A merged SARIF log as text: pretty-printed with every object's keys in sorted order (as
/// `pyward merge` has always written it), with a trailing newline.
pub fn render_sarif(log: &SarifLog) -> String {
    // Through a `Value`, whose maps keep their keys sorted. Plain structs, string-keyed maps,
    // strings and numbers always serialize.
    let v = serde_json::to_value(log).unwrap_or_default();
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// Whether a merged SARIF log has an unsuppressed result at or above `threshold`.
pub fn sarif_fails(log: &SarifLog, threshold: Severity) -> bool {
    log.runs.iter().take(1).flat_map(|r| &r.results).any(|r| {
        let severity = match r.properties.severity.as_str() {
            "high" => Severity::High,
            "medium" => Severity::Medium,
            _ => Severity::Low,
        };
        r.suppressions.is_empty() && severity >= threshold
    })
}

/// A SARIF result's place in the one order of findings ([`FindingOrder`]).
fn result_key(r: &SarifResult) -> FindingOrder<String> {
    let loc = r.locations.first().map(|l| &l.physical_location);
    let region = loc.and_then(|l| l.region.as_ref());
    FindingOrder {
        path: path_of(loc),
        span: Span {
            start_line: region.map_or(0, |g| g.start_line),
            start_column: region.and_then(|g| g.start_column).unwrap_or(0),
            end_line: region.and_then(|g| g.end_line).unwrap_or(0),
            end_column: region.and_then(|g| g.end_column).unwrap_or(0),
        },
        rule_id: r.rule_id.clone(),
        fingerprint: r
            .partial_fingerprints
            .get(FINGERPRINT_KEY)
            .cloned()
            .unwrap_or_default(),
        message: r.message.text.clone(),
    }
}

/// The order of [`crate::report::sorted_diagnostics`]: path, line, message, errors first.
fn notification_key(n: &Notification) -> (String, Option<usize>, String, u8) {
    let loc = n.locations.first().map(|l| &l.physical_location);
    (
        path_of(loc),
        loc.and_then(|l| l.region.as_ref()).map(|g| g.start_line),
        n.message.text.clone(),
        u8::from(n.level != "error"),
    )
}

fn path_of(loc: Option<&PhysicalLocation>) -> String {
    loc.map(|l| location_path(&l.artifact_location))
        .unwrap_or_default()
}
