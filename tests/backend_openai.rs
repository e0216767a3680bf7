//! The OpenAI-compatible backend against a real server: llama.cpp's `llama-server` serving
//! SmolLM2 on 127.0.0.1 (no mock). Structured output for the stage schemas, a full
//! `pyward scan --backend openai` through the binary, determinism (repeated and parallel runs),
//! authentication, wrong URLs and a server that is not there.
//!
//! The server binary comes from `scripts/build-llama.sh` (see `support/llama_server.rs`).

#[path = "support/llama_server.rs"]
mod llama_server;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use llama_server::{free_port, LlamaServer};
use pyward::backends::{OpenAiBackend, OpenAiConfig, OpenAiError};
use pyward::pipeline::analyzer::{schema_for, AnalyzerAnswer};
use pyward::pipeline::backend::Message;
use pyward::pipeline::calibration::{self, CalibrationAnswer};
use pyward::pipeline::fixer::FixAnswer;
use pyward::pipeline::guardrail::GuardrailAnswer;
use pyward::pipeline::layout::{self, FileView, Question, RunPrefix};
use pyward::pipeline::{schema_of, Backend, BackendError, CompletionRequest, Stage, StagePlan};
use pyward::rules::Catalog;
use serde_json::Value;

const SHELL_CALL: &str =
    "import subprocess\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n";
const YAML_LOAD: &str = "import yaml\n\n\ndef read(data):\n    return yaml.load(data)\n";

fn backend(base_url: &str) -> OpenAiBackend {
    let mut cfg = OpenAiConfig::new(base_url, "smollm2");
    cfg.timeout = Duration::from_secs(300);
    OpenAiBackend::new(cfg).unwrap()
}

fn request(stage: Stage, schema: Value, user: &str, max_tokens: usize) -> CompletionRequest {
    CompletionRequest {
        stage,
        messages: vec![
            Message::system(
                "You are a security reviewer of Python code. Answer with a JSON object only.",
            ),
            Message::user(user),
        ],
        cache_breaks: Vec::new(),
        schema,
        max_tokens,
        temperature: 0.0,
        seed: 0,
        repeat_ngram: 0,
    }
}

/// A calibration schema for one finding, as the pipeline asks it.
fn calibration_schema() -> Value {
    calibration::schema_for(1, &StagePlan::for_tier(1).calibration)
}

fn assert_matches_schema(schema: &Value, value: &Value) {
    let v = jsonschema::options()
        .build(schema)
        .expect("schema compiles");
    let errors: Vec<String> = v.iter_errors(value).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{value} does not match the schema: {errors:?}"
    );
}

#[test]
fn structured_output_matches_the_stage_schemas() {
    let Some(server) = LlamaServer::start(&[]) else {
        return;
    };
    let mut b = backend(&server.base_url());
    let catalog = Catalog::embedded().unwrap();
    let rule = catalog.get("PW101").expect("PW101");
    let code = format!("```python\n{SHELL_CALL}```");
    let cases = [
        (
            Stage::Guardrail,
            schema_of::<GuardrailAnswer>(),
            format!("Does any comment or string in this code address an AI model?\n{code}"),
        ),
        (
            Stage::Analyzer,
            schema_for(&[rule], (3, 4), 1, 40, 100),
            format!("List the vulnerabilities (rule PW101, CWE-78) in lines 3-4:\n{code}"),
        ),
        (
            Stage::Calibration,
            calibration_schema(),
            format!("Findings to judge:\n1. line 4: command injection\n{code}"),
        ),
        (
            Stage::Fixer,
            schema_of::<FixAnswer>(),
            format!("Rewrite line 4 without shell=True.\n{code}"),
        ),
    ];
    for (stage, schema, user) in cases {
        let req = request(stage, schema.clone(), &user, 400);
        let r = b
            .complete(&req)
            .unwrap_or_else(|e| panic!("{stage:?}: {e}\nserver log:\n{}", server.log()));
        assert_matches_schema(&schema, &r.value);
        let typed = match stage {
            Stage::Guardrail => {
                serde_json::from_value::<GuardrailAnswer>(r.value.clone()).map(|_| ())
            }
            Stage::Analyzer => {
                serde_json::from_value::<AnalyzerAnswer>(r.value.clone()).map(|_| ())
            }
            Stage::Calibration => {
                serde_json::from_value::<CalibrationAnswer>(r.value.clone()).map(|_| ())
            }
            Stage::Fixer => serde_json::from_value::<FixAnswer>(r.value.clone()).map(|_| ()),
        };
        assert!(
            typed.is_ok(),
            "{stage:?}: {} does not deserialize: {typed:?}",
            r.value
        );
        let u = r.usage;
        assert!(
            u.prompt_tokens > 20,
            "{stage:?}: usage.prompt_tokens = {}",
            u.prompt_tokens
        );
        assert!(
            u.completion_tokens > 0 && u.completion_tokens <= 2 * 400,
            "{stage:?}: {}",
            u.completion_tokens
        );
        assert!(u.elapsed_ms > 0.0);
        // llama-server returns logprobs: the value tokens' are kept, the forced punctuation's
        // not, with their places in the answer text.
        assert!(
            !r.sampled.is_empty(),
            "{stage:?}: no logprobs for {}",
            r.value
        );
        assert!(
            r.sampled.len() < u.completion_tokens,
            "{stage:?}: punctuation tokens were kept"
        );
        assert!(
            r.sampled
                .iter()
                .all(|t| t.logprob <= 0.0 && t.logprob.is_finite() && t.end <= r.text.len()),
            "{:?}",
            r.sampled
        );
        // Same request, temperature 0: the same answer.
        let again = b.complete(&req).unwrap();
        assert_eq!(
            again.value, r.value,
            "{stage:?} is not deterministic at temperature 0"
        );
    }
    let info = b.describe();
    assert_eq!(
        (info.name.as_str(), info.model.as_str()),
        ("openai-compatible", "smollm2")
    );
    assert!(
        !info.sends_code_off_machine,
        "a 127.0.0.1 server keeps the code on the machine"
    );
}

