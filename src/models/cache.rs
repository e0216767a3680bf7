//! The Hugging Face hub cache, laid out exactly as Python `huggingface_hub` and hf-hub do it:
//!
//! ```text
//! <cache>/models--<org>--<name>/
//!     blobs/<etag>                          file contents (for LFS files the etag is the sha256)
//!     refs/<revision>                       text file: the commit a branch (or pinned commit) maps to
//!     snapshots/<commit>/<file>             relative symlink to ../../blobs/<etag>
//! ```
//!
//! Lookups here only read the file system: they never make a network request.

use std::path::{Path, PathBuf};

use hf_hub::{Cache, Repo, RepoType};

use super::error::ModelsError;
use super::manifest::is_commit;

/// The hub cache rooted at `root` (`.../huggingface/hub`).
#[derive(Debug, Clone)]
pub struct HubCache {
    root: PathBuf,
}

impl HubCache {
    pub fn new(root: impl Into<PathBuf>) -> HubCache {
        HubCache { root: root.into() }
    }

    /// `models--org--name`, the folder of a model repository.
    pub fn repo_dir(&self, repo: &str) -> PathBuf {
        self.root
            .join(Repo::new(repo.to_string(), RepoType::Model).folder_name())
    }

    /// `snapshots/<commit>/<file>` of a repository.
    pub fn snapshot_path(&self, repo: &str, commit: &str, file: &str) -> PathBuf {
        let mut p = self.repo_dir(repo).join("snapshots").join(commit);
        for part in file.split('/') {
            p.push(part);
        }
        p
    }

    /// `blobs/<etag>` of a repository.
    pub fn blob_path(&self, repo: &str, etag: &str) -> PathBuf {
        self.repo_dir(repo).join("blobs").join(etag)
    }

    /// The cached file for `repo@revision/file`, if present. Resolves a branch through
    /// `refs/<revision>` (what hf-hub's `Cache::get` does) and a commit directly through
    /// `snapshots/<commit>/` (how Python stores downloads of a pinned commit, without a ref).
    pub fn lookup(&self, repo: &str, revision: &str, file: &str) -> Option<PathBuf> {
        let cache = Cache::new(self.root.clone());
        let hf_repo = Repo::with_revision(repo.to_string(), RepoType::Model, revision.to_string());
        if let Some(p) = cache.repo(hf_repo).get(file) {
            return Some(p);
        }
        if is_commit(revision) {
            let p = self.snapshot_path(repo, revision, file);
            if p.is_file() {
                return Some(p);
            }
        }
        None
    }

    /// Every snapshot of `repo` that holds `file` (any commit), sorted. Used to reuse a copy that
    /// was downloaded for another revision when its contents match.
    pub fn snapshots_with(&self, repo: &str, file: &str) -> Vec<PathBuf> {
        let dir = self.repo_dir(repo).join("snapshots");
        let Ok(rd) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut out: Vec<PathBuf> = rd
            .filter_map(|e| e.ok())
            .map(|e| {
                let mut p = e.path();
                for part in file.split('/') {
                    p.push(part);
                }
                p
            })
            .filter(|p| p.is_file())
            .collect();
        out.sort();
        out
    }

    /// Removes a cached file: the snapshot entry and, when it is a symlink into this repository's
    /// `blobs/`, the blob it points to. Also removes a leftover `.part` of that blob.
    pub fn remove(&self, repo: &str, snapshot: &Path) -> Result<(), ModelsError> {
        let blobs = self.repo_dir(repo).join("blobs");
        let meta = match std::fs::symlink_metadata(snapshot) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(ModelsError::io(snapshot, e)),
        };
        if meta.file_type().is_symlink() {
            if let Ok(target) = std::fs::read_link(snapshot) {
                let target = if target.is_absolute() {
                    target
                } else {
                    snapshot.parent().unwrap_or(Path::new(".")).join(target)
                };
                let inside = match (
                    std::fs::canonicalize(&target),
                    std::fs::canonicalize(&blobs),
                ) {
                    (Ok(t), Ok(b)) => t.starts_with(&b).then_some(t),
                    _ => None,
                };
                if let Some(blob) = inside {
                    remove_if_exists(&blob)?;
                    let mut part = blob.clone();
                    part.set_extension("part");
                    remove_if_exists(&part)?;
                }
            }
        }
        remove_if_exists(snapshot)
    }

    /// Puts `src` (already verified to have `sha256`) into the cache as `repo@commit/file`:
    /// a hard link (or a copy across file systems) at `blobs/<sha256>`, the snapshot symlink and
    /// `refs/<commit>`. The layout is the one a real download of an LFS file produces, whose etag
    /// is its sha256, so later pulls and Python tools find it.
    pub fn install(
        &self,
        repo: &str,
        commit: &str,
        file: &str,
        src: &Path,
        sha256: &str,
    ) -> Result<PathBuf, ModelsError> {
        let blob = self.blob_path(repo, sha256);
        let blobs_dir = blob.parent().unwrap_or(Path::new(".")).to_path_buf();
        std::fs::create_dir_all(&blobs_dir).map_err(|e| ModelsError::io(&blobs_dir, e))?;
        place_file(src, &blob)?;
        let snapshot = self.snapshot_path(repo, commit, file);
        let snap_dir = snapshot.parent().unwrap_or(Path::new(".")).to_path_buf();
        std::fs::create_dir_all(&snap_dir).map_err(|e| ModelsError::io(&snap_dir, e))?;
        if std::fs::symlink_metadata(&snapshot).is_ok() {
            remove_if_exists(&snapshot)?;
        }
        link_snapshot(&blob, &snapshot, file, sha256)?;
        let refs = self.repo_dir(repo).join("refs");
        std::fs::create_dir_all(&refs).map_err(|e| ModelsError::io(&refs, e))?;
        let r = refs.join(commit);
        std::fs::write(&r, commit).map_err(|e| ModelsError::io(&r, e))?;
        Ok(snapshot)
    }

    /// Makes `snapshots/<commit>/<file>` point at an existing cached copy `existing`
    /// (a snapshot of another commit with the same contents).
    pub fn alias(
        &self,
        repo: &str,
        commit: &str,
        file: &str,
        existing: &Path,
    ) -> Result<PathBuf, ModelsError> {
        let target = std::fs::canonicalize(existing).map_err(|e| ModelsError::io(existing, e))?;
        let snapshot = self.snapshot_path(repo, commit, file);
        let snap_dir = snapshot.parent().unwrap_or(Path::new(".")).to_path_buf();
        std::fs::create_dir_all(&snap_dir).map_err(|e| ModelsError::io(&snap_dir, e))?;
        if std::fs::symlink_metadata(&snapshot).is_ok() {
            remove_if_exists(&snapshot)?;
        }
        let blobs = std::fs::canonicalize(self.repo_dir(repo).join("blobs")).ok();
        match (blobs, target.file_name()) {
            (Some(b), Some(name)) if target.starts_with(&b) => {
                link_snapshot(&target, &snapshot, file, &name.to_string_lossy())?
            }
            _ => place_file(&target, &snapshot)?,
        }
        Ok(snapshot)
    }

    /// Deletes a dangling snapshot symlink at `repo@commit/file` (hf-hub fails to replace one).
    pub fn clear_dangling(&self, repo: &str, commit: &str, file: &str) {
        let p = self.snapshot_path(repo, commit, file);
        if std::fs::symlink_metadata(&p).is_ok() && !p.exists() {
            let _ = std::fs::remove_file(&p);
        }
    }
}

