//! `pyward models verify`: re-hash every local model file and compare with its pinned sha256.
//! The sha256 cache is bypassed (that is the point) and refreshed with the results.

use std::path::PathBuf;

use serde::Serialize;

use super::cache::HubCache;
use super::config::ModelsConfig;
use super::error::ModelsError;
use super::hash::{sha256_file, HashCache};
use super::manifest::Catalog;
use super::progress::Bar;
use super::store::Index;

/// The verdict on one local model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum VerifyStatus {
    /// Size and sha256 match.
    Ok,
    /// Hashed, but there is no trusted sha256 to compare with (unverified manifest).
    Unchecked,
    /// Not found locally (only reported for models named on the command line).
    Missing,
    /// Size or sha256 differ.
    Corrupt { message: String },
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyEntry {
    pub name: String,
    pub path: Option<PathBuf>,
    pub sha256: Option<String>,
    #[serde(flatten)]
    pub status: VerifyStatus,
}

/// Verifies the models named in `names` (all local models when empty).
pub fn verify(
    catalog: &Catalog,
    cfg: &ModelsConfig,
    names: &[String],
) -> Result<Vec<VerifyEntry>, ModelsError> {
    let cache = HubCache::new(&cfg.hub.cache_dir);
    let hashes = HashCache::new(&cfg.home);
    let index = Index::load(&cfg.home)?;
    let wanted = |n: &str| names.is_empty() || names.iter().any(|w| w == n);
    for n in names {
        if catalog.get(n).is_none() && index.get(n).is_none() {
            let mut known = catalog.names();
            for e in index.entries() {
                known.push_str(", ");
                known.push_str(&e.name);
            }
            return Err(ModelsError::UnknownModel {
                name: n.clone(),
                known,
            });
        }
    }

    // (name, path, expected sha256 or "", expected size or 0)
    let mut todo: Vec<(String, Option<PathBuf>, String, u64)> = Vec::new();
    for m in catalog.iter().filter(|m| wanted(&m.name)) {
        let path = cache
            .lookup(&m.repo, &m.revision, &m.file)
            .or_else(|| index.for_manifest(&m.name).map(|e| e.path.clone()));
        let expected = if m.is_trusted() {
            m.sha256.clone()
        } else {
            String::new()
        };
        if path.is_some() || !names.is_empty() {
            todo.push((m.name.clone(), path, expected, m.size));
        }
    }
    for e in index
        .entries()
        .iter()
        .filter(|e| wanted(&e.name) && catalog.get(&e.name).is_none())
    {
        todo.push((
            e.name.clone(),
            Some(e.path.clone()),
            e.sha256.clone(),
            e.size,
        ));
    }

    let mut out = Vec::new();
    for (name, path, expected, size) in todo {
        let Some(path) = path.filter(|p| p.is_file()) else {
            out.push(VerifyEntry {
                name,
                path: None,
                sha256: None,
                status: VerifyStatus::Missing,
            });
            continue;
        };
        let actual_size = std::fs::metadata(&path)
            .map_err(|e| ModelsError::io(&path, e))?
            .len();
        let bar = Bar::new(cfg.hub.progress, actual_size, &name);
        let (sha, _) = sha256_file(&path, Some(&bar))?;
        bar.finish();
        let status = if size > 0 && actual_size != size {
            VerifyStatus::Corrupt {
                message: format!("size {actual_size} bytes, expected {size}"),
            }
        } else if expected.is_empty() {
            VerifyStatus::Unchecked
        } else if sha != expected {
            VerifyStatus::Corrupt {
                message: format!("sha256 {sha}, expected {expected}"),
            }
        } else {
            VerifyStatus::Ok
        };
        if matches!(status, VerifyStatus::Corrupt { .. }) {
            hashes.forget(&path);
        } else {
            hashes.record(&path, &sha);
        }
        out.push(VerifyEntry {
            name,
            path: Some(path),
            sha256: Some(sha),
            status,
        });
    }
    Ok(out)
}
