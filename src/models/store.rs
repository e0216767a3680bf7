//! pyward's own model index (`$PYWARD_HOME/index.json`): models registered with
//! `pyward models import` that do not belong in the hub cache (a custom name, or a manifest whose
//! revision is a branch rather than a commit). Their files live in `$PYWARD_HOME/models/<name>/`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::ModelsError;

/// File name of the index inside the pyward home.
pub const INDEX_FILE: &str = "index.json";

/// Checks a model name: 1–64 characters of `[A-Za-z0-9._-]`, starting with a letter or digit.
pub fn check_name(name: &str) -> Result<(), ModelsError> {
    let bad = |message: &str| ModelsError::InvalidName {
        name: name.to_string(),
        message: message.to_string(),
    };
    if name.is_empty() || name.len() > 64 {
        return Err(bad("must be 1 to 64 characters"));
    }
    if !name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return Err(bad("must start with a letter or digit"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(bad("may only contain letters, digits, `.`, `_` and `-`"));
    }
    Ok(())
}

/// One imported model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// Name used with `--model-name`.
    pub name: String,
    /// The stored file.
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
    /// The manifest the file matched, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// Where it was imported from.
    pub imported_from: PathBuf,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct IndexFile {
    #[serde(default)]
    models: Vec<IndexEntry>,
}

/// The index of imported models.
#[derive(Debug, Clone)]
pub struct Index {
    path: PathBuf,
    file: IndexFile,
}

impl Index {
    /// Reads the index under `home` (empty when it does not exist yet).
    pub fn load(home: &Path) -> Result<Index, ModelsError> {
        let path = home.join(INDEX_FILE);
        let file = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| ModelsError::Index {
                path: path.clone(),
                message: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => IndexFile::default(),
            Err(e) => return Err(ModelsError::io(&path, e)),
        };
        Ok(Index { path, file })
    }

    /// Where the index is stored.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the index atomically.
    pub fn save(&self) -> Result<(), ModelsError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| ModelsError::io(dir, e))?;
        let bytes = serde_json::to_vec_pretty(&self.file).map_err(|e| ModelsError::Index {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        let tmp = self
            .path
            .with_extension(format!("json.tmp{}", std::process::id()));
        std::fs::write(&tmp, bytes).map_err(|e| ModelsError::io(&tmp, e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| ModelsError::io(&self.path, e))
    }

    /// All entries, sorted by name.
    pub fn entries(&self) -> &[IndexEntry] {
        &self.file.models
    }

    /// The entry called `name`.
    pub fn get(&self, name: &str) -> Option<&IndexEntry> {
        self.file.models.iter().find(|e| e.name == name)
    }

    /// The entry imported for manifest `manifest`.
    pub fn for_manifest(&self, manifest: &str) -> Option<&IndexEntry> {
        self.file
            .models
            .iter()
            .find(|e| e.manifest.as_deref() == Some(manifest))
    }

    /// Adds or replaces the entry with the same name.
    pub fn upsert(&mut self, entry: IndexEntry) {
        self.file.models.retain(|e| e.name != entry.name);
        self.file.models.push(entry);
        self.file.models.sort_by(|a, b| a.name.cmp(&b.name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("my-model_1.5b").is_ok());
        for bad in ["", "-x", "a/b", "a b", "../x", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn index_roundtrip_and_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let mut idx = Index::load(dir.path()).unwrap();
        assert!(idx.entries().is_empty());
        idx.upsert(IndexEntry {
            name: "b".into(),
            path: "/x/b.gguf".into(),
            sha256: "1".repeat(64),
            size: 1,
            manifest: None,
            imported_from: "/src/b.gguf".into(),
        });
        idx.upsert(IndexEntry {
            name: "a".into(),
            path: "/x/a.gguf".into(),
            sha256: "2".repeat(64),
            size: 2,
            manifest: Some("m".into()),
            imported_from: "/src/a.gguf".into(),
        });
        idx.save().unwrap();
        let idx = Index::load(dir.path()).unwrap();
        assert_eq!(
            idx.entries()
                .iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(idx.for_manifest("m").map(|e| e.name.as_str()), Some("a"));
        std::fs::write(dir.path().join(INDEX_FILE), b"{not json").unwrap();
        let err = Index::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("corrupt pyward model index"), "{err}");
    }
}
