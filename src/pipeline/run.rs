//! Many files through the pipeline: the totals a run reports, and its progress display.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Backend, Cache, FileResult, PipelineOptions, Stage, StageStats};
use crate::rules::Engine;
use crate::scan::{read_input, sort_outcome, Diagnostic, ScanOutcome};
use crate::source::Input;

/// One file's result with the text it was computed on (for `fix`).
#[derive(Debug, Clone)]
pub struct FileRun {
    pub input: Input,
    pub text: String,
    pub result: FileResult,
}

/// What a multi-file run adds up to.
#[derive(Debug, Clone, Default)]
pub struct RunTotals {
    /// Reported findings, diagnostics and the number of files read.
    pub outcome: ScanOutcome,
    /// Findings withheld under the display options (speculative, rejected).
    pub withheld: usize,
    /// Files with a prompt-injection attempt.
    pub injections: usize,
    /// Files answered from the result cache.
    pub from_cache: usize,
    pub stats: StageStats,
    pub elapsed_ms: f64,
}

impl RunTotals {
    /// Adds one file's result.
    pub fn add(&mut self, r: &FileResult) {
        self.outcome.findings.extend(r.findings.iter().cloned());
        self.outcome
            .diagnostics
            .extend(r.diagnostics.iter().cloned());
        self.withheld += r.withheld.len();
        self.injections += usize::from(r.injection);
        if r.from_cache {
            // The cached result carries the counters of the run that computed it: nothing was
            // asked of the model this time.
            self.from_cache += 1;
            self.stats.cached_calls += r.stats.model_calls + r.stats.cached_calls;
        } else {
            self.stats.add(&r.stats);
        }
    }

    /// One line for standard error: model work, cache use, evidence-check discards.
    pub fn summary(&self, model: &str) -> String {
        let s = &self.stats;
        let mut line = format!(
            "pyward: pipeline with {model}: {} files in {:.1} s; {} model calls ({} cached), {} prompt + {} completion tokens",
            self.outcome.files_scanned,
            self.elapsed_ms / 1e3,
            s.model_calls,
            s.cached_calls,
            s.prompt_tokens,
            s.completion_tokens
        );
        if self.from_cache > 0 {
            line.push_str(&format!(
                "; {} files from the result cache",
                self.from_cache
            ));
        }
        if s.discarded() > 0 {
            line.push_str(&format!(
                "; evidence check discarded {} model claims ({} quotes not in the file, {} unknown CWEs, {} rule mismatches)",
                s.discarded(),
                s.discarded_quote,
                s.discarded_cwe,
                s.discarded_rule
            ));
        }
        if self.withheld > 0 {
            line.push_str(&format!("; {} findings withheld as speculative or rejected (--show-speculative shows the speculative ones)", self.withheld));
        }
        line
    }
}

/// Scans `inputs` one after the other (the model is one resource), calling `each` with every
/// file that could be read. Unreadable inputs become diagnostics in the totals; findings and
/// diagnostics come out in report order.
pub fn scan_inputs(
    engine: &Engine,
    mut backend: Option<&mut dyn Backend>,
    inputs: &[Input],
    max_file_size: u64,
    opts: &PipelineOptions,
    cache: &mut Cache,
    progress: &RunProgress,
    mut each: impl FnMut(FileRun, Option<&mut dyn Backend>, &mut Cache),
) -> RunTotals {
    let t0 = Instant::now();
    let mut totals = RunTotals::default();
    for input in inputs {
        progress.start_file(input.label());
        let text = match read_input(input, max_file_size) {
            Ok(t) => t,
            Err(d) => {
                totals.outcome.diagnostics.push(d);
                progress.file_done();
                continue;
            }
        };
        let result = super::scan_file_with_progress(
            engine,
            reborrow(&mut backend),
            input.label(),
            &text,
            opts,
            cache,
            &mut |stage, _, _| progress.stage(input.label(), stage),
        );
        totals.outcome.files_scanned += 1;
        totals.add(&result);
        each(
            FileRun {
                input: input.clone(),
                text,
                result,
            },
            reborrow(&mut backend),
            cache,
        );
        progress.file_done();
    }
    progress.finish();
    sort_outcome(&mut totals.outcome);
    totals.elapsed_ms = t0.elapsed().as_secs_f64() * 1e3;
    totals
}

