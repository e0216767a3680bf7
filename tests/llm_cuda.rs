//! The CUDA device against the CPU, on a machine with an NVIDIA GPU: the same GGUF loaded on
//! both must give the same logits (within quantization noise), the same greedy text, and valid
//! constrained JSON. Compiled only with `--features cuda`; CI has no GPU and builds without it.
//! Run on a GPU machine with
//! `cargo test --release --features cuda --test llm_cuda` (scripts/build-cuda.sh sets up nvcc).
#![cfg(feature = "cuda")]

mod llm_support;

use candle_core::quantized::GgmlDType;
use candle_core::Device;
use pyward::device::DeviceSpec;
use pyward::llm::load::{load_gguf, LoadOptions};
use pyward::llm::model::CausalLm;
use pyward::llm::testing::{write_tiny_gguf, TinySpec};
use pyward::llm::{ChatMessage, GenOptions, Runtime, RuntimeOptions};
use std::path::Path;

const ARCHS: &[&str] = &["llama", "qwen2", "qwen3", "gemma3"];

fn gpu() -> Device {
    pyward::device::open(DeviceSpec::Cuda(0))
        .unwrap_or_else(|e| panic!("this test needs a CUDA GPU: {e}"))
}

fn load(path: &Path, device: &Device) -> Box<dyn CausalLm> {
    load_gguf(path, device, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .model
}

fn argmax(v: &[f32]) -> u32 {
    v.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &x)| {
            if x > bv {
                (i, x)
            } else {
                (bi, bv)
            }
        })
        .0 as u32
}

/// Largest minus second-largest logit: how clear the greedy choice is.
fn top_margin(v: &[f32]) -> f32 {
    let (mut a, mut b) = (f32::NEG_INFINITY, f32::NEG_INFINITY);
    for &x in v {
        if x > a {
            b = a;
            a = x;
        } else if x > b {
            b = x;
        }
    }
    a - b
}

/// Largest difference between the two devices' logits, as a fraction of the CPU logits' range.
fn relative_diff(cpu: &[f32], gpu: &[f32]) -> f32 {
    assert_eq!(cpu.len(), gpu.len(), "vocabulary sizes differ");
    assert!(
        gpu.iter().all(|x| x.is_finite()),
        "non-finite logits on the GPU"
    );
    let (lo, hi) = cpu
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &x| {
            (l.min(x), h.max(x))
        });
    let diff = cpu
        .iter()
        .zip(gpu)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    diff / (hi - lo).max(1e-6)
}

/// Both devices quantize activations differently for single tokens (pyward's Q8 rows on the
/// CPU, candle's Q8_1 on CUDA) and sum in different orders, so logits agree to a few percent of
/// their range; a wrong mask, rotary phase or cache offset moves them by the whole range. (Within
/// this bound the greedy token can only differ where the CPU's top two are within twice the
/// difference, so the logits are what is checked; both devices are fed the CPU's tokens.)
const TOLERANCE: f32 = 0.05;

#[test]
fn tiny_models_on_cuda_match_the_cpu() {
    let dir = tempfile::tempdir().unwrap();
    let gpu = gpu();
    for arch in ARCHS {
        for dtype in [
            GgmlDType::Q8_0,
            GgmlDType::Q4_0,
            GgmlDType::Q4K,
            GgmlDType::Q6K,
        ] {
            let mut spec = TinySpec::new(arch);
            // K-quants need rows of 256; 24 prompt tokens pass gemma3's window of 8.
            (
                spec.hidden,
                spec.ffn,
                spec.heads,
                spec.kv_heads,
                spec.head_dim,
            ) = (256, 512, 8, 4, 32);
            spec.dtype = dtype;
            let path = dir.path().join(format!("{arch}-{dtype:?}.gguf"));
            write_tiny_gguf(&path, &spec, None).unwrap();
            let (mut c, mut g) = (load(&path, &Device::Cpu), load(&path, &gpu));
            let what = format!("{arch} {dtype:?}");
            let prompt: Vec<u32> = (0..24u32)
                .map(|i| (i * 37 + 11) % spec.vocab as u32)
                .collect();

            let (mut lc, mut lg) = (c.forward(&prompt).unwrap(), g.forward(&prompt).unwrap());
            let d = relative_diff(&lc, &lg);
            assert!(
                d <= TOLERANCE,
                "{what}: prefill logits differ by {d:.4} of their range"
            );
            let mut worst = d;
            for step in 0..20 {
                let t = argmax(&lc);
                (lc, lg) = (c.forward(&[t]).unwrap(), g.forward(&[t]).unwrap());
                let d = relative_diff(&lc, &lg);
                assert!(
                    d <= TOLERANCE,
                    "{what}: decode step {step} logits differ by {d:.4} of their range"
                );
                worst = worst.max(d);
            }

            // The prefix cache on the GPU: cut back to 10 tokens, feed the rest again, and get
            // the same last logits as the uncut run on the same device.
            g.truncate_cache(0);
            let full = g.forward(&prompt).unwrap();
            g.truncate_cache(10);
            let resumed = g.forward(&prompt[10..]).unwrap();
            let d = relative_diff(&full, &resumed);
            assert!(
                d <= 1e-4,
                "{what}: GPU prefix cache resumes with logits {d:.6} of the range away"
            );
            eprintln!("{what}: worst CPU/GPU difference {worst:.4} of the logit range");
        }
    }
}

