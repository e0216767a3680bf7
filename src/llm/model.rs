//! The contract between the model implementations (`llm/arch`) and the runtime that
//! tokenizes, renders chat templates and decodes under a grammar.

use std::path::PathBuf;

/// An error from a model implementation: loading weights or running a forward pass.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{0}")]
    Message(String),
    /// The file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file does not start with the GGUF magic bytes.
    #[error("{}: not a GGUF file ({reason})", path.display())]
    NotGguf { path: PathBuf, reason: String },
    /// The header or the tensor data is damaged or cut short.
    #[error("{}: corrupt or truncated GGUF: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    /// `general.architecture` names a model family pyward does not implement.
    #[error("{}: unsupported architecture `{arch}` (supported: {supported})", path.display())]
    UnsupportedArchitecture {
        path: PathBuf,
        arch: String,
        supported: String,
    },
    /// A tensor uses a quantization format pyward cannot run (e.g. the IQ* family).
    #[error("{}: tensor `{tensor}` uses unsupported quantization type {dtype}; use a Q4_0/Q4_K_M/Q5_K_M/Q6_K/Q8_0 file", path.display())]
    UnsupportedQuant {
        path: PathBuf,
        tensor: String,
        dtype: String,
    },
    /// A metadata key the architecture needs is absent or has the wrong type.
    #[error("{}: missing or invalid metadata key `{key}`", path.display())]
    MissingMetadata { path: PathBuf, key: String },
    /// A weight tensor the architecture needs is absent or has an unexpected shape.
    #[error("{}: missing or malformed tensor `{name}`: {reason}", path.display())]
    MissingTensor {
        path: PathBuf,
        name: String,
        reason: String,
    },
    /// `forward` was asked to go past the model's context window.
    #[error("context overflow: {needed} positions needed, the model supports {limit}")]
    ContextOverflow { needed: usize, limit: usize },
    /// A token id outside the vocabulary was passed to `forward`.
    #[error("token id {token} is outside the vocabulary (size {vocab_size})")]
    InvalidToken { token: u32, vocab_size: usize },
    /// The device ran out of memory while loading or running the model.
    #[error("out of memory on {device} while {during}: {detail}; try a smaller model or quantization, or run on CPU")]
    OutOfMemory {
        device: String,
        during: String,
        detail: String,
    },
    /// An error from candle's tensor library.
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),
}

impl ModelError {
    /// Maps a candle error raised on `device` to [`ModelError::OutOfMemory`] when its text says
    /// the device ran out of memory, otherwise to [`ModelError::Candle`].
    pub fn from_candle_on(
        err: candle_core::Error,
        device: &candle_core::Device,
        during: &str,
    ) -> Self {
        let text = err.to_string();
        let lower = text.to_ascii_lowercase();
        if lower.contains("out of memory")
            || lower.contains("out_of_memory")
            || lower.contains("memory allocation")
        {
            ModelError::OutOfMemory {
                device: format!("{device:?}"),
                during: during.to_string(),
                detail: text,
            }
        } else {
            ModelError::Candle(err)
        }
    }
}

/// A causal language model with a key/value cache.
///
/// The cache holds positions `0..cache_len()`. `forward` appends. Truncating the cache to the
/// length of a shared prefix and forwarding only the rest is how the prefix cache works.
pub trait CausalLm: Send {
    /// Runs `tokens` at positions `cache_len()..cache_len()+tokens.len()`, appends them to the
    /// cache and returns the logits (f32, length `vocab_size()`) of the last token.
    fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ModelError>;
    /// Number of positions in the cache.
    fn cache_len(&self) -> usize;
    /// Drops cached positions `len..`. `truncate_cache(0)` clears it.
    fn truncate_cache(&mut self, len: usize);
    /// Maximum positions the model supports (from the GGUF metadata).
    fn context_length(&self) -> usize;
    fn vocab_size(&self) -> usize;
}
