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
    // The model-loop tests below need a finding no template repairs: PW101 on `APP`, whose
    // template (an argument list for an absolute program) would verify in round 1.
    for s in specs.iter_mut().filter(|s| s.id == "PW101") {
        s.fix.clear();
    }
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
fn a_finding_an_applied_fix_removed_too_shares_its_verified_fix_and_no_other_does() {
    let e = engine();
    // PW110 (at the call) and PW111 (at the SQL) are one problem: the template for the call,
    // applied first (bottom-up), rewrites the SQL too.
    let text = "import sqlite3\n\nfrom flask import Flask, request\n\napp = Flask(__name__)\n\n\n@app.route(\"/o\")\ndef orders():\n    ref = request.args.get(\"ref\", \"\")\n    sql = f\"SELECT id FROM orders WHERE ref = '{ref}'\"\n    return sqlite3.connect(\"o.db\").execute(sql).fetchall()\n";
    let findings = static_findings(&e, "o.py", text);
    let ids: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, ["PW111", "PW110"], "{findings:?}");
    let r = fix_file(
        &e,
        None,
        "o.py",
        text,
        &findings,
        &PipelineOptions::default(),
        &mut Cache::disabled(),
    );
    assert_eq!(r.verified(), 2, "{}", r.summary());
    assert!(r
        .patched
        .contains("    sql = \"SELECT id FROM orders WHERE ref = ?\"\n"));
    assert!(r.patched.contains(".execute(sql, (ref,))"));
    let sql = r.findings.iter().find(|f| f.rule_id == "PW111").unwrap();
    let x = sql.fix.as_ref().unwrap();
    assert!(x
        .why
        .starts_with("the fix for PW110 at line 12 removes this finding too"));
    assert!(e.scan_source("o.py", &r.patched).findings.is_empty());

    // A finding the applied fix leaves in place gets nothing: `sha256` is still a fast hash
    // for a password (PW480), though no longer a broken one (PW320).
    let text = "import hashlib\n\n\ndef store(password):\n    return hashlib.md5(password.encode()).hexdigest()\n";
    let findings = static_findings(&e, "h.py", text);
    let r = fix_file(
        &e,
        None,
        "h.py",
        text,
        &findings,
        &PipelineOptions::default(),
        &mut Cache::disabled(),
    );
    let by_rule = |id: &str| r.findings.iter().find(|f| f.rule_id == id).unwrap();
    assert!(by_rule("PW320").fix.as_ref().is_some_and(|x| x.verified));
    assert!(by_rule("PW480").fix.is_none(), "{}", r.summary());
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

/// The held-out Flask handler from issue 18: a small model "fixed" the pickle finding by
/// replacing the assignment with the bare expression `UserProfile`.
const HANDLER: &str = r#"import pickle

from flask import Flask, render_template, request

app = Flask(__name__)


@app.route("/profile", methods=["POST"])
def load_profile():
    serialized_data = request.form["data"]
    user_profile = pickle.loads(serialized_data)
    return render_template("profile.html", name=user_profile.name)
"#;

/// The handler's finding on `pickle.loads` (line 11).
fn pickle_finding(e: &Engine) -> Vec<Finding> {
    let v: Vec<Finding> = static_findings(e, "profile.py", HANDLER)
        .into_iter()
        .filter(|f| f.span.start_line == 11)
        .collect();
    assert!(!v.is_empty(), "no finding on pickle.loads");
    v
}

#[test]
fn the_destructive_fix_from_the_issue_is_refused_and_never_written() {
    let e = engine();
    let findings = pickle_finding(&e);
    let mut m = ScriptedBackend::new();
    m.fallback(
        Stage::Fixer,
        json!({"replacement": "    UserProfile", "why": "no pickle"}),
    );
    let r = fix_file(
        &e,
        Some(&mut m),
        "profile.py",
        HANDLER,
        &findings,
        &PipelineOptions::default(),
        &mut Cache::disabled(),
    );
    // The candidate parses and removes the finding, but deletes what line 11 defined.
    assert_eq!(r.verified(), 0, "{}", r.summary());
    let x = r.findings[0].fix.as_ref().expect("the candidate is shown");
    assert!(!x.verified);
    assert_eq!(
        (x.source.as_str(), x.replacement.as_str()),
        ("model", "    UserProfile")
    );
    assert_eq!(r.patched, HANDLER);
    assert!(r.diff.is_empty());
    // The model was told why, in the next round.
    assert!(m.count(Stage::Fixer) >= 2);
    let second = &m.requests()[1].messages[1].content;
    assert!(
        second.contains("the replacement no longer assigns `user_profile`, which line 12 uses"),
        "{second}"
    );
    assert!(
        second.contains("the replacement leaves `UserProfile` undefined"),
        "{second}"
    );
    // --write leaves the file alone.
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("profile.py");
    std::fs::write(&p, HANDLER).unwrap();
    assert!(write_fixed(&p, &r).unwrap().is_none());
    assert_eq!(std::fs::read_to_string(&p).unwrap(), HANDLER);
    assert!(!d.path().join("profile.py.orig").exists());
}

