//! `pyward` end to end: formats.

use super::*;

#[test]
fn json_report_parses_and_locates_the_finding() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "pkg/bad.py", SHELL_CALL);
    let (c, v, _) = scan_json(&["pkg"], d.path());
    assert_eq!(c, 1);
    let f = findings(&v)
        .iter()
        .find(|f| f["rule_id"] == "PW101")
        .expect("PW101 reported");
    assert_eq!(f["path"], "pkg/bad.py");
    assert_eq!(f["span"]["start_line"], 4);
    assert!(f["cwe"].as_array().unwrap().contains(&Value::from(78)));
    assert_eq!(v["tool"]["name"], "pyward");
    assert_eq!(v["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["tool"]["command_line"][0], "pyward");
}

#[test]
fn sarif_report_is_version_2_1_0_with_results() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bad.py", SHELL_CALL);
    let o = run(&["scan", "--format", "sarif", "bad.py"], d.path());
    assert_eq!(code(&o), 1);
    let v: Value = serde_json::from_str(&stdout(&o)).expect("SARIF is JSON");
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().expect("results");
    assert!(results.iter().any(|r| r["ruleId"] == "PW101"), "{v:#}");
}

#[test]
fn markdown_report_mentions_rule_and_file() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bad.py", SHELL_CALL);
    let o = run(&["scan", "--format", "markdown", "bad.py"], d.path());
    assert_eq!(code(&o), 1);
    let md = stdout(&o);
    assert!(md.contains("PW101") && md.contains("bad.py"), "{md}");
    assert!(
        md.lines().any(|l| l.starts_with('#')),
        "has a heading:\n{md}"
    );
}

#[test]
fn colour_is_on_only_when_asked_or_on_a_terminal() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bad.py", SHELL_CALL);
    let always = run(&["scan", "--color", "always", "bad.py"], d.path());
    assert!(stdout(&always).contains("\x1b["), "--color always colours");
    let never = run(&["scan", "--color", "never", "bad.py"], d.path());
    assert!(!stdout(&never).contains('\x1b'));
    let o = pyward()
        .args(["scan", "--color", "auto", "bad.py"])
        .env("NO_COLOR", "1")
        .current_dir(d.path())
        .output()
        .unwrap();
    assert!(!stdout(&o).contains('\x1b'));
}

#[test]
fn output_file_is_written_and_stdout_stays_empty() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bad.py", SHELL_CALL);
    write(d.path(), "out/report.json", "stale");
    let o = run(
        &[
            "scan",
            "--format",
            "json",
            "--output",
            "out/report.json",
            "bad.py",
        ],
        d.path(),
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    let v: Value =
        serde_json::from_str(&fs::read_to_string(d.path().join("out/report.json")).unwrap())
            .unwrap();
    assert_eq!(rule_ids(&v), ["PW101"]);
    let names: Vec<_> = fs::read_dir(d.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["report.json"], "no temporary file is left behind");
}

#[test]
fn output_into_a_missing_directory_exits_2_naming_it() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bad.py", SHELL_CALL);
    let o = run(
        &["scan", "--output", "nowhere/report.txt", "bad.py"],
        d.path(),
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("nowhere/report.txt"), "{}", stderr(&o));
}

#[test]
fn jobs_do_not_change_the_report() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..40 {
        write(
            d.path(),
            &format!("m{i:02}/f.py"),
            if i % 3 == 0 { SHELL_CALL } else { CLEAN },
        );
    }
    let a = run(&["scan", "--format", "json", "--jobs", "1", "."], d.path());
    let b = run(&["scan", "--format", "json", "--jobs", "4", "."], d.path());
    let strip = |o: &Output| {
        let mut v: Value = serde_json::from_str(&stdout(o)).unwrap();
        v["tool"]["command_line"] = Value::Null;
        v
    };
    assert_eq!(strip(&a), strip(&b));
    assert_eq!(findings(&strip(&a)).len(), 14);
}
