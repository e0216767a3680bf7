//! x86 decode kernels for Q4_K and Q6_K weights (AVX2, and AVX-512 VNNI) and for Q8_0 and Q4_1
//! weights (AVX-512 VNNI; their AVX2 kernels live in [`super::gemv`]).
//!
//! Each kernel computes `R` (1..=4) consecutive weight rows against one quantized activation,
//! loading each activation vector once for the `R` rows, which accumulate in independent
//! registers. The K-quant kernels read the activation as candle's `BlockQ8K` does (one f32 scale
//! per 256 values, i8 values, sums per 16), so they compute what candle's `vec_dot` computes,
//! up to the order of the float additions.
//!
//! Layouts (candle's `#[repr(C)]` blocks, 256 values each):
//! - Q4_K, 144 bytes: f16 d, f16 dmin, 12 bytes of packed 6-bit scales and mins, 128 bytes of
//!   nibbles: bytes `32c..32c+32` hold values `64c..64c+32` (low nibbles, sub-block `2c`) and
//!   `64c+32..64c+64` (high nibbles, sub-block `2c+1`); value = d·sc·q − dmin·m.
//! - Q6_K, 210 bytes: 128 bytes of low nibbles `ql`, 64 bytes of 2-bit high parts `qh`, 16 i8
//!   scales (one per 16 values), f16 d; value = d·sc·(q − 32).
//! - Q8_0, 34 bytes: f16 d, 32 × i8 (and Q4_1, 20 bytes, and Q5_0, 22 bytes, below).

use super::vmath::avx2::hsum;
use std::arch::x86_64::*;

/// Bytes of one Q4_K block.
pub const Q4K_BYTES: usize = 144;
/// Bytes of one Q6_K block.
pub const Q6K_BYTES: usize = 210;
/// Bytes of one Q8_0 block.
pub const Q8_0_BYTES: usize = 34;

/// The activation quantized per 256 values, as candle's `BlockQ8K` (fields split out):
/// `qs`: k values, `d`: k/256 scales, `bsums`: k/16 sums of 16 values, `bsum32`: k/32 sums.
#[derive(Debug, Clone, Copy)]
pub struct Q8K<'a> {
    pub qs: &'a [i8],
    pub d: &'a [f32],
    pub bsums: &'a [i16],
    pub bsum32: &'a [i32],
}

impl Q8K<'_> {
    /// Whether the lengths agree for `nsb` blocks of 256 values.
    fn fits(&self, nsb: usize) -> bool {
        self.qs.len() == nsb * 256
            && self.d.len() == nsb
            && self.bsums.len() == nsb * 16
            && self.bsum32.len() == nsb * 8
    }
}

/// The f16 at `p` as f32.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn f16_at(p: *const u8) -> f32 {
    // SAFETY: callers pass a pointer to 2 readable bytes inside a block they bounds-checked.
    let bits = unsafe { std::ptr::read_unaligned(p as *const u16) };
    _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(bits as i32)))
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn load(p: *const u8) -> __m256i {
    // SAFETY: callers pass a pointer with 32 readable bytes.
    unsafe { _mm256_loadu_si256(p as *const __m256i) }
}

/// Q4_K's 8 scales and 8 mins, unpacked from the 12 bytes at `p` (candle's `utmp` shuffle).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn q4k_scales(p: *const u8) -> (u64, u64) {
    const KMASK1: u32 = 0x3f3f_3f3f;
    const KMASK2: u32 = 0x0f0f_0f0f;
    const KMASK3: u32 = 0x0303_0303;
    // SAFETY: `p` points at a block's 12 scale bytes.
    let (u0, u1, u2) = unsafe {
        (
            std::ptr::read_unaligned(p as *const u32),
            std::ptr::read_unaligned(p.add(4) as *const u32),
            std::ptr::read_unaligned(p.add(8) as *const u32),
        )
    };
    let m1 = ((u2 >> 4) & KMASK2) | (((u1 >> 6) & KMASK3) << 4);
    let m0 = u1 & KMASK1;
    let s1 = (u2 & KMASK2) | (((u0 >> 6) & KMASK3) << 4);
    let s0 = u0 & KMASK1;
    (s0 as u64 | (s1 as u64) << 32, m0 as u64 | (m1 as u64) << 32)
}