/// What SmolLM2 answered for findings on a `return` in the labelled set: a constant in place
/// of the statement. It parses, the finding is gone and no name is lost, but the function no
/// longer returns anything.
const DU: &str = "import subprocess\n\n\ndef disk_usage(path):\n    return subprocess.check_output(\"du -sh \" + path, shell=True)\n";

#[test]
fn a_fix_that_empties_the_statement_is_refused() {
    let e = engine();
    let findings: Vec<Finding> = static_findings(&e, "du.py", DU)
        .into_iter()
        .filter(|f| f.span.start_line == 5)
        .take(1)
        .collect();
    assert!(!findings.is_empty(), "no finding on the shell call");
    let mut m = ScriptedBackend::new();
    m.fallback(
        Stage::Fixer,
        json!({"replacement": "    20-20-20", "why": "no shell"}),
    );
    let r = fix_file(
        &e,
        Some(&mut m),
        "du.py",
        DU,
        &findings,
        &PipelineOptions::default(),
        &mut Cache::disabled(),
    );
    assert_eq!(r.verified(), 0, "{}", r.summary());
    assert_eq!(r.patched, DU);
    let second = &m.requests()[1].messages[1].content;
    assert!(
        second.contains("the statement at line 5 does nothing"),
        "{second}"
    );
    assert!(
        second.contains("removes a `return` with a value the code had"),
        "{second}"
    );
}

#[test]
fn a_fix_that_keeps_the_assignment_but_forgets_its_import_is_refused_until_it_imports() {
    let e = engine();
    let findings = pickle_finding(&e);
    let keeps = "    user_profile = json.loads(serialized_data)";
    let mut m = ScriptedBackend::new();
    m.fallback(
        Stage::Fixer,
        json!({"replacement": keeps, "why": "JSON only"}),
    );
    let r = fix_file(
        &e,
        Some(&mut m),
        "profile.py",
        HANDLER,
        &findings,
        &PipelineOptions::default(),
        &mut Cache::disabled(),
    );
    assert_eq!(r.verified(), 0, "{}", r.summary());
    assert!(m.requests()[1].messages[1]
        .content
        .contains("the replacement leaves `json` undefined (line 11)"));
    // The same fix in a file that imports json is good, and applied.
    let text = HANDLER.replace("import pickle\n", "import json\nimport pickle\n");
    let findings: Vec<Finding> = static_findings(&e, "profile.py", &text)
        .into_iter()
        .filter(|f| f.span.start_line == 12)
        .collect();
    let mut m = ScriptedBackend::new();
    m.fallback(
        Stage::Fixer,
        json!({"replacement": keeps, "why": "JSON only"}),
    );
    let r = fix_file(
        &e,
        Some(&mut m),
        "profile.py",
        &text,
        &findings,
        &PipelineOptions::default(),
        &mut Cache::disabled(),
    );
    assert_eq!(r.verified(), 1, "{}", r.summary());
    assert!(r.patched.contains(keeps));
}

const TOKENS: &str = "import random\n\n\ndef api_key(abc):\n    return \"\".join(random.choice(abc) for _ in range(40))\n\n\ndef reset_token(abc):\n    return \"\".join(random.choice(abc) for _ in range(40))\n";

