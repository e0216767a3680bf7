//! Typed errors of the library. `anyhow` is used only in `main.rs`.

use std::path::PathBuf;

/// An error about one input file. The scan reports it as a diagnostic and goes on.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Encoding {
        path: PathBuf,
        #[source]
        source: crate::encoding::EncodingError,
    },
    #[error("{path}: binary file (NUL byte at offset {offset})")]
    Binary { path: PathBuf, offset: usize },
    #[error("{path}: file is {size} bytes, over the limit of {limit}")]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{path}: tree-sitter could not parse the file")]
    Parse { path: PathBuf },
    #[error("{path}: {message}")]
    Walk { path: PathBuf, message: String },
}

/// An error in the rule catalogue (a bug in `rules/`, caught by the test suite).
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("rules/{file}: {message}")]
    Invalid { file: String, message: String },
    #[error("rules/{file}: invalid TOML: {source}")]
    Toml {
        file: String,
        #[source]
        source: toml::de::Error,
    },
    #[error("rules/{file}: tree-sitter query does not compile: {message}")]
    Query { file: String, message: String },
    #[error("unknown rule or CWE `{0}` (see `pyward rules`)")]
    UnknownSelector(String),
}

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
