//! Typed errors of the inference runtime (`LlmError`). Each names the model file or the template
//! it is about, so a caller can print it as is.

use std::path::PathBuf;

use crate::llm::model::ModelError;

/// An error of the inference runtime: loading a model, tokenizing, rendering a chat template,
/// compiling a grammar or generating.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// The model implementation failed (loading weights or a forward pass).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The GGUF metadata lacks a key or holds a value of the wrong type.
    #[error("{path}: GGUF metadata: {message}")]
    Metadata { path: PathBuf, message: String },
    /// The tokenizer could not be built or failed on some input.
    #[error("{path}: tokenizer: {message}")]
    Tokenizer { path: PathBuf, message: String },
    /// The GGUF names a tokenizer (model + pre-tokenizer) this runtime does not know how to
    /// reproduce exactly. Refused rather than mis-tokenized.
    #[error(
        "{path}: unsupported tokenizer: tokenizer.ggml.model = `{model}`, tokenizer.ggml.pre = `{pre}` \
         (supported: gpt2 with pre smollm, qwen2 or llama-bpe; llama (sentencepiece)); \
         put the model's tokenizer.json next to the GGUF file to use it instead"
    )]
    UnsupportedTokenizer {
        path: PathBuf,
        model: String,
        pre: String,
    },
    /// The model has no chat template and none was given.
    #[error("{path}: the model has no chat template (tokenizer.chat_template); pass one with --chat-template FILE")]
    NoChatTemplate { path: PathBuf },
    /// The chat template failed to compile or to render (including its own `raise_exception`).
    #[error("chat template {origin}: {message}")]
    Template { origin: String, message: String },
    /// The JSON schema could not be compiled into a grammar, or the grammar engine failed.
    #[error("grammar: {0}")]
    Grammar(String),
    /// The prompt plus the generation budget does not fit the model's context. Raised before any
    /// work, so the caller can split its input.
    #[error("prompt of {prompt_tokens} tokens plus the generation budget does not fit the model context of {context} tokens")]
    ContextOverflow {
        prompt_tokens: usize,
        context: usize,
    },
    /// Generation reached `max_tokens` before the grammar was complete. `text` is what was
    /// generated (shown cut short by `Display`), `usage` what the attempt cost.
    #[error("generation stopped at max_tokens = {max_tokens} before the JSON was complete (text so far begins {})", preview(text))]
    MaxTokens {
        max_tokens: usize,
        text: String,
        usage: Usage,
    },
    /// Generation was stopped because the model started repeating itself: the last `ngram`
    /// tokens had already been generated in that order.
    #[error("generation stopped after {} tokens: the model repeated a run of {ngram} tokens (text begins {})", usage.completion_tokens, preview(text))]
    Repetition {
        ngram: usize,
        text: String,
        usage: Usage,
    },
    /// The generated JSON did not deserialize into the requested type.
    #[error("generated JSON does not match the result type: {message}; text: {text:?}")]
    InvalidOutput { message: String, text: String },
    /// Bad options from the caller (e.g. `max_tokens = 0`).
    #[error("invalid option: {0}")]
    InvalidOption(String),
}

/// What one generation cost, whether or not it produced a usable answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    /// Tokens in the prompt.
    pub prompt_tokens: usize,
    /// Of those, tokens reused from the prefix cache (not forwarded again).
    pub cached_prompt_tokens: usize,
    /// Tokens generated (forced tokens included, the stop token excluded).
    pub completion_tokens: usize,
    /// Time to evaluate the uncached part of the prompt.
    pub prefill_ms: f64,
    /// Time of the decoding loop.
    pub decode_ms: f64,
}

/// The first 60 characters of a generated text, quoted, for one-line error messages.
fn preview(text: &str) -> String {
    let cut: String = text.chars().take(60).collect();
    if cut.len() < text.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}
