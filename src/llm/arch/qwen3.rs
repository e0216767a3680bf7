//! `qwen3` (Qwen3 dense): RMS norms on each query and key head before the rotary embedding,
//! no projection biases, an explicit head dimension (`attention.key_length`).

use super::common::{Activation, Rope, RopeStyle};
use super::hparams::{HeadDim, Hparams};
use super::transformer::{LayerSpec, Transformer};
use super::GgufSource;
use crate::llm::model::ModelError;

/// Loads a `qwen3` GGUF.
pub fn load(src: &mut GgufSource<'_>) -> Result<Transformer, ModelError> {
    let h = Hparams {
        arch: "qwen3",
        head_dim: HeadDim::KeyLengthOrDerived,
        activation: Activation::Silu,
        scale_embeddings: false,
    };
    let cfg = h.read(src)?;
    let rope = Rope::new(
        cfg.head_dim,
        h.rope_base(src, 1_000_000.0)?,
        RopeStyle::Neox,
        src.device(),
    )?;
    let spec = LayerSpec {
        qk_norm: true,
        ..Default::default()
    };
    super::llama::build(src, cfg, spec, vec![rope], |_| (0, None))
}
