//! `pull`: download a manifest's file from the hub into the hub cache, then verify it.
//!
//! The transfer is hf-hub 0.5's synchronous client (ureq): `GET {endpoint}/{repo}/resolve/{revision}/{file}`
//! with `Range: bytes=0-0` for metadata (`x-repo-commit`, `x-linked-etag`/`etag`, `Content-Range`),
//! then a `Range: bytes={start}-` download into `blobs/<etag>.part`, renamed to `blobs/<etag>` and
//! linked from `snapshots/<commit>/<file>`. A broken connection leaves only the `.part` file, which
//! the next pull resumes. hf-hub neither honours `HF_HUB_OFFLINE` nor checks the result, so this
//! module decides when the network may be used and verifies size and sha256 afterwards.

use std::path::PathBuf;

use hf_hub::api::sync::{ApiBuilder, ApiError};
use hf_hub::{Cache, Repo, RepoType};

use super::cache::HubCache;
use super::config::ModelsConfig;
use super::error::ModelsError;
use super::hash::{sha256_file, HashCache};
use super::manifest::{is_sha256, Manifest};
use super::progress::{Bar, HubProgress};
use super::store::Index;

/// Options of `pull`.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// Download even when the manifest's sha256 is not verified.
    pub allow_unverified: bool,
}

/// What `pull` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullOutcome {
    /// The cached file (`snapshots/<commit>/<file>`).
    pub path: PathBuf,
    /// Its sha256.
    pub sha256: String,
    /// Whether bytes were transferred (false: it was already cached).
    pub downloaded: bool,
    /// Something the user should know (an unverified manifest, a removed corrupt copy, ...).
    pub notes: Vec<String>,
}

/// Why a local copy does not match its manifest.
fn check_copy(
    path: &std::path::Path,
    m: &Manifest,
    hashes: &HashCache,
    progress: bool,
) -> Result<String, ModelsError> {
    let size = std::fs::metadata(path)
        .map_err(|e| ModelsError::io(path, e))?
        .len();
    if m.size > 0 && size != m.size {
        return Err(ModelsError::SizeMismatch {
            path: path.to_path_buf(),
            expected: m.size,
            actual: size,
        });
    }
    let sha = hashes.sha256(path, progress, "verifying")?;
    if !m.sha256.is_empty() && sha != m.sha256 {
        return Err(ModelsError::Sha256Mismatch {
            path: path.to_path_buf(),
            expected: m.sha256.clone(),
            actual: sha,
            removed: false,
        });
    }
    Ok(sha)
}

/// Finds a verified local copy of `m` in the hub cache: its own revision first, then a snapshot
/// of another revision with the same contents. Never touches the network.
///
/// With `repair` (pull), a copy at the manifest's own location that fails verification is removed
/// and reported in `notes`, and a matching copy of another revision is linked into place so the
/// next lookup is direct. Without it (resolution, read-only), a bad copy is an error.
pub(crate) fn find_cached(
    m: &Manifest,
    cfg: &ModelsConfig,
    notes: &mut Vec<String>,
    repair: bool,
) -> Result<Option<(PathBuf, String)>, ModelsError> {
    let cache = HubCache::new(&cfg.hub.cache_dir);
    let hashes = HashCache::new(&cfg.home);
    let progress = cfg.hub.progress;
    if let Some(p) = cache.lookup(&m.repo, &m.revision, &m.file) {
        match check_copy(&p, m, &hashes, progress) {
            Ok(sha) => return Ok(Some((p, sha))),
            Err(e @ (ModelsError::SizeMismatch { .. } | ModelsError::Sha256Mismatch { .. }))
                if repair =>
            {
                cache.remove(&m.repo, &p)?;
                hashes.forget(&p);
                notes.push(format!("removed a corrupt cached copy: {e}"));
            }
            Err(e) => return Err(e),
        }
    }
    // Another revision's snapshot (e.g. a Python download of `main`) with identical contents.
    if m.sha256.is_empty() {
        return Ok(None);
    }
    for p in cache.snapshots_with(&m.repo, &m.file) {
        let size = std::fs::metadata(&p).map(|md| md.len()).unwrap_or(0);
        if size != m.size {
            continue;
        }
        if let Ok(sha) = hashes.sha256(&p, progress, "checking") {
            if sha == m.sha256 {
                if repair && m.revision_is_pinned() {
                    let linked = cache.alias(&m.repo, &m.revision, &m.file, &p)?;
                    hashes.record(&linked, &sha);
                    return Ok(Some((linked, sha)));
                }
                return Ok(Some((p, sha)));
            }
        }
    }
    Ok(None)
}

