//! The scanner: one file through the static engine, the guardrail and, with a backend, the
//! model stages of the plan. Static-only and model scans share everything up to the model:
//! the input checks, the static guardrail, suppressions and the order of findings.
//!
//! With a backend, each file view (the whole file, or its chunks when it does not fit the
//! model's context) is asked its questions one after the other: guardrail, analyzer,
//! calibration. The view's text is the prompt's file prefix, so the model computes it once for
//! all of them (see [`super::layout`]). Verdicts are fused with the static evidence at the end.

use super::ask::Asker;
use super::backend::{Backend, Stage};
use super::cache::{content_hash, Cache};
use super::calibration::{self, ModelOpinion, ModelVerdict};
use super::layout::{views, FileView, RunPrefix};
use super::plan::PlanStage;
use super::{
    analyzer, cache_identity, fusion, guardrail, stage_diagnostic, FileResult, PipelineError,
    PipelineOptions, StageStats,
};
use crate::finding::{Finding, Origin};
use crate::rules::Engine;
use crate::scan::Diagnostic;

/// What a file's scan tells its caller as it goes: a model question was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressEvent {
    pub stage: Stage,
    /// Tokens the backend computed for it (prompt and completion).
    pub tokens: usize,
}

/// The callback that receives [`ProgressEvent`]s.
pub type Progress<'a> = &'a mut dyn FnMut(ProgressEvent);

/// The rule engine, the pipeline options and the run-wide prompt prefix: everything that
/// scans a file, whatever drives it.
#[derive(Debug)]
pub struct Scanner<'e> {
    engine: &'e Engine,
    opts: PipelineOptions,
    run: RunPrefix,
    /// Files of the project outside this run (other shards): read for the taint join only.
    context: Vec<crate::source::Input>,
}

impl<'e> Scanner<'e> {
    pub fn new(engine: &'e Engine, opts: PipelineOptions) -> Scanner<'e> {
        let run = RunPrefix::new(engine.catalog());
        Scanner {
            engine,
            opts,
            run,
            context: Vec::new(),
        }
    }

    /// The project's other files (outside `--shard`): their calls into this run's files
    /// settle the cross-module taint findings, though they are not reported.
    pub fn with_context(mut self, context: Vec<crate::source::Input>) -> Self {
        self.context = context;
        self
    }

    pub fn context(&self) -> &[crate::source::Input] {
        &self.context
    }

    pub fn engine(&self) -> &'e Engine {
        self.engine
    }

    pub fn options(&self) -> &PipelineOptions {
        &self.opts
    }

    /// The system message every question of the run starts with.
    pub fn run_prefix(&self) -> &RunPrefix {
        &self.run
    }

