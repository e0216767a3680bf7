//! Writes a random-weight GGUF with the exact shapes of a real model, for speed measurements of
//! architectures whose weights cannot be downloaded here (the GPU run of `models bench` uses it).
//! The weights are noise, so the text is meaningless, but every matrix has the real size and
//! quantization, so prefill and decode do the same work per token as the real file.
//!
//! `cargo run --release --example random_gguf -- PRESET OUT.gguf [--dtype q4_k_m|q4k|q8_0|q4_0]
//!  [--tokenizer FROM.gguf]`
//!
//! The tokenizer metadata (vocabulary, merges, special ids) is copied from `FROM.gguf` (default
//! `.models/SmolLM2-135M-Instruct.Q4_1.gguf`, `$PYWARD_MODELS_DIR` if set), padded to the
//! preset's vocabulary with `[PADi]` tokens as llama.cpp's converter pads, with
//! `tokenizer.ggml.pre = "qwen2"`: llama.cpp's `llama-bench` loads the file, so both engines
//! can be compared on it. Without that file the model has no tokenizer (pyward still loads it).
//!
//! Presets (dimensions from the models' published configs):
//! - `qwen2.5-coder-1.5b`: 28 layers, hidden 1536, 12 query / 2 key-value heads of 128, FFN 8960
//! - `qwen2.5-coder-7b`: 28 layers, hidden 3584, 28 query / 4 key-value heads of 128, FFN 18944
//!
//! Layers share one set of weights (`TinySpec::share_layers`) so writing takes seconds; the
//! file still stores every layer, so bytes read per token are those of the real model.
//! `q4_k_m` (the default) mixes Q6_K into Q4_K as llama.cpp's Q4_K_M does (`attn_v` and
//! `ffn_down` of 14 of 28 layers, and the output head; the real 1.5B file ties the output to a
//! Q6_K embedding, here `output.weight` is a separate Q6_K tensor: the same bytes per token).

use candle_core::quantized::GgmlDType;
use pyward::llm::testing::{resize_vocab, tokenizer_metadata_from, write_tiny_gguf, TinySpec};
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
    let (mut dtype, mut mix) = (GgmlDType::Q4K, true);
    let models = std::env::var("PYWARD_MODELS_DIR").unwrap_or_else(|_| ".models".into());
    let mut tokenizer = PathBuf::from(models).join("SmolLM2-135M-Instruct.Q4_1.gguf");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--dtype" {
            (dtype, mix) = match it.next().map(String::as_str) {
                Some("q4_k_m") => (GgmlDType::Q4K, true),
                Some("q4k") => (GgmlDType::Q4K, false),
                Some("q8_0") => (GgmlDType::Q8_0, false),
                Some("q4_0") => (GgmlDType::Q4_0, false),
                other => fail(&format!(
                    "--dtype takes q4_k_m, q4k, q8_0 or q4_0, got {other:?}"
                )),
            };
        } else if a == "--tokenizer" {
            let Some(p) = it.next() else {
                fail("--tokenizer needs a GGUF file")
            };
            tokenizer = PathBuf::from(p);
        } else {
            positional.push(a.clone());
        }
    }
    let [name, out] = positional.as_slice() else {
        fail("usage: random_gguf PRESET OUT.gguf [--dtype q4_k_m|q4k|q8_0|q4_0] [--tokenizer FROM.gguf]")
    };
    let Some(mut spec) = preset(name) else {
        fail(&format!(
            "unknown preset {name}: qwen2.5-coder-1.5b or qwen2.5-coder-7b"
        ))
    };
    spec.dtype = dtype;
    spec.q4_k_m = mix;
    let tok = if tokenizer.is_file() {
        let mut tok = tokenizer_metadata_from(&tokenizer)
            .unwrap_or_else(|e| fail(&format!("{}: {e}", tokenizer.display())));
        resize_vocab(&mut tok, spec.vocab, "qwen2").unwrap_or_else(|e| fail(&e));
        Some(tok)
    } else {
        eprintln!(
            "random_gguf: no {}: writing no tokenizer (llama.cpp will not load the file)",
            tokenizer.display()
        );
        None
    };
    let out = PathBuf::from(out);
    let start = std::time::Instant::now();
    if let Err(e) = write_tiny_gguf(&out, &spec, tok.as_deref()) {
        fail(&format!("{}: {e}", out.display()))
    }
    let bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "random_gguf: wrote {} ({:.2} GB, {name}, {dtype:?}{}) in {:.1} s",
        out.display(),
        bytes as f64 / 1e9,
        if mix { " with Q6_K as in Q4_K_M" } else { "" },
        start.elapsed().as_secs_f64()
    );
}
