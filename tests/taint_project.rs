//! Taint across the modules of a project, through the real binary: a request value passed
//! to a function of another module that builds it into a sink.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn pyward() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pyward"));
    c.env(
        "PYWARD_HOME",
        concat!(env!("CARGO_TARGET_TMPDIR"), "/no-models/pyward"),
    )
    .env(
        "HF_HOME",
        concat!(env!("CARGO_TARGET_TMPDIR"), "/no-models/hf"),
    );
    c
}

const DIRECTORY: &str = r#"import ldap

conn = ldap.initialize("ldap://directory.internal")


def find_user(login):
    query = f"(uid={login})"
    return conn.search_s("ou=people,dc=example,dc=com", ldap.SCOPE_SUBTREE, query)
"#;

fn views(handler_body: &str) -> String {
    format!(
        "from flask import Flask, request\n\nfrom .directory import find_user\n\napp = Flask(__name__)\n\n\n@app.get(\"/user\")\ndef user():\n{handler_body}"
    )
}

/// Scans `dir` as JSON and returns the findings of rule `rule`: (path, line, confidence,
/// the files named by its taint path).
fn findings(dir: &Path, rule: &str) -> Vec<(String, u64, String, Vec<String>)> {
    let out = pyward()
        .args(["scan", "--static-only", "--format", "json", "."])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .map(|f| {
            let path = f["path"].as_str().unwrap().to_string();
            let files = f["taint_path"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["path"].as_str().unwrap_or(&path).to_string())
                .collect();
            (
                path.clone(),
                f["span"]["start_line"].as_u64().unwrap(),
                f["confidence"].as_str().unwrap().to_string(),
                files,
            )
        })
        .collect()
}

fn project(handler_body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("app")).unwrap();
    fs::write(dir.path().join("app/__init__.py"), "").unwrap();
    fs::write(dir.path().join("app/directory.py"), DIRECTORY).unwrap();
    fs::write(dir.path().join("app/views.py"), views(handler_body)).unwrap();
    dir
}

#[test]
fn a_request_value_reaching_a_sink_in_another_module_is_reported_with_the_whole_path() {
    let dir = project("    return {\"users\": find_user(request.args[\"login\"])}\n");
    let f = findings(dir.path(), "PW210");
    assert_eq!(f.len(), 1, "{f:?}");
    let (path, line, confidence, files) = &f[0];
    assert!(path.ends_with("app/directory.py"), "{path}");
    assert_eq!(*line, 8);
    assert_eq!(confidence, "high");
    // The path starts in the handler's file and ends at the sink.
    assert!(
        files.first().unwrap().ends_with("app/views.py"),
        "{files:?}"
    );
    assert!(
        files.last().unwrap().ends_with("app/directory.py"),
        "{files:?}"
    );
}

#[test]
fn a_caller_that_escapes_the_value_clears_the_helper() {
    let dir = project(
        "    from ldap.filter import escape_filter_chars\n    return {\"users\": find_user(escape_filter_chars(request.args[\"login\"]))}\n",
    );
    assert_eq!(findings(dir.path(), "PW210"), vec![]);
}

#[test]
fn a_helper_nothing_calls_is_reported_with_medium_confidence() {
    let dir = project("    return {\"ok\": True}\n");
    let f = findings(dir.path(), "PW210");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].2, "medium");
    // Scanned alone, the helper module says the same.
    let alone = tempfile::tempdir().unwrap();
    fs::write(alone.path().join("directory.py"), DIRECTORY).unwrap();
    let g = findings(alone.path(), "PW210");
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(g[0].2, "medium");
}
