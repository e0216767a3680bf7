//! Many files through one [`Scanner`]: the one driver of every scan, static or with a model,
//! with the totals a run reports and its progress display.
//!
//! [`drive`] hands files to workers in input order and collects the results in input order,
//! so the report is the same whatever the number of workers: as many threads as asked for a
//! static scan, one for an in-process model (the model is one resource), several for a
//! server ([`Workers`]).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::scanner::ProgressEvent;
use super::{Backend, Cache, FileResult, Scanner, StageStats};
use crate::scan::{sort_outcome, Diagnostic, ScanOptions, ScanOutcome};
use crate::source::read_input;
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
    /// Lines of the files scanned (for tokens per line).
    pub source_lines: usize,
    /// What this run asked of the model (result-cache hits counted, not their old work).
    pub stats: StageStats,
    /// The model work the results rest on: this run's, and for files read from the result
    /// cache the work recorded when they were computed. The report shows this, so that it is
    /// the same whether or not the cache was warm.
    pub work: StageStats,
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
        self.work.add(&r.stats);
        if r.from_cache {
            // The cached result carries the counters of the run that computed it: nothing was
            // asked of the model this time.
            self.from_cache += 1;
            self.stats.cached_calls += r.stats.model_calls + r.stats.cached_calls;
        } else {
            self.stats.add(&r.stats);
        }
    }

    /// The model work behind the results, for the report (see [`Self::work`]).
    pub fn usage(&self) -> crate::report::RunUsage {
        use super::stats::CallOutcome as O;
        let mut u = crate::report::RunUsage {
            source_lines: self.source_lines,
            ..Default::default()
        };
        for (stage, t) in self.work.by_stage() {
            let n = |o| t.outcomes.get(&o).copied().unwrap_or(0);
            let s = crate::report::StageUsage {
                calls: t.calls,
                parsed: n(O::Parsed),
                repeated: n(O::Repeated),
                capped: n(O::Capped),
                invalid: n(O::Invalid),
                failed: n(O::Error),
                cached_calls: n(O::Cached),
                prompt_tokens: t.prompt_tokens,
                cached_prompt_tokens: t.cached_prompt_tokens,
                completion_tokens: t.completion_tokens,
            };
            u.total.add(&s);
            u.stages.insert(stage.as_str().to_string(), s);
        }
        u
    }

    /// Prompt tokens the model computed per source line (`None` without lines).
    pub fn tokens_per_line(&self) -> Option<f64> {
        (self.source_lines > 0)
            .then(|| self.stats.computed_prompt_tokens() as f64 / self.source_lines as f64)
    }

    /// Lines for standard error: model work, cache use, discarded answers and evidence-check
    /// discards. The first line always; the second only when answers were discarded.
    pub fn summary(&self, model: &str) -> String {
        let s = &self.stats;
        let mut line = format!(
            "pyward: pipeline with {model}: {} files in {:.1} s; {} model calls ({} from the result cache), {} prompt tokens computed ({} reused from the prefix cache), {} completion tokens",
            self.outcome.files_scanned,
            self.elapsed_ms / 1e3,
            s.model_calls,
            s.cached_calls,
            s.computed_prompt_tokens(),
            s.cached_prompt_tokens,
            s.completion_tokens
        );
        if let Some(t) = self.tokens_per_line().filter(|_| s.model_calls > 0) {
            line.push_str(&format!(" ({t:.1} prompt tokens per source line)"));
        }
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
        let failures = s.failure_summary();
        if !failures.is_empty() {
            line.push_str(&format!(
                "\npyward: {} (--verbose shows them)",
                failures.join("; ")
            ));
        }
        line
    }
}

/// Who answers the model's questions during a run.
pub enum Workers<'b> {
    /// No model: this many files at a time (0: one per CPU).
    Static { threads: usize },
    /// One in-process model: one file at a time, on the calling thread.
    One(&'b mut dyn Backend),
    /// A server: `n` files at a time, each worker with a backend of its own from `make`.
    Cloned {
        make: &'b (dyn Fn() -> Box<dyn Backend> + Sync),
        n: usize,
    },
}

/// What `each` is given after a file: the file, the worker's backend and cache. What it
/// returns is collected in input order.
pub type Each<'a, T> =
    &'a (dyn Fn(&FileRun, Option<&mut dyn Backend>, &mut Cache) -> Option<T> + Sync);

/// Stack size of worker threads: generous, as a safety margin for pathological inputs.
const WORKER_STACK: usize = 16 * 1024 * 1024;

/// One input's outcome, kept until all are in.
enum Slot<T> {
    Unread(Diagnostic),
    Scanned(Box<FileResult>, usize, Option<T>),
}

