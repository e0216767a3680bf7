//! The contract between the model implementations (`llm/arch`) and the runtime that
//! tokenizes, renders chat templates and decodes under a grammar.

/// An error from a model implementation: loading weights or running a forward pass.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{0}")]
    Message(String),
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
