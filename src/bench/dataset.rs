//! Loading a labelled benchmark set: a directory of files plus a `labels.csv`.
//!
//! The CSV has the header `file,vulnerable,cwe`: `file` is a path relative to the dataset
//! directory (with `/` separators), `vulnerable` is `true`/`false` (also `1`/`0`, `yes`/`no`),
//! and `cwe` is the primary CWE number of a vulnerable file (`78` or `CWE-78`), blank for a
//! secure one.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why a dataset could not be loaded. Every variant names the file (and line) at fault.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("{}: cannot read labels: {source}", path.display())]
    ReadLabels {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: header must be `file,vulnerable,cwe`, found `{found}`", path.display())]
    BadHeader { path: PathBuf, found: String },
    #[error("{}:{line}: {message}", path.display())]
    BadRow { path: PathBuf, line: u64, message: String },
    #[error("{}:{line}: file `{file}` is listed twice (first on line {first_line})", path.display())]
    Duplicate { path: PathBuf, line: u64, file: String, first_line: u64 },
    #[error("{}:{line}: listed file `{file}` does not exist in {}", path.display(), dir.display())]
    MissingFile { path: PathBuf, line: u64, file: String, dir: PathBuf },
    #[error("{}: the dataset has no rows", path.display())]
    Empty { path: PathBuf },
}

/// One labelled file of a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledFile {
    /// Path relative to the dataset directory, `/`-separated, as written in the CSV.
    pub file: String,
    /// Ground truth: does the file contain a real vulnerability?
    pub vulnerable: bool,
    /// The primary CWE of a vulnerable file; `None` for secure files.
    pub cwe: Option<u32>,
}

/// A loaded dataset: its directory and its labels in CSV order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    pub dir: PathBuf,
    pub files: Vec<LabelledFile>,
}

impl Dataset {
    /// Absolute (or dir-relative) path of a labelled file.
    pub fn path_of(&self, f: &LabelledFile) -> PathBuf {
        self.dir.join(&f.file)
    }

    /// Number of files labelled vulnerable.
    pub fn vulnerable_count(&self) -> usize {
        self.files.iter().filter(|f| f.vulnerable).count()
    }
}

#[derive(Deserialize)]
struct RawRow {
    file: String,
    vulnerable: String,
    cwe: String,
}

/// Loads `labels` (CSV) and checks every listed file exists under `dir`.
pub fn load(dir: &Path, labels: &Path) -> Result<Dataset, DatasetError> {
    let text = std::fs::read_to_string(labels)
        .map_err(|source| DatasetError::ReadLabels { path: labels.to_path_buf(), source })?;
    let files = parse_labels(labels, &text)?;
    for (line, f) in &files {
        if !dir.join(&f.file).is_file() {
            return Err(DatasetError::MissingFile {
                path: labels.to_path_buf(),
                line: *line,
                file: f.file.clone(),
                dir: dir.to_path_buf(),
            });
        }
    }
    Ok(Dataset { dir: dir.to_path_buf(), files: files.into_iter().map(|(_, f)| f).collect() })
}

/// Loads `dir/labels.csv`.
pub fn load_dir(dir: &Path) -> Result<Dataset, DatasetError> {
    load(dir, &dir.join("labels.csv"))
}

/// Parses labels CSV text; `path` is only used in errors. Returns each row with its 1-based
/// line number. Does not touch the file system.
pub fn parse_labels(path: &Path, text: &str) -> Result<Vec<(u64, LabelledFile)>, DatasetError> {
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let header = rdr.headers().map_err(|e| bad_row(path, &e, 1))?.clone();
    let names: Vec<&str> = header.iter().collect();
    if names != ["file", "vulnerable", "cwe"] {
        return Err(DatasetError::BadHeader { path: path.to_path_buf(), found: names.join(",") });
    }
    let mut out: Vec<(u64, LabelledFile)> = Vec::new();
    let mut seen: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| bad_row(path, &e, 0))?;
        let line = rec.position().map_or(0, |p| p.line());
        let raw: RawRow = rec.deserialize(Some(&header)).map_err(|e| bad_row(path, &e, line))?;
        let row = to_labelled(raw).map_err(|message| DatasetError::BadRow {
            path: path.to_path_buf(),
            line,
            message,
        })?;
        if let Some(first_line) = seen.get(&row.file) {
            return Err(DatasetError::Duplicate {
                path: path.to_path_buf(),
                line,
                file: row.file,
                first_line: *first_line,
            });
        }
        seen.insert(row.file.clone(), line);
        out.push((line, row));
    }
    if out.is_empty() {
        return Err(DatasetError::Empty { path: path.to_path_buf() });
    }
    Ok(out)
}

