//! The leaf errors: one input file (`SourceError`) and the rule catalogue (`RuleError`). They
//! depend on nothing else in the crate; a command's error is `commands::Error`.

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
