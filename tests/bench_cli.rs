//! `pyward bench` through the real binary: the static baseline on `tests/bench_data` with its
//! known numbers, the JSON schema, the SVG plot, dataset and backend errors, and a real local
//! model (SmolLM2) on a tiny dataset, twice, to show the quality numbers are deterministic.
//!
//! The model test reads `SmolLM2-135M-Instruct.Q4_1.gguf` from `PYWARD_MODELS_DIR` (default
//! `<repo>/.models`, filled by `scripts/fetch-models.sh`); `PYWARD_SKIP_MODEL_TESTS=1` skips it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// pyward with its caches and model homes inside `home`.
fn pyward(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pyward"));
    c.current_dir(repo())
        .env("HF_HOME", home.join("hf"))
        .env("PYWARD_HOME", home.join("pyward-home"))
        .env("PYWARD_CACHE_DIR", home.join("cache"))
        .env_remove("HF_HUB_CACHE");
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

fn json_of(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
}

fn close(v: &Value, expected: f64, what: &str) {
    let x = v
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"));
    assert!((x - expected).abs() <= 0.001, "{what}: {x} != {expected}");
}

// The static engine on tests/bench_data (the original 95 files and families/, 281 in all)
// at severity >= low, measured 2026-12-06 (after tuple parameters were followed element by
// element): TP 132, FP 3, TN 145, FN 1. If the engine changes, re-measure and update these (and the README); the
// regression floors in tests/bench_static.rs stay the guard against getting worse.
const STATIC_ROW: &str =
    "| static | 281 | 132 | 3 | 145 | 1 | 0.978 | 0.992 | 0.986 | 0.985 | 0.970 |";
const PRECISION: f64 = 132.0 / 135.0;
const RECALL: f64 = 132.0 / 133.0;
const ACCURACY: f64 = 277.0 / 281.0;
const F1: f64 = 264.0 / 268.0;
const CWE_MATCH: f64 = 128.0 / 132.0;

#[test]
fn static_only_bench_prints_the_baseline_table() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) =
        run(pyward(home.path()).args(["bench", "--dataset", "tests/bench_data", "--static-only"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("tests/bench_data (281 files, 133 vulnerable)"),
        "{out}"
    );
    assert!(out.contains("| backend | files | TP | FP | TN | FN | precision | recall | accuracy | F1 | CWE match |"), "{out}");
    assert!(out.contains(STATIC_ROW), "{out}");
    assert!(
        out.contains("| backend | s/file | total s | load s | model calls |"),
        "{out}"
    );
    assert!(err.contains("measuring static on 281 files"), "{err}");
    // --quiet silences the progress notes.
    let (code, _, err) = run(pyward(home.path()).args([
        "bench",
        "--dataset",
        "tests/bench_data",
        "--static-only",
        "-q",
    ]));
    assert_eq!((code, err.as_str()), (0, ""));
}

#[test]
fn shards_add_up_to_the_whole_set_and_json_file_matches_stdout() {
    let home = tempfile::tempdir().unwrap();
    let (mut files, mut vulnerable, mut tp) = (0, 0, 0);
    for k in 1..=3 {
        let json = home.path().join(format!("shard{k}.json"));
        let shard = format!("{k}/3");
        let (code, out, err) = run(pyward(home.path())
            .args([
                "bench",
                "--dataset",
                "tests/bench_data",
                "--static-only",
                "-q",
                "--shard",
                &shard,
                "--json-file",
            ])
            .arg(&json));
        assert_eq!(code, 0, "{err}");
        assert!(
            out.starts_with(&format!("pyward bench: tests/bench_data, shard {k}/3 (")),
            "{out}"
        );
        let v = json_of(&std::fs::read_to_string(&json).unwrap());
        assert_eq!(v["shard"], shard.as_str());
        assert!(v["files"].as_u64().unwrap() < 281);
        files += v["files"].as_u64().unwrap();
        vulnerable += v["vulnerable"].as_u64().unwrap();
        tp += v["rows"][0]["tp"].as_u64().unwrap();
        // The Markdown on stdout and the JSON file describe the same measurement.
        let row = &v["rows"][0];
        let cells = format!(
            "| static | {} | {} | {} | {} | {} |",
            row["files"], row["tp"], row["fp"], row["tn"], row["fn"]
        );
        assert!(out.contains(&cells), "{cells} not in {out}");
    }
    assert_eq!((files, vulnerable, tp), (281, 133, 132));
}

#[test]
fn json_output_has_the_documented_fields() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) = run(pyward(home.path()).args([
        "bench",
        "--dataset",
        "tests/bench_data",
        "--static-only",
        "--json",
        "-q",
    ]));
    assert_eq!(code, 0, "{err}");
    let v = json_of(&out);
    assert_eq!(v["version"], 1);
    assert_eq!(v["files"], 281);
    assert_eq!(v["vulnerable"], 133);
    assert_eq!(v["threshold"], "low");
    assert_eq!(v["currency"], "USD");
    assert_eq!(v["dataset"], "tests/bench_data");
    assert_eq!(v["labels"], "tests/bench_data/labels.csv");
    assert_eq!(v["ruleset_hash"].as_str().unwrap().len(), 64);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(
        (r["name"].as_str(), r["spec"].as_str(), r["kind"].as_str()),
        (Some("static"), Some("static"), Some("static"))
    );
    assert_eq!(
        (
            r["tp"].as_u64(),
            r["fp"].as_u64(),
            r["tn"].as_u64(),
            r["fn"].as_u64()
        ),
        (Some(132), Some(3), Some(145), Some(1))
    );
    close(&r["precision"], PRECISION, "precision");
    close(&r["recall"], RECALL, "recall");
    close(&r["accuracy"], ACCURACY, "accuracy");
    close(&r["f1"], F1, "f1");
    close(&r["cwe_match_rate"], CWE_MATCH, "cwe_match_rate");
    for k in [
        "seconds_per_file",
        "total_seconds",
        "load_seconds",
        "peak_rss_mb",
        "cost",
    ] {
        assert!(r[k].as_f64().is_some_and(|x| x >= 0.0), "{k}: {}", r[k]);
    }
    assert!(r["seconds_per_file"].as_f64().unwrap() > 0.0);
    assert_eq!(r["cost"], 0.0);
    assert_eq!(
        (r["model_calls"].as_u64(), r["prompt_tokens"].as_u64()),
        (Some(0), Some(0))
    );
    assert!(r["tokens_per_second"].is_null() && r["model"].is_null());
    assert_eq!(r["stages"], Value::Array(Vec::new()));
    let files = r["per_file"].as_array().unwrap();
    assert_eq!(files.len(), 281);
    let outcomes = [
        "true_positive",
        "false_positive",
        "true_negative",
        "false_negative",
    ];
    for f in files {
        assert!(outcomes.contains(&f["outcome"].as_str().unwrap()), "{f}");
        assert!(f["file"].as_str().unwrap().ends_with(".py"));
        assert!(f["reported_cwes"].is_array() && f["seconds"].is_number());
    }
    let fp = files
        .iter()
        .filter(|f| f["outcome"] == "false_positive")
        .count();
    assert_eq!(fp, 3);
}

