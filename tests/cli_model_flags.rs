//! `scan` and `fix` model selection and errors through the real binary: the static-only note,
//! missing or broken model files, conflicting flags, and template-only fixes without a model.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const SHELL_CALL: &str =
    "import subprocess\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n";
/// `exec` of a parameter (PW121): no mechanical fix exists, so PW121 has no template.
const EXEC_CALL: &str = "def run(code):\n    exec(code)\n";
const YAML_LOAD: &str = "import yaml\n\n\ndef read(data):\n    return yaml.load(data)\n";

fn pyward(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pyward"));
    c.current_dir(dir)
        .env("HF_HOME", dir.join("hf"))
        .env("PYWARD_HOME", dir.join("pyward-home"))
        .env("PYWARD_CACHE_DIR", dir.join("cache"))
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

#[test]
fn no_model_on_the_machine_means_static_only_with_a_note() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.py"), SHELL_CALL).unwrap();
    let (code, out, err) = run(pyward(d.path()).args(["scan", "a.py", "--format", "json"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("static analysis only"), "{err}");
    assert!(err.contains("--model FILE.gguf"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["tool"].get("model").is_none(),
        "a static scan names no model: {}",
        v["tool"]
    );
    assert_eq!(v["findings"][0]["rule_id"], "PW101");

    let (code, _, err) = run(pyward(d.path()).args(["scan", "a.py", "--static-only"]));
    assert_eq!(code, 1);
    assert!(err.is_empty(), "--static-only is silent: {err}");
    let (_, _, err) = run(pyward(d.path()).args(["scan", "a.py", "--quiet"]));
    assert!(err.is_empty(), "--quiet is silent: {err}");
}

#[test]
fn a_named_model_that_cannot_be_used_is_an_error_naming_it() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.py"), SHELL_CALL).unwrap();
    fs::write(
        d.path().join("notes.gguf"),
        "version https://git-lfs.github.com/spec/v1\n",
    )
    .unwrap();

    let (code, out, err) = run(pyward(d.path()).args(["scan", "a.py", "--model", "missing.gguf"]));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("missing.gguf"), "{err}");

    let (code, _, err) = run(pyward(d.path()).args(["scan", "a.py", "--model", "notes.gguf"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("notes.gguf") && err.contains("not a GGUF"),
        "{err}"
    );

    let (code, _, err) =
        run(pyward(d.path()).args(["scan", "a.py", "--model-name", "no-such-model"]));
    assert_eq!(code, 2);
    assert!(err.contains("no-such-model"), "{err}");

    let (code, _, err) =
        run(pyward(d.path()).args(["scan", "a.py", "--model", "x.gguf", "--static-only"]));
    assert_eq!(code, 2);
    assert!(err.contains("cannot be used with"), "{err}");

    let (code, _, err) = run(pyward(d.path()).args(["scan", "a.py", "--device", "tpu"]));
    assert_eq!(code, 2);
    assert!(err.contains("tpu"), "{err}");
}

#[test]
fn fix_without_a_model_applies_verified_template_fixes() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("r.py");
    fs::write(&p, YAML_LOAD).unwrap();
    let (code, out, err) = run(pyward(d.path()).args(["fix", "r.py", "--quiet"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("-    return yaml.load(data)\n+    return yaml.safe_load(data)\n"),
        "{out}"
    );
    assert_eq!(
        fs::read_to_string(&p).unwrap(),
        YAML_LOAD,
        "no --write: the file is untouched"
    );

    let (code, _, err) = run(pyward(d.path()).args(["fix", "r.py", "--write"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("1 verified fix"), "{err}");
    assert!(fs::read_to_string(&p)
        .unwrap()
        .contains("yaml.safe_load(data)"));
    assert_eq!(
        fs::read_to_string(d.path().join("r.py.orig")).unwrap(),
        YAML_LOAD
    );
    // The fixed file scans clean, and fixing it again changes nothing.
    let (code, _, _) = run(pyward(d.path()).args(["scan", "r.py", "--static-only"]));
    assert_eq!(code, 0);
    let (code, out, _) = run(pyward(d.path()).args(["fix", "r.py", "--quiet"]));
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn fix_reports_findings_it_cannot_repair_and_refuses_stdin_writes() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.py"), EXEC_CALL).unwrap();
    // Without a template and without a model nothing verifies.
    let (code, out, err) = run(pyward(d.path()).args(["fix", "a.py", "--static-only"]));
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("left without one"), "{err}");
    assert_eq!(
        fs::read_to_string(d.path().join("a.py")).unwrap(),
        EXEC_CALL
    );

    let (code, _, err) = run(pyward(d.path()).args(["fix", "-", "--write"]));
    assert_eq!(code, 2);
    assert!(err.contains("standard input"), "{err}");
}

#[test]
fn backend_flags_that_do_not_fit_are_usage_errors() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.py"), SHELL_CALL).unwrap();
    for (args, needle) in [
        (
            &["--backend", "openai"][..],
            "--backend openai needs --base-url URL and --api-model NAME",
        ),
        (
            &["--backend", "openai", "--base-url", "http://127.0.0.1:9/v1"][..],
            "needs --api-model NAME",
        ),
        (
            &["--backend", "openai", "--api-model", "m"][..],
            "needs --base-url URL",
        ),
        (
            &[
                "--backend",
                "openai",
                "--base-url",
                "http://h/v1",
                "--api-model",
                "m",
                "--model",
                "x.gguf",
            ][..],
            "--api-model",
        ),
        (&["--base-url", "http://h/v1"][..], "need --backend openai"),
        (
            &[
                "--backend",
                "openai",
                "--base-url",
                "h:8080/v1",
                "--api-model",
                "m",
            ][..],
            "invalid --base-url",
        ),
        (
            &[
                "--backend",
                "openai",
                "--base-url",
                "http://h/v1",
                "--api-model",
                "m",
                "--max-concurrent",
                "0",
            ][..],
            "--max-concurrent",
        ),
    ] {
        let (code, out, err) = run(pyward(d.path()).args(["scan", "a.py"]).args(args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    // fix takes the same flags.
    let (code, _, err) = run(pyward(d.path()).args(["fix", "a.py", "--backend", "openai"]));
    assert_eq!(code, 2);
    assert!(err.contains("--base-url"), "{err}");
}

#[test]
fn an_off_machine_server_is_announced_before_anything_is_sent() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.py"), SHELL_CALL).unwrap();
    // `.invalid` never resolves (RFC 2606): the warning comes first, then a clear error.
    let (code, out, err) = run(pyward(d.path()).args([
        "scan",
        "a.py",
        "--quiet",
        "--timeout",
        "5",
        "--backend",
        "openai",
        "--base-url",
        "http://pyward-test.invalid:8000/v1",
        "--api-model",
        "m",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].starts_with(
            "pyward: warning: --backend openai sends the scanned code to pyward-test.invalid"
        ),
        "{err}"
    );
    assert!(
        err.contains("cannot connect to http://pyward-test.invalid:8000/v1/chat/completions"),
        "{err}"
    );
}

/// `models bench --device`: a GPU this binary cannot use is a typed error (exit 2) that says how
/// to get one, checked before the model file is even read; a bad `--repack` is a usage error.
#[test]
fn models_bench_device_and_repack_errors() {
    let d = tempfile::tempdir().unwrap();
    let model = d.path().join("m.gguf");
    fs::write(&model, b"not read").unwrap();
    let (code, out, err) =
        run(pyward(d.path()).args(["models", "bench", "m.gguf", "--device", "cuda:3"]));
    assert_eq!(code, 2, "{out}{err}");
    if cfg!(feature = "cuda") {
        // With four GPUs cuda:3 opens, and the fake file is what fails.
        assert!(
            err.contains("device cuda:3: no usable CUDA GPU") || err.contains("m.gguf"),
            "{err}"
        );
    } else {
        assert!(
            err.contains("device cuda:3")
                && err.contains("--features cuda")
                && !err.contains("GGUF"),
            "{err}"
        );
    }
    let (code, _, err) =
        run(pyward(d.path()).args(["models", "bench", "m.gguf", "--repack", "sometimes"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("auto, full, decode, off"), "{err}");
}
