//! Decode micro-benchmarks: pyward's gemv (one activation row) against candle's quantized
//! matmul on the same weights, and a whole single-token step on a tiny random model with the
//! fused decode step on and off. Ratios, measured in the same run.
//!
//! `cargo bench --bench decode` (a plain timing harness: median of repeated runs).

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};
use pyward::llm::kernels::gemv::{gemv, ActRow};
use pyward::llm::load::{load_transformer, LoadOptions};
use pyward::llm::model::CausalLm;
use pyward::llm::testing::{write_tiny_gguf, TinySpec};
#[path = "support/timing.rs"]
mod timing;

fn median_us(f: impl FnMut(), reps: usize) -> f64 {
    timing::median_secs(f, reps) * 1e6
}

fn values(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0)
        .collect()
}

fn main() {
    let dev = Device::Cpu;
    // SmolLM2's projections (cache-resident) and its output head (49152 rows: streams from memory).
    let shapes = [(1536usize, 576usize), (576, 1536), (49152, 576)];
    for dtype in [
        GgmlDType::Q8_0,
        GgmlDType::Q4_0,
        GgmlDType::Q4_1,
        GgmlDType::Q5_0,
    ] {
        for (n, k) in shapes {
            let w = Tensor::from_vec(values(n * k), (n, k), &dev).unwrap();
            let q = std::sync::Arc::new(QTensor::quantize(&w, dtype).unwrap());
            let bytes = q.storage_size_in_bytes() as f64;
            let x = values(k);
            let xt = Tensor::from_slice(&x, (1, k), &dev).unwrap();
            let candle = QMatMul::from_arc(q.clone()).unwrap();
            let reps = if n > 10_000 { 21 } else { 201 };
            let t_candle = median_us(|| drop(candle.forward(&xt).unwrap()), reps);
            let mut act = ActRow::default();
            let mut dst = vec![0f32; n];
            let t_ours = median_us(
                || {
                    act.set(&x);
                    assert!(gemv(&q, &mut act, &mut dst).unwrap());
                },
                reps,
            );
            println!(
                "{dtype:?} 1x{k} · {k}x{n}: candle {t_candle:.0} µs ({:.1} GB/s), pyward {t_ours:.0} µs ({:.1} GB/s), {:.2}x",
                bytes / t_candle / 1e3,
                bytes / t_ours / 1e3,
                t_candle / t_ours
            );
        }
    }
    let dir = std::env::temp_dir().join(format!("pyward-bench-decode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for arch in ["llama", "gemma3"] {
        let mut spec = TinySpec::new(arch);
        spec.hidden = 256;
        spec.ffn = 768;
        spec.layers = 4;
        spec.context_length = 1024;
        let path = dir.join(format!("{arch}.gguf"));
        write_tiny_gguf(&path, &spec, None).unwrap();
        let mut times = Vec::new();
        for fused in [false, true] {
            let mut model = load_transformer(&path, &dev, &LoadOptions::default())
                .unwrap()
                .0;
            model.set_fused_decode(fused);
            let prompt: Vec<u32> = (0..256u32).map(|i| i * 13 % spec.vocab as u32).collect();
            model.forward(&prompt).unwrap();
            let t = median_us(
                || {
                    model.truncate_cache(256);
                    for i in 0..16u32 {
                        model.forward(&[i * 7 % spec.vocab as u32]).unwrap();
                    }
                },
                9,
            ) / 16.0;
            times.push(t);
        }
        println!(
            "tiny {arch} (hidden 256, 4 layers, 256 cached) one decode step: tensor ops {:.0} µs, fused {:.0} µs, {:.2}x",
            times[0],
            times[1],
            times[0] / times[1]
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
