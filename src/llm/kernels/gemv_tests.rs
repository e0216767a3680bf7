//! Tests of [`super`] (the decode products on Q8_0, Q4_0, Q4_1 and candle's formats).

use super::*;
use candle_core::quantized::k_quants::{BlockQ4_0, BlockQ4_1, BlockQ5_0, BlockQ8_0};
use candle_core::{Device, Tensor};

fn weight(dtype: GgmlDType, n: usize, k: usize) -> QTensor {
    let vals: Vec<f32> = (0..n * k)
        .map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * 0.3)
        .collect();
    let t = Tensor::from_vec(vals, (n, k), &Device::Cpu).unwrap();
    QTensor::quantize(&t, dtype).unwrap()
}

fn activation(k: usize) -> Vec<f32> {
    (0..k)
        .map(|i| ((i * 31 % 97) as f32 / 48.0 - 1.0) * 2.0)
        .collect()
}

/// The exact product of the dequantized weight and the f32 activation.
fn reference(w: &QTensor, x: &[f32]) -> Vec<f32> {
    let (n, k) = w.shape().dims2().unwrap();
    let wf = w
        .dequantize(&Device::Cpu)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    (0..n)
        .map(|r| (0..k).map(|c| wf[r * k + c] * x[c]).sum())
        .collect()
}

#[test]
fn every_format_matches_the_dequantized_product() {
    // 43 rows: the 4-row kernels plus a remainder of 3.
    let (n, k) = (43, 512);
    let x = activation(k);
    for dtype in [
        GgmlDType::Q8_0,
        GgmlDType::Q4_0,
        GgmlDType::Q4_1,
        GgmlDType::Q5_0,
        GgmlDType::Q4K,
        GgmlDType::Q6K,
    ] {
        let w = weight(dtype, n, k);
        let mut act = ActRow::default();
        act.set(&x);
        let mut dst = vec![f32::NAN; n];
        assert!(
            gemv(&w, &mut act, &mut dst).unwrap(),
            "{dtype:?} not handled"
        );
        let want = reference(&w, &x);
        let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
        for (r, (got, want)) in dst.iter().zip(&want).enumerate() {
            // The activation is rounded to 8 bits per block: allow 1% of the largest output.
            assert!(
                (got - want).abs() <= 0.01 * scale,
                "{dtype:?} row {r}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn own_kernels_agree_with_candles_vec_dot() {
    if !simd::available() {
        return;
    }
    let (n, k) = (25, 576);
    let x = activation(k);
    for dtype in [
        GgmlDType::Q8_0,
        GgmlDType::Q4_0,
        GgmlDType::Q4_1,
        GgmlDType::Q5_0,
    ] {
        let w = weight(dtype, n, k);
        let mut act = ActRow::default();
        act.set(&x);
        let mut own = vec![0f32; n];
        // The AVX2 kernel, called directly whatever the SIMD level.
        assert!(avx2_rows(dtype, &w.data().unwrap(), k, &mut act, &mut own));
        let data = w.data().unwrap();
        let mut theirs = vec![0f32; n];
        let ok = match dtype {
            GgmlDType::Q8_0 => generic::<BlockQ8_0>(&data, &x, n, k, &mut theirs),
            GgmlDType::Q4_0 => generic::<BlockQ4_0>(&data, &x, n, k, &mut theirs),
            GgmlDType::Q5_0 => generic::<BlockQ5_0>(&data, &x, n, k, &mut theirs),
            _ => generic::<BlockQ4_1>(&data, &x, n, k, &mut theirs),
        };
        assert!(ok);
        for (r, (a, b)) in own.iter().zip(&theirs).enumerate() {
            assert!(
                (a - b).abs() <= 1e-3 * (1.0 + b.abs()),
                "{dtype:?} row {r}: {a} vs {b}"
            );
        }
    }
}

#[test]
fn q4_1_unpacks_like_candle() {
    let w = weight(GgmlDType::Q4_1, 3, 256);
    let data = w.data().unwrap();
    // SAFETY: a CPU Q4_1 tensor's storage is a `Vec<BlockQ4_1>`.
    let blocks: &[BlockQ4_1] =
        unsafe { std::slice::from_raw_parts(data.as_ptr() as *const BlockQ4_1, data.len() / 20) };
    let (mut ours, mut theirs) = (vec![0f32; 3 * 256], vec![0f32; 3 * 256]);
    if !unpack_q4_1(&data, &mut ours) {
        return;
    }
    BlockQ4_1::to_float(blocks, &mut theirs);
    for (a, b) in ours.iter().zip(&theirs) {
        assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()), "{a} vs {b}");
    }
}

#[test]
fn q5_0_unpacks_like_candle() {
    let w = weight(GgmlDType::Q5_0, 3, 256);
    let data = w.data().unwrap();
    let blocks = crate::llm::kernels::as_blocks::<BlockQ5_0>(&data, 3 * 8).unwrap();
    let (mut ours, mut theirs) = (vec![0f32; 3 * 256], vec![0f32; 3 * 256]);
    if !unpack_q5_0(&data, &mut ours) {
        return;
    }
    BlockQ5_0::to_float(blocks, &mut theirs);
    assert_eq!(ours, theirs);
}

#[test]
fn mismatched_shapes_are_an_error_not_a_panic() {
    let w = weight(GgmlDType::Q8_0, 8, 64);
    let mut act = ActRow::default();
    act.set(&activation(32));
    assert!(gemv(&w, &mut act, &mut [0f32; 8]).is_err());
}