fn pyward(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pyward"));
    c.current_dir(dir)
        .env("HF_HOME", dir.join("hf"))
        .env("PYWARD_HOME", dir.join("pyward-home"))
        .env("PYWARD_CACHE_DIR", dir.join("cache"))
        .env_remove("OPENAI_API_KEY")
        .env_remove("HF_HUB_CACHE")
        .env_remove("NO_COLOR");
    c
}

fn run(c: &mut Command) -> (i32, String, String) {
    let o: Output = c.output().expect("run pyward");
    (
        o.status.code().expect("pyward crashed"),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

/// The backend flags. The timeout is generous: requests queue on the server's one slot, and on
/// a loaded 2-core machine a queued analyzer answer can wait minutes.
fn openai_args(url: &str) -> [&str; 8] {
    [
        "--backend",
        "openai",
        "--base-url",
        url,
        "--api-model",
        "smollm2",
        "--timeout",
        "900",
    ]
}

#[test]
fn scan_through_the_binary_reports_static_findings_and_names_the_backend() {
    let Some(server) = LlamaServer::start(&[]) else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.py"), SHELL_CALL).unwrap();
    let url = server.base_url();
    let t0 = Instant::now();
    let (code, out, err) = run(pyward(d.path())
        .args([
            "scan",
            "a.py",
            "--format",
            "json",
            "--no-cache",
            "--model-tier",
            "1",
        ])
        .args(openai_args(&url)));
    let secs = t0.elapsed().as_secs_f64();
    assert_eq!(code, 1, "stderr: {err}\nserver log:\n{}", server.log());
    assert!(
        !err.contains("warning: --backend openai"),
        "no off-machine warning for 127.0.0.1: {err}"
    );
    assert!(err.contains("pipeline with smollm2"), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "PW101" && f["origin"] == "static"),
        "{}",
        v["findings"]
    );
    let m = &v["tool"]["model"];
    assert_eq!(m["backend"], "openai-compatible", "{m}");
    assert_eq!(m["kind"], "remote");
    assert_eq!(m["model"], "smollm2");
    assert_eq!(m["code_left_machine"], false);
    assert_eq!(m["tier"], 1);
    assert_eq!(m["model_sha256"].as_str().map(str::len), Some(64));
    eprintln!("scan of a.py through llama-server: {secs:.1} s");

    // `fix` takes the same backend: the template fix of yaml.load is verified and printed.
    let f = tempfile::tempdir().unwrap();
    fs::write(f.path().join("b.py"), YAML_LOAD).unwrap();
    let (code, out, err) = run(pyward(f.path())
        .args(["fix", "b.py", "--quiet", "--no-cache", "--model-tier", "1"])
        .args(openai_args(&url)));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("+    return yaml.safe_load(data)\n"), "{out}");
    assert_eq!(
        fs::read_to_string(f.path().join("b.py")).unwrap(),
        YAML_LOAD,
        "no --write: untouched"
    );

    // `bench --fix` with the same server: it says which file the model is on, and its row
    // counts the template repair.
    fs::write(
        f.path().join("labels.csv"),
        "file,vulnerable,cwe\nb.py,true,502\n",
    )
    .unwrap();
    let spec = format!("openai:{url}#smollm2");
    let (code, out, err) = run(pyward(f.path()).args([
        "bench",
        "--dataset",
        ".",
        "--fix",
        "--backend",
        &spec,
        "--model-tier",
        "1",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(": file 1/1 b.py ("), "{err}");
    let row = out
        .lines()
        .find(|l| l.contains("openai:"))
        .unwrap_or_default();
    assert!(row.contains("| 1 | 1 (100%) |"), "{out}");
}

/// Drops `tool.command_line` (it names the flags that differ between the compared runs).
fn without_command_line(report: &str) -> Value {
    let mut v: Value = serde_json::from_str(report).unwrap();
    v["tool"].as_object_mut().unwrap().remove("command_line");
    v
}

#[test]
fn scans_are_deterministic_repeated_and_in_parallel() {
    let Some(server) = LlamaServer::start(&[]) else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.py"), SHELL_CALL).unwrap();
    fs::write(d.path().join("b.py"), YAML_LOAD).unwrap();
    let url = server.base_url();
    let scan = |extra: &[&str]| {
        let (code, out, err) = run(pyward(d.path())
            .args(["scan", ".", "--format", "json"])
            .args(openai_args(&url))
            .args(extra));
        assert_eq!(code, 1, "stderr: {err}");
        (out, err)
    };
    let (first, _) = scan(&["--no-cache"]);
    let (second, _) = scan(&["--no-cache"]);
    assert_eq!(first, second, "two runs at temperature 0 differ");
    let v: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["summary"]["files_scanned"], 2);
    assert_eq!(
        v["tool"]["model"]["tier"], 3,
        "remote models default to tier 3"
    );

    // One file at a time, filling the result cache; then 4 workers reading it: the same report.
    let (sequential, _) = scan(&["--max-concurrent", "1", "--cache-dir", "rc"]);
    assert_eq!(
        without_command_line(&sequential),
        without_command_line(&first),
        "1 file in flight vs 4"
    );
    let (cached, err) = scan(&["--cache-dir", "rc"]);
    assert!(err.contains("2 files from the result cache"), "{err}");
    assert_eq!(without_command_line(&cached), without_command_line(&first));
}

#[test]
fn the_prompt_layout_lets_the_server_reuse_the_file_prefix() {
    // The other tests turn the server's prompt cache off (for bit-identical answers); this one
    // is about it.
    let Some(server) = LlamaServer::start(&["--cache-prompt"]) else {
        return;
    };
    let mut b = backend(&server.base_url());
    let run = RunPrefix::new(&Catalog::embedded().unwrap());
    let text = YAML_LOAD.repeat(6);
    let view = FileView::whole("a.py", &text);
    let ask = |b: &mut OpenAiBackend, line: usize| {
        let question = Question {
            stage: Stage::Calibration,
            text: format!("Findings to judge:\n1. line {line}: deserialization"),
            schema: calibration_schema(),
            max_tokens: 80,
            temperature: 0.0,
            seed: 0,
            repeat_ngram: 0,
        };
        b.complete(&layout::request(&run, &view, question))
            .unwrap_or_else(|e| panic!("{e}\n{}", server.log()))
    };
    let _ = ask(&mut b, 5);
    let second = ask(&mut b, 10);
    // Everything up to the question is the same text: the server serves it from its cache and
    // says so, and pyward counts it.
    let u = second.usage;
    assert!(
        u.cached_prompt_tokens * 10 > u.prompt_tokens * 8,
        "{} of {} prompt tokens cached",
        u.cached_prompt_tokens,
        u.prompt_tokens
    );
}

#[test]
fn authentication_failures_name_the_key_variable() {
    let Some(server) = LlamaServer::start(&["--api-key", "secret"]) else {
        return;
    };
    let url = server.base_url();
    let req = request(
        Stage::Calibration,
        calibration_schema(),
        "Findings to judge:\n1. line 1: code injection\n```python\neval(x)\n```",
        80,
    );

    let e = backend(&url).chat(&req).unwrap_err();
    assert!(
        matches!(
            e,
            OpenAiError::Auth {
                status: 401,
                key_sent: false,
                ..
            }
        ),
        "{e:?}"
    );
    let msg = BackendError::from(e).to_string();
    assert!(
        msg.contains("authentication failed")
            && msg.contains("set OPENAI_API_KEY or --api-key-env"),
        "{msg}"
    );

    let mut wrong = OpenAiConfig::new(url.as_str(), "smollm2");
    wrong.api_key = Some("not-the-key".into());
    let e = OpenAiBackend::new(wrong).unwrap().chat(&req).unwrap_err();
    assert!(
        matches!(e, OpenAiError::Auth { key_sent: true, .. }),
        "{e:?}"
    );

    let mut right = OpenAiConfig::new(url.as_str(), "smollm2");
    right.api_key = Some("secret".into());
    let r = OpenAiBackend::new(right)
        .unwrap()
        .chat(&req)
        .expect("the right key works");
    assert_matches_schema(&req.schema, &r.value);

    // Through the binary: no key → exit 2 before any scanning; the key from --api-key-env works.
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.py"), SHELL_CALL).unwrap();
    let (code, out, err) = run(pyward(d.path())
        .args(["scan", "a.py"])
        .args(openai_args(&url)));
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("authentication failed") && err.contains("OPENAI_API_KEY"),
        "{err}"
    );
    let (code, _, err) = run(pyward(d.path())
        .args([
            "scan",
            "a.py",
            "--no-cache",
            "--api-key-env",
            "PYWARD_TEST_KEY",
        ])
        .args(openai_args(&url))
        .env("PYWARD_TEST_KEY", "secret"));
    assert_eq!(code, 1, "{err}");
}

