//! Prefill micro-benchmarks: pyward's batched kernel against candle's quantized matmul on
//! SmolLM2-sized projections, and a whole prompt forward on a tiny random model.
//!
//! `cargo bench --bench prefill` (a plain timing harness: median of repeated runs).

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};
use pyward::llm::kernels::QLinear;
use pyward::llm::load::{load_gguf, LoadOptions};
use pyward::llm::testing::{write_tiny_gguf, TinySpec};
use std::sync::Arc;
#[path = "support/timing.rs"]
mod timing;

fn median_ms(f: impl FnMut(), reps: usize) -> f64 {
    timing::median_secs(f, reps) * 1e3
}

fn values(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0)
        .collect()
}

fn main() {
    let dev = Device::Cpu;
    let m = 512;
    for dtype in [
        GgmlDType::Q8_0,
        GgmlDType::Q4_0,
        GgmlDType::Q4K,
        GgmlDType::Q6K,
        GgmlDType::Q4_1,
    ] {
        // SmolLM2's shapes; K-quants need rows that are a multiple of 256.
        let shapes = if dtype.block_size() == 256 {
            [(1536usize, 768usize), (768, 1536)]
        } else {
            [(1536, 576), (576, 1536)]
        };
        for (n, k) in shapes {
            let w = Tensor::from_vec(values(n * k), (n, k), &dev).unwrap();
            let q = Arc::new(QTensor::quantize(&w, dtype).unwrap());
            let x = Tensor::from_vec(values(m * k), (m, k), &dev).unwrap();
            let candle = QMatMul::from_arc(q.clone()).unwrap();
            let ours = QLinear::new(q, None).unwrap();
            let t_candle = median_ms(|| drop(candle.forward(&x).unwrap()), 5);
            let t_ours = median_ms(|| drop(ours.forward(&x).unwrap()), 5);
            let gflop = 2.0 * (m * n * k) as f64 / 1e9;
            println!(
                "{dtype:?} {m}x{k} · {k}x{n}: candle {t_candle:.1} ms ({:.1} GFLOP/s), pyward {t_ours:.1} ms ({:.1} GFLOP/s), {:.2}x",
                gflop / (t_candle / 1e3),
                gflop / (t_ours / 1e3),
                t_candle / t_ours
            );
        }
    }
    let dir = std::env::temp_dir().join(format!("pyward-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut spec = TinySpec::new("llama");
    spec.hidden = 256;
    spec.ffn = 768;
    spec.layers = 4;
    spec.context_length = 1024;
    let path = dir.join("tiny.gguf");
    write_tiny_gguf(&path, &spec, None).unwrap();
    for kernel in [false, true] {
        let opts = LoadOptions {
            prefill_kernel: kernel,
            ..Default::default()
        };
        let mut model = load_gguf(&path, &dev, &opts).unwrap().model;
        let prompt: Vec<u32> = (0..512u32).map(|i| i * 13 % spec.vocab as u32).collect();
        let t = median_ms(
            || {
                model.truncate_cache(0);
                model.forward(&prompt).unwrap();
            },
            3,
        );
        println!("tiny llama (hidden 256, 4 layers) 512-token prefill, kernel={kernel}: {t:.1} ms ({:.0} tok/s)", 512.0 / (t / 1e3));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