/// One input's outcome in a parallel run, kept until all are in.
enum Slot<T> {
    Unread(Diagnostic),
    Scanned(Box<FileResult>, Option<T>),
}

/// [`scan_inputs`] with up to `workers` files in flight, for backends where a model call is
/// mostly waiting (a remote server). Each worker thread has its own clone of `backend` and its
/// own [`Cache::handle`] on the same directory; `each` runs on the worker right after its
/// file and what it returns is collected in input order. Results are added up in input order
/// and sorted as [`scan_inputs`] sorts them, so the report is byte-for-byte the sequential
/// one (for a deterministic backend). The cache's counters include the workers'.
#[allow(clippy::too_many_arguments)]
pub fn scan_inputs_parallel<B, T, F>(
    engine: &Engine,
    backend: &B,
    workers: usize,
    inputs: &[Input],
    max_file_size: u64,
    opts: &PipelineOptions,
    cache: &mut Cache,
    progress: &RunProgress,
    each: F,
) -> (RunTotals, Vec<T>)
where
    B: Backend + Clone + Sync,
    T: Send,
    F: Fn(&FileRun, Option<&mut dyn Backend>, &mut Cache) -> Option<T> + Sync,
{
    let t0 = Instant::now();
    let next = AtomicUsize::new(0);
    let workers = workers.clamp(1, inputs.len().max(1));
    let mut slots: Vec<(usize, Slot<T>)> = Vec::with_capacity(inputs.len());
    let mut handles: Vec<Cache> = Vec::with_capacity(workers);
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..workers)
            .map(|_| {
                let mut backend = backend.clone();
                let mut cache = cache.handle();
                let (next, each) = (&next, &each);
                s.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(input) = inputs.get(i) else { break };
                        progress.start_file(input.label());
                        let slot = match read_input(input, max_file_size) {
                            Err(d) => Slot::Unread(d),
                            Ok(text) => {
                                let result = super::scan_file_with_progress(
                                    engine,
                                    Some(&mut backend),
                                    input.label(),
                                    &text,
                                    opts,
                                    &mut cache,
                                    &mut |stage, _, _| progress.stage(input.label(), stage),
                                );
                                let run = FileRun {
                                    input: input.clone(),
                                    text,
                                    result,
                                };
                                let extra = each(&run, Some(&mut backend), &mut cache);
                                Slot::Scanned(Box::new(run.result), extra)
                            }
                        };
                        done.push((i, slot));
                        progress.file_done();
                    }
                    (done, cache)
                })
            })
            .collect();
        for t in threads {
            match t.join() {
                Ok((done, handle)) => {
                    slots.extend(done);
                    handles.push(handle);
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    progress.finish();
    for h in &handles {
        cache.absorb(h);
    }
    slots.sort_by_key(|(i, _)| *i);
    let mut totals = RunTotals::default();
    let mut collected = Vec::new();
    for (_, slot) in slots {
        match slot {
            Slot::Unread(d) => totals.outcome.diagnostics.push(d),
            Slot::Scanned(result, extra) => {
                totals.outcome.files_scanned += 1;
                totals.add(&result);
                collected.extend(extra);
            }
        }
    }
    sort_outcome(&mut totals.outcome);
    totals.elapsed_ms = t0.elapsed().as_secs_f64() * 1e3;
    (totals, collected)
}

/// A shorter-lived `Option<&mut dyn Backend>` from a longer-lived one (`as_deref_mut` cannot
/// shorten the trait object's lifetime bound).
fn reborrow<'s>(b: &'s mut Option<&mut dyn Backend>) -> Option<&'s mut dyn Backend> {
    match b {
        Some(b) => Some(&mut **b),
        None => None,
    }
}

/// A progress bar over files, showing the file and stage at work; hidden when disabled.
#[derive(Debug)]
pub struct RunProgress {
    bar: ProgressBar,
}

