//! Prefill matmul for quantized weights: dequantize tiles of weight rows into an f32 scratch
//! and multiply them against all prompt rows with an f32 GEMM, in parallel over tiles.
//!
//! candle's CPU quantized matmul computes one quantized dot product per (row, column) pair,
//! which makes prompt processing cost as much per token as decoding. Dequantizing a tile once
//! and reusing it for every prompt row turns the work into a cache-friendly GEMM.

use candle_core::quantized::k_quants::GgmlType;
use candle_core::quantized::{GgmlDType, QTensor};
use std::cell::RefCell;

/// Whether [`matmul`] supports weights of this type.
pub fn supports(dtype: GgmlDType) -> bool {
    matches!(
        dtype,
        GgmlDType::Q4_0
            | GgmlDType::Q4_1
            | GgmlDType::Q5_0
            | GgmlDType::Q5_1
            | GgmlDType::Q8_0
            | GgmlDType::Q8_1
            | GgmlDType::Q2K
            | GgmlDType::Q3K
            | GgmlDType::Q4K
            | GgmlDType::Q5K
            | GgmlDType::Q6K
            | GgmlDType::Q8K
    )
}

thread_local! {
    static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Computes `dst[m, n] = lhs[m, k] · weightᵀ` for a quantized `weight` of shape `(n, k)`.
///
/// Returns `Ok(false)` (and leaves `dst` untouched) when the weight type is not supported or
/// the weight is not in CPU memory.
pub fn matmul(
    weight: &QTensor,
    lhs: &[f32],
    m: usize,
    dst: &mut [f32],
) -> candle_core::Result<bool> {
    let (n, k) = weight.shape().dims2()?;
    if lhs.len() != m * k || dst.len() != m * n {
        candle_core::bail!("prefill matmul: shapes do not match (m={m}, k={k}, n={n})")
    }
    if !weight.device().is_cpu() {
        return Ok(false);
    }
    let data = weight.data()?;
    let bytes: &[u8] = &data;
    macro_rules! go {
        ($t:ty) => {
            run::<$t>(bytes, lhs, m, k, n, dst)
        };
    }
    match_block_type!(weight.dtype(), go, Ok(false))
}

/// Dequantizes blocks; Q4_1 and Q5_0 (scalar in candle) on pyward's AVX2 unpacking when
/// available.
fn to_float<T: GgmlType>(src: &[T], out: &mut [f32]) {
    if matches!(T::DTYPE, GgmlDType::Q4_1 | GgmlDType::Q5_0) {
        // SAFETY: plain bytes of candle's `#[repr(C)]` blocks.
        let bytes = unsafe {
            std::slice::from_raw_parts(src.as_ptr() as *const u8, std::mem::size_of_val(src))
        };
        let unpacked = match T::DTYPE {
            GgmlDType::Q4_1 => super::gemv::unpack_q4_1(bytes, out),
            _ => super::gemv::unpack_q5_0(bytes, out),
        };
        if unpacked {
            return;
        }
    }
    T::to_float(src, out)
}

/// Rows of the weight dequantized per task: enough tasks to balance the threads, large enough
/// that each GEMM call amortizes packing the activations.
fn tile_rows(n: usize, threads: usize) -> usize {
    let target = n.div_ceil(threads.max(1) * 3);
    target.clamp(32, 256).next_multiple_of(16)
}

fn run<T: GgmlType>(
    bytes: &[u8],
    lhs: &[f32],
    m: usize,
    k: usize,
    n: usize,
    dst: &mut [f32],
) -> candle_core::Result<bool> {
    if !k.is_multiple_of(T::BLCK_SIZE) {
        return Ok(false);
    }
    let kb = k / T::BLCK_SIZE;
    let Some(blocks) = super::as_blocks::<T>(bytes, n * kb) else {
        return Ok(false);
    };
    let tile = tile_rows(n, super::threads());
    let tiles = n.div_ceil(tile);
    let dst_addr = dst.as_mut_ptr() as usize;
    super::threads::for_each_range(tiles, |range| {
        for t in range {
            let r0 = t * tile;
            let rows = tile.min(n - r0);
            SCRATCH.with(|cell| {
                let mut scratch = cell.borrow_mut();
                if scratch.len() < tile * k {
                    scratch.resize(tile * k, 0.0);
                }
                for r in 0..rows {
                    let src = &blocks[(r0 + r) * kb..(r0 + r + 1) * kb];
                    to_float(src, &mut scratch[r * k..(r + 1) * k]);
                }
                // SAFETY: each task writes only columns r0..r0+rows of the m×n row-major dst,
                // which no other task touches; lhs is m×k row-major; the scratch tile is
                // rows×k row-major, read as the k×rows right-hand side (column j = row j).
                unsafe {
                    gemm::gemm(
                        m,
                        rows,
                        k,
                        (dst_addr as *mut f32).add(r0),
                        1,
                        n as isize,
                        false,
                        lhs.as_ptr(),
                        1,
                        k as isize,
                        scratch.as_ptr(),
                        k as isize,
                        1,
                        0.0,
                        1.0,
                        false,
                        false,
                        false,
                        gemm::Parallelism::None,
                    );
                }
            });
        }
    });
    Ok(true)
}
