//! Implementations of the pipeline's [`Backend`](crate::pipeline::Backend) trait.
//!
//! * [`local`]: the in-process candle runtime ([`crate::llm::Runtime`]); no code leaves the
//!   machine.

pub mod local;

pub use local::LocalBackend;
