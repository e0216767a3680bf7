//! The typed error of model management: manifests, the hub, the cache, import, verify and info.

use std::path::PathBuf;

/// How to get a model onto a machine without network access. Appended to every error that
/// means "the model is not here and cannot be fetched".
pub const AIR_GAPPED_HINT: &str =
    "air-gapped? copy the .gguf file over and pass `--model /path/model.gguf`, \
or register it once with `pyward models import FILE.gguf` (see docs/air-gapped.md)";

/// An error of `pyward models` or of model resolution.
#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    /// A manifest under `models/` (or one given to the library) is malformed.
    #[error("models/{file}: {message}")]
    ManifestInvalid { file: String, message: String },

    /// A manifest under `models/` is not valid TOML.
    #[error("models/{file}: invalid TOML: {source}")]
    ManifestToml {
        file: String,
        #[source]
        source: Box<toml::de::Error>,
    },

    /// No manifest and no imported model has this name.
    #[error("unknown model `{name}` (known: {known}; see `pyward models list`)")]
    UnknownModel { name: String, known: String },

    /// The manifest's sha256 was not verified by its author; `pull` does not trust it by default.
    #[error(
        "model `{name}`: the manifest's sha256 is not verified, so a download could not be checked; \
         pass --allow-unverified to download it anyway (the file's actual sha256 is printed), or {hint}",
        hint = AIR_GAPPED_HINT
    )]
    Unverified { name: String },

    /// Offline mode (`--offline` / `HF_HUB_OFFLINE=1`) and the model is not in the cache.
    #[error(
        "model `{name}` ({location}) is not in the cache at {cache}, and offline mode \
         ({why}) forbids downloading it; no network request was made. Run `pyward models pull {name}` \
         on a machine with access to the hub, or {hint}",
        hint = AIR_GAPPED_HINT
    )]
    OfflineNotCached {
        name: String,
        /// `repo@revision/file`.
        location: String,
        cache: PathBuf,
        why: String,
    },

    /// Resolution found no local copy of a named model (resolution never downloads).
    #[error(
        "model `{name}` is not downloaded (looked in {cache}{imported}). Get it with \
         `pyward models pull {name}`, or {hint}{others}",
        hint = AIR_GAPPED_HINT
    )]
    NotCached {
        name: String,
        cache: PathBuf,
        /// ", and in the pyward index at ..." or empty.
        imported: String,
        /// "; cached now: a, b (use --model-name)" or empty.
        others: String,
    },

    /// The hub could not be reached at all (DNS, connection refused, TLS, timeout).
    #[error(
        "cannot reach the Hugging Face hub at {endpoint} ({message}). If this machine is offline, \
         set HF_HUB_OFFLINE=1 or pass --offline to use the cache only; {hint}",
        hint = AIR_GAPPED_HINT
    )]
    HubUnreachable { endpoint: String, message: String },

    /// The hub answered with an HTTP error.
    #[error("{url}: the hub answered HTTP {status}{advice}")]
    HubStatus {
        url: String,
        status: u16,
        /// A sentence about what to do (token for 401/403, wrong pin for 404).
        advice: String,
    },

    /// The hub's answer is not what the manifest pins (other commit, other size, other etag).
    #[error("{url}: {message}")]
    HubMismatch { url: String, message: String },

    /// The connection broke while the file was being downloaded.
    #[error(
        "download of {url} was interrupted ({message}); nothing was added to the cache. \
         The partial data is kept at {partial} and `pyward models pull` resumes from it"
    )]
    Interrupted {
        url: String,
        message: String,
        partial: PathBuf,
    },

    /// Any other failure of the hub client.
    #[error("{url}: download failed: {message}")]
    Download { url: String, message: String },

    /// A file's sha256 is not the one the manifest pins. The bad file was deleted when it was in
    /// the cache (`removed`).
    #[error(
        "{path}: sha256 mismatch: expected {expected}, got {actual}{note}",
        note = removed_note(.removed)
    )]
    Sha256Mismatch {
        path: PathBuf,
        expected: String,
        actual: String,
        removed: bool,
    },

    /// A file's size is not the one the manifest pins.
    #[error("{path}: size mismatch: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },

    /// `import` of a file that matches no manifest, without `--name`.
    #[error(
        "{path}: sha256 {sha256} matches no model manifest; pass --name NAME to register it as a custom model"
    )]
    ImportNeedsName { path: PathBuf, sha256: String },

    /// A custom model name is not usable.
    #[error("invalid model name `{name}`: {message}")]
    InvalidName { name: String, message: String },

    /// A path given with `--model` or to `import`/`info` is not a readable regular file.
    #[error("{path}: {message}")]
    BadPath { path: PathBuf, message: String },

    /// The file is not a GGUF file or its header is malformed.
    #[error("{path}: not a valid GGUF file: {message}")]
    Gguf { path: PathBuf, message: String },

    /// Loading or running a model failed (`models bench`); the message names the file.
    #[error(transparent)]
    Model(#[from] crate::llm::model::ModelError),

    /// The requested device cannot be used.
    #[error(transparent)]
    Device(#[from] crate::device::DeviceError),

    /// An I/O error on a named file.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The pyward index file is corrupt.
    #[error("{path}: corrupt pyward model index: {message}")]
    Index { path: PathBuf, message: String },
}

fn removed_note(removed: &bool) -> &'static str {
    if *removed {
        " (the bad file was removed from the cache)"
    } else {
        ""
    }
}

impl ModelsError {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ModelsError::Io {
            path: path.into(),
            source,
        }
    }
}
