//! The pipeline's results in the reports: verdict, explanation and verified fix in Markdown,
//! SARIF `fixes` and verdict properties (schema-valid), provenance in JSON.

use pyward::pipeline::{
    fix_file, provenance, scan_file, Backend, Cache, PipelineOptions, PlanStage, ScriptedBackend,
    Stage,
};
use pyward::report::{render, Format, RenderOptions, RunMeta};
use pyward::rules::{Catalog, Engine};
use pyward::scan::ScanOutcome;
use serde_json::{json, Value};

#[path = "support/sarif_schema.rs"]
mod sarif_schema;

const APP: &str = "import subprocess\n\n\ndef build(target):\n    subprocess.run(\"/usr/bin/make \" + target, shell=True)\n    return 0\n";

fn outcome_and_meta() -> (ScanOutcome, RunMeta, Catalog) {
    // The report shows a model fix: PW101's template (an argument list for an absolute
    // program) would win on `APP`, so this catalogue leaves it out.
    let mut specs = Catalog::embedded().unwrap().rules().to_vec();
    for s in specs.iter_mut().filter(|s| s.id == "PW101") {
        s.fix.clear();
    }
    let engine = Engine::new(Catalog::from_specs(specs).unwrap()).unwrap();
    let mut m = ScriptedBackend::new();
    m.fallback(Stage::Guardrail, json!({"injection": false, "line": 0, "quote": ""}))
        .fallback(Stage::Analyzer, json!({"issues": [{"rule_id": "PW101", "cwe": 78, "start_line": 5, "end_line": 5,
            "quote": "subprocess.run(\"/usr/bin/make \" + target, shell=True)", "root_cause": "the target is pasted into a shell command",
            "consequence": "a caller can run any command", "severity": "high"}]}))
        .verdicts("confirmed")
        .fallback(Stage::Fixer, json!({"replacement": "    subprocess.run([\"/usr/bin/make\", target], check=True)", "why": "no shell parses the target"}));
    let opts = PipelineOptions::default().with_stages(&PlanStage::ALL);
    let r = scan_file(
        &engine,
        Some(&mut m),
        "app.py",
        APP,
        &opts,
        &mut Cache::disabled(),
    );
    let fixed = fix_file(
        &engine,
        Some(&mut m),
        "app.py",
        APP,
        &r.findings,
        &opts,
        &mut Cache::disabled(),
    );
    assert_eq!(fixed.verified(), 1);
    let mut meta = RunMeta::new(
        engine.catalog(),
        vec!["pyward".into(), "scan".into(), "app.py".into()],
    );
    meta.model = Some(provenance(&m.describe(), &opts));
    let outcome = ScanOutcome {
        findings: fixed.findings.clone(),
        diagnostics: r.diagnostics,
        files_scanned: 1,
    };
    (outcome, meta, engine.catalog().clone())
}

#[test]
fn markdown_has_the_securepy_sections() {
    let (o, meta, cat) = outcome_and_meta();
    let md = render(
        Format::Markdown,
        &o,
        &cat,
        &RenderOptions {
            meta,
            ..Default::default()
        },
    );
    for needle in [
        "#### Verdict",
        "**Confirmed** (confidence",
        "#### Explanation",
        "**Root cause:** the target is pasted into a shell command",
        "**Consequence:** a caller can run any command",
        "#### Suggested fix",
        "Verified by re-scanning (round 1, model fix)",
        "subprocess.run([\"/usr/bin/make\", target], check=True)",
        "Why it works: no shell parses the target",
        "model scripted",
        "no code left this machine",
    ] {
        assert!(md.contains(needle), "missing {needle:?} in\n{md}");
    }
}

