//! Model management: which GGUF file to run, where it comes from, and whether it is intact.
//!
//! - [`manifest`]: the embedded `models/*.toml` catalogue (repo, revision, file, sha256, size, tier).
//! - [`config`]: hub endpoint, cache directory, token and offline mode, read from the environment
//!   in one place ([`ModelsConfig::from_env`]).
//! - [`cache`]: the Hugging Face hub cache layout, shared with Python `huggingface_hub`.
//! - [`hub`]: `pull` (hf-hub download + sha256 verification); the only code that uses the network.
//! - [`import`], [`verify`], [`list`], [`info`]: the other `pyward models` subcommands.
//! - [`resolve()`]: what the scan pipeline calls; it never downloads.
//! - [`cli`]: the clap arguments and `run`.

pub(crate) mod cache;

pub(crate) mod config;
pub(crate) mod error;
pub(crate) mod gguf;
pub(crate) mod hash;
pub(crate) mod hub;
pub mod import;
pub mod info;
pub(crate) mod list;
pub(crate) mod manifest;
pub(crate) mod progress;
pub(crate) mod resolve;
pub(crate) mod store;
pub mod verify;

pub use config::{HubConfig, ModelsConfig};
pub use error::{ModelsError, AIR_GAPPED_HINT};
pub use hub::{pull, PullOptions, PullOutcome};
pub use manifest::{Catalog, Manifest, RecommendedDevice};
pub use resolve::{resolve, resolve_with, ModelRequest, ResolvedModel};
