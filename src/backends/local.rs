//! The local backend: pipeline completions answered by the in-process candle runtime with
//! grammar-constrained decoding. Nothing leaves the machine.

use std::time::Instant;

use crate::llm::chat::{ChatMessage, Role as ChatRole};
use crate::llm::error::LlmError;
use crate::llm::{GenOptions, Runtime};
use crate::pipeline::backend::{BackendKind, Role};
use crate::pipeline::{Backend, BackendError, BackendInfo, CompletionRequest, CompletionResponse};

/// A [`Runtime`] behind the pipeline's [`Backend`] trait.
#[derive(Debug)]
pub struct LocalBackend {
    runtime: Runtime,
    name: String,
    sha256: String,
    top_p: f32,
    /// `PYWARD_LOG_CALLS=1`: one timing line per model call on stderr.
    log_calls: bool,
}

impl LocalBackend {
    /// Wraps a loaded runtime. `name` and `sha256` identify the model file in reports and
    /// cache keys (the sha256 must be the file's: cached results are keyed on it).
    pub fn new(
        runtime: Runtime,
        name: impl Into<String>,
        sha256: impl Into<String>,
    ) -> LocalBackend {
        let log_calls = std::env::var("PYWARD_LOG_CALLS").is_ok_and(|v| v == "1");
        LocalBackend {
            runtime,
            name: name.into(),
            sha256: sha256.into(),
            top_p: 0.95,
            log_calls,
        }
    }

    /// The runtime (model facts, token counts).
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }
}

impl Backend for LocalBackend {
    fn describe(&self) -> BackendInfo {
        BackendInfo {
            name: "candle".into(),
            kind: BackendKind::Local,
            model: self.name.clone(),
            model_sha256: self.sha256.clone(),
            sends_code_off_machine: false,
        }
    }

    fn complete(&mut self, req: &CompletionRequest) -> Result<CompletionResponse, BackendError> {
        let messages: Vec<ChatMessage> = req
            .messages
            .iter()
            .map(|m| ChatMessage {
                role: match m.role {
                    Role::System => ChatRole::System,
                    Role::User => ChatRole::User,
                    Role::Assistant => ChatRole::Assistant,
                },
                content: m.content.clone(),
            })
            .collect();
        let gen = GenOptions {
            max_tokens: req.max_tokens,
            temperature: req.temperature,
            top_p: if req.temperature > 0.0 {
                self.top_p
            } else {
                1.0
            },
            seed: req.seed,
        };
        let t0 = Instant::now();
        let c = self
            .runtime
            .complete_json_value(&messages, &req.schema, &gen)
            .map_err(backend_error)?;
        if self.log_calls {
            eprintln!(
                "pyward: [{}] prompt {} tok ({} cached) prefill {:.0} ms; {} tok ({} forced) decode {:.0} ms; {} masks {:.0} ms; total {:.0} ms",
                req.stage.as_str(),
                c.prompt_tokens,
                c.cached_prompt_tokens,
                c.prefill_ms,
                c.completion_tokens,
                c.forced_tokens,
                c.decode_ms,
                c.masks_computed,
                c.mask_ms,
                t0.elapsed().as_secs_f64() * 1e3
            );
        }
        Ok(CompletionResponse {
            value: c.value,
            token_logprobs: c.token_logprobs,
            prompt_tokens: c.prompt_tokens,
            completion_tokens: c.completion_tokens,
            elapsed_ms: t0.elapsed().as_secs_f64() * 1e3,
        })
    }
}

/// The runtime's errors in the pipeline's terms.
fn backend_error(e: LlmError) -> BackendError {
    match e {
        LlmError::ContextOverflow {
            prompt_tokens,
            context,
        } => BackendError::ContextOverflow {
            tokens: prompt_tokens,
            limit: context,
        },
        LlmError::MaxTokens { .. } | LlmError::InvalidOutput { .. } => {
            BackendError::Schema(e.to_string())
        }
        other => BackendError::Model(other.to_string()),
    }
}
