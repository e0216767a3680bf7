//! The four-stage LLM pipeline: guardrail → analyzer → (evidence check) → calibration →
//! fixer, joined to the static engine.
//!
//! * [`scan_file`] runs the static engine and, when a [`Backend`] is given, the guardrail,
//!   analyzer, evidence check and calibration on one file, fusing the model's opinions with
//!   the static evidence under the policy in [`fusion`]. Without a backend it is the static
//!   engine plus the guardrail's static prompt-injection checks.
//! * [`fix_file`](fixer::fix_file) repairs confirmed findings, verifying each repair by
//!   re-scanning (see [`fixer`] and [`verify`]).
//!
//! Every model question is narrow (one chunk and its relevant rules, one finding, one region),
//! answered as JSON constrained by a small bounded schema ([`schema_of`]); the scanned code is
//! always quoted as data ([`prompts`]). Model failures become diagnostics: the static
//! findings are always reported.

pub mod analyzer;
pub mod backend;
pub mod cache;
pub mod calibration;
pub mod chunk;
pub mod evidence;
pub mod fixer;
pub mod fusion;
pub mod guardrail;
pub mod names;
pub mod prompts;
pub mod run;
pub mod template;
pub mod verify;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use backend::{
    Backend, BackendError, BackendInfo, CompletionRequest, CompletionResponse, ScriptedBackend,
    Stage,
};
pub use cache::{Cache, CacheIdentity};
pub use fixer::{fix_file, write_fixed, FixError, FixResult};

use crate::finding::Finding;
use crate::rules::Engine;
use crate::scan::{Diagnostic, DiagnosticLevel};

/// How the pipeline runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineOptions {
    /// The model's capability tier, 1 (tiny) … 3 (capable), from its manifest.
    pub tier: u8,
    /// Seed for every model call (fix candidates use `seed + i`).
    pub seed: u64,
    /// Report speculative findings too.
    pub show_speculative: bool,
    /// Ask the model the guardrail's prompt-injection question.
    pub guardrail_model: bool,
    /// Run the analyzer stage.
    pub analyzer: bool,
    /// Run the calibration stage.
    pub calibration: bool,
    /// Longest chunk shown to the analyzer, in lines.
    pub chunk_lines: usize,
    /// Files larger than this (bytes) are analysed statically only (`0` = no limit).
    pub max_model_bytes: usize,
    pub analyzer_max_tokens: usize,
    pub calibration_max_tokens: usize,
    pub fixer_max_tokens: usize,
    /// Fixer rounds per finding (`--max-rounds`).
    pub max_rounds: usize,
    /// Model fix candidates per round (`--candidates`).
    pub candidates: usize,
    /// Sampling temperature of fix candidates (> 0 so candidates differ).
    pub fix_temperature: f32,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            tier: 1,
            seed: 0,
            show_speculative: false,
            guardrail_model: true,
            analyzer: true,
            calibration: true,
            chunk_lines: 60,
            max_model_bytes: 256 * 1024,
            analyzer_max_tokens: 384,
            calibration_max_tokens: 96,
            fixer_max_tokens: 512,
            max_rounds: 3,
            candidates: 1,
            fix_temperature: 0.7,
        }
    }
}

impl PipelineOptions {
    /// The options that change scan results (not fixing or display), for cache keys.
    fn scan_fingerprint(&self) -> String {
        format!(
            "tier={};seed={};g={};a={};c={};chunk={};max={};at={};ct={}",
            self.tier,
            self.seed,
            self.guardrail_model,
            self.analyzer,
            self.calibration,
            self.chunk_lines,
            self.max_model_bytes,
            self.analyzer_max_tokens,
            self.calibration_max_tokens
        )
    }
}

/// Errors inside the pipeline. Most become diagnostics; none hides a static finding.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("{stage} prompt: {message}")]
    Prompt {
        stage: &'static str,
        message: String,
    },
    #[error("{stage} stage: {source}")]
    Backend {
        stage: &'static str,
        source: BackendError,
    },
    #[error("{stage} stage: the model's answer was not usable: {message}")]
    BadAnswer {
        stage: &'static str,
        message: String,
    },
}