/// Scans `inputs` with `scanner`, calling `each` after every file that could be read.
/// Unreadable inputs become diagnostics; findings and diagnostics come out in report order,
/// the same whatever `workers` is (for a deterministic backend). The cache's counters include
/// every worker's.
pub fn drive<T: Send>(
    scanner: &Scanner,
    workers: Workers,
    inputs: &[Input],
    max_file_size: u64,
    cache: &mut Cache,
    progress: &RunProgress,
    each: Each<T>,
) -> (RunTotals, Vec<T>) {
    let t0 = Instant::now();
    let next = AtomicUsize::new(0);
    let work = |mut backend: Option<&mut dyn Backend>, cache: &mut Cache| {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(input) = inputs.get(i) else { break };
            progress.start_file(input.label());
            let slot = match read_input(input, max_file_size) {
                Err(d) => Slot::Unread(d),
                Ok(text) => {
                    let result = scanner.scan_file(
                        crate::pipeline::backend::reborrow(&mut backend),
                        cache,
                        input.label(),
                        &text,
                        &mut |e| progress.event(input.label(), e),
                    );
                    let lines = text.lines().count();
                    let run = FileRun {
                        input: input.clone(),
                        text,
                        result,
                    };
                    let extra = each(
                        &run,
                        crate::pipeline::backend::reborrow(&mut backend),
                        cache,
                    );
                    Slot::Scanned(Box::new(run.result), lines, extra)
                }
            };
            done.push((i, slot));
            progress.file_done();
        }
        done
    };
    let mut slots = Vec::with_capacity(inputs.len());
    match workers {
        Workers::One(b) => slots = work(Some(b), cache),
        Workers::Static { threads } => {
            let n = if threads == 0 {
                std::thread::available_parallelism().map_or(1, |n| n.get())
            } else {
                threads
            };
            in_threads(n.min(inputs.len()).max(1), cache, &mut slots, |c| {
                work(None, c)
            });
        }
        Workers::Cloned { make, n } => {
            in_threads(n.clamp(1, inputs.len().max(1)), cache, &mut slots, |c| {
                let mut b = make();
                work(Some(&mut *b), c)
            });
        }
    }
    progress.finish();
    slots.sort_by_key(|(i, _)| *i);
    join_project(&mut slots, scanner, max_file_size);
    let mut totals = RunTotals::default();
    let mut collected = Vec::new();
    for (_, slot) in slots {
        match slot {
            Slot::Unread(d) => totals.outcome.diagnostics.push(d),
            Slot::Scanned(result, lines, extra) => {
                totals.outcome.files_scanned += 1;
                totals.source_lines += lines;
                totals.add(&result);
                collected.extend(extra);
            }
        }
    }
    sort_outcome(&mut totals.outcome);
    totals.elapsed_ms = t0.elapsed().as_secs_f64() * 1e3;
    (totals, collected)
}

/// The project-wide taint join over the scanned files (see [`crate::rules::project`]), and
/// the scanner's context files (other shards), scanned statically for their facts only.
fn join_project<T>(slots: &mut [(usize, Slot<T>)], scanner: &Scanner, max_file_size: u64) {
    let mut context = context_results(scanner, max_file_size);
    let mut results: Vec<&mut FileResult> = slots
        .iter_mut()
        .filter_map(|(_, s)| match s {
            Slot::Scanned(r, _, _) => Some(&mut **r),
            Slot::Unread(_) => None,
        })
        .collect();
    results.extend(context.iter_mut());
    join_results(&mut results);
}

/// The scanner's context files (other shards), scanned statically for their taint facts
/// only: results without findings, to join with.
pub fn context_results(scanner: &Scanner, max_file_size: u64) -> Vec<FileResult> {
    scanner
        .context()
        .iter()
        .filter_map(|input| {
            let text = read_input(input, max_file_size).ok()?;
            let scan = scanner.engine().scan_source(input.label(), &text);
            Some(FileResult {
                path: input.label().to_string(),
                facts: scan.facts,
                ..Default::default()
            })
        })
        .collect()
}

/// [`crate::rules::project::join`] over file results, when any of them has facts.
pub fn join_results(results: &mut [&mut FileResult]) {
    if results
        .iter()
        .all(|r| r.facts.pending.is_empty() && r.facts.calls_out.is_empty())
    {
        return;
    }
    let mut files: Vec<crate::rules::project::ProjectFile> = results
        .iter_mut()
        .map(|r| {
            let r = &mut **r;
            crate::rules::project::ProjectFile {
                path: &r.path,
                findings: &mut r.findings,
                facts: &r.facts,
            }
        })
        .collect();
    crate::rules::project::join(&mut files);
}

/// Runs `work` on `n` scoped threads, each with its own handle on `cache`, and gathers what
/// they return into `slots`; the handles' counters are added back to `cache`.
fn in_threads<S: Send>(
    n: usize,
    cache: &mut Cache,
    slots: &mut Vec<S>,
    work: impl Fn(&mut Cache) -> Vec<S> + Sync,
) {
    let mut handles = Vec::with_capacity(n);
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..n)
            .map(|_| {
                let mut c = cache.handle();
                let work = &work;
                std::thread::Builder::new()
                    .stack_size(WORKER_STACK)
                    .spawn_scoped(s, move || (work(&mut c), c))
            })
            .collect();
        for t in threads {
            match t {
                Ok(t) => match t.join() {
                    Ok((done, handle)) => {
                        slots.extend(done);
                        handles.push(handle);
                    }
                    Err(panic) => std::panic::resume_unwind(panic),
                },
                // No thread: this one does the work.
                Err(_) => slots.extend(work(cache)),
            }
        }
    });
    for h in &handles {
        cache.absorb(h);
    }
}

