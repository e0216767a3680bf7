//! Tests of [`super`]: every kernel this CPU can run (AVX2 and AVX-512 VNNI, called directly,
//! whatever `PYWARD_SIMD` says) against candle's vec-dot and the dequantized product.

use super::*;
use candle_core::quantized::k_quants::{
    BlockQ4K, BlockQ4_1, BlockQ5_0, BlockQ6K, BlockQ8K, BlockQ8_0, GgmlType,
};
use candle_core::quantized::QTensor;
use candle_core::Device;

use super::super::test_weights::weight;

fn activation(k: usize) -> Vec<f32> {
    (0..k)
        .map(|i| ((i * 31 % 97) as f32 / 48.0 - 1.0) * 2.0 + if i % 37 == 0 { 5.0 } else { 0.0 })
        .collect()
}

/// candle's vec-dot for every row, with candle's own activation quantization.
fn candle_rows<T: GgmlType>(w: &QTensor, x: &[f32]) -> Vec<f32> {
    let (n, k) = w.shape().dims2().unwrap();
    let data = w.data().unwrap();
    let kb = k / T::BLCK_SIZE;
    let blocks = super::super::as_blocks::<T>(&data, n * kb).unwrap();
    let mut xq = vec![T::VecDotType::zeros(); k / T::VecDotType::BLCK_SIZE];
    T::VecDotType::from_float(x, &mut xq);
    (0..n)
        .map(|r| T::vec_dot(k, &blocks[r * kb..(r + 1) * kb], &xq))
        .collect()
}

/// The exact product of the dequantized weight and the f32 activation.
fn dequantized_rows(w: &QTensor, x: &[f32]) -> Vec<f32> {
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

/// The kernels this CPU runs: `false` = AVX2, `true` = AVX-512 VNNI.
fn kernels() -> Vec<bool> {
    let level = detected_simd();
    [(false, SimdLevel::Avx2), (true, SimdLevel::Avx512Vnni)]
        .into_iter()
        .filter(|&(_, need)| level >= need)
        .map(|(vnni, _)| vnni)
        .collect()
}

/// Runs one kernel family directly over every row of `w`.
fn run(format: Format, vnni: bool, w: &QTensor, x: &[f32]) -> Vec<f32> {
    let (n, _) = w.shape().dims2().unwrap();
    let data = w.data().unwrap();
    let mut act = ActRow::default();
    act.set(x);
    act.quantize();
    act.quantize_k();
    let mut out = vec![f32::NAN; n];
    rows(format, vnni, &data, data.len() / n, &act, &mut out);
    out
}

fn assert_close(what: &str, got: &[f32], want: &[f32], rel: f32) {
    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
    for (r, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= rel * (1.0 + scale),
            "{what} row {r}: {g} vs {w} (largest output {scale})"
        );
    }
}

#[test]
fn k_quant_kernels_match_candles_vec_dot_and_the_dequantized_product() {
    // Odd row counts (4-row passes plus 1–3 single rows) and k = 256·m.
    for (n, m) in [(7, 1), (13, 3), (5, 8), (1, 2)] {
        let k = 256 * m;
        let x = activation(k);
        for (format, dtype) in [(Format::Q4K, GgmlDType::Q4K), (Format::Q6K, GgmlDType::Q6K)] {
            let w = weight(dtype, n, k);
            let theirs = match format {
                Format::Q4K => candle_rows::<BlockQ4K>(&w, &x),
                _ => candle_rows::<BlockQ6K>(&w, &x),
            };
            let exact = dequantized_rows(&w, &x);
            for vnni in kernels() {
                let ours = run(format, vnni, &w, &x);
                let what = format!("{dtype:?} vnni={vnni} n={n} k={k}");
                // Same quantized inputs as candle: only the float summation order differs.
                assert_close(&what, &ours, &theirs, 1e-5);
                // The activation is rounded to 8 bits: 1% of the largest output.
                assert_close(&what, &ours, &exact, 1e-2);
            }
        }
    }
}

