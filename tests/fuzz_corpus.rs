//! Replays every file of the fuzz corpora (`fuzz/corpus/<target>/`) through the harness that the
//! `cargo fuzz` target runs (`pyward::fuzzing`): the committed seeds, and every input a fuzzing
//! run found worth keeping as a regression (`fuzz/corpus/<target>/regression-*`). A panic here
//! is a bug the fuzzer found again. See `docs/fuzzing.md`.

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("seed-") || name.starts_with("regression-")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: no seeds", dir.display());
    files
}

fn replay(target: &str, harness: fn(&[u8])) {
    for path in corpus(target) {
        let data = std::fs::read(&path).unwrap();
        let run = std::panic::catch_unwind(|| harness(&data));
        assert!(run.is_ok(), "{} panicked (see above)", path.display());
    }
}

#[test]
fn scan_corpus() {
    replay("scan", pyward::fuzzing::scan_and_render);
}

#[test]
fn rule_toml_corpus() {
    replay("rule_toml", pyward::fuzzing::load_rule);
}

#[test]
fn suppression_corpus() {
    replay("suppression", pyward::fuzzing::suppression);
}

#[test]
fn gguf_corpus() {
    replay("gguf", pyward::fuzzing::load_gguf);
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
