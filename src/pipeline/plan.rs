//! The stage plan: which model stages run for a capability tier, with the token caps and answer
//! bounds of each, read from `prompts/plan.toml` (compiled in). `--stages` overrides which
//! stages run; the report records the plan that ran and why a stage was off.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::backend::Stage;

/// The plan data, compiled in.
pub const PLAN_TOML: &str = include_str!("../../prompts/plan.toml");

/// A stage the plan can switch (the fixer runs only in `pyward fix`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanStage {
    Guardrail,
    Analyzer,
    Calibration,
}

impl PlanStage {
    pub const ALL: [PlanStage; 3] = [
        PlanStage::Guardrail,
        PlanStage::Analyzer,
        PlanStage::Calibration,
    ];

    pub fn as_str(self) -> &'static str {
        self.stage().as_str()
    }

    pub fn stage(self) -> Stage {
        match self {
            PlanStage::Guardrail => Stage::Guardrail,
            PlanStage::Analyzer => Stage::Analyzer,
            PlanStage::Calibration => Stage::Calibration,
        }
    }

    /// Parses `guardrail`, `analyzer` or `calibration`.
    pub fn parse(s: &str) -> Option<PlanStage> {
        PlanStage::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl fmt::Display for PlanStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Bounds of the guardrail's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardrailPlan {
    pub max_tokens: usize,
    /// Longest quote of a comment or string, in characters.
    pub quote_chars: usize,
}

/// How much of a rule the analyzer is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleText {
    /// Id, CWE and title.
    Title,
    /// Also what the rule looks for.
    Full,
}

/// Bounds of the analyzer's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyzerPlan {
    /// Most issues in one answer (never more than the rules asked about).
    pub max_issues: usize,
    /// Longest root cause or consequence, in characters.
    pub text_chars: usize,
    pub base_tokens: usize,
    pub tokens_per_issue: usize,
    pub rule_text: RuleText,
}

/// How a finding is named in the calibration question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingText {
    /// The rule's category, e.g. `sql injection` (a few tokens).
    Category,
    /// The rule's title.
    Title,
}

/// Bounds of the calibration answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationPlan {
    /// How each finding is named in the question.
    pub finding_text: FindingText,
    /// Longest reason per verdict, in characters (0: no reason is asked for).
    pub reason_chars: usize,
    /// Longest cited sanitizer, in characters.
    pub sanitizer_chars: usize,
    pub base_tokens: usize,
    pub tokens_per_finding: usize,
}

/// Bounds of the fixer's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixerPlan {
    /// The answer's fixed part in tokens; the cap adds the replacement's and the reason's
    /// longest lengths at one token per character.
    pub max_tokens: usize,
    pub why_chars: usize,
}

/// The plan of one tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StagePlan {
    /// The stages that run, in pipeline order.
    pub stages: Vec<PlanStage>,
    /// Why a stage is off by default at this tier.
    #[serde(default)]
    pub off_because: BTreeMap<PlanStage, String>,
    pub guardrail: GuardrailPlan,
    pub analyzer: AnalyzerPlan,
    pub calibration: CalibrationPlan,
    pub fixer: FixerPlan,
    /// True when `--stages` replaced the tier's default stages.
    #[serde(default)]
    pub forced: bool,
}

impl StagePlan {
    /// The compiled-in plan of `tier` (clamped to 1..=3).
    pub fn for_tier(tier: u8) -> StagePlan {
        let tier = tier.clamp(1, 3);
        // The compiled-in data is checked by a unit test; a mistake there is a build error in
        // spirit, so fall back to the strictest tier's shape rather than failing a scan.
        parse_plans(PLAN_TOML)
            .ok()
            .and_then(|mut m| m.remove(&tier.to_string()))
            .unwrap_or_else(StagePlan::fallback)
    }

    /// Whether `stage` runs.
    pub fn runs(&self, stage: PlanStage) -> bool {
        self.stages.contains(&stage)
    }

    /// The same plan running exactly `stages` (from `--stages`).
    pub fn with_stages(mut self, stages: &[PlanStage]) -> StagePlan {
        self.stages = PlanStage::ALL
            .into_iter()
            .filter(|s| stages.contains(s))
            .collect();
        self.forced = true;
        self
    }