#[test]
fn q8_0_q4_1_and_q5_0_vnni_kernels_match_candle_and_the_avx2_kernels() {
    if detected_simd() < SimdLevel::Avx512Vnni {
        return;
    }
    // 640 = 20 blocks: two gathered groups of 8 and a tail of 4 (Gemma-3's output projection).
    // Block counts stay even: candle's Q4_1 vec-dot asserts it in debug builds (192 = 6 blocks
    // still ends in the under-8-block tail).
    for (n, k) in [(9, 640), (6, 192), (3, 256), (5, 576)] {
        let x = activation(k);
        for (format, dtype) in [
            (Format::Q8_0, GgmlDType::Q8_0),
            (Format::Q4_1, GgmlDType::Q4_1),
            (Format::Q5_0, GgmlDType::Q5_0),
        ] {
            let w = weight(dtype, n, k);
            let ours = run(format, true, &w, &x);
            let theirs = match format {
                Format::Q8_0 => candle_rows::<BlockQ8_0>(&w, &x),
                Format::Q4_1 => candle_rows::<BlockQ4_1>(&w, &x),
                _ => candle_rows::<BlockQ5_0>(&w, &x),
            };
            // candle rounds its activation halves away from zero, pyward to even.
            assert_close(&format!("{dtype:?} n={n} k={k}"), &ours, &theirs, 1e-3);
            assert_close(
                &format!("{dtype:?} n={n} k={k}"),
                &ours,
                &dequantized_rows(&w, &x),
                1e-2,
            );
            // The AVX2 kernel reads the same quantized activation: equal up to summation order.
            let mut act = ActRow::default();
            act.set(&x);
            let mut avx2 = vec![0f32; n];
            if super::super::gemv::avx2_rows(dtype, &w.data().unwrap(), k, &mut act, &mut avx2) {
                assert_close(&format!("{dtype:?} avx2 n={n} k={k}"), &ours, &avx2, 1e-5);
            }
        }
    }
}

#[test]
fn q8k_activation_is_candles_bit_for_bit() {
    let x = activation(512);
    let mut ours = Q8KRow::default();
    ours.quantize(&x);
    let mut theirs = vec![BlockQ8K::zeros(); 2];
    BlockQ8K::from_float(&x, &mut theirs);
    for (b, blk) in theirs.iter().enumerate() {
        // SAFETY: BlockQ8K is `#[repr(C)]` {d: f32, qs: [i8; 256], bsums: [i16; 16]}: 292
        // bytes, all plain integers and floats.
        let bytes: &[u8] =
            unsafe { std::slice::from_raw_parts(blk as *const BlockQ8K as *const u8, 292) };
        let d = f32::from_le_bytes(bytes[0..4].try_into().unwrap());
        assert_eq!(d.to_bits(), ours.d[b].to_bits(), "block {b} scale");
        for i in 0..256 {
            assert_eq!(
                bytes[4 + i] as i8,
                ours.qs[b * 256 + i],
                "block {b} value {i}"
            );
        }
        for j in 0..16 {
            let s = i16::from_le_bytes([bytes[260 + 2 * j], bytes[261 + 2 * j]]);
            assert_eq!(s, ours.bsums[b * 16 + j], "block {b} sum {j}");
        }
    }
}

#[test]
fn gemv_routes_k_quants_and_q8_0_at_every_level() {
    // Through the public entry point, at whatever level this process runs.
    let (n, k) = (11, 512);
    let x = activation(k);
    for dtype in [
        GgmlDType::Q4K,
        GgmlDType::Q6K,
        GgmlDType::Q8_0,
        GgmlDType::Q4_1,
        GgmlDType::Q5_0,
    ] {
        let w = weight(dtype, n, k);
        let mut act = ActRow::default();
        act.set(&x);
        let mut dst = vec![f32::NAN; n];
        assert!(crate::llm::kernels::gemv::gemv(&w, &mut act, &mut dst).unwrap());
        assert_close(&format!("{dtype:?}"), &dst, &dequantized_rows(&w, &x), 1e-2);
    }
}

#[test]
fn simd_env_values_cap_the_level() {
    assert_eq!(cap_from("scalar"), SimdLevel::Scalar);
    assert_eq!(cap_from(" AVX2 "), SimdLevel::Avx2);
    assert_eq!(cap_from("avx512"), SimdLevel::Avx512Vnni);
    assert_eq!(cap_from(""), SimdLevel::Avx512Vnni);
    assert!(simd_level() <= detected_simd());
}
