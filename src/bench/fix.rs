//! `pyward bench --fix`: repairs the vulnerable files of a labelled set, as
//! `pyward fix --write` would, and measures the repairs.
//!
//! For each backend (the static engine alone, or a model whose fix candidates compete with the
//! templates), on each file labelled vulnerable that pyward flags:
//!
//! * the findings to repair, how many got a verified fix, which candidate won (`template` or
//!   `model`) and in how many rounds;
//! * whether the file is **fully repaired**: every finding gone (the static engine reports
//!   nothing on the repaired file, and every target got a verified fix), the file parses, and
//!   no name is newly undefined ([`crate::pipeline::names`]).
//!
//! Then, when they are on `PATH`, Bandit and Semgrep re-scan the original and the repaired
//! files as independent judges ([`judge`]); a missing judge is reported as missing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::dataset::Dataset;
use super::BenchError;
use crate::finding::Finding;
use crate::pipeline::fixer::is_target;
use crate::pipeline::verify::error_count;
use crate::pipeline::{fix_file, names, scan_file, Backend, Cache, PipelineOptions};
use crate::rules::Engine;

pub mod judge;
mod render;

pub use judge::{JudgeKind, JudgeReport, JudgeStatus};

/// The version of [`FixReport`]'s JSON shape.
pub const FIX_REPORT_VERSION: u32 = 1;

/// Options of `pyward bench --fix`.
#[derive(Debug, Clone, clap::Args)]
pub struct FixArgs {
    /// Repair the vulnerable files instead of scoring detection: report the share of flagged
    /// files fully repaired, of findings with a verified fix, the winning candidate source and
    /// the rounds used, with Bandit's and Semgrep's verdicts when they are on PATH.
    #[arg(long)]
    pub fix: bool,

    /// With --fix: fix rounds per finding (a failed model fix is fed back this many times).
    #[arg(long, value_name = "K", default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..))]
    pub max_rounds: u8,

    /// With --fix: the `--config` Semgrep runs with, when `semgrep` is on PATH (a registry
    /// ruleset such as p/python needs the network; a local rules file or directory does not).
    #[arg(long, value_name = "CONFIG", default_value = "p/python")]
    pub semgrep_config: String,
}

/// One vulnerable file's repair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepairedFile {
    /// The dataset-relative path.
    pub file: String,
    /// Findings to repair (reported, unsuppressed).
    pub findings: usize,
    /// Findings with a verified fix.
    pub verified: usize,
    /// Verified fixes by the candidate source that won (`template`, `model`).
    pub by_source: BTreeMap<String, usize>,
    /// The round each verified fix was found in.
    pub rounds: Vec<usize>,
    /// Findings the static engine still reports on the repaired file.
    pub remaining: usize,
    /// The repaired file parses without errors.
    pub parses: bool,
    /// Names the repaired file reads unbound and the original did not.
    pub undefined: Vec<String>,
    /// Every finding gone (from a static re-scan; a model-found one with a verified fix), the
    /// file parses, no name newly undefined.
    pub repaired: bool,
    /// The repair changed the file.
    pub changed: bool,
}

/// One backend's repairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FixRow {
    /// The `--backend` spec (`static`, `local:MODEL`...).
    pub spec: String,
    /// The model, for model backends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Flagged vulnerable files, in dataset order.
    pub files: Vec<RepairedFile>,
    pub judges: Vec<JudgeReport>,
}

impl FixRow {
    pub fn flagged(&self) -> usize {
        self.files.len()
    }

    pub fn repaired(&self) -> usize {
        self.files.iter().filter(|f| f.repaired).count()
    }

    pub fn findings(&self) -> usize {
        self.files.iter().map(|f| f.findings).sum()
    }

    pub fn verified(&self) -> usize {
        self.files.iter().map(|f| f.verified).sum()
    }

    /// Verified fixes by winning source, over all files.
    pub fn by_source(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for f in &self.files {
            for (s, n) in &f.by_source {
                *out.entry(s.clone()).or_insert(0) += n;
            }
        }
        out
    }

    /// Verified fixes by the round they were found in.
    pub fn rounds(&self) -> BTreeMap<usize, usize> {
        let mut out = BTreeMap::new();
        for r in self.files.iter().flat_map(|f| &f.rounds) {
            *out.entry(*r).or_insert(0) += 1;
        }
        out
    }
}

/// Everything `pyward bench --fix` measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FixReport {
    pub version: u32,
    pub tool_version: String,
    pub ruleset_hash: String,
    pub dataset: String,
    /// Files labelled vulnerable.
    pub vulnerable: usize,
    pub max_rounds: usize,
    pub rows: Vec<FixRow>,
}

/// A labelled-vulnerable file's text.
#[derive(Debug, Clone)]
pub struct Source {
    pub file: String,
    pub text: String,
}

/// Reads the files labelled vulnerable, in dataset order.
pub fn vulnerable_sources(ds: &Dataset) -> Result<Vec<Source>, BenchError> {
    ds.files
        .iter()
        .filter(|f| f.vulnerable)
        .map(|lf| {
            let path = ds.path_of(lf);
            crate::source::read_source(&path, 0)
                .map(|text| Source {
                    file: lf.file.clone(),
                    text,
                })
                .map_err(|e| BenchError::ReadFile {
                    path,
                    message: e.to_string(),
                })
        })
        .collect()
}

