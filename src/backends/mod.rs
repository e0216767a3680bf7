//! Implementations of the pipeline's [`Backend`](crate::pipeline::Backend) trait.
//!
//! * [`local`]: the in-process candle runtime ([`crate::llm::Runtime`]); no code leaves the
//!   machine.
//! * [`openai`]: a hosted or self-hosted server speaking the OpenAI Chat Completions API; the
//!   scanned code is sent to it (off the machine unless the server is on loopback).

pub(crate) mod local;
pub(crate) mod openai;

pub use local::LocalBackend;
pub use openai::{OpenAiBackend, OpenAiConfig, OpenAiError};
