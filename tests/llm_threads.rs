//! The CPU kernels with more than one thread: parallel decode products, parallel attention
//! heads and parallel prefill tiles compute what the single-threaded references compute.
//!
//! The rest of the suite runs models on one thread (scripts/test.sh sets CANDLE_NUM_THREADS=1),
//! so this file holds one test, in its own process, which starts the worker pool with 2 threads.

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};
use pyward::llm::arch::Requantize;
use pyward::llm::kernels::gemv::{gemv, ActRow};
use pyward::llm::kernels::{dequant_gemm, set_threads, threads};
use pyward::llm::load::{load_transformer, LoadOptions};
use pyward::llm::model::CausalLm;
use pyward::llm::testing::{write_tiny_gguf, TinySpec};

mod llm_support;
use llm_support::values;

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn range(v: &[f32]) -> f32 {
    v.iter().fold(0f32, |m, x| m.max(x.abs())).max(1.0)
}

#[test]
fn two_threads_compute_what_one_thread_computes() {
    set_threads(2).unwrap();
    let dev = Device::Cpu;

    // Decode products large enough to be split over the threads (n·k ≥ 2^16), with a row count
    // that leaves a partial piece, against candle's single-threaded vec-dot on the same
    // quantized activation.
    let (n, k) = (1003, 256);
    let x = values(k, 5);
    for dtype in [
        GgmlDType::Q8_0,
        GgmlDType::Q4_0,
        GgmlDType::Q4_1,
        GgmlDType::Q4K,
        GgmlDType::Q6K,
    ] {
        let w = QTensor::quantize(
            &Tensor::from_vec(values(n * k, 11), (n, k), &dev).unwrap(),
            dtype,
        )
        .unwrap();
        let mut act = ActRow::default();
        act.set(&x);
        let mut got = vec![f32::NAN; n];
        assert!(gemv(&w, &mut act, &mut got).unwrap(), "{dtype:?}");
        let xt = Tensor::from_slice(&x, (1, k), &dev).unwrap();
        let want = QMatMul::from_qtensor(w)
            .unwrap()
            .forward(&xt)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let d = max_abs_diff(&got, &want);
        assert!(
            d <= 1e-2 * range(&want),
            "{dtype:?}: parallel gemv differs by {d}"
        );
    }

    // Prefill tiles over the threads against the exact product with the dequantized weight.
    let (m, n, k) = (24, 700, 320);
    let w = QTensor::quantize(
        &Tensor::from_vec(values(n * k, 3), (n, k), &dev).unwrap(),
        GgmlDType::Q8_0,
    )
    .unwrap();
    let lhs = values(m * k, 4);
    let mut got = vec![f32::NAN; m * n];
    assert!(dequant_gemm::matmul(&w, &lhs, m, &mut got).unwrap());
    let wd = w.dequantize(&dev).unwrap();
    let xt = Tensor::from_slice(&lhs, (m, k), &dev).unwrap();
    let want = xt
        .matmul(&wd.t().unwrap())
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    assert!(
        max_abs_diff(&got, &want) <= 1e-4 * range(&want),
        "parallel prefill tiles differ"
    );

    // A model whose attention is split over heads once the cache holds 128 positions
    // (positions · heads · head_dim ≥ 2^15): the fused decode step against the tensor path.
    let dir = tempfile::tempdir().unwrap();
    for arch in ["llama", "gemma3"] {
        let mut spec = TinySpec::new(arch);
        spec.hidden = 256;
        spec.heads = 8;
        spec.kv_heads = 2;
        spec.head_dim = 32;
        spec.ffn = 512;
        spec.vocab = 600;
        spec.sliding_window = 64;
        let path = dir.path().join(format!("{arch}.gguf"));
        write_tiny_gguf(&path, &spec, None).unwrap();
        let opts = LoadOptions {
            requantize: Requantize::Never,
            ..Default::default()
        };
        let (mut fused, mut tensors) = (
            load_transformer(&path, &dev, &opts).unwrap().0,
            load_transformer(&path, &dev, &opts).unwrap().0,
        );
        tensors.set_fused_decode(false);
        let prompt: Vec<u32> = (0..140u32).map(|i| (i * 37 + 11) % 600).collect();
        let a = fused.forward(&prompt).unwrap();
        assert_eq!(
            a,
            tensors.forward(&prompt).unwrap(),
            "{arch}: the prompt takes the same path in both"
        );
        for (i, t) in (0..8u32).map(|i| (i * 53 + 7) % 600).enumerate() {
            let want = tensors.forward(&[t]).unwrap();
            let got = fused.forward(&[t]).unwrap();
            let d = max_abs_diff(&got, &want);
            assert!(
                d <= 3e-2 * range(&want),
                "{arch} token {i}: fused decode on 2 threads differs by {d}"
            );
        }
    }
    assert_eq!(
        threads(),
        2,
        "the pool must have started with the requested thread count"
    );
}
