//! pyward: an offline security scanner for Python.
//!
//! The static half is a tree-sitter engine driven by data rules (`rules/`); the LLM half runs a
//! local GGUF model through candle (`llm`), with model management in `models`. The binary
//! (`main.rs`) is a thin shell over this crate.

pub(crate) mod atomic;
pub mod backends;
pub(crate) mod baseline;
pub mod bench;
pub mod cli;
pub mod commands;
pub(crate) mod config;
pub mod device;
pub(crate) mod diff;
pub(crate) mod encoding;
pub(crate) mod error;
pub mod finding;
#[doc(hidden)]
pub mod fuzzing;
#[doc(hidden)]
pub mod heap;
pub mod llm;
pub mod models;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod scan;
pub(crate) mod shard;
pub mod source;
pub(crate) mod suppress;
pub(crate) mod syntax_fields;
