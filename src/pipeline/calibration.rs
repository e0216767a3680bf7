//! Stage 4, calibration: one narrow question per finding. The model sees the code region
//! (numbered, quoted as data), the finding, the rule, and the taint path if any, and answers
//! `confirmed`, `speculative` or `rejected` with a reason and, for a rejection, the sanitizing
//! call it relies on. The verdict is the answer's first property, so its probability is read
//! from the first sampled token ([`verdict_probability`]).
//!
//! What the answer is worth is decided by [`super::fusion`], not here.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::backend::{Backend, CompletionRequest, Stage};
use super::{prompts, schema_of, PipelineError, PipelineOptions, StageStats};
use crate::finding::{Finding, TaintStepKind, VerdictStatus};
use crate::rules::Catalog;

/// Lines of context shown above and below a finding.
pub const CONTEXT_LINES: usize = 6;
/// The most lines a calibration region spans (taint paths can be long).
pub const MAX_REGION_LINES: usize = 40;

/// The model's verdict on one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ModelVerdict {
    Confirmed,
    Speculative,
    Rejected,
}

impl From<ModelVerdict> for VerdictStatus {
    fn from(v: ModelVerdict) -> VerdictStatus {
        match v {
            ModelVerdict::Confirmed => VerdictStatus::Confirmed,
            ModelVerdict::Speculative => VerdictStatus::Speculative,
            ModelVerdict::Rejected => VerdictStatus::Rejected,
        }
    }
}

/// The calibration answer. Field order matters: `verdict` comes first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalibrationAnswer {
    pub verdict: ModelVerdict,
    /// One sentence.
    #[schemars(length(max = 240))]
    pub reason: String,
    /// For `rejected`: the sanitizing function or check, copied from the code; else empty.
    #[schemars(length(max = 80))]
    pub sanitizer: String,
}

/// A model's opinion on a finding, with the verdict token's probability when known.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelOpinion {
    pub verdict: ModelVerdict,
    pub reason: String,
    pub sanitizer: String,
    /// Probability of the verdict token, `None` when the backend reports no log-probabilities.
    pub probability: Option<f64>,
}

/// The probability of the verdict: `exp` of the first sampled token's log-probability (the
/// grammar forces `{"verdict":"`, so the first sampled token chooses the verdict), `None`
/// when the backend reports none.
pub fn verdict_probability(token_logprobs: &[f32]) -> Option<f64> {
    token_logprobs
        .first()
        .map(|lp| (*lp as f64).exp().clamp(0.0, 1.0))
}

/// The lines shown for a finding: its span with [`CONTEXT_LINES`] around, widened to the taint
/// source when that is close enough, capped at [`MAX_REGION_LINES`].
pub fn region(f: &Finding, total_lines: usize) -> (usize, usize) {
    let mut start = f.span.start_line.saturating_sub(CONTEXT_LINES).max(1);
    let end = (f.span.end_line + CONTEXT_LINES).min(total_lines.max(1));
    if let Some(src) = f
        .taint_path
        .iter()
        .find(|s| s.kind == TaintStepKind::Source)
    {
        start = start.min(src.span.start_line.max(1));
    }
    if end + 1 - start.min(end) > MAX_REGION_LINES {
        start = end.saturating_sub(MAX_REGION_LINES - 1).max(1);
    }
    (start.min(end), end)
}

/// Asks the model about one finding.
#[allow(clippy::too_many_arguments)]
pub fn calibrate(
    backend: &mut dyn Backend,
    catalog: &Catalog,
    label: &str,
    text: &str,
    f: &Finding,
    opts: &PipelineOptions,
    cache: &mut super::cache::Cache,
    stats: &mut StageStats,
) -> Result<ModelOpinion, PipelineError> {
    let rule = catalog.get(&f.rule_id);
    let (start, end) = region(f, text.lines().count());
    let code = prompts::numbered(text, start, end);
    let ctx = serde_json::json!({
        "path": label,
        "fence": prompts::fence_for(&code),
        "rule_id": f.rule_id,
        "cwe": f.cwe.first().copied().unwrap_or(0),
        "title": rule.map(|r| r.title.as_str()).unwrap_or(""),
        "what": rule.map(|r| r.doc.what.trim()).unwrap_or(""),
        "line": f.span.start_line,
        "message": f.message,
        "taint_path": f.taint_path.iter().map(|s| serde_json::json!({
            "line": s.span.start_line,
            "kind": match s.kind { TaintStepKind::Source => "source", TaintStepKind::Propagation => "flows", TaintStepKind::Sink => "sink" },
            "snippet": prompts::escape_invisible(&s.snippet),
        })).collect::<Vec<_>>(),
        "code": code,
    });
    let req = CompletionRequest {
        stage: Stage::Calibration,
        messages: prompts::messages(Stage::Calibration, &ctx)?,
        schema: schema_of::<CalibrationAnswer>(),
        max_tokens: opts.calibration_max_tokens,
        temperature: 0.0,
        seed: opts.seed,
    };
    let resp = super::complete_cached(backend, &req, cache, stats)?;
    let probability = verdict_probability(&resp.token_logprobs);
    let ans: CalibrationAnswer = serde_json::from_value(resp.value).map_err(|e| {
        stats.bad_answers += 1;
        PipelineError::BadAnswer {
            stage: "calibration",
            message: e.to_string(),
        }
    })?;
    Ok(ModelOpinion {
        verdict: ans.verdict,
        reason: ans.reason.split_whitespace().collect::<Vec<_>>().join(" "),
        sanitizer: ans.sanitizer.trim().to_string(),
        probability,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_probability_is_the_first_sampled_token() {
        assert_eq!(verdict_probability(&[]), None);
        assert_eq!(verdict_probability(&[0.0, -3.0]), Some(1.0));
        let p = verdict_probability(&[(0.25f32).ln(), -0.01]).unwrap();
        assert!((p - 0.25).abs() < 1e-6);
    }

    #[test]
    fn schema_puts_the_verdict_first_and_bounds_strings() {
        let s = schema_of::<CalibrationAnswer>();
        let props = s["properties"].as_object().unwrap();
        assert_eq!(props.keys().next().map(String::as_str), Some("verdict"));
        assert_eq!(
            s["properties"]["verdict"]["enum"],
            serde_json::json!(["confirmed", "speculative", "rejected"])
        );
        assert_eq!(s["properties"]["reason"]["maxLength"], 240);
        assert_eq!(s["additionalProperties"], false);
    }
}
