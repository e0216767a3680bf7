//! The keys of a configuration file, parsed strictly: an unknown key or a wrong type is an
//! error naming the file, the line and the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};

use super::ConfigError;
use crate::cli::{BackendArg, FailOn};

/// What a configuration file may set. Every key is optional; kebab-case as in ruff.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// `--select`: rule ids, CWE ids or categories.
    pub select: Option<Vec<String>>,
    /// `--ignore`.
    pub ignore: Option<Vec<String>>,
    /// Gitignore-style globs, relative to the file's directory; unlike `--exclude` they also
    /// drop files named on the command line (so a pre-commit hook honours them).
    pub exclude: Option<Vec<String>>,
    /// `--fail-on`: low, medium or high.
    #[serde(default, deserialize_with = "value_enum")]
    pub fail_on: Option<FailOn>,
    /// Glob (relative to the file's directory, or a file name) → selectors not reported there.
    pub per_file_ignores: Option<BTreeMap<String, Vec<String>>>,
    /// `--model`: a GGUF file (relative to the file's directory).
    pub model: Option<PathBuf>,
    /// `--model-name`.
    pub model_name: Option<String>,
    /// `--backend`: local or openai.
    #[serde(default, deserialize_with = "value_enum")]
    pub backend: Option<BackendArg>,
    /// `--base-url` (with backend = "openai").
    pub base_url: Option<String>,
    /// `--api-model` (with backend = "openai").
    pub api_model: Option<String>,
    /// `--cache-dir` (relative to the file's directory).
    pub cache_dir: Option<PathBuf>,
}

/// The keys, in the order `pyward config` shows them.
pub const KEYS: &[&str] = &[
    "select",
    "ignore",
    "exclude",
    "fail-on",
    "per-file-ignores",
    "model",
    "model-name",
    "backend",
    "base-url",
    "api-model",
    "cache-dir",
];

/// A clap value enum from its command-line spelling (`fail-on = "high"`).
fn value_enum<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: clap::ValueEnum,
{
    let text = String::deserialize(d)?;
    T::from_str(&text, true).map(Some).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        serde::de::Error::custom(format!("`{text}` is not one of: {}", names.join(", ")))
    })
}

/// A `pyward.toml`: the keys at the top level.
pub fn parse_pyward_toml(path: &Path, text: &str) -> Result<Options, ConfigError> {
    toml::from_str(text).map_err(|e| invalid(path, &e))
}

/// A `pyproject.toml`: the `[tool.pyward]` table, or `None` without one.
pub fn parse_pyproject(path: &Path, text: &str) -> Result<Option<Options>, ConfigError> {
    #[derive(Deserialize)]
    struct Pyproject {
        tool: Option<Tool>,
    }
    #[derive(Deserialize)]
    struct Tool {
        pyward: Option<Options>,
    }
    let p: Pyproject = toml::from_str(text).map_err(|e| invalid(path, &e))?;
    Ok(p.tool.and_then(|t| t.pyward))
}

fn invalid(path: &Path, e: &toml::de::Error) -> ConfigError {
    // toml's message names the line, shows it and says which key is unknown or wrong.
    ConfigError::Invalid {
        path: crate::source::label_of(path),
        message: e.to_string().trim_end().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_unknown_keys_are_refused() {
        let o = parse_pyward_toml(
            Path::new("pyward.toml"),
            "select = [\"PW101\"]\nfail-on = \"high\"\nbackend = \"openai\"\n\
             [per-file-ignores]\n\"tests/*.py\" = [\"PW101\"]\n",
        )
        .unwrap();
        assert_eq!(o.select.unwrap(), ["PW101"]);
        assert_eq!(o.fail_on, Some(FailOn::High));
        assert_eq!(o.backend, Some(BackendArg::Openai));
        assert_eq!(o.per_file_ignores.unwrap()["tests/*.py"], ["PW101"]);
        let e = parse_pyward_toml(Path::new("p/pyward.toml"), "selectt = []\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p/pyward.toml: "), "{e}");
        assert!(e.contains("unknown field `selectt`"), "{e}");
        let e = parse_pyward_toml(Path::new("pyward.toml"), "fail-on = \"extreme\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`extreme` is not one of: low, medium, high"),
            "{e}"
        );
    }

    #[test]
    fn pyproject_without_the_table_is_none() {
        let p = Path::new("pyproject.toml");
        assert!(parse_pyproject(p, "[project]\nname = \"x\"\n")
            .unwrap()
            .is_none());
        let o = parse_pyproject(p, "[tool.ruff]\nx = 1\n[tool.pyward]\nignore = [\"PW1\"]\n")
            .unwrap()
            .unwrap();
        assert_eq!(o.ignore.unwrap(), ["PW1"]);
        assert!(parse_pyproject(p, "[tool.pyward]\nbogus = 1\n").is_err());
    }
}
