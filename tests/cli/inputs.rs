//! `pyward` end to end: inputs.

use super::*;

#[test]
fn stdin_is_scanned_as_dash() {
    let d = tempfile::tempdir().unwrap();
    let o = pyward()
        .args(["scan", "--format", "json", "-"])
        .current_dir(d.path())
        .write_stdin(SHELL_CALL)
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(findings(&v)[0]["path"], "-");
    assert_eq!(v["summary"]["files_scanned"], 1, "{v:#}");
}

#[test]
fn gitignore_and_exclude_skip_files() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), ".gitignore", "build/\n");
    write(d.path(), "build/gen.py", SHELL_CALL);
    write(d.path(), "vendor/lib.py", SHELL_CALL);
    write(d.path(), "src/app.py", SHELL_CALL);
    let (c, v, _) = scan_json(&["."], d.path());
    assert_eq!(c, 1);
    let paths: Vec<&str> = findings(&v)
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["./src/app.py", "./vendor/lib.py"]);

    let (_, v, _) = scan_json(&["--exclude", "vendor/", "."], d.path());
    let paths: Vec<&str> = findings(&v)
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["./src/app.py"]);

    let (c, v, _) = scan_json(
        &["--exclude", "vendor", "--exclude", "src/*.py", "."],
        d.path(),
    );
    assert_eq!(c, 0, "{v:#}");
}

#[test]
fn extensionless_files_are_scanned_when_their_shebang_says_python() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "bin/deploy",
        format!("#!/usr/bin/env python3\n{SHELL_CALL}"),
    );
    write(d.path(), "bin/notes", SHELL_CALL);
    write(d.path(), "bin/run.sh", format!("#!/bin/sh\n{SHELL_CALL}"));
    let (c, v, _) = scan_json(&["bin"], d.path());
    assert_eq!(c, 1);
    let paths: Vec<&str> = findings(&v)
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["bin/deploy"]);
}

#[test]
fn unreadable_file_is_a_diagnostic_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ok.py", CLEAN);
    let secret = write(d.path(), "secret.py", SHELL_CALL);
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();
    if chmod_is_bypassed(&secret) {
        eprintln!("running as root: chmod 000 does not stop reads; skipping the assertion");
        return;
    }
    let o = run(&["scan", "."], d.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("secret.py"), "{}", stderr(&o));
    let (_, v, _) = scan_json(&["."], d.path());
    let diag = diagnostics(&v)
        .iter()
        .find(|x| x["path"] == "./secret.py")
        .expect("diagnostic");
    assert_eq!(diag["level"], "error");
    // Alone, it is fatal: nothing could be scanned.
    let o = run(&["scan", "secret.py"], d.path());
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("secret.py"));
}

#[test]
fn non_utf8_and_binary_files_are_diagnostics_and_the_scan_goes_on() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "latin1.py", b"name = 'caf\xe9'\n");
    write(
        d.path(),
        "blob.py",
        b"\x7fELF\x02\x01\x01\x00\x00\x00binary",
    );
    write(d.path(), "bad.py", SHELL_CALL);
    let o = run(&["scan", "."], d.path());
    assert_eq!(code(&o), 1, "the good file's finding decides the exit code");
    let err = stderr(&o);
    assert!(err.contains("latin1.py") && err.contains("UTF-8"), "{err}");
    assert!(err.contains("blob.py") && err.contains("binary"), "{err}");

    let (_, v, _) = scan_json(&["."], d.path());
    let diag_paths: Vec<&str> = diagnostics(&v)
        .iter()
        .map(|x| x["path"].as_str().unwrap())
        .collect();
    assert!(
        diag_paths.contains(&"./latin1.py") && diag_paths.contains(&"./blob.py"),
        "{v:#}"
    );
    assert_eq!(rule_ids(&v), ["PW101"]);
}

#[test]
fn syntax_errors_warn_but_the_file_is_still_scanned() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "broken.py",
        format!("def oops(:\n    pass\n\n{SHELL_CALL}"),
    );
    let o = run(&["scan", "broken.py"], d.path());
    assert_ne!(code(&o), 2, "a syntax error is never fatal: {}", stderr(&o));
    assert!(stderr(&o).contains("broken.py"), "{}", stderr(&o));
    let (_, v, _) = scan_json(&["broken.py"], d.path());
    let diag = &diagnostics(&v)[0];
    assert_eq!(diag["path"], "broken.py");
    assert_eq!(diag["level"], "warning");
    assert_eq!(v["summary"]["files_scanned"], 1);
    assert!(
        rule_ids(&v).contains(&"PW101".to_string()),
        "the valid part is still checked: {v:#}"
    );
}

#[test]
fn deeply_nested_expressions_do_not_crash() {
    let d = tempfile::tempdir().unwrap();
    let depth = 5000;
    let parens = format!("x = {}1{}\n", "(".repeat(depth), ")".repeat(depth));
    let lists = format!("y = {}{}\n", "[".repeat(depth), "]".repeat(depth));
    let calls = format!("z = {}0{}\n", "f(".repeat(depth), ")".repeat(depth));
    write(
        d.path(),
        "deep.py",
        format!("{parens}{lists}{calls}{SHELL_CALL}"),
    );
    let (c, v, err) = scan_json(&["deep.py"], d.path());
    assert!(c == 0 || c == 1, "exit {c}: {err}");
    assert_eq!(v["summary"]["files_scanned"], 1);
    assert!(
        rule_ids(&v).contains(&"PW101".to_string()),
        "code after the nesting is checked"
    );
}

#[test]
fn symlink_loops_terminate() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "tree/a/ok.py", CLEAN);
    std::os::unix::fs::symlink("..", d.path().join("tree/a/up")).unwrap();
    std::os::unix::fs::symlink("loop2", d.path().join("tree/loop1")).unwrap();
    std::os::unix::fs::symlink("loop1", d.path().join("tree/loop2")).unwrap();
    let o = run(&["scan", "tree"], d.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run(&["scan", "--follow-symlinks", "tree"], d.path());
    assert_ne!(code(&o), 1, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("tree/a/up") || err.contains("loop"), "{err}");
    assert!(
        code(&o) == 0,
        "one file was scanned, so loops are only diagnostics: {err}"
    );
}

#[test]
fn empty_directory_is_a_clean_scan() {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir(d.path().join("empty")).unwrap();
    let o = run(&["scan", "empty"], d.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let (c, v, _) = scan_json(&["empty"], d.path());
    assert_eq!(c, 0);
    assert_eq!(v["summary"]["files_scanned"], 0);
    assert!(findings(&v).is_empty());
}

#[test]
fn files_over_the_size_limit_are_skipped_with_a_diagnostic() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "big.py",
        format!("{SHELL_CALL}{}", "# padding\n".repeat(200)),
    );
    write(d.path(), "ok.py", CLEAN);
    let o = run(&["scan", "--max-file-size", "1K", "."], d.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("big.py"), "{}", stderr(&o));
    let o = run(&["scan", "--max-file-size", "1M", "."], d.path());
    assert_eq!(code(&o), 1);
}
