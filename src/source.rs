//! Finding and reading the Python files to scan.
//!
//! Directories are walked with the `ignore` crate, like ripgrep: `.gitignore`, `.ignore` and
//! `.git/info/exclude` are respected (also outside a git repository), hidden files and
//! directories are skipped, and `--exclude GLOB` patterns (gitignore syntax, relative to the
//! walked directory) remove more. A file named explicitly on the command line is always
//! scanned, whatever its name. Python files are recognised by extension (`.py`, `.pyi`,
//! `.pyw`) or, for files without an extension, by a `#!...python...` shebang on line 1.
//!
//! Reading enforces a size limit, rejects binary files (a NUL byte), strips a UTF-8
//! byte-order mark and decodes a PEP 263 coding declaration (`crate::encoding`); only text
//! that cannot be decoded is rejected. Walk errors (a symlink loop, an unreadable directory)
//! become diagnostics; the walk never hangs on loops because the walker tracks visited
//! directories when following links.

use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::overrides::OverrideBuilder;
use ignore::WalkBuilder;

use crate::error::SourceError;
use crate::scan::{Diagnostic, DiagnosticLevel, ScanOptions};

/// One input to scan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    /// A file on disk: its path and the label findings report (`/`-separated, as given).
    File { label: String, path: PathBuf },
    /// Standard input (`-` on the command line), reported as `-`.
    Stdin,
}

impl Input {
    /// The path label findings on this input report.
    pub fn label(&self) -> &str {
        match self {
            Input::File { label, .. } => label,
            Input::Stdin => "-",
        }
    }
}

/// Expands command-line paths into the sorted, de-duplicated list of inputs, plus diagnostics
/// for what could not be walked; with `opts.shard`, only the shard's part of both.
pub fn discover(paths: &[PathBuf], opts: &ScanOptions) -> (Vec<Input>, Vec<Diagnostic>) {
    let mut inputs = Vec::new();
    let mut diags = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let meta = std::fs::metadata(p);
        match meta {
            Ok(m) if m.is_dir() => walk_dir(p, opts, &mut inputs, &mut diags),
            // Named explicitly: always scanned, whatever the extension or exclusions.
            Ok(_) => inputs.push(Input::File {
                label: label_of(p),
                path: p.clone(),
            }),
            Err(e) => diags.push(Diagnostic {
                path: label_of(p),
                level: DiagnosticLevel::Error,
                message: format!("cannot read: {e}"),
                line: None,
            }),
        }
    }
    inputs.sort();
    inputs.dedup();
    if let Some(shard) = opts.shard {
        // Each input and each walk problem is reported by exactly one shard.
        inputs.retain(|i| shard.contains(i.label()));
        diags.retain(|d| shard.contains(&d.path));
    }
    diags.sort_by(|a, b| a.path.cmp(&b.path).then(a.message.cmp(&b.message)));
    (inputs, diags)
}

fn walk_dir(root: &Path, opts: &ScanOptions, inputs: &mut Vec<Input>, diags: &mut Vec<Diagnostic>) {
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(true)
        .git_ignore(true)
        .git_exclude(true)
        .ignore(true)
        .parents(true)
        .require_git(false)
        .follow_links(opts.follow_symlinks);
    if !opts.exclude.is_empty() {
        let mut ob = OverrideBuilder::new(root);
        let mut ok = true;
        for g in &opts.exclude {
            if let Err(e) = ob.add(&format!("!{g}")) {
                ok = false;
                diags.push(Diagnostic {
                    path: label_of(root),
                    level: DiagnosticLevel::Error,
                    message: format!("invalid --exclude glob `{g}`: {e}"),
                    line: None,
                });
            }
        }
        if ok {
            match ob.build() {
                Ok(o) => {
                    builder.overrides(o);
                }
                Err(e) => diags.push(Diagnostic {
                    path: label_of(root),
                    level: DiagnosticLevel::Error,
                    message: format!("invalid --exclude globs: {e}"),
                    line: None,
                }),
            }
        }
    }
    for entry in builder.build() {
        match entry {
            Ok(e) => {
                let Some(ft) = e.file_type() else { continue };
                let is_file =
                    ft.is_file() || (ft.is_symlink() && opts.follow_symlinks && e.path().is_file());
                if is_file && is_python_file(e.path()) {
                    inputs.push(Input::File {
                        label: label_of(e.path()),
                        path: e.into_path(),
                    });
                }
            }
            Err(err) => diags.push(Diagnostic {
                path: walk_error_path(&err).map_or_else(|| label_of(root), |p| label_of(&p)),
                level: DiagnosticLevel::Error,
                message: walk_error_message(&err),
                line: None,
            }),
        }
    }
}

