use std::path::{Path, PathBuf};

use serde_json::Value;

use super::*;
use crate::finding::Severity;
use crate::pipeline::{run::scan_paths, Scanner};
use crate::report::json::JsonReport;
use crate::report::sarif::SarifLog;
use crate::report::{render, Format, RenderOptions};
use crate::report::{ModelProvenance, RunMeta};
use crate::rules::{Catalog, Engine};
use crate::scan::{ScanOptions, ScanOutcome};
use crate::shard::Shard;

fn write_app(dir: &Path) {
    let bad = "import subprocess\nimport yaml\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n\ndef load(s):\n    return yaml.load(s)\n";
    for name in [
        "a.py", "b.py", "c d.py", "pkg/e.py", "pkg/f.py", "g.py", "h.py",
    ] {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bad).unwrap();
    }
    std::fs::write(dir.join("bin.py"), b"\0\0").unwrap();
}

fn meta(catalog: &Catalog, cl: &[&str]) -> RenderOptions {
    RenderOptions {
        color: false,
        show_suppressed: false,
        meta: RunMeta::new(catalog, cl.iter().map(|s| s.to_string()).collect()),
    }
}

fn shard_outcomes(dir: &Path, n: u32) -> (ScanOutcome, Vec<ScanOutcome>, Catalog) {
    let catalog = Catalog::embedded().unwrap();
    let engine = Engine::new(catalog.clone()).unwrap();
    let paths = vec![dir.to_path_buf()];
    let engine = Scanner::new(&engine, Default::default());
    let whole = scan_paths(&engine, &paths, &ScanOptions::default());
    let shards = (1..=n)
        .map(|k| {
            scan_paths(
                &engine,
                &paths,
                &ScanOptions {
                    shard: Some(Shard::new(k, n).unwrap()),
                    ..ScanOptions::default()
                },
            )
        })
        .collect();
    (whole, shards, catalog)
}

#[test]
fn json_shards_merge_into_the_unsharded_report() {
    let d = tempfile::tempdir().unwrap();
    write_app(d.path());
    let (whole, shards, catalog) = shard_outcomes(d.path(), 3);
    assert_eq!(
        shards.iter().map(|s| s.files_scanned).sum::<usize>(),
        whole.files_scanned
    );
    let inputs: Vec<(PathBuf, JsonReport)> = shards
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let cl = ["pyward", "scan", "x", "--shard"];
            (
                PathBuf::from(format!("s{i}.json")),
                JsonReport::new(o, &meta(&catalog, &cl)),
            )
        })
        .collect();
    // Feeding a shard twice changes nothing but files_scanned: findings dedupe.
    let mut twice = inputs.clone();
    twice.push(inputs[0].clone());
    let merged = merge_json(&inputs).unwrap();
    assert_eq!(merged.merged_from.len(), 3);
    let cl: Vec<String> = vec!["pyward".into(), "merge".into()];
    let text = render_json(&merged, &cl);
    let expected = render(
        Format::Json,
        &whole,
        &catalog,
        &meta(&catalog, &["pyward", "merge"]),
    );
    let mut v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["tool"]["merged_from"].as_array().unwrap().len(), 3);
    v["tool"].as_object_mut().unwrap().remove("merged_from");
    assert_eq!(serde_json::to_string_pretty(&v).unwrap() + "\n", expected);
    let m2 = merge_json(&twice).unwrap();
    assert_eq!(m2.outcome.findings, merged.outcome.findings);
    assert_eq!(m2.outcome.diagnostics, merged.outcome.diagnostics);
    assert_eq!(
        m2.outcome.files_scanned,
        merged.outcome.files_scanned + inputs[0].1.summary.files_scanned
    );
    // A merge of merges keeps the shards' command lines.
    let again = vec![(
        PathBuf::from("m.json"),
        serde_json::from_str::<JsonReport>(&text).unwrap(),
    )];
    assert_eq!(merge_json(&again).unwrap().merged_from, merged.merged_from);
}

