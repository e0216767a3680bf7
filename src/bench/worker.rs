//! One backend's measurement, and the child process that runs it.
//!
//! Peak memory is a process-wide high-water mark, so `pyward bench` measures each backend in
//! a child process of its own binary (`pyward bench --worker --backend SPEC ...`), which
//! prints a [`WorkerReport`] as JSON on standard output. [`measure`] is what the child runs;
//! [`spawn`] is how the parent starts it and reads the report back.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::dataset::Dataset;
use super::metrics::Prediction;
use super::BenchError;
use crate::finding::Severity;
use crate::pipeline::{Backend, Cache, Scanner, StageStats};

/// What one file cost and what the scanner said about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileMeasure {
    /// The dataset-relative path (the label findings carried).
    pub file: String,
    pub prediction: Prediction,
    /// Wall time of the whole file (static engine and every model call), microseconds.
    pub elapsed_us: u64,
    /// Lines of the file.
    #[serde(default)]
    pub lines: usize,
    /// Model work on this file; `calls` holds one record per completion.
    pub stats: StageStats,
    /// Diagnostics the scan produced for the file (a model stage that was skipped, a syntax
    /// error), as messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<String>,
}

/// Everything a worker measured for one backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerReport {
    /// The `--backend` spec, as given.
    pub spec: String,
    /// `static`, `local` or `openai`.
    pub kind: String,
    /// The backend's name (`static`, `candle`, ...).
    pub backend: String,
    /// The model's reported name (absent for the static engine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_sha256: Option<String>,
    /// The capability tier the pipeline weighted the model's answers with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<u8>,
    /// The stage plan the model ran under (absent for the static engine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// Time to load the model, milliseconds (0 for the static engine).
    pub load_ms: f64,
    /// The worker process's resident-set high-water mark, MiB (`None` where the platform
    /// does not report it).
    pub peak_rss_mb: Option<f64>,
    /// One entry per labelled file, in dataset order.
    pub files: Vec<FileMeasure>,
}

