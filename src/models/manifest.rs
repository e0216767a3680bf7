//! Model manifests: which GGUF file a model name means, where it comes from and how to check it.
//!
//! The manifests live in `models/*.toml` and are embedded into the binary, so `pyward models list`
//! and offline resolution work from any directory without network access.

use std::collections::BTreeMap;

use include_dir::{include_dir, Dir};
use serde::{Deserialize, Serialize};

use super::error::ModelsError;

/// The `models/` directory, embedded at build time.
pub static MODELS_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/models");

/// The device a model is meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecommendedDevice {
    Cpu,
    Cuda,
}

impl std::fmt::Display for RecommendedDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RecommendedDevice::Cpu => "cpu",
            RecommendedDevice::Cuda => "cuda",
        })
    }
}

/// One model: a single GGUF file pinned by hub revision, sha256 and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The name users type (`--model-name`, `pyward models pull NAME`).
    pub name: String,
    /// One line for `pyward models list`.
    #[serde(default)]
    pub description: String,
    /// `general.architecture` of the GGUF file (llama, qwen2, gemma3, ...).
    pub architecture: String,
    /// Parameter count as the model card states it ("1.5B").
    pub parameters: String,
    /// Quantization of the weights (Q4_K_M, Q8_0, Q4_1, ...).
    pub quant: String,
    /// Context length the model was trained for.
    pub context_length: u32,
    /// The device the model is sized for.
    pub device: RecommendedDevice,
    /// Devices (`cpu`, `cuda`) for which this is the default model.
    #[serde(default)]
    pub default_for: Vec<RecommendedDevice>,
    /// Capability tier: 1 = tiny, unreliable detector; 2 = small; 3 = capable. The pipeline
    /// weights model verdicts by it.
    pub tier: u8,
    /// Licence of the weights.
    pub license: String,
    /// Hugging Face repository (`org/name`).
    pub repo: String,
    /// Revision to download: a 40-hex commit (pinned) or a branch name (unpinned; the sha256
    /// still pins the content).
    pub revision: String,
    /// File name inside the repository.
    pub file: String,
    /// Lower-case hex sha256 of the file; empty when unknown.
    pub sha256: String,
    /// Size of the file in bytes.
    pub size: u64,
    /// Whether `sha256` and `size` were checked by the manifest's author. `pull` refuses an
    /// unverified manifest unless `--allow-unverified` is given.
    pub verified: bool,
    /// Where the sha256 and size come from.
    #[serde(default)]
    pub provenance: String,
    /// PyPI requirements that ship the same file (`pkg==version`), for air-gapped mirrors.
    #[serde(default)]
    pub pypi: Vec<String>,
    /// Where the file is inside those packages.
    #[serde(default)]
    pub pypi_member: String,
}

impl Manifest {
    /// Parses and validates one manifest. `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Manifest, ModelsError> {
        let m: Manifest = toml::from_str(text).map_err(|source| ModelsError::ManifestToml {
            file: file.to_string(),
            source: Box::new(source),
        })?;
        m.validate(file)?;
        Ok(m)
    }

    /// Checks the invariants the rest of the module relies on.
    pub fn validate(&self, file: &str) -> Result<(), ModelsError> {
        let bad = |message: String| ModelsError::ManifestInvalid {
            file: file.to_string(),
            message,
        };
        super::store::check_name(&self.name).map_err(|e| bad(e.to_string()))?;
        let parts: Vec<&str> = self.repo.split('/').collect();
        if parts.len() != 2
            || parts
                .iter()
                .any(|p| p.is_empty() || !p.chars().all(repo_char))
        {
            return Err(bad(format!("repo `{}` is not `org/name`", self.repo)));
        }
        if self.revision.is_empty() || !self.revision.chars().all(|c| repo_char(c) || c == '/') {
            return Err(bad(format!(
                "revision `{}` is not a commit or branch name",
                self.revision
            )));
        }
        if self.file.is_empty()
            || self.file.starts_with('/')
            || self
                .file
                .split('/')
                .any(|p| p.is_empty() || p == "." || p == "..")
        {
            return Err(bad(format!(
                "file `{}` is not a relative path inside the repository",
                self.file
            )));
        }
        if !self.sha256.is_empty() && !is_sha256(&self.sha256) {
            return Err(bad(format!(
                "sha256 `{}` is not 64 lower-case hex digits",
                self.sha256
            )));
        }
        if self.verified && (self.sha256.is_empty() || self.size == 0) {
            return Err(bad("verified = true needs a sha256 and a size".to_string()));
        }
        if !(1..=3).contains(&self.tier) {
            return Err(bad(format!("tier {} is not 1, 2 or 3", self.tier)));
        }
        if self.context_length == 0 {
            return Err(bad("context_length is 0".to_string()));
        }
        Ok(())
    }

    /// Whether the revision is a full commit hash (the download location is immutable).
    pub fn revision_is_pinned(&self) -> bool {
        is_commit(&self.revision)
    }

    /// Whether `pull` may trust the pinned sha256 without `--allow-unverified`.
    pub fn is_trusted(&self) -> bool {
        self.verified && !self.sha256.is_empty()
    }
}