    /// Scans one file: input checks, static engine, static guardrail, and with a backend the
    /// plan's model stages. Never fails: problems become diagnostics, and the static findings
    /// are always in the result (reported unless a verdict under the fusion policy withholds
    /// them).
    pub fn scan_file(
        &self,
        backend: Option<&mut dyn Backend>,
        cache: &mut Cache,
        label: &str,
        text: &str,
        progress: Progress,
    ) -> FileResult {
        let content_sha256 = content_hash(text);
        let (decision, mut diagnostics) = guardrail::check_input(label, text, &self.opts);
        if decision == guardrail::InputDecision::Skip {
            return FileResult {
                path: label.to_string(),
                content_sha256,
                diagnostics,
                ..Default::default()
            };
        }
        if decision == guardrail::InputDecision::StaticOnly && backend.is_none() {
            // The warning says the model skipped the file; no model runs here.
            diagnostics.clear();
        }
        let backend = backend.filter(|_| decision == guardrail::InputDecision::Analyse);
        let Some(backend) = backend else {
            let (findings, injection, facts) = self.static_findings(label, text, &mut diagnostics);
            return self.partition(FileResult {
                path: label.to_string(),
                content_sha256,
                findings,
                diagnostics,
                injection,
                facts,
                ..Default::default()
            });
        };

        let identity = cache_identity(self.engine, Some(&backend.describe()));
        if cache.identity() != &identity {
            cache.set_identity(identity);
        }
        let file_key = cache.is_enabled().then(|| {
            cache.key(
                "file",
                &[
                    label.as_bytes(),
                    content_sha256.as_bytes(),
                    self.opts.scan_fingerprint().as_bytes(),
                ],
            )
        });
        if let Some(mut hit) = file_key
            .as_ref()
            .and_then(|k| cache.get::<FileResult>("file", k))
        {
            // Cached with every finding in `findings`; split for this run's display options.
            return self.partition(FileResult {
                path: label.to_string(),
                content_sha256,
                findings: std::mem::take(&mut hit.findings),
                diagnostics: hit.diagnostics,
                injection: hit.injection,
                model_used: true,
                from_cache: true,
                stats: hit.stats,
                ..Default::default()
            });
        }

        let (findings, injection, _) = self.static_findings(label, text, &mut diagnostics);
        let mut stats = StageStats::default();
        let context = backend.context_length();
        let mut asker = Asker {
            backend,
            cache,
            stats: &mut stats,
            run: &self.run,
        };
        let mut file = FileRun {
            label,
            text,
            findings,
            opinions: Vec::new(),
            diagnostics,
        };
        for view in views(&self.run, label, text, context, self.opts.chunk_lines) {
            self.ask_view(&mut asker, &mut file, &view, progress);
        }
        let FileRun {
            mut findings,
            opinions,
            mut diagnostics,
            ..
        } = file;
        let injection = injection
            || findings
                .iter()
                .any(|f| guardrail::is_injection_rule(&f.rule_id) && f.suppressed.is_none());
        self.fuse(text, &mut findings, &opinions, injection);
        guardrail::sort_findings(&mut findings);
        diagnostics.sort_by_key(|d| d.line);
        // Cached with every finding in `findings`, whatever this run's display options.
        let all = FileResult {
            path: label.to_string(),
            content_sha256,
            findings,
            diagnostics,
            injection,
            model_used: true,
            stats,
            ..Default::default()
        };
        if let Some(k) = &file_key {
            cache.put("file", k, &all);
        }
        self.partition(all)
    }

