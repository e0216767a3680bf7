//! A bench run's results: one [`BenchRow`] per backend, rendered as Markdown tables or JSON.
//!
//! Definitions (also in the README, "Benchmarking backends"):
//!
//! * quality: the confusion matrix and ratios of [`super::metrics`] at the run's threshold;
//! * `seconds_per_file`: the wall time of scanning every file (static engine and model calls,
//!   not the model load) divided by the number of files;
//! * per stage: the number of model calls and the p50/p95 latency of one call (nearest rank,
//!   [`super::metrics::percentile`]);
//! * `tokens_per_second`: prompt plus completion tokens per second of model time (the sum of
//!   the calls' latencies), and `completion_tokens_per_second` the completion tokens alone
//!   over the same time (prefill included, so it is lower than a pure decode rate);
//! * `peak_rss_mb`: the resident-set high-water mark of the backend's own worker process;
//! * `cost`: prompt and completion tokens priced by the `--prices` table;
//! * economy: `prompt_tokens_per_line` is the prompt tokens the model computed (not served from
//!   its prefix cache), run prefix included, over the source lines of the files scanned;
//!   `prefix_cache_share` the share of all prompt tokens served from the prefix cache;
//!   `calls_per_file` the questions computed per file; `parsed_share` the share of computed
//!   questions whose answer was usable (the rest were discarded or failed).

use serde::Serialize;

use super::metrics::{percentile, Metrics, Outcome};
use super::prices::PriceTable;
use super::worker::WorkerReport;
use crate::pipeline::{CallOutcome, Stage};

/// The JSON output's format version (additive changes keep it).
pub const BENCH_FORMAT_VERSION: u32 = 1;

/// Latency, tokens and outcomes of one stage's model calls.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageRow {
    pub stage: Stage,
    /// Questions the model computed.
    pub calls: usize,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub prompt_tokens: usize,
    /// Of `prompt_tokens`, served from the model's prefix cache.
    pub cached_prompt_tokens: usize,
    pub completion_tokens: usize,
    pub tokens_per_second: Option<f64>,
    /// Computed prompt tokens of this stage per source line.
    pub prompt_tokens_per_line: Option<f64>,
    pub calls_per_file: f64,
    /// Model seconds of this stage per file.
    pub seconds_per_file: f64,
    /// Share of computed questions whose answer was usable.
    pub parsed_share: Option<f64>,
    /// Computed questions whose answer was discarded or that failed.
    pub failed_calls: usize,
}

/// One scored file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileRow {
    pub file: String,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labelled_cwe: Option<u32>,
    pub reported_cwes: Vec<u32>,
    pub seconds: f64,
    /// Problems the scan reported for the file (e.g. a model stage that was skipped).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<String>,
}

/// Everything measured for one backend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchRow {
    /// A short name for tables and the plot: `static`, or `KIND:MODEL` with the model's
    /// reported name.
    pub name: String,
    /// The `--backend` spec as given.
    pub spec: String,
    pub kind: String,
    pub backend: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<u8>,
    pub files: usize,
    pub tp: usize,
    pub fp: usize,
    pub tn: usize,
    #[serde(rename = "fn")]
    pub fn_: usize,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub accuracy: f64,
    pub f1: Option<f64>,
    pub cwe_match_rate: Option<f64>,
    pub seconds_per_file: f64,
    pub total_seconds: f64,
    pub load_seconds: f64,
    pub model_calls: usize,
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    pub tokens_per_second: Option<f64>,
    pub completion_tokens_per_second: Option<f64>,
    /// Source lines of the files measured.
    pub source_lines: usize,
    /// Prompt tokens the model computed per source line (see the module docs).
    pub prompt_tokens_per_line: Option<f64>,
    /// Share of all prompt tokens served from the model's prefix cache.
    pub prefix_cache_share: Option<f64>,
    pub calls_per_file: f64,
    /// Share of computed questions whose answer was usable.
    pub parsed_share: Option<f64>,
    /// The stage plan the model ran under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    pub peak_rss_mb: Option<f64>,
    /// Estimated cost in the price table's currency; `None` when a hosted model has no price.
    pub cost: Option<f64>,
    /// Files with diagnostics (e.g. a model stage that failed and was skipped).
    pub files_with_diagnostics: usize,
    /// Stages that made model calls, in pipeline order.
    pub stages: Vec<StageRow>,
    pub per_file: Vec<FileRow>,
}

