//! pyward's model implementations against candle-transformers' reference implementations on
//! the real SmolLM2 (llama) and Gemma-3-270M (gemma3) GGUF files, plus prefix-cache behaviour.
//!
//! Models come from `PYWARD_MODELS_DIR` (default `<repo>/.models`, filled by
//! `scripts/fetch-models.sh`). Missing models fail the tests unless `PYWARD_SKIP_MODEL_TESTS=1`.
//! Run single-threaded: `cargo test --release --test llm_arch_real -- --test-threads=1`.

use candle_core::quantized::gguf_file::Value;
use candle_core::{Device, Tensor};
use pyward::llm::arch::common::Activation;
use pyward::llm::arch::gemma3::Gemma3Options;
use pyward::llm::arch::transformer::Transformer;
use pyward::llm::arch::{GgufSource, Requantize};
use pyward::llm::load::{load_transformer, open_gguf, KvPrecision, LoadOptions};
use pyward::llm::model::CausalLm;
use std::path::{Path, PathBuf};

const SMOLLM2: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
const GEMMA3: &str = "gemma-3-270m-q4_k_m.gguf";

fn model_path(file: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("PYWARD_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".models"));
    let path = dir.join(file);
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("PYWARD_SKIP_MODEL_TESTS").as_deref() == Ok("1") {
        eprintln!(
            "skipping: {} not found (PYWARD_SKIP_MODEL_TESTS=1)",
            path.display()
        );
        return None;
    }
    panic!(
        "model file {} not found: run scripts/fetch-models.sh, set PYWARD_MODELS_DIR, or set PYWARD_SKIP_MODEL_TESTS=1",
        path.display()
    );
}

/// Token ids of a short Python snippet, looked up by token text in the file's vocabulary so the
/// prompt is realistic without depending on a tokenizer implementation.
fn prompt_ids(path: &Path, words: &[&str]) -> Vec<u32> {
    let (_, content) = open_gguf(path).unwrap();
    let Some(Value::Array(tokens)) = content.metadata.get("tokenizer.ggml.tokens") else {
        panic!("no vocabulary in {}", path.display())
    };
    let texts: Vec<String> = tokens
        .iter()
        .map(|v| v.to_string().cloned().unwrap_or_default())
        .collect();
    let ids: Vec<u32> = words
        .iter()
        .filter_map(|w| texts.iter().position(|t| t == w).map(|i| i as u32))
        .collect();
    assert!(
        ids.len() >= words.len() * 3 / 4,
        "too few prompt words found in the vocabulary: {ids:?}"
    );
    ids
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &x)| {
            if x > bv {
                (i, x)
            } else {
                (bi, bv)
            }
        })
        .0
}

fn mine(path: &Path, prefill_kernel: bool) -> Transformer {
    let opts = LoadOptions {
        requantize: Requantize::Never,
        prefill_kernel,
        ..LoadOptions::default()
    };
    load_transformer(path, &Device::Cpu, &opts).unwrap().0
}

