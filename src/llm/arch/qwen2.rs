//! `qwen2` (Qwen2.5, Qwen2.5-Coder): llama-like blocks with biases on the q/k/v projections
//! and NeoX-style (half-split) rotary embeddings.

use super::common::{Activation, Rope, RopeStyle};
use super::transformer::{Config, LayerSpec, Transformer};
use super::GgufSource;
use crate::llm::model::ModelError;

/// Loads a `qwen2` GGUF.
pub fn load(src: &mut GgufSource<'_>) -> Result<Transformer, ModelError> {
    let a = "qwen2";
    let heads = src.u32(&format!("{a}.attention.head_count"))?;
    let kv_heads = src
        .u32_opt(&format!("{a}.attention.head_count_kv"))?
        .unwrap_or(heads);
    let hidden = src.u32(&format!("{a}.embedding_length"))?;
    let head_dim = hidden.checked_div(heads).unwrap_or(0);
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
        activation: Activation::Silu,
        embed_scale: None,
        attn_scale: 1.0 / (head_dim as f64).sqrt(),
    };
    super::transformer::check_config(src, &cfg)?;
    let base = src.f32_or(&format!("{a}.rope.freq_base"), 10_000.0)?;
    let rope = Rope::new(head_dim, base, RopeStyle::Neox, src.device())?;
    let spec = LayerSpec {
        qkv_bias: true,
        ..Default::default()
    };
    super::llama::build(src, cfg, spec, vec![rope], |_| (0, None))
}