fn repo_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// Whether `s` is 64 lower-case hex digits.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether `s` is a 40-hex git commit hash.
pub fn is_commit(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A set of manifests, sorted by name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    manifests: BTreeMap<String, Manifest>,
}

impl Catalog {
    /// The manifests embedded from `models/*.toml`.
    pub fn embedded() -> Result<Catalog, ModelsError> {
        let mut manifests = Vec::new();
        for f in MODELS_DIR.files() {
            let path = f.path().to_string_lossy().replace('\\', "/");
            if !path.ends_with(".toml") {
                continue;
            }
            let text = f
                .contents_utf8()
                .ok_or_else(|| ModelsError::ManifestInvalid {
                    file: path.clone(),
                    message: "not UTF-8".to_string(),
                })?;
            let m = Manifest::parse(&path, text)?;
            let stem = path.trim_end_matches(".toml");
            if stem != m.name {
                return Err(ModelsError::ManifestInvalid {
                    file: path.clone(),
                    message: format!("name `{}` differs from the file name", m.name),
                });
            }
            manifests.push(m);
        }
        Catalog::from_manifests(manifests)
    }

    /// Builds a catalogue from manifests (tests build their own), checking names are unique
    /// and each device has at most one default.
    pub fn from_manifests(list: Vec<Manifest>) -> Result<Catalog, ModelsError> {
        let mut manifests = BTreeMap::new();
        for m in list {
            m.validate(&format!("{}.toml", m.name))?;
            let name = m.name.clone();
            if manifests.insert(name.clone(), m).is_some() {
                return Err(ModelsError::ManifestInvalid {
                    file: format!("{name}.toml"),
                    message: format!("duplicate model name `{name}`"),
                });
            }
        }
        let cat = Catalog { manifests };
        for dev in [RecommendedDevice::Cpu, RecommendedDevice::Cuda] {
            let defaults: Vec<&str> = cat
                .iter()
                .filter(|m| m.default_for.contains(&dev))
                .map(|m| m.name.as_str())
                .collect();
            if defaults.len() > 1 {
                return Err(ModelsError::ManifestInvalid {
                    file: format!("{}.toml", defaults[1]),
                    message: format!(
                        "more than one default model for {dev}: {}",
                        defaults.join(", ")
                    ),
                });
            }
        }
        Ok(cat)
    }

