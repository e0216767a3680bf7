//! Merging pyward JSON reports.

use std::path::PathBuf;

use super::{same, short, show_model, MergeError};
use crate::report::json::JsonReport;
use crate::report::{RenderOptions, RunMeta, RunUsage};
use crate::scan::{sort_outcome, ScanOutcome};

/// Merged JSON reports: the combined outcome, the run facts the inputs share, and their
/// command lines.
#[derive(Debug, Clone)]
pub struct MergedJson {
    pub outcome: ScanOutcome,
    /// Version, ruleset hash and model of the inputs; `command_line` is left empty for the
    /// caller (the merge's own command line).
    pub meta: RunMeta,
    pub merged_from: Vec<Vec<String>>,
}

/// Merges JSON reports (at least one).
pub fn merge_json(inputs: &[(PathBuf, JsonReport)]) -> Result<MergedJson, MergeError> {
    let Some((first_path, first)) = inputs.first() else {
        return Ok(MergedJson {
            outcome: ScanOutcome::default(),
            meta: RunMeta::default(),
            merged_from: Vec::new(),
        });
    };
    let mut outcome = ScanOutcome::default();
    let mut merged_from = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (path, r) in inputs {
        same(
            first_path,
            path,
            "pyward versions",
            &first.tool.version,
            &r.tool.version,
            |v| v.clone(),
        )?;
        same(
            first_path,
            path,
            "rule sets (ruleset_hash)",
            &first.tool.ruleset_hash,
            &r.tool.ruleset_hash,
            |h| short(h),
        )?;
        same(
            first_path,
            path,
            "models",
            &first.tool.model,
            &r.tool.model,
            show_model,
        )?;
        match &r.tool.merged_from {
            Some(lines) => merged_from.extend(lines.iter().cloned()),
            None => merged_from.push(r.tool.command_line.clone()),
        }
        outcome.files_scanned += r.summary.files_scanned;
        for f in &r.findings {
            if f.fingerprint.is_empty() || seen.insert(f.fingerprint.clone()) {
                outcome.findings.push(f.clone());
            }
        }
        for d in &r.diagnostics {
            if !outcome.diagnostics.contains(d) {
                outcome.diagnostics.push(d.clone());
            }
        }
    }
    sort_outcome(&mut outcome);
    let meta = RunMeta {
        tool_version: first.tool.version.clone(),
        ruleset_hash: first.tool.ruleset_hash.clone(),
        command_line: Vec::new(),
        rules: first.tool.rules.clone(),
        model: first.tool.model.clone(),
        usage: sum_usage(inputs.iter().filter_map(|(_, r)| r.tool.usage.as_ref())),
    };
    Ok(MergedJson {
        outcome,
        meta,
        merged_from,
    })
}

/// The model usage of several reports added up (`None` when none has any).
fn sum_usage<'a>(usages: impl Iterator<Item = &'a RunUsage>) -> Option<RunUsage> {
    let mut out: Option<RunUsage> = None;
    for u in usages {
        let o = out.get_or_insert_with(Default::default);
        o.source_lines += u.source_lines;
        o.total.add(&u.total);
        for (stage, s) in &u.stages {
            o.stages.entry(stage.clone()).or_default().add(s);
        }
    }
    out
}

/// Renders merged JSON reports as pyward's JSON format, with `merged_from`.
pub fn render_json(merged: &MergedJson, command_line: &[String]) -> String {
    let opts = RenderOptions {
        color: false,
        show_suppressed: true,
        meta: RunMeta {
            command_line: command_line.to_vec(),
            ..merged.meta.clone()
        },
    };
    let mut report = JsonReport::new(&merged.outcome, &opts);
    report.tool.merged_from = Some(merged.merged_from.clone());
    let mut s = serde_json::to_string_pretty(&report).unwrap_or_default();
    s.push('\n');
    s
}
