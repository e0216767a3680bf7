//! `gemma3` (Gemma 3 text models): interleaved sliding-window (local) and global attention
//! layers with different rotary bases, query/key norms, post-attention and post-feed-forward
//! norms, embeddings scaled by `sqrt(hidden)`, GELU (tanh) gating and tied output embeddings.
//!
//! GGUF files store Gemma's norm weights with the `+1` already folded in, so the norms are
//! plain RMS norms here.

use super::common::{Activation, Rope, RopeStyle};
use super::hparams::{HeadDim, Hparams};
use super::transformer::{LayerSpec, Transformer};
use super::GgufSource;
use crate::llm::model::ModelError;

/// Every `SLIDING_PATTERN`-th layer attends globally; the others use the sliding window.
pub const DEFAULT_SLIDING_PATTERN: usize = 6;

/// Options that deviate from the reference model (used to compare against other
/// implementations).
#[derive(Debug, Clone, Copy)]
pub struct Gemma3Options {
    /// Feed-forward activation; Gemma 3 uses GELU (tanh approximation).
    pub activation: Activation,
}

impl Default for Gemma3Options {
    fn default() -> Self {
        Self {
            activation: Activation::GeluTanh,
        }
    }
}

/// Loads a `gemma3` GGUF.
pub fn load(src: &mut GgufSource<'_>) -> Result<Transformer, ModelError> {
    load_with(src, Gemma3Options::default())
}

/// Loads a `gemma3` GGUF with explicit [`Gemma3Options`].
pub fn load_with(src: &mut GgufSource<'_>, opts: Gemma3Options) -> Result<Transformer, ModelError> {
    let a = "gemma3";
    let h = Hparams {
        arch: a,
        head_dim: HeadDim::KeyLength,
        activation: opts.activation,
        scale_embeddings: true,
    };
    let cfg = h.read(src)?;
    let head_dim = cfg.head_dim;
    let window = src.u32(&format!("{a}.attention.sliding_window"))?;
    let pattern = src
        .u32_opt(&format!("{a}.attention.sliding_window_type"))?
        .unwrap_or(DEFAULT_SLIDING_PATTERN)
        .max(1);
    let global_base = h.rope_base(src, 1_000_000.0)?;
    let local_base = src.f32_or(&format!("{a}.rope.local_freq_base"), 10_000.0)?;
    let ropes = vec![
        Rope::new(head_dim, local_base, RopeStyle::Neox, src.device())?,
        Rope::new(head_dim, global_base, RopeStyle::Neox, src.device())?,
    ];
    let spec = LayerSpec {
        qk_norm: true,
        post_norms: true,
        ..Default::default()
    };
    super::llama::build(src, cfg, spec, ropes, move |i| {
        if (i + 1) % pattern == 0 {
            (1, None)
        } else {
            (0, Some(window))
        }
    })
}
