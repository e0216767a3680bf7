//! Scores the static engine on the labelled benchmark set in `tests/bench_data/`.
//!
//! Run `cargo test --test bench_static -- --nocapture` to see the metrics tables and the list
//! of missed vulnerable files / flagged secure files.

use std::collections::BTreeMap;
use std::path::Path;

use pyward::bench::dataset::{self, Dataset};
use pyward::bench::metrics::{markdown_table, score, Metrics, Outcome, Prediction};
use pyward::finding::Severity;
use pyward::rules::project::{join, ProjectFile};
use pyward::rules::{Catalog, Engine};

fn data_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bench_data"))
}

fn load() -> Dataset {
    dataset::load_dir(data_dir()).expect("benchmark labels load")
}

/// Scans every labelled file with the static engine and scores it at `threshold`.
/// Every file is scanned, then the project join settles calls between files (the
/// two-module cases), as `pyward scan` and `pyward bench` do.
fn run_static(ds: &Dataset, engine: &Engine, threshold: Severity) -> Metrics {
    let mut scans = Vec::new();
    for lf in &ds.files {
        let text = std::fs::read_to_string(ds.path_of(lf)).expect("benchmark file is UTF-8");
        let scan = engine.scan_source(&lf.file, &text);
        assert!(
            scan.diagnostics.is_empty(),
            "{}: unexpected diagnostics {:?}",
            lf.file,
            scan.diagnostics
        );
        scans.push((lf.file.clone(), scan));
    }
    let mut files: Vec<ProjectFile> = scans
        .iter_mut()
        .map(|(path, scan)| ProjectFile {
            path,
            findings: &mut scan.findings,
            facts: &scan.facts,
        })
        .collect();
    join(&mut files);
    let preds: BTreeMap<String, Prediction> = scans
        .iter()
        .map(|(file, scan)| {
            (
                file.clone(),
                Prediction::from_findings(&scan.findings, threshold),
            )
        })
        .collect();
    score(ds, &preds).expect("score")
}

#[test]
fn labels_are_consistent_with_the_directory() {
    let ds = load();
    // Every labelled file exists (load checks it) and every Python file is labelled.
    let mut on_disk: Vec<String> = std::fs::read_dir(data_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".py"))
        .collect();
    on_disk.sort();
    let mut labelled: Vec<String> = ds
        .files
        .iter()
        .filter(|f| !f.file.contains('/'))
        .map(|f| f.file.clone())
        .collect();
    labelled.sort();
    assert_eq!(on_disk, labelled, "labels.csv and the .py files disagree");
    assert!(ds.files.len() >= 70, "set has {} files", ds.files.len());
    let vulnerable = ds.vulnerable_count();
    assert!(
        vulnerable >= 40 && ds.files.len() - vulnerable >= 30,
        "{vulnerable} vulnerable"
    );
}

/// The files of `ds` under `prefix` (`""`: the original flat set, without subfolders).
fn subset(ds: &Dataset, prefix: &str) -> Dataset {
    let mut d = ds.clone();
    d.files.retain(|f| {
        if prefix.is_empty() {
            !f.file.contains('/')
        } else {
            f.file.starts_with(prefix)
        }
    });
    d
}

/// Scores `ds` at every threshold, prints the tables and lists, and returns severity >= low.
fn report(label: &str, ds: &Dataset, engine: &Engine) -> Metrics {
    let n = ds.files.len();
    let mut at_low = None;
    for threshold in [Severity::Low, Severity::Medium, Severity::High] {
        let m = run_static(ds, engine, threshold);
        // The confusion matrix covers every file exactly once.
        assert_eq!(m.total(), n);
        assert_eq!(m.files.len(), n);
        assert_eq!(m.tp + m.fn_, ds.vulnerable_count());
        assert_eq!(m.fp + m.tn, n - ds.vulnerable_count());
        println!(
            "{}",
            markdown_table(
                &format!("{label}: static, severity >= {}", threshold.as_str()),
                &m
            )
        );
        if threshold == Severity::Low {
            at_low = Some(m);
        }
    }
    let m = at_low.unwrap();
    println!(
        "{label}: missed vulnerable files (FN): {:?}",
        m.files_with(Outcome::FalseNegative)
    );
    println!(
        "{label}: flagged secure files (FP): {:?}",
        m.files_with(Outcome::FalsePositive)
    );
    let mismatched: Vec<String> = m
        .files
        .iter()
        .filter(|f| f.cwe_matched == Some(false))
        .map(|f| {
            format!(
                "{} (labelled {:?}, reported {:?})",
                f.file, f.labelled_cwe, f.reported_cwes
            )
        })
        .collect();
    println!("{label}: true positives without the labelled CWE: {mismatched:?}");
    m
}

/// Regression guard, NOT a target: floors sit a little below what the static engine
/// measured when they were set (see tests/bench_data/README.md). Raise them when the engine
/// improves; never tune the benchmark files to meet them.
fn check_floors(label: &str, m: &Metrics, floors: [f64; 5]) {
    let floor = |name: &str, v: Option<f64>, min: f64| {
        let v = v.unwrap_or_else(|| panic!("{label}: {name} is undefined"));
        assert!(
            v >= min,
            "{label}: {name} regressed: {v:.3} < floor {min:.3}"
        );
    };
    floor("precision", m.precision(), floors[0]);
    floor("recall", m.recall(), floors[1]);
    floor("accuracy", Some(m.accuracy()), floors[2]);
    floor("F1", m.f1(), floors[3]);
    floor("CWE match", m.cwe_match_rate(), floors[4]);
}

#[test]
fn static_engine_metrics() {
    let ds = load();
    // The rules a scan runs by default.
    let catalog =
        pyward::rules::select::select_rules(&Catalog::embedded().unwrap(), &[], &[]).unwrap();
    let engine = Engine::new(catalog).unwrap();
    report("all", &ds, &engine);
    let original = report("original", &subset(&ds, ""), &engine);
    let families = report("families", &subset(&ds, "families/"), &engine);
    check_floors("original", &original, ORIGINAL_FLOORS);
    check_floors("families", &families, FAMILIES_FLOORS);
}

// Floors: [precision, recall, accuracy, F1, CWE match] at severity >= low, measured - 0.03.
// Original 95 files, measured 2026-12-05: 0.936, 0.936, 0.937, 0.936, 0.977 (it was 0.788,
// 0.872, 0.821, 0.828, 0.976 on main 4a8d7a8, before inter-procedural taint).
const ORIGINAL_FLOORS: [f64; 5] = [0.90, 0.90, 0.90, 0.90, 0.94];
// The families set (186 files), measured 2026-12-05: 0.816, 0.826, 0.833, 0.821, 0.958; then
// 0.922, 0.826, 0.887, 0.871, 0.958 after the cross-function checks and the precision work;
// then 0.935, 1.000, 0.968, 0.966, 0.965 after function references, weak randomness by
// destination, NoSQL filters and stored data (the families are a development set: held-out
// suites measure lower).
const FAMILIES_FLOORS: [f64; 5] = [0.90, 0.96, 0.93, 0.93, 0.93];