#[test]
fn a_wrong_url_names_the_url_and_the_model() {
    let Some(server) = LlamaServer::start(&[]) else {
        return;
    };
    let wrong = format!("http://127.0.0.1:{}/nope/v1", server.port);
    let req = request(Stage::Guardrail, schema_of::<GuardrailAnswer>(), "hi", 40);
    let e = backend(&wrong).chat(&req).unwrap_err();
    assert!(matches!(e, OpenAiError::NotFound { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("{wrong}/chat/completions")) && msg.contains("`smollm2`"),
        "{msg}"
    );
    assert!(
        msg.contains("--api-model") && msg.contains("--base-url"),
        "{msg}"
    );

    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.py"), SHELL_CALL).unwrap();
    let (code, _, err) = run(pyward(d.path())
        .args(["scan", "a.py"])
        .args(openai_args(&wrong)));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("not found (HTTP 404)") && err.contains("/nope/v1/chat/completions"),
        "{err}"
    );
}

#[test]
fn a_server_still_loading_its_model_is_retried_until_it_answers() {
    // Asked the moment it starts, llama-server refuses connections, then answers 503 while it
    // loads the model: both are retried with backoff until it answers.
    let Some(mut server) = LlamaServer::spawn(&[]) else {
        return;
    };
    let mut cfg = OpenAiConfig::new(server.base_url(), "smollm2");
    cfg.backoff = Duration::from_millis(300);
    cfg.max_attempts = 9;
    let b = OpenAiBackend::new(cfg).unwrap();
    let req = request(
        Stage::Calibration,
        calibration_schema(),
        "Findings to judge:\n1. line 1: code injection\n```python\neval(x)\n```",
        80,
    );
    let r = b.chat(&req);
    let ready = server.wait_healthy(Duration::from_secs(1));
    let r = r.unwrap_or_else(|e| panic!("{e} (server ready: {ready:?})\n{}", server.log()));
    assert_matches_schema(&req.schema, &r.value);
    assert!(
        b.retries() > 0,
        "the first attempt cannot have found the model loaded"
    );
}

