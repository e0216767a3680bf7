//! Decode matrix-vector products: one activation row against a quantized `(n, k)` weight.
//!
//! The activation is quantized once to 8 bits per 32-value block ([`ActRow`]) and reused by
//! every weight that reads it (q/k/v share one, gate/up share one). Q8_0, Q4_0, Q4_1 and Q5_0
//! weights run on AVX2 kernels written here; they keep two independent accumulators per row
//! and convert the f16 block scales in registers. Q4_K and Q6_K weights (and Q8_0 ones on
//! AVX-512 VNNI, and Q4_1 and Q5_0 ones there) run on [`super::gemv_k`]'s kernels. Other formats run candle's own vec-dot for
//! the format, still without building tensors. Rows are split over the inference thread pool
//! when more than one thread is configured and the weight is large enough to pay for it.

use candle_core::quantized::k_quants::GgmlType;
use candle_core::quantized::{GgmlDType, QTensor};

/// Values per quantization block of the activation (and of Q8_0/Q4_0/Q4_1 weights).
const QK: usize = 32;

/// An activation row, kept as f32 and, once asked for, as 8-bit blocks: `qs[b*32..]` are the
/// quantized values of block `b`, `d[b]` its scale and `s[b] = d[b] · Σ qs` (used by formats
/// with an offset, Q4_0 and Q4_1).
#[derive(Debug, Default, Clone)]
pub struct ActRow {
    x: Vec<f32>,
    qs: Vec<i8>,
    d: Vec<f32>,
    s: Vec<f32>,
    quantized: bool,
    /// The same values quantized per 256 (for K-quant weights).
    k: super::gemv_k::Q8KRow,
}

impl ActRow {
    /// Takes `x` as the new activation (buffers are reused across calls).
    pub fn set(&mut self, x: &[f32]) {
        self.x.clear();
        self.x.extend_from_slice(x);
        self.quantized = false;
        self.k.invalidate();
    }

    /// The f32 values.
    pub fn values(&self) -> &[f32] {
        &self.x
    }

    /// The values, scales and scaled sums quantized per 32 (after [`ActRow::quantize`]).
    pub(super) fn quantized(&self) -> (&[i8], &[f32], &[f32]) {
        (&self.qs, &self.d, &self.s)
    }

    pub(super) fn q8k(&self) -> &super::gemv_k::Q8KRow {
        &self.k
    }

    pub(super) fn values_and_q8k(&mut self) -> (&[f32], &mut super::gemv_k::Q8KRow) {
        (&self.x, &mut self.k)
    }

    pub(super) fn quantize(&mut self) {
        if self.quantized {
            return;
        }
        let k = self.x.len();
        let nb = k / QK;
        self.qs.resize(nb * QK, 0);
        self.d.resize(nb, 0.0);
        self.s.resize(nb, 0.0);
        quantize_q8_0(&self.x[..nb * QK], &mut self.qs, &mut self.d, &mut self.s);
        self.quantized = true;
    }
}

/// Quantizes whole 32-value blocks of `x` to i8 with one scale per block (round half to even).
#[inline(always)]
fn quantize_blocks(x: &[f32], qs: &mut [i8], d: &mut [f32], s: &mut [f32]) {
    for (b, src) in x.chunks_exact(QK).enumerate() {
        let amax = src.iter().fold(0f32, |m, v| m.max(v.abs()));
        let scale = amax / 127.0;
        let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
        let mut sum = 0i32;
        for (q, &v) in qs[b * QK..(b + 1) * QK].iter_mut().zip(src) {
            // The values lie in [-127, 127].
            let r = (v * inv).round_ties_even() as i32;
            *q = r as i8;
            sum += r;
        }
        d[b] = scale;
        s[b] = scale * sum as f32;
    }
}

/// Quantizes whole 32-value blocks of `x` as the decode kernels read them (the same arithmetic
/// on every path): `qs` the values, `d` one scale per block, `s` the scale times the block's sum.
pub(super) fn quantize_q8_0(x: &[f32], qs: &mut [i8], d: &mut [f32], s: &mut [f32]) {
    let nb = x.len() / QK;
    assert!(qs.len() == nb * QK && d.len() == nb && s.len() == nb);
    if simd::available() {
        // SAFETY: AVX2/FMA/F16C were detected; the buffers hold nb blocks (asserted).
        unsafe { simd::quantize(&x[..nb * QK], qs, d, s) }
    } else {
        quantize_blocks(&x[..nb * QK], qs, d, s)
    }
}