/// Scans and repairs each file with `backend` (none: templates only), as `pyward fix` does;
/// returns the flagged files' repairs and their repaired texts. `before_file` is told the
/// index of each file before its work starts (progress).
pub fn repair(
    engine: &Engine,
    mut backend: Option<&mut dyn Backend>,
    opts: &PipelineOptions,
    sources: &[Source],
    before_file: &mut dyn FnMut(usize, &Source),
) -> Vec<(RepairedFile, String)> {
    let mut cache = Cache::disabled();
    let mut out = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        before_file(i, s);
        let scanned = scan_file(
            engine,
            crate::pipeline::backend::reborrow(&mut backend),
            &s.file,
            &s.text,
            opts,
            &mut cache,
        );
        if !scanned.findings.iter().any(is_target) {
            continue;
        }
        let r = fix_file(
            engine,
            crate::pipeline::backend::reborrow(&mut backend),
            &s.file,
            &s.text,
            &scanned.findings,
            opts,
            &mut cache,
        );
        let rescan = engine.scan_source(&s.file, &r.patched).findings;
        out.push((
            measure(&s.text, &r.patched, &r.findings, &rescan, &s.file),
            r.patched,
        ));
    }
    out
}

/// Measures one repair: `targets` are the fixer's findings (with their fixes), `rescan` the
/// static findings of the repaired text.
pub fn measure(
    original: &str,
    patched: &str,
    targets: &[Finding],
    rescan: &[Finding],
    file: &str,
) -> RepairedFile {
    let mut by_source = BTreeMap::new();
    let mut rounds = Vec::new();
    for x in targets
        .iter()
        .filter_map(|f| f.fix.as_ref())
        .filter(|x| x.verified)
    {
        *by_source.entry(x.source.clone()).or_insert(0) += 1;
        rounds.push(x.rounds);
    }
    let verified = rounds.len();
    let remaining = rescan.iter().filter(|f| is_target(f)).count();
    let parses = error_count(patched) == 0;
    let diff = names::compare(original, patched);
    let mut undefined: Vec<String> = diff
        .new_undefined
        .iter()
        .map(|u| u.name.clone())
        .chain(diff.lost.iter().map(|l| l.name.clone()))
        .collect();
    undefined.sort();
    undefined.dedup();
    // Static findings must be gone from the re-scan (a fix may remove several, such as an
    // import the fix left unused); a model-found one, which no re-scan sees, needs its own
    // verified fix.
    let model_found_unfixed = targets.iter().any(|f| {
        f.origin == crate::finding::Origin::Model && !f.fix.as_ref().is_some_and(|x| x.verified)
    });
    let repaired = remaining == 0
        && !model_found_unfixed
        && parses
        && undefined.is_empty()
        && !diff.star_import_added;
    RepairedFile {
        file: file.to_string(),
        findings: targets.len(),
        verified,
        by_source,
        rounds,
        remaining,
        parses,
        undefined,
        repaired,
        changed: original != patched,
    }
}

/// Runs the judges on the originals and the repairs of one backend's flagged files.
pub fn judge_row(
    files: &[(RepairedFile, String)],
    sources: &[Source],
    semgrep_config: &str,
) -> Vec<JudgeReport> {
    let originals: Vec<(String, &str)> = files
        .iter()
        .filter_map(|(f, _)| {
            sources
                .iter()
                .find(|s| s.file == f.file)
                .map(|s| (f.file.clone(), s.text.as_str()))
        })
        .collect();
    let repaired: Vec<(String, &str)> = files
        .iter()
        .map(|(f, text)| (f.file.clone(), text.as_str()))
        .collect();
    let verdicts: Vec<(String, bool)> = files
        .iter()
        .map(|(f, _)| (f.file.clone(), f.repaired))
        .collect();
    [JudgeKind::Bandit, JudgeKind::Semgrep]
        .into_iter()
        .map(|k| judge::compare(k, &originals, &repaired, &verdicts, semgrep_config))
        .collect()
}

impl FixReport {
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn to_markdown(&self) -> String {
        render::markdown(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::FixProposal;
    use crate::rules::Catalog;

    #[test]
    fn a_repair_counts_only_when_every_finding_is_gone_and_names_hold() {
        let e = Engine::new(Catalog::embedded().unwrap()).unwrap();
        let original = "import yaml\n\n\ndef read(d):\n    return yaml.load(d)\n";
        let mut targets = e.scan_source("r.py", original).findings;
        assert_eq!(targets.len(), 1);
        targets[0].fix = Some(FixProposal {
            start_line: 5,
            end_line: 5,
            original: String::new(),
            replacement: String::new(),
            why: String::new(),
            verified: true,
            rounds: 1,
            source: "template".into(),
            imports: Vec::new(),
        });
        let good = original.replace("yaml.load", "yaml.safe_load");
        let rescan = e.scan_source("r.py", &good).findings;
        let m = measure(original, &good, &targets, &rescan, "r.py");
        assert!(m.repaired && m.changed && m.parses, "{m:?}");
        assert_eq!(m.by_source, BTreeMap::from([("template".to_string(), 1)]));
        // A "fix" that leaves a name undefined is no repair, even with the finding gone.
        let broken = original.replace("yaml.load(d)", "safe_load(d)");
        let m = measure(original, &broken, &targets, &[], "r.py");
        assert!(!m.repaired);
        assert_eq!(m.undefined, ["safe_load"]);
        // Nor is one that does not parse, or leaves a finding.
        let m = measure(original, "def read(d:\n", &targets, &[], "r.py");
        assert!(!m.parses && !m.repaired);
        let m = measure(original, original, &targets, &targets, "r.py");
        assert!(!m.repaired && m.remaining == 1 && !m.changed);
    }
}