/// `Σ a·b` over 32 u8 × i8 pairs, each 16-bit pair sum multiplied by the 16-bit `scale` lane
/// and added to `acc` (8 × i32). `VNNI` fuses the multiply-add into one `vpdpwssd`.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn madd_scaled_avx2(acc: __m256i, a: __m256i, b: __m256i, scale: __m256i) -> __m256i {
    _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), scale))
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn madd_scaled_vnni(acc: __m256i, a: __m256i, b: __m256i, scale: __m256i) -> __m256i {
    _mm256_dpwssd_epi32(acc, _mm256_maddubs_epi16(a, b), scale)
}

/// Defines a Q4_K kernel with the given target features and scaled multiply-add.
macro_rules! q4k_kernel {
    ($name:ident, $features:literal, $madd:ident) => {
        /// Dot products of `R` consecutive Q4_K rows (`rows`: at least `R · row_bytes` bytes)
        /// with the activation `a`.
        #[target_feature(enable = $features)]
        pub unsafe fn $name<const R: usize>(rows: &[u8], row_bytes: usize, a: Q8K<'_>) -> [f32; R] {
            let nsb = a.d.len();
            assert!(rows.len() >= R * row_bytes && row_bytes == nsb * Q4K_BYTES && a.fits(nsb));
            let (w, y) = (rows.as_ptr(), a.qs.as_ptr() as *const u8);
            let pf = super::gemv_k::prefetch_distance(row_bytes);
            let m4 = _mm256_set1_epi8(0x0F);
            let mut acc = [_mm256_setzero_ps(); R];
            for sb in 0..nsb {
                // SAFETY: the assert bounds every row (`R · row_bytes`, `nsb` blocks each) and the
                // activation (`nsb` blocks of 256 values, 16 and 8 sums); prefetch never faults.
                unsafe {
                    let ys = y.add(sb * 256);
                    let bs32 = _mm256_loadu_si256(a.bsum32.as_ptr().add(sb * 8) as *const __m256i);
                    let dy = *a.d.get_unchecked(sb);
                    let mut sc = [_mm256_setzero_si256(); R];
                    let mut sumi = [_mm256_setzero_si256(); R];
                    for r in 0..R {
                        let p = w.add(r * row_bytes + sb * Q4K_BYTES);
                        _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(pf) as *const i8);
                        _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(pf + 64) as *const i8);
                        _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(pf + 128) as *const i8);
                        let (s, m) = q4k_scales(p.add(4));
                        sc[r] = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(
                            s as i64,
                        )));
                        // The mins: −dmin·Σ m_j·(Σ of sub-block j's activation values).
                        let mins = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(m as i64));
                        let msum = _mm256_cvtepi32_ps(_mm256_mullo_epi32(mins, bs32));
                        let dmin = f16_at(p.add(2)) * dy;
                        acc[r] = _mm256_fnmadd_ps(_mm256_set1_ps(dmin), msum, acc[r]);
                    }
                    for c in 0..4 {
                        let ylo = load(ys.add(64 * c));
                        let yhi = load(ys.add(64 * c + 32));
                        let slo = _mm256_set1_epi16((0x0100 + 0x0202 * 2 * c) as i16);
                        let shi = _mm256_set1_epi16((0x0100 + 0x0202 * (2 * c + 1)) as i16);
                        for r in 0..R {
                            let q = load(w.add(r * row_bytes + sb * Q4K_BYTES + 16 + 32 * c));
                            let lo = _mm256_and_si256(q, m4);
                            let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(q), m4);
                            let s_lo = _mm256_shuffle_epi8(sc[r], slo);
                            let s_hi = _mm256_shuffle_epi8(sc[r], shi);
                            sumi[r] = $madd(sumi[r], lo, ylo, s_lo);
                            sumi[r] = $madd(sumi[r], hi, yhi, s_hi);
                        }
                    }
                    for r in 0..R {
                        let d = f16_at(w.add(r * row_bytes + sb * Q4K_BYTES)) * dy;
                        acc[r] =
                            _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi[r]), acc[r]);
                    }
                }
            }
            std::array::from_fn(|r| hsum(acc[r]))
        }
    };
}