fn tensor_logits(t: Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

const PY_WORDS_SMOL: &[&str] = &[
    "import", "Ġos", "Ċ", "def", "Ġrun", "(", "cmd", "):", "Ċ", "ĠĠĠ", "Ġos", ".", "system", "(",
    "cmd", ")", "Ċ", "def", "Ġload", "(", "path", "):", "Ċ", "ĠĠĠ", "Ġreturn", "Ġopen", "(",
    "path", ")", ".", "read", "()",
];

#[test]
fn smollm2_matches_candle_reference() {
    let Some(path) = model_path(SMOLLM2) else {
        return;
    };
    let ids = prompt_ids(&path, PY_WORDS_SMOL);
    let next = ids[3];

    let (_, content) = open_gguf(&path).unwrap();
    let mut file = std::fs::File::open(&path).unwrap();
    let mut reference = candle_transformers::models::quantized_llama::ModelWeights::from_gguf(
        content,
        &mut file,
        &Device::Cpu,
    )
    .unwrap();
    let input = Tensor::new(ids.as_slice(), &Device::Cpu)
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let ref_prompt = tensor_logits(reference.forward(&input, 0).unwrap());
    let input = Tensor::new(&[next], &Device::Cpu)
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let ref_next = tensor_logits(reference.forward(&input, ids.len()).unwrap());

    // Same kernels as the reference (candle's matmul and attention for prompt and decode step
    // alike) and the same f32 key/value cache: only the model code differs. The later checks
    // run with the default f16 cache.
    let mut exact = mine(&path, false);
    exact.set_kv_precision(KvPrecision::F32);
    exact.set_decode_gemv(false);
    exact.set_fused_decode(false);
    let got_prompt = exact.forward(&ids).unwrap();
    let got_next = exact.forward(&[next]).unwrap();
    let d1 = max_abs_diff(&got_prompt, &ref_prompt);
    let d2 = max_abs_diff(&got_next, &ref_next);
    eprintln!("smollm2 candle kernels: prompt diff {d1}, decode diff {d2}");
    assert!(
        d1 < 1e-2 && d2 < 1e-2,
        "logits differ from candle: {d1} / {d2}"
    );
    assert_eq!(argmax(&got_prompt), argmax(&ref_prompt));
    assert_eq!(argmax(&got_next), argmax(&ref_next));

    // The fused decode step (host attention, vectorized activation) with candle's matmul: the
    // attention sums in another order than candle's GEMM, and the 8-bit activations of the next
    // layers turn such rounding differences into visible, bounded ones.
    let mut loops = mine(&path, false);
    loops.set_decode_gemv(false);
    loops.forward(&ids).unwrap();
    let loops_next = loops.forward(&[next]).unwrap();
    let range = ref_next.iter().fold(0f32, |m, x| m.max(x.abs()));
    let d6 = max_abs_diff(&loops_next, &ref_next);
    eprintln!("smollm2 fused decode step: diff {d6}, logit range {range}");
    assert!(
        d6 < 0.05 * range,
        "fused decode step too far: {d6} (range {range})"
    );
    assert_eq!(argmax(&loops_next), argmax(&ref_next));

    // The prefill kernel skips quantizing activations to 8 bits, so it is close, not equal.
    let mut fast = mine(&path, true);
    let fast_prompt = fast.forward(&ids).unwrap();
    let fast_next = fast.forward(&[next]).unwrap();
    let range = ref_prompt.iter().fold(0f32, |m, x| m.max(x.abs()));
    let d3 = max_abs_diff(&fast_prompt, &ref_prompt);
    let d4 = max_abs_diff(&fast_next, &ref_next);
    eprintln!("smollm2 prefill kernel: prompt diff {d3}, decode diff {d4}, logit range {range}");
    assert!(
        d3 < 0.05 * range && d4 < 0.05 * range,
        "prefill kernel logits too far: {d3} / {d4} (range {range})"
    );
    assert_eq!(argmax(&fast_prompt), argmax(&ref_prompt));
    // The decode step ran on pyward's gemv (f32 activation scales): same greedy token.
    assert_eq!(argmax(&fast_next), argmax(&ref_next));
}

#[test]
fn gemma3_matches_candle_reference() {
    let Some(path) = model_path(GEMMA3) else {
        return;
    };
    let words: Vec<&str> = PY_WORDS_SMOL
        .iter()
        .map(|w| w.trim_start_matches('Ġ'))
        .filter(|w| !w.is_empty() && *w != "Ċ")
        .collect();
    let ids = prompt_ids(&path, &words);
    let (_, content) = open_gguf(&path).unwrap();
    let mut file = std::fs::File::open(&path).unwrap();
    let mut reference = candle_transformers::models::quantized_gemma3::ModelWeights::from_gguf(
        content,
        &mut file,
        &Device::Cpu,
    )
    .unwrap();
    let input = Tensor::new(ids.as_slice(), &Device::Cpu)
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let ref_prompt = tensor_logits(reference.forward(&input, 0).unwrap());
    let input = Tensor::new(&[ids[2]], &Device::Cpu)
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let ref_next = tensor_logits(reference.forward(&input, ids.len()).unwrap());

    // candle's quantized gemma3 gates its feed-forward with SiLU; Gemma 3 (and llama.cpp) use
    // GELU. Compare structure with candle's choice, then check the real model separately.
    let (_, content) = open_gguf(&path).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let mut src = GgufSource::new(&path, &content, file, &Device::Cpu, Requantize::Never);
    let mut silu = pyward::llm::arch::gemma3::load_with(
        &mut src,
        Gemma3Options {
            activation: Activation::Silu,
        },
    )
    .unwrap();
    drop(src);
    silu.set_prefill_min_rows(None);
    silu.set_kv_precision(KvPrecision::F32);
    silu.set_decode_gemv(false);
    let got_prompt = silu.forward(&ids).unwrap();
    let got_next = silu.forward(&[ids[2]]).unwrap();
    let d1 = max_abs_diff(&got_prompt, &ref_prompt);
    let d2 = max_abs_diff(&got_next, &ref_next);
    eprintln!("gemma3 (silu) candle kernels: prompt diff {d1}, decode diff {d2}");
    assert!(
        d1 < 2e-2 && d2 < 2e-2,
        "logits differ from candle: {d1} / {d2}"
    );
    assert_eq!(argmax(&got_prompt), argmax(&ref_prompt));
    assert_eq!(argmax(&got_next), argmax(&ref_next));

    // pyward's gemv keeps activation scales in f32 (candle: f16): close, same greedy token.
    // (The cache stays f32 here; `f16_cache_keeps_what_the_models_predict` checks the f16 one.)
    silu.truncate_cache(0);
    silu.set_decode_gemv(true);
    silu.forward(&ids).unwrap();
    let fused_next = silu.forward(&[ids[2]]).unwrap();
    let range = ref_next.iter().fold(0f32, |m, x| m.max(x.abs()));
    let d5 = max_abs_diff(&fused_next, &ref_next);
    eprintln!("gemma3 (silu) pyward gemv: decode diff {d5}, logit range {range}");
    assert!(
        d5 < 0.05 * range,
        "gemv decode logits too far: {d5} (range {range})"
    );
    // This SiLU variant is not the trained model, and its next-token logits are a near tie
    // (the reference's top three lie within 0.21 of 15.46): a summation order alone can pick
    // another of them (measured: with one thread, token 4503, which the reference puts at
    // 15.15). The pick must be one the reference ranks within the measured difference of its
    // top; the real models' greedy text is checked exactly elsewhere.
    let top = ref_next.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x));
    let pick = argmax(&fused_next);
    assert!(
        ref_next[pick] >= top - d5,
        "gemv decode picked token {pick}, which the reference puts at {} against its top {top}",
        ref_next[pick]
    );
}

