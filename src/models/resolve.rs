//! Model resolution for the scan pipeline: which local file to run. Never downloads.

use std::path::PathBuf;

use super::cache::HubCache;
use super::config::ModelsConfig;
use super::error::ModelsError;
use super::hash::HashCache;
use super::hub::find_cached;
use super::manifest::{Catalog, Manifest, RecommendedDevice};
use super::store::{Index, IndexEntry};

/// What the user asked for: `--model PATH`, `--model-name NAME`, `--offline`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelRequest {
    /// An explicit GGUF file; wins over `name`.
    pub path: Option<PathBuf>,
    /// A manifest or imported-model name; `None` means the default model for the CPU.
    pub name: Option<String>,
    /// Offline mode. Resolution never uses the network either way; this only changes the advice
    /// in errors.
    pub offline: bool,
}

/// A model file ready to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedModel {
    pub path: PathBuf,
    /// The manifest the file belongs to (by name, or by sha256 for an explicit path).
    pub manifest: Option<Manifest>,
    /// sha256 of the file (for reports), from the sha256 cache when the file is unchanged.
    pub sha256: String,
    /// A name for reports: the manifest or imported name, else the file name.
    pub name: String,
}

/// Resolves with the embedded manifests and the environment's configuration.
pub fn resolve(spec: &ModelRequest) -> Result<ResolvedModel, ModelsError> {
    let catalog = Catalog::embedded()?;
    let mut cfg = ModelsConfig::from_env();
    if spec.offline {
        cfg.force_offline("--offline");
    }
    resolve_with(spec, &catalog, &cfg)
}

/// Resolves against an explicit catalogue and configuration.
pub fn resolve_with(
    spec: &ModelRequest,
    catalog: &Catalog,
    cfg: &ModelsConfig,
) -> Result<ResolvedModel, ModelsError> {
    let hashes = HashCache::new(&cfg.home);
    if let Some(path) = &spec.path {
        let meta = std::fs::metadata(path).map_err(|e| ModelsError::BadPath {
            path: path.clone(),
            message: format!("cannot read the model file: {e}"),
        })?;
        if !meta.is_file() {
            return Err(ModelsError::BadPath {
                path: path.clone(),
                message: "not a regular file (expected a .gguf model file)".to_string(),
            });
        }
        let sha256 = hashes.sha256(path, cfg.hub.progress, "hashing")?;
        let manifest = catalog.by_sha256(&sha256).cloned();
        let name = manifest
            .as_ref()
            .map(|m| m.name.clone())
            .or_else(|| path.file_name().map(|n| n.to_string_lossy().to_string()))
            .unwrap_or_else(|| path.display().to_string());
        return Ok(ResolvedModel {
            path: path.clone(),
            manifest,
            sha256,
            name,
        });
    }

    let name = match &spec.name {
        Some(n) => n.clone(),
        None => catalog
            .default_for(RecommendedDevice::Cpu)
            .map(|m| m.name.clone())
            .ok_or_else(|| ModelsError::UnknownModel {
                name: "(default)".to_string(),
                known: catalog.names(),
            })?,
    };
    let index = Index::load(&cfg.home)?;

    if let Some(m) = catalog.get(&name) {
        let mut notes = Vec::new();
        if let Some((path, sha256)) = find_cached(m, cfg, &mut notes, false)? {
            return Ok(ResolvedModel {
                path,
                manifest: Some(m.clone()),
                sha256,
                name,
            });
        }
        if let Some(e) = index.for_manifest(&m.name) {
            let sha256 = check_entry(e, &hashes, cfg.hub.progress)?;
            return Ok(ResolvedModel {
                path: e.path.clone(),
                manifest: Some(m.clone()),
                sha256,
                name,
            });
        }
        return Err(not_cached(&name, catalog, &index, cfg));
    }
    if let Some(e) = index.get(&name) {
        let sha256 = check_entry(e, &hashes, cfg.hub.progress)?;
        let manifest = e
            .manifest
            .as_deref()
            .and_then(|n| catalog.get(n))
            .or_else(|| catalog.by_sha256(&sha256))
            .cloned();
        return Ok(ResolvedModel {
            path: e.path.clone(),
            manifest,
            sha256,
            name,
        });
    }
    let mut known = catalog.names();
    for e in index.entries() {
        known.push_str(", ");
        known.push_str(&e.name);
    }
    Err(ModelsError::UnknownModel { name, known })
}

/// Checks an imported file is still there and unchanged.
fn check_entry(e: &IndexEntry, hashes: &HashCache, progress: bool) -> Result<String, ModelsError> {
    let size = std::fs::metadata(&e.path)
        .map_err(|err| ModelsError::BadPath {
            path: e.path.clone(),
            message: format!(
                "imported model `{}` is gone ({err}); import it again with `pyward models import FILE.gguf`",
                e.name
            ),
        })?
        .len();
    if size != e.size {
        return Err(ModelsError::SizeMismatch {
            path: e.path.clone(),
            expected: e.size,
            actual: size,
        });
    }
    let sha256 = hashes.sha256(&e.path, progress, "hashing")?;
    if sha256 != e.sha256 {
        return Err(ModelsError::Sha256Mismatch {
            path: e.path.clone(),
            expected: e.sha256.clone(),
            actual: sha256,
            removed: false,
        });
    }
    Ok(sha256)
}

/// The "not downloaded" error, listing what is available instead. Only cheap checks (no hashing).
fn not_cached(name: &str, catalog: &Catalog, index: &Index, cfg: &ModelsConfig) -> ModelsError {
    let cache = HubCache::new(&cfg.hub.cache_dir);
    let mut available: Vec<String> = catalog
        .iter()
        .filter(|m| m.name != name && cache.lookup(&m.repo, &m.revision, &m.file).is_some())
        .map(|m| m.name.clone())
        .collect();
    available.extend(
        index
            .entries()
            .iter()
            .filter(|e| e.name != name)
            .map(|e| e.name.clone()),
    );
    available.sort();
    available.dedup();
    let others = if available.is_empty() {
        String::new()
    } else {
        format!(
            ". Available locally: {} (use --model-name NAME)",
            available.join(", ")
        )
    };
    ModelsError::NotCached {
        name: name.to_string(),
        cache: cfg.hub.cache_dir.clone(),
        imported: if index.entries().is_empty() {
            String::new()
        } else {
            format!(" and in the pyward index {}", index.path().display())
        },
        others,
    }
}