impl BenchRow {
    /// Combines a worker's measurements with their scores and the price table.
    pub fn new(w: &WorkerReport, m: &Metrics, prices: &PriceTable) -> BenchRow {
        let n = w.files.len();
        let total_us: u64 = w.files.iter().map(|f| f.elapsed_us).sum();
        let mut stats = crate::pipeline::StageStats::default();
        for f in &w.files {
            stats.add(&f.stats);
        }
        let model_us: u64 = stats.calls.iter().map(|c| c.elapsed_us).sum();
        let per_second =
            |tokens: usize, us: u64| (us > 0).then(|| tokens as f64 / (us as f64 / 1e6));
        let lines: usize = w.files.iter().map(|f| f.lines).sum();
        let per_line = |tokens: usize| (lines > 0).then(|| tokens as f64 / lines as f64);
        let per_file_avg = |x: f64| if n == 0 { 0.0 } else { x / n as f64 };
        let by_stage = stats.by_stage();
        let stages = Stage::ALL
            .iter()
            .filter_map(|&stage| {
                let t = by_stage.get(&stage)?;
                let ms: Vec<f64> = stats
                    .calls
                    .iter()
                    .filter(|c| c.stage == stage && c.outcome != CallOutcome::Cached)
                    .map(|c| c.elapsed_us as f64 / 1e3)
                    .collect();
                let parsed = t.outcomes.get(&CallOutcome::Parsed).copied().unwrap_or(0);
                Some(StageRow {
                    stage,
                    calls: t.calls,
                    p50_ms: percentile(&ms, 50.0),
                    p95_ms: percentile(&ms, 95.0),
                    prompt_tokens: t.prompt_tokens,
                    cached_prompt_tokens: t.cached_prompt_tokens,
                    completion_tokens: t.completion_tokens,
                    tokens_per_second: per_second(
                        t.prompt_tokens + t.completion_tokens,
                        t.elapsed_us,
                    ),
                    prompt_tokens_per_line: per_line(t.prompt_tokens - t.cached_prompt_tokens),
                    calls_per_file: per_file_avg(t.calls as f64),
                    seconds_per_file: per_file_avg(t.elapsed_us as f64 / 1e6),
                    parsed_share: t.parsed_share(),
                    failed_calls: t.calls - parsed,
                })
            })
            .collect();
        let names: Vec<&str> = w
            .model
            .iter()
            .map(String::as_str)
            .chain(model_of_spec(&w.spec))
            .collect();
        let cost = prices
            .price(&w.kind, &names)
            .map(|p| p.cost(stats.prompt_tokens, stats.completion_tokens));
        let name = match (&w.model, w.tier) {
            (Some(model), Some(tier)) => format!("{}:{model} (tier {tier})", w.kind),
            (Some(model), None) => format!("{}:{model}", w.kind),
            (None, _) => w.kind.clone(),
        };
        let per_file = m
            .files
            .iter()
            .zip(&w.files)
            .map(|(r, f)| FileRow {
                file: r.file.clone(),
                outcome: r.outcome,
                labelled_cwe: r.labelled_cwe,
                reported_cwes: r.reported_cwes.iter().copied().collect(),
                seconds: f.elapsed_us as f64 / 1e6,
                diagnostics: f.diagnostics.clone(),
            })
            .collect();
        BenchRow {
            name,
            spec: w.spec.clone(),
            kind: w.kind.clone(),
            backend: w.backend.clone(),
            model: w.model.clone(),
            model_sha256: w.model_sha256.clone(),
            tier: w.tier,
            files: n,
            tp: m.tp,
            fp: m.fp,
            tn: m.tn,
            fn_: m.fn_,
            precision: m.precision(),
            recall: m.recall(),
            accuracy: m.accuracy(),
            f1: m.f1(),
            cwe_match_rate: m.cwe_match_rate(),
            seconds_per_file: if n == 0 {
                0.0
            } else {
                total_us as f64 / 1e6 / n as f64
            },
            total_seconds: total_us as f64 / 1e6,
            load_seconds: w.load_ms / 1e3,
            model_calls: stats.model_calls,
            prompt_tokens: stats.prompt_tokens,
            completion_tokens: stats.completion_tokens,
            tokens_per_second: per_second(stats.prompt_tokens + stats.completion_tokens, model_us),
            completion_tokens_per_second: per_second(stats.completion_tokens, model_us),
            source_lines: lines,
            prompt_tokens_per_line: per_line(stats.computed_prompt_tokens()),
            prefix_cache_share: (stats.prompt_tokens > 0)
                .then(|| stats.cached_prompt_tokens as f64 / stats.prompt_tokens as f64),
            calls_per_file: per_file_avg(stats.model_calls as f64),
            parsed_share: (stats.model_calls > 0).then(|| {
                (stats.model_calls - stats.failed_calls) as f64 / stats.model_calls as f64
            }),
            plan: w.plan.clone(),
            peak_rss_mb: w.peak_rss_mb,
            cost,
            files_with_diagnostics: w.files.iter().filter(|f| !f.diagnostics.is_empty()).count(),
            stages,
            per_file,
        }
    }