#[test]
fn template_fixes_add_their_import_once_and_keep_the_other_targets_in_place() {
    let e = engine();
    let findings: Vec<Finding> = static_findings(&e, "tokens.py", TOKENS)
        .into_iter()
        .filter(|f| f.rule_id == "PW340")
        .collect();
    assert_eq!(findings.len(), 2, "{findings:#?}");
    let r = fix_file(
        &e,
        None,
        "tokens.py",
        TOKENS,
        &findings,
        &PipelineOptions::default(),
        &mut Cache::disabled(),
    );
    assert_eq!(r.verified(), 2, "{}", r.summary());
    // `random` was still used when the bottom target was fixed, not any more after the top
    // one: its import goes.
    assert_eq!(
        r.patched,
        TOKENS
            .replace("import random\n", "import secrets\n")
            .replace("random.choice", "secrets.choice")
    );
    // Lines are reported in the scanned file's numbering.
    let lines: Vec<usize> = r
        .findings
        .iter()
        .map(|f| f.fix.as_ref().unwrap().start_line)
        .collect();
    assert_eq!(lines, [5, 9]);
    let why: Vec<&str> = r
        .findings
        .iter()
        .map(|f| f.fix.as_ref().unwrap().why.as_str())
        .collect();
    assert!(why[1].ends_with("adds `import secrets`"), "{why:?}");
    assert!(
        why[0].ends_with("removes `import random`, now unused"),
        "{why:?}"
    );
    let edits = |i: usize| {
        r.findings[i]
            .fix
            .as_ref()
            .unwrap()
            .imports
            .iter()
            .map(|e| (e.line, e.deleted_lines, e.text.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(edits(1), [(2, 0, "import secrets\n".to_string())]);
    assert_eq!(edits(0), [(1, 1, String::new())]);
    assert!(e
        .scan_source("tokens.py", &r.patched)
        .findings
        .iter()
        .all(|f| f.rule_id != "PW340"));
}

#[test]
fn findings_on_adjacent_lines_do_not_block_each_others_fixes() {
    let e = engine();
    let text = "import hashlib\n\n\ndef digests(data):\n    a = hashlib.md5(data)\n    b = hashlib.md5(data)\n    c = hashlib.sha1(data)\n    return a, b, c\n";
    let findings = static_findings(&e, "h.py", text);
    assert_eq!(findings.len(), 3, "{findings:#?}");
    let r = fix_file(
        &e,
        None,
        "h.py",
        text,
        &findings,
        &PipelineOptions::default(),
        &mut Cache::disabled(),
    );
    assert_eq!(r.verified(), 3, "{}", r.summary());
    assert_eq!(
        r.patched,
        text.replace("hashlib.md5", "hashlib.sha256")
            .replace("hashlib.sha1", "hashlib.sha256")
    );
}

#[test]
fn after_a_template_changes_the_imports_the_model_sees_the_current_file() {
    let e = engine();
    let text = "import random\nimport subprocess\n\n\ndef build(target):\n    subprocess.run(\"/usr/bin/make \" + target, shell=True)\n\n\ndef api_key(abc):\n    return \"\".join(random.choice(abc) for _ in range(40))\n";
    let findings = static_findings(&e, "b.py", text);
    let rules: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(rules, ["PW101", "PW340"], "{findings:#?}");
    let good = "    subprocess.run([\"/usr/bin/make\", target], check=True)";
    let mut m = ScriptedBackend::new();
    m.fallback(
        Stage::Fixer,
        json!({"replacement": good, "why": "no shell"}),
    );
    let r = fix_file(
        &e,
        Some(&mut m),
        "b.py",
        text,
        &findings,
        &PipelineOptions::default(),
        &mut Cache::disabled(),
    );
    assert_eq!(r.verified(), 2, "{}", r.summary());
    assert_eq!(
        r.patched,
        text.replace(
            "import random\nimport subprocess\n",
            "import secrets\nimport subprocess\n"
        )
        .replace("random.choice", "secrets.choice")
        .replace(
            "    subprocess.run(\"/usr/bin/make \" + target, shell=True)",
            good
        )
    );
    // The bottom target was asked about first, on the scanned file; the top one after the
    // template rewrote the imports, on the file as it now is.
    let asked: Vec<String> = m
        .requests()
        .iter()
        .filter(|q| q.stage == Stage::Fixer)
        .map(|q| {
            q.messages
                .iter()
                .map(|x| x.content.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    // (The prompt shows the file with numbered lines.)
    assert!(asked[0].contains("\n1 import random\n2 import subprocess\n"));
    let last = asked.last().unwrap();
    assert!(
        last.contains("\n1 import secrets\n2 import subprocess\n"),
        "{last}"
    );
    let x = r.findings[0].fix.as_ref().unwrap();
    assert_eq!((x.start_line, x.source.as_str()), (6, "model"));
}