/// Defines a Q6_K kernel with the given target features and scaled multiply-add.
macro_rules! q6k_kernel {
    ($name:ident, $features:literal, $madd:ident) => {
        /// Dot products of `R` consecutive Q6_K rows (`rows`: at least `R · row_bytes` bytes)
        /// with the activation `a`.
        #[target_feature(enable = $features)]
        pub unsafe fn $name<const R: usize>(rows: &[u8], row_bytes: usize, a: Q8K<'_>) -> [f32; R] {
            let nsb = a.d.len();
            assert!(rows.len() >= R * row_bytes && row_bytes == nsb * Q6K_BYTES && a.fits(nsb));
            let (w, y) = (rows.as_ptr(), a.qs.as_ptr() as *const u8);
            let pf = super::gemv_k::prefetch_distance(row_bytes);
            let (m4, m30) = (_mm256_set1_epi8(0x0F), _mm256_set1_epi8(0x30));
            let mut acc = [_mm256_setzero_ps(); R];
            for sb in 0..nsb {
                // SAFETY: the assert bounds every row (`R · row_bytes`, `nsb` blocks each) and the
                // activation (`nsb` blocks of 256 values and 16 sums); prefetch never faults.
                unsafe {
                    let ys = y.add(sb * 256);
                    let bsums = _mm256_loadu_si256(a.bsums.as_ptr().add(sb * 16) as *const __m256i);
                    let mut sc = [[_mm256_setzero_si256(); 2]; R];
                    let mut sumi = [_mm256_setzero_si256(); R];
                    for r in 0..R {
                        let p = w.add(r * row_bytes + sb * Q6K_BYTES);
                        for l in 0..4 {
                            _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(pf + 64 * l) as *const i8);
                        }
                        let s16 =
                            _mm256_cvtepi8_epi16(_mm_loadu_si128(p.add(192) as *const __m128i));
                        // The −32 offset of every value: −32·Σ_g sc_g·(Σ of group g's activation).
                        sumi[r] = _mm256_slli_epi32::<5>(_mm256_sub_epi32(
                            _mm256_setzero_si256(),
                            _mm256_madd_epi16(s16, bsums),
                        ));
                        sc[r] = [
                            _mm256_broadcastsi128_si256(_mm256_castsi256_si128(s16)),
                            _mm256_broadcastsi128_si256(_mm256_extracti128_si256::<1>(s16)),
                        ];
                    }
                    for j in 0..2 {
                        let yj = ys.add(128 * j);
                        let yv = [
                            load(yj),
                            load(yj.add(32)),
                            load(yj.add(64)),
                            load(yj.add(96)),
                        ];
                        for r in 0..R {
                            let p = w.add(r * row_bytes + sb * Q6K_BYTES);
                            let q4a = load(p.add(64 * j));
                            let q4b = load(p.add(64 * j + 32));
                            let h = load(p.add(128 + 32 * j));
                            let v = [
                                _mm256_or_si256(
                                    _mm256_and_si256(q4a, m4),
                                    _mm256_and_si256(_mm256_slli_epi16::<4>(h), m30),
                                ),
                                _mm256_or_si256(
                                    _mm256_and_si256(q4b, m4),
                                    _mm256_and_si256(_mm256_slli_epi16::<2>(h), m30),
                                ),
                                _mm256_or_si256(
                                    _mm256_and_si256(_mm256_srli_epi16::<4>(q4a), m4),
                                    _mm256_and_si256(h, m30),
                                ),
                                _mm256_or_si256(
                                    _mm256_and_si256(_mm256_srli_epi16::<4>(q4b), m4),
                                    _mm256_and_si256(_mm256_srli_epi16::<2>(h), m30),
                                ),
                            ];
                            for (m, (&v, &yv)) in v.iter().zip(&yv).enumerate() {
                                // Groups 2m and 2m+1 of this half: lanes 0–7 and 8–15.
                                let lo = (0x0100 + 0x0202 * 2 * m) as i16;
                                let hi = (0x0100 + 0x0202 * (2 * m + 1)) as i16;
                                let sel = _mm256_setr_epi16(
                                    lo, lo, lo, lo, lo, lo, lo, lo, hi, hi, hi, hi, hi, hi, hi, hi,
                                );
                                let s = _mm256_shuffle_epi8(sc[r][j], sel);
                                sumi[r] = $madd(sumi[r], v, yv, s);
                            }
                        }
                    }
                    let dy = *a.d.get_unchecked(sb);
                    for r in 0..R {
                        let d = f16_at(w.add(r * row_bytes + sb * Q6K_BYTES + 208)) * dy;
                        acc[r] =
                            _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi[r]), acc[r]);
                    }
                }
            }
            std::array::from_fn(|r| hsum(acc[r]))
        }
    };
}