    /// The quality fields only: what must not change between two runs of a deterministic
    /// backend (timings and memory do).
    pub fn quality(&self) -> Quality {
        let files = self
            .per_file
            .iter()
            .map(|f| (f.file.clone(), f.outcome, f.reported_cwes.clone()))
            .collect();
        (self.tp, self.fp, self.tn, self.fn_, files)
    }
}

/// A run's quality fields: tp, fp, tn, fn and each file's (path, outcome, reported CWEs).
pub type Quality = (usize, usize, usize, usize, Vec<(String, Outcome, Vec<u32>)>);

/// The model part of a spec (`local:MODEL`, `openai:URL#MODEL`).
fn model_of_spec(spec: &str) -> Option<&str> {
    let (kind, rest) = spec.split_once(':')?;
    match kind {
        "openai" => rest.rsplit_once('#').map(|(_, m)| m),
        _ => Some(rest),
    }
}

/// A whole bench run, as `--json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    pub version: u32,
    pub tool_version: String,
    pub ruleset_hash: String,
    pub dataset: String,
    pub labels: String,
    pub threshold: String,
    /// `K/N` when only a shard of the dataset was measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub files: usize,
    pub vulnerable: usize,
    pub currency: String,
    pub rows: Vec<BenchRow>,
}

impl BenchReport {
    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::dataset::{Dataset, LabelledFile};
    use crate::bench::metrics::{score, Prediction};
    use crate::bench::worker::FileMeasure;
    use crate::pipeline::{CallRecord, StageStats};
    use std::collections::BTreeMap;

    fn call(stage: Stage, ms: u64, p: usize, c: usize) -> CallRecord {
        CallRecord::new(
            stage,
            CallOutcome::Parsed,
            &crate::pipeline::Usage {
                prompt_tokens: p,
                cached_prompt_tokens: p / 2,
                completion_tokens: c,
                elapsed_ms: ms as f64,
            },
        )
    }

    fn file(
        name: &str,
        vulnerable: bool,
        cwes: &[u32],
        us: u64,
        calls: Vec<CallRecord>,
    ) -> FileMeasure {
        let mut stats = StageStats::default();
        for c in calls {
            stats.record(c);
        }
        FileMeasure {
            file: name.into(),
            prediction: Prediction {
                vulnerable,
                cwes: cwes.iter().copied().collect(),
            },
            elapsed_us: us,
            lines: 10,
            stats,
            diagnostics: Vec::new(),
        }
    }

    fn fixture() -> (WorkerReport, Metrics) {
        let ds = Dataset {
            dir: "d".into(),
            files: vec![
                LabelledFile {
                    file: "a.py".into(),
                    vulnerable: true,
                    cwe: Some(78),
                },
                LabelledFile {
                    file: "b.py".into(),
                    vulnerable: false,
                    cwe: None,
                },
            ],
        };
        let w = WorkerReport {
            spec: "openai:http://h/v1#gpt-x".into(),
            kind: "openai".into(),
            backend: "openai-compatible".into(),
            model: Some("gpt-x".into()),
            model_sha256: None,
            tier: Some(3),
            plan: Some("stages guardrail, calibration".into()),
            load_ms: 1500.0,
            peak_rss_mb: Some(42.0),
            files: vec![
                file(
                    "a.py",
                    true,
                    &[78],
                    3_000_000,
                    vec![
                        call(Stage::Guardrail, 100, 100, 10),
                        call(Stage::Analyzer, 2000, 1000, 100),
                        call(Stage::Calibration, 300, 200, 20),
                    ],
                ),
                file(
                    "b.py",
                    false,
                    &[],
                    1_000_000,
                    vec![
                        call(Stage::Guardrail, 200, 100, 10),
                        call(Stage::Analyzer, 600, 600, 60),
                    ],
                ),
            ],
        };
        let preds: BTreeMap<String, Prediction> = w
            .files
            .iter()
            .map(|f| (f.file.clone(), f.prediction.clone()))
            .collect();
        let m = score(&ds, &preds).unwrap();
        (w, m)
    }

