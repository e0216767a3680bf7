//! `--baseline` and `--write-baseline`: fingerprints that survive moved code.

use super::*;

const TWO_CALLS: &str =
    "import subprocess\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n\n\
def other(cmd):\n    subprocess.call(cmd, shell=True)\n";

#[test]
fn baselined_findings_stay_hidden_when_code_moves() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "app.py", TWO_CALLS);
    // Adopt: write the baseline; nothing is reported, exit 0.
    let o = run(
        &[
            "scan",
            "--static-only",
            "--write-baseline",
            "base.json",
            ".",
        ],
        d.path(),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let base: Value =
        serde_json::from_slice(&std::fs::read(d.path().join("base.json")).unwrap()).unwrap();
    assert_eq!(base["findings"].as_array().unwrap().len(), 2);
    let (status, report) = scan_json(&["--baseline", "base.json", "app.py"], d.path());
    assert_eq!(
        (status, findings(&report).len()),
        (0, 0),
        "`.` and `app.py` fingerprint alike"
    );

    // Lines inserted above, the functions swapped, a new finding added.
    let moved = "\"\"\"Docs.\"\"\"\nimport os\nimport subprocess\n\n\ndef other(cmd):\n    \
subprocess.call(cmd,   shell=True)\n\ndef fresh(cmd):\n    os.system(cmd)\n\ndef run(cmd):\n    \
subprocess.run(cmd, shell=True)\n";
    write(d.path(), "app.py", moved);
    let (status, report) = scan_json(&["--baseline", "base.json", "app.py"], d.path());
    let f = findings(&report);
    assert_eq!(status, 1);
    assert_eq!(f.len(), 1, "only the new finding: {f:?}");
    assert_eq!(f[0].2, 10, "os.system on line 10: {f:?}");
    assert_eq!(report["summary"]["findings"], 1, "{}", report["summary"]);
}

#[test]
fn sarif_reports_are_baselines_too_and_carry_the_fingerprint() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "app.py", SHELL_CALL);
    let o = run(
        &[
            "scan",
            "--static-only",
            "--format",
            "sarif",
            "-o",
            "old.sarif",
            "app.py",
        ],
        d.path(),
    );
    assert_eq!(code(&o), 1);
    let (_, json) = scan_json(&["app.py"], d.path());
    let fp = json["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(d.path().join("old.sarif")).unwrap()).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["partialFingerprints"]["pywardFingerprint/v1"],
        fp.as_str()
    );
    // A second identical call is a new finding (occurrence index 1), the first stays baselined.
    write(
        d.path(),
        "app.py",
        format!("{SHELL_CALL}    subprocess.run(cmd, shell=True)\n"),
    );
    let (status, report) = scan_json(&["--baseline", "old.sarif", "app.py"], d.path());
    assert_eq!(status, 1);
    assert_eq!(findings(&report).len(), 1);
    assert_eq!(findings(&report)[0].2, 5);
}

#[test]
fn unusable_baselines_are_errors() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "app.py", SHELL_CALL);
    write(d.path(), "notes.json", "{\"hello\": 1}");
    write(d.path(), "broken.json", "{");
    for (file, want) in [
        ("missing.json", "--baseline missing.json: cannot read"),
        ("notes.json", "not a pyward JSON report"),
        ("broken.json", "not a JSON or SARIF report"),
    ] {
        let o = run(
            &["scan", "--static-only", "--baseline", file, "app.py"],
            d.path(),
        );
        assert_eq!(code(&o), 2, "{file}");
        assert!(stderr(&o).contains(want), "{file}: {}", stderr(&o));
    }
}