/// Whether [`gemv`] handles this weight format (others need the tensor path).
pub fn supports(dtype: GgmlDType) -> bool {
    super::dequant_gemm::supports(dtype)
}

/// Computes `dst[r] = weight[r, :] · x` for every row `r` of a CPU `(n, k)` quantized weight.
///
/// Returns `Ok(false)`, leaving `dst` untouched, when the format or the storage is not one
/// this kernel reads (the caller then takes the tensor path).
pub fn gemv(weight: &QTensor, x: &mut ActRow, dst: &mut [f32]) -> candle_core::Result<bool> {
    let (n, k) = weight.shape().dims2()?;
    if x.x.len() != k || dst.len() != n {
        candle_core::bail!(
            "gemv: shapes do not match (n={n}, k={k}, x={}, dst={})",
            x.x.len(),
            dst.len()
        )
    }
    if !weight.device().is_cpu() || !supports(weight.dtype()) {
        return Ok(false);
    }
    let data = weight.data()?;
    let bytes: &[u8] = &data;
    if super::gemv_k::gemv(weight.dtype(), bytes, n, k, x, dst) {
        return Ok(true);
    }
    let own = matches!(
        weight.dtype(),
        GgmlDType::Q8_0 | GgmlDType::Q4_0 | GgmlDType::Q4_1 | GgmlDType::Q5_0
    ) && k % QK == 0
        && simd::available();
    if own {
        x.quantize();
        let kernel = match weight.dtype() {
            GgmlDType::Q8_0 => Kernel::Q8_0,
            GgmlDType::Q4_0 => Kernel::Q4_0,
            GgmlDType::Q5_0 => Kernel::Q5_0,
            _ => Kernel::Q4_1,
        };
        if bytes.len() != n * (k / QK) * kernel.block_bytes() {
            return Ok(false);
        }
        let x = &*x;
        split_rows(n, k, dst, |r0, out| kernel.rows(bytes, k, r0, x, out));
        return Ok(true);
    }
    macro_rules! go {
        ($t:ty) => {
            generic::<$t>(bytes, &x.x, n, k, dst)
        };
    }
    Ok(match_block_type!(weight.dtype(), go, false))
}

/// Unpacks Q4_1 blocks (`bytes`: candle's `#[repr(C)]` 20-byte blocks: f16 d, f16 m, 16 bytes
/// of nibbles) into 32 f32 values each, with AVX2. Returns `false`, writing nothing, when AVX2
/// is missing or the lengths do not match.
pub fn unpack_q4_1(bytes: &[u8], ys: &mut [f32]) -> bool {
    if !simd::available() || !bytes.len().is_multiple_of(20) || ys.len() != bytes.len() / 20 * QK {
        return false;
    }
    // SAFETY: AVX2 was detected and the lengths match (checked above).
    unsafe { simd::q4_1_to_float(bytes, ys) };
    true
}

/// Unpacks Q5_0 blocks (`bytes`: candle's 22-byte blocks: f16 d, 4 bytes of fifth bits, 16
/// bytes of nibbles) into 32 f32 values each, with AVX2. Returns `false`, writing nothing, when
/// AVX2 is missing or the lengths do not match.
pub fn unpack_q5_0(bytes: &[u8], ys: &mut [f32]) -> bool {
    if !simd::available() || !bytes.len().is_multiple_of(22) || ys.len() != bytes.len() / 22 * QK {
        return false;
    }
    // SAFETY: AVX2 was detected and the lengths match (checked above).
    unsafe { simd::q5_0_to_float(bytes, ys) };
    true
}

/// Runs `f(first_row, out_rows)` over `dst` in row chunks: inline with one thread, else in
/// parallel on the inference pool once the weight holds enough values to pay for the fork.
pub(super) fn split_rows(
    n: usize,
    k: usize,
    dst: &mut [f32],
    f: impl Fn(usize, &mut [f32]) + Sync,
) {
    let threads = super::threads();
    if threads <= 1 || n * k < 1 << 16 {
        f(0, dst);
        return;
    }
    // Pieces of 16 rows (whole 4-row groups); idle threads take the next piece.
    const PIECE: usize = 16;
    super::threads::for_each_chunk_mut(dst, PIECE, |i, out| f(i * PIECE, out));
}