    #[test]
    fn row_sums_tokens_times_and_stage_percentiles() {
        let (w, m) = fixture();
        let mut prices = PriceTable::default();
        prices.openai.insert(
            "gpt-x".into(),
            crate::bench::prices::Price {
                input_per_million: 1.0,
                output_per_million: 10.0,
            },
        );
        let r = BenchRow::new(&w, &m, &prices);
        assert_eq!(
            (r.name.as_str(), r.tier),
            ("openai:gpt-x (tier 3)", Some(3))
        );
        assert_eq!((r.tp, r.fp, r.tn, r.fn_), (1, 0, 1, 0));
        assert_eq!(
            (r.precision, r.recall, r.f1),
            (Some(1.0), Some(1.0), Some(1.0))
        );
        assert_eq!(r.seconds_per_file, 2.0);
        assert_eq!(r.total_seconds, 4.0);
        assert_eq!(r.load_seconds, 1.5);
        assert_eq!(
            (r.model_calls, r.prompt_tokens, r.completion_tokens),
            (5, 2000, 200)
        );
        // 2200 tokens over 3.2 s of model time; 200 completion tokens over the same.
        assert!((r.tokens_per_second.unwrap() - 2200.0 / 3.2).abs() < 1e-9);
        assert!((r.completion_tokens_per_second.unwrap() - 200.0 / 3.2).abs() < 1e-9);
        // 2000 input at 1/M + 200 output at 10/M.
        assert!((r.cost.unwrap() - 0.004).abs() < 1e-12);
        let stages: Vec<(Stage, usize, Option<f64>, Option<f64>)> = r
            .stages
            .iter()
            .map(|s| (s.stage, s.calls, s.p50_ms, s.p95_ms))
            .collect();
        assert_eq!(
            stages,
            vec![
                (Stage::Guardrail, 2, Some(100.0), Some(200.0)),
                (Stage::Analyzer, 2, Some(600.0), Some(2000.0)),
                (Stage::Calibration, 1, Some(300.0), Some(300.0)),
            ]
        );
        assert_eq!(r.per_file[0].seconds, 3.0);
        assert_eq!(r.per_file[0].outcome, Outcome::TruePositive);
        // Without a price a hosted model's cost is unknown.
        assert_eq!(BenchRow::new(&w, &m, &PriceTable::default()).cost, None);
    }

    #[test]
    fn static_rows_have_no_stages_and_no_rates() {
        let (mut w, m) = fixture();
        w.kind = "static".into();
        w.spec = "static".into();
        w.model = None;
        for f in &mut w.files {
            f.stats = StageStats::default();
        }
        let r = BenchRow::new(&w, &m, &PriceTable::default());
        assert_eq!(r.name, "static");
        assert!(r.stages.is_empty());
        assert_eq!((r.tokens_per_second, r.cost), (None, Some(0.0)));
        let report = BenchReport {
            version: BENCH_FORMAT_VERSION,
            tool_version: "0".into(),
            ruleset_hash: "h".into(),
            dataset: "d".into(),
            labels: "d/labels.csv".into(),
            threshold: "low".into(),
            shard: None,
            files: 2,
            vulnerable: 1,
            currency: "USD".into(),
            rows: vec![r],
        };
        let md = report.to_markdown();
        assert!(
            md.contains("| static | 2 | 1 | 0 | 1 | 0 | 1.000 | 1.000 | 1.000 | 1.000 | 1.000 |"),
            "{md}"
        );
        assert!(
            md.contains(
                "| static | 2.0000 | 4.00 | 1.50 | 0 | 0 | 0 | n/a | n/a | 42.0 | 0.0000 |"
            ),
            "{md}"
        );
        assert!(
            !md.contains("| stage |"),
            "no stage table without model calls: {md}"
        );
        let v: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(v["rows"][0]["fn"], 0);
        assert_eq!(v["rows"][0]["tokens_per_second"], serde_json::Value::Null);
        assert_eq!(v["rows"][0]["per_file"][0]["outcome"], "true_positive");
    }
}
