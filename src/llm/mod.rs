//! The local inference runtime: GGUF models through candle, constrained to JSON.
pub mod arch;
pub mod bench;
pub(crate) mod chat;
pub(crate) mod constrain;
pub(crate) mod error;
pub(crate) mod generate;
pub(crate) mod heap;
pub mod kernels;
pub mod load;
pub mod model;
pub(crate) mod prefix;
pub(crate) mod procfs;
pub mod runtime;
pub(crate) mod sample;
pub mod testing;
pub mod tokenizer;

pub use chat::{ChatMessage, ChatTemplate, PromptBreak, Role};
pub use error::{LlmError, Usage};
pub use kernels::set_threads;
pub use runtime::{Completion, GenOptions, ModelInfo, Runtime, RuntimeOptions, TokenSpan};