/// A static scan of files and directories (`-` = standard input) with `scanner`'s engine:
/// the same driver, input checks, guardrail and order as a model scan, on `opts.jobs`
/// threads. Walk problems and unreadable inputs become diagnostics.
pub fn scan_paths(
    scanner: &Scanner,
    paths: &[std::path::PathBuf],
    opts: &ScanOptions,
) -> ScanOutcome {
    let (inputs, walk_diagnostics) = crate::source::discover(paths, opts);
    let (mut totals, _) = drive::<()>(
        scanner,
        Workers::Static {
            threads: opts.jobs.unwrap_or(0),
        },
        &inputs,
        opts.max_file_size,
        &mut Cache::disabled(),
        &RunProgress::hidden(),
        &|_, _, _| None,
    );
    totals.outcome.diagnostics.extend(walk_diagnostics);
    sort_outcome(&mut totals.outcome);
    totals.outcome
}

/// A progress bar over files on standard error: files done of all, the file and stage at
/// work, model tokens per second and the time left; hidden when disabled.
#[derive(Debug)]
pub struct RunProgress {
    bar: ProgressBar,
    tokens: AtomicU64,
    started: Instant,
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
            "[{elapsed_precise}] {bar:25} {pos}/{len} files, {eta} left  {wide_msg}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        RunProgress {
            bar,
            tokens: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    /// A hidden bar.
    pub fn hidden() -> RunProgress {
        RunProgress::new(false, 0)
    }

    fn start_file(&self, label: &str) {
        self.bar.set_message(label.to_string());
    }

    /// A model question of `label` was answered.
    pub fn event(&self, label: &str, e: ProgressEvent) {
        let total = self.tokens.fetch_add(e.tokens as u64, Ordering::Relaxed) + e.tokens as u64;
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        self.bar.set_message(format!(
            "{label}: {} ({:.0} model tok/s)",
            e.stage.as_str(),
            total as f64 / secs
        ));
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
    use crate::pipeline::{PipelineOptions, ScriptedBackend};
    use crate::report::{render, Format, RenderOptions, RunMeta};
    use crate::rules::{Catalog, Engine};

    fn backend() -> ScriptedBackend {
        ScriptedBackend::quiet()
    }

    fn report(engine: &Engine, totals: &RunTotals) -> String {
        let opts = RenderOptions {
            meta: RunMeta::new(engine.catalog(), vec!["pyward".into()]),
            ..Default::default()
        };
        render(Format::Json, &totals.outcome, engine.catalog(), &opts)
    }

    #[test]
    fn every_worker_count_reports_exactly_what_one_worker_reports() {
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
        let scanner = Scanner::new(&engine, PipelineOptions::for_tier(2));
        let progress = RunProgress::hidden();

        let mut b = backend();
        let (seq, _) = drive::<()>(
            &scanner,
            Workers::One(&mut b),
            &inputs,
            1 << 20,
            &mut Cache::disabled(),
            &progress,
            &|_, _, _| None,
        );
        let seq_report = report(&engine, &seq);
        assert_eq!(seq.outcome.files_scanned, 7);
        assert_eq!(seq.source_lines, 7 * 7);
        assert_eq!(
            seq.stats.model_calls, 7,
            "one calibration question per file"
        );
        assert_eq!(
            seq.outcome.diagnostics.len(),
            1,
            "{:?}",
            seq.outcome.diagnostics
        );

        let make = || Box::new(backend()) as Box<dyn Backend>;
        for workers in [1, 3, 16] {
            let mut cache = Cache::new(
                d.path().join(format!("cache{workers}")),
                crate::pipeline::cache_identity(&engine, None),
            );
            let (par, labels) = drive(
                &scanner,
                Workers::Cloned {
                    make: &make,
                    n: workers,
                },
                &inputs,
                1 << 20,
                &mut cache,
                &progress,
                &|run, b, _| {
                    assert!(b.is_some());
                    Some(run.input.label().to_string())
                },
            );
            assert_eq!(report(&engine, &par), seq_report, "{workers} workers");
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
            let (hit, _) = drive::<()>(
                &scanner,
                Workers::Cloned {
                    make: &make,
                    n: workers,
                },
                &inputs,
                1 << 20,
                &mut again,
                &progress,
                &|_, _, _| None,
            );
            assert_eq!(hit.from_cache, 7);
            assert_eq!(report(&engine, &hit), seq_report);
        }

        // Static: any number of threads, the same report, the static guardrail included.
        let statics: Vec<String> = [1, 2, 5]
            .iter()
            .map(|&threads| {
                let (t, _) = drive::<()>(
                    &scanner,
                    Workers::Static { threads },
                    &inputs,
                    1 << 20,
                    &mut Cache::disabled(),
                    &progress,
                    &|_, _, _| None,
                );
                assert_eq!(t.stats, StageStats::default());
                report(&engine, &t)
            })
            .collect();
        assert!(statics.windows(2).all(|w| w[0] == w[1]));
    }
}
