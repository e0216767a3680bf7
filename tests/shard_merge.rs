//! `scan --shard K/N` and `pyward merge` through the real binary, as separate processes: the
//! shards of `examples/vulnerable_app` merge into exactly the unsharded report.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

#[path = "support/sarif_schema.rs"]
mod sarif_schema;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn pyward(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pyward"));
    c.current_dir(cwd)
        .env("PYWARD_CACHE_DIR", cwd.join(".no-cache"))
        .env_remove("NO_COLOR");
    c
}

fn run(c: &mut Command) -> (i32, String, String) {
    let o = c.output().expect("run pyward");
    (
        o.status.code().expect("pyward crashed"),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

/// `pyward scan examples/vulnerable_app --static-only --format FORMAT -o OUT [--shard S]`.
fn scan(format: &str, out: &Path, shard: Option<&str>) -> Vec<String> {
    let mut args: Vec<String> = [
        "scan",
        "examples/vulnerable_app",
        "--static-only",
        "--format",
        format,
        "-o",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(out.to_string_lossy().into_owned());
    if let Some(s) = shard {
        args.extend(["--shard".to_string(), s.to_string()]);
    }
    let (code, stdout, err) = run(pyward(repo()).args(&args));
    assert_eq!(code, 1, "the example app has findings: {stdout}{err}");
    std::iter::once("pyward".to_string()).chain(args).collect()
}

fn merge(inputs: &[&Path], extra: &[&str]) -> (i32, String, String) {
    let mut c = pyward(repo());
    c.arg("merge").args(inputs).args(extra);
    run(&mut c)
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(p).unwrap()).unwrap()
}

/// The text after the `tool` object: summary, findings and diagnostics, byte for byte.
fn after_tool(text: &str) -> &str {
    let i = text.find("\n  \"summary\":").expect("a summary");
    &text[i..]
}

#[test]
fn two_json_shards_merge_into_the_unsharded_scan() {
    let d = tempfile::tempdir().unwrap();
    let (whole, s1, s2, merged) = (
        d.path().join("whole.json"),
        d.path().join("s1.json"),
        d.path().join("s2.json"),
        d.path().join("merged.json"),
    );
    scan("json", &whole, None);
    let cl1 = scan("json", &s1, Some("1/2"));
    let cl2 = scan("json", &s2, Some("2/2"));
    let (v1, v2, vw) = (read_json(&s1), read_json(&s2), read_json(&whole));
    let scanned = |v: &Value| v["summary"]["files_scanned"].as_u64().unwrap();
    assert!(
        scanned(&v1) > 0 && scanned(&v2) > 0,
        "both shards have files: {} + {}",
        scanned(&v1),
        scanned(&v2)
    );
    assert_eq!(scanned(&v1) + scanned(&v2), scanned(&vw));
    // The shards' findings are in disjoint files.
    let files = |v: &Value| -> BTreeSet<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(files(&v1).is_disjoint(&files(&v2)));

    let (code, out, err) = merge(&[&s1, &s2], &["-o", merged.to_str().unwrap()]);
    assert_eq!(code, 1, "findings make merge exit 1: {out}{err}");
    assert!(out.is_empty());
    let (m_text, w_text) = (
        fs::read_to_string(&merged).unwrap(),
        fs::read_to_string(&whole).unwrap(),
    );
    // Byte-identical after the tool object...
    assert_eq!(after_tool(&m_text), after_tool(&w_text));
    // ...and the tool object differs only in its command lines.
    let (mut m, mut w) = (read_json(&merged), read_json(&whole));
    let merge_line: Vec<String> = [
        "pyward",
        "merge",
        s1.to_str().unwrap(),
        s2.to_str().unwrap(),
        "-o",
        merged.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(m["tool"]["command_line"], serde_json::json!(merge_line));
    assert_eq!(m["tool"]["merged_from"], serde_json::json!([cl1, cl2]));
    for v in [&mut m, &mut w] {
        let tool = v["tool"].as_object_mut().unwrap();
        tool.remove("command_line");
        tool.remove("merged_from");
    }
    assert_eq!(m, w);
    // The order of the inputs does not matter.
    let (_, out, _) = merge(&[&s2, &s1], &[]);
    assert_eq!(after_tool(&out), after_tool(&w_text));
}

/// A SARIF log without its invocation (command lines, notifications) for comparison.
fn without_invocations(mut v: Value) -> (Value, Value) {
    let inv = v["runs"][0]
        .as_object_mut()
        .unwrap()
        .remove("invocations")
        .unwrap();
    (v, inv)
}

#[test]
fn sarif_shards_and_json_shards_merge_into_the_unsharded_sarif() {
    let d = tempfile::tempdir().unwrap();
    let p = |n: &str| d.path().join(n);
    scan("sarif", &p("whole.sarif"), None);
    let cl1 = scan("sarif", &p("s1.sarif"), Some("1/2"));
    let cl2 = scan("sarif", &p("s2.sarif"), Some("2/2"));
    let (code, out, err) = merge(&[&p("s1.sarif"), &p("s2.sarif")], &["--format", "sarif"]);
    assert_eq!(code, 1, "{err}");
    let merged: Value = serde_json::from_str(&out).unwrap();
    let errors = sarif_schema::errors(&merged);
    assert!(
        errors.is_empty(),
        "merged SARIF is invalid:\n{}",
        errors.join("\n")
    );
    let whole = read_json(&p("whole.sarif"));
    let (m, m_inv) = without_invocations(merged);
    let (w, w_inv) = without_invocations(whole.clone());
    assert_eq!(
        serde_json::to_string_pretty(&m).unwrap(),
        serde_json::to_string_pretty(&w).unwrap()
    );
    assert_eq!(
        m_inv[0]["properties"]["mergedFrom"],
        serde_json::json!([cl1, cl2])
    );
    assert_eq!(
        m_inv[0]["toolExecutionNotifications"],
        w_inv[0]["toolExecutionNotifications"]
    );
    assert_eq!(m_inv[0]["arguments"][1], "merge");

    // JSON shards merged into SARIF give the same log.
    scan("json", &p("s1.json"), Some("1/2"));
    scan("json", &p("s2.json"), Some("2/2"));
    let (code, out, err) = merge(&[&p("s1.json"), &p("s2.json")], &["-f", "sarif"]);
    assert_eq!(code, 1, "{err}");
    let (m2, inv2) = without_invocations(serde_json::from_str(&out).unwrap());
    assert_eq!(m2, w);
    assert_eq!(
        inv2[0]["properties"]["mergedFrom"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // ...and Markdown and text render too.
    let (code, out, _) = merge(&[&p("s1.json"), &p("s2.json")], &["-f", "markdown"]);
    assert_eq!(code, 1);
    assert!(out.contains("examples/vulnerable_app/"), "{out}");
    let (code, out, _) = merge(
        &[&p("s1.json"), &p("s2.json")],
        &["-f", "text", "--fail-on", "high"],
    );
    assert!(out.contains("PW"), "{out}");
    assert_eq!(code, 1, "the example app has high findings");
}

#[test]
fn merge_refuses_mismatched_or_mixed_reports() {
    let d = tempfile::tempdir().unwrap();
    let p = |n: &str| d.path().join(n);
    scan("json", &p("s1.json"), Some("1/2"));
    scan("json", &p("s2.json"), Some("2/2"));
    scan("sarif", &p("s1.sarif"), Some("1/2"));
    let tamper = |name: &str, f: &dyn Fn(&mut Value)| -> PathBuf {
        let mut v = read_json(&p("s2.json"));
        f(&mut v);
        let out = p(name);
        fs::write(&out, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        out
    };
    let other_rules = tamper("rules.json", &|v| {
        v["tool"]["ruleset_hash"] = Value::from("ab".repeat(32))
    });
    let (code, out, err) = merge(&[&p("s1.json"), &other_rules], &[]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("s1.json and")
            && err.contains("rules.json: they come from different rule sets"),
        "{err}"
    );
    let other_version = tamper("version.json", &|v| {
        v["tool"]["version"] = Value::from("0.0.1")
    });
    let (code, _, err) = merge(&[&p("s1.json"), &other_version], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("different pyward versions") && err.contains("0.0.1"),
        "{err}"
    );
    let other_model = tamper(
        "model.json",
        &|v| v["tool"]["model"] = serde_json::json!({"backend": "candle", "kind": "local", "model": "smollm2-135m", "model_sha256": "00", "code_left_machine": false, "prompt_hash": "", "tier": 1, "seed": 0, "temperature": "0", "fix_temperature": "0.7", "max_rounds": 3, "candidates": 1}),
    );
    let (code, _, err) = merge(&[&p("s1.json"), &other_model], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("different models") && err.contains("smollm2-135m"),
        "{err}"
    );
    let (code, _, err) = merge(&[&p("s1.json"), &p("s1.sarif")], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("all reports must be JSON or all SARIF"),
        "{err}"
    );
    let (code, _, err) = merge(&[&p("s1.sarif")], &["-f", "json"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("SARIF inputs can only be merged into SARIF"),
        "{err}"
    );
    fs::write(p("junk.json"), "{\"hello\": 1}").unwrap();
    let (code, _, err) = merge(&[&p("junk.json")], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("junk.json: not a pyward report"), "{err}");
}

/// Which shard (1..=n) scans each file of `dir`, read from the findings of every shard.
fn owners(dir: &Path, n: u32) -> BTreeMap<String, u32> {
    let mut owner = BTreeMap::new();
    for k in 1..=n {
        let (_, out, err) = run(pyward(dir).args([
            "scan",
            ".",
            "--static-only",
            "--format",
            "json",
            "--shard",
            &format!("{k}/{n}"),
        ]));
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
        for f in v["findings"].as_array().unwrap() {
            let path = f["path"].as_str().unwrap().to_string();
            assert!(
                owner.insert(path.clone(), k).is_none_or(|prev| prev == k),
                "{path} in two shards"
            );
        }
    }
    owner
}

#[test]
fn adding_a_file_moves_no_other_file_between_shards() {
    let d = tempfile::tempdir().unwrap();
    let bad = "import subprocess\n\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n";
    for i in 0..12 {
        fs::write(d.path().join(format!("m{i:02}.py")), bad).unwrap();
    }
    let before = owners(d.path(), 3);
    assert_eq!(before.len(), 12, "every file is in a shard: {before:?}");
    assert!(
        before.values().collect::<BTreeSet<_>>().len() > 1,
        "files spread over shards: {before:?}"
    );
    fs::write(d.path().join("added.py"), bad).unwrap();
    let mut after = owners(d.path(), 3);
    assert!(after.remove("./added.py").is_some(), "{after:?}");
    assert_eq!(after, before);

    let (code, _, err) = run(pyward(d.path()).args(["scan", ".", "--shard", "3/2"]));
    assert_eq!(code, 2);
    assert!(err.contains("invalid shard `3/2`"), "{err}");
}