/// Scans every labelled file, in dataset order, with `scanner` and the static engine alone
/// (`backend` `None`, as `pyward scan --static-only` does) or the model stages on `backend`,
/// with no result cache. A file that cannot be read is an error naming it. Files at or above
/// `threshold` make a file "predicted vulnerable".
pub fn measure(
    scanner: &Scanner,
    mut backend: Option<&mut dyn Backend>,
    dataset: &Dataset,
    threshold: Severity,
) -> Result<Vec<FileMeasure>, BenchError> {
    let mut scanned = Vec::with_capacity(dataset.files.len());
    let mut cache = Cache::disabled();
    for lf in &dataset.files {
        let path = dataset.path_of(lf);
        let text = crate::source::read_source(&path, 0).map_err(|e| BenchError::ReadFile {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let t0 = Instant::now();
        let r = scanner.scan_file(
            crate::pipeline::backend::reborrow(&mut backend),
            &mut cache,
            &lf.file,
            &text,
            &mut |_| {},
        );
        let elapsed_us = t0.elapsed().as_micros() as u64;
        scanned.push((lf.file.clone(), r, elapsed_us, text.lines().count()));
    }
    // Calls between the labelled files settle what each file alone leaves open.
    let mut context = crate::pipeline::run::context_results(scanner, 0);
    let mut results: Vec<&mut crate::pipeline::FileResult> =
        scanned.iter_mut().map(|(_, r, _, _)| r).collect();
    results.extend(context.iter_mut());
    crate::pipeline::run::join_results(&mut results);
    Ok(scanned
        .into_iter()
        .map(|(file, r, elapsed_us, lines)| FileMeasure {
            file,
            prediction: Prediction::from_findings(&r.findings, threshold),
            elapsed_us,
            lines,
            stats: r.stats,
            diagnostics: messages(&r.diagnostics),
        })
        .collect())
}

fn messages(diagnostics: &[crate::scan::Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| match d.line {
            Some(l) => format!("line {l}: {}", d.message),
            None => d.message.clone(),
        })
        .collect()
}

/// What the parent passes to a worker.
#[derive(Debug, Clone)]
pub struct WorkerArgs {
    pub dataset: PathBuf,
    pub labels: PathBuf,
    pub spec: String,
    /// `low`, `medium` or `high`.
    pub threshold: String,
    pub device: String,
    pub threads: Option<u16>,
    pub seed: u64,
    pub shard: Option<crate::shard::Shard>,
    pub model_tier: Option<u8>,
    pub chat_template: Option<PathBuf>,
    /// `--stages`, as given.
    pub stages: Option<String>,
}

impl WorkerArgs {
    /// The worker's command-line arguments (after the program name).
    pub fn to_args(&self) -> Vec<String> {
        let mut a = vec![
            "bench".to_string(),
            "--worker".to_string(),
            "--dataset".to_string(),
            self.dataset.to_string_lossy().into_owned(),
            "--labels".to_string(),
            self.labels.to_string_lossy().into_owned(),
            "--backend".to_string(),
            self.spec.clone(),
            "--threshold".to_string(),
            self.threshold.clone(),
            "--device".to_string(),
            self.device.clone(),
            "--seed".to_string(),
            self.seed.to_string(),
            "--quiet".to_string(),
        ];
        if let Some(s) = self.shard {
            a.push("--shard".to_string());
            a.push(s.to_string());
        }
        if let Some(t) = &self.chat_template {
            a.push("--chat-template".to_string());
            a.push(t.to_string_lossy().into_owned());
        }
        if let Some(t) = self.model_tier {
            a.push("--model-tier".to_string());
            a.push(t.to_string());
        }
        if let Some(t) = self.threads {
            a.push("--threads".to_string());
            a.push(t.to_string());
        }
        if let Some(s) = &self.stages {
            a.push("--stages".to_string());
            a.push(s.clone());
        }
        a
    }
}

/// Runs `exe bench --worker ...` and reads its report. A worker that fails is an error
/// carrying the end of its standard error.
pub fn spawn(exe: &Path, args: &WorkerArgs) -> Result<WorkerReport, BenchError> {
    let output = Command::new(exe)
        .args(args.to_args())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| BenchError::Worker {
            spec: args.spec.clone(),
            message: format!("cannot start {}: {e}", exe.display()),
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr
            .lines()
            .rev()
            .take(10)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(BenchError::Worker {
            spec: args.spec.clone(),
            message: format!("{}: {}", output.status, tail.join("\n")),
        });
    }
    serde_json::from_slice(&output.stdout).map_err(|e| BenchError::Worker {
        spec: args.spec.clone(),
        message: format!("unreadable report: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::dataset::LabelledFile;
    use crate::pipeline::{PipelineOptions, ScriptedBackend, Stage};
    use crate::rules::{Catalog, Engine};

    fn dataset(dir: &Path) -> Dataset {
        std::fs::write(
            dir.join("bad.py"),
            "import subprocess\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n",
        )
        .unwrap();
        std::fs::write(dir.join("good.py"), "def add(a, b):\n    return a + b\n").unwrap();
        Dataset {
            dir: dir.to_path_buf(),
            files: vec![
                LabelledFile {
                    file: "bad.py".into(),
                    vulnerable: true,
                    cwe: Some(78),
                },
                LabelledFile {
                    file: "good.py".into(),
                    vulnerable: false,
                    cwe: None,
                },
            ],
        }
    }

    fn scanner(engine: &Engine) -> Scanner<'_> {
        Scanner::new(
            engine,
            PipelineOptions::default().with_stages(&crate::pipeline::PlanStage::ALL),
        )
    }

    #[test]
    fn static_measure_predicts_from_findings_without_model_calls() {
        let d = tempfile::tempdir().unwrap();
        let ds = dataset(d.path());
        let engine = Engine::new(Catalog::embedded().unwrap()).unwrap();
        let m = measure(&scanner(&engine), None, &ds, Severity::Low).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].lines, m[1].lines), (4, 2));
        assert_eq!(
            (m[0].file.as_str(), m[0].prediction.vulnerable),
            ("bad.py", true)
        );
        assert!(m[0].prediction.cwes.contains(&78));
        assert!(!m[1].prediction.vulnerable);
        assert!(m
            .iter()
            .all(|f| f.stats.calls.is_empty() && f.stats.model_calls == 0));
        // A high threshold keeps only high-severity findings.
        assert!(
            measure(&scanner(&engine), None, &ds, Severity::High).unwrap()[0]
                .prediction
                .vulnerable
        );
    }

    #[test]
    fn pipeline_measure_records_one_call_per_completion_by_stage() {
        let d = tempfile::tempdir().unwrap();
        let ds = dataset(d.path());
        let engine = Engine::new(Catalog::embedded().unwrap()).unwrap();
        let mut b = ScriptedBackend::quiet();
        let m = measure(&scanner(&engine), Some(&mut b), &ds, Severity::Low).unwrap();
        for f in &m {
            assert_eq!(f.stats.calls.len(), f.stats.model_calls, "{}", f.file);
            let tokens: usize = f.stats.calls.iter().map(|c| c.prompt_tokens).sum();
            assert_eq!(tokens, f.stats.prompt_tokens);
        }
        let stages: Vec<Stage> = m[0].stats.calls.iter().map(|c| c.stage).collect();
        // In call order, which is pipeline order; the analyzer and calibration both asked.
        assert!(stages.windows(2).all(|w| w[0] <= w[1]), "{stages:?}");
        assert!(
            stages.contains(&Stage::Analyzer) && stages.contains(&Stage::Calibration),
            "{stages:?}"
        );
        assert_eq!(stages.len(), b.requests().len() - m[1].stats.calls.len());
        assert!(
            m[0].prediction.vulnerable,
            "a confirmed finding is reported"
        );
    }

    #[test]
    fn unreadable_files_are_errors_naming_them() {
        let d = tempfile::tempdir().unwrap();
        let mut ds = dataset(d.path());
        ds.files.push(LabelledFile {
            file: "gone.py".into(),
            vulnerable: false,
            cwe: None,
        });
        let engine = Engine::new(Catalog::embedded().unwrap()).unwrap();
        let e = measure(&scanner(&engine), None, &ds, Severity::Low).unwrap_err();
        assert!(e.to_string().contains("gone.py"), "{e}");
    }

    #[test]
    fn worker_arguments_round_trip_through_the_cli() {
        use clap::Parser;
        let a = WorkerArgs {
            dataset: "d".into(),
            labels: "d/l.csv".into(),
            spec: "local:m.gguf".into(),
            threshold: "medium".into(),
            device: "cpu".into(),
            threads: Some(2),
            seed: 7,
            shard: Some("2/5".parse().unwrap()),
            model_tier: Some(1),
            chat_template: Some("t.jinja".into()),
            stages: Some("analyzer,calibration".into()),
        };
        let argv = std::iter::once("pyward".to_string()).chain(a.to_args());
        let cli = crate::cli::Cli::try_parse_from(argv).unwrap();
        let crate::cli::Command::Bench(b) = cli.command else {
            panic!("not bench")
        };
        assert!(b.worker && b.quiet);
        assert_eq!(b.backends[0].to_string(), "local:m.gguf");
        assert_eq!(
            (b.threads, b.seed, b.labels.as_deref()),
            (Some(2), 7, Some(Path::new("d/l.csv")))
        );
        assert_eq!(b.threshold, crate::cli::FailOn::Medium);
        assert_eq!(b.shard.map(|s| s.to_string()).as_deref(), Some("2/5"));
        assert_eq!(b.model_tier, Some(1));
        assert_eq!(b.chat_template.as_deref(), Some(Path::new("t.jinja")));
        assert_eq!(
            b.stages.map(|s| s.0),
            Some(vec![
                crate::pipeline::PlanStage::Analyzer,
                crate::pipeline::PlanStage::Calibration
            ])
        );
    }
}
