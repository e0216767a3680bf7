//! End-to-end tests of the `pyward` binary: exit codes, formats, inputs, selection, and the
//! bundled examples. Each test builds its inputs in a fresh temporary directory.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

mod commands;
mod examples;
mod exit_codes;
mod formats;
mod inputs;
mod selection;

/// A call PW101 reports (shell=True with a dynamic command).
const SHELL_CALL: &str =
    "import subprocess\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n";
const CLEAN: &str = "def add(a, b):\n    return a + b\n";

fn pyward() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pyward"));
    c.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
    // No model on this "machine": scans are static-only whatever the user's caches hold.
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

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn write(dir: &Path, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&p, content).unwrap();
    p
}

fn run(args: &[&str], cwd: &Path) -> Output {
    pyward().args(args).current_dir(cwd).output().unwrap()
}

fn code(o: &Output) -> i32 {
    o.status
        .code()
        .expect("pyward was killed by a signal (crash)")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `pyward scan --format json ARGS` in `cwd` and parses the report.
fn scan_json(args: &[&str], cwd: &Path) -> (i32, Value, String) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let o = run(&all, cwd);
    let text = stdout(&o);
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}\nstderr:\n{}", stderr(&o)));
    (code(&o), v, stderr(&o))
}

fn findings(v: &Value) -> &Vec<Value> {
    v["findings"].as_array().expect("findings array")
}

fn diagnostics(v: &Value) -> &Vec<Value> {
    v["diagnostics"].as_array().expect("diagnostics array")
}

fn rule_ids(v: &Value) -> Vec<String> {
    findings(v)
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

/// Whether this process can read a file after `chmod 000` (root can).
fn chmod_is_bypassed(p: &Path) -> bool {
    fs::read(p).is_ok()
}
