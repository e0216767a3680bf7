//! Writes a random-weight GGUF with the exact shapes of a real model, for speed measurements of
//! architectures whose weights cannot be downloaded here (the GPU run of `models bench` uses it).
//! The weights are noise, so the text is meaningless, but every matrix has the real size and
//! quantization, so prefill and decode do the same work per token as the real file.
//!
//! `cargo run --release --example random_gguf -- PRESET OUT.gguf [--dtype q4k|q8_0|q4_0]`
//!
//! Presets (dimensions from the models' published configs):
//! - `qwen2.5-coder-1.5b`: 28 layers, hidden 1536, 12 query / 2 key-value heads of 128, FFN 8960
//! - `qwen2.5-coder-7b`: 28 layers, hidden 3584, 28 query / 4 key-value heads of 128, FFN 18944
//!
//! Layers share one set of weights (`TinySpec::share_layers`) so writing takes seconds; the
//! file still stores every layer, so bytes read per token are those of the real model. The real
//! Q4_K_M files mix in Q6_K for a few tensors; here every matrix uses the chosen type.

use candle_core::quantized::GgmlDType;
use pyward::llm::testing::{write_tiny_gguf, TinySpec};
use std::path::PathBuf;

fn preset(name: &str) -> Option<TinySpec> {
    let mut s = TinySpec::new("qwen2");
    let (hidden, heads, kv_heads, ffn, vocab) = match name {
        "qwen2.5-coder-1.5b" => (1536, 12, 2, 8960, 151_936),
        "qwen2.5-coder-7b" => (3584, 28, 4, 18944, 152_064),
        _ => return None,
    };
    s.layers = 28;
    s.hidden = hidden;
    s.heads = heads;
    s.kv_heads = kv_heads;
    s.head_dim = 128;
    s.ffn = ffn;
    s.vocab = vocab;
    s.context_length = 32768;
    s.share_layers = true;
    Some(s)
}

fn fail(msg: &str) -> ! {
    eprintln!("random_gguf: {msg}");
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut positional = Vec::new();
    let mut dtype = GgmlDType::Q4K;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--dtype" {
            dtype = match it.next().map(String::as_str) {
                Some("q4k") => GgmlDType::Q4K,
                Some("q8_0") => GgmlDType::Q8_0,
                Some("q4_0") => GgmlDType::Q4_0,
                other => fail(&format!("--dtype takes q4k, q8_0 or q4_0, got {other:?}")),
            };
        } else {
            positional.push(a.clone());
        }
    }
    let [name, out] = positional.as_slice() else {
        fail("usage: random_gguf PRESET OUT.gguf [--dtype q4k|q8_0|q4_0]")
    };
    let Some(mut spec) = preset(name) else {
        fail(&format!(
            "unknown preset {name}: qwen2.5-coder-1.5b or qwen2.5-coder-7b"
        ))
    };
    spec.dtype = dtype;
    let out = PathBuf::from(out);
    let start = std::time::Instant::now();
    if let Err(e) = write_tiny_gguf(&out, &spec, None) {
        fail(&format!("{}: {e}", out.display()))
    }
    let bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "random_gguf: wrote {} ({:.2} GB, {name}, {dtype:?}) in {:.1} s",
        out.display(),
        bytes as f64 / 1e9,
        start.elapsed().as_secs_f64()
    );
}
