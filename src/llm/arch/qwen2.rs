//! `qwen2` (Qwen2.5, Qwen2.5-Coder): llama-like blocks with biases on the q/k/v projections
//! and NeoX-style (half-split) rotary embeddings.

use super::common::{Activation, Rope, RopeStyle};
use super::hparams::{HeadDim, Hparams};
use super::transformer::{LayerSpec, Transformer};
use super::GgufSource;
use crate::llm::model::ModelError;

/// Loads a `qwen2` GGUF.
pub fn load(src: &mut GgufSource<'_>) -> Result<Transformer, ModelError> {
    let h = Hparams {
        arch: "qwen2",
        head_dim: HeadDim::Derived,
        activation: Activation::Silu,
        scale_embeddings: false,
    };
    let cfg = h.read(src)?;
    let rope = Rope::new(
        cfg.head_dim,
        h.rope_base(src, 10_000.0)?,
        RopeStyle::Neox,
        src.device(),
    )?;
    let spec = LayerSpec {
        qkv_bias: true,
        ..Default::default()
    };
    super::llama::build(src, cfg, spec, vec![rope], |_| (0, None))
}
