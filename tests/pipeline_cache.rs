//! The result cache: an unchanged tree does no model work, a changed file is asked again (once
//! per stage: the whole file is the prompt's prefix), a new model misses, and the directory is
//! portable.

use pyward::pipeline::{
    scan_file, Cache, CacheIdentity, PipelineOptions, PlanStage, ScriptedBackend, Stage,
};
use pyward::rules::{Catalog, Engine};

fn engine() -> Engine {
    Engine::new(Catalog::embedded().unwrap()).unwrap()
}

fn src(b_cmd: &str) -> String {
    let mut s = String::from("import subprocess\n\n\ndef a(x):\n    subprocess.run(\"make \" + x, shell=True)\n    return 1\n\n");
    for i in 0..16 {
        s.push_str(&format!("LIMIT_{i} = {i}\n"));
    }
    s.push_str(&format!(
        "\n\ndef b(y):\n    subprocess.run(\"{b_cmd} \" + y, shell=True)\n    return 2\n"
    ));
    s
}

fn model() -> ScriptedBackend {
    ScriptedBackend::quiet()
}

fn cache_in(dir: &std::path::Path) -> Cache {
    // Identity is filled in by scan_file from the engine and backend.
    Cache::new(
        dir,
        CacheIdentity {
            tool_version: String::new(),
            model_sha256: String::new(),
            prompt_hash: String::new(),
            ruleset_hash: String::new(),
        },
    )
}

#[test]
fn unchanged_files_do_no_model_work() {
    let e = engine();
    let d = tempfile::tempdir().unwrap();
    let text = src("make");
    let opts = PipelineOptions::for_tier(2);
    let mut m = model();
    let first = scan_file(
        &e,
        Some(&mut m),
        "a.py",
        &text,
        &opts,
        &mut cache_in(d.path()),
    );
    assert_eq!(
        m.requests().len(),
        1,
        "one calibration question covers both findings"
    );
    let mut m2 = model();
    let second = scan_file(
        &e,
        Some(&mut m2),
        "a.py",
        &text,
        &opts,
        &mut cache_in(d.path()),
    );
    assert_eq!(m2.requests().len(), 0);
    assert!(second.from_cache);
    assert_eq!(first.findings, second.findings);
    assert_eq!(first.withheld, second.withheld);
}

#[test]
fn a_changed_file_is_asked_again_once_per_stage() {
    let e = engine();
    let d = tempfile::tempdir().unwrap();
    let opts = PipelineOptions::for_tier(2).with_stages(&PlanStage::ALL);
    let mut m = model();
    let _ = scan_file(
        &e,
        Some(&mut m),
        "a.py",
        &src("make"),
        &opts,
        &mut cache_in(d.path()),
    );
    assert_eq!(
        (m.count(Stage::Analyzer), m.count(Stage::Calibration)),
        (1, 1)
    );
    let mut m2 = model();
    let mut cache = cache_in(d.path());
    let r = scan_file(&e, Some(&mut m2), "a.py", &src("build"), &opts, &mut cache);
    assert!(!r.from_cache);
    assert_eq!(
        (m2.count(Stage::Analyzer), m2.count(Stage::Calibration)),
        (1, 1),
        "the whole file is the question's prefix: asked again, once per stage"
    );
    assert!(m2.requests()[0].messages[1].content.contains("def b("));
    assert_eq!(r.findings.len(), 2);
}

#[test]
fn another_model_misses_and_a_copied_cache_hits() {
    let e = engine();
    let d = tempfile::tempdir().unwrap();
    let text = src("make");
    let opts = PipelineOptions::for_tier(2);
    let mut m = model();
    let _ = scan_file(
        &e,
        Some(&mut m),
        "a.py",
        &text,
        &opts,
        &mut cache_in(d.path()),
    );
    let n = m.requests().len();
    let mut other = model().with_model_sha256(&"1".repeat(64));
    let _ = scan_file(
        &e,
        Some(&mut other),
        "a.py",
        &text,
        &opts,
        &mut cache_in(d.path()),
    );
    assert_eq!(
        other.requests().len(),
        n,
        "a different model does all the work again"
    );
    // Copy the directory elsewhere: still hits.
    let d2 = tempfile::tempdir().unwrap();
    copy_dir(d.path(), d2.path());
    let mut m3 = model();
    let r = scan_file(
        &e,
        Some(&mut m3),
        "a.py",
        &text,
        &opts,
        &mut cache_in(d2.path()),
    );
    assert!(r.from_cache);
    assert_eq!(m3.requests().len(), 0);
    // A tier change misses at file level (verdicts depend on it) but every model answer is
    // still served from the per-question cache (tier 3 asks the same calibration question).
    let mut m4 = model();
    let r4 = scan_file(
        &e,
        Some(&mut m4),
        "a.py",
        &text,
        &PipelineOptions {
            tier: 3,
            ..opts.clone()
        },
        &mut cache_in(d2.path()),
    );
    assert!(!r4.from_cache);
    assert_eq!(m4.requests().len(), 0);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