/// Mean negative log-likelihood of each next token of `ids`, feeding one token at a time.
fn mean_nll(model: &mut dyn CausalLm, ids: &[u32]) -> f32 {
    let mut total = 0.0;
    for w in 0..ids.len() - 1 {
        let logits = model.forward(&ids[w..w + 1]).unwrap();
        let max = logits.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        let lse = max + logits.iter().map(|x| (x - max).exp()).sum::<f32>().ln();
        total += lse - logits[ids[w + 1] as usize];
    }
    total / (ids.len() - 1) as f32
}

#[test]
fn gemma3_gelu_fits_natural_text_better_than_silu() {
    let Some(path) = model_path(GEMMA3) else {
        return;
    };
    let words = [
        "<bos>", "The", "▁quick", "▁brown", "▁fox", "▁jumps", "▁over", "▁the", "▁lazy", "▁dog", ".",
    ];
    let ids = prompt_ids(&path, &words);
    assert_eq!(
        ids.len(),
        words.len(),
        "sentence tokens missing from the vocabulary"
    );
    let mut gelu = mine(&path, true);
    let (_, content) = open_gguf(&path).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let mut src = GgufSource::new(&path, &content, file, &Device::Cpu, Requantize::Never);
    let mut silu = pyward::llm::arch::gemma3::load_with(
        &mut src,
        Gemma3Options {
            activation: Activation::Silu,
        },
    )
    .unwrap();
    drop(src);
    let (g, s) = (mean_nll(&mut gelu, &ids), mean_nll(&mut silu, &ids));
    eprintln!("gemma3 mean NLL: gelu {g:.3}, silu {s:.3}");
    assert!(
        g < s,
        "GELU should model text better than SiLU (gelu {g}, silu {s})"
    );
    assert!(g < 4.0, "mean NLL {g} too high for a well-known sentence");
}

