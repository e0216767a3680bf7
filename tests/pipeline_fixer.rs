//! The fixer loop: template candidates, scripted model candidates that fail and succeed,
//! several candidates per round, unverified fixes, and `--write`.

use pyward::finding::Finding;
use pyward::pipeline::{
    fix_file, scan_file, write_fixed, Cache, FixError, PipelineOptions, ScriptedBackend, Stage,
};
use pyward::rules::{parse_rule, Catalog, Engine};
use serde_json::json;

const YAML_RULE: &str = r#"
id = "PW990"
name = "test-yaml-load"
title = "yaml.load without a safe loader"
category = "test"
cwe = [502]
severity = "high"
confidence = "high"
message = "`{callee}` can build arbitrary Python objects"
remediation = "Use `yaml.safe_load`."

[doc]
what = "w"
why = "y"
example = "e"
use_instead = "u"
references = ["https://cwe.mitre.org/data/definitions/502.html"]

[[patterns]]
kind = "call"
callee = ["yaml.load"]
args = [{ name = "Loader", is = "absent" }]

[[fix]]
capture = "callee"
replacement = "yaml.safe_load"
description = "use yaml.safe_load, which builds only plain data"
"#;

const APP: &str = "import subprocess\n\n\ndef build(target):\n    subprocess.run(\"/usr/bin/make \" + target, shell=True)\n    return 0\n";

fn engine() -> Engine {
    let mut specs: Vec<_> = Catalog::embedded().unwrap().rules().to_vec();
    specs.push(parse_rule("python/test/PW990.toml", YAML_RULE).unwrap());
    Engine::new(Catalog::from_specs(specs).unwrap()).unwrap()
}

fn static_findings(e: &Engine, label: &str, text: &str) -> Vec<Finding> {
    scan_file(
        e,
        None,
        label,
        text,
        &PipelineOptions::default(),
        &mut Cache::disabled(),
    )
    .findings
}

fn fix(ans: &str) -> serde_json::Value {
    json!({"replacement": ans, "why": "no shell: the arguments are passed as a list"})
}

const BAD: &str = "    subprocess.run(\"/usr/bin/make \" + target + \"\", shell=True)";
const GOOD: &str = "    subprocess.run([\"/usr/bin/make\", target], check=True)";
const BROKEN: &str = "    subprocess.run([\"make\", target";

#[test]
fn a_template_fix_verifies_with_no_model() {
    let e = engine();
    let text = "import yaml\n\n\ndef read(data):\n    return yaml.load(data)\n";
    let findings = static_findings(&e, "r.py", text);
    assert_eq!(findings.len(), 1);
    let r = fix_file(
        &e,
        None,
        "r.py",
        text,
        &findings,
        &PipelineOptions::default(),
        &mut Cache::disabled(),
    );
    assert_eq!(r.verified(), 1, "{}", r.summary());
    assert!(r.patched.contains("return yaml.safe_load(data)"));
    let x = r.findings[0].fix.as_ref().unwrap();
    assert_eq!(
        (x.source.as_str(), x.rounds, x.verified),
        ("template", 1, true)
    );
    assert!(
        r.diff
            .contains("-    return yaml.load(data)\n+    return yaml.safe_load(data)\n"),
        "{}",
        r.diff
    );
    assert!(e.scan_source("r.py", &r.patched).findings.is_empty());
}

#[test]
fn a_failed_model_fix_is_fed_back_and_the_second_round_verifies() {
    let e = engine();
    let findings = static_findings(&e, "app.py", APP);
    let mut m = ScriptedBackend::new();
    m.push(Stage::Fixer, fix(BAD)).push(Stage::Fixer, fix(GOOD));
    let r = fix_file(
        &e,
        Some(&mut m),
        "app.py",
        APP,
        &findings,
        &PipelineOptions::default(),
        &mut Cache::disabled(),
    );
    assert_eq!(m.count(Stage::Fixer), 2);
    let second = &m.requests()[1].messages[1].content;
    assert!(
        second.contains("PW101 is still reported at line 5"),
        "{second}"
    );
    let x = r.findings[0].fix.as_ref().unwrap();
    assert!(x.verified);
    assert_eq!((x.rounds, x.source.as_str()), (2, "model"));
    assert!(r.patched.contains(GOOD));
    assert!(r.diff.contains(&format!("+{GOOD}")));
    assert!(m.requests().iter().all(|q| q.temperature > 0.0));
}