q4k_kernel!(q4k_avx2, "avx2,fma,f16c", madd_scaled_avx2);
q4k_kernel!(
    q4k_vnni,
    "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni",
    madd_scaled_vnni
);
q6k_kernel!(q6k_avx2, "avx2,fma,f16c", madd_scaled_avx2);
q6k_kernel!(
    q6k_vnni,
    "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni",
    madd_scaled_vnni
);

/// Dot products of `R` consecutive Q8_0 rows with the activation quantized per 32 values
/// (`qs`: nb·32 values, `d`: nb scales), on AVX-512 VNNI.
///
/// `vpdpbusd` multiplies unsigned by signed bytes, so the weight bytes are flipped to `w + 128`
/// and the integer accumulator starts at `−128·Σx` per lane, which makes each block's integer
/// dot product exact. The weight scales are converted 8 blocks at a time (one gather) into a
/// small table that the per-block multiply-adds broadcast from.
// The block index also addresses the weight and the activation: indexing reads clearer here.
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
pub unsafe fn q8_0_vnni<const R: usize>(
    rows: &[u8],
    row_bytes: usize,
    qs: &[i8],
    d: &[f32],
) -> [f32; R] {
    let nb = d.len();
    assert!(rows.len() >= R * row_bytes && row_bytes == nb * Q8_0_BYTES && qs.len() == nb * 32);
    let (w, x) = (rows.as_ptr(), qs.as_ptr() as *const u8);
    let pf = super::gemv_k::prefetch_distance(row_bytes);
    let flip = _mm256_set1_epi8(-128);
    let idx = _mm256_setr_epi32(0, 34, 68, 102, 136, 170, 204, 238);
    let mut acc = [_mm256_setzero_ps(); R];
    let mut scales = [[0f32; 8]; R];
    let mut b0 = 0;
    while b0 < nb {
        let nc = (nb - b0).min(8);
        // SAFETY: the assert bounds every row (`R · row_bytes` = R × nb blocks) and activation
        // block; the gathers read 4 bytes at the start of each of 8 whole blocks of a row.
        unsafe {
            if nc == 8 {
                let dx = _mm256_loadu_ps(d.as_ptr().add(b0));
                for (r, s) in scales.iter_mut().enumerate() {
                    let base = w.add(r * row_bytes + b0 * Q8_0_BYTES) as *const i32;
                    let g = _mm256_i32gather_epi32::<1>(base, idx);
                    let dw = _mm256_cvtph_ps(_mm256_cvtepi32_epi16(g));
                    _mm256_storeu_ps(s.as_mut_ptr(), _mm256_mul_ps(dw, dx));
                }
            } else {
                for (r, s) in scales.iter_mut().enumerate() {
                    for (i, s) in s.iter_mut().take(nc).enumerate() {
                        let b = b0 + i;
                        *s = f16_at(w.add(r * row_bytes + b * Q8_0_BYTES)) * *d.get_unchecked(b);
                    }
                }
            }
            for i in 0..nc {
                let b = b0 + i;
                let xv = load(x.add(b * 32));
                let neg = _mm256_sub_epi32(
                    _mm256_setzero_si256(),
                    _mm256_dpbusd_epi32(_mm256_setzero_si256(), flip, xv),
                );
                for r in 0..R {
                    let p = w.add(r * row_bytes + b * Q8_0_BYTES);
                    _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(pf) as *const i8);
                    let wv = _mm256_xor_si256(load(p.add(2)), flip);
                    let dot = _mm256_dpbusd_epi32(neg, wv, xv);
                    acc[r] = _mm256_fmadd_ps(
                        _mm256_cvtepi32_ps(dot),
                        _mm256_set1_ps(scales[r][i]),
                        acc[r],
                    );
                }
            }
        }
        b0 += nc;
    }
    std::array::from_fn(|r| hsum(acc[r]))
}

