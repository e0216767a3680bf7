//! Tests of [`super`]: the int8 prompt matmul against candle's vec-dot (which quantizes the
//! activation the same way) and against the exact product with the dequantized weights.

use super::super::gemv::{gemv, ActRow};
use super::*;
use candle_core::quantized::k_quants::{BlockQ4K, BlockQ6K, GgmlType};
use candle_core::quantized::QTensor;
use candle_core::Device;

use super::super::test_weights::weight;

/// `m` prompt rows with an outlier every 37 values, different per row.
fn prompt(m: usize, k: usize) -> Vec<f32> {
    (0..m * k)
        .map(|i| {
            let (r, c) = (i / k, i % k);
            ((c * 31 + r * 17) % 97) as f32 / 48.0 - 1.0 + if c % 37 == r % 5 { 4.0 } else { 0.0 }
        })
        .collect()
}

/// candle's vec-dot for every (prompt row, weight row) pair.
fn candle_product<T: GgmlType>(w: &QTensor, x: &[f32], m: usize) -> Vec<f32> {
    let (n, k) = w.shape().dims2().unwrap();
    let data = w.data().unwrap();
    let kb = k / T::BLCK_SIZE;
    let blocks = super::super::as_blocks::<T>(&data, n * kb).unwrap();
    let mut out = vec![0f32; m * n];
    for i in 0..m {
        let mut xq = vec![T::VecDotType::zeros(); k / T::VecDotType::BLCK_SIZE];
        T::VecDotType::from_float(&x[i * k..(i + 1) * k], &mut xq);
        for r in 0..n {
            out[i * n + r] = T::vec_dot(k, &blocks[r * kb..(r + 1) * kb], &xq);
        }
    }
    out
}

fn dequantized_product(w: &QTensor, x: &[f32], m: usize) -> Vec<f32> {
    let (n, k) = w.shape().dims2().unwrap();
    let wf = w.dequantize(&Device::Cpu).unwrap().flatten_all().unwrap();
    let wf = wf.to_vec1::<f32>().unwrap();
    let mut out = vec![0f32; m * n];
    for i in 0..m {
        for r in 0..n {
            out[i * n + r] = (0..k).map(|c| wf[r * k + c] * x[i * k + c]).sum();
        }
    }
    out
}

fn rel_err(a: &[f32], b: &[f32]) -> f32 {
    let num: f32 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    let den: f32 = b.iter().map(|y| y * y).sum();
    (num / den.max(1e-12)).sqrt()
}

fn max_rel(a: &[f32], b: &[f32]) -> f32 {
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
    a.iter()
        .zip(b)
        .fold(0f32, |m, (x, y)| m.max((x - y).abs() / scale))
}

fn check(dtype: GgmlDType, m: usize, n: usize, k: usize, chunk_blocks: usize) {
    let w = weight(dtype, n, k);
    let x = prompt(m, k);
    let data = w.data().unwrap();
    let format = Format::of(dtype).unwrap();
    let mut got = vec![f32::NAN; m * n];
    run(format, &data, &x, (m, k, n), chunk_blocks, &mut got);
    let candle = match dtype {
        GgmlDType::Q4K => candle_product::<BlockQ4K>(&w, &x, m),
        _ => candle_product::<BlockQ6K>(&w, &x, m),
    };
    let exact = dequantized_product(&w, &x, m);
    let (e_candle, e_exact) = (max_rel(&got, &candle), rel_err(&got, &exact));
    eprintln!("{dtype:?} m={m} n={n} k={k} chunk={chunk_blocks}: {e_candle:.1e} / {e_exact:.1e}");
    // The same 8-bit activations as candle's vec-dot: only the order of float additions differs.
    assert!(
        e_candle < 1e-5,
        "{dtype:?}: {e_candle} from candle's vec-dot"
    );
    assert!(e_exact < 1e-2, "{dtype:?}: {e_exact} from the f32 product");
}

/// The decode kernels' product, row by row: they quantize the prompt row per 32 values the
/// same way, so only the order of float additions differs.
fn decode_product(w: &QTensor, x: &[f32], m: usize) -> Vec<f32> {
    let (n, k) = w.shape().dims2().unwrap();
    let mut out = vec![0f32; m * n];
    for (i, o) in out.chunks_exact_mut(n).enumerate() {
        let mut row = ActRow::default();
        row.set(&x[i * k..(i + 1) * k]);
        assert!(gemv(w, &mut row, o).unwrap());
    }
    out
}

fn check32(dtype: GgmlDType, m: usize, n: usize, k: usize, chunk_blocks: usize) {
    let w = weight(dtype, n, k);
    let x = prompt(m, k);
    let data = w.data().unwrap();
    let mut got = vec![f32::NAN; m * n];
    run(
        Format::of(dtype).unwrap(),
        &data,
        &x,
        (m, k, n),
        chunk_blocks,
        &mut got,
    );
    let (decode, exact) = (decode_product(&w, &x, m), dequantized_product(&w, &x, m));
    let (e_decode, e_exact) = (max_rel(&got, &decode), rel_err(&got, &exact));
    eprintln!("{dtype:?} m={m} n={n} k={k} chunk={chunk_blocks}: {e_decode:.1e} / {e_exact:.1e}");
    assert!(
        e_decode < 1e-5,
        "{dtype:?}: {e_decode} from the decode kernels"
    );
    assert!(e_exact < 1e-2, "{dtype:?}: {e_exact} from the f32 product");
}