/// The AVX2 kernel for `dtype` (Q8_0, Q4_0, Q4_1 or Q5_0) over every row (`false` without
/// AVX2), for tests.
#[cfg(test)]
pub(super) fn avx2_rows(
    dtype: GgmlDType,
    bytes: &[u8],
    k: usize,
    x: &mut ActRow,
    out: &mut [f32],
) -> bool {
    if !simd::available() {
        return false;
    }
    x.quantize();
    let kernel = match dtype {
        GgmlDType::Q8_0 => Kernel::Q8_0,
        GgmlDType::Q4_0 => Kernel::Q4_0,
        GgmlDType::Q4_1 => Kernel::Q4_1,
        GgmlDType::Q5_0 => Kernel::Q5_0,
        _ => return false,
    };
    kernel.rows(bytes, k, 0, x, out);
    true
}

/// candle's vec-dot for formats without a kernel here: quantize `x` to the format's
/// activation type once, then one dot product per row.
fn generic<T: GgmlType>(bytes: &[u8], x: &[f32], n: usize, k: usize, dst: &mut [f32]) -> bool {
    if !k.is_multiple_of(T::BLCK_SIZE) || !k.is_multiple_of(T::VecDotType::BLCK_SIZE) {
        return false;
    }
    let kb = k / T::BLCK_SIZE;
    let Some(blocks) = super::as_blocks::<T>(bytes, n * kb) else {
        return false;
    };
    let mut xq = vec![T::VecDotType::zeros(); k / T::VecDotType::BLCK_SIZE];
    T::VecDotType::from_float(x, &mut xq);
    let xq = &xq;
    split_rows(n, k, dst, |r0, out| {
        for (i, o) in out.iter_mut().enumerate() {
            let r = r0 + i;
            *o = T::vec_dot(k, &blocks[r * kb..(r + 1) * kb], xq);
        }
    });
    true
}

#[derive(Debug, Clone, Copy)]
enum Kernel {
    Q8_0,
    Q4_0,
    Q4_1,
    Q5_0,
}

impl Kernel {
    /// Bytes per 32-value block (candle's `#[repr(C)]` block structs: f16 scale first).
    fn block_bytes(self) -> usize {
        match self {
            Kernel::Q8_0 => 34,
            Kernel::Q4_0 => 18,
            Kernel::Q4_1 => 20,
            Kernel::Q5_0 => 22,
        }
    }

    /// Fills `out[i]` with the dot product of weight row `r0 + i` and the quantized `x`.
    fn rows(self, bytes: &[u8], k: usize, r0: usize, x: &ActRow, out: &mut [f32]) {
        let nb = k / QK;
        let row_bytes = nb * self.block_bytes();
        let rows = &bytes[r0 * row_bytes..(r0 + out.len()) * row_bytes];
        let done = out.len() / 4 * 4;
        let mut quads = out.chunks_exact_mut(4);
        for (i, quad) in quads.by_ref().enumerate() {
            let four = &rows[i * 4 * row_bytes..(i + 1) * 4 * row_bytes];
            // SAFETY: `simd::available()` was checked by the caller; `four` holds 4 rows of `nb`
            // blocks of this format and `x` holds `nb` quantized blocks (lengths checked above).
            let dots = unsafe {
                match self {
                    Kernel::Q8_0 => simd::dot4_q8_0(four, row_bytes, &x.qs, &x.d, &x.s),
                    Kernel::Q4_0 => simd::dot4_q4_0(four, row_bytes, &x.qs, &x.d, &x.s),
                    Kernel::Q4_1 => simd::dot4_q4_1(four, row_bytes, &x.qs, &x.d, &x.s),
                    Kernel::Q5_0 => simd::dot4_q5_0(four, row_bytes, &x.qs, &x.d, &x.s),
                }
            };
            quad.copy_from_slice(&dots);
        }
        for (i, o) in quads.into_remainder().iter_mut().enumerate() {
            // The last rows: the 4-row kernel over one row repeated, keeping the first result.
            let row = &rows[(done + i) * row_bytes..(done + i + 1) * row_bytes];
            let mut four = Vec::with_capacity(4 * row_bytes);
            (0..4).for_each(|_| four.extend_from_slice(row));
            // SAFETY: as above, for 4 copies of one row.
            *o = unsafe {
                match self {
                    Kernel::Q8_0 => simd::dot4_q8_0(&four, row_bytes, &x.qs, &x.d, &x.s),
                    Kernel::Q4_0 => simd::dot4_q4_0(&four, row_bytes, &x.qs, &x.d, &x.s),
                    Kernel::Q4_1 => simd::dot4_q4_1(&four, row_bytes, &x.qs, &x.d, &x.s),
                    Kernel::Q5_0 => simd::dot4_q5_0(&four, row_bytes, &x.qs, &x.d, &x.s),
                }
            }[0];
        }
    }
}

