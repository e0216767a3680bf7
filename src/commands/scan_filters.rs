//! What narrows a scan's report beyond the rules: the configuration's `exclude` and
//! `per-file-ignores`, `--diff REF` (and `--diff-lines`), and baselines.

use std::path::{Path, PathBuf};

use crate::baseline::Baseline;
use crate::cli::ScanArgs;
use crate::commands::Error;
use crate::config::Project;
use crate::diff::Changes;
use crate::scan::ScanOutcome;
use crate::source::Input;

/// The filters of one `pyward scan`, prepared before anything is scanned (so a bad baseline
/// or git revision fails fast).
pub struct ScanFilters<'p> {
    project: &'p Project,
    changes: Option<Changes>,
    diff_lines: bool,
    baseline: Option<Baseline>,
}

impl<'p> ScanFilters<'p> {
    pub fn prepare(args: &ScanArgs, project: &'p Project) -> Result<Self, Error> {
        let w = &args.workflow;
        let changes = match &w.diff {
            Some(reference) => Some(Changes::since(
                reference,
                &start_dir(&args.paths),
                w.diff_lines,
            )?),
            None => None,
        };
        let baseline = match &w.baseline {
            Some(path) => Some(Baseline::load(path)?),
            None => None,
        };
        Ok(ScanFilters {
            project,
            changes,
            diff_lines: w.diff_lines,
            baseline,
        })
    }

    /// Whether `--diff` is in use.
    pub fn diffing(&self) -> bool {
        self.changes.is_some()
    }

    /// Drops the inputs the configuration excludes and, with `--diff`, the unchanged files.
    pub fn inputs(&self, inputs: &mut Vec<Input>) {
        inputs.retain(|i| self.project.keep_input(i));
        if let Some(changes) = &self.changes {
            inputs.retain(|i| match i {
                Input::File { path, .. } => changes.contains(path),
                Input::Stdin => true,
            });
        }
    }

    /// Drops the findings `per-file-ignores` and `--diff-lines` leave out.
    pub fn narrow(&self, outcome: &mut ScanOutcome) {
        outcome
            .findings
            .retain(|f| !self.project.ignores(&f.path, &f.rule_id));
        if let (Some(changes), true) = (&self.changes, self.diff_lines) {
            outcome.findings.retain(|f| {
                f.path == "-"
                    || changes.touches(Path::new(&f.path), f.span.start_line, f.span.end_line)
            });
        }
    }

    /// Uses `baseline` instead of the one given (after `--write-baseline`).
    pub fn set_baseline(&mut self, baseline: Baseline) {
        self.baseline = Some(baseline);
    }

    /// Drops the findings in the baseline; returns how many.
    pub fn apply_baseline(&self, outcome: &mut ScanOutcome) -> usize {
        self.baseline.as_ref().map_or(0, |b| b.filter(outcome))
    }
}

/// Where git runs: the first scanned path's directory (the current one for `-`).
fn start_dir(paths: &[PathBuf]) -> PathBuf {
    let Some(p) = paths.iter().find(|p| p.as_os_str() != "-") else {
        return PathBuf::from(".");
    };
    if p.is_dir() {
        return p.clone();
    }
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
