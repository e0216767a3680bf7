//! Writing a fix result: the unified diff shown to the user, and `--write`'s atomic replacement
//! of the file with a `.orig` backup, refused when the file changed since it was scanned.

use std::path::{Path, PathBuf};

use super::FixResult;

/// Why `--write` refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: the file changed since it was scanned; not writing (re-run pyward fix)")]
    Changed { path: String },
    #[error("{path}: not writing the fix in the file's encoding ({encoding}): {problem}")]
    Encoding {
        path: String,
        encoding: &'static str,
        problem: String,
    },
    #[error("{path}: cannot write: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// A unified diff (`a/LABEL` → `b/LABEL`, 3 lines of context).
pub fn unified_diff(label: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{label}"), &format!("b/{label}"))
        .to_string()
}

/// Writes a fix result to `path` atomically: refuses when the file's content no longer has
/// the hash it was scanned with, saves `PATH.orig`, writes a temporary file in the same
/// directory, fsyncs it, copies the permissions and renames it over the file. Returns the
/// backup's path, or `None` when there was nothing to write.
pub fn write_fixed(path: &Path, result: &FixResult) -> Result<Option<PathBuf>, FixError> {
    use std::io::Write;
    let shown = path.display().to_string();
    let current = std::fs::read(path).map_err(|source| FixError::Read {
        path: shown.clone(),
        source,
    })?;
    // The fixes were computed on the decoded text: decode the file again the same way (BOM,
    // coding declaration) and write the patched text back in the file's own encoding.
    let Ok(decoded) = crate::source::decode_with_encoding(path, &current) else {
        return Err(FixError::Changed { path: shown });
    };
    if crate::pipeline::cache::content_hash(&decoded.text) != result.original_sha256 {
        return Err(FixError::Changed { path: shown });
    }
    if result.patched == result.original {
        return Ok(None);
    }
    let encoding = decoded.encoding;
    let enc_err = |problem: String| FixError::Encoding {
        path: shown.clone(),
        encoding: encoding.name(),
        problem,
    };
    // Only when the untouched text comes back byte for byte is the rest of the file safe.
    match crate::encoding::encode(&decoded.text, encoding) {
        Ok(bytes) if bytes == current => {}
        _ => return Err(enc_err("the file does not re-encode byte for byte".into())),
    }
    let patched =
        crate::encoding::encode(&result.patched, encoding).map_err(|e| enc_err(e.to_string()))?;
    let werr = |source| FixError::Write {
        path: shown.clone(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let backup = dir.join(format!("{name}.orig"));
    let perms = std::fs::metadata(path).map_err(werr)?.permissions();
    {
        let mut b = std::fs::File::create(&backup).map_err(werr)?;
        b.write_all(&current).map_err(werr)?;
        b.sync_all().map_err(werr)?;
    }
    crate::atomic::write_atomically(path, &patched, Some(perms)).map_err(werr)?;
    Ok(Some(backup))
}
