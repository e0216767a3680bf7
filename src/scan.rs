//! Scanning a set of paths: the result types shared with the reports.

use serde::{Deserialize, Serialize};

use crate::finding::Finding;

/// A problem with one input that did not stop the scan (unreadable file, syntax error...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub path: String,
    pub level: DiagnosticLevel,
    pub message: String,
    /// 1-based line, when the problem has a position (syntax errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticLevel {
    /// The file was skipped.
    Error,
    /// The file was scanned, perhaps partially (e.g. it has syntax errors).
    Warning,
}

/// Everything one scan produced. Findings are sorted by (path, line, column, rule id).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScanOutcome {
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
    pub files_scanned: usize,
}

/// What scanning one file produced.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FileScan {
    /// Sorted by (line, column, rule id), fingerprinted, suppression applied.
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
}

/// How [`scan_paths`] finds and reads files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOptions {
    /// Worker threads; `None` = one per CPU.
    pub jobs: Option<usize>,
    /// Gitignore-style globs of paths to skip while walking directories.
    pub exclude: Vec<String>,
    /// Files larger than this many bytes are skipped with a diagnostic (`0` = no limit).
    pub max_file_size: u64,
    /// Follow symbolic links while walking (loops are detected and reported).
    pub follow_symlinks: bool,
    /// Scan only the files (and report only the walk problems) of this shard.
    pub shard: Option<crate::shard::Shard>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            jobs: None,
            exclude: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            follow_symlinks: false,
            shard: None,
        }
    }
}

/// Default size limit: 10 MiB (generated files above that are rarely worth scanning).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// Stack size of scan worker threads: generous, as a safety margin for pathological inputs.
const WORKER_STACK: usize = 16 * 1024 * 1024;

/// Scans files and directories (`-` = standard input) in parallel. Inputs that cannot be read
/// become diagnostics; the outcome is deterministic whatever the number of threads.
pub fn scan_paths(
    engine: &crate::rules::Engine,
    paths: &[std::path::PathBuf],
    opts: &ScanOptions,
) -> ScanOutcome {
    use rayon::prelude::*;

    let (inputs, mut diagnostics) = crate::source::discover(paths, opts);
    let scan_all = || -> Vec<(FileScan, bool)> {
        inputs
            .par_iter()
            .map(|i| scan_input(engine, i, opts))
            .collect()
    };
    let results = match rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.unwrap_or(0))
        .stack_size(WORKER_STACK)
        .build()
    {
        Ok(pool) => pool.install(scan_all),
        Err(_) => inputs.iter().map(|i| scan_input(engine, i, opts)).collect(),
    };
    let mut out = ScanOutcome::default();
    for (fs, scanned) in results {
        out.files_scanned += usize::from(scanned);
        out.findings.extend(fs.findings);
        diagnostics.extend(fs.diagnostics);
    }
    out.diagnostics = diagnostics;
    sort_outcome(&mut out);
    out
}

/// Reads and scans one input; the flag says whether it was scanned. A file that cannot be
/// read yields only an error diagnostic.
pub fn scan_input(
    engine: &crate::rules::Engine,
    input: &crate::source::Input,
    opts: &ScanOptions,
) -> (FileScan, bool) {
    match read_input(input, opts.max_file_size) {
        Ok(t) => (engine.scan_source(input.label(), &t), true),
        Err(d) => (
            FileScan {
                findings: Vec::new(),
                diagnostics: vec![d],
            },
            false,
        ),
    }
}

/// Reads one input as text; a file that cannot be read (or is binary, not UTF-8, too large)
/// becomes an error diagnostic naming it.
pub fn read_input(input: &crate::source::Input, max_file_size: u64) -> Result<String, Diagnostic> {
    use crate::source::{read_source, read_stdin, Input};
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

/// Sorts findings by (path, line, column, rule id) and diagnostics by (path, line): the order
/// every report uses, whatever order the files were scanned in.
pub fn sort_outcome(out: &mut ScanOutcome) {
    out.findings.sort_by(|a, b| {
        (&a.path, a.span.start_line, a.span.start_column, &a.rule_id).cmp(&(
            &b.path,
            b.span.start_line,
            b.span.start_column,
            &b.rule_id,
        ))
    });
    out.diagnostics
        .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
}

/// The message of a source error without its leading `path: `.
fn source_error_message(e: &crate::error::SourceError) -> String {
    use crate::error::SourceError::*;
    match e {
        Read { source, .. } => format!("cannot read: {source}"),
        NotUtf8 { offset, .. } => format!("not UTF-8 text (invalid byte at offset {offset})"),
        Binary { offset, .. } => format!("binary file (NUL byte at offset {offset})"),
        TooLarge { size, limit, .. } => format!("file is {size} bytes, over the limit of {limit}"),
        Parse { .. } => "tree-sitter could not parse the file".into(),
        Walk { message, .. } => message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Catalog, Engine};

    #[test]
    fn scan_paths_is_deterministic_and_reports_unreadable_files() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        let bad = "import subprocess\nsubprocess.run(f'ls {x}', shell=True)\n";
        for name in ["b.py", "a.py", "c/d.py"] {
            let p = r.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bad).unwrap();
        }
        std::fs::write(r.join("bin.py"), b"\0\0").unwrap();
        let engine = Engine::new(Catalog::embedded().unwrap()).unwrap();
        let mut outs = Vec::new();
        for jobs in [1, 3] {
            let opts = ScanOptions {
                jobs: Some(jobs),
                ..ScanOptions::default()
            };
            outs.push(scan_paths(&engine, &[r.to_path_buf()], &opts));
        }
        let o = &outs[0];
        assert_eq!(o.files_scanned, 3);
        let paths: Vec<&str> = o
            .findings
            .iter()
            .map(|f| f.path.rsplit(&*crate::source::label_of(r)).next().unwrap())
            .collect();
        assert_eq!(paths, vec!["/a.py", "/b.py", "/c/d.py"]);
        assert_eq!(o.diagnostics.len(), 1);
        assert!(o.diagnostics[0].message.contains("binary"));
        assert_eq!(
            serde_json::to_string(&outs[0]).unwrap(),
            serde_json::to_string(&outs[1]).unwrap()
        );
    }
}
