//! The batched prefill kernel against candle's quantized matmul and against an exact f32
//! product with the dequantized weights, for the common GGUF quantization types.

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};
use pyward::llm::kernels::{dequant_gemm, int8_gemm, QLinear};
use std::sync::Arc;

mod llm_support;
use llm_support::values;

fn rel_err(a: &[f32], b: &[f32]) -> f32 {
    let num: f32 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    let den: f32 = b.iter().map(|y| y * y).sum();
    (num / den.max(1e-12)).sqrt()
}

fn check(dtype: GgmlDType, m: usize, n: usize, k: usize) {
    let dev = Device::Cpu;
    let w = Tensor::from_vec(values(n * k, 1 + k as u64), (n, k), &dev).unwrap();
    let q = Arc::new(QTensor::quantize(&w, dtype).unwrap());
    let x = Tensor::from_vec(values(m * k, 99), (m, k), &dev).unwrap();

    let mut got = vec![0f32; m * n];
    let lhs = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert!(
        dequant_gemm::matmul(&q, &lhs, m, &mut got).unwrap(),
        "{dtype:?} not supported"
    );

    // Exact: the same dequantized weights in f32.
    let wd = q.dequantize(&dev).unwrap();
    let exact = x
        .matmul(&wd.t().unwrap())
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let e_exact = rel_err(&got, &exact);

    // candle's quantized matmul (activations rounded to 8 bits).
    let reference = QMatMul::from_arc(q.clone()).unwrap().forward(&x).unwrap();
    let reference = reference.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let e_ref = rel_err(&got, &reference);
    eprintln!("{dtype:?} m={m} n={n} k={k}: vs f32 {e_exact:.2e}, vs candle {e_ref:.2e}");
    assert!(
        e_exact < 1e-5,
        "{dtype:?}: differs from the dequantized f32 product by {e_exact}"
    );
    assert!(
        e_ref < 2e-2,
        "{dtype:?}: differs from candle's quantized matmul by {e_ref}"
    );

    // Through QLinear (the path models use), also for a single row (candle's kernel).
    let lin = QLinear::new(q.clone(), None).unwrap();
    let y = lin
        .forward(&x)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    // Where candle has its own packed int8 kernel for the shape, QLinear keeps candle's; where
    // pyward's int8 prompt kernel reads the weight on this CPU, QLinear takes it (8-bit
    // activations, as candle's); else the f32 prefill kernel.
    let mut int8 = vec![0f32; m * n];
    let expected = if pyward::llm::kernels::candle_has_packed_int8(dtype, n, k) {
        &reference
    } else if int8_gemm::supports(dtype, n, k) {
        let data = q.data().unwrap();
        assert!(int8_gemm::matmul(dtype, &data, &lhs, m, k, n, &mut int8));
        let e = rel_err(&int8, &reference);
        assert!(
            e < 2e-2,
            "{dtype:?}: int8 kernel differs from candle's by {e}"
        );
        &int8
    } else {
        &exact
    };
    assert!(
        rel_err(&y, expected) < 1e-5,
        "{dtype:?}: QLinear took an unexpected path"
    );
    let row = x.narrow(0, 0, 1).unwrap();
    let y1 = lin
        .forward(&row)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    assert!(
        rel_err(&y1, &reference[..n]) < 1e-5,
        "single-row path must be candle's kernel"
    );
}

#[test]
fn prefill_kernel_matches_candle_for_common_quant_types() {
    for dtype in [
        GgmlDType::Q4_0,
        GgmlDType::Q4_1,
        GgmlDType::Q8_0,
        GgmlDType::Q4K,
        GgmlDType::Q6K,
        GgmlDType::Q5K,
        GgmlDType::Q5_0,
    ] {
        check(dtype, 33, 200, 512);
        check(dtype, 9, 64, 256);
    }
}

#[test]
fn prefill_kernel_handles_block_multiples_that_are_not_tile_multiples() {
    // SmolLM2 shapes: k = 576 (not a multiple of 256), n = 1536.
    check(GgmlDType::Q8_0, 17, 1536, 576);
    check(GgmlDType::Q4_0, 64, 576, 1536);
}

#[test]
fn bias_is_added() {
    let dev = Device::Cpu;
    let (m, n, k) = (12, 40, 64);
    let w = Tensor::from_vec(values(n * k, 5), (n, k), &dev).unwrap();
    let q = Arc::new(QTensor::quantize(&w, GgmlDType::Q8_0).unwrap());
    let b = Tensor::from_vec(values(n, 6), n, &dev).unwrap();
    let x = Tensor::from_vec(values(m * k, 7), (m, k), &dev).unwrap();
    let plain = QLinear::new(q.clone(), None).unwrap().forward(&x).unwrap();
    let biased = QLinear::new(q, Some(b.clone()))
        .unwrap()
        .forward(&x)
        .unwrap();
    let diff = (biased - plain)
        .unwrap()
        .broadcast_sub(&b)
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap();
    assert!(diff.to_scalar::<f32>().unwrap() < 1e-5);
}
