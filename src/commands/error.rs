//! The error of a command (exit code 2): every module's typed error, converted with `?`.
//! `anyhow` is used only in `main.rs`.

use std::path::PathBuf;

use crate::error::RuleError;

/// A fatal error of a command (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Models(#[from] crate::models::ModelsError),
    #[error(transparent)]
    Llm(#[from] crate::llm::error::LlmError),
    #[error(transparent)]
    Device(#[from] crate::device::DeviceError),
    #[error(transparent)]
    Bench(#[from] crate::bench::BenchError),
    #[error(transparent)]
    Merge(#[from] crate::report::merge::MergeError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Baseline(#[from] crate::baseline::BaselineError),
    #[error(transparent)]
    Diff(#[from] crate::diff::DiffError),
    #[error("--backend openai: {0}")]
    Remote(#[from] crate::backends::OpenAiError),
}
