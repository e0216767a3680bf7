//! `pyward models import FILE.gguf [--name N]`: register a local file, for machines without the hub.
//!
//! A file whose sha256 matches a manifest pinned to a commit goes into the hub cache exactly where
//! `pull` would have put it (so `--model-name` and Python tools find it offline). Anything else — a
//! custom model, or a manifest pinned only to a branch — is stored under `$PYWARD_HOME/models/<name>/`
//! and recorded in pyward's index. Files are hard-linked when possible, copied otherwise.

use std::path::{Path, PathBuf};

use super::cache::{place_file, HubCache};
use super::config::ModelsConfig;
use super::error::ModelsError;
use super::hash::HashCache;
use super::manifest::Catalog;
use super::store::{check_name, Index, IndexEntry};

/// Where an imported file went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportLocation {
    /// The hub cache, under the manifest's repo and revision.
    HubCache,
    /// pyward's own store and index.
    PywardIndex,
}

/// What `import` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    /// The name to use with `--model-name`.
    pub name: String,
    /// The stored file.
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
    /// The manifest the file matched.
    pub manifest: Option<String>,
    pub location: ImportLocation,
}

/// Imports `file`, optionally under `name`.
pub fn import(
    file: &Path,
    name: Option<&str>,
    catalog: &Catalog,
    cfg: &ModelsConfig,
) -> Result<ImportOutcome, ModelsError> {
    let meta = std::fs::metadata(file).map_err(|e| ModelsError::io(file, e))?;
    if !meta.is_file() {
        return Err(ModelsError::BadPath {
            path: file.to_path_buf(),
            message: "not a regular file".to_string(),
        });
    }
    check_magic(file)?;
    if let Some(n) = name {
        check_name(n)?;
    }
    let hashes = HashCache::new(&cfg.home);
    let sha256 = hashes.sha256(file, cfg.hub.progress, "hashing")?;
    let size = meta.len();
    let matched = catalog.by_sha256(&sha256);

    // A custom name must not shadow a manifest with different contents.
    if let Some(n) = name {
        if let Some(m) = catalog.get(n) {
            if m.sha256 != sha256 {
                return Err(ModelsError::Sha256Mismatch {
                    path: file.to_path_buf(),
                    expected: if m.sha256.is_empty() {
                        "(unknown)".to_string()
                    } else {
                        m.sha256.clone()
                    },
                    actual: sha256,
                    removed: false,
                });
            }
        }
    }

    if let Some(m) = matched {
        if m.size > 0 && m.size != size {
            return Err(ModelsError::SizeMismatch {
                path: file.to_path_buf(),
                expected: m.size,
                actual: size,
            });
        }
        if m.revision_is_pinned() {
            let cache = HubCache::new(&cfg.hub.cache_dir);
            let path = cache.install(&m.repo, &m.revision, &m.file, file, &sha256)?;
            hashes.record(&path, &sha256);
            let shown = name.unwrap_or(&m.name).to_string();
            if shown != m.name {
                // Also answer to the chosen name.
                record(
                    cfg,
                    &shown,
                    &path,
                    &sha256,
                    size,
                    Some(m.name.clone()),
                    file,
                )?;
            }
            return Ok(ImportOutcome {
                name: shown,
                path,
                sha256,
                size,
                manifest: Some(m.name.clone()),
                location: ImportLocation::HubCache,
            });
        }
    }

    let name = match (name, matched) {
        (Some(n), _) => n.to_string(),
        (None, Some(m)) => m.name.clone(),
        (None, None) => {
            return Err(ModelsError::ImportNeedsName {
                path: file.to_path_buf(),
                sha256,
            })
        }
    };
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| format!("{name}.gguf"));
    let dir = cfg.home.join("models").join(&name);
    std::fs::create_dir_all(&dir).map_err(|e| ModelsError::io(&dir, e))?;
    let dest = dir.join(file_name);
    let same = match (std::fs::canonicalize(file), std::fs::canonicalize(&dest)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same {
        place_file(file, &dest)?;
    }
    hashes.record(&dest, &sha256);
    record(
        cfg,
        &name,
        &dest,
        &sha256,
        size,
        matched.map(|m| m.name.clone()),
        file,
    )?;
    Ok(ImportOutcome {
        name,
        path: dest,
        sha256,
        size,
        manifest: matched.map(|m| m.name.clone()),
        location: ImportLocation::PywardIndex,
    })
}

fn record(
    cfg: &ModelsConfig,
    name: &str,
    path: &Path,
    sha256: &str,
    size: u64,
    manifest: Option<String>,
    from: &Path,
) -> Result<(), ModelsError> {
    let mut index = Index::load(&cfg.home)?;
    index.upsert(IndexEntry {
        name: name.to_string(),
        path: path.to_path_buf(),
        sha256: sha256.to_string(),
        size,
        manifest,
        imported_from: std::fs::canonicalize(from).unwrap_or_else(|_| from.to_path_buf()),
    });
    index.save()
}

/// Refuses files that are not GGUF before hashing gigabytes of something else.
fn check_magic(file: &Path) -> Result<(), ModelsError> {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let mut f = std::fs::File::open(file).map_err(|e| ModelsError::io(file, e))?;
    if f.read_exact(&mut magic).is_err() || &magic != b"GGUF" {
        return Err(ModelsError::Gguf {
            path: file.to_path_buf(),
            message: "the file does not start with the GGUF magic; only .gguf model files can be imported"
                .to_string(),
        });
    }
    Ok(())
}
