//! The local inference runtime: GGUF models through candle, constrained to JSON.
pub mod arch;
pub mod bench;
pub mod chat;
pub mod constrain;
pub mod error;
pub mod generate;
pub mod kernels;
pub mod load;
pub mod model;
pub mod prefix;
pub mod procfs;
pub mod runtime;
pub mod sample;
pub mod testing;
pub mod tokenizer;

pub use chat::{ChatMessage, ChatTemplate, PromptBreak, Role};
pub use error::{LlmError, Usage};
pub use kernels::set_threads;
pub use runtime::{Completion, GenOptions, ModelInfo, Runtime, RuntimeOptions, TokenSpan};