#[test]
fn syntax_errors_are_rejected() {
    let e = engine();
    let findings = static_findings(&e, "app.py", APP);
    let mut m = ScriptedBackend::new();
    m.push(Stage::Fixer, fix(BROKEN))
        .push(Stage::Fixer, fix(GOOD));
    let r = fix_file(
        &e,
        Some(&mut m),
        "app.py",
        APP,
        &findings,
        &PipelineOptions::default(),
        &mut Cache::disabled(),
    );
    assert!(m.requests()[1].messages[1]
        .content
        .contains("does not parse"));
    assert_eq!(r.findings[0].fix.as_ref().unwrap().rounds, 2);
}

#[test]
fn a_fix_that_never_verifies_is_reported_unverified_and_not_applied() {
    let e = engine();
    let findings = static_findings(&e, "app.py", APP);
    let mut m = ScriptedBackend::new();
    m.fallback(Stage::Fixer, fix(BAD));
    let opts = PipelineOptions {
        max_rounds: 3,
        ..Default::default()
    };
    let r = fix_file(
        &e,
        Some(&mut m),
        "app.py",
        APP,
        &findings,
        &opts,
        &mut Cache::disabled(),
    );
    assert_eq!(m.count(Stage::Fixer), 3);
    assert_eq!((r.verified(), r.unverified()), (0, 1));
    assert!(!r.findings[0].fix.as_ref().unwrap().verified);
    assert_eq!(r.patched, APP);
    assert!(r.diff.is_empty());
}

#[test]
fn several_candidates_per_round_keep_the_best_by_the_scanner() {
    let e = engine();
    let findings = static_findings(&e, "app.py", APP);
    let mut m = ScriptedBackend::new();
    m.push(Stage::Fixer, fix(BROKEN))
        .push(Stage::Fixer, fix(GOOD))
        .push(Stage::Fixer, fix(BAD));
    let opts = PipelineOptions {
        candidates: 3,
        seed: 7,
        ..Default::default()
    };
    let r = fix_file(
        &e,
        Some(&mut m),
        "app.py",
        APP,
        &findings,
        &opts,
        &mut Cache::disabled(),
    );
    let seeds: Vec<u64> = m.requests().iter().map(|q| q.seed).collect();
    assert_eq!(seeds, vec![1007, 1008, 1009]);
    let x = r.findings[0].fix.as_ref().unwrap();
    assert!(x.verified && x.rounds == 1 && x.replacement == GOOD);
}

#[test]
fn template_and_model_candidates_compete_and_the_template_wins_ties() {
    let e = engine();
    let text = "import yaml\n\n\ndef read(data):\n    return yaml.load(data)\n";
    let findings = static_findings(&e, "r.py", text);
    let mut m = ScriptedBackend::new();
    m.push(Stage::Fixer, json!({"replacement": "    return yaml.load(data, Loader=yaml.SafeLoader)", "why": "safe loader"}));
    let r = fix_file(
        &e,
        Some(&mut m),
        "r.py",
        text,
        &findings,
        &PipelineOptions::default(),
        &mut Cache::disabled(),
    );
    assert_eq!(r.findings[0].fix.as_ref().unwrap().source, "template");
}

#[test]
fn write_applies_atomically_with_a_backup_and_refuses_changed_files() {
    let e = engine();
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("app.py");
    std::fs::write(&p, APP).unwrap();
    let findings = static_findings(&e, "app.py", APP);
    let mut m = ScriptedBackend::new();
    m.push(Stage::Fixer, fix(GOOD));
    let r = fix_file(
        &e,
        Some(&mut m),
        "app.py",
        APP,
        &findings,
        &PipelineOptions::default(),
        &mut Cache::disabled(),
    );
    let backup = write_fixed(&p, &r).unwrap().unwrap();
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), APP);
    assert_eq!(std::fs::read_to_string(&p).unwrap(), r.patched);
    assert_eq!(backup.file_name().unwrap(), "app.py.orig");
    // No temporary files left behind.
    let names: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    // The file now differs from what was scanned: refuse.
    match write_fixed(&p, &r) {
        Err(FixError::Changed { .. }) => {}
        other => panic!("expected Changed, got {other:?}"),
    }
}
