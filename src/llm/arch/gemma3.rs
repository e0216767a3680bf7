//! `gemma3` (Gemma 3 text models): interleaved sliding-window (local) and global attention
//! layers with different rotary bases, query/key norms, post-attention and post-feed-forward
//! norms, embeddings scaled by `sqrt(hidden)`, GELU (tanh) gating and tied output embeddings.
//!
//! GGUF files store Gemma's norm weights with the `+1` already folded in, so the norms are
//! plain RMS norms here.

use super::common::{Activation, Rope, RopeStyle};
use super::transformer::{Config, LayerSpec, Transformer};
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
    let heads = src.u32(&format!("{a}.attention.head_count"))?;
    let kv_heads = src
        .u32_opt(&format!("{a}.attention.head_count_kv"))?
        .unwrap_or(heads);
    let hidden = src.u32(&format!("{a}.embedding_length"))?;
    let head_dim = src.u32(&format!("{a}.attention.key_length"))?;
    let window = src.u32(&format!("{a}.attention.sliding_window"))?;
    let pattern = src
        .u32_opt(&format!("{a}.attention.sliding_window_type"))?
        .unwrap_or(DEFAULT_SLIDING_PATTERN)
        .max(1);
    let cfg = Config {
        arch: a.into(),
        hidden,
        heads,
        kv_heads,
        head_dim,
        ffn: src.u32(&format!("{a}.feed_forward_length"))?,
        layers: src.u32(&format!("{a}.block_count"))?,
        vocab_size: super::llama::vocab_size(src, hidden)?,
        context_length: src.u32(&format!("{a}.context_length"))?,
        eps: src.f32(&format!("{a}.attention.layer_norm_rms_epsilon"))? as f64,
        activation: opts.activation,
        embed_scale: Some((hidden as f64).sqrt()),
        attn_scale: 1.0 / (head_dim as f64).sqrt(),
    };
    super::transformer::check_config(src, &cfg)?;
    let global_base = src.f32_or(&format!("{a}.rope.freq_base"), 1_000_000.0)?;
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
