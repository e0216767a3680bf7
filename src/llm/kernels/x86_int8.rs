//! AVX-512 VNNI kernels of [`super::int8_gemm`]: `R` prompt rows against one packed tile of 16
//! weight rows, over a stretch of 256-value blocks.
//!
//! Every `vpdpbusd` multiplies 4 unsigned weight values of each of the 16 rows (one 64-byte
//! line of the tile) by the same 4 signed prompt values, broadcast, and adds the 4 products to
//! each row's lane. Per sub-block the integer sums become f32 and take the weight's sub-block
//! scale (one vector: a scale per lane, i.e. per weight row); per block the prompt's scale.
//!
//! Registers: per prompt row, one f32 accumulator for the output, one for the current block
//! and two integer sums: 24 of the 32 vector registers at `R = 6`.

use super::int8_gemm::{Row, Q32_SCALES, Q4K_SCALES, Q6K_SCALES};
use std::arch::x86_64::*;

/// One kernel call: the prompt rows, the stretch of blocks, the packed tiles and the output.
pub(crate) struct Part<'a> {
    /// The prompt rows (`R` of them).
    pub rows: &'a [Row],
    /// The first block of the stretch.
    pub b0: usize,
    /// Blocks in the stretch (packed tiles at `tile`).
    pub nblk: usize,
    /// The packed tiles.
    pub tile: *const u8,
    /// Column 0 of the 16 output columns of the first prompt row.
    pub dst: *mut f32,
    /// Output row stride.
    pub n: usize,
    /// Whether this stretch starts the sums (else they add to `dst`).
    pub first: bool,
}

/// The 4 bytes at `p` as one i32 broadcast to every lane.
#[inline(always)]
unsafe fn bcast4(p: *const i8) -> __m512i {
    // SAFETY: callers pass a pointer to 4 readable bytes.
    _mm512_set1_epi32(unsafe { std::ptr::read_unaligned(p as *const i32) })
}

/// The prompt rows' value, scale and sum pointers at the first block of the stretch.
#[inline(always)]
fn row_ptrs<const R: usize>(p: &Part<'_>) -> [(*const i8, *const f32); R] {
    std::array::from_fn(|i| {
        let row = &p.rows[i];
        (row.qs[p.b0 * 256..].as_ptr(), row.d[p.b0..].as_ptr())
    })
}

/// The accumulators at the start of a stretch: zero, or what `dst` holds.
#[inline(always)]
unsafe fn load_acc<const R: usize>(p: &Part<'_>) -> [__m512; R] {
    std::array::from_fn(|i| {
        if p.first {
            _mm512_setzero_ps()
        } else {
            // SAFETY: the caller's contract: 16 columns of row `i` at `dst + i·n`.
            unsafe { _mm512_loadu_ps(p.dst.add(i * p.n)) }
        }
    })
}

#[inline(always)]
unsafe fn store_acc<const R: usize>(p: &Part<'_>, acc: &[__m512; R]) {
    for (i, a) in acc.iter().enumerate() {
        // SAFETY: the caller's contract: 16 columns of row `i` at `dst + i·n`.
        unsafe { _mm512_storeu_ps(p.dst.add(i * p.n), *a) };
    }
}