impl RunProgress {
    /// A bar over `files` files; drawn on stderr only when `enabled`.
    pub fn new(enabled: bool, files: usize) -> RunProgress {
        let target = if enabled {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(files as u64), target);
        if let Ok(style) = ProgressStyle::with_template(
            "[{elapsed_precise}] {bar:30} {pos}/{len} files  {wide_msg}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        RunProgress { bar }
    }

    /// A hidden bar.
    pub fn hidden() -> RunProgress {
        RunProgress::new(false, 0)
    }

    fn start_file(&self, label: &str) {
        self.bar.set_message(label.to_string());
    }

    /// Shows the stage now asking the model.
    pub fn stage(&self, label: &str, stage: Stage) {
        self.bar.set_message(format!("{label}: {}", stage.as_str()));
    }

    fn file_done(&self) {
        self.bar.inc(1);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{ScriptedBackend, Stage};
    use crate::report::{render, Format, RenderOptions, RunMeta};
    use crate::rules::Catalog;
    use serde_json::json;

    fn backend() -> ScriptedBackend {
        let mut b = ScriptedBackend::new();
        b.fallback(
            Stage::Guardrail,
            json!({"injection": false, "line": 0, "quote": ""}),
        )
        .fallback(Stage::Analyzer, json!({"issues": []}))
        .fallback(
            Stage::Calibration,
            json!({"verdict": "confirmed", "reason": "r", "sanitizer": ""}),
        );
        b
    }

    fn report(engine: &Engine, totals: &RunTotals) -> String {
        let opts = RenderOptions {
            meta: RunMeta::new(engine.catalog(), vec!["pyward".into()]),
            ..Default::default()
        };
        render(Format::Json, &totals.outcome, engine.catalog(), &opts)
    }

    #[test]
    fn parallel_runs_report_exactly_what_sequential_runs_report() {
        let d = tempfile::tempdir().unwrap();
        let engine = Engine::new(Catalog::embedded().unwrap()).unwrap();
        let mut inputs = Vec::new();
        for i in 0..7 {
            let label = format!("f{i}.py");
            let body = format!("import subprocess\nimport yaml\n\n\ndef run{i}(cmd, data):\n    subprocess.run(cmd, shell=True)\n    return yaml.load(data)\n");
            std::fs::write(d.path().join(&label), body).unwrap();
            inputs.push(Input::File {
                path: d.path().join(&label),
                label,
            });
        }
        inputs.insert(
            3,
            Input::File {
                label: "missing.py".into(),
                path: d.path().join("missing.py"),
            },
        );
        let opts = PipelineOptions::default();
        let progress = RunProgress::hidden();

        let mut b = backend();
        let mut cache = Cache::disabled();
        let seq = scan_inputs(
            &engine,
            Some(&mut b),
            &inputs,
            1 << 20,
            &opts,
            &mut cache,
            &progress,
            |_, _, _| {},
        );
        let seq_report = report(&engine, &seq);
        assert_eq!(seq.outcome.files_scanned, 7);
        assert_eq!(
            seq.outcome.diagnostics.len(),
            1,
            "{:?}",
            seq.outcome.diagnostics
        );

        for workers in [1, 3, 16] {
            let mut cache = Cache::new(
                d.path().join(format!("cache{workers}")),
                crate::pipeline::cache_identity(&engine, None),
            );
            let (par, labels) = scan_inputs_parallel(
                &engine,
                &backend(),
                workers,
                &inputs,
                1 << 20,
                &opts,
                &mut cache,
                &progress,
                |run, b, _| {
                    assert!(b.is_some());
                    Some(run.input.label().to_string())
                },
            );
            assert_eq!(report(&engine, &par), seq_report, "{workers} workers");
            assert_eq!(par.stats, seq.stats);
            let expected: Vec<String> = inputs
                .iter()
                .filter(|i| i.label() != "missing.py")
                .map(|i| i.label().to_string())
                .collect();
            assert_eq!(labels, expected, "collected in input order");
            assert!(
                cache.misses > 0 && cache.write_errors == 0,
                "the workers' cache counters are added up"
            );
            // A second run reads every file from the shared cache directory.
            let mut again = Cache::new(
                d.path().join(format!("cache{workers}")),
                cache.identity().clone(),
            );
            let (hit, _) = scan_inputs_parallel(
                &engine,
                &backend(),
                workers,
                &inputs,
                1 << 20,
                &opts,
                &mut again,
                &progress,
                |_, _, _| None::<()>,
            );
            assert_eq!(hit.from_cache, 7);
            assert_eq!(report(&engine, &hit), seq_report);
        }
    }
}