#[test]
fn q5_0_and_q8_0_match_the_decode_kernels() {
    if !vnni() {
        return;
    }
    for dtype in [GgmlDType::Q5_0, GgmlDType::Q8_0] {
        // 640 values: 20 blocks, not a multiple of 256 (Gemma-3-270M's width).
        for (m, chunk) in [(1, 20), (6, 20), (7, 3), (13, 1)] {
            check32(dtype, m, 32, 640, chunk);
        }
    }
}

/// Whether this CPU runs the kernels; says so when it does not.
fn vnni() -> bool {
    let yes = super::super::gemv_k::detected_simd() >= SimdLevel::Avx512Vnni;
    if !yes {
        eprintln!("skipped: no AVX-512 VNNI on this CPU");
    }
    yes
}

#[test]
fn q4k_matches_candles_vec_dot_for_every_row_count() {
    if !vnni() {
        return;
    }
    for m in [1, 2, 5, 6, 7, 13] {
        check(GgmlDType::Q4K, m, 32, 512, 2);
    }
}

#[test]
fn q6k_matches_candles_vec_dot_for_every_row_count() {
    if !vnni() {
        return;
    }
    for m in [1, 3, 6, 8, 11] {
        check(GgmlDType::Q6K, m, 32, 512, 2);
    }
}

#[test]
fn stretches_of_the_inner_dimension_add_up() {
    if !vnni() {
        return;
    }
    // Three blocks taken one, two (then one), and all three at a time.
    for chunk in [1, 2, 3] {
        check(GgmlDType::Q4K, 9, 48, 768, chunk);
        check(GgmlDType::Q6K, 9, 48, 768, chunk);
    }
}

#[test]
fn shapes_it_cannot_take_are_refused_untouched() {
    let w = weight(GgmlDType::Q4K, 32, 256);
    let data = w.data().unwrap();
    let x = prompt(4, 256);
    let mut dst = vec![7f32; 4 * 32];
    // A prompt of the wrong length, an output of the wrong size, a type it does not read.
    assert!(!matmul(
        GgmlDType::Q4K,
        &data,
        &x[..255],
        4,
        256,
        32,
        &mut dst
    ));
    assert!(!matmul(
        GgmlDType::Q4K,
        &data,
        &x,
        4,
        256,
        32,
        &mut dst[..10]
    ));
    assert!(!matmul(GgmlDType::Q4_1, &data, &x, 4, 256, 32, &mut dst));
    // 24 rows are not whole tiles of 16.
    assert!(!supports(GgmlDType::Q4K, 24, 256));
    assert!(dst.iter().all(|&v| v == 7.0));
    if supports(GgmlDType::Q4K, 32, 256) {
        assert!(matmul(GgmlDType::Q4K, &data, &x, 4, 256, 32, &mut dst));
        assert!(dst.iter().all(|v| v.is_finite()) && dst.iter().any(|&v| v != 7.0));
    }
}

#[test]
fn the_vector_quantizer_rounds_exactly_as_the_scalar_one() {
    if !vnni() {
        return;
    }
    // Halves (ties) after scaling: the largest magnitude is 127 · 2, so every odd value lands
    // on a .5; then zeros, a negative maximum, an all-zero block and irregular values.
    let mut x: Vec<f32> = (0..256).map(|i| i as f32 - 128.0).collect();
    x[0] = 254.0;
    x.extend((0..256).map(|i| if i == 77 { -3.0 } else { (i % 7) as f32 * 0.25 }));
    x.extend(std::iter::repeat_n(0.0, 256));
    x.extend(prompt(1, 256));
    let (mut fast, mut slow) = (Row::default(), Row::default());
    fast.quantize(&x);
    slow.qs.resize(x.len(), 0);
    slow.d.resize(x.len() / 256, 0.0);
    slow.sum32.resize(x.len() / 32, 0.0);
    slow.nsum16.resize(x.len() / 16, 0);
    slow.quantize_scalar(&x);
    assert_eq!(fast.qs, slow.qs);
    assert_eq!(fast.d, slow.d);
    assert_eq!(fast.nsum16, slow.nsum16);
    assert_eq!(fast.sum32, slow.sum32);
    // And both as the decode kernels' per-256 quantizer.
    let mut qs = vec![0i8; 256];
    for b in 0..x.len() / 256 {
        let d = super::super::gemv_k::quantize_q8k(&x[256 * b..256 * (b + 1)], &mut qs);
        assert_eq!((d, &qs[..]), (fast.d[b], &fast.qs[256 * b..256 * (b + 1)]));
    }
}
