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
pub(crate) mod answer;
pub(crate) mod ask;
pub mod backend;
pub(crate) mod cache;
pub mod calibration;
pub(crate) mod chunk;
pub mod effects;
pub(crate) mod evidence;
pub mod fixer;
pub mod fusion;
pub mod guardrail;
pub mod layout;
pub mod names;
pub(crate) mod plan;
pub(crate) mod prompts;
pub mod run;
pub(crate) mod scanner;
pub(crate) mod stats;
pub mod template;
pub mod verify;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use backend::{
    Backend, BackendError, BackendInfo, CompletionRequest, CompletionResponse, ScriptedBackend,
    Stage, Usage,
};
pub use cache::{Cache, CacheIdentity};
pub use fixer::{fix_file, write_fixed, FixError, FixResult};
pub use plan::{PlanStage, StagePlan};
pub use scanner::Scanner;
pub use stats::{CallOutcome, CallRecord, StageStats};

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
    /// Which stages run and how their answers are bounded (the tier's plan unless `--stages`).
    pub plan: StagePlan,
    /// Longest chunk shown to the model when a file does not fit its context, in lines.
    pub chunk_lines: usize,
    /// Files larger than this (bytes) are analysed statically only (`0` = no limit).
    pub max_model_bytes: usize,
    /// Fixer rounds per finding (`--max-rounds`).
    pub max_rounds: usize,
    /// Model fix candidates per round (`--candidates`).
    pub candidates: usize,
    /// Sampling temperature of fix candidates (> 0 so candidates differ).
    pub fix_temperature: f32,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions::for_tier(1)
    }
}

impl PipelineOptions {
    /// The defaults for a model of `tier`, with that tier's stage plan.
    pub fn for_tier(tier: u8) -> PipelineOptions {
        PipelineOptions {
            tier,
            seed: 0,
            show_speculative: false,
            plan: StagePlan::for_tier(tier),
            chunk_lines: 60,
            max_model_bytes: 256 * 1024,
            max_rounds: 3,
            candidates: 1,
            fix_temperature: 0.7,
        }
    }

    /// The same options running exactly `stages` (`--stages`).
    pub fn with_stages(mut self, stages: &[PlanStage]) -> PipelineOptions {
        self.plan = self.plan.with_stages(stages);
        self
    }

    /// The options that change scan results (not fixing or display), for cache keys.
    fn scan_fingerprint(&self) -> String {
        format!(
            "tier={};seed={};plan={};chunk={};max={}",
            self.tier,
            self.seed,
            self.plan.fingerprint(),
            self.chunk_lines,
            self.max_model_bytes,
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
    /// The model answered, but the answer was cut off or not usable. Counted in the run's
    /// statistics, not reported per file.
    #[error("{stage} stage: the model's answer was discarded ({}): {detail}", outcome.describe())]
    Discarded {
        stage: &'static str,
        outcome: CallOutcome,
        detail: String,
    },
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
    /// What the project-wide taint join needs (static scans; see [`crate::rules::project`]).
    #[serde(skip)]
    pub facts: crate::rules::project::ProjectFacts,
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
        crate::finding::sort_findings(&mut v);
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
        plan: opts.plan.describe(),
    }
}

/// Scans one file with a one-off [`Scanner`]: static engine, guardrail, and with a backend the
/// model stages of the tier's plan. Never fails (see [`Scanner::scan_file`]).
pub fn scan_file(
    engine: &Engine,
    backend: Option<&mut dyn Backend>,
    label: &str,
    text: &str,
    opts: &PipelineOptions,
    cache: &mut Cache,
) -> FileResult {
    Scanner::new(engine, opts.clone()).scan_file(backend, cache, label, text, &mut |_| {})
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
        for tier in 1..=3 {
            let plan = StagePlan::for_tier(tier);
            assert_bounded(
                &calibration::schema_for(3, &plan.calibration),
                "calibration",
            );
        }
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
