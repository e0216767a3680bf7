//! `pyward merge`: one report from the reports of `pyward scan --shard K/N` runs.
//!
//! Inputs are all pyward JSON reports or all pyward SARIF logs. They must come from the same
//! pyward version, rule set (`ruleset_hash`) and model settings (`model`, absent for
//! static-only scans): anything else is refused, naming the two files and the values that
//! differ. Findings are deduplicated by fingerprint (the first input that has a fingerprint
//! wins; findings without one are all kept), exact duplicate diagnostics are dropped,
//! `files_scanned` is the sum of the inputs' (a file scanned by two overlapping shards counts
//! twice), and the result is sorted as a single scan sorts it.
//!
//! Command lines: the merged report's `command_line` (SARIF: the invocation's `arguments`) is
//! the `pyward merge` command line itself, and the inputs' command lines are kept, in input
//! order, in `merged_from` (SARIF: the invocation's `properties.mergedFrom`). Merging merged
//! reports flattens their `merged_from` lists, so the shards' own command lines survive.

mod json;
mod sarif;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::json::{JsonReport, JSON_FORMAT_VERSION};
use super::sarif::SarifLog;
use super::ModelProvenance;

pub use json::{merge_json, render_json};
pub use sarif::{mark_sarif_merged, merge_sarif, render_sarif, sarif_fails};

/// Why reports cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a pyward report: {message}", path.display())]
    NotAReport { path: PathBuf, message: String },
    #[error("{}: JSON report format version {found} is not supported (this pyward reads version {JSON_FORMAT_VERSION})", path.display())]
    JsonVersion { path: PathBuf, found: u64 },
    #[error("cannot merge {} ({first_kind}) with {} ({other_kind}): all reports must be JSON or all SARIF", first.display(), other.display())]
    MixedFormats {
        first: PathBuf,
        first_kind: &'static str,
        other: PathBuf,
        other_kind: &'static str,
    },
    #[error("cannot merge {} and {}: they come from different {what} ({left} vs {right})", first.display(), other.display())]
    Mismatch {
        first: PathBuf,
        other: PathBuf,
        what: &'static str,
        left: String,
        right: String,
    },
    #[error("cannot write {format}: the reports' rule set ({hash}…) is neither this pyward's nor the subset of it their `tool.rules` lists; merge into json instead")]
    UnknownRuleset { hash: String, format: String },
    #[error("SARIF inputs can only be merged into SARIF, not {format}: scan the shards with --format json to merge into any format")]
    SarifOnly { format: String },
    #[error("no reports to merge")]
    NoInputs,
}

/// A report read from disk.
#[derive(Debug, Clone)]
pub enum Loaded {
    Json(Box<JsonReport>),
    Sarif(Box<SarifLog>),
}

impl Loaded {
    fn kind(&self) -> &'static str {
        match self {
            Loaded::Json(_) => "JSON",
            Loaded::Sarif(_) => "SARIF",
        }
    }
}

/// Reads a pyward JSON report or SARIF log; which one it is comes from its content.
pub fn load(path: &Path) -> Result<Loaded, MergeError> {
    let text = std::fs::read_to_string(path).map_err(|source| MergeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let not = |message: String| MergeError::NotAReport {
        path: path.to_path_buf(),
        message,
    };
    let v: Value = serde_json::from_str(&text).map_err(|e| not(format!("invalid JSON: {e}")))?;
    if v.get("runs").is_some() {
        check_sarif(&v).map_err(not)?;
        let log: SarifLog = serde_json::from_value(v).map_err(|e| not(e.to_string()))?;
        return Ok(Loaded::Sarif(Box::new(log)));
    }
    if v.get("tool")
        .and_then(|t| t.get("name"))
        .and_then(Value::as_str)
        != Some(super::TOOL_NAME)
    {
        return Err(not(
            "expected a JSON report with `tool.name` \"pyward\" or a SARIF log".into(),
        ));
    }
    match v.get("version").and_then(Value::as_u64) {
        Some(n) if n == u64::from(JSON_FORMAT_VERSION) => {}
        Some(found) => {
            return Err(MergeError::JsonVersion {
                path: path.to_path_buf(),
                found,
            })
        }
        None => return Err(not("no `version` number".into())),
    }
    let report: JsonReport = serde_json::from_value(v).map_err(|e| not(e.to_string()))?;
    Ok(Loaded::Json(Box::new(report)))
}

/// Whether a SARIF document is a log pyward wrote (version 2.1.0, one run, driver `pyward`),
/// checked before it is read into the typed model so that a foreign log gets a clear error.
fn check_sarif(v: &Value) -> Result<(), String> {
    if v.get("version").and_then(Value::as_str) != Some("2.1.0") {
        return Err("SARIF version must be 2.1.0".into());
    }
    let runs = v["runs"].as_array().ok_or("`runs` is not an array")?;
    if runs.len() != 1 {
        return Err(format!("expected one run, found {}", runs.len()));
    }
    if runs[0]["tool"]["driver"]["name"].as_str() != Some(super::TOOL_NAME) {
        return Err("the SARIF run's tool is not pyward".into());
    }
    if !runs[0]["results"].is_array() {
        return Err("the SARIF run has no `results` array".into());
    }
    Ok(())
}

/// The inputs, checked to be of one kind.
pub fn split_kinds(inputs: Vec<(PathBuf, Loaded)>) -> Result<Inputs, MergeError> {
    let first = inputs.first().map(|(p, l)| (p.clone(), l.kind()));
    let mut jsons = Vec::new();
    let mut sarifs = Vec::new();
    for (path, loaded) in inputs {
        if let Some((first_path, first_kind)) = &first {
            if loaded.kind() != *first_kind {
                return Err(MergeError::MixedFormats {
                    first: first_path.clone(),
                    first_kind,
                    other: path,
                    other_kind: loaded.kind(),
                });
            }
        }
        match loaded {
            Loaded::Json(r) => jsons.push((path, *r)),
            Loaded::Sarif(log) => sarifs.push((path, *log)),
        }
    }
    Ok(if sarifs.is_empty() {
        Inputs::Json(jsons)
    } else {
        Inputs::Sarif(sarifs)
    })
}

/// Inputs of one kind.
#[derive(Debug, Clone)]
pub enum Inputs {
    Json(Vec<(PathBuf, JsonReport)>),
    Sarif(Vec<(PathBuf, SarifLog)>),
}

/// `Ok` when the inputs agree on `what`; else the mismatch, naming both files.
fn same<T: PartialEq>(
    first: &Path,
    other: &Path,
    what: &'static str,
    left: &T,
    right: &T,
    show: impl Fn(&T) -> String,
) -> Result<(), MergeError> {
    if left == right {
        return Ok(());
    }
    Err(MergeError::Mismatch {
        first: first.to_path_buf(),
        other: other.to_path_buf(),
        what,
        left: show(left),
        right: show(right),
    })
}

/// A model for a mismatch message.
fn show_model(m: &Option<ModelProvenance>) -> String {
    match m {
        None => "no model (static only)".into(),
        Some(m) => format!(
            "{} {} sha256 {}, seed {}, tier {}",
            m.backend,
            m.model,
            short(&m.model_sha256),
            m.seed,
            m.tier
        ),
    }
}

/// The first 12 characters of a hash.
fn short(hash: &str) -> String {
    hash.chars().take(12).collect()
}
