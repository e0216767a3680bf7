//! Fusing the static engine's evidence with the model's opinion: the policy that keeps a small
//! model from making pyward worse.
//!
//! # Capability tiers
//!
//! Each model manifest carries a tier: **1** tiny (≈100M–500M parameters, e.g. SmolLM2-135M,
//! Gemma-3-270M: at chance on "is this vulnerable?"), **2** small (1B–4B), **3** capable.
//!
//! # Policy
//!
//! Static findings (origin `static`), by the model's verdict:
//!
//! | model says  | sanitizer cited and present | tier 1       | tier 2                    | tier 3                                  |
//! |-------------|-----------------------------|--------------|---------------------------|-----------------------------------------|
//! | confirmed   | –                           | confirmed    | confirmed                 | confirmed                               |
//! | speculative | –                           | confirmed    | confirmed                 | confirmed                               |
//! | rejected    | yes                         | speculative  | rejected                  | rejected                                |
//! | rejected    | no, static confidence high  | confirmed    | confirmed                 | speculative if p ≥ 0.8, else confirmed  |
//! | rejected    | no, static medium/low       | confirmed    | speculative if p ≥ 0.8    | rejected if p ≥ 0.8, speculative if p ≥ 0.5 |
//! | (no answer) | –                           | confirmed    | confirmed                 | confirmed                               |
//!
//! * "Sanitizer cited and present" is checked deterministically ([`sanitizer_present`]): the
//!   name the model gives must be a known sanitizer (the global list in
//!   `rules/python/_taint/sanitizers.toml` or the rule's own `taint.sanitizers`) and be called
//!   in the code between the taint source (or a few lines above the finding) and the sink.
//! * In a file with a prompt-injection attempt, the model's rejections are ignored at every
//!   tier (the file is never more trusted because of text inside it).
//! * Prompt-injection findings (of rules tagged `prompt-injection`) are never put to the model: always confirmed.
//!
//! Model-only findings (origin `model`, already through the evidence check): tier 1 and 2 →
//! **speculative** (rejected when the model itself rejects them at calibration); tier 3 →
//! confirmed when calibration confirms with p ≥ 0.7, rejected when it rejects, else
//! speculative. A tier-1 model therefore never invents a reported finding and never vetoes
//! a static one: it explains and fixes.
//!
//! Reported by default: confirmed findings (and static findings without a verdict);
//! speculative ones with `--show-speculative`; rejected ones never (they stay in the JSON
//! outcome's withheld list for auditing).
//!
//! # Calibrated confidence
//!
//! `c = (1 − w)·s + w·m`, rounded to three decimals, where `s` is the static prior (high 0.9,
//! medium 0.65, low 0.4; 0.3 for model-only findings), `w` the tier weight (0.1, 0.25, 0.5)
//! and `m` the model's signal: `p` for confirmed, `0.5` for speculative or an ignored answer,
//! `1 − p` for rejected, with `p` the verdict token's probability (0.5 when unknown).

use super::calibration::{ModelOpinion, ModelVerdict};
use crate::finding::{Confidence, Finding, Origin, Verdict, VerdictStatus};
use crate::rules::RuleSpec;

/// A model's capability tier, 1 (tiny) to 3 (capable).
pub type Tier = u8;

/// What fusion needs to know besides the finding and the opinion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FusionContext {
    pub tier: Tier,
    /// The file contains a prompt-injection attempt.
    pub injection_file: bool,
    /// The sanitizer the model cited is a known sanitizer called in the code region.
    pub sanitizer_verified: bool,
}

fn static_prior(c: Confidence) -> f64 {
    match c {
        Confidence::High => 0.9,
        Confidence::Medium => 0.65,
        Confidence::Low => 0.4,
    }
}

/// The weight of the model's signal at a tier.
pub fn tier_weight(tier: Tier) -> f64 {
    match tier {
        0 | 1 => 0.1,
        2 => 0.25,
        _ => 0.5,
    }
}

fn round3(x: f64) -> f64 {
    (x.clamp(0.0, 1.0) * 1000.0).round() / 1000.0
}

/// Decides a finding's verdict from its static evidence and the model's opinion.
pub fn fuse(f: &Finding, opinion: Option<&ModelOpinion>, ctx: FusionContext) -> Verdict {
    let tier = ctx.tier.clamp(1, 3);
    let w = tier_weight(tier);
    if super::guardrail::is_injection_rule(&f.rule_id) && f.origin == Origin::Static {
        return Verdict {
            status: VerdictStatus::Confirmed,
            reason: "prompt-injection text found by a static rule; never put to the model".into(),
            confidence: round3(static_prior(f.confidence)),
            model_verdict: None,
        };
    }
    let p = opinion.and_then(|o| o.probability).unwrap_or(0.5);
    let ignored =
        ctx.injection_file && opinion.is_some_and(|o| o.verdict == ModelVerdict::Rejected);
    let m = match opinion.map(|o| o.verdict) {
        _ if ignored => 0.5,
        Some(ModelVerdict::Confirmed) => p,
        Some(ModelVerdict::Rejected) => 1.0 - p,
        Some(ModelVerdict::Speculative) | None => 0.5,
    };
    let model_reason = opinion.map(|o| o.reason.clone()).filter(|r| !r.is_empty());
    let (status, policy): (VerdictStatus, String) = match f.origin {
        Origin::Static => static_status(f.confidence, opinion, ctx, tier, p, ignored),
        Origin::Model => model_status(opinion, tier, p),
    };
    let prior = match f.origin {
        Origin::Static => static_prior(f.confidence),
        Origin::Model => 0.3,
    };
    let mut confidence = (1.0 - w) * prior + w * m;
    if status == VerdictStatus::Rejected {
        confidence = confidence.min(0.3);
    }
    let reason = match (model_reason, policy.is_empty()) {
        (Some(r), true) => r,
        (Some(r), false) => format!("{r} ({policy})"),
        (None, false) => policy,
        (None, true) => "no model opinion".into(),
    };
    let model_verdict = opinion
        .map(|o| VerdictStatus::from(o.verdict))
        .filter(|v| *v != status);
    Verdict {
        status,
        reason,
        confidence: round3(confidence),
        model_verdict,
    }
}

