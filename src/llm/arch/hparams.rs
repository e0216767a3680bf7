//! The hyper-parameters every architecture reads from the same GGUF keys
//! (`{arch}.embedding_length`, `{arch}.attention.head_count`, ...), read once, through a
//! table of what differs between architectures.

use super::common::Activation;
use super::transformer::{check_config, Config};
use super::GgufSource;
use crate::llm::model::ModelError;

/// Where an architecture's attention head size comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadDim {
    /// `embedding_length / head_count` (qwen2).
    Derived,
    /// `attention.key_length` when present, else derived (llama, qwen3).
    KeyLengthOrDerived,
    /// `attention.key_length`, required (gemma3).
    KeyLength,
}

/// What differs between architectures in the common hyper-parameters.
#[derive(Debug, Clone, Copy)]
pub struct Hparams {
    /// The GGUF key prefix and `general.architecture` value.
    pub arch: &'static str,
    pub head_dim: HeadDim,
    pub activation: Activation,
    /// Token embeddings are multiplied by `sqrt(embedding_length)` (gemma3).
    pub scale_embeddings: bool,
}

impl Hparams {
    /// Reads and checks the [`Config`] of a file of this architecture.
    pub fn read(&self, src: &mut GgufSource<'_>) -> Result<Config, ModelError> {
        let a = self.arch;
        let heads = src.u32(&format!("{a}.attention.head_count"))?;
        let kv_heads = src
            .u32_opt(&format!("{a}.attention.head_count_kv"))?
            .unwrap_or(heads);
        let hidden = src.u32(&format!("{a}.embedding_length"))?;
        let derived = hidden.checked_div(heads).unwrap_or(0);
        let key_length = format!("{a}.attention.key_length");
        let head_dim = match self.head_dim {
            HeadDim::Derived => derived,
            HeadDim::KeyLengthOrDerived => src.u32_opt(&key_length)?.unwrap_or(derived),
            HeadDim::KeyLength => src.u32(&key_length)?,
        };
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
            activation: self.activation,
            embed_scale: self.scale_embeddings.then(|| (hidden as f64).sqrt()),
            attn_scale: 1.0 / (head_dim as f64).sqrt(),
        };
        check_config(src, &cfg)?;
        Ok(cfg)
    }

    /// `{arch}.rope.freq_base`, or `default`.
    pub fn rope_base(&self, src: &mut GgufSource<'_>, default: f32) -> Result<f32, ModelError> {
        src.f32_or(&format!("{}.rope.freq_base", self.arch), default)
    }
}