/// Bytes of one Q4_1 block: f16 d, f16 m, 16 bytes of nibbles (low nibbles are values 0–15,
/// high nibbles 16–31); value = d·q + m.
pub const Q4_1_BYTES: usize = 20;

/// Dot products of `R` consecutive Q4_1 rows with the activation quantized per 32 values
/// (`qs`, scales `d`, `s[b] = d[b]·Σ qs` of block `b`), on AVX-512 VNNI.
///
/// The nibbles are unsigned, so `vpdpbusd` takes them as they are; one gather per 8 blocks
/// reads both f16 scales (d and m) of each block.
// The block index also addresses the weight and the activation: indexing reads clearer here.
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
pub unsafe fn q4_1_vnni<const R: usize>(
    rows: &[u8],
    row_bytes: usize,
    qs: &[i8],
    d: &[f32],
    s: &[f32],
) -> [f32; R] {
    let nb = d.len();
    assert!(
        rows.len() >= R * row_bytes
            && row_bytes == nb * Q4_1_BYTES
            && qs.len() == nb * 32
            && s.len() == nb
    );
    let (w, x) = (rows.as_ptr(), qs.as_ptr() as *const u8);
    let pf = super::gemv_k::prefetch_distance(row_bytes);
    let m4 = _mm256_set1_epi8(0x0F);
    // Shift the upper 128-bit lane (a copy of the 16 bytes) by 4: its nibbles are the high ones.
    let shift = _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4);
    let idx = _mm256_setr_epi32(0, 20, 40, 60, 80, 100, 120, 140);
    let mut acc = [_mm256_setzero_ps(); R];
    let mut offset = [_mm256_setzero_ps(); R];
    let mut off_tail = [0f32; R];
    let mut scales = [[0f32; 8]; R];
    let mut b0 = 0;
    while b0 < nb {
        let nc = (nb - b0).min(8);
        // SAFETY: the assert bounds every row (`R · row_bytes` = R × nb blocks) and activation
        // block; the gathers read the 4 scale bytes at the start of each of 8 whole blocks.
        unsafe {
            if nc == 8 {
                let dx = _mm256_loadu_ps(d.as_ptr().add(b0));
                let sx = _mm256_loadu_ps(s.as_ptr().add(b0));
                for r in 0..R {
                    let base = w.add(r * row_bytes + b0 * Q4_1_BYTES) as *const i32;
                    let g = _mm256_i32gather_epi32::<1>(base, idx);
                    let dw = _mm256_cvtph_ps(_mm256_cvtepi32_epi16(g));
                    let mw = _mm256_cvtph_ps(_mm256_cvtepi32_epi16(_mm256_srli_epi32::<16>(g)));
                    _mm256_storeu_ps(scales[r].as_mut_ptr(), _mm256_mul_ps(dw, dx));
                    offset[r] = _mm256_fmadd_ps(mw, sx, offset[r]);
                }
            } else {
                for r in 0..R {
                    for i in 0..nc {
                        let b = b0 + i;
                        let p = w.add(r * row_bytes + b * Q4_1_BYTES);
                        scales[r][i] = f16_at(p) * *d.get_unchecked(b);
                        off_tail[r] += f16_at(p.add(2)) * *s.get_unchecked(b);
                    }
                }
            }
            for i in 0..nc {
                let b = b0 + i;
                let xv = load(x.add(b * 32));
                for r in 0..R {
                    let p = w.add(r * row_bytes + b * Q4_1_BYTES);
                    _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(pf) as *const i8);
                    let both =
                        _mm256_broadcastsi128_si256(_mm_loadu_si128(p.add(4) as *const __m128i));
                    let q = _mm256_and_si256(_mm256_srlv_epi32(both, shift), m4);
                    let dot = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q, xv);
                    acc[r] = _mm256_fmadd_ps(
                        _mm256_cvtepi32_ps(dot),
                        _mm256_set1_ps(scales[r][i]),
                        acc[r],
                    );
                }
            }
        }
        b0 += nc;
    }
    std::array::from_fn(|r| hsum(acc[r]) + hsum(offset[r]) + off_tail[r])
}

/// Bytes of one Q5_0 block: f16 d, 4 bytes `qh` (bit i: the fifth bit of value i), 16 bytes of
/// nibbles (low nibbles are values 0–15, high nibbles 16–31); value = d·(q − 16).
pub const Q5_0_BYTES: usize = 22;

