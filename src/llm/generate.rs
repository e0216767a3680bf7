//! The decoding loop: sample, check against the grammar (full mask only when the sampled token
//! is rejected), commit, forward; until the grammar is complete or the token budget runs out.

use std::time::Instant;

use crate::llm::constrain::{JsonConstraint, MaskStats};
use crate::llm::error::LlmError;
use crate::llm::model::CausalLm;
use crate::llm::sample::{log_prob, Sampler};

/// What one constrained generation produced.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Generated token ids, without the final stop token.
    pub tokens: Vec<u32>,
    /// Per sampled token (the stop token included when one was sampled; tokens forced by the
    /// grammar excluded, they were no choice), the log-probability the model gave it over the
    /// whole vocabulary (log-softmax of the raw logits, before masking).
    pub logprobs: Vec<f32>,
    /// Tokens the grammar forced (appended without sampling).
    pub forced: usize,
    /// Tokens forwarded through the model (now in its KV cache), in order.
    pub forwarded: Vec<u32>,
    /// Whether the output is a complete value of the grammar.
    pub complete: bool,
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
) -> Result<Generated, LlmError> {
    let t0 = Instant::now();
    let mut tokens = Vec::new();
    let mut logprobs = Vec::new();
    let mut forwarded = Vec::new();
    let mut forced = 0;
    let complete = loop {
        if constraint.is_finished() {
            break true;
        }
        if tokens.len() >= max_tokens {
            break constraint.is_accepting()?;
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
            break true;
        }
        tokens.push(token);
        if constraint.is_finished() {
            break true;
        }
        if tokens.len() >= max_tokens {
            break constraint.is_accepting()?;
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
                break true;
            }
            if tokens.len() >= max_tokens {
                break constraint.is_accepting()?;
            }
        }
        logits = model.forward(&step)?;
        forwarded.extend_from_slice(&step);
    };
    Ok(Generated {
        tokens,
        logprobs,
        forwarded,
        forced,
        complete,
        mask: constraint.stats(),
        decode_ms: t0.elapsed().as_secs_f64() * 1e3,
    })
}