/// Counters of one file's pipeline run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageStats {
    /// Completions computed by the backend.
    pub model_calls: usize,
    /// Completions read from the cache.
    pub cached_calls: usize,
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    /// Model time, milliseconds (rounded).
    pub model_ms: u64,
    /// Model claims discarded by the evidence check, by reason.
    pub discarded_quote: usize,
    pub discarded_cwe: usize,
    pub discarded_rule: usize,
    /// Answers that did not deserialize.
    pub bad_answers: usize,
    /// One record per completion the backend computed (cache hits are not calls), in call
    /// order: the per-stage latencies `pyward bench` reports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<CallRecord>,
}

/// One completion computed by the backend: which stage asked, its tokens and its latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    pub stage: Stage,
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    /// Wall time of the call as the backend measured it, microseconds.
    pub elapsed_us: u64,
}

impl StageStats {
    fn count_discard(&mut self, r: evidence::DiscardReason) {
        use evidence::DiscardReason::*;
        match r {
            QuoteTooShort | QuoteNotFound => self.discarded_quote += 1,
            UnknownCwe => self.discarded_cwe += 1,
            RuleMismatch => self.discarded_rule += 1,
        }
    }

    /// Claims discarded by the evidence check.
    pub fn discarded(&self) -> usize {
        self.discarded_quote + self.discarded_cwe + self.discarded_rule
    }

    /// Adds another file's counters.
    pub fn add(&mut self, o: &StageStats) {
        self.model_calls += o.model_calls;
        self.cached_calls += o.cached_calls;
        self.prompt_tokens += o.prompt_tokens;
        self.completion_tokens += o.completion_tokens;
        self.model_ms += o.model_ms;
        self.discarded_quote += o.discarded_quote;
        self.discarded_cwe += o.discarded_cwe;
        self.discarded_rule += o.discarded_rule;
        self.bad_answers += o.bad_answers;
        self.calls.extend_from_slice(&o.calls);
    }
}

/// What the pipeline produced for one file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileResult {
    pub path: String,
    /// SHA-256 of the scanned text (`pyward fix --write` refuses if the file changed).
    pub content_sha256: String,
    /// Findings to report (suppressed ones included, marked), sorted and fingerprinted.
    pub findings: Vec<Finding>,
    /// Findings not reported under the options: speculative (without
    /// `show_speculative`) and rejected, with their verdicts.
    pub withheld: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
    /// The file contains a prompt-injection attempt.
    pub injection: bool,
    /// The model took part (false: static only).
    pub model_used: bool,
    /// Read from the result cache (no work done).
    #[serde(skip)]
    pub from_cache: bool,
    pub stats: StageStats,
}

impl FileResult {
    /// Every finding, reported and withheld, in order.
    pub fn all_findings(&self) -> Vec<Finding> {
        let mut v: Vec<Finding> = self
            .findings
            .iter()
            .chain(&self.withheld)
            .cloned()
            .collect();
        v.sort_by(|a, b| {
            (
                a.span.start_line,
                a.span.start_column,
                &a.rule_id,
                &a.fingerprint,
            )
                .cmp(&(
                    b.span.start_line,
                    b.span.start_column,
                    &b.rule_id,
                    &b.fingerprint,
                ))
        });
        v
    }
}

/// The JSON Schema of a stage's answer type: subschemas inlined, no `$schema` or `format`
/// keywords (constrained decoders need only the structure).
pub fn schema_of<T: JsonSchema>() -> serde_json::Value {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator()
        .into_root_schema_for::<T>();
    let mut v = schema.to_value();
    strip_keywords(&mut v);
    v
}

fn strip_keywords(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.remove("$schema");
            if m.get("format").is_some_and(|f| f.is_string()) {
                m.remove("format");
            }
            for x in m.values_mut() {
                strip_keywords(x);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_keywords),
        _ => {}
    }
}