#[test]
fn sarif_carries_fixes_and_verdicts_and_json_the_provenance() {
    let (o, meta, cat) = outcome_and_meta();
    let opts = RenderOptions {
        meta,
        ..Default::default()
    };
    let sarif: Value = serde_json::from_str(&render(Format::Sarif, &o, &cat, &opts)).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["properties"]["verdict"], "confirmed");
    assert_eq!(result["properties"]["fixVerified"], true);
    let rep = &result["fixes"][0]["artifactChanges"][0]["replacements"][0];
    assert_eq!(
        rep["insertedContent"]["text"],
        "    subprocess.run([\"/usr/bin/make\", target], check=True)"
    );
    assert_eq!(rep["deletedRegion"]["startLine"], 5);
    assert_eq!(
        sarif["runs"][0]["properties"]["model"]["code_left_machine"],
        false
    );
    let json: Value = serde_json::from_str(&render(Format::Json, &o, &cat, &opts)).unwrap();
    assert_eq!(
        json["tool"]["model"]["prompt_hash"].as_str().unwrap().len(),
        64
    );
    assert_eq!(json["findings"][0]["verdict"]["status"], "confirmed");
    assert_eq!(json["findings"][0]["fix"]["verified"], true);
    // Schema-valid SARIF.
    let errors = sarif_schema::errors(&sarif);
    assert!(errors.is_empty(), "{errors:#?}");
}

/// A verified template fix that adds an import (and removes the one it made unused) carries
/// those lines in its SARIF fix: applying the SARIF replacements to the scanned file gives the
/// same text as `pyward fix`.
#[test]
fn sarif_fixes_include_the_import_lines_a_template_changes() {
    let engine = Engine::new(Catalog::embedded().unwrap()).unwrap();
    let text = "import os\nimport random\n\n\ndef api_key(abc):\n    return os.sep.join(random.choice(abc) for _ in range(40))\n";
    let opts = PipelineOptions::default();
    let r = scan_file(&engine, None, "k.py", text, &opts, &mut Cache::disabled());
    let fixed = fix_file(
        &engine,
        None,
        "k.py",
        text,
        &r.findings,
        &opts,
        &mut Cache::disabled(),
    );
    assert_eq!(fixed.verified(), 1, "{}", fixed.summary());
    assert_eq!(
        fixed.patched,
        "import os\nimport secrets\n\n\ndef api_key(abc):\n    return os.sep.join(secrets.choice(abc) for _ in range(40))\n"
    );
    let x = fixed.findings[0].fix.as_ref().unwrap();
    assert_eq!((x.start_line, x.end_line), (6, 6));
    let o = ScanOutcome {
        findings: fixed.findings.clone(),
        diagnostics: Vec::new(),
        files_scanned: 1,
    };
    let cat = engine.catalog().clone();
    let sarif: Value =
        serde_json::from_str(&render(Format::Sarif, &o, &cat, &RenderOptions::default())).unwrap();
    let reps = sarif["runs"][0]["results"][0]["fixes"][0]["artifactChanges"][0]["replacements"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(reps.len(), 3, "{reps:#?}");
    assert_eq!(apply_sarif(text, &reps), fixed.patched);
    let errors = sarif_schema::errors(&sarif);
    assert!(errors.is_empty(), "{errors:#?}");
}

/// Applies SARIF replacements (regions of the original text, 1-based lines and code-point
/// columns) to `text`, bottom first.
fn apply_sarif(text: &str, reps: &[Value]) -> String {
    let offset = |line: u64, col: u64| -> usize {
        let start: usize = text
            .split_inclusive('\n')
            .take(line as usize - 1)
            .map(str::len)
            .sum();
        start
            + text[start..]
                .chars()
                .take(col as usize - 1)
                .map(char::len_utf8)
                .sum::<usize>()
    };
    let mut spans: Vec<(usize, usize, String)> = reps
        .iter()
        .map(|r| {
            let d = &r["deletedRegion"];
            let from = offset(
                d["startLine"].as_u64().unwrap(),
                d["startColumn"].as_u64().unwrap(),
            );
            let to = offset(
                d["endLine"].as_u64().unwrap(),
                d["endColumn"].as_u64().unwrap(),
            );
            (
                from,
                to,
                r["insertedContent"]["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (from, to, new) in spans {
        out.replace_range(from..to, &new);
    }
    out
}
