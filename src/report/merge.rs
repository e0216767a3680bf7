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

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::json::{JsonReport, JSON_FORMAT_VERSION};
use super::sarif::FINGERPRINT_KEY;
use super::{ModelProvenance, RunMeta};
use crate::finding::Severity;
use crate::scan::{sort_outcome, ScanOutcome};

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
    #[error("cannot write {format}: the reports' rule set ({hash}…) is neither this pyward's nor a --select/--ignore subset of it named on their command lines; merge into json instead")]
    UnknownRuleset { hash: String, format: String },
    #[error("SARIF inputs can only be merged into SARIF, not {format}: scan the shards with --format json to merge into any format")]
    SarifOnly { format: String },
}

/// A report read from disk.
#[derive(Debug, Clone)]
pub enum Loaded {
    Json(Box<JsonReport>),
    Sarif(Value),
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
        return Ok(Loaded::Sarif(v));
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

/// A SARIF log pyward wrote: version 2.1.0, one run, driver `pyward`.
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
            Loaded::Sarif(v) => sarifs.push((path, v)),
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
    Sarif(Vec<(PathBuf, Value)>),
}

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

fn short(hash: &str) -> String {
    hash.chars().take(12).collect()
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
fn sum_usage<'a>(usages: impl Iterator<Item = &'a super::RunUsage>) -> Option<super::RunUsage> {
    let mut out: Option<super::RunUsage> = None;
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
    let opts = super::RenderOptions {
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

/// Adds `mergedFrom` to the (single) invocation of a SARIF log pyward built.
pub fn mark_sarif_merged(log: &mut Value, merged_from: &[Vec<String>]) {
    let inv = first_run_mut(log)
        .and_then(|run| run.get_mut("invocations"))
        .and_then(|i| i.get_mut(0))
        .and_then(Value::as_object_mut);
    if let Some(inv) = inv {
        inv.insert("properties".into(), json!({ "mergedFrom": merged_from }));
    }
}

/// Merges SARIF logs pyward wrote (checked by [`load`]) into one log: the first log's run
/// with every input's results (deduplicated by pyward's fingerprint, sorted as a scan sorts
/// them) and one invocation carrying the merge's command line, every input's notifications
/// and `properties.mergedFrom`.
pub fn merge_sarif(
    inputs: &[(PathBuf, Value)],
    command_line: &[String],
) -> Result<Value, MergeError> {
    let Some((first_path, first)) = inputs.first() else {
        return Ok(Value::Null);
    };
    let run0 = &first["runs"][0];
    let mut results: Vec<Value> = Vec::new();
    let mut notifications: Vec<Value> = Vec::new();
    let mut merged_from: Vec<Value> = Vec::new();
    let mut successful = true;
    let mut seen = std::collections::HashSet::new();
    for (path, log) in inputs {
        let run = &log["runs"][0];
        same(
            first_path,
            path,
            "pyward versions",
            &run0["tool"]["driver"]["version"],
            &run["tool"]["driver"]["version"],
            Value::to_string,
        )?;
        same(
            first_path,
            path,
            "rule sets (ruleset_hash)",
            &run0["properties"]["rulesetHash"],
            &run["properties"]["rulesetHash"],
            |h| short(h.as_str().unwrap_or("none")),
        )?;
        same(
            first_path,
            path,
            "models",
            &run0["properties"]["model"],
            &run["properties"]["model"],
            |m| {
                if m.is_null() {
                    "no model (static only)".into()
                } else {
                    m.to_string()
                }
            },
        )?;
        for r in run["results"].as_array().into_iter().flatten() {
            match r["partialFingerprints"][FINGERPRINT_KEY].as_str() {
                Some(fp) if !seen.insert(fp.to_string()) => {}
                _ => results.push(r.clone()),
            }
        }
        for inv in run["invocations"].as_array().into_iter().flatten() {
            successful &= inv["executionSuccessful"].as_bool().unwrap_or(true);
            match inv["properties"]["mergedFrom"].as_array() {
                Some(lines) => merged_from.extend(lines.iter().cloned()),
                None => merged_from.push(inv["arguments"].clone()),
            }
            for n in inv["toolExecutionNotifications"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if !notifications.contains(n) {
                    notifications.push(n.clone());
                }
            }
        }
    }
    results.sort_by_cached_key(result_key);
    notifications.sort_by_cached_key(notification_key);
    let mut out = first.clone();
    // `load` checked the log has exactly one run object.
    if let Some(run) = first_run_mut(&mut out) {
        run.insert("results".into(), Value::Array(results));
        run.insert(
            "invocations".into(),
            json!([{
                "executionSuccessful": successful,
                "arguments": command_line,
                "toolExecutionNotifications": notifications,
                "properties": { "mergedFrom": merged_from },
            }]),
        );
    }
    Ok(out)
}

fn first_run_mut(log: &mut Value) -> Option<&mut serde_json::Map<String, Value>> {
    log.get_mut("runs")?.get_mut(0)?.as_object_mut()
}

/// Whether a merged SARIF log has an unsuppressed result at or above `threshold`.
pub fn sarif_fails(log: &Value, threshold: Severity) -> bool {
    log["runs"][0]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|r| {
            let suppressed = r["suppressions"].as_array().is_some_and(|s| !s.is_empty());
            let severity = match r["properties"]["severity"].as_str() {
                Some("high") => Severity::High,
                Some("medium") => Severity::Medium,
                _ => Severity::Low,
            };
            !suppressed && severity >= threshold
        })
}

/// The path of a SARIF artifact location as pyward wrote it (see
/// [`super::sarif::artifact_location`]): relative URIs and `file://` URIs percent-decoded.
fn location_path(loc: &Value) -> String {
    let uri = loc["uri"].as_str().unwrap_or("");
    match uri.strip_prefix("file://") {
        Some(abs) => {
            let decoded = percent_decode(abs);
            // `/C:/x` is how a drive path is written.
            let b = decoded.as_bytes();
            if b.len() >= 4
                && b[0] == b'/'
                && b[1].is_ascii_alphabetic()
                && b[2] == b':'
                && b[3] == b'/'
            {
                decoded[1..].to_string()
            } else {
                decoded
            }
        }
        None => percent_decode(uri),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

type ResultKey = crate::finding::FindingOrder<String>;

/// A SARIF result's place in the one order of findings ([`crate::finding::FindingOrder`]).
fn result_key(r: &Value) -> ResultKey {
    let loc = &r["locations"][0]["physicalLocation"];
    let region = &loc["region"];
    let n = |k: &str| region[k].as_u64().unwrap_or(0) as usize;
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    crate::finding::FindingOrder {
        path: location_path(&loc["artifactLocation"]),
        span: crate::finding::Span {
            start_line: n("startLine"),
            start_column: n("startColumn"),
            end_line: n("endLine"),
            end_column: n("endColumn"),
        },
        rule_id: s(&r["ruleId"]),
        fingerprint: s(&r["partialFingerprints"][FINGERPRINT_KEY]),
        message: s(&r["message"]["text"]),
    }
}

/// The order of [`super::sorted_diagnostics`]: path, line, message, errors first.
fn notification_key(n: &Value) -> (String, Option<u64>, String, u8) {
    let loc = &n["locations"][0]["physicalLocation"];
    (
        location_path(&loc["artifactLocation"]),
        loc["region"]["startLine"].as_u64(),
        n["message"]["text"].as_str().unwrap_or("").to_string(),
        u8::from(n["level"].as_str() != Some("error")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{run::scan_paths, Scanner};
    use crate::report::{render, Format, RenderOptions};
    use crate::rules::{Catalog, Engine};
    use crate::scan::ScanOptions;
    use crate::shard::Shard;

    fn write_app(dir: &Path) {
        let bad = "import subprocess\nimport yaml\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n\ndef load(s):\n    return yaml.load(s)\n";
        for name in [
            "a.py", "b.py", "c d.py", "pkg/e.py", "pkg/f.py", "g.py", "h.py",
        ] {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bad).unwrap();
        }
        std::fs::write(dir.join("bin.py"), b"\0\0").unwrap();
    }

    fn meta(catalog: &Catalog, cl: &[&str]) -> RenderOptions {
        RenderOptions {
            color: false,
            show_suppressed: false,
            meta: RunMeta::new(catalog, cl.iter().map(|s| s.to_string()).collect()),
        }
    }

    fn shard_outcomes(dir: &Path, n: u32) -> (ScanOutcome, Vec<ScanOutcome>, Catalog) {
        let catalog = Catalog::embedded().unwrap();
        let engine = Engine::new(catalog.clone()).unwrap();
        let paths = vec![dir.to_path_buf()];
        let engine = Scanner::new(&engine, Default::default());
        let whole = scan_paths(&engine, &paths, &ScanOptions::default());
        let shards = (1..=n)
            .map(|k| {
                scan_paths(
                    &engine,
                    &paths,
                    &ScanOptions {
                        shard: Some(Shard::new(k, n).unwrap()),
                        ..ScanOptions::default()
                    },
                )
            })
            .collect();
        (whole, shards, catalog)
    }

    #[test]
    fn json_shards_merge_into_the_unsharded_report() {
        let d = tempfile::tempdir().unwrap();
        write_app(d.path());
        let (whole, shards, catalog) = shard_outcomes(d.path(), 3);
        assert_eq!(
            shards.iter().map(|s| s.files_scanned).sum::<usize>(),
            whole.files_scanned
        );
        let inputs: Vec<(PathBuf, JsonReport)> = shards
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let cl = ["pyward", "scan", "x", "--shard"];
                (
                    PathBuf::from(format!("s{i}.json")),
                    JsonReport::new(o, &meta(&catalog, &cl)),
                )
            })
            .collect();
        // Feeding a shard twice changes nothing but files_scanned: findings dedupe.
        let mut twice = inputs.clone();
        twice.push(inputs[0].clone());
        let merged = merge_json(&inputs).unwrap();
        assert_eq!(merged.merged_from.len(), 3);
        let cl: Vec<String> = vec!["pyward".into(), "merge".into()];
        let text = render_json(&merged, &cl);
        let expected = render(
            Format::Json,
            &whole,
            &catalog,
            &meta(&catalog, &["pyward", "merge"]),
        );
        let mut v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["tool"]["merged_from"].as_array().unwrap().len(), 3);
        v["tool"].as_object_mut().unwrap().remove("merged_from");
        assert_eq!(serde_json::to_string_pretty(&v).unwrap() + "\n", expected);
        let m2 = merge_json(&twice).unwrap();
        assert_eq!(m2.outcome.findings, merged.outcome.findings);
        assert_eq!(m2.outcome.diagnostics, merged.outcome.diagnostics);
        assert_eq!(
            m2.outcome.files_scanned,
            merged.outcome.files_scanned + inputs[0].1.summary.files_scanned
        );
        // A merge of merges keeps the shards' command lines.
        let again = vec![(
            PathBuf::from("m.json"),
            serde_json::from_str::<JsonReport>(&text).unwrap(),
        )];
        assert_eq!(merge_json(&again).unwrap().merged_from, merged.merged_from);
    }

    #[test]
    fn different_rules_versions_or_models_are_refused() {
        let catalog = Catalog::embedded().unwrap();
        let o = ScanOutcome::default();
        let base = JsonReport::new(&o, &meta(&catalog, &["pyward"]));
        let mut other = base.clone();
        other.tool.ruleset_hash = "f".repeat(64);
        let e =
            merge_json(&[("a.json".into(), base.clone()), ("b.json".into(), other)]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("cannot merge a.json and b.json: they come from different rule sets"),
            "{e}"
        );
        let mut other = base.clone();
        other.tool.version = "9.9.9".into();
        let e =
            merge_json(&[("a.json".into(), base.clone()), ("b.json".into(), other)]).unwrap_err();
        assert!(
            e.to_string().contains("different pyward versions") && e.to_string().contains("9.9.9"),
            "{e}"
        );
        let mut other = base.clone();
        other.tool.model = Some(ModelProvenance {
            model: "SmolLM2".into(),
            ..Default::default()
        });
        let e = merge_json(&[("a.json".into(), base), ("b.json".into(), other)]).unwrap_err();
        assert!(
            e.to_string().contains("different models")
                && e.to_string().contains("no model (static only)"),
            "{e}"
        );
    }

    #[test]
    fn sarif_shards_merge_into_the_unsharded_results() {
        let d = tempfile::tempdir().unwrap();
        write_app(d.path());
        let (whole, shards, catalog) = shard_outcomes(d.path(), 2);
        let to_value = |o: &ScanOutcome, cl: &[&str]| -> Value {
            serde_json::from_str(&render(Format::Sarif, o, &catalog, &meta(&catalog, cl))).unwrap()
        };
        let inputs: Vec<(PathBuf, Value)> = shards
            .iter()
            .enumerate()
            .map(|(i, o)| {
                (
                    PathBuf::from(format!("s{i}.sarif")),
                    to_value(o, &["pyward", "scan", &format!("{}/2", i + 1)]),
                )
            })
            .collect();
        let cl: Vec<String> = vec!["pyward".into(), "merge".into()];
        let merged = merge_sarif(&inputs, &cl).unwrap();
        let mut expected = to_value(&whole, &["pyward", "merge"]);
        mark_sarif_merged(
            &mut expected,
            &[
                vec!["pyward".into(), "scan".into(), "1/2".into()],
                vec!["pyward".into(), "scan".into(), "2/2".into()],
            ],
        );
        assert_eq!(
            serde_json::to_string_pretty(&merged).unwrap(),
            serde_json::to_string_pretty(&expected).unwrap()
        );
        assert!(
            !whole.diagnostics.is_empty(),
            "the binary file gives a notification"
        );
        assert!(sarif_fails(&merged, Severity::High));
        // SARIF of a different rule set is refused.
        let mut other = inputs[1].1.clone();
        other["runs"][0]["properties"]["rulesetHash"] = json!("0".repeat(64));
        let e = merge_sarif(&[inputs[0].clone(), ("o.sarif".into(), other)], &cl).unwrap_err();
        assert!(
            e.to_string().contains("s0.sarif and o.sarif") && e.to_string().contains("rule sets"),
            "{e}"
        );
    }

    #[test]
    fn load_tells_formats_apart_and_refuses_the_rest() {
        let d = tempfile::tempdir().unwrap();
        let catalog = Catalog::embedded().unwrap();
        let o = ScanOutcome::default();
        let j = d.path().join("r.json");
        std::fs::write(
            &j,
            render(Format::Json, &o, &catalog, &meta(&catalog, &["pyward"])),
        )
        .unwrap();
        let s = d.path().join("r.sarif");
        std::fs::write(
            &s,
            render(Format::Sarif, &o, &catalog, &meta(&catalog, &["pyward"])),
        )
        .unwrap();
        assert!(matches!(load(&j).unwrap(), Loaded::Json(_)));
        assert!(matches!(load(&s).unwrap(), Loaded::Sarif(_)));
        let e = split_kinds(vec![
            (j.clone(), load(&j).unwrap()),
            (s.clone(), load(&s).unwrap()),
        ])
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("all reports must be JSON or all SARIF"),
            "{e}"
        );
        let bad = d.path().join("bad.json");
        std::fs::write(&bad, "{\"version\": 1}").unwrap();
        assert!(load(&bad)
            .unwrap_err()
            .to_string()
            .contains("not a pyward report"));
        std::fs::write(&bad, "{\"version\": 2, \"tool\": {\"name\": \"pyward\"}}").unwrap();
        assert!(matches!(
            load(&bad).unwrap_err(),
            MergeError::JsonVersion { found: 2, .. }
        ));
        std::fs::write(&bad, "not json").unwrap();
        assert!(load(&bad).unwrap_err().to_string().contains("invalid JSON"));
        assert!(matches!(
            load(&d.path().join("none.json")).unwrap_err(),
            MergeError::Read { .. }
        ));
    }

    #[test]
    fn uris_decode_back_to_paths() {
        assert_eq!(
            location_path(&json!({"uri": "c%20d.py", "uriBaseId": "%SRCROOT%"})),
            "c d.py"
        );
        assert_eq!(
            location_path(&json!({"uri": "file:///tmp/a%25b.py"})),
            "/tmp/a%b.py"
        );
        assert_eq!(location_path(&json!({"uri": "file:///C:/x.py"})), "C:/x.py");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%é%41"), "%éA");
    }
}