    /// One line for the report and standard error: the stages that run and why the others
    /// do not.
    pub fn describe(&self) -> String {
        let on: Vec<&str> = self.stages.iter().map(|s| s.as_str()).collect();
        let mut line = format!(
            "stages {}",
            if on.is_empty() {
                "none".to_string()
            } else {
                on.join(", ")
            }
        );
        if self.forced {
            line.push_str(" (--stages)");
        }
        for s in PlanStage::ALL.iter().filter(|s| !self.runs(**s)) {
            match self.off_because.get(s).filter(|_| !self.forced) {
                Some(why) => line.push_str(&format!(
                    "; {s} off for this tier: {why} (--stages {s} runs it)"
                )),
                None => line.push_str(&format!("; {s} off")),
            }
        }
        line
    }

    /// A fingerprint of everything that changes answers, for cache keys.
    pub fn fingerprint(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    fn fallback() -> StagePlan {
        StagePlan {
            stages: vec![PlanStage::Guardrail, PlanStage::Calibration],
            off_because: BTreeMap::new(),
            guardrail: GuardrailPlan {
                max_tokens: 64,
                quote_chars: 120,
            },
            analyzer: AnalyzerPlan {
                max_issues: 3,
                text_chars: 80,
                base_tokens: 16,
                tokens_per_issue: 48,
                rule_text: RuleText::Title,
            },
            calibration: CalibrationPlan {
                finding_text: FindingText::Category,
                reason_chars: 0,
                sanitizer_chars: 40,
                base_tokens: 8,
                tokens_per_finding: 24,
            },
            fixer: FixerPlan {
                max_tokens: 24,
                why_chars: 120,
            },
            forced: false,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    tier: BTreeMap<String, StagePlan>,
}

/// Parses plan data: one `[tier.N]` table per tier.
pub fn parse_plans(text: &str) -> Result<BTreeMap<String, StagePlan>, String> {
    toml::from_str::<PlanFile>(text)
        .map(|f| f.tier)
        .map_err(|e| format!("prompts/plan.toml: {e}"))
}

/// Parses a `--stages` value: `all`, `none`, or a comma-separated list of stage names.
pub fn parse_stages(value: &str) -> Result<Vec<PlanStage>, String> {
    match value.trim() {
        "all" => return Ok(PlanStage::ALL.to_vec()),
        "none" => return Ok(Vec::new()),
        _ => {}
    }
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            PlanStage::parse(s).ok_or_else(|| {
                format!(
                    "unknown stage `{s}` (expected guardrail, analyzer, calibration, all or none)"
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_in_plan_parses_and_covers_every_tier() {
        let plans = parse_plans(PLAN_TOML).unwrap();
        assert_eq!(
            plans.keys().map(String::as_str).collect::<Vec<_>>(),
            ["1", "2", "3"]
        );
        for (tier, p) in &plans {
            assert!(!p.forced, "tier {tier}");
            for s in PlanStage::ALL {
                assert!(
                    p.runs(s) || p.off_because.contains_key(&s),
                    "tier {tier}: {s} is off without a reason"
                );
            }
            assert!(p.analyzer.max_issues >= 1 && p.fixer.max_tokens > 0);
        }
        assert_eq!(StagePlan::for_tier(9), plans["3"].clone());
        assert_eq!(StagePlan::for_tier(0), plans["1"].clone());
    }

    #[test]
    fn stages_flag_overrides_and_is_described() {
        assert_eq!(parse_stages("all").unwrap(), PlanStage::ALL.to_vec());
        assert_eq!(parse_stages("none").unwrap(), vec![]);
        assert_eq!(
            parse_stages("calibration, analyzer").unwrap(),
            vec![PlanStage::Calibration, PlanStage::Analyzer]
        );
        assert!(parse_stages("fixer")
            .unwrap_err()
            .contains("unknown stage `fixer`"));
        let p = StagePlan::for_tier(1);
        assert!(
            p.describe().contains("analyzer off for this tier"),
            "{}",
            p.describe()
        );
        let forced = p.with_stages(&[PlanStage::Calibration, PlanStage::Analyzer]);
        assert_eq!(
            forced.stages,
            vec![PlanStage::Analyzer, PlanStage::Calibration]
        );
        assert!(forced
            .describe()
            .starts_with("stages analyzer, calibration (--stages); guardrail off"));
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_file() {
        let e = parse_plans("[tier.1]\nstages = []\nbogus = 1\n").unwrap_err();
        assert!(
            e.contains("prompts/plan.toml") && e.contains("bogus"),
            "{e}"
        );
    }
}
