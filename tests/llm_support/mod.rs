//! Shared helpers of the runtime's tests: finding the real model files, reading GGUF metadata.
#![allow(dead_code)]

use std::path::PathBuf;

use candle_core::quantized::gguf_file::Content;

pub const SMOLLM2: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
pub const GEMMA3: &str = "gemma-3-270m-q4_k_m.gguf";

/// The path of a model file in `PYWARD_MODELS_DIR` (default `<repo>/.models`). `None` only when
/// `PYWARD_SKIP_MODEL_TESTS=1`; otherwise a missing file fails the test with directions.
pub fn model_path(file: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("PYWARD_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".models"));
    let path = dir.join(file);
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

/// The GGUF metadata of a model file (tensors are not read).
pub fn metadata(path: &std::path::Path) -> Content {
    let mut f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Content::read(&mut f).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `n` pseudo-random values in [-1, 1) from `seed` (a 64-bit LCG): test weights and inputs.
pub fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}