fn remove_if_exists(p: &Path) -> Result<(), ModelsError> {
    match std::fs::remove_file(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ModelsError::io(p, e)),
    }
}

/// Hard-links `src` to `dst`, or copies it when a link is impossible (another file system),
/// through a temporary name so `dst` never holds a partial file.
pub(crate) fn place_file(src: &Path, dst: &Path) -> Result<(), ModelsError> {
    let tmp = dst.with_file_name(format!(
        ".{}.pyward-tmp{}",
        dst.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    if std::fs::hard_link(src, &tmp).is_err() {
        if let Err(e) = std::fs::copy(src, &tmp) {
            let _ = std::fs::remove_file(&tmp);
            return Err(ModelsError::io(dst, e));
        }
    }
    std::fs::rename(&tmp, dst).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ModelsError::io(dst, e)
    })
}

/// Creates the snapshot entry for `file` pointing at the blob named `blob_name`.
#[cfg(unix)]
fn link_snapshot(
    _blob: &Path,
    snapshot: &Path,
    file: &str,
    blob_name: &str,
) -> Result<(), ModelsError> {
    // snapshots/<commit>/<a>/<b>.gguf -> ../../../blobs/<name>: one `..` per path component
    // of `file` plus one for `<commit>`.
    let depth = file.split('/').count();
    let rel = format!("{}blobs/{}", "../".repeat(depth + 1), blob_name);
    std::os::unix::fs::symlink(&rel, snapshot).map_err(|e| ModelsError::io(snapshot, e))
}

/// Without symlinks the snapshot holds the file itself (as huggingface_hub does on Windows
/// without developer mode).
#[cfg(not(unix))]
fn link_snapshot(
    blob: &Path,
    snapshot: &Path,
    _file: &str,
    _blob_name: &str,
) -> Result<(), ModelsError> {
    place_file(blob, snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn install_lookup_remove_roundtrip() {
        let dir = tempfile::tempdir().unwrap();
        let cache = HubCache::new(dir.path().join("hub"));
        let src = dir.path().join("m.gguf");
        std::fs::write(&src, b"weights").unwrap();
        let sha = "f".repeat(64);
        assert_eq!(cache.lookup("org/repo", COMMIT, "sub/m.gguf"), None);
        let p = cache
            .install("org/repo", COMMIT, "sub/m.gguf", &src, &sha)
            .unwrap();
        assert_eq!(
            p,
            dir.path()
                .join("hub/models--org--repo/snapshots")
                .join(COMMIT)
                .join("sub/m.gguf")
        );
        assert_eq!(std::fs::read(&p).unwrap(), b"weights");
        assert_eq!(
            cache.lookup("org/repo", COMMIT, "sub/m.gguf"),
            Some(p.clone())
        );
        // The ref hf-hub's Cache::get reads.
        let r =
            std::fs::read_to_string(cache.repo_dir("org/repo").join("refs").join(COMMIT)).unwrap();
        assert_eq!(r, COMMIT);
        assert_eq!(
            cache.snapshots_with("org/repo", "sub/m.gguf"),
            vec![p.clone()]
        );
        cache.remove("org/repo", &p).unwrap();
        assert!(!p.exists());
        assert!(!cache.blob_path("org/repo", &sha).exists());
        assert_eq!(cache.lookup("org/repo", COMMIT, "sub/m.gguf"), None);
        // The source file is untouched (the blob was a hard link).
        assert_eq!(std::fs::read(&src).unwrap(), b"weights");
    }

    #[test]
    fn python_style_commit_snapshot_without_ref_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let cache = HubCache::new(dir.path());
        let snap = cache.snapshot_path("org/repo", COMMIT, "m.gguf");
        std::fs::create_dir_all(snap.parent().unwrap()).unwrap();
        std::fs::write(&snap, b"x").unwrap();
        assert_eq!(cache.lookup("org/repo", COMMIT, "m.gguf"), Some(snap));
        assert_eq!(cache.lookup("org/repo", "main", "m.gguf"), None);
    }
}