/// `R` prompt rows against packed Q4_K tiles (see [`super::int8_gemm`]'s `pack`): value =
/// `d·scale·q − dmin·min`, so each sub-block adds `d·scale·Σ q·a − dmin·min·Σ a`.
///
/// # Safety
/// The CPU has AVX-512 F/BW and VNNI; `p.rows` holds `R` rows with blocks `b0..b0 + nblk`;
/// `p.tile` points at `nblk` packed Q4_K tiles; `p.dst` at 16 writable columns of `R` rows
/// spaced `p.n` apart.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub(crate) unsafe fn q4k<const R: usize>(p: &Part<'_>) {
    debug_assert_eq!(p.rows.len(), R);
    let tile_bytes = super::int8_gemm::Format::Q4K.tile_bytes();
    let ptrs = row_ptrs::<R>(p);
    let sums: [*const f32; R] = std::array::from_fn(|i| p.rows[i].sum32[p.b0 * 8..].as_ptr());
    let mask = _mm512_set1_epi8(0x0F);
    // SAFETY: the contract bounds every pointer: tile `b` spans
    // `tile_bytes` bytes at `tile + b·tile_bytes`; row `i`'s values, scales and sums of
    // block `b` are `qs[256b..]`, `d[b]`, `sum32[8b..8b+8]` from the stretch's start.
    unsafe {
        let mut acc = load_acc::<R>(p);
        for b in 0..p.nblk {
            let t = p.tile.add(b * tile_bytes);
            let mut accb = [_mm512_setzero_ps(); R];
            for c in 0..4 {
                let mut lo = [_mm512_setzero_si512(); R];
                let mut hi = [_mm512_setzero_si512(); R];
                for j in 0..8 {
                    let w = _mm512_loadu_si512(t.add((8 * c + j) * 64) as *const __m512i);
                    let wl = _mm512_and_si512(w, mask);
                    let wh = _mm512_and_si512(_mm512_srli_epi16::<4>(w), mask);
                    for i in 0..R {
                        let a = ptrs[i].0.add(b * 256 + 64 * c + 4 * j);
                        lo[i] = _mm512_dpbusd_epi32(lo[i], wl, bcast4(a));
                        hi[i] = _mm512_dpbusd_epi32(hi[i], wh, bcast4(a.add(32)));
                    }
                }
                let sl = _mm512_loadu_ps(t.add(Q4K_SCALES + 2 * c * 64) as *const f32);
                let sh = _mm512_loadu_ps(t.add(Q4K_SCALES + (2 * c + 1) * 64) as *const f32);
                for i in 0..R {
                    accb[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(lo[i]), sl, accb[i]);
                    accb[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(hi[i]), sh, accb[i]);
                }
            }
            for s in 0..8 {
                let mn = _mm512_loadu_ps(t.add(Q4K_SCALES + (8 + s) * 64) as *const f32);
                for i in 0..R {
                    let sum = _mm512_set1_ps(*sums[i].add(b * 8 + s));
                    accb[i] = _mm512_fnmadd_ps(mn, sum, accb[i]);
                }
            }
            for i in 0..R {
                acc[i] = _mm512_fmadd_ps(accb[i], _mm512_set1_ps(*ptrs[i].1.add(b)), acc[i]);
            }
        }
        store_acc::<R>(p, &acc);
    }
}

/// `R` prompt rows against packed Q6_K tiles: value = `d·scale·(q − 32)`, so each 16-value
/// sub-block adds `d·scale·(Σ q·a − 32·Σ a)`; the integer sums start at `−32·Σ a`.
///
/// # Safety
/// As [`q4k`], with Q6_K tiles.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub(crate) unsafe fn q6k<const R: usize>(p: &Part<'_>) {
    debug_assert_eq!(p.rows.len(), R);
    let tile_bytes = super::int8_gemm::Format::Q6K.tile_bytes();
    let ptrs = row_ptrs::<R>(p);
    let offs: [*const i32; R] = std::array::from_fn(|i| p.rows[i].nsum16[p.b0 * 16..].as_ptr());
    // SAFETY: as in `q4k`, with `nsum16[16b..16b+16]` for block `b`.
    unsafe {
        let mut acc = load_acc::<R>(p);
        for b in 0..p.nblk {
            let t = p.tile.add(b * tile_bytes);
            let mut accb = [_mm512_setzero_ps(); R];
            for s in 0..16 {
                let mut sum: [__m512i; R] =
                    std::array::from_fn(|i| _mm512_set1_epi32(*offs[i].add(b * 16 + s)));
                for u in 0..4 {
                    let g = 4 * s + u;
                    let w = _mm512_loadu_si512(t.add(g * 64) as *const __m512i);
                    for i in 0..R {
                        sum[i] =
                            _mm512_dpbusd_epi32(sum[i], w, bcast4(ptrs[i].0.add(b * 256 + 4 * g)));
                    }
                }
                let sc = _mm512_loadu_ps(t.add(Q6K_SCALES + s * 64) as *const f32);
                for i in 0..R {
                    accb[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[i]), sc, accb[i]);
                }
            }
            for i in 0..R {
                acc[i] = _mm512_fmadd_ps(accb[i], _mm512_set1_ps(*ptrs[i].1.add(b)), acc[i]);
            }
        }
        store_acc::<R>(p, &acc);
    }
}