/// Runs a completion through the result cache.
pub fn complete_cached(
    backend: &mut dyn Backend,
    req: &CompletionRequest,
    cache: &mut Cache,
    stats: &mut StageStats,
) -> Result<CompletionResponse, PipelineError> {
    let key = cache
        .is_enabled()
        .then(|| cache.key("llm", &[&serde_json::to_vec(req).unwrap_or_default()]));
    if let Some(k) = &key {
        if let Some(hit) = cache.get::<CompletionResponse>("llm", k) {
            stats.cached_calls += 1;
            return Ok(hit);
        }
    }
    let resp = backend
        .complete(req)
        .map_err(|source| PipelineError::Backend {
            stage: req.stage.as_str(),
            source,
        })?;
    stats.model_calls += 1;
    stats.prompt_tokens += resp.prompt_tokens;
    stats.completion_tokens += resp.completion_tokens;
    stats.model_ms += resp.elapsed_ms.max(0.0).round() as u64;
    stats.calls.push(CallRecord {
        stage: req.stage,
        prompt_tokens: resp.prompt_tokens,
        completion_tokens: resp.completion_tokens,
        elapsed_us: (resp.elapsed_ms.max(0.0) * 1e3).round() as u64,
    });
    if let Some(k) = &key {
        cache.put("llm", k, &resp);
    }
    Ok(resp)
}

/// A warning diagnostic for a stage that failed on part of a file.
pub fn stage_diagnostic(
    label: &str,
    stage: Stage,
    e: &PipelineError,
    line: Option<usize>,
) -> Diagnostic {
    Diagnostic {
        path: label.to_string(),
        level: DiagnosticLevel::Warning,
        message: format!(
            "{} stage skipped here ({e}); static findings are unaffected",
            stage.as_str()
        ),
        line,
    }
}

/// The cache identity for this engine and backend.
pub fn cache_identity(engine: &Engine, info: Option<&BackendInfo>) -> CacheIdentity {
    CacheIdentity {
        tool_version: crate::report::TOOL_VERSION.to_string(),
        model_sha256: info
            .map(|i| i.model_sha256.clone())
            .unwrap_or_else(|| "static".into()),
        prompt_hash: prompts::prompt_hash(),
        ruleset_hash: crate::report::ruleset_hash(engine.catalog()),
    }
}

/// Provenance of a pipeline run, for [`crate::report::RunMeta::model`].
pub fn provenance(info: &BackendInfo, opts: &PipelineOptions) -> crate::report::ModelProvenance {
    crate::report::ModelProvenance {
        backend: info.name.clone(),
        kind: match info.kind {
            backend::BackendKind::Local => "local".into(),
            backend::BackendKind::Remote => "remote".into(),
        },
        model: info.model.clone(),
        model_sha256: info.model_sha256.clone(),
        code_left_machine: info.sends_code_off_machine,
        prompt_hash: prompts::prompt_hash(),
        tier: opts.tier,
        seed: opts.seed,
        temperature: "0".into(),
        fix_temperature: format!("{}", opts.fix_temperature),
        max_rounds: opts.max_rounds,
        candidates: opts.candidates,
    }
}

/// Progress of one file: `(stage, done, total)` after each model question.
pub type Progress<'a> = &'a mut dyn FnMut(Stage, usize, usize);

/// Scans one file: static engine, guardrail, and with a backend the analyzer, evidence check
/// and calibration. Never fails: problems become diagnostics, and the static findings are
/// always in the result (reported unless a verdict under the fusion policy withholds them).
pub fn scan_file(
    engine: &Engine,
    backend: Option<&mut dyn Backend>,
    label: &str,
    text: &str,
    opts: &PipelineOptions,
    cache: &mut Cache,
) -> FileResult {
    scan_file_with_progress(engine, backend, label, text, opts, cache, &mut |_, _, _| {})
}

