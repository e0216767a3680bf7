//! `pyward models bench`: prompt-processing and generation speed of a GGUF model on this
//! machine, measured the way llama.cpp's `llama-bench` does (a synthetic prompt of N tokens,
//! then M greedily decoded tokens).

use crate::llm::load::{load_transformer, LoadOptions};
use crate::llm::model::{CausalLm, ModelError};
use candle_core::{Device, DeviceLocation};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Prompt length processed in one forward call.
    pub prompt_tokens: usize,
    /// Tokens decoded one at a time after the prompt.
    pub gen_tokens: usize,
    /// CPU threads (`None`: current setting).
    pub threads: Option<usize>,
    /// How to load the model (requantization, prefill kernel).
    pub load: LoadOptions,
    /// Where the model runs (see [`crate::device::open`]).
    pub device: Device,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            prompt_tokens: 512,
            gen_tokens: 128,
            threads: None,
            load: LoadOptions::default(),
            device: Device::Cpu,
        }
    }
}

/// Measured speeds.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub model: PathBuf,
    pub arch: String,
    /// `cpu` or `cuda:N`.
    pub device: String,
    /// CPU threads (on a GPU they only run the sampling and the host side).
    pub threads: usize,
    pub prompt_tokens: usize,
    pub gen_tokens: usize,
    /// Time to open and load the weights.
    pub load_ms: f64,
    /// Prompt tokens per second (one batched forward).
    pub prefill_tok_s: f64,
    /// Generated tokens per second (one token per forward).
    pub decode_tok_s: f64,
    /// Bytes of quantized weights read per decoded token (every projection, the output one
    /// included; not the key/value cache).
    pub decode_weight_bytes: usize,
    /// Those bytes times the decode rate, in GB/s (10⁹ bytes): how close decode runs to the
    /// machine's memory bandwidth.
    pub decode_weight_gb_s: f64,
    /// Bytes of keys and values a decoded token reads from the cache, averaged over the decoded
    /// tokens (each reads every earlier position of every layer, a sliding window at most).
    pub decode_kv_bytes: usize,
    /// Weights and cache bytes together times the decode rate, in GB/s: everything a decoded
    /// token must read from memory.
    pub decode_gb_s: f64,
    /// Time to first token: the prompt forward plus picking the first token.
    pub ttft_ms: f64,
    /// FNV-1a hash of the greedily decoded tokens (hex): equal across runs, thread counts and
    /// kernel paths when they pick the same tokens.
    pub decode_tokens_hash: String,
    /// Peak resident memory of the process, if the OS reports it.
    pub peak_rss_mb: Option<f64>,
    /// Tensors converted to Q8_0 at load.
    pub requantized_tensors: usize,
    pub warnings: Vec<String>,
}

/// Deterministic prompt tokens spread over the vocabulary (like llama-bench's random prompt).
fn synthetic_prompt(n: usize, vocab: usize) -> Vec<u32> {
    let mut s: u64 = 0x5eed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) % (vocab as u64).max(1)) as u32
        })
        .collect()
}

fn argmax(v: &[f32]) -> u32 {
    let mut best = (0usize, f32::NEG_INFINITY);
    for (i, &x) in v.iter().enumerate() {
        if x > best.1 {
            best = (i, x);
        }
    }
    best.0 as u32
}

/// `cpu` or `cuda:N`, as `--device` spells it.
fn device_label(device: &Device) -> String {
    match device.location() {
        DeviceLocation::Cuda { gpu_id } => format!("cuda:{gpu_id}"),
        DeviceLocation::Cpu => "cpu".to_string(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// Peak resident set size (`VmHWM`) in MiB on Linux.
pub fn peak_rss_mb() -> Option<f64> {
    let bytes = crate::llm::procfs::kb_field("/proc/self/status", "VmHWM")?;
    Some(bytes as f64 / (1024.0 * 1024.0))
}

/// Loads the model at `model_path` on `opts.device` and measures prefill and decode speed. Every
/// forward returns its logits to the host, so a GPU's work is finished when the clock is read.
pub fn bench(model_path: &Path, opts: &BenchOptions) -> Result<BenchReport, ModelError> {
    let mut load = opts.load.clone();
    if opts.threads.is_some() {
        load.threads = opts.threads;
    }
    let start = Instant::now();
    let (mut model, _content, requantized, warnings) =
        load_transformer(model_path, &opts.device, &load)?;
    let load_ms = start.elapsed().as_secs_f64() * 1e3;
    let needed = opts.prompt_tokens + opts.gen_tokens;
    if needed > model.context_length() {
        return Err(ModelError::ContextOverflow {
            needed,
            limit: model.context_length(),
        });
    }
    if opts.prompt_tokens == 0 {
        return Err(ModelError::Message(
            "bench needs at least one prompt token".into(),
        ));
    }
    let prompt = synthetic_prompt(opts.prompt_tokens, model.vocab_size());
    // Warm up thread pools and weight repacking on a short forward, then start clean.
    model.forward(&prompt[..prompt.len().min(16)])?;
    model.forward(&prompt[..1])?;
    model.truncate_cache(0);

    let t0 = Instant::now();
    let logits = model.forward(&prompt)?;
    let mut next = argmax(&logits);
    let prefill = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for _ in 0..opts.gen_tokens {
        let logits = model.forward(&[next])?;
        next = argmax(&logits);
        hash = (hash ^ next as u64).wrapping_mul(0x100_0000_01b3);
    }
    let decode = t1.elapsed().as_secs_f64();
    let decode_tok_s = if opts.gen_tokens == 0 {
        0.0
    } else {
        opts.gen_tokens as f64 / decode.max(1e-9)
    };
    let decode_weight_bytes = model.decode_weight_bytes();
    let decode_kv_bytes = (0..opts.gen_tokens)
        .map(|i| model.decode_kv_bytes(opts.prompt_tokens + i + 1))
        .sum::<usize>()
        .checked_div(opts.gen_tokens)
        .unwrap_or(0);
    Ok(BenchReport {
        model: model_path.to_path_buf(),
        arch: model.config().arch.clone(),
        device: device_label(&opts.device),
        threads: crate::llm::kernels::threads(),
        prompt_tokens: opts.prompt_tokens,
        gen_tokens: opts.gen_tokens,
        load_ms,
        prefill_tok_s: opts.prompt_tokens as f64 / prefill.max(1e-9),
        decode_tok_s,
        decode_weight_bytes,
        decode_tokens_hash: format!("{hash:016x}"),
        decode_weight_gb_s: decode_weight_bytes as f64 * decode_tok_s / 1e9,
        decode_kv_bytes,
        decode_gb_s: (decode_weight_bytes + decode_kv_bytes) as f64 * decode_tok_s / 1e9,
        ttft_ms: prefill * 1e3,
        peak_rss_mb: peak_rss_mb(),
        requantized_tensors: requantized.len(),
        warnings,
    })
}