/// Downloads `m` into the hub cache (or finds it there) and verifies it.
///
/// Offline (`cfg.hub.offline`): only the cache is consulted and no request is made.
pub fn pull(
    m: &Manifest,
    cfg: &ModelsConfig,
    opts: &PullOptions,
) -> Result<PullOutcome, ModelsError> {
    let mut notes = Vec::new();
    if let Some((path, sha256)) = find_cached(m, cfg, &mut notes, true)? {
        return Ok(PullOutcome {
            path,
            sha256,
            downloaded: false,
            notes,
        });
    }
    // A copy registered with `pyward models import` (manifests pinned only to a branch live there).
    let index = Index::load(&cfg.home)?;
    if let Some(e) = index.for_manifest(&m.name) {
        if e.path.is_file() {
            let sha256 = check_copy(&e.path, m, &HashCache::new(&cfg.home), cfg.hub.progress)?;
            notes.push(format!(
                "using the imported copy registered in {}",
                index.path().display()
            ));
            return Ok(PullOutcome {
                path: e.path.clone(),
                sha256,
                downloaded: false,
                notes,
            });
        }
    }
    if cfg.hub.offline {
        return Err(ModelsError::OfflineNotCached {
            name: m.name.clone(),
            location: format!("{}@{}/{}", m.repo, m.revision, m.file),
            cache: cfg.hub.cache_dir.clone(),
            why: if cfg.hub.offline_reason.is_empty() {
                "offline".to_string()
            } else {
                cfg.hub.offline_reason.clone()
            },
        });
    }
    if !m.is_trusted() {
        if !opts.allow_unverified {
            return Err(ModelsError::Unverified {
                name: m.name.clone(),
            });
        }
        notes.push(format!(
            "model `{}`: the manifest's sha256 is not verified (--allow-unverified); the file was not checked against a trusted hash",
            m.name
        ));
    }
    download(m, cfg, notes)
}

fn download(
    m: &Manifest,
    cfg: &ModelsConfig,
    mut notes: Vec<String>,
) -> Result<PullOutcome, ModelsError> {
    let endpoint = cfg.hub.endpoint.clone();
    let cache = HubCache::new(&cfg.hub.cache_dir);
    let hashes = HashCache::new(&cfg.home);
    let api = ApiBuilder::from_cache(Cache::new(cfg.hub.cache_dir.clone()))
        .with_endpoint(endpoint.clone())
        .with_token(cfg.hub.token.clone())
        .with_progress(false)
        .with_retries(0)
        .with_user_agent("pyward", env!("CARGO_PKG_VERSION"))
        .build()
        .map_err(|e| ModelsError::Download {
            url: endpoint.clone(),
            message: e.to_string(),
        })?;
    let repo = api.repo(Repo::with_revision(
        m.repo.clone(),
        RepoType::Model,
        m.revision.clone(),
    ));
    let url = repo.url(&m.file);

    // 1. Metadata: check the hub serves what the manifest pins before moving any bytes.
    let meta = api
        .metadata(&url)
        .map_err(|e| map_api_error(e, &url, &endpoint, None))?;
    if m.revision_is_pinned() && meta.commit_hash() != m.revision {
        return Err(ModelsError::HubMismatch {
            url,
            message: format!(
                "the hub resolved revision {} to commit {}; the manifest pins that commit exactly",
                m.revision,
                meta.commit_hash()
            ),
        });
    }
    if m.size > 0 && meta.size() as u64 != m.size {
        return Err(ModelsError::HubMismatch {
            url,
            message: format!(
                "the hub's file is {} bytes, the manifest pins {} bytes; nothing was downloaded",
                meta.size(),
                m.size
            ),
        });
    }
    let etag = normalize_etag(meta.etag());
    if is_sha256(&etag) && !m.sha256.is_empty() && etag != m.sha256 {
        return Err(ModelsError::HubMismatch {
            url,
            message: format!(
                "the hub's file has sha256 {etag} (its LFS etag), the manifest pins {}; nothing was downloaded",
                m.sha256
            ),
        });
    }
    let blob = cache.blob_path(&m.repo, meta.etag());
    let mut part = blob.clone();
    part.set_extension("part");
    if let Ok(md) = std::fs::metadata(&part) {
        // hf-hub refuses a partial file larger than the remote one; start over instead.
        if md.len() > meta.size() as u64 {
            let _ = std::fs::remove_file(&part);
        } else if md.len() > 0 {
            notes.push(format!("resumed a partial download at byte {}", md.len()));
        }
    }
    cache.clear_dangling(&m.repo, meta.commit_hash(), &m.file);

    // 2. Transfer.
    let progress = HubProgress {
        enabled: cfg.hub.progress,
        bar: None,
    };
    let path = repo
        .download_with_progress(&m.file, progress)
        .map_err(|e| map_api_error(e, &url, &endpoint, Some(part.clone())))?;

    // 3. Verify.
    let size = std::fs::metadata(&path)
        .map_err(|e| ModelsError::io(&path, e))?
        .len();
    let bar = Bar::new(cfg.hub.progress, size, "verifying");
    let (sha, _) = sha256_file(&path, Some(&bar))?;
    bar.finish();
    let size_bad = m.size > 0 && size != m.size;
    let sha_bad = !m.sha256.is_empty() && sha != m.sha256;
    if size_bad || sha_bad {
        cache.remove(&m.repo, &path)?;
        hashes.forget(&path);
        let _ = std::fs::remove_file(&part);
        if sha_bad {
            return Err(ModelsError::Sha256Mismatch {
                path,
                expected: m.sha256.clone(),
                actual: sha,
                removed: true,
            });
        }
        return Err(ModelsError::SizeMismatch {
            path,
            expected: m.size,
            actual: size,
        });
    }
    hashes.record(&path, &sha);
    if m.sha256.is_empty() {
        notes.push(format!("downloaded file sha256: {sha} (size {size})"));
    }
    Ok(PullOutcome {
        path,
        sha256: sha,
        downloaded: true,
        notes,
    })
}

