//! Model management on the real weights (SmolLM2-135M Q4_1 and Gemma-3-270M Q4_K_M):
//! `info` reads their headers, and `import` matches them to the embedded manifests by sha256,
//! which checks the pinned hashes and sizes in `models/*.toml`.
//!
//! The files come from `PYWARD_MODELS_DIR` (default `<repo>/.models`, filled by
//! `scripts/fetch-models.sh`). Missing files fail the test unless `PYWARD_SKIP_MODEL_TESTS=1`.

use std::path::PathBuf;

use pyward::models::import::{import, ImportLocation};
use pyward::models::info::inspect;
use pyward::models::{resolve_with, Catalog, ModelRequest, ModelsConfig};

fn model(file: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("PYWARD_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".models"));
    let p = dir.join(file);
    if p.is_file() {
        return Some(p);
    }
    if std::env::var("PYWARD_SKIP_MODEL_TESTS").as_deref() == Ok("1") {
        eprintln!(
            "skipping: {} is missing (PYWARD_SKIP_MODEL_TESTS=1)",
            p.display()
        );
        return None;
    }
    panic!(
        "model file {} is missing: run scripts/fetch-models.sh (or set PYWARD_MODELS_DIR), \
         or set PYWARD_SKIP_MODEL_TESTS=1 to skip model tests",
        p.display()
    );
}

fn offline_config(root: &std::path::Path) -> ModelsConfig {
    let hf = root.join("hf").to_string_lossy().to_string();
    let home = root.join("pyward").to_string_lossy().to_string();
    let mut cfg = ModelsConfig::from_lookup(|k| match k {
        "HF_HOME" => Some(hf.clone()),
        "PYWARD_HOME" => Some(home.clone()),
        "HF_HUB_OFFLINE" => Some("1".to_string()),
        "HF_ENDPOINT" => Some("http://127.0.0.1:1".to_string()),
        _ => None,
    });
    cfg.hub.progress = false;
    cfg
}

#[test]
fn info_describes_smollm2_q4_1() {
    let Some(p) = model("SmolLM2-135M-Instruct.Q4_1.gguf") else {
        return;
    };
    let info = inspect(&p).unwrap();
    assert_eq!(info.architecture.as_deref(), Some("llama"));
    assert_eq!(info.file_type.as_deref(), Some("Q4_1"));
    assert_eq!(info.context_length, Some(8192));
    assert_eq!(info.block_count, Some(30));
    assert_eq!(info.tokenizer_model.as_deref(), Some("gpt2"));
    assert_eq!(info.tokenizer_pre.as_deref(), Some("smollm"));
    assert_eq!(info.vocab_size, Some(49152));
    assert!(info.chat_template);
    assert!(info.loadable);
    // 135M parameters, give or take the embedding.
    assert!(
        (130_000_000..140_000_000).contains(&info.parameters),
        "{}",
        info.parameters
    );
    let q41 = info
        .quant_types
        .iter()
        .find(|q| q.ggml_type == "Q4_1")
        .unwrap();
    assert_eq!(q41.tensors, 210);
    // pyward's own AVX2 kernels read Q4_1: no slow-kernel warning.
    assert_eq!(q41.support, "fast");
    assert!(
        !info.warnings.iter().any(|w| w.contains("scalar")),
        "{:?}",
        info.warnings
    );
}

#[test]
fn info_describes_gemma3_270m() {
    let Some(p) = model("gemma-3-270m-q4_k_m.gguf") else {
        return;
    };
    let info = inspect(&p).unwrap();
    assert_eq!(info.architecture.as_deref(), Some("gemma3"));
    assert_eq!(info.file_type.as_deref(), Some("Q4_K_M"));
    assert_eq!(info.context_length, Some(32768));
    assert_eq!(info.vocab_size, Some(262144));
    assert_eq!(info.tokenizer_model.as_deref(), Some("llama"));
    assert!(!info.chat_template);
    assert!(info.loadable);
    assert!(
        (260_000_000..290_000_000).contains(&info.parameters),
        "{}",
        info.parameters
    );
    assert!(
        info.warnings.iter().any(|w| w.contains("no chat template")),
        "{:?}",
        info.warnings
    );
    // llama.cpp's Q4_K_M falls back to Q5_0 for tensors whose rows (640 wide) are not a multiple
    // of the 256-wide K-quant block: 81 tensors here. candle runs Q5_0 with scalar kernels, but
    // pyward has its own, so the file gets no slow-format warning.
    let q50 = info
        .quant_types
        .iter()
        .find(|q| q.ggml_type == "Q5_0")
        .unwrap();
    assert_eq!(q50.tensors, 81);
    assert_eq!(q50.support, "fast");
    assert!(
        !info.warnings.iter().any(|w| w.contains("scalar")),
        "{:?}",
        info.warnings
    );
}

#[test]
fn real_files_match_their_manifests() {
    let catalog = Catalog::embedded().unwrap();
    // Under target/ so the import can hard-link instead of copying hundreds of MB.
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let cfg = offline_config(tmp.path());

    if let Some(p) = model("SmolLM2-135M-Instruct.Q4_1.gguf") {
        let out = import(&p, None, &catalog, &cfg).unwrap();
        assert_eq!(out.manifest.as_deref(), Some("smollm2-135m"));
        // Pinned to a commit: it goes where `pyward models pull` would have put it.
        assert_eq!(out.location, ImportLocation::HubCache);
        assert!(out.path.ends_with(
            "models--QuantFactory--SmolLM2-135M-Instruct-GGUF/snapshots/ab810cf68114990406fdf996510dd3d3c6adbdf5/SmolLM2-135M-Instruct.Q4_1.gguf"
        ), "{}", out.path.display());
        let req = ModelRequest {
            name: Some("smollm2-135m".into()),
            offline: true,
            ..Default::default()
        };
        let r = resolve_with(&req, &catalog, &cfg).unwrap();
        assert_eq!(r.manifest.unwrap().tier, 1);
    }
    if let Some(p) = model("gemma-3-270m-q4_k_m.gguf") {
        let out = import(&p, None, &catalog, &cfg).unwrap();
        assert_eq!(out.manifest.as_deref(), Some("gemma3-270m"));
        // Its manifest only knows the branch, so the file is kept in pyward's own store.
        assert_eq!(out.location, ImportLocation::PywardIndex);
        let req = ModelRequest {
            name: Some("gemma3-270m".into()),
            offline: true,
            ..Default::default()
        };
        assert_eq!(resolve_with(&req, &catalog, &cfg).unwrap().path, out.path);
        // `pull` offline accepts the imported copy instead of failing.
        let m = catalog.get("gemma3-270m").unwrap();
        let pulled = pyward::models::pull(m, &cfg, &Default::default()).unwrap();
        assert!(!pulled.downloaded);
        assert_eq!(pulled.path, out.path);
    }
}
