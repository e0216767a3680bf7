//! Where models are fetched from and stored: built from the environment in one place.
//!
//! Environment (same meaning as Python `huggingface_hub`, so existing downloads are reused):
//!
//! | variable | effect |
//! |---|---|
//! | `HF_ENDPOINT` | hub URL (default `https://huggingface.co`); a mirror or a test server |
//! | `HF_HUB_CACHE` | cache directory (legacy name `HUGGINGFACE_HUB_CACHE`) |
//! | `HF_HOME` | parent of the default cache (`$HF_HOME/hub`) and of the token file |
//! | `XDG_CACHE_HOME` | default `HF_HOME` is `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface` |
//! | `HF_TOKEN` | access token (legacy `HUGGING_FACE_HUB_TOKEN`; else the file `HF_TOKEN_PATH` or `$HF_HOME/token`) |
//! | `HF_HUB_OFFLINE` | `1`/`true`/`yes`/`on`: cache only, never a network request |
//! | `PYWARD_HOME` | pyward's own data (imported-model index, sha256 cache); default: the user data dir + `/pyward` |

use std::path::{Path, PathBuf};

/// Default hub endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// How to talk to the hub and where its cache is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubConfig {
    /// Hub base URL, without a trailing slash.
    pub endpoint: String,
    /// The hub cache directory (`.../huggingface/hub`), holding `models--org--name/`.
    pub cache_dir: PathBuf,
    /// Access token sent as `Authorization: Bearer`.
    pub token: Option<String>,
    /// Cache only: never make a network request.
    pub offline: bool,
    /// Why offline is on (for messages): "HF_HUB_OFFLINE=1" or "--offline".
    pub offline_reason: String,
    /// Show a progress bar (only drawn when stderr is a terminal).
    pub progress: bool,
}

/// Everything model management needs to know about the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelsConfig {
    pub hub: HubConfig,
    /// pyward's data directory: `index.json` (imported models), `sha256-cache.json`, `models/`.
    pub home: PathBuf,
}

impl ModelsConfig {
    /// Reads the process environment.
    pub fn from_env() -> ModelsConfig {
        ModelsConfig::from_lookup(|k| std::env::var(k).ok())
    }

    /// Builds the configuration from a variable lookup (tests pass a map instead of mutating
    /// the process environment).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> ModelsConfig {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let home_dir = dirs::home_dir().unwrap_or_else(|| PathBuf::from("."));
        let hf_home = get("HF_HOME").map(PathBuf::from).unwrap_or_else(|| {
            get("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| home_dir.join(".cache"))
                .join("huggingface")
        });
        let cache_dir = get("HF_HUB_CACHE")
            .or_else(|| get("HUGGINGFACE_HUB_CACHE"))
            .map(PathBuf::from)
            .unwrap_or_else(|| hf_home.join("hub"));
        let token = get("HF_TOKEN")
            .or_else(|| get("HUGGING_FACE_HUB_TOKEN"))
            .map(|t| t.trim().to_string())
            .or_else(|| {
                let path = get("HF_TOKEN_PATH")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| hf_home.join("token"));
                read_token(&path)
            });
        let offline = get("HF_HUB_OFFLINE").is_some_and(|v| is_true(&v));
        let endpoint = get("HF_ENDPOINT")
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string())
            .trim_end_matches('/')
            .to_string();
        let home = get("PYWARD_HOME").map(PathBuf::from).unwrap_or_else(|| {
            dirs::data_dir()
                .unwrap_or_else(|| home_dir.join(".local").join("share"))
                .join("pyward")
        });
        ModelsConfig {
            hub: HubConfig {
                endpoint,
                cache_dir,
                token,
                offline,
                offline_reason: if offline {
                    "HF_HUB_OFFLINE".to_string()
                } else {
                    String::new()
                },
                progress: true,
            },
            home,
        }
    }

    /// Turns offline mode on because of a command-line flag.
    pub fn force_offline(&mut self, flag: &str) {
        if !self.hub.offline {
            self.hub.offline = true;
            self.hub.offline_reason = flag.to_string();
        }
    }
}

/// `huggingface_hub`'s truth test for boolean environment variables.
pub fn is_true(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_uppercase().as_str(),
        "1" | "ON" | "YES" | "TRUE"
    )
}

fn read_token(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(vars: &[(&str, &str)]) -> ModelsConfig {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ModelsConfig::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn cache_dir_precedence_matches_huggingface_hub() {
        let c = cfg(&[("HF_HOME", "/h"), ("XDG_CACHE_HOME", "/x")]);
        assert_eq!(c.hub.cache_dir, PathBuf::from("/h/hub"));
        let c = cfg(&[("XDG_CACHE_HOME", "/x")]);
        assert_eq!(c.hub.cache_dir, PathBuf::from("/x/huggingface/hub"));
        let c = cfg(&[("HF_HOME", "/h"), ("HUGGINGFACE_HUB_CACHE", "/legacy")]);
        assert_eq!(c.hub.cache_dir, PathBuf::from("/legacy"));
        let c = cfg(&[
            ("HF_HOME", "/h"),
            ("HF_HUB_CACHE", "/c"),
            ("HUGGINGFACE_HUB_CACHE", "/legacy"),
        ]);
        assert_eq!(c.hub.cache_dir, PathBuf::from("/c"));
    }

    #[test]
    fn endpoint_token_offline() {
        let c = cfg(&[
            ("HF_ENDPOINT", "http://127.0.0.1:9/"),
            ("HF_TOKEN", " abc \n"),
        ]);
        assert_eq!(c.hub.endpoint, "http://127.0.0.1:9");
        assert_eq!(c.hub.token.as_deref(), Some("abc"));
        assert!(!c.hub.offline);
        let c = cfg(&[("HF_HOME", "/nonexistent-pyward-test")]);
        assert_eq!(c.hub.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(c.hub.token, None);
        for v in ["1", "true", "YES", "on"] {
            assert!(cfg(&[("HF_HUB_OFFLINE", v)]).hub.offline, "{v}");
        }
        for v in ["0", "false", "", "no"] {
            assert!(!cfg(&[("HF_HUB_OFFLINE", v)]).hub.offline, "{v}");
        }
        let mut c = cfg(&[]);
        c.force_offline("--offline");
        assert!(c.hub.offline);
        assert_eq!(c.hub.offline_reason, "--offline");
    }

    #[test]
    fn token_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "hf_secret\n").unwrap();
        let home = dir.path().to_string_lossy().to_string();
        let c = cfg(&[("HF_HOME", &home)]);
        assert_eq!(c.hub.token.as_deref(), Some("hf_secret"));
        let c = cfg(&[("HF_HOME", &home), ("HF_TOKEN", "env")]);
        assert_eq!(c.hub.token.as_deref(), Some("env"));
    }
}
