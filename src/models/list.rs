//! `pyward models list`: the manifests and imported models, and whether each is on this machine.
//! Only file-system lookups: no hashing, no network.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use super::cache::HubCache;
use super::config::ModelsConfig;
use super::error::ModelsError;
use super::info::human_bytes;
use super::manifest::Catalog;
use super::store::Index;

/// One row of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListRow {
    pub name: String,
    /// `manifest` or `imported`.
    pub kind: String,
    pub tier: Option<u8>,
    pub device: Option<String>,
    pub quant: Option<String>,
    pub size: u64,
    /// `cached` (hub cache), `imported` (pyward index) or `missing`.
    pub status: String,
    pub path: Option<PathBuf>,
    /// Whether the manifest's sha256 is verified (imported models: always, by import).
    pub verified: bool,
    /// Default for these devices.
    pub default_for: Vec<String>,
    pub description: String,
}

/// Builds the list.
pub fn list(catalog: &Catalog, cfg: &ModelsConfig) -> Result<Vec<ListRow>, ModelsError> {
    let cache = HubCache::new(&cfg.hub.cache_dir);
    let index = Index::load(&cfg.home)?;
    let mut rows = Vec::new();
    for m in catalog.iter() {
        let (status, path) = match cache.lookup(&m.repo, &m.revision, &m.file) {
            Some(p) => ("cached", Some(p)),
            None => match index.for_manifest(&m.name).filter(|e| e.path.is_file()) {
                Some(e) => ("imported", Some(e.path.clone())),
                None => ("missing", None),
            },
        };
        rows.push(ListRow {
            name: m.name.clone(),
            kind: "manifest".to_string(),
            tier: Some(m.tier),
            device: Some(m.device.to_string()),
            quant: Some(m.quant.clone()),
            size: m.size,
            status: status.to_string(),
            path,
            verified: m.is_trusted(),
            default_for: m.default_for.iter().map(|d| d.to_string()).collect(),
            description: m.description.clone(),
        });
    }
    for e in index
        .entries()
        .iter()
        .filter(|e| catalog.get(&e.name).is_none())
    {
        let m = e.manifest.as_deref().and_then(|n| catalog.get(n));
        rows.push(ListRow {
            name: e.name.clone(),
            kind: "imported".to_string(),
            tier: m.map(|m| m.tier),
            device: m.map(|m| m.device.to_string()),
            quant: m.map(|m| m.quant.clone()),
            size: e.size,
            status: if e.path.is_file() {
                "imported"
            } else {
                "missing"
            }
            .to_string(),
            path: Some(e.path.clone()),
            verified: true,
            default_for: Vec::new(),
            description: match m {
                Some(m) => format!("imported copy of {}", m.name),
                None => format!("imported from {}", e.imported_from.display()),
            },
        });
    }
    Ok(rows)
}

/// The table printed by `pyward models list`.
pub fn render(rows: &[ListRow], cfg: &ModelsConfig) -> String {
    let mut s = String::new();
    let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    let _ = writeln!(
        s,
        "{:<w$}  {:<8}  {:>4}  {:<6}  {:<7}  {:>10}  NOTES",
        "NAME", "STATUS", "TIER", "DEVICE", "QUANT", "SIZE"
    );
    for r in rows {
        let mut notes = Vec::new();
        if !r.default_for.is_empty() {
            notes.push(format!("default for {}", r.default_for.join(", ")));
        }
        if !r.verified {
            notes.push("UNVERIFIED sha256".to_string());
        }
        if r.kind == "imported" {
            notes.push(r.description.clone());
        }
        let _ = writeln!(
            s,
            "{:<w$}  {:<8}  {:>4}  {:<6}  {:<7}  {:>10}  {}",
            r.name,
            r.status,
            r.tier.map(|t| t.to_string()).unwrap_or_else(|| "-".into()),
            r.device.clone().unwrap_or_else(|| "-".into()),
            r.quant.clone().unwrap_or_else(|| "-".into()),
            human_bytes(r.size),
            notes.join("; ")
        );
    }
    let _ = writeln!(s, "hub cache: {}", cfg.hub.cache_dir.display());
    let _ = writeln!(s, "pyward home: {}", cfg.home.display());
    s
}