/// [`scan_file`] with a progress callback.
pub fn scan_file_with_progress(
    engine: &Engine,
    backend: Option<&mut dyn Backend>,
    label: &str,
    text: &str,
    opts: &PipelineOptions,
    cache: &mut Cache,
    progress: Progress,
) -> FileResult {
    let content_sha256 = cache::content_hash(text);
    let (decision, mut diagnostics) = guardrail::check_input(label, text, opts);
    if decision == guardrail::InputDecision::Skip {
        return FileResult {
            path: label.to_string(),
            content_sha256,
            diagnostics,
            ..Default::default()
        };
    }
    let catalog = engine.catalog();
    let backend = if decision == guardrail::InputDecision::Analyse {
        backend
    } else {
        None
    };
    let Some(backend) = backend else {
        let mut scan = engine.scan_source(label, text);
        diagnostics.append(&mut scan.diagnostics);
        let injection = guardrail::apply_static(catalog, label, text, &mut scan);
        return partition(
            label,
            content_sha256,
            scan.findings,
            diagnostics,
            injection,
            false,
            StageStats::default(),
            opts,
        );
    };

    let info = backend.describe();
    let identity = cache_identity(engine, Some(&info));
    if cache.identity() != &identity {
        cache.set_identity(identity);
    }
    let file_key = cache.is_enabled().then(|| {
        cache.key(
            "file",
            &[
                label.as_bytes(),
                content_sha256.as_bytes(),
                opts.scan_fingerprint().as_bytes(),
            ],
        )
    });
    if let Some(k) = &file_key {
        if let Some(mut hit) = cache.get::<FileResult>("file", k) {
            // Cached with every finding in `findings`; split for this run's display options.
            let all = std::mem::take(&mut hit.findings);
            let mut r = partition(
                label,
                content_sha256,
                all,
                hit.diagnostics,
                hit.injection,
                true,
                hit.stats,
                opts,
            );
            r.from_cache = true;
            return r;
        }
    }

    let mut scan = engine.scan_source(label, text);
    diagnostics.append(&mut scan.diagnostics);
    let injection = guardrail::apply_static(catalog, label, text, &mut scan);
    let mut findings = scan.findings;
    let mut stats = StageStats::default();

    // Stage 1: guardrail model question.
    if opts.guardrail_model {
        match guardrail::ask_model(
            backend, catalog, label, text, &findings, opts, cache, &mut stats,
        ) {
            Ok(Some(f)) => findings.push(f),
            Ok(None) => {}
            Err(e) => diagnostics.push(stage_diagnostic(label, Stage::Guardrail, &e, None)),
        }
        progress(Stage::Guardrail, 1, 1);
    }
    let injection = injection
        || findings
            .iter()
            .any(|f| guardrail::is_injection_rule(&f.rule_id) && f.suppressed.is_none());

    // Stages 2 and 3: analyzer and evidence check.
    let statics: Vec<Finding> = findings
        .iter()
        .filter(|f| f.origin == crate::finding::Origin::Static)
        .cloned()
        .collect();
    let mut model_findings = Vec::new();
    if opts.analyzer {
        let chunks = chunk::chunks(text, opts.chunk_lines);
        match analyzer::analyze(
            backend,
            catalog,
            label,
            text,
            &chunks,
            &statics,
            opts,
            cache,
            &mut stats,
            &mut diagnostics,
        ) {
            Ok(out) => {
                for (i, ex) in out.explanations {
                    let fp = &statics[i].fingerprint;
                    if let Some(f) = findings.iter_mut().find(|f| {
                        &f.fingerprint == fp && f.origin == crate::finding::Origin::Static
                    }) {
                        f.explanation = Some(ex);
                    }
                }
                model_findings = out.model_findings;
            }
            Err(e) => diagnostics.push(stage_diagnostic(label, Stage::Analyzer, &e, None)),
        }
        progress(Stage::Analyzer, 1, 1);
    }
    findings.extend(model_findings);

    // Stage 4: calibration and fusion.
    let total = findings.len();
    for (i, f) in findings.iter_mut().enumerate() {
        if f.verdict.is_some() || f.is_suppressed() {
            continue;
        }
        let skip_model = !opts.calibration
            || (guardrail::is_injection_rule(&f.rule_id)
                && f.origin == crate::finding::Origin::Static);
        let opinion = if skip_model {
            None
        } else {
            match calibration::calibrate(backend, catalog, label, text, f, opts, cache, &mut stats)
            {
                Ok(o) => Some(o),
                Err(e) => {
                    diagnostics.push(stage_diagnostic(
                        label,
                        Stage::Calibration,
                        &e,
                        Some(f.span.start_line),
                    ));
                    None
                }
            }
        };
        let sanitizer_verified = opinion.as_ref().is_some_and(|o| {
            o.verdict == calibration::ModelVerdict::Rejected
                && fusion::sanitizer_present(text, f, catalog.get(&f.rule_id), &o.sanitizer)
        });
        let ctx = fusion::FusionContext {
            tier: opts.tier,
            injection_file: injection,
            sanitizer_verified,
        };
        f.verdict = Some(fusion::fuse(f, opinion.as_ref(), ctx));
        progress(Stage::Calibration, i + 1, total);
    }

    guardrail::sort_findings(&mut findings);
    if let Some(k) = &file_key {
        let stored = FileResult {
            path: label.to_string(),
            content_sha256: content_sha256.clone(),
            findings: findings.clone(),
            withheld: Vec::new(),
            diagnostics: diagnostics.clone(),
            injection,
            model_used: true,
            from_cache: false,
            stats: stats.clone(),
        };
        cache.put("file", k, &stored);
    }
    partition(
        label,
        content_sha256,
        findings,
        diagnostics,
        injection,
        true,
        stats,
        opts,
    )
}

