//! Backend specifications of `pyward bench --backend`: `static`, `local:MODEL`,
//! `openai:URL#MODEL`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::models::ModelRequest;

/// Which scanner a bench row measures.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BackendSpec {
    /// The static rule engine alone (what `pyward scan --static-only` runs).
    Static,
    /// A local GGUF model: a path to a `.gguf` file, or a manifest / imported model name.
    Local { model: String },
    /// An OpenAI-compatible endpoint (`--backend openai` of `pyward scan`).
    OpenAi { base_url: String, model: String },
}

/// A `--backend` value that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("invalid backend `{text}`: {reason} (expected `static`, `local:MODEL` or `openai:URL#MODEL`)")]
    Invalid { text: String, reason: String },
}

impl BackendSpec {
    /// `static`, `local` or `openai`.
    pub fn kind(&self) -> &'static str {
        match self {
            BackendSpec::Static => "static",
            BackendSpec::Local { .. } => "local",
            BackendSpec::OpenAi { .. } => "openai",
        }
    }

    /// The model as written in the spec (`None` for static).
    pub fn model(&self) -> Option<&str> {
        match self {
            BackendSpec::Static => None,
            BackendSpec::Local { model } | BackendSpec::OpenAi { model, .. } => Some(model),
        }
    }

    /// How a local model is looked up: a path when it names a `.gguf` file, contains a path
    /// separator or exists on disk; a manifest or imported name otherwise. `None` for the
    /// other backends.
    pub fn model_request(&self, offline: bool) -> Option<ModelRequest> {
        let BackendSpec::Local { model } = self else {
            return None;
        };
        let as_path = model.ends_with(".gguf")
            || model.contains('/')
            || model.contains(std::path::MAIN_SEPARATOR)
            || std::path::Path::new(model).is_file();
        Some(if as_path {
            ModelRequest {
                path: Some(PathBuf::from(model)),
                name: None,
                offline,
            }
        } else {
            ModelRequest {
                path: None,
                name: Some(model.clone()),
                offline,
            }
        })
    }
}

impl fmt::Display for BackendSpec {
    /// The spec as `--backend` takes it (parsing the text gives the same spec back).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendSpec::Static => f.write_str("static"),
            BackendSpec::Local { model } => write!(f, "local:{model}"),
            BackendSpec::OpenAi { base_url, model } => write!(f, "openai:{base_url}#{model}"),
        }
    }
}

impl FromStr for BackendSpec {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<BackendSpec, SpecError> {
        let err = |reason: &str| SpecError::Invalid {
            text: s.to_string(),
            reason: reason.to_string(),
        };
        let t = s.trim();
        if t == "static" {
            return Ok(BackendSpec::Static);
        }
        let (kind, rest) = t
            .split_once(':')
            .ok_or_else(|| err("no backend kind before `:`"))?;
        match kind {
            "local" => {
                if rest.is_empty() {
                    return Err(err("`local:` needs a model file or name"));
                }
                Ok(BackendSpec::Local {
                    model: rest.to_string(),
                })
            }
            "openai" => {
                let (url, model) = rest
                    .rsplit_once('#')
                    .ok_or_else(|| err("`openai:` needs `URL#MODEL`"))?;
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(err("the URL must start with http:// or https://"));
                }
                if model.is_empty() {
                    return Err(err("no model name after `#`"));
                }
                Ok(BackendSpec::OpenAi {
                    base_url: url.to_string(),
                    model: model.to_string(),
                })
            }
            other => Err(err(&format!("unknown backend kind `{other}`"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form_and_round_trips() {
        for (text, spec) in [
            ("static", BackendSpec::Static),
            (
                "local:smollm2-135m",
                BackendSpec::Local {
                    model: "smollm2-135m".into(),
                },
            ),
            (
                "local:/m/x.gguf",
                BackendSpec::Local {
                    model: "/m/x.gguf".into(),
                },
            ),
            (
                "openai:http://127.0.0.1:8080/v1#qwen#2",
                BackendSpec::OpenAi {
                    base_url: "http://127.0.0.1:8080/v1#qwen".into(),
                    model: "2".into(),
                },
            ),
            (
                "openai:https://api.example.com/v1#gpt-4o-mini",
                BackendSpec::OpenAi {
                    base_url: "https://api.example.com/v1".into(),
                    model: "gpt-4o-mini".into(),
                },
            ),
        ] {
            let parsed: BackendSpec = text.parse().unwrap();
            assert_eq!(parsed, spec);
            assert_eq!(parsed.to_string(), text);
        }
        assert_eq!(BackendSpec::Static.kind(), "static");
        assert_eq!(BackendSpec::Static.model(), None);
    }

    #[test]
    fn rejects_malformed_specs_with_the_reason() {
        for (text, reason) in [
            ("local:", "needs a model"),
            ("local", "no backend kind"),
            ("openai:http://x/v1", "URL#MODEL"),
            ("openai:ftp://x#m", "http://"),
            ("openai:http://x#", "no model name"),
            ("llama:x", "unknown backend kind `llama`"),
        ] {
            let e = text.parse::<BackendSpec>().unwrap_err().to_string();
            assert!(
                e.contains(reason) && e.contains(&format!("`{text}`")),
                "{text}: {e}"
            );
        }
    }

    #[test]
    fn local_models_are_paths_or_names() {
        let path = BackendSpec::Local {
            model: "dir/m.gguf".into(),
        }
        .model_request(true)
        .unwrap();
        assert_eq!(
            path.path.as_deref(),
            Some(std::path::Path::new("dir/m.gguf"))
        );
        assert!(path.offline);
        let name = BackendSpec::Local {
            model: "smollm2-135m".into(),
        }
        .model_request(false)
        .unwrap();
        assert_eq!(
            (name.path, name.name.as_deref()),
            (None, Some("smollm2-135m"))
        );
        assert!(BackendSpec::Static.model_request(false).is_none());
    }
}