/// Quantizes one prompt row into `row` (whose vectors have their final lengths) exactly as
/// [`super::gemv_k::quantize_q8k`] does per 256 values, with the sums of each 16 and 32 values.
///
/// # Safety
/// The CPU has AVX-512 F/BW; `x.len()` is a multiple of 256 and `row` was sized for it.
#[target_feature(enable = "avx512f,avx512bw")]
pub(crate) unsafe fn quantize_row(x: &[f32], row: &mut Row) {
    let nsb = x.len() / 256;
    assert!(
        row.qs.len() == nsb * 256
            && row.d.len() == nsb
            && row.sum32.len() == nsb * 8
            && row.nsum16.len() == nsb * 16
    );
    let (half, one) = (_mm512_set1_ps(0.5), _mm512_set1_ps(1.0));
    let sign = _mm512_set1_epi32(i32::MIN);
    for b in 0..nsb {
        // SAFETY: block `b` spans `256b..256b+256` of `x` and `row.qs`, `b` of `row.d` and
        // `16b..16b+16` of `row.nsum16` (the assert above).
        unsafe {
            let xs = x.as_ptr().add(256 * b);
            let mut amax = _mm512_setzero_ps();
            for v in 0..16 {
                amax = _mm512_max_ps(amax, _mm512_abs_ps(_mm512_loadu_ps(xs.add(16 * v))));
            }
            let amax = _mm512_reduce_max_ps(amax);
            let qs = row.qs.as_mut_ptr().add(256 * b);
            if amax == 0.0 {
                std::ptr::write_bytes(qs, 0, 256);
                *row.d.get_unchecked_mut(b) = 0.0;
                for j in 0..16 {
                    *row.nsum16.get_unchecked_mut(16 * b + j) = 0;
                }
                continue;
            }
            // The first value of largest magnitude maps to −127.
            let target = _mm512_set1_ps(amax);
            let mut max = amax;
            for v in 0..16 {
                let x = _mm512_loadu_ps(xs.add(16 * v));
                let hit = _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(_mm512_abs_ps(x), target);
                if hit != 0 {
                    max = *xs.add(16 * v + hit.trailing_zeros() as usize);
                    break;
                }
            }
            let iscale = -127f32 / max;
            let s = _mm512_set1_ps(iscale);
            for v in 0..16 {
                let y = _mm512_mul_ps(_mm512_loadu_ps(xs.add(16 * v)), s);
                // Round half away from zero, as f32::round.
                let t = _mm512_roundscale_ps::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(y);
                let away =
                    _mm512_cmp_ps_mask::<_CMP_GE_OQ>(_mm512_abs_ps(_mm512_sub_ps(y, t)), half);
                let unit = _mm512_castsi512_ps(_mm512_or_si512(
                    _mm512_and_si512(_mm512_castps_si512(y), sign),
                    _mm512_castps_si512(one),
                ));
                let r = _mm512_mask_add_ps(t, away, t, unit);
                let r = _mm512_min_ps(
                    _mm512_max_ps(r, _mm512_set1_ps(-128.0)),
                    _mm512_set1_ps(127.0),
                );
                let q = _mm512_cvtps_epi32(r);
                _mm_storeu_si128(qs.add(16 * v) as *mut __m128i, _mm512_cvtsepi32_epi8(q));
                *row.nsum16.get_unchecked_mut(16 * b + v) = -32 * _mm512_reduce_add_epi32(q);
            }
            *row.d.get_unchecked_mut(b) = 1.0 / iscale;
        }
    }
    for j in 0..nsb * 8 {
        row.sum32[j] = ((row.nsum16[2 * j] + row.nsum16[2 * j + 1]) / -32) as f32;
    }
}

/// The 16 × 16 transpose of 32-bit lanes: lane `j` of output `i` is lane `i` of input `j`.
#[inline]
#[target_feature(enable = "avx512f")]
fn transpose16(r: [__m512i; 16]) -> [__m512i; 16] {
    // 32-bit, then 64-bit interleaves within 128-bit lanes: u[4g + c] holds, in lane L, rows
    // 4g..4g+4 of column 4L + c.
    let t: [__m512i; 16] = std::array::from_fn(|i| {
        let (a, b) = (r[i & !1], r[i | 1]);
        if i % 2 == 0 {
            _mm512_unpacklo_epi32(a, b)
        } else {
            _mm512_unpackhi_epi32(a, b)
        }
    });
    let u: [__m512i; 16] = std::array::from_fn(|i| {
        let (g, c) = (i / 4, i % 4);
        let (a, b) = (t[4 * g + c / 2], t[4 * g + 2 + c / 2]);
        if c % 2 == 0 {
            _mm512_unpacklo_epi64(a, b)
        } else {
            _mm512_unpackhi_epi64(a, b)
        }
    });
    // Then the 4 × 4 transpose of 128-bit lanes across u[c], u[4 + c], u[8 + c], u[12 + c].
    let mut out = [_mm512_setzero_si512(); 16];
    for c in 0..4 {
        let (a, b, cc, d) = (u[c], u[4 + c], u[8 + c], u[12 + c]);
        let x0 = _mm512_shuffle_i32x4::<0b01_00_01_00>(a, b);
        let x1 = _mm512_shuffle_i32x4::<0b11_10_11_10>(a, b);
        let y0 = _mm512_shuffle_i32x4::<0b01_00_01_00>(cc, d);
        let y1 = _mm512_shuffle_i32x4::<0b11_10_11_10>(cc, d);
        out[c] = _mm512_shuffle_i32x4::<0b10_00_10_00>(x0, y0);
        out[4 + c] = _mm512_shuffle_i32x4::<0b11_01_11_01>(x0, y0);
        out[8 + c] = _mm512_shuffle_i32x4::<0b10_00_10_00>(x1, y1);
        out[12 + c] = _mm512_shuffle_i32x4::<0b11_01_11_01>(x1, y1);
    }
    out
}

