//! What the model stages cost and how their answers fared: one [`CallRecord`] per question,
//! whatever became of it, and the counters a run adds up.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::backend::{Stage, Usage};
use super::evidence::DiscardReason;

/// What became of one model question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallOutcome {
    /// The backend answered and the answer was usable.
    Parsed,
    /// Answered from the result cache: no model work.
    Cached,
    /// Cut off because the model repeated itself.
    Repeated,
    /// Cut off at the token cap.
    Capped,
    /// Complete, but not an answer of the stage's shape.
    Invalid,
    /// The backend failed (unreachable, out of context, ...).
    Error,
}

impl CallOutcome {
    /// The backend computed an answer that the stage could not use.
    pub fn is_discarded(self) -> bool {
        matches!(
            self,
            CallOutcome::Repeated | CallOutcome::Capped | CallOutcome::Invalid
        )
    }

    /// How the run summary says it.
    pub fn describe(self) -> &'static str {
        match self {
            CallOutcome::Parsed => "parsed",
            CallOutcome::Cached => "cached",
            CallOutcome::Repeated => "repeated",
            CallOutcome::Capped => "hit the cap",
            CallOutcome::Invalid => "not the expected shape",
            CallOutcome::Error => "failed",
        }
    }
}

/// One model question: which stage asked, what became of it, its tokens and its latency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    pub stage: Stage,
    pub outcome: CallOutcome,
    /// Tokens in the prompt (0 for a result-cache hit).
    pub prompt_tokens: usize,
    /// Of those, served from the backend's prefix cache.
    #[serde(default)]
    pub cached_prompt_tokens: usize,
    pub completion_tokens: usize,
    /// Wall time of the call as the backend measured it, microseconds.
    pub elapsed_us: u64,
    /// For a discarded or failed call: why, with the start of what the model wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl CallRecord {
    /// A record for a call that cost `usage`.
    pub fn new(stage: Stage, outcome: CallOutcome, usage: &Usage) -> CallRecord {
        CallRecord {
            stage,
            outcome,
            prompt_tokens: usage.prompt_tokens,
            cached_prompt_tokens: usage.cached_prompt_tokens,
            completion_tokens: usage.completion_tokens,
            elapsed_us: (usage.elapsed_ms.max(0.0) * 1e3).round() as u64,
            detail: None,
        }
    }
}

/// Counters of one file's (or a run's) model work.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageStats {
    /// Questions the backend computed (answered, discarded or failed).
    pub model_calls: usize,
    /// Questions answered from the result cache.
    pub cached_calls: usize,
    /// Computed questions whose answer was discarded or that failed.
    #[serde(default)]
    pub failed_calls: usize,
    /// Prompt tokens of the computed questions.
    pub prompt_tokens: usize,
    /// Of those, served from the backend's prefix cache.
    #[serde(default)]
    pub cached_prompt_tokens: usize,
    pub completion_tokens: usize,
    /// Model time, milliseconds (rounded).
    pub model_ms: u64,
    /// Model claims discarded by the evidence check, by reason.
    pub discarded_quote: usize,
    pub discarded_cwe: usize,
    pub discarded_rule: usize,
    /// One record per question, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<CallRecord>,
}

impl StageStats {
    /// Records one question.
    pub fn record(&mut self, call: CallRecord) {
        if call.outcome == CallOutcome::Cached {
            self.cached_calls += 1;
        } else {
            self.model_calls += 1;
            self.failed_calls += usize::from(call.outcome != CallOutcome::Parsed);
            self.prompt_tokens += call.prompt_tokens;
            self.cached_prompt_tokens += call.cached_prompt_tokens;
            self.completion_tokens += call.completion_tokens;
            self.model_ms += call.elapsed_us.div_ceil(1000);
        }
        self.calls.push(call);
    }