/// Greedy decoding from `prompt` gives the same tokens on both devices, up to the first step
/// where the CPU's choice is a near tie (where rounding may legitimately pick the other).
/// Returns how many tokens agreed.
fn greedy_agreement(path: &Path, prompt: &[u32], steps: usize) -> usize {
    let (mut c, mut g) = (load(path, &Device::Cpu), load(path, &gpu()));
    let (mut lc, mut lg) = (c.forward(prompt).unwrap(), g.forward(prompt).unwrap());
    let mut agreed = 0;
    for step in 0..steps {
        let (tc, tg) = (argmax(&lc), argmax(&lg));
        if tc != tg {
            let margin = top_margin(&lc);
            assert!(
                margin < 0.5,
                "step {step}: CPU picks {tc}, GPU {tg}, though the CPU's margin is {margin:.3}"
            );
            eprintln!("diverged at a near tie (margin {margin:.3}) after {agreed} tokens");
            break;
        }
        agreed += 1;
        (lc, lg) = (c.forward(&[tc]).unwrap(), g.forward(&[tc]).unwrap());
    }
    eprintln!(
        "{}: {agreed} greedy tokens identical on CPU and GPU",
        path.display()
    );
    agreed
}

#[test]
fn smollm2_greedy_text_matches_the_cpu() {
    let Some(path) = llm_support::model_path(llm_support::SMOLLM2) else {
        return;
    };
    let rt = Runtime::load(&path, &RuntimeOptions::default()).unwrap();
    let prompt = rt
        .prompt_ids(&[ChatMessage::user(
            "Is `subprocess.call(cmd, shell=True)` safe when cmd comes from a web form?",
        )])
        .unwrap();
    assert!(greedy_agreement(&path, &prompt, 48) >= 8);
}

/// Gemma 3 (a base model: plain text, no chat template) past its 512-token sliding window, so
/// the GPU's local and global attention layers are both exercised on real weights.
#[test]
fn gemma3_greedy_text_matches_the_cpu() {
    let Some(path) = llm_support::model_path(llm_support::GEMMA3) else {
        return;
    };
    let (_, content) = pyward::llm::load::open_gguf(&path).unwrap();
    let tokenizer = pyward::llm::tokenizer::TextTokenizer::for_model(&content, &path).unwrap();
    let code = "import os, subprocess, sqlite3, pickle\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n\n\
                def find(db, name):\n    return db.execute(\"SELECT * FROM users WHERE name = '\" + name + \"'\")\n\n\
                def load(blob):\n    return pickle.loads(blob)\n\n";
    let mut prompt = tokenizer.encode_prompt(&code.repeat(12)).unwrap();
    prompt.truncate(700);
    assert!(
        prompt.len() > 600,
        "prompt of {} tokens does not pass the window",
        prompt.len()
    );
    assert!(greedy_agreement(&path, &prompt, 32) >= 8);
}

/// The whole runtime (chat template, llguidance masks, prefix cache) on the GPU: JSON that
/// matches the schema, deterministic across two runs, and the second run takes every whole
/// prefill chunk of its prompt from the cache.
#[test]
fn smollm2_constrained_json_on_cuda() {
    let Some(path) = llm_support::model_path(llm_support::SMOLLM2) else {
        return;
    };
    let opts = RuntimeOptions {
        device: gpu(),
        ..RuntimeOptions::default()
    };
    let mut rt = Runtime::load(&path, &opts).unwrap();
    let schema = serde_json::json!({
        "type": "object",
        "properties": {
            "vulnerable": {"type": "boolean"},
            "cwe": {"type": "string", "maxLength": 12},
            "lines": {"type": "array", "items": {"type": "integer"}, "maxItems": 4}
        },
        "required": ["vulnerable", "cwe", "lines"],
        "additionalProperties": false
    });
    let messages = |code: &str| {
        vec![
            ChatMessage::system(
                "You review Python code for security vulnerabilities. For the snippet the user sends, \
                 decide whether it is vulnerable, give the most specific CWE identifier (for example \
                 CWE-78 for OS command injection, CWE-89 for SQL injection, CWE-94 for code injection, \
                 CWE-502 for unsafe deserialization), and list the line numbers of the vulnerable \
                 statements. Answer with one JSON object and nothing else.",
            ),
            ChatMessage::user(format!("```python\n{code}\n```")),
        ]
    };
    let gen = GenOptions {
        max_tokens: 96,
        ..GenOptions::default()
    };
    let first = rt
        .complete_json_value(&messages("import os\nos.system(input())"), &schema, &gen)
        .unwrap();
    for key in ["vulnerable", "cwe", "lines"] {
        assert!(
            first.value.get(key).is_some(),
            "missing {key} in {}",
            first.text
        );
    }
    let second = rt
        .complete_json_value(&messages("import os\nos.system(input())"), &schema, &gen)
        .unwrap();
    assert_eq!(
        first.text, second.text,
        "greedy output changed between two runs on the GPU"
    );
    // The system message is a reusable prefix: it comes from the cache, and at most the last
    // prefill batch is computed again.
    let chunk = pyward::llm::runtime::PREFILL_CHUNK;
    let recomputed = second.prompt_tokens - second.cached_prompt_tokens;
    assert!(second.cached_prompt_tokens > 0, "{second:?}");
    assert!(
        (1..=chunk).contains(&recomputed),
        "{recomputed} tokens recomputed"
    );
    eprintln!(
        "GPU answer: {} ({} tokens, prefill {:.1} ms, decode {:.1} ms)",
        first.text, first.completion_tokens, first.prefill_ms, first.decode_ms
    );
}
