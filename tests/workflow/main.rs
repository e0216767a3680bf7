//! End-to-end tests of the project workflow: source encodings, configuration files, baselines,
//! `--diff`, shell completions. Each runs the real binary in a fresh temporary directory (a
//! temporary git repository where git matters).

mod baseline;
mod completions;
mod config;
mod diff;
mod encoding;
mod hook;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

/// A call PW101 reports (shell=True with a dynamic command).
pub const SHELL_CALL: &str =
    "import subprocess\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n";

/// The binary, with no model reachable: scans are static-only.
pub fn pyward() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pyward"));
    c.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
    c.env(
        "HF_HOME",
        concat!(env!("CARGO_TARGET_TMPDIR"), "/no-models/hf"),
    )
    .env(
        "PYWARD_HOME",
        concat!(env!("CARGO_TARGET_TMPDIR"), "/no-models/pyward"),
    )
    .env_remove("HF_HUB_CACHE");
    c
}

pub fn write(dir: &Path, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&p, content).unwrap();
    p
}

pub fn run(args: &[&str], cwd: &Path) -> Output {
    pyward().args(args).current_dir(cwd).output().unwrap()
}

pub fn code(o: &Output) -> i32 {
    o.status
        .code()
        .expect("pyward was killed by a signal (crash)")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The JSON report of a scan with `args` (plus `--format json --static-only`), with its exit
/// code.
pub fn scan_json(args: &[&str], cwd: &Path) -> (i32, Value) {
    let mut all = vec!["scan", "--format", "json", "--static-only"];
    all.extend_from_slice(args);
    let o = run(&all, cwd);
    assert!(code(&o) < 2, "{all:?} failed: {}", stderr(&o));
    (
        code(&o),
        serde_json::from_slice(&o.stdout).expect("a JSON report"),
    )
}

/// (path, rule, start line, start column) of every finding in a JSON report.
pub fn findings(report: &Value) -> Vec<(String, String, u64, u64)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["span"]["start_line"].as_u64().unwrap(),
                f["span"]["start_column"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Runs git in `dir`, failing the test when it fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let o = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A fresh git repository with a local identity.
pub fn git_repo(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["config", "user.email", "test@example.com"]);
    git(dir, &["config", "user.name", "Test"]);
    git(dir, &["config", "commit.gpgsign", "false"]);
}

pub fn commit_all(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}
