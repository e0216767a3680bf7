//! The local backend: pipeline completions answered by the in-process candle runtime with
//! grammar-constrained decoding. Nothing leaves the machine.

use std::time::Instant;

use crate::llm::chat::{ChatMessage, PromptBreak, Role as ChatRole};
use crate::llm::error::LlmError;
use crate::llm::{GenOptions, Runtime};
use crate::pipeline::backend::{BackendKind, Degeneration, Role, SampledToken};
use crate::pipeline::{
    Backend, BackendError, BackendInfo, CompletionRequest, CompletionResponse, Usage,
};

/// A [`Runtime`] behind the pipeline's [`Backend`] trait.
#[derive(Debug)]
pub struct LocalBackend {
    runtime: Runtime,
    name: String,
    sha256: String,
    top_p: f32,
    /// `PYWARD_LOG_CALLS=1`: one timing line per model call on stderr; `2`: the prompt too.
    log_calls: u8,
}

impl LocalBackend {
    /// Wraps a loaded runtime. `name` and `sha256` identify the model file in reports and
    /// cache keys (the sha256 must be the file's: cached results are keyed on it).
    pub fn new(
        runtime: Runtime,
        name: impl Into<String>,
        sha256: impl Into<String>,
    ) -> LocalBackend {
        let log_calls = std::env::var("PYWARD_LOG_CALLS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
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
            repeat_ngram: req.repeat_ngram,
        };
        let breaks: Vec<PromptBreak> = req
            .cache_breaks
            .iter()
            .map(|b| PromptBreak {
                message: b.message,
                byte: b.byte,
            })
            .collect();
        let t0 = Instant::now();
        let result = self
            .runtime
            .complete_prompt(&messages, &breaks, &req.schema, &gen);
        let elapsed_ms = t0.elapsed().as_secs_f64() * 1e3;
        if self.log_calls >= 2 {
            for m in &req.messages {
                eprintln!(
                    "pyward: [{}] {:?}:\n{}",
                    req.stage.as_str(),
                    m.role,
                    m.content
                );
            }
        }
        if self.log_calls >= 1 {
            log_call(req, &result, elapsed_ms);
        }
        let c = result.map_err(|e| backend_error(e, elapsed_ms))?;
        Ok(CompletionResponse {
            value: c.value,
            text: c.text,
            sampled: c
                .sampled_spans
                .iter()
                .map(|t| SampledToken {
                    start: t.start,
                    end: t.end,
                    logprob: t.logprob,
                })
                .collect(),
            usage: Usage {
                prompt_tokens: c.prompt_tokens,
                cached_prompt_tokens: c.cached_prompt_tokens,
                completion_tokens: c.completion_tokens,
                elapsed_ms,
            },
        })
    }

    fn context_length(&self) -> Option<usize> {
        Some(self.runtime.context_length())
    }
}

/// `PYWARD_LOG_CALLS=1`: one line per model call, whatever became of it.
fn log_call(
    req: &CompletionRequest,
    result: &Result<crate::llm::Completion<serde_json::Value>, LlmError>,
    elapsed_ms: f64,
) {
    let stage = req.stage.as_str();
    match result {
        Ok(c) => eprintln!(
            "pyward: [{stage}] prompt {} tok ({} cached) prefill {:.0} ms; {} tok ({} forced) decode {:.0} ms; {} masks {:.0} ms; total {elapsed_ms:.0} ms",
            c.prompt_tokens,
            c.cached_prompt_tokens,
            c.prefill_ms,
            c.completion_tokens,
            c.forced_tokens,
            c.decode_ms,
            c.masks_computed,
            c.mask_ms,
        ),
        Err(LlmError::MaxTokens { usage, .. } | LlmError::Repetition { usage, .. }) => eprintln!(
            "pyward: [{stage}] prompt {} tok ({} cached) prefill {:.0} ms; {} tok decode {:.0} ms; discarded ({}); total {elapsed_ms:.0} ms",
            usage.prompt_tokens,
            usage.cached_prompt_tokens,
            usage.prefill_ms,
            usage.completion_tokens,
            usage.decode_ms,
            match result {
                Err(LlmError::Repetition { .. }) => "repeated",
                _ => "hit the cap",
            },
        ),
        Err(e) => eprintln!("pyward: [{stage}] failed after {elapsed_ms:.0} ms: {e}"),
    }
}

/// The runtime's errors in the pipeline's terms.
fn backend_error(e: LlmError, elapsed_ms: f64) -> BackendError {
    let degenerate = |kind, usage: crate::llm::Usage, text| BackendError::Degenerate {
        kind,
        usage: Usage {
            prompt_tokens: usage.prompt_tokens,
            cached_prompt_tokens: usage.cached_prompt_tokens,
            completion_tokens: usage.completion_tokens,
            elapsed_ms,
        },
        text,
    };
    match e {
        LlmError::ContextOverflow {
            prompt_tokens,
            context,
        } => BackendError::ContextOverflow {
            tokens: prompt_tokens,
            limit: context,
        },
        LlmError::MaxTokens { usage, text, .. } => degenerate(Degeneration::Capped, usage, text),
        LlmError::Repetition { usage, text, .. } => degenerate(Degeneration::Repeated, usage, text),
        LlmError::InvalidOutput { .. } => BackendError::Schema(e.to_string()),
        other => BackendError::Model(other.to_string()),
    }
}