fn static_status(
    conf: Confidence,
    opinion: Option<&ModelOpinion>,
    ctx: FusionContext,
    tier: Tier,
    p: f64,
    ignored: bool,
) -> (VerdictStatus, String) {
    use VerdictStatus::*;
    let Some(o) = opinion else {
        return (Confirmed, "static finding; no model opinion".into());
    };
    match o.verdict {
        ModelVerdict::Confirmed => (Confirmed, String::new()),
        ModelVerdict::Speculative => (Confirmed, "static evidence stands".into()),
        ModelVerdict::Rejected if ignored => (
            Confirmed,
            "the model's rejection is ignored: the file contains a prompt-injection attempt".into(),
        ),
        ModelVerdict::Rejected if ctx.sanitizer_verified => {
            if tier == 1 {
                (
                    Speculative,
                    format!(
                        "cited sanitizer `{}` is in the code; a tier-1 model cannot reject",
                        o.sanitizer
                    ),
                )
            } else {
                (
                    Rejected,
                    format!("cited sanitizer `{}` is in the code", o.sanitizer),
                )
            }
        }
        ModelVerdict::Rejected => {
            let keep = (
                Confirmed,
                format!("kept: a tier-{tier} model cannot reject this static finding without citing a sanitizer present in the code"),
            );
            match (conf, tier) {
                (_, 1) => keep,
                (Confidence::High, 2) => keep,
                (Confidence::High, _) if p >= 0.8 => {
                    (Speculative, "a capable model doubts it".into())
                }
                (Confidence::High, _) => keep,
                (_, 2) if p >= 0.8 => (
                    Speculative,
                    "a tier-2 model doubts it with high probability".into(),
                ),
                (_, 2) => keep,
                (_, _) if p >= 0.8 => (
                    Rejected,
                    "a capable model rejects it with high probability".into(),
                ),
                (_, _) if p >= 0.5 => (Speculative, "a capable model doubts it".into()),
                _ => keep,
            }
        }
    }
}

fn model_status(opinion: Option<&ModelOpinion>, tier: Tier, p: f64) -> (VerdictStatus, String) {
    use VerdictStatus::*;
    let low = format!("found by a tier-{tier} model only: speculative");
    match opinion.map(|o| o.verdict) {
        Some(ModelVerdict::Rejected) => (Rejected, "the model rejected its own finding".into()),
        _ if tier < 3 => (Speculative, low),
        Some(ModelVerdict::Confirmed) if p >= 0.7 => (Confirmed, String::new()),
        _ => (
            Speculative,
            "model-only finding without a confident confirmation".into(),
        ),
    }
}

/// Whether a cited sanitizer is real: a known sanitizer (global list or the rule's) whose
/// call appears in the code between the taint source (or 10 lines above the finding) and the
/// finding's last line.
pub fn sanitizer_present(text: &str, f: &Finding, rule: Option<&RuleSpec>, cited: &str) -> bool {
    let name: String = cited
        .trim()
        .trim_start_matches('`')
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
        .collect();
    if name.len() < 3 {
        return false;
    }
    let last = name.rsplit('.').next().unwrap_or(&name).to_string();
    let mut known: Vec<String> = known_sanitizers();
    if let Some(t) = rule.and_then(|r| r.taint.as_ref()) {
        known.extend(t.sanitizers.iter().cloned());
    }
    let is_known = known
        .iter()
        .any(|k| k.rsplit('.').next().unwrap_or(k) == last);
    if !is_known {
        return false;
    }
    let src_line = f
        .taint_path
        .iter()
        .map(|s| s.span.start_line)
        .min()
        .unwrap_or(f.span.start_line)
        .min(f.span.start_line.saturating_sub(10).max(1));
    let region: String = text
        .lines()
        .enumerate()
        .filter(|(i, _)| (src_line..=f.span.end_line).contains(&(i + 1)))
        .map(|(_, l)| l.split('#').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let call = format!("{last}(");
    region.match_indices(&call).any(|(i, _)| {
        region[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

/// The global sanitizer names from `rules/python/_taint/sanitizers.toml`.
pub fn known_sanitizers() -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct File {
        names: Vec<String>,
    }
    crate::rules::embedded_data_file("python/_taint/sanitizers.toml")
        .and_then(|t| toml::from_str::<File>(t).ok())
        .map(|f| f.names)
        .unwrap_or_default()
}

/// Whether a finding is reported by default (or with `--show-speculative`).
pub fn is_reported(f: &Finding, show_speculative: bool) -> bool {
    match f.verdict.as_ref().map(|v| v.status) {
        None | Some(VerdictStatus::Confirmed) => true,
        Some(VerdictStatus::Speculative) => show_speculative,
        Some(VerdictStatus::Rejected) => false,
    }
}