    /// All manifests, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Manifest> {
        self.manifests.values()
    }

    /// The manifest called `name`.
    pub fn get(&self, name: &str) -> Option<&Manifest> {
        self.manifests.get(name)
    }

    /// The manifest whose file has this sha256.
    pub fn by_sha256(&self, sha256: &str) -> Option<&Manifest> {
        if sha256.is_empty() {
            return None;
        }
        self.iter().find(|m| m.sha256 == sha256)
    }

    /// The default model for a device, if one is declared.
    pub fn default_for(&self, device: RecommendedDevice) -> Option<&Manifest> {
        self.iter().find(|m| m.default_for.contains(&device))
    }

    /// Comma-separated names, for error messages.
    pub fn names(&self) -> String {
        self.manifests
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Number of manifests.
    pub fn len(&self) -> usize {
        self.manifests.len()
    }

    /// Whether the catalogue is empty.
    pub fn is_empty(&self) -> bool {
        self.manifests.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_manifests_parse_and_are_consistent() {
        let cat = Catalog::embedded().expect("embedded manifests");
        assert!(cat.len() >= 4);
        for name in [
            "qwen2.5-coder-1.5b",
            "qwen2.5-coder-7b",
            "smollm2-135m",
            "gemma3-270m",
        ] {
            assert!(cat.get(name).is_some(), "missing manifest {name}");
        }
        assert_eq!(
            cat.default_for(RecommendedDevice::Cpu)
                .map(|m| m.name.as_str()),
            Some("qwen2.5-coder-1.5b")
        );
        assert_eq!(
            cat.default_for(RecommendedDevice::Cuda)
                .map(|m| m.name.as_str()),
            Some("qwen2.5-coder-7b")
        );
        let smol = cat.get("smollm2-135m").unwrap();
        assert_eq!(
            smol.sha256,
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
        );
        assert_eq!(smol.size, 98362432);
        let gemma = cat.get("gemma3-270m").unwrap();
        assert_eq!(
            gemma.sha256,
            "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
        );
        assert_eq!(gemma.size, 253113024);
        assert!(!gemma.revision_is_pinned());
        for m in cat.iter() {
            // A manifest either carries a verified hash or says it does not.
            assert!(m.is_trusted() || (!m.verified), "{}", m.name);
            assert!(!m.provenance.is_empty(), "{}: provenance is empty", m.name);
        }
    }

    fn sample() -> Manifest {
        Manifest {
            name: "t".into(),
            description: String::new(),
            architecture: "llama".into(),
            parameters: "1M".into(),
            quant: "Q8_0".into(),
            context_length: 128,
            device: RecommendedDevice::Cpu,
            default_for: vec![],
            tier: 1,
            license: "MIT".into(),
            repo: "org/repo".into(),
            revision: "0123456789abcdef0123456789abcdef01234567".into(),
            file: "m.gguf".into(),
            sha256: "a".repeat(64),
            size: 10,
            verified: true,
            provenance: "test".into(),
            pypi: vec![],
            pypi_member: String::new(),
        }
    }

    #[test]
    fn validation_rejects_bad_fields() {
        assert!(sample().validate("t.toml").is_ok());
        let mut m = sample();
        m.sha256 = "ABC".into();
        assert!(m
            .validate("t.toml")
            .unwrap_err()
            .to_string()
            .contains("sha256"));
        let mut m = sample();
        m.sha256 = String::new();
        assert!(m
            .validate("t.toml")
            .unwrap_err()
            .to_string()
            .contains("verified = true"));
        m.verified = false;
        assert!(m.validate("t.toml").is_ok());
        assert!(!m.is_trusted());
        let mut m = sample();
        m.file = "../escape.gguf".into();
        assert!(m
            .validate("t.toml")
            .unwrap_err()
            .to_string()
            .contains("relative path"));
        let mut m = sample();
        m.repo = "noslash".into();
        assert!(m.validate("t.toml").is_err());
        let mut m = sample();
        m.tier = 4;
        assert!(m.validate("t.toml").is_err());
        let mut a = sample();
        a.default_for = vec![RecommendedDevice::Cpu];
        let mut b = sample();
        b.name = "u".into();
        b.default_for = vec![RecommendedDevice::Cpu];
        assert!(Catalog::from_manifests(vec![a, b]).is_err());
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let text = "name = \"x\"\nbogus = 1\n";
        let err = Manifest::parse("x.toml", text).unwrap_err().to_string();
        assert!(err.starts_with("models/x.toml: invalid TOML"), "{err}");
    }
}
