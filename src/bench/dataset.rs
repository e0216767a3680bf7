//! Loading a labelled benchmark set: a directory of Python files plus a labels CSV.
//!
//! The CSV has the header `file,vulnerable,cwe`: `file` is a path relative to the dataset
//! directory (with `/` separators), `vulnerable` is `true`/`false` (also `1`/`0`, `yes`/`no`,
//! any case), and `cwe` is the primary CWE number of a vulnerable file (`78` or `CWE-78`),
//! blank for a secure one.
//!
//! The CSV is read by a small RFC 4180 reader ([`parse_csv`]): fields separated by commas,
//! records by `\n` or `\r\n`; a field may be quoted with `"` (a quoted field may hold commas,
//! newlines and `""` for a quote); whitespace around every field is trimmed; blank lines are
//! skipped; a UTF-8 byte-order mark is ignored. (pyward does not use the `csv` crate: it turns
//! on `serde` features that would rebuild the whole model stack for three columns.)
//!
//! [`load`] checks the whole set: every listed file exists, and every `.py` file under the
//! directory is listed. Every error names the labels file and, for a row, its line.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Why a dataset could not be loaded. Every variant names the file (and line) at fault.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("{}: cannot read labels: {source}", path.display())]
    ReadLabels {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: cannot list the dataset directory: {source}", path.display())]
    ReadDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:1: header must be `file,vulnerable,cwe`, found `{found}`", path.display())]
    BadHeader { path: PathBuf, found: String },
    #[error("{}:{line}: {message}", path.display())]
    BadRow {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{}:{line}: file `{file}` is listed twice (first on line {first_line})", path.display())]
    Duplicate {
        path: PathBuf,
        line: u64,
        file: String,
        first_line: u64,
    },
    #[error("{}:{line}: listed file `{file}` does not exist in {}", path.display(), dir.display())]
    MissingFile {
        path: PathBuf,
        line: u64,
        file: String,
        dir: PathBuf,
    },
    #[error("{}: Python file `{file}` in {} is not listed (label it or move it out of the dataset)", path.display(), dir.display())]
    Unlisted {
        path: PathBuf,
        file: String,
        dir: PathBuf,
    },
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

    /// Keeps only the files of one shard (the same partition as `scan --shard`, keyed on the
    /// file's path relative to the dataset), so a large set can be measured a share at a time.
    pub fn keep_shard(&mut self, shard: crate::shard::Shard) {
        self.files.retain(|f| shard.contains(&f.file));
    }

    /// Number of files labelled vulnerable.
    pub fn vulnerable_count(&self) -> usize {
        self.files.iter().filter(|f| f.vulnerable).count()
    }
}

/// Loads `labels` (CSV), checks every listed file exists under `dir` and every `.py` file
/// under `dir` is listed.
pub fn load(dir: &Path, labels: &Path) -> Result<Dataset, DatasetError> {
    let text = std::fs::read_to_string(labels).map_err(|source| DatasetError::ReadLabels {
        path: labels.to_path_buf(),
        source,
    })?;
    let rows = parse_labels(labels, &text)?;
    for (line, f) in &rows {
        if !dir.join(&f.file).is_file() {
            return Err(DatasetError::MissingFile {
                path: labels.to_path_buf(),
                line: *line,
                file: f.file.clone(),
                dir: dir.to_path_buf(),
            });
        }
    }
    let listed: BTreeSet<&str> = rows.iter().map(|(_, f)| f.file.as_str()).collect();
    let mut on_disk = Vec::new();
    let mut nested = Vec::new();
    python_files(dir, "", &mut on_disk, &mut nested)?;
    on_disk.sort();
    if let Some(file) = on_disk.into_iter().find(|f| !listed.contains(f.as_str())) {
        return Err(DatasetError::Unlisted {
            path: labels.to_path_buf(),
            file,
            dir: dir.to_path_buf(),
        });
    }
    let mut files: Vec<LabelledFile> = rows.into_iter().map(|(_, f)| f).collect();
    // A subdirectory with a `labels.csv` of its own is a dataset of its own, included here
    // with its paths under it (and loadable alone).
    nested.sort();
    for sub in nested {
        let sub_dir = dir.join(&sub);
        let inner = load(&sub_dir, &sub_dir.join("labels.csv"))?;
        files.extend(inner.files.into_iter().map(|f| LabelledFile {
            file: format!("{sub}/{}", f.file),
            ..f
        }));
    }
    Ok(Dataset {
        dir: dir.to_path_buf(),
        files,
    })
}

/// [`load`], then keeps only `shard`'s files when one is given (what both the bench
/// coordinator and its workers measure).
pub fn load_share(
    dir: &Path,
    labels: &Path,
    shard: Option<crate::shard::Shard>,
) -> Result<Dataset, DatasetError> {
    let mut ds = load(dir, labels)?;
    if let Some(shard) = shard {
        ds.keep_shard(shard);
    }
    Ok(ds)
}

/// Loads `dir/labels.csv`.
pub fn load_dir(dir: &Path) -> Result<Dataset, DatasetError> {
    load(dir, &dir.join("labels.csv"))
}

/// The `.py` files under `dir`, recursively, as `/`-separated paths relative to it.
/// Hidden entries (a name starting with `.`) are skipped, and so are subdirectories with a
/// `labels.csv` of their own: their paths go to `nested`.
fn python_files(
    dir: &Path,
    prefix: &str,
    out: &mut Vec<String>,
    nested: &mut Vec<String>,
) -> Result<(), DatasetError> {
    let read_err = |source| DatasetError::ReadDir {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let ty = entry.file_type().map_err(read_err)?;
        let path = entry.path();
        if ty.is_dir() || (ty.is_symlink() && path.is_dir()) {
            if path.join("labels.csv").is_file() {
                nested.push(rel);
            } else {
                python_files(&path, &rel, out, nested)?;
            }
        } else if name.ends_with(".py") {
            out.push(rel);
        }
    }
    Ok(())
}

/// One CSV record: its 1-based starting line and its fields (trimmed).
pub type CsvRecord = (u64, Vec<String>);

/// Reads CSV text into records (RFC 4180 quoting, trimmed fields, blank lines skipped).
/// The error is `(line, message)`.
pub fn parse_csv(text: &str) -> Result<Vec<CsvRecord>, (u64, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line: u64 = 1;
    loop {
        // Skip blank lines (only whitespace between line breaks).
        let start_line = line;
        let mut fields: Vec<String> = Vec::new();
        let mut field = String::new();
        let mut quoted = false; // the current field was quoted
        let mut after_quote = false; // the closing quote of the current field was read
        let mut any = false; // the record has a character other than a line break
        let mut ended = false;
        while let Some(c) = chars.next() {
            match c {
                '"' if !quoted && field.trim().is_empty() => {
                    quoted = true;
                    any = true;
                    field.clear();
                    let open_line = line;
                    loop {
                        match chars.next() {
                            None => return Err((open_line, "unterminated quoted field".into())),
                            Some('"') if chars.peek() == Some(&'"') => {
                                chars.next();
                                field.push('"');
                            }
                            Some('"') => break,
                            Some(ch) => {
                                if ch == '\n' {
                                    line += 1;
                                }
                                field.push(ch);
                            }
                        }
                    }
                    after_quote = true;
                }
                ',' => {
                    any = true;
                    fields.push(take_field(&mut field, quoted));
                    quoted = false;
                    after_quote = false;
                }
                '\n' | '\r' => {
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    line += 1;
                    ended = true;
                    break;
                }
                _ if after_quote => {
                    if !c.is_whitespace() {
                        return Err((line, format!("unexpected `{c}` after a closing quote")));
                    }
                }
                _ => {
                    if !c.is_whitespace() {
                        any = true;
                    }
                    field.push(c);
                }
            }
        }
        if any {
            fields.push(take_field(&mut field, quoted));
            records.push((start_line, fields));
        }
        if !ended {
            return Ok(records);
        }
    }
}

fn take_field(field: &mut String, quoted: bool) -> String {
    let f = std::mem::take(field);
    if quoted {
        f
    } else {
        f.trim().to_string()
    }
}

/// Parses labels CSV text; `path` is only used in errors. Returns each row with its 1-based
/// line number. Does not touch the file system.
pub fn parse_labels(path: &Path, text: &str) -> Result<Vec<(u64, LabelledFile)>, DatasetError> {
    let bad = |line: u64, message: String| DatasetError::BadRow {
        path: path.to_path_buf(),
        line,
        message,
    };
    let records = parse_csv(text).map_err(|(line, m)| bad(line, m))?;
    let mut records = records.into_iter();
    let Some((_, header)) = records.next() else {
        return Err(DatasetError::Empty {
            path: path.to_path_buf(),
        });
    };
    if header != ["file", "vulnerable", "cwe"] {
        return Err(DatasetError::BadHeader {
            path: path.to_path_buf(),
            found: header.join(","),
        });
    }
    let mut out: Vec<(u64, LabelledFile)> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, fields) in records {
        let [file, vulnerable, cwe]: [String; 3] = fields
            .try_into()
            .map_err(|f: Vec<String>| bad(line, format!("expected 3 fields, found {}", f.len())))?;
        let row = to_labelled(file, &vulnerable, &cwe).map_err(|m| bad(line, m))?;
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
        return Err(DatasetError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(out)
}

fn to_labelled(file: String, vulnerable: &str, cwe: &str) -> Result<LabelledFile, String> {
    if file.is_empty() {
        return Err("empty `file` field".into());
    }
    if file.starts_with('/') || file.contains('\\') || file.split('/').any(|c| c == "..") {
        return Err(format!(
            "`file` must be a relative path inside the dataset, got `{file}`"
        ));
    }
    let vulnerable = match vulnerable.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => true,
        "false" | "0" | "no" => false,
        other => return Err(format!("`vulnerable` must be true or false, got `{other}`")),
    };
    let cwe_text = cwe
        .strip_prefix("CWE-")
        .or_else(|| cwe.strip_prefix("cwe-"))
        .unwrap_or(cwe);
    let cwe = if cwe_text.is_empty() {
        None
    } else {
        Some(
            cwe_text
                .parse::<u32>()
                .map_err(|_| format!("`cwe` must be a number, got `{cwe}`"))?,
        )
    };
    match (vulnerable, cwe) {
        (true, None) => Err(format!("vulnerable file `{file}` needs a CWE")),
        (false, Some(c)) => Err(format!(
            "secure file `{file}` must have a blank CWE, got {c}"
        )),
        _ => Ok(LabelledFile {
            file,
            vulnerable,
            cwe,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<(u64, LabelledFile)>, DatasetError> {
        parse_labels(Path::new("labels.csv"), text)
    }

    #[test]
    fn shards_of_the_bench_set_partition_it() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bench_data");
        let all = load_dir(&dir).unwrap();
        let mut seen: Vec<String> = Vec::new();
        for k in 1..=4 {
            let mut ds = load_dir(&dir).unwrap();
            ds.keep_shard(crate::shard::Shard::new(k, 4).unwrap());
            assert!(
                !ds.files.is_empty() && ds.files.len() < all.files.len(),
                "shard {k}/4"
            );
            seen.extend(ds.files.into_iter().map(|f| f.file));
        }
        seen.sort();
        let mut expected: Vec<String> = all.files.into_iter().map(|f| f.file).collect();
        expected.sort();
        assert_eq!(seen, expected);
    }

    #[test]
    fn parses_rows_with_line_numbers_and_cwe_forms() {
        let rows =
            parse("file,vulnerable,cwe\na.py,true,78\nb.py,false,\nc/d.py, yes ,CWE-89\n").unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0],
            (
                2,
                LabelledFile {
                    file: "a.py".into(),
                    vulnerable: true,
                    cwe: Some(78)
                }
            )
        );
        assert_eq!(
            rows[1].1,
            LabelledFile {
                file: "b.py".into(),
                vulnerable: false,
                cwe: None
            }
        );
        assert_eq!(rows[2].0, 4);
        assert_eq!(rows[2].1.cwe, Some(89));
    }

    #[test]
    fn csv_quoting_crlf_bom_and_blank_lines() {
        let text = "\u{feff}file,vulnerable,cwe\r\n\"a,b.py\",1,\"CWE-22\"\r\n\r\n\"say \"\"hi\"\".py\",0,\n";
        let rows = parse(text).unwrap();
        assert_eq!(
            rows[0],
            (
                2,
                LabelledFile {
                    file: "a,b.py".into(),
                    vulnerable: true,
                    cwe: Some(22)
                }
            )
        );
        assert_eq!(rows[1].0, 4);
        assert_eq!(rows[1].1.file, "say \"hi\".py");
        // A quoted field spanning lines: the next record's line number accounts for it.
        let recs = parse_csv("x,\"two\nlines\"\ny,z").unwrap();
        assert_eq!(
            recs,
            vec![
                (1, vec!["x".into(), "two\nlines".into()]),
                (3, vec!["y".into(), "z".into()])
            ]
        );
        // No final newline, empty last field.
        assert_eq!(
            parse_csv("a,").unwrap(),
            vec![(1, vec!["a".into(), String::new()])]
        );
        assert_eq!(parse_csv("").unwrap(), Vec::<CsvRecord>::new());
    }

    #[test]
    fn csv_syntax_errors_name_the_line() {
        let e = parse("file,vulnerable,cwe\na.py,true,78\n\"b.py,false,\n").unwrap_err();
        assert_eq!(e.to_string(), "labels.csv:3: unterminated quoted field");
        let e = parse("file,vulnerable,cwe\n\"a.py\"x,true,78\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "labels.csv:2: unexpected `x` after a closing quote"
        );
    }

    #[test]
    fn bad_rows_name_file_and_line() {
        let e = parse("file,vulnerable,cwe\na.py,true,78\nb.py,maybe,\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "labels.csv:3: `vulnerable` must be true or false, got `maybe`"
        );
        let e = parse("file,vulnerable,cwe\na.py,true,seventy\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("labels.csv:2: `cwe` must be a number"),
            "{e}"
        );
        let e = parse("file,vulnerable,cwe\na.py,true\n").unwrap_err();
        assert_eq!(e.to_string(), "labels.csv:2: expected 3 fields, found 2");
        let e = parse("file,vulnerable,cwe\na.py,true,1,2\n").unwrap_err();
        assert_eq!(e.to_string(), "labels.csv:2: expected 3 fields, found 4");
        let e = parse("file,vulnerable,cwe\na.py,true,\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("labels.csv:2: vulnerable file `a.py` needs a CWE"),
            "{e}"
        );
        let e = parse("file,vulnerable,cwe\na.py,false,79\n").unwrap_err();
        assert!(e.to_string().contains("must have a blank CWE"), "{e}");
        let e = parse("file,vulnerable,cwe\n../x.py,false,\n").unwrap_err();
        assert!(e.to_string().contains("relative path"), "{e}");
        let e = parse("file,vulnerable,cwe\n,false,\n").unwrap_err();
        assert_eq!(e.to_string(), "labels.csv:2: empty `file` field");
    }

    #[test]
    fn header_duplicates_and_empty_are_errors() {
        let e = parse("path,label\na.py,1\n").unwrap_err();
        assert!(matches!(e, DatasetError::BadHeader { .. }), "{e}");
        assert_eq!(
            e.to_string(),
            "labels.csv:1: header must be `file,vulnerable,cwe`, found `path,label`"
        );
        let e = parse("file,vulnerable,cwe\na.py,true,78\na.py,false,\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "labels.csv:3: file `a.py` is listed twice (first on line 2)"
        );
        assert!(matches!(
            parse("file,vulnerable,cwe\n").unwrap_err(),
            DatasetError::Empty { .. }
        ));
        assert!(matches!(
            parse("\n\n").unwrap_err(),
            DatasetError::Empty { .. }
        ));
    }

    #[test]
    fn load_reports_missing_and_unlisted_files() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.py"), "x = 1\n").unwrap();
        std::fs::write(
            d.path().join("labels.csv"),
            "file,vulnerable,cwe\na.py,false,\nb.py,true,89\n",
        )
        .unwrap();
        let e = load_dir(d.path()).unwrap_err();
        assert!(
            matches!(&e, DatasetError::MissingFile { line: 3, file, .. } if file == "b.py"),
            "{e}"
        );
        assert!(
            e.to_string()
                .contains("labels.csv:3: listed file `b.py` does not exist"),
            "{e}"
        );
        std::fs::write(d.path().join("b.py"), "x = 2\n").unwrap();
        let ds = load_dir(d.path()).unwrap();
        assert_eq!(ds.files.len(), 2);
        assert_eq!(ds.vulnerable_count(), 1);
        assert!(ds.path_of(&ds.files[1]).ends_with("b.py"));
        // A Python file in a subdirectory that the labels do not list.
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(d.path().join("sub/c.py"), "x = 3\n").unwrap();
        std::fs::write(d.path().join("notes.txt"), "not python\n").unwrap();
        let e = load_dir(d.path()).unwrap_err();
        assert!(
            matches!(&e, DatasetError::Unlisted { file, .. } if file == "sub/c.py"),
            "{e}"
        );
        assert!(e.to_string().contains("`sub/c.py`"), "{e}");
        let e = load(d.path(), &d.path().join("nope.csv")).unwrap_err();
        assert!(matches!(e, DatasetError::ReadLabels { .. }));
    }
}
