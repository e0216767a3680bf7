//! `pyward` end to end: exit codes.

use super::*;

#[test]
fn clean_file_exits_0() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ok.py", CLEAN);
    let o = run(&["scan", "ok.py"], d.path());
    assert_eq!(
        code(&o),
        0,
        "stdout:\n{}\nstderr:\n{}",
        stdout(&o),
        stderr(&o)
    );
}

#[test]
fn finding_exits_1_and_text_names_rule_and_file() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bad.py", SHELL_CALL);
    let o = run(&["scan", "bad.py"], d.path());
    assert_eq!(code(&o), 1, "stderr:\n{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("PW101"), "{out}");
    assert!(out.contains("bad.py"), "{out}");
    assert!(
        !out.contains('\x1b'),
        "no colour when stdout is not a terminal:\n{out}"
    );
}

/// The model's file size limit is not mentioned when no model runs: a static scan of a large
/// file reports its findings and no warning.
#[test]
fn static_scan_of_a_large_file_has_no_model_limit_warning() {
    let d = tempfile::tempdir().unwrap();
    let mut big = "x = 1\n".repeat(50_000);
    big.push_str(SHELL_CALL);
    assert!(big.len() > 256 * 1024);
    write(d.path(), "big.py", &big);
    for args in [&["big.py"][..], &["--static-only", "big.py"][..]] {
        let (code, v, err) = scan_json(args, d.path());
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(rule_ids(&v).contains(&"PW101".to_string()), "{args:?}: {v}");
        assert!(diagnostics(&v).is_empty(), "{args:?}: {v}");
        assert!(!err.contains("model limit"), "{args:?}: {err}");
    }
}

#[test]
fn nonexistent_path_exits_2_naming_it() {
    let d = tempfile::tempdir().unwrap();
    let o = run(&["scan", "no/such/file.py"], d.path());
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no/such/file.py"), "{}", stderr(&o));
}

#[test]
fn nonexistent_path_next_to_a_good_one_is_a_diagnostic_not_a_failure() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ok.py", CLEAN);
    let o = run(&["scan", "ok.py", "missing.py"], d.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("missing.py"), "{}", stderr(&o));
}

#[test]
fn unknown_selectors_exit_2_naming_them() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bad.py", SHELL_CALL);
    for (flag, sel) in [
        ("--select", "PW999"),
        ("--select", "CWE-99999"),
        ("--ignore", "not-a-category"),
        ("--select", "PW101,bogus"),
    ] {
        let o = run(&["scan", flag, sel, "bad.py"], d.path());
        assert_eq!(code(&o), 2, "{flag} {sel}");
        let bad = sel.rsplit(',').next().unwrap();
        assert!(stderr(&o).contains(bad), "{flag} {sel}: {}", stderr(&o));
        assert!(stdout(&o).is_empty());
    }
}

#[test]
fn usage_errors_exit_2() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ok.py", CLEAN);
    for args in [
        &["scan"][..],
        &["scan", "--format", "xml", "ok.py"],
        &["scan", "--fail-on", "critical", "ok.py"],
        &["scan", "--jobs", "0", "ok.py"],
        &["scan", "--max-file-size", "lots", "ok.py"],
        &["frobnicate"],
    ] {
        let o = run(args, d.path());
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn invalid_exclude_glob_exits_2_naming_it() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ok.py", CLEAN);
    let o = run(&["scan", "--exclude", "a/**{", "."], d.path());
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("a/**{"), "{}", stderr(&o));
}
