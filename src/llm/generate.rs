//! The decoding loop: sample, check against the grammar (full mask only when the sampled token
//! is rejected), commit, forward; until the grammar is complete, the token budget runs out, or
//! the model starts repeating itself.

use std::collections::HashSet;
use std::time::Instant;

use crate::llm::constrain::{JsonConstraint, MaskStats};
use crate::llm::error::LlmError;
use crate::llm::model::CausalLm;
use crate::llm::sample::{log_prob, Sampler};

/// Why a generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenStop {
    /// The output is a complete value of the grammar.
    Complete,
    /// The token budget ran out first.
    Cap,
    /// The last `ngram` tokens repeated an earlier run (see [`RepeatGuard`]).
    Repeated,
}

/// Stops a generation as soon as its last `ngram` tokens (sampled and forced alike) occurred
/// before in the same order: a small model that loops on the same JSON object is cut off one
/// n-gram into the second copy instead of at the token cap.
///
/// The n-gram must be longer than any legitimate repeat of the answer's structure: keys and
/// separators repeat in every array item, so callers size it above one item's fixed part, or
/// turn the guard off where the schema alone bounds the answer.
#[derive(Debug, Clone)]
pub struct RepeatGuard {
    ngram: usize,
    seen: HashSet<u64>,
}

impl RepeatGuard {
    /// A guard over windows of `ngram` tokens (`ngram` ≥ 2).
    pub fn new(ngram: usize) -> RepeatGuard {
        RepeatGuard {
            ngram: ngram.max(2),
            seen: HashSet::new(),
        }
    }

    /// Records the window ending at the end of `tokens`; true when that window was seen before.
    pub fn repeats(&mut self, tokens: &[u32]) -> bool {
        if tokens.len() < self.ngram {
            return false;
        }
        let window = &tokens[tokens.len() - self.ngram..];
        // FNV-1a over the ids: collisions only cost a false stop, at 2^-64 odds per window.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &t in window {
            for b in t.to_le_bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        !self.seen.insert(h)
    }

    /// [`Self::repeats`] for each new token of `tokens[from..]`, in order.
    fn any_repeat(&mut self, tokens: &[u32], from: usize) -> bool {
        (from + 1..=tokens.len()).any(|end| self.repeats(&tokens[..end]))
    }
}

/// What one constrained generation produced.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Generated token ids, without the final stop token.
    pub tokens: Vec<u32>,
    /// Indices into `tokens` of the sampled tokens (the others were forced by the grammar).
    pub sampled: Vec<usize>,
    /// Per sampled token (the stop token included when one was sampled; tokens forced by the
    /// grammar excluded, they were no choice), the log-probability the model gave it over the
    /// whole vocabulary (log-softmax of the raw logits, before masking).
    pub logprobs: Vec<f32>,
    /// Tokens the grammar forced (appended without sampling).
    pub forced: usize,
    /// Tokens forwarded through the model (now in its KV cache), in order.
    pub forwarded: Vec<u32>,
    /// The size of each forward call that produced `forwarded`, in order.
    pub steps: Vec<usize>,
    /// Why the loop ended.
    pub stop: GenStop,
    /// Grammar statistics.
    pub mask: MaskStats,
    /// Wall time of the loop in milliseconds (forward passes, sampling and grammar).
    pub decode_ms: f64,
}

/// Runs the loop from `logits` (the model's output for the last prompt token).
pub fn generate_constrained(
    model: &mut dyn CausalLm,
    mut logits: Vec<f32>,
    constraint: &mut JsonConstraint,
    sampler: &mut Sampler,
    max_tokens: usize,
    mut guard: Option<&mut RepeatGuard>,
) -> Result<Generated, LlmError> {
    let t0 = Instant::now();
    let mut tokens = Vec::new();
    let mut sampled = Vec::new();
    let mut logprobs = Vec::new();
    let mut forwarded = Vec::new();
    let mut steps = Vec::new();
    let mut forced = 0;
    let at_cap = |c: &mut JsonConstraint| -> Result<GenStop, LlmError> {
        Ok(if c.is_accepting()? {
            GenStop::Complete
        } else {
            GenStop::Cap
        })
    };
    let stop = loop {
        if constraint.is_finished() {
            break GenStop::Complete;
        }
        if tokens.len() >= max_tokens {
            break at_cap(constraint)?;
        }
        let token = match sampler.sample(&logits, |_| true) {
            Some(t) if constraint.allows(t)? => t,
            _ => {
                let mask = constraint.mask()?;
                let known = mask.len();
                sampler
                    .sample(&logits, |id| (id as usize) < known && mask.is_allowed(id))
                    .ok_or_else(|| {
                        LlmError::Grammar(
                            "no token allowed by the grammar has a finite logit".into(),
                        )
                    })?
            }
        };
        logprobs.push(log_prob(&logits, token, |_| true));
        constraint.commit(token)?;
        if constraint.is_stop(token) {
            break GenStop::Complete;
        }
        let step_start = tokens.len();
        sampled.push(tokens.len());
        tokens.push(token);
        if constraint.is_finished() {
            break GenStop::Complete;
        }
        if tokens.len() >= max_tokens {
            break at_cap(constraint)?;
        }
        // Bytes the grammar forces (keys, separators) go through the model in one batch with the
        // sampled token instead of one forward each.
        let mut step = vec![token];
        let ff = constraint.forced_tokens(max_tokens - tokens.len())?;
        if !ff.is_empty() {
            forced += ff.len();
            tokens.extend_from_slice(&ff);
            step.extend_from_slice(&ff);
            if constraint.is_finished() {
                break GenStop::Complete;
            }
            if tokens.len() >= max_tokens {
                break at_cap(constraint)?;
            }
        }
        if guard
            .as_deref_mut()
            .is_some_and(|g| g.any_repeat(&tokens, step_start))
        {
            break GenStop::Repeated;
        }
        logits = model.forward(&step)?;
        steps.push(step.len());
        forwarded.extend_from_slice(&step);
    };
    Ok(Generated {
        tokens,
        sampled,
        logprobs,
        forwarded,
        steps,
        forced,
        stop,
        mask: constraint.stats(),
        decode_ms: t0.elapsed().as_secs_f64() * 1e3,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_fires_on_the_first_repeated_window_only() {
        let mut g = RepeatGuard::new(3);
        let mut toks = Vec::new();
        for t in [1, 2, 3, 4, 5, 1, 2] {
            toks.push(t);
            assert!(!g.repeats(&toks), "{toks:?}");
        }
        toks.push(3);
        assert!(g.repeats(&toks), "1 2 3 came again");
    }

    #[test]
    fn structure_shorter_than_the_window_is_not_a_repeat() {
        // Items that share keys and separators but differ in a value every 4 tokens.
        let mut g = RepeatGuard::new(6);
        let mut toks = Vec::new();
        for item in 0..20u32 {
            toks.extend([100, 101, 200 + item, 102]);
        }
        assert!(!g.any_repeat(&toks, 0));
        let mut g = RepeatGuard::new(3);
        assert!(
            g.any_repeat(&toks, 0),
            "a window of 3 does see the shared structure"
        );
    }
}
