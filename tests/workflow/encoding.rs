//! PEP 263 coding declarations and the byte-order mark.

use super::*;

/// The 1-based byte column of `needle` on line `line` (1-based) of `bytes`.
fn byte_column(bytes: &[u8], line: usize, needle: &[u8]) -> u64 {
    let l = bytes.split(|&b| b == b'\n').nth(line - 1).unwrap();
    let at = l.windows(needle.len()).position(|w| w == needle).unwrap();
    at as u64 + 1
}

#[test]
fn latin1_file_is_scanned_with_byte_columns() {
    let d = tempfile::tempdir().unwrap();
    // Two non-ASCII characters (one byte each in latin-1, two in UTF-8) before the call.
    let src: &[u8] = b"# -*- coding: latin-1 -*-\nimport subprocess\n\ndef run(cmd):\n    x = \"\xe9\xe8\"; subprocess.run(cmd, shell=True)\n";
    write(d.path(), "legacy.py", src);
    let (status, report) = scan_json(&["legacy.py"], d.path());
    assert_eq!(status, 1);
    assert_eq!(report["diagnostics"], serde_json::json!([]));
    let f = findings(&report);
    assert_eq!(f.len(), 1, "{f:?}");
    let col = byte_column(src, 5, b"subprocess.run");
    assert_eq!(col, 15);
    assert_eq!(f[0], ("legacy.py".into(), "PW101".into(), 5, col));
    // The snippet is the decoded text.
    let snippet = report["findings"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("x = \"\u{e9}\u{e8}\""), "{snippet}");
}

#[test]
fn cp1252_file_is_scanned_and_text_report_shows_the_line() {
    let d = tempfile::tempdir().unwrap();
    let src: &[u8] =
        b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nimport subprocess\ndef run(cmd):\n    p = \"\x80\x93\"; subprocess.run(cmd, shell=True)\n";
    write(d.path(), "euro.py", src);
    let (_, report) = scan_json(&["euro.py"], d.path());
    let f = findings(&report);
    assert_eq!(
        f,
        [(
            "euro.py".into(),
            "PW101".into(),
            5,
            byte_column(src, 5, b"subprocess")
        )]
    );
    let o = run(
        &["scan", "--static-only", "--color", "never", "euro.py"],
        d.path(),
    );
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("\u{20ac}\u{201c}"), "{}", stdout(&o));
}

#[test]
fn bom_file_keeps_character_columns() {
    let d = tempfile::tempdir().unwrap();
    let mut src = b"\xEF\xBB\xBF".to_vec();
    src.extend_from_slice(SHELL_CALL.as_bytes());
    write(d.path(), "bom.py", &src);
    let (_, report) = scan_json(&["bom.py"], d.path());
    assert_eq!(findings(&report), [("bom.py".into(), "PW101".into(), 4, 5)]);
}

#[test]
fn only_undecodable_files_are_diagnostics_and_the_run_goes_on() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a_ok.py", SHELL_CALL);
    write(d.path(), "b_undeclared.py", b"x = '\xe9'\n");
    write(d.path(), "c_unknown.py", b"# coding: klingon\nx = 1\n");
    write(
        d.path(),
        "d_bad_sjis.py",
        b"# coding: shift_jis\nx = '\x81\x20'\n",
    );
    // 日本 in Shift_JIS.
    write(
        d.path(),
        "e_sjis.py",
        b"# coding: shift_jis\nx = '\x93\xfa\x96\x7b'\n",
    );
    let (status, report) = scan_json(&["."], d.path());
    assert_eq!(status, 1);
    let diags: Vec<(String, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().into(),
                d["message"].as_str().unwrap().into(),
            )
        })
        .collect();
    let paths: Vec<&str> = diags.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths.len(), 3, "{diags:?}");
    assert!(
        diags[0].0.ends_with("b_undeclared.py") && diags[0].1.contains("not UTF-8"),
        "{diags:?}"
    );
    assert!(
        diags[0].1.contains("coding:"),
        "the message suggests a declaration: {diags:?}"
    );
    assert!(
        diags[1].1.contains("unknown encoding `klingon`"),
        "{diags:?}"
    );
    assert!(diags[2].1.contains("invalid Shift_JIS text"), "{diags:?}");
    assert_eq!(report["summary"]["files_scanned"], 2, "{report}");
}

#[test]
fn fix_write_keeps_the_file_encoding() {
    let d = tempfile::tempdir().unwrap();
    let src: &[u8] =
        b"# -*- coding: cp1252 -*-\nimport hashlib\n\ndef digest(data):\n    label = \"\x80\"\n    return hashlib.md5(data)\n";
    let p = write(d.path(), "h.py", src);
    let o = run(&["fix", "--static-only", "--write", "h.py"], d.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let after = std::fs::read(&p).unwrap();
    // Byte for byte: the euro sign is still the single cp1252 byte 0x80.
    let mut expected = src.to_vec();
    let at = expected.windows(3).position(|w| w == b"md5").unwrap();
    expected.splice(at..at + 3, b"sha256".iter().copied());
    assert_eq!(after, expected, "{}", String::from_utf8_lossy(&after));
    assert_eq!(std::fs::read(d.path().join("h.py.orig")).unwrap(), src);
}
