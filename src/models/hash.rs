//! sha256 of model files, and a small cache of them so a scan does not re-hash gigabytes.
//!
//! The cache (`$PYWARD_HOME/sha256-cache.json`) maps a canonical path to the file's size,
//! modification time and sha256; an entry is used only while size and mtime still match.
//! A cache that cannot be read or written is ignored: hashing still works, only slower.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::ModelsError;
use super::progress::Bar;

/// File name of the sha256 cache inside the pyward home.
pub const HASH_CACHE_FILE: &str = "sha256-cache.json";

/// Streams a file through sha256, advancing `bar` by the bytes read. Returns (hex, size).
pub fn sha256_file(path: &Path, bar: Option<&Bar>) -> Result<(String, u64), ModelsError> {
    let mut f = std::fs::File::open(path).map_err(|e| ModelsError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ModelsError::io(path, e)),
        };
        hasher.update(&buf[..n]);
        total += n as u64;
        if let Some(b) = bar {
            b.inc(n as u64);
        }
    }
    Ok((hex::encode(hasher.finalize()), total))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    size: u64,
    mtime_ns: u128,
    sha256: String,
}

/// Identity of a file's contents as far as the cache is concerned.
fn stamp(path: &Path) -> Result<(PathBuf, u64, u128), ModelsError> {
    let canon = std::fs::canonicalize(path).map_err(|e| ModelsError::io(path, e))?;
    let meta = std::fs::metadata(&canon).map_err(|e| ModelsError::io(path, e))?;
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    Ok((canon, meta.len(), mtime_ns))
}

/// The persistent sha256 cache.
#[derive(Debug, Clone)]
pub struct HashCache {
    path: PathBuf,
}

impl HashCache {
    /// The cache stored under `home`.
    pub fn new(home: &Path) -> HashCache {
        HashCache {
            path: home.join(HASH_CACHE_FILE),
        }
    }

    fn load(&self) -> BTreeMap<String, Entry> {
        std::fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn store(&self, map: &BTreeMap<String, Entry>) {
        // Best effort: a read-only home only costs re-hashing.
        let Some(dir) = self.path.parent() else {
            return;
        };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let Ok(bytes) = serde_json::to_vec_pretty(map) else {
            return;
        };
        let tmp = self
            .path
            .with_extension(format!("json.tmp{}", std::process::id()));
        if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, &self.path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }

    /// The cached sha256 of `path`, if the file is unchanged since it was recorded.
    pub fn lookup(&self, path: &Path) -> Option<String> {
        let (canon, size, mtime_ns) = stamp(path).ok()?;
        let map = self.load();
        let e = map.get(&canon.to_string_lossy().to_string())?;
        (e.size == size && e.mtime_ns == mtime_ns).then(|| e.sha256.clone())
    }

    /// Records the sha256 of `path` (computed by the caller just now).
    pub fn record(&self, path: &Path, sha256: &str) {
        let Ok((canon, size, mtime_ns)) = stamp(path) else {
            return;
        };
        let mut map = self.load();
        // Drop entries of files that no longer exist, so the cache does not grow forever.
        map.retain(|p, _| Path::new(p).exists());
        map.insert(
            canon.to_string_lossy().to_string(),
            Entry {
                size,
                mtime_ns,
                sha256: sha256.to_string(),
            },
        );
        self.store(&map);
    }

    /// Forgets `path` (after it was deleted or found corrupt).
    pub fn forget(&self, path: &Path) {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mut map = self.load();
        if map.remove(&key.to_string_lossy().to_string()).is_some() {
            self.store(&map);
        }
    }

    /// The sha256 of `path`: from the cache when unchanged, else computed (with a progress bar
    /// labelled `label` when `progress`) and recorded.
    pub fn sha256(&self, path: &Path, progress: bool, label: &str) -> Result<String, ModelsError> {
        if let Some(h) = self.lookup(path) {
            return Ok(h);
        }
        let size = std::fs::metadata(path)
            .map_err(|e| ModelsError::io(path, e))?
            .len();
        let bar = Bar::new(progress, size, label);
        let (h, _) = sha256_file(path, Some(&bar))?;
        bar.finish();
        self.record(path, &h);
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_caches_until_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("m.bin");
        std::fs::write(&f, b"abc").unwrap();
        let (h, n) = sha256_file(&f, None).unwrap();
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(n, 3);
        let cache = HashCache::new(&dir.path().join("home"));
        assert_eq!(cache.lookup(&f), None);
        assert_eq!(cache.sha256(&f, false, "t").unwrap(), h);
        assert_eq!(cache.lookup(&f).as_deref(), Some(h.as_str()));
        // Same size, other content, other mtime: the entry must not be used.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&f, b"abd").unwrap();
        let t = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&f)
            .unwrap()
            .set_modified(t)
            .unwrap();
        assert_eq!(cache.lookup(&f), None);
        let h2 = cache.sha256(&f, false, "t").unwrap();
        assert_ne!(h2, h);
        cache.forget(&f);
        assert_eq!(cache.lookup(&f), None);
    }
}