/// The `<circle>` elements of an SVG, and its text, after checking it parses as XML.
fn svg_points(path: &Path) -> (usize, String) {
    let text = fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("invalid SVG: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let circles = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle"))
        .count();
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect();
    (circles, texts.join("\n"))
}

#[test]
fn plot_is_valid_svg_with_a_labelled_point() {
    let home = tempfile::tempdir().unwrap();
    let svg = home.path().join("bench.svg");
    let (code, _, err) = run(pyward(home.path())
        .args([
            "bench",
            "--dataset",
            "tests/bench_data",
            "--static-only",
            "-q",
            "--plot",
        ])
        .arg(&svg));
    assert_eq!(code, 0, "{err}");
    let (circles, text) = svg_points(&svg);
    assert_eq!(circles, 1);
    assert!(text.contains("static (F1 0.985,"), "{text}");
    assert!(
        text.contains("seconds per file (log scale)") && text.contains("F1"),
        "{text}"
    );
}

/// A dataset directory with the given files and labels text.
fn dataset(dir: &Path, files: &[(&str, &str)], labels: &str) -> PathBuf {
    let d = dir.join("data");
    fs::create_dir_all(&d).unwrap();
    for (name, text) in files {
        let p = d.join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    fs::write(d.join("labels.csv"), labels).unwrap();
    d
}

const SHELL: &str = "import subprocess\n\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n";
const SAFE: &str = "def add(a, b):\n    return a + b\n";

#[test]
fn dataset_and_backend_errors_name_the_problem() {
    let home = tempfile::tempdir().unwrap();
    let bench = |d: &Path, extra: &[&str]| {
        let mut c = pyward(home.path());
        c.args(["bench", "--static-only", "-q", "--dataset"])
            .arg(d)
            .args(extra);
        run(&mut c)
    };
    let files = [("a.py", SHELL), ("b.py", SAFE)];
    let cases = [
        (
            "file,vulnerable,cwe\na.py,true,78\nb.py,false,\nc.py,false,\n",
            "labels.csv:4: listed file `c.py` does not exist",
        ),
        ("file,vulnerable,cwe\na.py,true,78\n", "Python file `b.py`"),
        (
            "file,vulnerable,cwe\na.py,true,78\nb.py,perhaps,\n",
            "labels.csv:3: `vulnerable` must be true or false, got `perhaps`",
        ),
        (
            "file,vulnerable,cwe\na.py,true,78\na.py,true,78\nb.py,0,\n",
            "labels.csv:3: file `a.py` is listed twice (first on line 2)",
        ),
        (
            "file,vulnerable\na.py,true\n",
            "labels.csv:1: header must be `file,vulnerable,cwe`",
        ),
    ];
    for (i, (labels, expected)) in cases.iter().enumerate() {
        let root = home.path().join(format!("case{i}"));
        let d = dataset(&root, &files, labels);
        let (code, out, err) = bench(&d, &[]);
        assert_eq!(code, 2, "{labels}: {out}{err}");
        assert!(
            err.contains(expected),
            "{labels}: expected `{expected}` in {err}"
        );
        assert!(out.is_empty());
    }
    let d = dataset(
        &home.path().join("ok"),
        &files,
        "file,vulnerable,cwe\na.py,1,CWE-78\nb.py,0,\n",
    );
    let (code, out, err) = bench(&d, &["--labels", "missing.csv"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("missing.csv: cannot read labels"),
        "{out}{err}"
    );
    let (code, _, err) = bench(&d, &["--backend", "openai:http://127.0.0.1:9/v1#gpt-x"]);
    assert_eq!(code, 2);
    // Nothing listens on the discard port: the worker's error names the backend and the URL.
    assert!(
        err.contains("backend `openai:http://127.0.0.1:9/v1#gpt-x` failed")
            && err.contains("cannot connect to http://127.0.0.1:9/v1/chat/completions"),
        "{err}"
    );
    let (code, _, err) = bench(&d, &["--backend", "llama:x"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown backend kind `llama`"), "{err}");
    let (code, _, err) = bench(&d, &["--backend", "local:/nonexistent/model.gguf"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("backend `local:/nonexistent/model.gguf` failed")
            && err.contains("model.gguf"),
        "{err}"
    );
    fs::write(
        home.path().join("p.toml"),
        "[local.m]\ninput_per_million = -1\noutput_per_million = 0\n",
    )
    .unwrap();
    let (code, _, err) = bench(
        &d,
        &["--prices", home.path().join("p.toml").to_str().unwrap()],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("p.toml: invalid price table") && err.contains("non-negative"),
        "{err}"
    );
    let (code, _, err) = run(pyward(home.path()).args(["bench", "--dataset"]).arg(&d));
    assert_eq!(code, 2);
    assert!(err.contains("nothing to measure"), "{err}");
    // The good dataset works, CWE-78 form and 1/0 labels included.
    let (code, out, err) = bench(&d, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("| static | 2 | 1 | 0 | 1 | 0 | 1.000 | 1.000 | 1.000 | 1.000 | 1.000 |"),
        "{out}"
    );
}

fn smollm2() -> Option<PathBuf> {
    let dir = std::env::var_os("PYWARD_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".models"));
    let path = dir.join("SmolLM2-135M-Instruct.Q4_1.gguf");
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("PYWARD_SKIP_MODEL_TESTS").as_deref() == Ok("1") {
        eprintln!(
            "skipping: {} not found and PYWARD_SKIP_MODEL_TESTS=1",
            path.display()
        );
        return None;
    }
    panic!(
        "model file {} not found: run `scripts/fetch-models.sh` or set PYWARD_MODELS_DIR \
         (or PYWARD_SKIP_MODEL_TESTS=1 to skip model tests)",
        path.display()
    );
}

/// The fields that must not change between two runs of a deterministic backend.
fn quality(row: &Value) -> Value {
    let mut q = serde_json::Map::new();
    for k in [
        "tp",
        "fp",
        "tn",
        "fn",
        "precision",
        "recall",
        "accuracy",
        "f1",
        "cwe_match_rate",
        "model_calls",
        "prompt_tokens",
        "completion_tokens",
    ] {
        q.insert(k.to_string(), row[k].clone());
    }
    let files: Vec<Value> = row["per_file"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| serde_json::json!([f["file"], f["outcome"], f["reported_cwes"]]))
        .collect();
    q.insert("per_file".into(), Value::Array(files));
    Value::Object(q)
}

#[test]
fn local_model_bench_has_every_column_and_is_deterministic() {
    let Some(model) = smollm2() else { return };
    let home = tempfile::tempdir().unwrap();
    // Two tiny files (the model runs at tens of prompt tokens per second in debug builds).
    let d = dataset(
        home.path(),
        &[("shell.py", SHELL), ("math_utils.py", SAFE)],
        "file,vulnerable,cwe\nshell.py,true,78\nmath_utils.py,false,\n",
    );
    let prices = home.path().join("prices.toml");
    fs::write(
        &prices,
        "[local.\"*\"]\ninput_per_million = 1000.0\noutput_per_million = 2000.0\n",
    )
    .unwrap();
    let svg = home.path().join("bench.svg");
    let spec = format!("local:{}", model.display());
    let bench = |extra: &[&std::ffi::OsStr]| {
        let mut c = pyward(home.path());
        c.args([
            "bench",
            "--json",
            "--static-only",
            "--backend",
            &spec,
            // Every stage, whatever the tier's plan, so every column has calls behind it.
            "--stages",
            "all",
            "--threads",
            "2",
            "--prices",
        ])
        .arg(&prices)
        .arg("--dataset")
        .arg(&d)
        .args(extra);
        run(&mut c)
    };
    let (code, out, err) = bench(&["--plot".as_ref(), svg.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("measuring {spec} on 2 files")),
        "{err}"
    );
    let first = json_of(&out);
    let rows = first["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "static row and model row");
    let (s, m) = (&rows[0], &rows[1]);
    assert_eq!(s["name"], "static");
    assert_eq!(m["kind"], "local");
    assert_eq!(m["backend"], "candle");
    assert_eq!(m["model_sha256"].as_str().unwrap().len(), 64);
    assert!(
        m["name"].as_str().unwrap().starts_with("local:"),
        "{}",
        m["name"]
    );
    assert_eq!(m["files"], 2);
    // Every column is there; the speed, memory and cost columns have values. (Quality ratios
    // may be undefined, `null`, if the model withholds every finding.)
    for k in [
        "tp",
        "fp",
        "tn",
        "fn",
        "precision",
        "recall",
        "accuracy",
        "f1",
        "cwe_match_rate",
    ] {
        assert!(
            m.get(k).is_some_and(|v| v.is_number() || v.is_null()),
            "{k}: {m}"
        );
    }
    assert!(m["accuracy"].is_number());
    for k in [
        "seconds_per_file",
        "total_seconds",
        "load_seconds",
        "tokens_per_second",
        "completion_tokens_per_second",
        "peak_rss_mb",
        "cost",
    ] {
        assert!(m[k].as_f64().is_some_and(|x| x > 0.0), "{k}: {}", m[k]);
    }
    let (calls, prompt, completion) = (
        m["model_calls"].as_u64().unwrap(),
        m["prompt_tokens"].as_u64().unwrap(),
        m["completion_tokens"].as_u64().unwrap(),
    );
    assert!(calls >= 1 && prompt > 0 && completion > 0, "{m}");
    // The economy columns: computed prompt tokens per source line, the prefix cache's share,
    // calls per file and the share of answers used, and the plan the model ran under.
    let lines = m["source_lines"].as_u64().unwrap();
    assert_eq!(lines, (SHELL.lines().count() + SAFE.lines().count()) as u64);
    let per_line = m["prompt_tokens_per_line"].as_f64().unwrap();
    assert!(
        per_line > 0.0 && per_line < prompt as f64 / lines as f64,
        "{m}"
    );
    let share = m["prefix_cache_share"].as_f64().unwrap();
    assert!(share > 0.0 && share < 1.0, "the file prefix is reused: {m}");
    close(&m["calls_per_file"], calls as f64 / 2.0, "calls_per_file");
    assert!(
        m["parsed_share"]
            .as_f64()
            .is_some_and(|p| (0.0..=1.0).contains(&p)),
        "{m}"
    );
    assert!(m["plan"].as_str().unwrap().contains("(--stages)"), "{m}");
    let expected_cost = (prompt as f64 * 1000.0 + completion as f64 * 2000.0) / 1e6;
    close(&m["cost"], expected_cost, "cost");
    let stages = m["stages"].as_array().unwrap();
    assert!(!stages.is_empty());
    assert_eq!(
        stages
            .iter()
            .map(|s| s["calls"].as_u64().unwrap())
            .sum::<u64>(),
        calls
    );
    for st in stages {
        let (p50, p95) = (
            st["p50_ms"].as_f64().unwrap(),
            st["p95_ms"].as_f64().unwrap(),
        );
        assert!(p50 > 0.0 && p95 >= p50, "{st}");
        assert!(["guardrail", "analyzer", "calibration", "fixer"]
            .contains(&st["stage"].as_str().unwrap()));
    }
    // The model's process holds the weights; the static engine's does not.
    assert!(
        m["peak_rss_mb"].as_f64().unwrap() > s["peak_rss_mb"].as_f64().unwrap(),
        "{} vs {}",
        m["peak_rss_mb"],
        s["peak_rss_mb"]
    );
    assert!(m["seconds_per_file"].as_f64().unwrap() > s["seconds_per_file"].as_f64().unwrap());
    // The plot has one labelled point per backend.
    let (circles, text) = svg_points(&svg);
    assert_eq!(circles, 2);
    assert!(
        text.contains("static (F1")
            && text.contains(&format!("{} (F1", m["name"].as_str().unwrap())),
        "{text}"
    );

    // A second run gives the same quality numbers, file by file.
    let (code, out, err) = bench(&[]);
    assert_eq!(code, 0, "{err}");
    let second = json_of(&out);
    for i in 0..2 {
        assert_eq!(
            quality(&first["rows"][i]),
            quality(&second["rows"][i]),
            "row {i} differs between runs"
        );
    }
}