#[test]
fn different_rules_versions_or_models_are_refused() {
    let catalog = Catalog::embedded().unwrap();
    let o = ScanOutcome::default();
    let base = JsonReport::new(&o, &meta(&catalog, &["pyward"]));
    let mut other = base.clone();
    other.tool.ruleset_hash = "f".repeat(64);
    let e = merge_json(&[("a.json".into(), base.clone()), ("b.json".into(), other)]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("cannot merge a.json and b.json: they come from different rule sets"),
        "{e}"
    );
    let mut other = base.clone();
    other.tool.version = "9.9.9".into();
    let e = merge_json(&[("a.json".into(), base.clone()), ("b.json".into(), other)]).unwrap_err();
    assert!(
        e.to_string().contains("different pyward versions") && e.to_string().contains("9.9.9"),
        "{e}"
    );
    let mut other = base.clone();
    other.tool.model = Some(ModelProvenance {
        model: "SmolLM2".into(),
        ..Default::default()
    });
    let e = merge_json(&[("a.json".into(), base), ("b.json".into(), other)]).unwrap_err();
    assert!(
        e.to_string().contains("different models")
            && e.to_string().contains("no model (static only)"),
        "{e}"
    );
}

#[test]
fn sarif_shards_merge_into_the_unsharded_results() {
    let d = tempfile::tempdir().unwrap();
    write_app(d.path());
    let (whole, shards, catalog) = shard_outcomes(d.path(), 2);
    let to_log = |o: &ScanOutcome, cl: &[&str]| -> SarifLog {
        serde_json::from_str(&render(Format::Sarif, o, &catalog, &meta(&catalog, cl))).unwrap()
    };
    let inputs: Vec<(PathBuf, SarifLog)> = shards
        .iter()
        .enumerate()
        .map(|(i, o)| {
            (
                PathBuf::from(format!("s{i}.sarif")),
                to_log(o, &["pyward", "scan", &format!("{}/2", i + 1)]),
            )
        })
        .collect();
    let cl: Vec<String> = vec!["pyward".into(), "merge".into()];
    let merged = merge_sarif(&inputs, &cl).unwrap();
    let mut expected = to_log(&whole, &["pyward", "merge"]);
    mark_sarif_merged(
        &mut expected,
        &[
            vec!["pyward".into(), "scan".into(), "1/2".into()],
            vec!["pyward".into(), "scan".into(), "2/2".into()],
        ],
    );
    assert_eq!(render_sarif(&merged), render_sarif(&expected));
    assert_eq!(merged, expected);
    assert!(
        !whole.diagnostics.is_empty(),
        "the binary file gives a notification"
    );
    assert!(sarif_fails(&merged, Severity::High));
    // SARIF of a different rule set is refused.
    let mut other = inputs[1].1.clone();
    other.runs[0].properties.ruleset_hash = "0".repeat(64);
    let e = merge_sarif(&[inputs[0].clone(), ("o.sarif".into(), other)], &cl).unwrap_err();
    assert!(
        e.to_string().contains("s0.sarif and o.sarif") && e.to_string().contains("rule sets"),
        "{e}"
    );
}

#[test]
fn load_tells_formats_apart_and_refuses_the_rest() {
    let d = tempfile::tempdir().unwrap();
    let catalog = Catalog::embedded().unwrap();
    let o = ScanOutcome::default();
    let j = d.path().join("r.json");
    std::fs::write(
        &j,
        render(Format::Json, &o, &catalog, &meta(&catalog, &["pyward"])),
    )
    .unwrap();
    let s = d.path().join("r.sarif");
    std::fs::write(
        &s,
        render(Format::Sarif, &o, &catalog, &meta(&catalog, &["pyward"])),
    )
    .unwrap();
    assert!(matches!(load(&j).unwrap(), Loaded::Json(_)));
    assert!(matches!(load(&s).unwrap(), Loaded::Sarif(_)));
    let e = split_kinds(vec![
        (j.clone(), load(&j).unwrap()),
        (s.clone(), load(&s).unwrap()),
    ])
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("all reports must be JSON or all SARIF"),
        "{e}"
    );
    let bad = d.path().join("bad.json");
    std::fs::write(&bad, "{\"version\": 1}").unwrap();
    assert!(load(&bad)
        .unwrap_err()
        .to_string()
        .contains("not a pyward report"));
    std::fs::write(&bad, "{\"version\": 2, \"tool\": {\"name\": \"pyward\"}}").unwrap();
    assert!(matches!(
        load(&bad).unwrap_err(),
        MergeError::JsonVersion { found: 2, .. }
    ));
    std::fs::write(&bad, "not json").unwrap();
    assert!(load(&bad).unwrap_err().to_string().contains("invalid JSON"));
    assert!(matches!(
        load(&d.path().join("none.json")).unwrap_err(),
        MergeError::Read { .. }
    ));
}
