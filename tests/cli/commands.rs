//! `pyward` end to end: rules, explain, help.

use super::*;

#[test]
fn rules_lists_every_rule_in_text_and_json() {
    let o = run(&["rules"], &crate_root());
    assert_eq!(code(&o), 0);
    let text = stdout(&o);
    assert!(text.starts_with("ID"), "{text}");
    let o = run(&["rules", "--format", "json"], &crate_root());
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let arr = v.as_array().unwrap();
    assert!(!arr.is_empty());
    for r in arr {
        let id = r["id"].as_str().unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{id} not in table"));
        assert!(line.contains(r["cwe"][0].as_str().unwrap()), "{line}");
        assert!(line.contains(r["category"].as_str().unwrap()), "{line}");
    }
}

#[test]
fn explain_shows_the_doc_and_rejects_unknown_rules() {
    let o = run(&["explain", "PW101"], &crate_root());
    assert_eq!(code(&o), 0);
    let t = stdout(&o);
    for part in [
        "PW101",
        "CWE-78",
        "What it does",
        "Why is this bad",
        "Example",
        "Use instead",
        "B602",
    ] {
        assert!(t.contains(part), "missing {part}:\n{t}");
    }
    let o = run(&["explain", "PW000"], &crate_root());
    assert_eq!(code(&o), 2);
    let e = stderr(&o);
    assert!(e.contains("PW000") && e.contains("pyward rules"), "{e}");
}

#[test]
fn version_and_help() {
    let o = run(&["--version"], &crate_root());
    assert_eq!(code(&o), 0);
    assert_eq!(
        stdout(&o).trim(),
        format!("pyward {}", env!("CARGO_PKG_VERSION"))
    );
    let o = run(&["scan", "--help"], &crate_root());
    assert_eq!(code(&o), 0);
    let h = stdout(&o);
    for part in [
        "--format",
        "--fail-on",
        "--select",
        "Examples:",
        "Exit status",
    ] {
        assert!(h.contains(part), "help lacks {part}");
    }
}

#[test]
fn closed_stdout_is_not_an_error() {
    // `pyward scan . | head -c 1`: the reader goes away after one byte; the report is far
    // larger than a pipe buffer, so pyward's writes fail with EPIPE. It must not panic.
    use std::io::Read;
    use std::process::Stdio;
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "many.py", SHELL_CALL.repeat(3000));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pyward"))
        .args(["scan", "many.py"])
        .current_dir(d.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    stdout.read_exact(&mut one).unwrap();
    drop(stdout);
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(o.status.code(), Some(1), "{err}");
}
