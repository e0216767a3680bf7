//! `pyward bench`: scoring backends on a labelled dataset.
//!
//! * [`dataset`] loads a directory of Python files plus a labels CSV (`file,vulnerable,cwe`);
//! * [`metrics`] turns per-file predictions into a confusion matrix and its ratios;
//! * [`worker`] measures one backend, in a child process of its own ([`worker::spawn`]);
//! * [`report`] combines measurements, scores and [`prices`] into rows, rendered as Markdown
//!   or JSON; [`plot`] draws F1 against seconds per file;
//! * [`spec`] parses `--backend` values;
//! * [`fix`] repairs the vulnerable files and measures the repairs (`bench --fix`).
//!
//! [`run`] is the parent's side: it loads the dataset, runs one worker per backend (one after
//! the other, so they do not compete for the CPU) and scores each.

pub mod dataset;
pub mod fix;
pub mod markdown;
pub mod metrics;
pub mod plot;
pub mod prices;
pub mod report;
pub mod spec;
pub mod worker;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use spec::{BackendSpec, SpecError};

use crate::finding::Severity;
use dataset::DatasetError;
use metrics::MetricsError;
use prices::{PriceError, PriceTable};
use report::{BenchReport, BenchRow, BENCH_FORMAT_VERSION};

/// Why a bench run failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error(transparent)]
    Prices(#[from] PriceError),
    #[error(transparent)]
    Plot(#[from] plot::PlotError),
    #[error("scoring failed: {0}")]
    Metrics(#[from] MetricsError),
    #[error("{}: {message}", path.display())]
    ReadFile { path: PathBuf, message: String },
    #[error("backend `{spec}` failed: {message}")]
    Worker { spec: String, message: String },
    #[error("nothing to measure: name a backend with --backend SPEC, or --static-only for the static engine")]
    NoBackend,
}

/// What the parent runs.
#[derive(Debug, Clone)]
pub struct BenchPlan {
    pub dataset: PathBuf,
    pub labels: PathBuf,
    /// In row order; duplicates are measured once.
    pub specs: Vec<BackendSpec>,
    pub threshold: Severity,
    pub device: String,
    pub threads: Option<u16>,
    pub seed: u64,
    pub prices: PriceTable,
    /// Chat template for local models that have none.
    pub chat_template: Option<PathBuf>,
    /// Tier override for model backends.
    pub model_tier: Option<u8>,
    /// `--stages` for model backends, as given.
    pub stages: Option<String>,
    /// Measure only this share of the dataset.
    pub shard: Option<crate::shard::Shard>,
    /// The pyward binary the workers run (the current executable).
    pub exe: PathBuf,
}

/// Loads the dataset, measures every backend in its own worker process and scores it.
/// `progress` is told which backend starts.
pub fn run(
    plan: &BenchPlan,
    ruleset_hash: &str,
    progress: &mut dyn FnMut(&BackendSpec, usize),
) -> Result<BenchReport, BenchError> {
    if plan.specs.is_empty() {
        return Err(BenchError::NoBackend);
    }
    let ds = dataset::load_share(&plan.dataset, &plan.labels, plan.shard)?;
    let mut specs: Vec<&BackendSpec> = Vec::new();
    for s in &plan.specs {
        if !specs.contains(&s) {
            specs.push(s);
        }
    }
    let mut rows = Vec::new();
    for spec in specs {
        progress(spec, ds.files.len());
        let args = worker::WorkerArgs {
            dataset: plan.dataset.clone(),
            labels: plan.labels.clone(),
            spec: spec.to_string(),
            threshold: plan.threshold.as_str().to_string(),
            device: plan.device.clone(),
            threads: plan.threads,
            seed: plan.seed,
            shard: plan.shard,
            model_tier: plan.model_tier,
            chat_template: plan.chat_template.clone(),
            stages: plan.stages.clone(),
        };
        let w = worker::spawn(&plan.exe, &args)?;
        let predictions: BTreeMap<String, metrics::Prediction> = w
            .files
            .iter()
            .map(|f| (f.file.clone(), f.prediction.clone()))
            .collect();
        if w.files.len() != ds.files.len() {
            return Err(BenchError::Worker {
                spec: spec.to_string(),
                message: format!(
                    "measured {} files, the dataset has {}",
                    w.files.len(),
                    ds.files.len()
                ),
            });
        }
        let m = metrics::score(&ds, &predictions)?;
        rows.push(BenchRow::new(&w, &m, &plan.prices));
    }
    Ok(BenchReport {
        version: BENCH_FORMAT_VERSION,
        tool_version: crate::report::TOOL_VERSION.to_string(),
        ruleset_hash: ruleset_hash.to_string(),
        dataset: crate::source::label_of(&plan.dataset),
        labels: crate::source::label_of(&plan.labels),
        threshold: plan.threshold.as_str().to_string(),
        shard: plan.shard.map(|s| s.to_string()),
        files: ds.files.len(),
        vulnerable: ds.vulnerable_count(),
        currency: plan.prices.currency.clone(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(specs: Vec<BackendSpec>) -> BenchPlan {
        BenchPlan {
            dataset: "nonexistent-dir".into(),
            labels: "nonexistent-dir/labels.csv".into(),
            specs,
            threshold: Severity::Low,
            device: "cpu".into(),
            threads: None,
            seed: 0,
            prices: PriceTable::default(),
            shard: None,
            model_tier: None,
            chat_template: None,
            stages: None,
            exe: "pyward".into(),
        }
    }

    #[test]
    fn refuses_empty_plans_and_bad_datasets_before_any_worker() {
        let mut never = |_: &BackendSpec, _: usize| panic!("no worker may start");
        assert!(matches!(
            run(&plan(vec![]), "h", &mut never),
            Err(BenchError::NoBackend)
        ));
        // A bad dataset is refused before any backend (even an unreachable server) starts.
        let openai: BackendSpec = "openai:http://127.0.0.1:1/v1#m".parse().unwrap();
        for specs in [vec![BackendSpec::Static], vec![BackendSpec::Static, openai]] {
            let e = run(&plan(specs), "h", &mut never).unwrap_err();
            assert!(
                matches!(e, BenchError::Dataset(DatasetError::ReadLabels { .. })),
                "{e}"
            );
        }
    }
}
