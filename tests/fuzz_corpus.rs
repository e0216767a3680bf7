//! Replays every file of the fuzz corpora (`fuzz/corpus/<target>/`) through the harness that the
//! `cargo fuzz` target runs (`pyward::fuzzing`): the committed seeds, every input a fuzzing run
//! found worth keeping as a regression (`fuzz/corpus/<target>/regression-*`), and the project
//! files that seed a target too (the rule fixtures and examples, the rule files). A panic here
//! is a bug the fuzzer found again. See `docs/fuzzing.md`.

use std::path::{Path, PathBuf};

/// The committed seeds and regressions of `target`, then the project files that seed it too
/// (`cargo fuzz run` is given the same directories; see `docs/fuzzing.md`).
fn corpus(target: &str, extra: &[(&str, &str)]) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let own = root.join("fuzz/corpus").join(target);
    if own.is_dir() {
        files.extend(
            std::fs::read_dir(&own)
                .unwrap_or_else(|e| panic!("{}: {e}", own.display()))
                .map(|e| e.unwrap().path())
                .filter(|p| {
                    let name = p.file_name().unwrap().to_string_lossy();
                    name.starts_with("seed-") || name.starts_with("regression-")
                }),
        );
    }
    for (dir, ext) in extra {
        collect(&root.join(dir), ext, &mut files);
    }
    files.sort();
    assert!(!files.is_empty(), "{target}: no seeds");
    files
}

fn collect(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

fn replay(target: &str, extra: &[(&str, &str)], harness: fn(&[u8])) {
    for path in corpus(target, extra) {
        let data = std::fs::read(&path).unwrap();
        let run = std::panic::catch_unwind(|| harness(&data));
        assert!(run.is_ok(), "{} panicked (see above)", path.display());
    }
}

#[test]
fn scan_corpus() {
    replay(
        "scan",
        &[("rules", "py"), ("examples", "py")],
        pyward::fuzzing::scan_and_render,
    );
}

#[test]
fn rule_toml_corpus() {
    replay(
        "rule_toml",
        &[("rules", "toml")],
        pyward::fuzzing::load_rule,
    );
}

#[test]
fn suppression_corpus() {
    replay("suppression", &[], pyward::fuzzing::suppression);
}

#[test]
fn gguf_corpus() {
    replay("gguf", &[], pyward::fuzzing::load_gguf);
}

/// The GGUF seeds: a tiny random model of each architecture, small enough to commit.
/// Regenerate with `cargo test --test fuzz_corpus -- --ignored`.
#[test]
#[ignore]
fn write_gguf_seeds() {
    use pyward::llm::testing::{write_tiny_gguf, TinySpec};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/gguf");
    for arch in ["llama", "qwen2", "qwen3", "gemma3"] {
        let mut spec = TinySpec::new(arch);
        spec.layers = 1;
        spec.hidden = 32;
        spec.heads = 2;
        spec.kv_heads = 1;
        spec.ffn = 32;
        spec.vocab = 32;
        let path = dir.join(format!("seed-{arch}"));
        write_tiny_gguf(&path, &spec, None).unwrap();
    }
}
