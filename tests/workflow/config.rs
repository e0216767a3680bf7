//! `pyward.toml` and `[tool.pyward]`: discovery, precedence, errors, `pyward config`.

use super::*;

fn project() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "src/app.py", SHELL_CALL);
    write(d.path(), "src/gen/out.py", SHELL_CALL);
    write(d.path(), "tests/test_app.py", SHELL_CALL);
    d
}

fn paths(report: &Value) -> Vec<String> {
    findings(report).into_iter().map(|f| f.0).collect()
}

#[test]
fn pyproject_table_is_found_above_the_scanned_path_and_applied() {
    let d = project();
    write(
        d.path(),
        "pyproject.toml",
        "[project]\nname = \"demo\"\n\n[tool.pyward]\nexclude = [\"src/gen\"]\n\
         per-file-ignores = { \"tests/*.py\" = [\"command-injection\"] }\n",
    );
    // Run from a subdirectory: the file is found by walking up from the scanned path.
    let (status, report) = scan_json(&["."], &d.path().join("src"));
    assert_eq!(status, 1);
    assert_eq!(paths(&report), ["./app.py"]);
    let (_, report) = scan_json(&["src", "tests"], d.path());
    assert_eq!(
        paths(&report),
        ["src/app.py"],
        "gen excluded, tests ignored"
    );
    // A file named explicitly is still excluded (as ruff's force-exclude: pre-commit names files).
    let (status, report) = scan_json(&["src/gen/out.py"], d.path());
    assert_eq!((status, paths(&report).len()), (0, 0));
    // --isolated reads no file.
    let (_, report) = scan_json(&["--isolated", "src", "tests"], d.path());
    assert_eq!(paths(&report).len(), 3);
}

#[test]
fn pyward_toml_wins_over_pyproject_and_flags_win_over_both() {
    let d = project();
    write(
        d.path(),
        "pyproject.toml",
        "[tool.pyward]\nselect = [\"PW999999\"]\n",
    );
    write(
        d.path(),
        "pyward.toml",
        "ignore = [\"PW101\"]\nfail-on = \"high\"\n",
    );
    let (status, report) = scan_json(&["src/app.py"], d.path());
    assert_eq!(
        (status, paths(&report).len()),
        (0, 0),
        "pyward.toml's ignore applies"
    );
    // --ignore on the command line replaces the file's list.
    let (status, report) = scan_json(&["src/app.py", "--ignore", "PW102"], d.path());
    assert_eq!((status, paths(&report).len()), (1, 1));
    // fail-on = high from the file; PW101 is high, so --fail-on is what decides here.
    write(
        d.path(),
        "pyward.toml",
        "fail-on = \"high\"\nselect = [\"PW101\"]\n",
    );
    let o = run(&["scan", "--static-only", "-q", "src/app.py"], d.path());
    assert_eq!(code(&o), 1);
    // A non-high finding does not fail with fail-on = high: none here, so use --fail-on to
    // check the flag is still read.
    let o = run(
        &[
            "scan",
            "--static-only",
            "-q",
            "--fail-on",
            "low",
            "src/app.py",
        ],
        d.path(),
    );
    assert_eq!(code(&o), 1);
}

#[test]
fn config_flag_names_the_file_and_cache_dir_is_relative_to_it() {
    let d = project();
    write(d.path(), "conf/strict.toml", "select = [\"PW102\"]\n");
    let (status, report) = scan_json(&["--config", "conf/strict.toml", "src/app.py"], d.path());
    assert_eq!((status, paths(&report).len()), (0, 0), "only PW102 runs");
    let o = run(&["config", "--config", "conf/strict.toml"], d.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("# configuration file: conf/strict.toml"),
        "{text}"
    );
    assert!(
        text.contains("select = [\"PW102\"]  # conf/strict.toml"),
        "{text}"
    );
    assert!(text.contains("fail-on = \"low\"  # default"), "{text}");
    write(
        d.path(),
        "pyward.toml",
        "cache-dir = \".cache/pw\"\nmodel-name = \"tiny\"\n",
    );
    let o = run(&["config", "src"], d.path());
    let text = stdout(&o);
    let dir = std::fs::canonicalize(d.path()).unwrap();
    assert!(
        text.contains(&format!("cache-dir = \"{}/.cache/pw\"", dir.display())),
        "{text}"
    );
    assert!(text.contains("model-name = \"tiny\"  # "), "{text}");
    assert!(text.contains("pyward.toml"), "{text}");
}

#[test]
fn unknown_keys_and_bad_values_are_errors_naming_the_file() {
    let d = project();
    write(
        d.path(),
        "pyproject.toml",
        "[tool.pyward]\nselect = []\nfail_on = \"high\"\n",
    );
    for args in [&["scan", "--static-only", "src"][..], &["config"][..]] {
        let o = run(args, d.path());
        assert_eq!(code(&o), 2, "{args:?}");
        let e = stderr(&o);
        assert!(e.contains("pyproject.toml"), "{e}");
        assert!(e.contains("unknown field `fail_on`"), "{e}");
        assert!(e.contains("line 3"), "{e}");
    }
    write(
        d.path(),
        "pyproject.toml",
        "[tool.pyward]\nselect = [\"PW-NOPE\"]\n",
    );
    let o = run(&["scan", "--static-only", "src"], d.path());
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("pyproject.toml: select: unknown rule"),
        "{}",
        stderr(&o)
    );
    write(
        d.path(),
        "pyproject.toml",
        "[tool.pyward]\nbackend = \"cloud\"\n",
    );
    let o = run(&["config"], d.path());
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("`cloud` is not one of: local, openai"),
        "{}",
        stderr(&o)
    );
    // --isolated skips the broken file.
    let o = run(
        &["scan", "--static-only", "-q", "--isolated", "src/app.py"],
        d.path(),
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
}

#[test]
fn fix_honours_the_configuration() {
    let d = tempfile::tempdir().unwrap();
    let src = "import hashlib\n\ndef digest(data):\n    return hashlib.md5(data)\n";
    let p = write(d.path(), "h.py", src);
    let (_, report) = scan_json(&["h.py"], d.path());
    let rule = findings(&report)[0].1.clone();
    write(d.path(), "pyward.toml", format!("ignore = [\"{rule}\"]\n"));
    let o = run(&["fix", "--static-only", "--write", "h.py"], d.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        src,
        "the ignored rule is not fixed"
    );
    let o = run(
        &["fix", "--static-only", "--write", "--isolated", "h.py"],
        d.path(),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(std::fs::read_to_string(&p).unwrap().contains("sha256"));
}