fn walk_error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

fn walk_error_message(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => walk_error_message(err),
        ignore::Error::Loop { ancestor, .. } => {
            format!("symbolic link loop (points back to {})", label_of(ancestor))
        }
        other => other.to_string(),
    }
}

/// The label of a path: as given, with `/` separators.
pub fn label_of(p: &Path) -> String {
    let s = p.to_string_lossy();
    if cfg!(windows) {
        s.replace('\\', "/")
    } else {
        s.into_owned()
    }
}

/// Whether a walked file is Python: by extension, or by shebang when it has none.
pub fn is_python_file(path: &Path) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some(ext) => matches!(ext, "py" | "pyi" | "pyw"),
        None => has_python_shebang(path),
    }
}

/// Whether the first line of the file is a `#!` line mentioning python.
pub fn has_python_shebang(path: &Path) -> bool {
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut buf = [0u8; 256];
    let mut n = 0;
    let mut f = f.take(buf.len() as u64);
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(_) => return false,
        }
    }
    let head = &buf[..n];
    let line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    line.starts_with(b"#!") && line.windows(6).any(|w| w == b"python")
}

/// Reads a file with a size limit (`limit == 0` means none) and decodes it.
pub fn read_source(path: &Path, limit: u64) -> Result<String, SourceError> {
    let read_err = |source| SourceError::Read {
        path: path.to_path_buf(),
        source,
    };
    let f = std::fs::File::open(path).map_err(read_err)?;
    let meta = f.metadata().map_err(read_err)?;
    if meta.is_dir() {
        return Err(SourceError::Read {
            path: path.to_path_buf(),
            source: std::io::Error::other("is a directory"),
        });
    }
    if limit > 0 && meta.len() > limit {
        return Err(SourceError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit,
        });
    }
    read_limited(f, path, limit)
}

/// Reads standard input with a size limit and decodes it.
pub fn read_stdin(limit: u64) -> Result<String, SourceError> {
    read_limited(std::io::stdin().lock(), Path::new("-"), limit)
}

fn read_limited(r: impl Read, path: &Path, limit: u64) -> Result<String, SourceError> {
    let mut bytes = Vec::new();
    let cap = if limit == 0 {
        u64::MAX
    } else {
        limit.saturating_add(1)
    };
    r.take(cap)
        .read_to_end(&mut bytes)
        .map_err(|source| SourceError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if limit > 0 && bytes.len() as u64 > limit {
        return Err(SourceError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit,
        });
    }
    decode(path, bytes)
}

/// Checks for binary content and decodes the text (a UTF-8 byte-order mark or a PEP 263
/// coding declaration; see [`crate::encoding`]).
pub fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, SourceError> {
    decode_with_encoding(path, &bytes).map(|d| d.text)
}