    pub(crate) fn count_discard(&mut self, r: DiscardReason) {
        use DiscardReason::*;
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

    /// Prompt tokens the backend computed (not served from its prefix cache).
    pub fn computed_prompt_tokens(&self) -> usize {
        self.prompt_tokens - self.cached_prompt_tokens.min(self.prompt_tokens)
    }

    /// Adds another file's counters.
    pub fn add(&mut self, o: &StageStats) {
        self.model_calls += o.model_calls;
        self.cached_calls += o.cached_calls;
        self.failed_calls += o.failed_calls;
        self.prompt_tokens += o.prompt_tokens;
        self.cached_prompt_tokens += o.cached_prompt_tokens;
        self.completion_tokens += o.completion_tokens;
        self.model_ms += o.model_ms;
        self.discarded_quote += o.discarded_quote;
        self.discarded_cwe += o.discarded_cwe;
        self.discarded_rule += o.discarded_rule;
        self.calls.extend_from_slice(&o.calls);
    }

    /// Per stage, the totals of its calls.
    pub fn by_stage(&self) -> BTreeMap<Stage, StageTotals> {
        let mut out: BTreeMap<Stage, StageTotals> = BTreeMap::new();
        for c in &self.calls {
            let t = out.entry(c.stage).or_default();
            *t.outcomes.entry(c.outcome).or_default() += 1;
            if c.outcome != CallOutcome::Cached {
                t.calls += 1;
                t.prompt_tokens += c.prompt_tokens;
                t.cached_prompt_tokens += c.cached_prompt_tokens;
                t.completion_tokens += c.completion_tokens;
                t.elapsed_us += c.elapsed_us;
            }
        }
        out
    }

    /// One phrase per stage with discarded or failed answers, e.g. `7 analyzer answers
    /// discarded: 5 repeated, 2 hit the cap`; empty when every answer was usable.
    pub fn failure_summary(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (stage, t) in self.by_stage() {
            let bad: Vec<(CallOutcome, usize)> = t
                .outcomes
                .iter()
                .filter(|(o, _)| o.is_discarded() || **o == CallOutcome::Error)
                .map(|(o, n)| (*o, *n))
                .collect();
            let total: usize = bad.iter().map(|(_, n)| n).sum();
            if total == 0 {
                continue;
            }
            let parts: Vec<String> = bad
                .iter()
                .map(|(o, n)| format!("{n} {}", o.describe()))
                .collect();
            out.push(format!(
                "{total} {} answer{} discarded: {}",
                stage.as_str(),
                if total == 1 { "" } else { "s" },
                parts.join(", ")
            ));
        }
        out
    }
}

/// One stage's share of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageTotals {
    /// Questions the backend computed.
    pub calls: usize,
    pub prompt_tokens: usize,
    pub cached_prompt_tokens: usize,
    pub completion_tokens: usize,
    pub elapsed_us: u64,
    /// Every question by what became of it (result-cache hits included).
    pub outcomes: BTreeMap<CallOutcome, usize>,
}

impl StageTotals {
    /// Share of computed questions whose answer was usable (`None` without calls).
    pub fn parsed_share(&self) -> Option<f64> {
        let parsed = self
            .outcomes
            .get(&CallOutcome::Parsed)
            .copied()
            .unwrap_or(0);
        (self.calls > 0).then(|| parsed as f64 / self.calls as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(stage: Stage, outcome: CallOutcome, p: usize, cached: usize) -> CallRecord {
        CallRecord::new(
            stage,
            outcome,
            &Usage {
                prompt_tokens: p,
                cached_prompt_tokens: cached,
                completion_tokens: 5,
                elapsed_ms: 1.5,
            },
        )
    }

    #[test]
    fn every_outcome_is_counted_and_summarized() {
        let mut s = StageStats::default();
        s.record(call(Stage::Analyzer, CallOutcome::Parsed, 100, 60));
        s.record(call(Stage::Analyzer, CallOutcome::Repeated, 100, 90));
        s.record(call(Stage::Analyzer, CallOutcome::Repeated, 100, 90));
        s.record(call(Stage::Analyzer, CallOutcome::Capped, 100, 90));
        s.record(CallRecord::new(
            Stage::Calibration,
            CallOutcome::Cached,
            &Usage::default(),
        ));
        assert_eq!((s.model_calls, s.cached_calls, s.failed_calls), (4, 1, 3));
        assert_eq!(s.prompt_tokens, 400);
        assert_eq!(s.computed_prompt_tokens(), 400 - 330);
        assert_eq!(s.completion_tokens, 20);
        assert_eq!(s.model_ms, 8);
        assert_eq!(
            s.failure_summary(),
            vec!["3 analyzer answers discarded: 2 repeated, 1 hit the cap".to_string()]
        );
        let by = s.by_stage();
        assert_eq!(by[&Stage::Analyzer].parsed_share(), Some(0.25));
        assert_eq!(by[&Stage::Calibration].calls, 0);
        assert_eq!(by[&Stage::Calibration].outcomes[&CallOutcome::Cached], 1);
        let mut t = StageStats::default();
        t.add(&s);
        t.add(&s);
        assert_eq!(t.calls.len(), 10);
        assert_eq!(t.failed_calls, 6);
    }
}