/// Stores 16 vectors as the 16 consecutive lines at `tile`.
///
/// # Safety
/// `tile` has 16 writable lines of 64 bytes.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn store_lines(tile: *mut u8, v: &[__m512i; 16]) {
    for (g, v) in v.iter().enumerate() {
        // SAFETY: the contract.
        unsafe { _mm512_storeu_si512(tile.add(64 * g) as *mut __m512i, *v) };
    }
}

/// Writes the 128 nibble bytes of 16 Q4_K blocks (`blocks[r]`: the block of row `r`) as
/// tile lines 0..32 (row `r` in lane `r`).
///
/// # Safety
/// The CPU has AVX-512 F; every `blocks[r]` has 144 readable bytes; `tile` 32 writable lines.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn pack_q4k_values(blocks: &[*const u8; 16], tile: *mut u8) {
    for h in 0..2 {
        // SAFETY: the contract: bytes 16 + 64h..+64 of each block, lines 16h..16h+16.
        unsafe {
            let rows = std::array::from_fn(|r| {
                _mm512_loadu_si512(blocks[r].add(16 + 64 * h) as *const __m512i)
            });
            store_lines(tile.add(1024 * h), &transpose16(rows));
        }
    }
}

/// Values `64q..64q + 64` of a Q6_K block (`blk`: `ql`, then `qh`), unsigned 6-bit bytes.
///
/// # Safety
/// The CPU has AVX-512 F and AVX2; `blk` has 192 readable bytes; `q < 4`.
#[inline]
#[target_feature(enable = "avx512f,avx2")]
unsafe fn q6k_quarter(blk: *const u8, q: usize) -> __m512i {
    let (h, upper) = (q / 2, q % 2 == 1);
    let (m4, m3) = (_mm256_set1_epi8(0x0F), _mm256_set1_epi8(0x03));
    // SAFETY: the contract; half `h` reads `ql[64h..64h+64]` and `qh[32h..32h+32]`.
    let (ql0, ql1, qh) = unsafe {
        (
            _mm256_loadu_si256(blk.add(64 * h) as *const __m256i),
            _mm256_loadu_si256(blk.add(64 * h + 32) as *const __m256i),
            _mm256_loadu_si256(blk.add(128 + 32 * h) as *const __m256i),
        )
    };
    // Values l and l + 32 of the half take the low nibbles and qh bits 0–1 and 2–3; values
    // l + 64 and l + 96 the high nibbles and bits 4–5 and 6–7.
    let (lo0, lo1, h0, h1) = if upper {
        (
            _mm256_srli_epi16::<4>(ql0),
            _mm256_srli_epi16::<4>(ql1),
            _mm256_srli_epi16::<4>(qh),
            _mm256_srli_epi16::<6>(qh),
        )
    } else {
        (ql0, ql1, qh, _mm256_srli_epi16::<2>(qh))
    };
    let v = |lo, hi| {
        _mm256_or_si256(
            _mm256_and_si256(lo, m4),
            _mm256_slli_epi16::<4>(_mm256_and_si256(hi, m3)),
        )
    };
    _mm512_inserti64x4::<1>(_mm512_castsi256_si512(v(lo0, h0)), v(lo1, h1))
}

/// Writes the 256 values of 16 Q6_K blocks, unpacked to bytes, as tile lines 0..64.
///
/// # Safety
/// The CPU has AVX-512 F and AVX2; every `blocks[r]` has 210 readable bytes; `tile` 64
/// writable lines.
#[target_feature(enable = "avx512f,avx2")]
pub(crate) unsafe fn pack_q6k_values(blocks: &[*const u8; 16], tile: *mut u8) {
    for q in 0..4 {
        // SAFETY: the contract; lines 16q..16q+16.
        unsafe {
            let rows = std::array::from_fn(|r| q6k_quarter(blocks[r], q));
            store_lines(tile.add(1024 * q), &transpose16(rows));
        }
    }
}