/// Dot products of `R` consecutive Q5_0 rows with the activation quantized per 32 values
/// (`qs`, scales `d`, `s[b] = d[b]·Σ qs` of block `b`), on AVX-512 VNNI.
///
/// The 5-bit values are taken unsigned (0..32, the fifth bit set from `qh` with one masked
/// move) for `vpdpbusd`; the −16 offset is `−16·d_w·s[b]` per block. One gather per 8 blocks
/// reads the f16 scales.
// The block index also addresses the weight and the activation: indexing reads clearer here.
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
pub unsafe fn q5_0_vnni<const R: usize>(
    rows: &[u8],
    row_bytes: usize,
    qs: &[i8],
    d: &[f32],
    s: &[f32],
) -> [f32; R] {
    let nb = d.len();
    assert!(
        rows.len() >= R * row_bytes
            && row_bytes == nb * Q5_0_BYTES
            && qs.len() == nb * 32
            && s.len() == nb
    );
    let (w, x) = (rows.as_ptr(), qs.as_ptr() as *const u8);
    let pf = super::gemv_k::prefetch_distance(row_bytes);
    let (m4, hi) = (_mm256_set1_epi8(0x0F), _mm256_set1_epi8(0x10));
    // Shift the upper 128-bit lane (a copy of the 16 bytes) by 4: its nibbles are the high ones.
    let shift = _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4);
    let idx = _mm256_setr_epi32(0, 22, 44, 66, 88, 110, 132, 154);
    let mut acc = [_mm256_setzero_ps(); R];
    // Σ d_w·s[b] per row (times −16 at the end).
    let mut offset = [_mm256_setzero_ps(); R];
    let mut off_tail = [0f32; R];
    let mut scales = [[0f32; 8]; R];
    let mut b0 = 0;
    while b0 < nb {
        let nc = (nb - b0).min(8);
        // SAFETY: the assert bounds every row (`R · row_bytes` = R × nb blocks) and activation
        // block; the gathers read 4 bytes at the start of each of 8 whole blocks of a row.
        unsafe {
            if nc == 8 {
                let dx = _mm256_loadu_ps(d.as_ptr().add(b0));
                let sx = _mm256_loadu_ps(s.as_ptr().add(b0));
                for r in 0..R {
                    let base = w.add(r * row_bytes + b0 * Q5_0_BYTES) as *const i32;
                    let g = _mm256_i32gather_epi32::<1>(base, idx);
                    let dw = _mm256_cvtph_ps(_mm256_cvtepi32_epi16(g));
                    _mm256_storeu_ps(scales[r].as_mut_ptr(), _mm256_mul_ps(dw, dx));
                    offset[r] = _mm256_fmadd_ps(dw, sx, offset[r]);
                }
            } else {
                for r in 0..R {
                    for i in 0..nc {
                        let b = b0 + i;
                        let dw = f16_at(w.add(r * row_bytes + b * Q5_0_BYTES));
                        scales[r][i] = dw * *d.get_unchecked(b);
                        off_tail[r] += dw * *s.get_unchecked(b);
                    }
                }
            }
            for i in 0..nc {
                let b = b0 + i;
                let xv = load(x.add(b * 32));
                for r in 0..R {
                    let p = w.add(r * row_bytes + b * Q5_0_BYTES);
                    _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(pf) as *const i8);
                    let qh = std::ptr::read_unaligned(p.add(2) as *const u32);
                    let both =
                        _mm256_broadcastsi128_si256(_mm_loadu_si128(p.add(6) as *const __m128i));
                    let q = _mm256_or_si256(
                        _mm256_and_si256(_mm256_srlv_epi32(both, shift), m4),
                        _mm256_maskz_mov_epi8(qh, hi),
                    );
                    let dot = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q, xv);
                    acc[r] = _mm256_fmadd_ps(
                        _mm256_cvtepi32_ps(dot),
                        _mm256_set1_ps(scales[r][i]),
                        acc[r],
                    );
                }
            }
        }
        b0 += nc;
    }
    std::array::from_fn(|r| hsum(acc[r]) - 16.0 * (hsum(offset[r]) + off_tail[r]))
}