/// Strips quotes and a weak-validator prefix, as huggingface_hub does.
fn normalize_etag(etag: &str) -> String {
    etag.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .to_string()
}

fn map_api_error(e: ApiError, url: &str, endpoint: &str, partial: Option<PathBuf>) -> ModelsError {
    match e {
        ApiError::RequestError(boxed) => map_ureq_error(*boxed, url, endpoint),
        ApiError::IoError(io) => {
            use std::io::ErrorKind as K;
            match (io.kind(), partial) {
                (K::StorageFull | K::PermissionDenied | K::ReadOnlyFilesystem | K::QuotaExceeded, Some(p)) => {
                    ModelsError::Io { path: p, source: io }
                }
                (_, Some(p)) => ModelsError::Interrupted {
                    url: url.to_string(),
                    message: io.to_string(),
                    partial: p,
                },
                (_, None) => ModelsError::Download {
                    url: url.to_string(),
                    message: io.to_string(),
                },
            }
        }
        ApiError::MissingHeader(h) | ApiError::InvalidHeader(h) => ModelsError::HubMismatch {
            url: url.to_string(),
            message: format!(
                "the answer has no valid `{h}` header; is HF_ENDPOINT ({endpoint}) a Hugging Face hub or mirror?"
            ),
        },
        ApiError::LockAcquisition(p) => ModelsError::Download {
            url: url.to_string(),
            message: format!(
                "another process is downloading this file (lock {} is held); wait for it and pull again",
                p.display()
            ),
        },
        other => ModelsError::Download {
            url: url.to_string(),
            message: other.to_string(),
        },
    }
}

fn map_ureq_error(e: ureq::Error, url: &str, endpoint: &str) -> ModelsError {
    match e {
        ureq::Error::StatusCode(status) => {
            let advice = match status {
                401 | 403 => "; the repository may be gated or private: accept its licence on the hub and set HF_TOKEN",
                404 => "; the repository, revision or file does not exist there (check the manifest, or HF_ENDPOINT)",
                429 => "; rate limited, try again later",
                500..=599 => "; the hub is failing, try again later",
                _ => "",
            };
            ModelsError::HubStatus {
                url: url.to_string(),
                status,
                advice: advice.to_string(),
            }
        }
        ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::Timeout(_)
        | ureq::Error::Io(_)
        | ureq::Error::Tls(_)
        | ureq::Error::TlsRequired
        | ureq::Error::ConnectProxyFailed(_) => ModelsError::HubUnreachable {
            endpoint: endpoint.to_string(),
            message: e.to_string(),
        },
        other => ModelsError::Download {
            url: url.to_string(),
            message: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_are_normalized() {
        assert_eq!(normalize_etag("\"abc\""), "abc");
        assert_eq!(normalize_etag("W/\"abc\""), "abc");
        assert_eq!(normalize_etag("abc"), "abc");
    }

    #[test]
    fn status_errors_carry_advice() {
        let e = map_ureq_error(ureq::Error::StatusCode(401), "u", "e").to_string();
        assert!(e.contains("HF_TOKEN"), "{e}");
        let e = map_ureq_error(ureq::Error::StatusCode(404), "u", "e").to_string();
        assert!(e.contains("does not exist"), "{e}");
        let e = map_ureq_error(ureq::Error::HostNotFound, "u", "https://hub").to_string();
        assert!(
            e.contains("cannot reach the Hugging Face hub at https://hub"),
            "{e}"
        );
        assert!(e.contains("pyward models import"), "{e}");
    }
}
