//! Stage 4, calibration: one question per file view covers all of its findings. The model has
//! the numbered file in its prefix; the question lists the findings (number, line, rule, CWE,
//! where tainted data comes from) and the answer is an array with exactly one verdict per
//! finding, in order: `confirmed`, `speculative` or `rejected`, the sanitizing call a rejection
//! relies on, and (for capable tiers) a short reason. Each item's number is a constant of the
//! schema, so the grammar writes it and the model only chooses.
//!
//! A verdict's probability is that of the sampled token that wrote its first byte
//! ([`super::answer::logprob_at`]). What the answer is worth is decided by [`super::fusion`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::answer::{logprob_at, value_spans};
use super::ask::Asker;
use super::backend::Stage;
use super::layout::{FileView, Question};
use super::plan::{CalibrationPlan, FindingText};
use super::PipelineError;
use crate::finding::{Finding, TaintStepKind, VerdictStatus};
use crate::rules::Catalog;

/// The most findings one question asks about (more are split over several questions).
pub const MAX_PER_QUESTION: usize = 24;

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

/// One finding's verdict. Field order matters: the number, then the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictItem {
    /// The finding's number in the question (1-based).
    pub id: usize,
    pub verdict: ModelVerdict,
    /// One sentence (only asked of tiers whose plan has `reason_chars > 0`).
    #[serde(default)]
    pub reason: String,
    /// For `rejected`: the sanitizing call or check, copied from the code (absent otherwise).
    #[serde(default)]
    pub sanitizer: String,
}

/// The calibration answer: one item per finding asked about, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationAnswer {
    pub verdicts: Vec<VerdictItem>,
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

/// The schema of an answer about `n` findings: exactly `n` items, item `i` carrying the
/// constant number `i + 1`. Only a `rejected` verdict carries the sanitizer it relies on, so a
/// confirmation costs the model one choice.
pub fn schema_for(n: usize, plan: &CalibrationPlan) -> serde_json::Value {
    let item = |i: usize, verdicts: &[&str], sanitizer: bool| {
        let mut props = serde_json::Map::new();
        props.insert("id".into(), json!({ "const": i }));
        props.insert(
            "verdict".into(),
            json!({ "type": "string", "enum": verdicts }),
        );
        if plan.reason_chars > 0 {
            props.insert(
                "reason".into(),
                json!({ "type": "string", "maxLength": plan.reason_chars }),
            );
        }
        if sanitizer {
            props.insert(
                "sanitizer".into(),
                json!({ "type": "string", "maxLength": plan.sanitizer_chars }),
            );
        }
        let required: Vec<&String> = props.keys().collect();
        json!({
            "type": "object",
            "properties": props,
            "required": required,
            "additionalProperties": false,
        })
    };
    let items: Vec<serde_json::Value> = (1..=n)
        .map(|i| {
            json!({ "anyOf": [
                item(i, &["confirmed", "speculative"], false),
                item(i, &["rejected"], true),
            ]})
        })
        .collect();
    json!({
        "type": "object",
        "properties": {
            // Exactly `n` items by count; no `"items": false`, which llama.cpp's schema
            // converter rejects (a boolean schema).
            "verdicts": {
                "type": "array",
                "prefixItems": items,
                "minItems": n,
                "maxItems": n,
            }
        },
        "required": ["verdicts"],
        "additionalProperties": false,
    })
}

/// The token cap of an answer about `n` findings: every item at its longest (a rejection with
/// a reason and a sanitizer of one token per character), so only a model that runs away with
/// the grammar can reach it.
pub fn max_tokens(n: usize, plan: &CalibrationPlan) -> usize {
    plan.base_tokens + n * (plan.tokens_per_finding + plan.reason_chars + plan.sanitizer_chars)
}

/// The line of a finding's taint source, when it is another line.
fn source_line(f: &Finding) -> Option<usize> {
    f.taint_path
        .iter()
        .find(|s| s.kind == TaintStepKind::Source)
        .map(|s| s.span.start_line)
        .filter(|&l| l != f.span.start_line)
}

/// Asks for verdicts on `findings` (all shown in `view`), [`MAX_PER_QUESTION`] at a time.
/// Returns one opinion per finding, in order; `None` where a question failed (counted by the
/// asker; the first backend error is returned with the opinions gathered so far).
pub fn calibrate_view(
    asker: &mut Asker,
    catalog: &Catalog,
    view: &FileView,
    findings: &[&Finding],
    plan: &CalibrationPlan,
    seed: u64,
) -> (Vec<Option<ModelOpinion>>, Option<PipelineError>) {
    let mut out = Vec::with_capacity(findings.len());
    let mut first_error = None;
    for group in findings.chunks(MAX_PER_QUESTION) {
        match ask_group(asker, catalog, view, group, plan, seed) {
            Ok(ops) => out.extend(ops.into_iter().map(Some)),
            Err(e) => {
                out.extend(group.iter().map(|_| None));
                if matches!(
                    e,
                    PipelineError::Backend { .. } | PipelineError::Prompt { .. }
                ) {
                    first_error.get_or_insert(e);
                }
            }
        }
    }
    (out, first_error)
}