#[allow(clippy::too_many_arguments)]
fn partition(
    label: &str,
    content_sha256: String,
    all: Vec<Finding>,
    diagnostics: Vec<Diagnostic>,
    injection: bool,
    model_used: bool,
    stats: StageStats,
    opts: &PipelineOptions,
) -> FileResult {
    let (findings, withheld): (Vec<Finding>, Vec<Finding>) = all
        .into_iter()
        .partition(|f| fusion::is_reported(f, opts.show_speculative));
    FileResult {
        path: label.to_string(),
        content_sha256,
        findings,
        withheld,
        diagnostics,
        injection,
        model_used,
        from_cache: false,
        stats,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string has a `maxLength`, every array a `maxItems`, nothing is left to `$ref`:
    /// a 135M model must be able to fill these schemas.
    fn assert_bounded(v: &serde_json::Value, path: &str) {
        if let Some(m) = v.as_object() {
            assert!(
                !m.contains_key("$ref") && !m.contains_key("$defs"),
                "{path}: unresolved reference"
            );
            match m.get("type").and_then(|t| t.as_str()) {
                Some("string") if !m.contains_key("enum") => {
                    assert!(m.contains_key("maxLength"), "{path}: unbounded string")
                }
                Some("array") => assert!(m.contains_key("maxItems"), "{path}: unbounded array"),
                Some("object") => assert_eq!(
                    m.get("additionalProperties"),
                    Some(&serde_json::Value::Bool(false)),
                    "{path}"
                ),
                _ => {}
            }
            for (k, x) in m {
                assert_bounded(x, &format!("{path}/{k}"));
            }
        } else if let Some(a) = v.as_array() {
            for (i, x) in a.iter().enumerate() {
                assert_bounded(x, &format!("{path}/{i}"));
            }
        }
    }

    #[test]
    fn stage_schemas_are_small_and_bounded() {
        assert_bounded(&schema_of::<guardrail::GuardrailAnswer>(), "guardrail");
        assert_bounded(&schema_of::<analyzer::AnalyzerAnswer>(), "analyzer");
        assert_bounded(
            &schema_of::<calibration::CalibrationAnswer>(),
            "calibration",
        );
        assert_bounded(&schema_of::<fixer::FixAnswer>(), "fixer");
        let s = schema_of::<analyzer::AnalyzerAnswer>();
        assert_eq!(s["properties"]["issues"]["maxItems"], 4);
        assert_eq!(
            s["properties"]["issues"]["items"]["properties"]["severity"]["enum"],
            serde_json::json!(["low", "medium", "high"])
        );
        assert!(s.get("$schema").is_none());
    }
}
