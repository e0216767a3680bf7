//! `pyward scan --diff REF`: the files (and lines) changed since a git revision.
//!
//! Changed files are those of `git diff --name-only REF` (committed since REF, staged and
//! unstaged; deleted files left out) plus the untracked files git does not ignore
//! (`git ls-files --others --exclude-standard`). `--diff-lines` keeps the findings that touch
//! a line added or changed since REF (`git diff -U0 REF -- FILE`); every line of an untracked
//! file is new. git runs in the repository of the first scanned path.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why the changed files could not be listed (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("--diff: cannot run git: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("--diff: {0} is not inside a git repository")]
    NotARepo(String),
    #[error("--diff: `{0}` is not a revision (it starts with `-`)")]
    BadRef(String),
    #[error("--diff {reference}: `git {command}` failed: {stderr}")]
    Git {
        reference: String,
        command: String,
        stderr: String,
    },
}

/// Lines of a file changed since the revision: `None` means every line (a new file).
type Lines = Option<Vec<(usize, usize)>>;

/// The files changed since a revision, by canonical path.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    files: BTreeMap<PathBuf, Lines>,
}

impl Changes {
    /// Lists the changes since `reference` in the repository holding `dir`; with `lines`, also
    /// the changed line ranges of each file.
    pub fn since(reference: &str, dir: &Path, lines: bool) -> Result<Changes, DiffError> {
        if reference.starts_with('-') {
            return Err(DiffError::BadRef(reference.to_string()));
        }
        let root = git(dir, reference, &["rev-parse", "--show-toplevel"]).map_err(|e| match e {
            DiffError::Git { .. } => DiffError::NotARepo(crate::source::label_of(dir)),
            other => other,
        })?;
        let root = PathBuf::from(root.trim_end_matches(['\n', '\r']));
        let changed = git(
            &root,
            reference,
            &[
                "diff",
                "--name-only",
                "-z",
                "--no-renames",
                "--diff-filter=d",
                reference,
                "--",
            ],
        )?;
        let untracked = git(
            &root,
            reference,
            &["ls-files", "-z", "--others", "--exclude-standard"],
        )?;
        let mut files = BTreeMap::new();
        for rel in changed.split('\0').filter(|s| !s.is_empty()) {
            let Ok(abs) = std::fs::canonicalize(root.join(rel)) else {
                continue;
            };
            // Line ranges only for the files a scan would read as Python.
            let ranges = if lines && crate::source::is_python_file(&abs) {
                let patch = git(
                    &root,
                    reference,
                    &[
                        "diff",
                        "-U0",
                        "--no-color",
                        "--no-ext-diff",
                        reference,
                        "--",
                        rel,
                    ],
                )?;
                Some(hunk_lines(&patch))
            } else {
                None
            };
            files.insert(abs, ranges);
        }
        for rel in untracked.split('\0').filter(|s| !s.is_empty()) {
            if let Ok(abs) = std::fs::canonicalize(root.join(rel)) {
                files.insert(abs, None);
            }
        }
        Ok(Changes { files })
    }

    /// Whether the file at `path` changed.
    pub fn contains(&self, path: &Path) -> bool {
        std::fs::canonicalize(path).is_ok_and(|p| self.files.contains_key(&p))
    }

    /// Whether lines `start..=end` of the file at `path` touch a changed line.
    pub fn touches(&self, path: &Path, start: usize, end: usize) -> bool {
        let Ok(p) = std::fs::canonicalize(path) else {
            return false;
        };
        match self.files.get(&p) {
            None => false,
            Some(None) => true,
            Some(Some(ranges)) => ranges.iter().any(|&(a, b)| a <= end && start <= b),
        }
    }
}

/// The new-file line ranges of a `-U0` patch's hunks (`@@ -a,b +c,d @@`; `d = 0` is a pure
/// deletion, which changes no line of the new file).
pub fn hunk_lines(patch: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for line in patch.lines() {
        let Some(rest) = line.strip_prefix("@@ ") else {
            continue;
        };
        let Some(new) = rest.split_whitespace().find(|w| w.starts_with('+')) else {
            continue;
        };
        let mut it = new[1..].splitn(2, ',');
        let start: usize = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        let count: usize = it.next().map_or(Some(1), |s| s.parse().ok()).unwrap_or(0);
        if count > 0 && start > 0 {
            out.push((start, start + count - 1));
        }
    }
    out
}

fn git(dir: &Path, reference: &str, args: &[&str]) -> Result<String, DiffError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_PAGER", "cat")
        .output()
        .map_err(DiffError::Spawn)?;
    if !out.status.success() {
        return Err(DiffError::Git {
            reference: reference.to_string(),
            command: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_give_new_line_ranges() {
        let patch = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -3 +3 @@ def f():\n-a\n+b\n\
                     @@ -10,0 +11,2 @@\n+c\n+d\n@@ -20,2 +21,0 @@\n-e\n-f\n";
        assert_eq!(hunk_lines(patch), [(3, 3), (11, 12)]);
    }
}
