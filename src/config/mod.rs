//! Project configuration: `pyward.toml`, or `[tool.pyward]` in `pyproject.toml`.
//!
//! As ruff does, the file is found by walking up from the first scanned path (the current
//! directory for `-`): in each directory a `pyward.toml` wins over a `pyproject.toml`, a
//! `pyproject.toml` without a `[tool.pyward]` table is passed over, and the first file found
//! is the only one read (no merging). `--config FILE` names the file instead, `--isolated`
//! reads none. Command-line flags override the file's values (see [`apply`]); `pyward config`
//! shows the result ([`show`]). Keys are listed in [`file::Options`] and `docs/config.md`.

pub(crate) mod apply;
pub(crate) mod file;
pub(crate) mod show;

use std::path::{Path, PathBuf};

pub use apply::Project;
pub use file::Options;

use crate::cli::workflow::ConfigFileArgs;

/// A configuration file that could not be used (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Invalid TOML, an unknown key, a value of the wrong type or out of range.
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// A configuration file and what it says.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    /// The file, as found (absolute when discovered).
    pub path: PathBuf,
    /// Its directory: relative paths and globs in it are relative to this.
    pub dir: PathBuf,
    pub options: Options,
}

impl ConfigFile {
    /// The file's path for messages and `pyward config`.
    pub fn label(&self) -> String {
        crate::source::label_of(&self.path)
    }

    /// An error about this file.
    pub fn invalid(&self, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: self.label(),
            message: message.into(),
        }
    }
}

/// The configuration that applies to a run over `paths`: the `--config` file, none with
/// `--isolated`, or the first one found above the first path.
pub fn resolve(
    args: &ConfigFileArgs,
    paths: &[PathBuf],
) -> Result<Option<ConfigFile>, ConfigError> {
    if args.isolated {
        return Ok(None);
    }
    if let Some(path) = &args.config {
        return load(path).map(Some);
    }
    let start = paths
        .iter()
        .find(|p| p.as_os_str() != "-")
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    discover(&start)
}

/// The first `pyward.toml`, or `pyproject.toml` with `[tool.pyward]`, in the directory of
/// `start` or above it.
pub fn discover(start: &Path) -> Result<Option<ConfigFile>, ConfigError> {
    let Ok(abs) = std::fs::canonicalize(start).or_else(|_| std::path::absolute(start)) else {
        return Ok(None);
    };
    let first = if abs.is_dir() {
        abs.as_path()
    } else {
        abs.parent().unwrap_or(&abs)
    };
    for dir in first.ancestors() {
        let own = dir.join("pyward.toml");
        if own.is_file() {
            return load(&own).map(Some);
        }
        let pyproject = dir.join("pyproject.toml");
        if pyproject.is_file() {
            if let Some(found) = file::parse_pyproject(&pyproject, &read(&pyproject)?)? {
                return Ok(Some(with_dir(pyproject, found)));
            }
        }
    }
    Ok(None)
}

/// Reads `path`: a `pyproject.toml` (by name) must have a `[tool.pyward]` table; any other
/// file is a `pyward.toml`, with the keys at the top level.
pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
    let text = read(path)?;
    let options = if path.file_name().is_some_and(|n| n == "pyproject.toml") {
        file::parse_pyproject(path, &text)?.ok_or_else(|| ConfigError::Invalid {
            path: crate::source::label_of(path),
            message: "no [tool.pyward] table".into(),
        })?
    } else {
        file::parse_pyward_toml(path, &text)?
    };
    Ok(with_dir(path.to_path_buf(), options))
}

fn with_dir(path: PathBuf, options: Options) -> ConfigFile {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    ConfigFile { path, dir, options }
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: crate::source::label_of(path),
        source,
    })
}