fn ask_group(
    asker: &mut Asker,
    catalog: &Catalog,
    view: &FileView,
    group: &[&Finding],
    plan: &CalibrationPlan,
    seed: u64,
) -> Result<Vec<ModelOpinion>, PipelineError> {
    let listed: Vec<serde_json::Value> = group
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let rule = catalog.get(&f.rule_id);
            let what = match (plan.finding_text, rule) {
                (FindingText::Category, Some(r)) => r.category.replace('-', " "),
                (FindingText::Title, Some(r)) => r.title.clone(),
                (_, None) => f.message.clone(),
            };
            json!({
                "id": i + 1,
                "line": f.span.start_line,
                "what": what,
                // The category says what the CWE would; the title does not always.
                "cwe": match plan.finding_text {
                    FindingText::Category => 0,
                    FindingText::Title => f.cwe.first().copied().unwrap_or(0),
                },
                "source": source_line(f).unwrap_or(0),
            })
        })
        .collect();
    let ctx = json!({ "findings": listed, "reason": plan.reason_chars > 0 });
    let question = Question::new(
        Stage::Calibration,
        &ctx,
        schema_for(group.len(), plan),
        max_tokens(group.len(), plan),
        seed,
    )?;
    let answer = asker.ask::<CalibrationAnswer>(view, question)?;
    let verdicts = &answer.value.verdicts;
    let numbered =
        verdicts.len() == group.len() && verdicts.iter().enumerate().all(|(i, v)| v.id == i + 1);
    if !numbered {
        return Err(PipelineError::Discarded {
            stage: "calibration",
            outcome: super::stats::CallOutcome::Invalid,
            detail: format!(
                "{} verdicts for {} findings, or out of order",
                verdicts.len(),
                group.len()
            ),
        });
    }
    let starts: Vec<usize> = value_spans(&answer.response.text)
        .into_iter()
        .filter(|v| v.key.as_deref() == Some("verdict"))
        .map(|v| v.range.start)
        .collect();
    Ok(verdicts
        .iter()
        .enumerate()
        .map(|(i, v)| ModelOpinion {
            verdict: v.verdict,
            reason: v.reason.split_whitespace().collect::<Vec<_>>().join(" "),
            sanitizer: v.sanitizer.trim().to_string(),
            probability: starts
                .get(i)
                .and_then(|&at| logprob_at(&answer.response.sampled, at))
                .map(|lp| (lp as f64).exp().clamp(0.0, 1.0)),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(reason_chars: usize) -> CalibrationPlan {
        CalibrationPlan {
            finding_text: FindingText::Category,
            reason_chars,
            sanitizer_chars: 40,
            base_tokens: 8,
            tokens_per_finding: 16,
        }
    }

    #[test]
    fn schema_fixes_the_count_and_numbers_of_the_verdicts() {
        let s = schema_for(3, &plan(0));
        let v = &s["properties"]["verdicts"];
        assert_eq!(
            (v["minItems"].as_u64(), v["maxItems"].as_u64()),
            (Some(3), Some(3))
        );
        let items = v["prefixItems"].as_array().unwrap();
        let [confirmed, rejected] = items[2]["anyOf"].as_array().unwrap().as_slice() else {
            panic!("two shapes")
        };
        assert_eq!(confirmed["properties"]["id"]["const"], 3);
        let keys = |o: &serde_json::Value| -> Vec<String> {
            o["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        assert_eq!(
            keys(confirmed),
            ["id", "verdict"],
            "verdict right after the number"
        );
        assert_eq!(keys(rejected), ["id", "verdict", "sanitizer"]);
        assert_eq!(
            rejected["properties"]["verdict"]["enum"],
            json!(["rejected"])
        );
        let with_reason = schema_for(1, &plan(120));
        assert_eq!(
            with_reason["properties"]["verdicts"]["prefixItems"][0]["anyOf"][1]["properties"]
                ["reason"]["maxLength"],
            120
        );
        assert_eq!(max_tokens(2, &plan(0)), 8 + 2 * (16 + 40));
        let answer: CalibrationAnswer = serde_json::from_value(json!({"verdicts": [
            {"id": 1, "verdict": "rejected", "sanitizer": "shlex.quote"}
        ]}))
        .unwrap();
        assert_eq!(answer.verdicts[0].verdict, ModelVerdict::Rejected);
    }
}