/// [`decode`], also saying which encoding the text came from.
pub fn decode_with_encoding(
    path: &Path,
    bytes: &[u8],
) -> Result<crate::encoding::Decoded, SourceError> {
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(SourceError::Binary {
            path: path.to_path_buf(),
            offset,
        });
    }
    crate::encoding::decode(bytes).map_err(|source| SourceError::Encoding {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads one input as text; a file that cannot be read (or is binary, undecodable, too large)
/// becomes an error diagnostic naming it.
pub fn read_input(input: &Input, max_file_size: u64) -> Result<String, Diagnostic> {
    let text = match input {
        Input::File { path, .. } => read_source(path, max_file_size),
        Input::Stdin => read_stdin(max_file_size),
    };
    text.map_err(|e| Diagnostic {
        path: input.label().to_string(),
        level: DiagnosticLevel::Error,
        message: source_error_message(&e),
        line: None,
    })
}

/// The message of a source error without its leading `path: `.
fn source_error_message(e: &SourceError) -> String {
    use SourceError::*;
    match e {
        Read { source, .. } => format!("cannot read: {source}"),
        Encoding { source, .. } => source.to_string(),
        Binary { offset, .. } => format!("binary file (NUL byte at offset {offset})"),
        TooLarge { size, limit, .. } => format!("file is {size} bytes, over the limit of {limit}"),
        Parse { .. } => "tree-sitter could not parse the file".into(),
        Walk { message, .. } => message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn opts() -> ScanOptions {
        ScanOptions::default()
    }

    fn labels(root: &Path, inputs: &[Input]) -> Vec<String> {
        let prefix = format!("{}/", label_of(root));
        inputs
            .iter()
            .map(|i| {
                i.label()
                    .strip_prefix(&prefix)
                    .unwrap_or(i.label())
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn discovers_python_by_extension_and_shebang() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::write(r.join("a.py"), "x = 1\n").unwrap();
        fs::write(r.join("b.pyi"), "x: int\n").unwrap();
        fs::write(r.join("c.txt"), "not python\n").unwrap();
        fs::write(r.join("tool"), "#!/usr/bin/env python3\nprint(1)\n").unwrap();
        fs::write(r.join("script"), "#!/bin/sh\necho\n").unwrap();
        fs::create_dir(r.join("sub")).unwrap();
        fs::write(r.join("sub/z.pyw"), "").unwrap();
        let (inputs, diags) = discover(&[r.to_path_buf()], &opts());
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            labels(r, &inputs),
            vec!["a.py", "b.pyi", "sub/z.pyw", "tool"]
        );
    }

    #[test]
    fn respects_gitignore_hidden_and_exclude() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::write(r.join(".gitignore"), "build/\n").unwrap();
        fs::create_dir(r.join("build")).unwrap();
        fs::write(r.join("build/gen.py"), "").unwrap();
        fs::create_dir(r.join(".venv")).unwrap();
        fs::write(r.join(".venv/site.py"), "").unwrap();
        fs::create_dir(r.join("tests")).unwrap();
        fs::write(r.join("tests/test_a.py"), "").unwrap();
        fs::write(r.join("main.py"), "").unwrap();
        let mut o = opts();
        o.exclude = vec!["tests/".into()];
        let (inputs, _) = discover(&[r.to_path_buf()], &o);
        assert_eq!(labels(r, &inputs), vec!["main.py"]);
        // Named explicitly: scanned even though excluded, ignored and not `.py`.
        let explicit = r.join("build/gen.py");
        let (inputs, _) = discover(std::slice::from_ref(&explicit), &o);
        assert_eq!(
            inputs,
            vec![Input::File {
                label: label_of(&explicit),
                path: explicit
            }]
        );
    }

    #[test]
    fn missing_path_is_a_diagnostic() {
        let (inputs, diags) = discover(&[PathBuf::from("/nonexistent/pyward/x.py")], &opts());
        assert!(inputs.is_empty());
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].level, DiagnosticLevel::Error);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loop_is_a_diagnostic_not_a_hang() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::create_dir(r.join("a")).unwrap();
        fs::write(r.join("a/m.py"), "").unwrap();
        std::os::unix::fs::symlink(r, r.join("a/loop")).unwrap();
        let mut o = opts();
        o.follow_symlinks = true;
        let (inputs, diags) = discover(&[r.to_path_buf()], &o);
        assert_eq!(labels(r, &inputs), vec!["a/m.py"]);
        assert!(
            diags.iter().any(|d| d.message.contains("loop")),
            "{diags:?}"
        );
    }

    #[test]
    fn reading_rejects_binary_non_utf8_and_large_files() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::write(r.join("bin.py"), b"x = 1\0\n").unwrap();
        fs::write(r.join("latin.py"), b"x = '\xe9'\n").unwrap();
        fs::write(r.join("bom.py"), b"\xEF\xBB\xBFx = 1\n").unwrap();
        fs::write(r.join("big.py"), "x = 1\n".repeat(100)).unwrap();
        assert!(matches!(
            read_source(&r.join("bin.py"), 0),
            Err(SourceError::Binary { offset: 5, .. })
        ));
        assert!(matches!(
            read_source(&r.join("latin.py"), 0),
            Err(SourceError::Encoding {
                source: crate::encoding::EncodingError::NotUtf8 { offset: 5 },
                ..
            })
        ));
        assert_eq!(read_source(&r.join("bom.py"), 0).unwrap(), "x = 1\n");
        assert!(matches!(
            read_source(&r.join("big.py"), 100),
            Err(SourceError::TooLarge { .. })
        ));
        assert!(read_source(&r.join("big.py"), 1000).is_ok());
        assert!(matches!(
            read_source(&r.join("nope.py"), 0),
            Err(SourceError::Read { .. })
        ));
    }
}