/// The prefix cache and truncation, with both cache precisions. A prompt split in two runs
/// the same arithmetic as the whole prompt only up to the order of some sums (matrix shapes
/// differ), and this model's 8-bit activations turn a last-bit difference into a visible one
/// now and then. With this prompt and split the f32 cache happens to give identical logits, so
/// there the check is strict; the f16 cache gets the same tolerance as the decode step. A
/// truncated cache that runs the same tokens again must give the same logits bit for bit.
#[test]
fn smollm2_prefix_cache_and_truncate_reproduce_logits() {
    let Some(path) = model_path(SMOLLM2) else {
        return;
    };
    let ids = prompt_ids(&path, PY_WORDS_SMOL);
    for precision in [KvPrecision::F32, KvPrecision::F16] {
        let mut model = mine(&path, true);
        model.set_kv_precision(precision);
        let all = model.forward(&ids).unwrap();
        assert_eq!(model.cache_len(), ids.len());
        let range = all.iter().fold(0f32, |m, x| m.max(x.abs()));
        let tolerance = match precision {
            KvPrecision::F32 => 1e-3,
            KvPrecision::F16 => 0.05 * range,
        };

        let split = ids.len() - 10;
        model.truncate_cache(0);
        assert_eq!(model.cache_len(), 0);
        model.forward(&ids[..split]).unwrap();
        let rest = model.forward(&ids[split..]).unwrap();
        let d = max_abs_diff(&all, &rest);
        eprintln!("{precision:?} prefix+rest vs all: {d} (range {range})");
        assert!(d < tolerance, "prefix cache changed the logits by {d}");
        assert_eq!(argmax(&all), argmax(&rest));

        // Truncate back to the prefix and run a different continuation, then the original
        // again: the same arithmetic as `rest`.
        model.truncate_cache(split);
        assert_eq!(model.cache_len(), split);
        model.forward(&ids[..5]).unwrap();
        model.truncate_cache(split);
        let again = model.forward(&ids[split..]).unwrap();
        assert_eq!(again, rest, "truncate + re-forward changed the logits");

        // Token by token decode equals the batched forward.
        model.truncate_cache(split);
        let mut last = Vec::new();
        for &t in &ids[split..] {
            last = model.forward(&[t]).unwrap();
        }
        let d = max_abs_diff(&all, &last);
        eprintln!("{precision:?} token-by-token vs batched: {d}");
        assert!(d < 0.05 * range, "token-by-token logits differ by {d}");
        assert_eq!(argmax(&all), argmax(&last));
    }
}

#[test]
fn smollm2_context_overflow_is_a_typed_error() {
    let Some(path) = model_path(SMOLLM2) else {
        return;
    };
    let mut model = mine(&path, true);
    let limit = model.context_length();
    let err = model.forward(&vec![1u32; limit + 1]).unwrap_err();
    match err {
        pyward::llm::model::ModelError::ContextOverflow { needed, limit: l } => {
            assert_eq!((needed, l), (limit + 1, limit));
        }
        other => panic!("expected ContextOverflow, got {other}"),
    }
    assert_eq!(
        model.cache_len(),
        0,
        "a rejected forward must not touch the cache"
    );
}

/// The f16 key/value cache against the f32 one on both real models, feeding a Python snippet
/// one token at a time (the fused decode step and its attention over the cache): the mean
/// negative log-likelihood of the text moves by little, and the greedy prediction stays the
/// same at nearly every position.
///
/// Measured here (Intel Xeon): SmolLM2 2.971 → 2.960 nats, 31 of 31 picks equal; Gemma-3-270M
/// (on this snippet without its spaces and newlines, text it finds unlikely) 5.276 → 5.165,
/// 23 of 25. For scale, the same f32 run with candle's matmul in place of pyward's decode
/// kernels gives 2.947 and 5.216: the f16 cache moves the result about as much as another
/// summation order does.
#[test]
fn f16_cache_keeps_what_the_models_predict() {
    for (file, words) in [(SMOLLM2, PY_WORDS_SMOL.to_vec()), (GEMMA3, gemma_words())] {
        let Some(path) = model_path(file) else {
            return;
        };
        let ids = prompt_ids(&path, &words);
        let mut model = mine(&path, true);
        let mut run = |precision| {
            model.set_kv_precision(precision);
            let mut nll = 0.0;
            let mut picks = Vec::new();
            for w in 0..ids.len() - 1 {
                let logits = model.forward(&ids[w..w + 1]).unwrap();
                let max = logits.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
                let lse = max + logits.iter().map(|x| (x - max).exp()).sum::<f32>().ln();
                nll += lse - logits[ids[w + 1] as usize];
                picks.push(argmax(&logits));
            }
            (nll / (ids.len() - 1) as f32, picks)
        };
        let (nll32, picks32) = run(KvPrecision::F32);
        let (nll16, picks16) = run(KvPrecision::F16);
        let same = picks32.iter().zip(&picks16).filter(|(a, b)| a == b).count();
        eprintln!(
            "{file}: mean NLL f32 {nll32:.4}, f16 {nll16:.4}; greedy picks equal at {same} of {}",
            picks32.len()
        );
        assert!(
            (nll16 - nll32).abs() < 0.15,
            "{file}: the f16 cache moved the mean NLL from {nll32} to {nll16}"
        );
        assert!(
            same * 5 >= picks32.len() * 4,
            "{file}: greedy picks equal at only {same} of {}",
            picks32.len()
        );
    }
}

fn gemma_words() -> Vec<&'static str> {
    PY_WORDS_SMOL
        .iter()
        .map(|w| w.trim_start_matches('Ġ'))
        .filter(|w| !w.is_empty() && *w != "Ċ")
        .collect()
}
