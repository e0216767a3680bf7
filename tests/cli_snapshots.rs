//! Snapshots of every report format for `examples/vulnerable_app`, produced by the real binary
//! run from the crate root (so paths are relative). Nothing is redacted: the output is
//! deterministic (sorted findings, no timestamps, the command line with the program name
//! reduced to `pyward`).
//!
//! When rules or report formats change on purpose, review and accept the new snapshots:
//! `INSTA_UPDATE=always cargo test --test cli_snapshots`, then `git diff tests/snapshots`.

use std::process::Command;

fn scan(format: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pyward"))
        .args([
            "scan",
            "--format",
            format,
            "--color",
            "never",
            "examples/vulnerable_app",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        // No model on this "machine": the scan is static-only whatever the user's caches hold.
        .env(
            "HF_HOME",
            concat!(env!("CARGO_TARGET_TMPDIR"), "/no-models/hf"),
        )
        .env(
            "PYWARD_HOME",
            concat!(env!("CARGO_TARGET_TMPDIR"), "/no-models/pyward"),
        )
        .env_remove("HF_HUB_CACHE")
        .output()
        .expect("run pyward");
    let code = out.status.code().expect("pyward crashed");
    (code, String::from_utf8(out.stdout).expect("UTF-8 report"))
}

#[test]
fn text_report() {
    let (code, text) = scan("text");
    assert_eq!(code, 1);
    insta::assert_snapshot!("vulnerable_app_text", text);
}

#[test]
fn markdown_report() {
    let (code, text) = scan("markdown");
    assert_eq!(code, 1);
    insta::assert_snapshot!("vulnerable_app_markdown", text);
}

#[test]
fn json_report() {
    let (code, text) = scan("json");
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    insta::assert_json_snapshot!("vulnerable_app_json", v);
}

#[test]
fn sarif_report() {
    let (code, text) = scan("sarif");
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&text).expect("SARIF is JSON");
    assert_eq!(v["version"], "2.1.0");
    insta::assert_json_snapshot!("vulnerable_app_sarif", v);
}