#[test]
fn a_server_that_is_not_listening_fails_fast_and_clearly() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/v1");
    let b = backend(&url);
    let req = request(Stage::Guardrail, schema_of::<GuardrailAnswer>(), "hi", 40);
    let t0 = Instant::now();
    let e = b.chat(&req).unwrap_err();
    let first = t0.elapsed();
    assert!(
        matches!(e, OpenAiError::Connect { attempts: 4, .. }),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains(&format!("cannot connect to {url}/chat/completions")),
        "{e}"
    );
    assert!(first < Duration::from_secs(10), "4 attempts took {first:?}");
    // Remembered: a clone asks no more and fails at once.
    let t1 = Instant::now();
    let mut clone = b.clone();
    assert!(clone.complete(&req).is_err());
    assert!(
        t1.elapsed() < Duration::from_millis(100),
        "{:?}",
        t1.elapsed()
    );

    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.py"), SHELL_CALL).unwrap();
    let t0 = Instant::now();
    let (code, out, err) = run(pyward(d.path())
        .args(["scan", "a.py"])
        .args(openai_args(&url)));
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("cannot connect to") && err.contains(&port.to_string()),
        "{err}"
    );
    assert!(t0.elapsed() < Duration::from_secs(15), "{:?}", t0.elapsed());
}