fn bad_row(path: &Path, e: &csv::Error, fallback_line: u64) -> DatasetError {
    let line = e.position().map_or(fallback_line, |p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("expected {expected_len} fields, found {len}")
        }
        _ => e.to_string(),
    };
    DatasetError::BadRow { path: path.to_path_buf(), line, message }
}

fn to_labelled(raw: RawRow) -> Result<LabelledFile, String> {
    if raw.file.is_empty() {
        return Err("empty `file` field".into());
    }
    if raw.file.starts_with('/') || raw.file.split('/').any(|c| c == "..") {
        return Err(format!("`file` must be a relative path inside the dataset, got `{}`", raw.file));
    }
    let vulnerable = match raw.vulnerable.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => true,
        "false" | "0" | "no" => false,
        other => return Err(format!("`vulnerable` must be true or false, got `{other}`")),
    };
    let cwe_text = raw.cwe.strip_prefix("CWE-").unwrap_or(&raw.cwe);
    let cwe = if cwe_text.is_empty() {
        None
    } else {
        Some(cwe_text.parse::<u32>().map_err(|_| format!("`cwe` must be a number, got `{}`", raw.cwe))?)
    };
    match (vulnerable, cwe) {
        (true, None) => Err(format!("vulnerable file `{}` needs a CWE", raw.file)),
        (false, Some(c)) => Err(format!("secure file `{}` must have a blank CWE, got {c}", raw.file)),
        _ => Ok(LabelledFile { file: raw.file, vulnerable, cwe }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<(u64, LabelledFile)>, DatasetError> {
        parse_labels(Path::new("labels.csv"), text)
    }

    #[test]
    fn parses_rows_with_line_numbers_and_cwe_forms() {
        let rows = parse("file,vulnerable,cwe\na.py,true,78\nb.py,false,\nc/d.py, yes ,CWE-89\n").unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0], (2, LabelledFile { file: "a.py".into(), vulnerable: true, cwe: Some(78) }));
        assert_eq!(rows[1].1, LabelledFile { file: "b.py".into(), vulnerable: false, cwe: None });
        assert_eq!(rows[2].0, 4);
        assert_eq!(rows[2].1.cwe, Some(89));
    }

    #[test]
    fn bad_rows_name_file_and_line() {
        let e = parse("file,vulnerable,cwe\na.py,true,78\nb.py,maybe,\n").unwrap_err();
        assert_eq!(e.to_string(), "labels.csv:3: `vulnerable` must be true or false, got `maybe`");
        let e = parse("file,vulnerable,cwe\na.py,true,seventy\n").unwrap_err();
        assert!(e.to_string().starts_with("labels.csv:2: `cwe` must be a number"), "{e}");
        let e = parse("file,vulnerable,cwe\na.py,true\n").unwrap_err();
        assert_eq!(e.to_string(), "labels.csv:2: expected 3 fields, found 2");
        let e = parse("file,vulnerable,cwe\na.py,true,\n").unwrap_err();
        assert!(e.to_string().contains("labels.csv:2: vulnerable file `a.py` needs a CWE"), "{e}");
        let e = parse("file,vulnerable,cwe\na.py,false,79\n").unwrap_err();
        assert!(e.to_string().contains("must have a blank CWE"), "{e}");
        let e = parse("file,vulnerable,cwe\n../x.py,false,\n").unwrap_err();
        assert!(e.to_string().contains("relative path"), "{e}");
    }

    #[test]
    fn header_duplicates_and_empty_are_errors() {
        let e = parse("path,label\na.py,1\n").unwrap_err();
        assert!(matches!(e, DatasetError::BadHeader { .. }), "{e}");
        let e = parse("file,vulnerable,cwe\na.py,true,78\na.py,false,\n").unwrap_err();
        assert_eq!(e.to_string(), "labels.csv:3: file `a.py` is listed twice (first on line 2)");
        assert!(matches!(parse("file,vulnerable,cwe\n").unwrap_err(), DatasetError::Empty { .. }));
    }

    #[test]
    fn load_reports_missing_files() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.py"), "x = 1\n").unwrap();
        std::fs::write(d.path().join("labels.csv"), "file,vulnerable,cwe\na.py,false,\nb.py,true,89\n").unwrap();
        let e = load_dir(d.path()).unwrap_err();
        assert!(matches!(&e, DatasetError::MissingFile { line: 3, file, .. } if file == "b.py"), "{e}");
        std::fs::write(d.path().join("b.py"), "x = 2\n").unwrap();
        let ds = load_dir(d.path()).unwrap();
        assert_eq!(ds.files.len(), 2);
        assert_eq!(ds.vulnerable_count(), 1);
        assert!(ds.path_of(&ds.files[1]).ends_with("b.py"));
        let e = load(d.path(), &d.path().join("nope.csv")).unwrap_err();
        assert!(matches!(e, DatasetError::ReadLabels { .. }));
    }
}