    /// The static engine's findings with the static guardrail applied, and whether the file
    /// contains a prompt-injection attempt.
    fn static_findings(
        &self,
        label: &str,
        text: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> (Vec<Finding>, bool, crate::rules::project::ProjectFacts) {
        let mut scan = self.engine.scan_source(label, text);
        diagnostics.append(&mut scan.diagnostics);
        let injection = guardrail::apply_static(self.engine.catalog(), label, text, &mut scan);
        (scan.findings, injection, std::mem::take(&mut scan.facts))
    }

    /// The plan's questions about one view, in an order that keeps the view's prefix cached.
    fn ask_view(&self, asker: &mut Asker, file: &mut FileRun, view: &FileView, progress: Progress) {
        let plan = &self.opts.plan;
        let catalog = self.engine.catalog();
        let mut report = |asker: &Asker, stage, before: usize| {
            let tokens: usize = asker.stats.calls[before..]
                .iter()
                .map(|c| c.prompt_tokens - c.cached_prompt_tokens + c.completion_tokens)
                .sum();
            if asker.stats.calls.len() > before {
                progress(ProgressEvent { stage, tokens });
            }
        };
        if plan.runs(PlanStage::Guardrail) {
            let before = asker.stats.calls.len();
            let r = guardrail::ask_model(
                asker,
                catalog,
                file.text,
                view,
                &file.findings,
                &plan.guardrail,
                &self.opts,
            );
            match r {
                Ok(Some(f)) => file.findings.push(f),
                Ok(None) => {}
                Err(e) => file.warn(Stage::Guardrail, &e, view),
            }
            report(asker, Stage::Guardrail, before);
        }
        if plan.runs(PlanStage::Analyzer) {
            let before = asker.stats.calls.len();
            let statics: Vec<Finding> = file
                .findings
                .iter()
                .filter(|f| f.origin == Origin::Static)
                .cloned()
                .collect();
            let r = analyzer::analyze_view(
                asker,
                catalog,
                file.text,
                view,
                &statics,
                &plan.analyzer,
                self.opts.seed,
            );
            match r {
                Ok(out) => {
                    for (i, ex) in out.explanations {
                        let fp = &statics[i].fingerprint;
                        if let Some(f) = file
                            .findings
                            .iter_mut()
                            .find(|f| &f.fingerprint == fp && f.origin == Origin::Static)
                        {
                            f.explanation = Some(ex);
                        }
                    }
                    file.findings.extend(out.model_findings);
                }
                Err(e) => file.warn(Stage::Analyzer, &e, view),
            }
            report(asker, Stage::Analyzer, before);
        }
        if plan.runs(PlanStage::Calibration) {
            let before = asker.stats.calls.len();
            let asked: Vec<usize> = (0..file.findings.len())
                .filter(|&i| {
                    let f = &file.findings[i];
                    view.contains(f.span.start_line)
                        && f.verdict.is_none()
                        && !f.is_suppressed()
                        && !(guardrail::is_injection_rule(&f.rule_id) && f.origin == Origin::Static)
                })
                .collect();
            if !asked.is_empty() {
                let refs: Vec<&Finding> = asked.iter().map(|&i| &file.findings[i]).collect();
                let (ops, err) = calibration::calibrate_view(
                    asker,
                    catalog,
                    view,
                    &refs,
                    &plan.calibration,
                    self.opts.seed,
                );
                if let Some(e) = err {
                    file.warn(Stage::Calibration, &e, view);
                }
                for (i, op) in asked.into_iter().zip(ops) {
                    if let Some(op) = op {
                        file.opinions
                            .push((file.findings[i].fingerprint.clone(), i, op));
                    }
                }
            }
            report(asker, Stage::Calibration, before);
        }
    }

    /// Gives every finding without a verdict one, from its static evidence and the model's
    /// opinion (if any) under the fusion policy.
    fn fuse(
        &self,
        text: &str,
        findings: &mut [Finding],
        opinions: &[(String, usize, ModelOpinion)],
        injection: bool,
    ) {
        let catalog = self.engine.catalog();
        for (i, f) in findings.iter_mut().enumerate() {
            if f.verdict.is_some() || f.is_suppressed() {
                continue;
            }
            let opinion = opinions
                .iter()
                .find(|(fp, j, _)| *j == i && *fp == f.fingerprint)
                .map(|(_, _, o)| o);
            let sanitizer_verified = opinion.is_some_and(|o| {
                o.verdict == ModelVerdict::Rejected
                    && fusion::sanitizer_present(text, f, catalog.get(&f.rule_id), &o.sanitizer)
            });
            let ctx = fusion::FusionContext {
                tier: self.opts.tier,
                injection_file: injection,
                sanitizer_verified,
            };
            f.verdict = Some(fusion::fuse(f, opinion, ctx));
        }
    }

    /// Splits a result holding every finding of its file in `findings` into reported
    /// `findings` and `withheld` ones under the display options.
    fn partition(&self, mut r: FileResult) -> FileResult {
        let (findings, withheld): (Vec<Finding>, Vec<Finding>) = std::mem::take(&mut r.findings)
            .into_iter()
            .partition(|f| fusion::is_reported(f, self.opts.show_speculative));
        r.findings = findings;
        r.withheld = withheld;
        r
    }
}

/// One file's state while its views are asked about.
struct FileRun<'t> {
    label: &'t str,
    text: &'t str,
    findings: Vec<Finding>,
    /// Calibration opinions: (fingerprint, index in `findings`, opinion).
    opinions: Vec<(String, usize, ModelOpinion)>,
    diagnostics: Vec<Diagnostic>,
}

impl FileRun<'_> {
    /// A diagnostic for a stage that failed on a view. Discarded answers are counted in the
    /// statistics, not reported per file.
    fn warn(&mut self, stage: Stage, e: &PipelineError, view: &FileView) {
        if matches!(e, PipelineError::Discarded { .. }) {
            return;
        }
        let line = (view.start_line > 1).then_some(view.start_line);
        self.diagnostics
            .push(stage_diagnostic(self.label, stage, e, line));
    }
}