/// The AVX2 kernels. Every function reads whole blocks; callers pass slices of matching
/// lengths (`row`: nb blocks, `qs`: nb·32, `d` and `s`: nb).
#[cfg(target_arch = "x86_64")]
mod simd {
    use crate::llm::kernels::vmath::avx2::hsum;
    use std::arch::x86_64::*;

    /// AVX2 with FMA and F16C, detected once (and not turned off by `PYWARD_SIMD`).
    pub fn available() -> bool {
        use crate::llm::kernels::gemv_k::{simd_level, SimdLevel};
        simd_level() >= SimdLevel::Avx2
    }

    /// [`super::quantize_blocks`] compiled for AVX2, where rounding is one vector instruction.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub unsafe fn quantize(x: &[f32], qs: &mut [i8], d: &mut [f32], s: &mut [f32]) {
        super::quantize_blocks(x, qs, d, s)
    }

    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn f16_at(p: *const u8) -> f32 {
        // SAFETY: `p` points at 2 readable bytes of a block (the callers' asserts bound every block);
        // the read is unaligned.
        let bits = unsafe { std::ptr::read_unaligned(p as *const u16) };
        _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(bits as i32)))
    }

    /// Σ x·y over 32 signed bytes, as 8 f32 lanes.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    fn mul_i8(x: __m256i, y: __m256i) -> __m256 {
        let ax = _mm256_sign_epi8(x, x);
        let sy = _mm256_sign_epi8(y, x);
        mul_u8_i8(ax, sy)
    }

    /// Σ x·y over 32 unsigned × signed bytes, as 8 f32 lanes.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    fn mul_u8_i8(x: __m256i, y: __m256i) -> __m256 {
        let dot = _mm256_maddubs_epi16(x, y);
        _mm256_cvtepi32_ps(_mm256_madd_epi16(dot, _mm256_set1_epi16(1)))
    }

    /// 32 nibbles of 16 bytes as bytes 0..16: low nibbles first, then high nibbles.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn nibbles(p: *const u8) -> __m256i {
        // SAFETY: `p` points at a block's 16 bytes of nibbles, inside the row the caller bounds-checked.
        let lo = unsafe { _mm_loadu_si128(p as *const __m128i) };
        let both = _mm256_set_m128i(_mm_srli_epi16::<4>(lo), lo);
        _mm256_and_si256(both, _mm256_set1_epi8(0x0F))
    }

    #[inline]
    unsafe fn load(p: *const u8) -> __m256i {
        // SAFETY: callers pass a pointer with 32 readable bytes (an activation block or a block's quants).
        unsafe { _mm256_loadu_si256(p as *const __m256i) }
    }

    const PREFETCH: bool = true;

    /// Defines a kernel computing the dot products of 4 consecutive weight rows with the
    /// quantized activation: each activation block is loaded once for the 4 rows, and the 4
    /// rows accumulate in 4 independent registers. `$block(p, xv, dx, sx)` returns, for the
    /// weight block at `p`, the 8-lane partial sums already scaled and the scalar offset term.
    macro_rules! four_rows {
        ($name:ident, $bytes:expr, $block:ident) => {
            #[target_feature(enable = "avx2,fma,f16c")]
            pub unsafe fn $name(
                rows: &[u8],
                row_bytes: usize,
                qs: &[i8],
                d: &[f32],
                s: &[f32],
            ) -> [f32; 4] {
                let nb = d.len();
                assert!(
                    rows.len() == 4 * row_bytes
                        && row_bytes == nb * $bytes
                        && qs.len() == nb * 32
                        && s.len() == nb
                );
                let (w, x) = (rows.as_ptr(), qs.as_ptr() as *const u8);
                let pf = crate::llm::kernels::gemv_k::prefetch_distance(row_bytes);
                let mut acc = [_mm256_setzero_ps(); 4];
                let mut off = [0f32; 4];
                for b in 0..nb {
                    // SAFETY: the assert above bounds every row (4 × `row_bytes`) and activation block (32 bytes, `nb`
                    // scales), so `w + r·row_bytes + b·$bytes` and `x + 32b` stay inside; prefetch never faults.
                    // AVX2/FMA/F16C are enabled on this function and callers check them at run time.
                    unsafe {
                        // Rows further on stream in while these are multiplied.
                        if PREFETCH {
                            for r in 0..4 {
                                _mm_prefetch::<_MM_HINT_T0>(
                                    w.wrapping_add(pf + r * row_bytes + b * $bytes) as *const i8,
                                );
                            }
                        }
                        let xv = load(x.add(b * 32));
                        let (dx, sx) = (*d.get_unchecked(b), *s.get_unchecked(b));
                        for r in 0..4 {
                            let (v, o) =
                                $block(w.add(r * row_bytes + b * $bytes), xv, dx, sx, acc[r]);
                            acc[r] = v;
                            off[r] += o;
                        }
                    }
                }
                [
                    hsum(acc[0]) + off[0],
                    hsum(acc[1]) + off[1],
                    hsum(acc[2]) + off[2],
                    hsum(acc[3]) + off[3],
                ]
            }
        };
    }

    /// Q8_0 block (34 bytes): f16 d, 32 × i8.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn q8_0(p: *const u8, xv: __m256i, dx: f32, _sx: f32, acc: __m256) -> (__m256, f32) {
        // SAFETY: `p` is a whole Q8_0 block (34 bytes) inside the rows bounded by the caller.
        unsafe {
            let scale = _mm256_set1_ps(f16_at(p) * dx);
            (_mm256_fmadd_ps(scale, mul_i8(load(p.add(2)), xv), acc), 0.0)
        }
    }

    /// Q4_1 block (20 bytes): f16 d, f16 m, 16 bytes of nibbles; value = q·d + m.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn q4_1(p: *const u8, xv: __m256i, dx: f32, sx: f32, acc: __m256) -> (__m256, f32) {
        // SAFETY: `p` is a whole Q4_1 block (20 bytes) inside the rows bounded by the caller.
        unsafe {
            let scale = _mm256_set1_ps(f16_at(p) * dx);
            let t = mul_u8_i8(nibbles(p.add(4)), xv);
            (_mm256_fmadd_ps(scale, t, acc), f16_at(p.add(2)) * sx)
        }
    }

    /// Q4_0 block (18 bytes): f16 d, 16 bytes of nibbles; value = (q − 8)·d.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn q4_0(p: *const u8, xv: __m256i, dx: f32, sx: f32, acc: __m256) -> (__m256, f32) {
        // SAFETY: `p` is a whole Q4_0 block (18 bytes) inside the rows bounded by the caller.
        unsafe {
            let dw = f16_at(p);
            let t = mul_u8_i8(nibbles(p.add(2)), xv);
            (
                _mm256_fmadd_ps(_mm256_set1_ps(dw * dx), t, acc),
                -8.0 * dw * sx,
            )
        }
    }

    /// The 32 unsigned 5-bit values (0..32) of the Q5_0 block at `p`, value i in byte i.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn q5(p: *const u8) -> __m256i {
        // SAFETY: `p` is a whole Q5_0 block (22 bytes) the caller bounds-checked.
        let qh = unsafe { std::ptr::read_unaligned(p.add(2) as *const u32) };
        // Byte i of `bits` is 0xFF where bit i of qh is set (llama.cpp's bytes_from_bits_32).
        let spread = _mm256_shuffle_epi8(
            _mm256_set1_epi32(qh as i32),
            _mm256_set_epi64x(
                0x0303_0303_0303_0303,
                0x0202_0202_0202_0202,
                0x0101_0101_0101_0101,
                0,
            ),
        );
        let bits = _mm256_cmpeq_epi8(
            _mm256_or_si256(spread, _mm256_set1_epi64x(0x7fbf_dfef_f7fb_fdfe)),
            _mm256_set1_epi64x(-1),
        );
        // SAFETY: the nibbles are bytes 6..22 of the block.
        let lo = unsafe { nibbles(p.add(6)) };
        _mm256_or_si256(lo, _mm256_and_si256(bits, _mm256_set1_epi8(0x10)))
    }

    /// Q5_0 block (22 bytes): f16 d, 32 high bits `qh` (bit i: value i), 16 bytes of nibbles;
    /// value = (q − 16)·d with q = nibble | high bit << 4, taken unsigned (0..32) by `maddubs`.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn q5_0(p: *const u8, xv: __m256i, dx: f32, sx: f32, acc: __m256) -> (__m256, f32) {
        // SAFETY: `p` is a whole Q5_0 block (22 bytes) inside the rows bounded by the caller.
        unsafe {
            let dw = f16_at(p);
            let t = mul_u8_i8(q5(p), xv);
            (
                _mm256_fmadd_ps(_mm256_set1_ps(dw * dx), t, acc),
                -16.0 * dw * sx,
            )
        }
    }

    /// Unpacks Q4_1 blocks (`bytes`: 20 per block) into 32 f32 values each.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub unsafe fn q4_1_to_float(bytes: &[u8], ys: &mut [f32]) {
        assert!(bytes.len().is_multiple_of(20) && ys.len() == bytes.len() / 20 * 32);
        for (b, out) in ys.chunks_exact_mut(32).enumerate() {
            // SAFETY: the assert gives 20 bytes per block for each 32 outputs, so `p .. p + 20` is in `bytes`.
            unsafe {
                let p = bytes.as_ptr().add(b * 20);
                let (d, m) = (_mm256_set1_ps(f16_at(p)), _mm256_set1_ps(f16_at(p.add(2))));
                let q = nibbles(p.add(4));
                let halves = [_mm256_castsi256_si128(q), _mm256_extracti128_si256::<1>(q)];
                for (h, half) in halves.into_iter().enumerate() {
                    let lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(half));
                    let hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128::<8>(half)));
                    let o = out.as_mut_ptr().add(h * 16);
                    _mm256_storeu_ps(o, _mm256_fmadd_ps(lo, d, m));
                    _mm256_storeu_ps(o.add(8), _mm256_fmadd_ps(hi, d, m));
                }
            }
        }
    }

    /// Unpacks Q5_0 blocks (`bytes`: 22 per block) into 32 f32 values each.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub unsafe fn q5_0_to_float(bytes: &[u8], ys: &mut [f32]) {
        assert!(bytes.len().is_multiple_of(22) && ys.len() == bytes.len() / 22 * 32);
        for (b, out) in ys.chunks_exact_mut(32).enumerate() {
            // SAFETY: the assert gives 22 bytes per block for each 32 outputs, so `p .. p + 22` is in `bytes`.
            unsafe {
                let p = bytes.as_ptr().add(b * 22);
                let d = f16_at(p);
                let (d, m) = (_mm256_set1_ps(d), _mm256_set1_ps(-16.0 * d));
                let q = q5(p);
                let halves = [_mm256_castsi256_si128(q), _mm256_extracti128_si256::<1>(q)];
                for (h, half) in halves.into_iter().enumerate() {
                    let lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(half));
                    let hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128::<8>(half)));
                    let o = out.as_mut_ptr().add(h * 16);
                    _mm256_storeu_ps(o, _mm256_fmadd_ps(lo, d, m));
                    _mm256_storeu_ps(o.add(8), _mm256_fmadd_ps(hi, d, m));
                }
            }
        }
    }

    four_rows!(dot4_q8_0, 34, q8_0);
    four_rows!(dot4_q4_1, 20, q4_1);
    four_rows!(dot4_q4_0, 18, q4_0);
    four_rows!(dot4_q5_0, 22, q5_0);
}