/// `R` prompt rows against packed Q5_0 or Q8_0 tiles (32 values per block): value =
/// `d·(q − offset)`, and the prompt has one scale per 32 values, so each block adds
/// `d·d_a·(Σ q·a − offset·Σ a)`; the integer sums start at `−offset·Σ a`.
///
/// # Safety
/// As [`q4k`], with 32-value tiles and rows quantized per 32 values.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub(crate) unsafe fn q32<const R: usize>(p: &Part<'_>) {
    debug_assert_eq!(p.rows.len(), R);
    let tile_bytes = super::int8_gemm::Format::Q8_0.tile_bytes();
    let rows: [(*const i8, *const f32, *const i32); R] = std::array::from_fn(|i| {
        let row = &p.rows[i];
        (
            row.qs[p.b0 * 32..].as_ptr(),
            row.d[p.b0..].as_ptr(),
            row.nsum32[p.b0..].as_ptr(),
        )
    });
    // SAFETY: the contract bounds every pointer: tile `b` at
    // `tile + b·tile_bytes`; row `i`'s values `qs[32b..32b+32]`, `d[b]` and `nsum32[b]`.
    unsafe {
        let mut acc = load_acc::<R>(p);
        for b in 0..p.nblk {
            let t = p.tile.add(b * tile_bytes);
            let mut sum: [__m512i; R] =
                std::array::from_fn(|i| _mm512_set1_epi32(*rows[i].2.add(b)));
            for g in 0..8 {
                let w = _mm512_loadu_si512(t.add(g * 64) as *const __m512i);
                for i in 0..R {
                    sum[i] = _mm512_dpbusd_epi32(sum[i], w, bcast4(rows[i].0.add(32 * b + 4 * g)));
                }
            }
            let d = _mm512_loadu_ps(t.add(Q32_SCALES) as *const f32);
            for i in 0..R {
                let s = _mm512_mul_ps(d, _mm512_set1_ps(*rows[i].1.add(b)));
                acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[i]), s, acc[i]);
            }
        }
        store_acc::<R>(p, &acc);
    }
}

/// The 32 values of a Q5_0 block (`Q5`) or a Q8_0 block as unsigned bytes: 5-bit values, or
/// Q8_0's plus 128.
///
/// # Safety
/// The CPU has AVX2; `blk` has 22 (Q5_0) or 34 (Q8_0) readable bytes.
#[inline]
#[target_feature(enable = "avx512f,avx2")]
unsafe fn q32_values<const Q5: bool>(blk: *const u8) -> __m256i {
    // SAFETY: the contract.
    unsafe {
        if !Q5 {
            let q = _mm256_loadu_si256(blk.add(2) as *const __m256i);
            return _mm256_xor_si256(q, _mm256_set1_epi8(-128));
        }
        // Nibbles: value j low, value j + 16 high; bit j of `qh` is value j's fifth bit.
        let qs = _mm_loadu_si128(blk.add(6) as *const __m128i);
        let m4 = _mm_set1_epi8(0x0F);
        let lo = _mm_and_si128(qs, m4);
        let hi = _mm_and_si128(_mm_srli_epi16::<4>(qs), m4);
        let v = _mm256_set_m128i(hi, lo);
        let qh = std::ptr::read_unaligned(blk.add(2) as *const i32);
        let bytes = _mm256_shuffle_epi8(
            _mm256_set1_epi32(qh),
            _mm256_setr_epi8(
                0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3,
                3, 3, 3, 3,
            ),
        );
        let bit = _mm256_set1_epi64x(0x8040_2010_0804_0201u64 as i64);
        let set = _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit);
        _mm256_or_si256(v, _mm256_and_si256(set, _mm256_set1_epi8(0x10)))
    }
}

/// Writes the 32 values of 16 Q5_0 (`Q5`) or Q8_0 blocks as tile lines 0..8.
///
/// # Safety
/// The CPU has AVX-512 F and AVX2; every `blocks[r]` is a whole block; `tile` has 8 writable
/// lines.
#[target_feature(enable = "avx512f,avx2")]
pub(crate) unsafe fn pack_q32_values<const Q5: bool>(blocks: &[*const u8; 16], tile: *mut u8) {
    // SAFETY: the contract.
    unsafe {
        let rows = std::array::from_fn(|r| _mm512_castsi256_si512(q32_values::<Q5>(blocks[r])));
        let lines = transpose16(rows);
        for (g, v) in lines.iter().take(8).enumerate() {
            _mm512_storeu_si512(tile.add(64 * g) as *mut __m512i, *v);
        }
    }
}
