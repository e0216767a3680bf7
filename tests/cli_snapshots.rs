//! Snapshots of every report format for `examples/vulnerable_app`, produced by the real binary
//! run from the crate root (so paths are relative). Nothing is redacted: the output is
//! deterministic (sorted findings, no timestamps, the command line with the program name
//! reduced to `pyward`).
//!
//! The parts that list the whole catalogue (JSON `tool.rules`, SARIF's rule metadata and the
//! indices into it, the ruleset hash) are checked against `pyward rules` and left out of the
//! snapshots ([`catalogue_independent`]): adding a rule changes a snapshot only when the rule
//! fires on the example app.
//!
//! When rules or report formats change on purpose, review and accept the new snapshots:
//! `INSTA_UPDATE=always cargo test --test cli_snapshots`, then `git diff tests/snapshots`.

use std::process::Command;

use serde_json::Value;

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
    insta::assert_snapshot!("vulnerable_app_markdown", short_hash_redacted(&text));
}

#[test]
fn json_report() {
    let (code, text) = scan("json");
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    insta::assert_json_snapshot!("vulnerable_app_json", catalogue_independent(v));
}

#[test]
fn sarif_report() {
    let (code, text) = scan("sarif");
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&text).expect("SARIF is JSON");
    assert_eq!(v["version"], "2.1.0");
    insta::assert_json_snapshot!("vulnerable_app_sarif", catalogue_independent(v));
}

/// Every rule id of the catalogue, as `pyward rules` lists them.
fn catalogue_ids() -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_pyward"))
        .args(["rules", "--format", "json"])
        .output()
        .expect("run pyward rules");
    let rules: Value = serde_json::from_slice(&out.stdout).expect("rules JSON");
    rules
        .as_array()
        .expect("a list")
        .iter()
        // A scan without a selection runs every rule but the default-off ones.
        .filter(|r| r["default_off"] != Value::Bool(true))
        .map(|r| r["id"].clone())
        .collect()
}

/// Checks the catalogue-wide parts of a JSON or SARIF report and replaces them: the selected
/// rule ids (all of them), the ruleset hash, SARIF's `driver.rules` (kept for the rules that
/// have results) and `ruleIndex` (checked to point at the result's rule).
fn catalogue_independent(mut v: Value) -> Value {
    let ids = catalogue_ids();
    let hash_ok = |h: &Value| {
        h.as_str()
            .is_some_and(|h| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()))
    };
    if let Some(tool) = v.get_mut("tool").filter(|t| t.get("rules").is_some()) {
        assert_eq!(tool["rules"].as_array().expect("rules"), &ids);
        tool["rules"] = "[every rule of the catalogue]".into();
        assert!(hash_ok(&tool["ruleset_hash"]), "{}", tool["ruleset_hash"]);
        tool["ruleset_hash"] = "[ruleset hash]".into();
    }
    for run in v
        .get_mut("runs")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let driver_rules = run["tool"]["driver"]["rules"]
            .as_array()
            .expect("driver.rules")
            .clone();
        let driver_ids: Vec<Value> = driver_rules.iter().map(|r| r["id"].clone()).collect();
        assert_eq!(driver_ids, ids, "driver.rules lists the catalogue");
        let mut fired = std::collections::BTreeSet::new();
        for result in run["results"].as_array_mut().expect("results") {
            let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(driver_rules[index]["id"], result["ruleId"], "ruleIndex");
            fired.insert(result["ruleId"].as_str().unwrap().to_string());
            result["ruleIndex"] = "[checked]".into();
        }
        run["tool"]["driver"]["rules"] = driver_rules
            .into_iter()
            .filter(|r| fired.contains(r["id"].as_str().unwrap()))
            .collect();
        let hash = &mut run["properties"]["rulesetHash"];
        assert!(hash_ok(hash), "{hash}");
        *hash = "[ruleset hash]".into();
    }
    v
}

/// The markdown header's short ruleset hash (`` ruleset `0123456789ab` ``), checked and replaced.
fn short_hash_redacted(text: &str) -> String {
    let marker = "ruleset `";
    let Some(at) = text.find(marker).map(|i| i + marker.len()) else {
        return text.to_string();
    };
    let hash = &text[at..at + 12];
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{hash}");
    format!("{}[hash]{}", &text[..at], &text[at + 12..])
}
