//! pyward: an offline security scanner for Python.
//!
//! The static half is a tree-sitter engine driven by data rules (`rules/`); the LLM half runs a
//! local GGUF model through candle (`llm`). The binary (`main.rs`) is a thin shell over this crate.

pub mod cli;
pub mod bench;
pub mod commands;
pub mod error;
pub mod finding;
pub mod llm;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod suppress;