/// Other targets: no own kernels, so [`gemv`] takes candle's vec-dot for every format.
#[cfg(not(target_arch = "x86_64"))]
mod simd {
    pub fn available() -> bool {
        false
    }
    pub unsafe fn quantize(x: &[f32], qs: &mut [i8], d: &mut [f32], s: &mut [f32]) {
        super::quantize_blocks(x, qs, d, s)
    }
    pub unsafe fn q4_1_to_float(_: &[u8], _: &mut [f32]) {
        unreachable!("no SIMD kernels on this target")
    }
    pub unsafe fn q5_0_to_float(_: &[u8], _: &mut [f32]) {
        unreachable!("no SIMD kernels on this target")
    }
    pub unsafe fn dot4_q8_0(_: &[u8], _: usize, _: &[i8], _: &[f32], _: &[f32]) -> [f32; 4] {
        unreachable!("no SIMD kernels on this target")
    }
    pub unsafe fn dot4_q4_1(_: &[u8], _: usize, _: &[i8], _: &[f32], _: &[f32]) -> [f32; 4] {
        unreachable!("no SIMD kernels on this target")
    }
    pub unsafe fn dot4_q4_0(_: &[u8], _: usize, _: &[i8], _: &[f32], _: &[f32]) -> [f32; 4] {
        unreachable!("no SIMD kernels on this target")
    }
    pub unsafe fn dot4_q5_0(_: &[u8], _: usize, _: &[i8], _: &[f32], _: &[f32]) -> [f32; 4] {
        unreachable!("no SIMD kernels on this target")
    }
}

#[cfg(test)]
#[path = "gemv_tests.rs"]
mod tests;
