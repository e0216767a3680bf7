//! Prompt matmul on int8 dot products for Q4_K, Q6_K, Q5_0 and Q8_0 weights, on CPUs with
//! AVX-512 VNNI.
//!
//! [`super::dequant_gemm`] turns weight tiles into f32 and runs an f32 GEMM. Where the CPU has
//! `vpdpbusd`, which does 64 multiply-adds of bytes in the time an f32 FMA does 16, that leaves
//! most of the core idle. Here instead:
//! - the prompt rows are quantized once per product to int8 per 256 values, exactly as the
//!   decode kernels and candle's reference `vec_dot` quantize them ([`super::gemv_k::quantize_q8k`]);
//! - each thread rearranges the weight rows it owns, 16 rows at a time and one stretch of the
//!   inner dimension at a time, into tiles where one 64-byte load holds 4 consecutive values of
//!   each of the 16 rows ([`pack`]);
//! - one `vpdpbusd` then multiplies those by 4 values of one prompt row broadcast to every lane,
//!   so the 16 lanes are 16 output columns and the sub-block scales are plain vector multiplies
//!   ([`super::x86_int8`]).
//!
//! Nothing outlives a call: the tiles live in a per-thread scratch buffer, so unlike candle's
//! repacked weights this costs no memory beside the GGUF blocks.

use super::gemv_k::{quantize_q8k, simd_level, SimdLevel};
use candle_core::quantized::GgmlDType;
use std::cell::RefCell;

/// Weight rows per tile: one 512-bit vector of f32 output columns.
pub(crate) const TILE: usize = 16;
/// Prompt rows per kernel call (accumulators: 4 vectors per row).
const MT: usize = 6;

/// A weight format this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Q4K,
    Q6K,
    Q5_0,
    Q8_0,
}

impl Format {
    fn of(dtype: GgmlDType) -> Option<Self> {
        match dtype {
            GgmlDType::Q4K => Some(Format::Q4K),
            GgmlDType::Q6K => Some(Format::Q6K),
            GgmlDType::Q5_0 => Some(Format::Q5_0),
            GgmlDType::Q8_0 => Some(Format::Q8_0),
            _ => None,
        }
    }

    /// Values of one GGUF block.
    pub(crate) fn block_values(self) -> usize {
        match self {
            Format::Q4K | Format::Q6K => 256,
            Format::Q5_0 | Format::Q8_0 => 32,
        }
    }

    /// Bytes of one GGUF block (one row's values).
    fn block_bytes(self) -> usize {
        match self {
            Format::Q4K => 144,
            Format::Q6K => 210,
            Format::Q5_0 => 22,
            Format::Q8_0 => 34,
        }
    }

    /// Bytes of one packed tile: one block of 16 rows, see [`pack`].
    pub(crate) fn tile_bytes(self) -> usize {
        match self {
            Format::Q4K => Q4K_SCALES + 2 * 8 * TILE * 4,
            Format::Q6K => Q6K_SCALES + 16 * TILE * 4,
            Format::Q5_0 | Format::Q8_0 => Q32_SCALES + TILE * 4,
        }
    }

    /// What the 32-value formats' unsigned stored values exceed the real ones by.
    fn offset(self) -> i32 {
        match self {
            Format::Q5_0 => 16,
            Format::Q8_0 => 128,
            _ => 0,
        }
    }
}

/// Offset of the f32 sub-block scales in a packed Q4_K tile (the 4-bit values come first, then
/// 8 × 16 scales, then 8 × 16 mins).
pub(crate) const Q4K_SCALES: usize = 32 * TILE * 4;
/// Offset of the f32 scales in a packed Q6_K tile (the 6-bit values come first, then 16 × 16
/// scales).
pub(crate) const Q6K_SCALES: usize = 64 * TILE * 4;

/// Offset of the f32 block scales in a packed Q5_0 or Q8_0 tile (after the 32 values as bytes).
pub(crate) const Q32_SCALES: usize = 8 * TILE * 4;

/// Whether [`matmul`] takes a weight of this type and shape on this machine.
pub fn supports(dtype: GgmlDType, n: usize, k: usize) -> bool {
    Format::of(dtype).is_some_and(|f| k.is_multiple_of(f.block_values()))
        && n.is_multiple_of(TILE)
        && k > 0
        && simd_level() >= SimdLevel::Avx512Vnni
}

/// One prompt row quantized per 256 values.
#[derive(Debug, Default, Clone)]
pub(crate) struct Row {
    /// The int8 values.
    pub(crate) qs: Vec<i8>,
    /// One scale per 256 values.
    pub(crate) d: Vec<f32>,
    /// Σ of each 32 values, as f32 (Q4_K's mins).
    pub(crate) sum32: Vec<f32>,
    /// −32 · Σ of each 16 values (Q6_K's offset of 32).
    pub(crate) nsum16: Vec<i32>,
    /// For the 32-value formats: −offset · Σ of each 32 values.
    pub(crate) nsum32: Vec<i32>,
}

impl Row {
    /// Quantizes `x` for weights of `format`.
    fn quantize_for(&mut self, x: &[f32], format: Format) {
        if format.block_values() == 256 {
            self.quantize(x);
            return;
        }
        // One scale per 32 values, as the decode kernels quantize.
        let nb = x.len() / 32;
        self.qs.resize(nb * 32, 0);
        self.d.resize(nb, 0.0);
        self.sum32.resize(nb, 0.0);
        self.nsum32.resize(nb, 0);
        super::gemv::quantize_q8_0(x, &mut self.qs, &mut self.d, &mut self.sum32);
        let off = format.offset();
        for (s, q) in self.nsum32.iter_mut().zip(self.qs.chunks_exact(32)) {
            *s = -off * q.iter().map(|&v| v as i32).sum::<i32>();
        }
    }

    /// Quantizes `x` (a multiple of 256 values) into this row, per 256 values.
    fn quantize(&mut self, x: &[f32]) {
        let nsb = x.len() / 256;
        self.qs.resize(nsb * 256, 0);
        self.d.resize(nsb, 0.0);
        self.sum32.resize(nsb * 8, 0.0);
        self.nsum16.resize(nsb * 16, 0);
        #[cfg(target_arch = "x86_64")]
        if simd_level() >= SimdLevel::Avx512Vnni {
            // SAFETY: the CPU has AVX-512 F/BW (VNNI level); the vectors are sized for `x`.
            unsafe { super::x86_int8::quantize_row(x, self) };
            return;
        }
        self.quantize_scalar(x);
    }

    /// [`Row::quantize`] in plain Rust (the reference the AVX-512 quantizer is tested against).
    fn quantize_scalar(&mut self, x: &[f32]) {
        let nsb = x.len() / 256;
        for (b, xs) in x.chunks_exact(256).enumerate() {
            let qs = &mut self.qs[b * 256..(b + 1) * 256];
            self.d[b] = quantize_q8k(xs, qs);
            for (j, g) in qs.chunks_exact(16).enumerate() {
                let s: i32 = g.iter().map(|&q| q as i32).sum();
                self.nsum16[b * 16 + j] = -32 * s;
            }
        }
        for j in 0..nsb * 8 {
            self.sum32[j] = ((self.nsum16[2 * j] + self.nsum16[2 * j + 1]) / -32) as f32;
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<Vec<Line>> = const { RefCell::new(Vec::new()) };
}

/// 64 bytes aligned to a cache line (the packed tiles' unit).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u8; 64]);

/// Bytes of prompt activations one stretch of the inner dimension may take: they are read
/// again for every tile, so they should stay in the core's L2 cache. Measured on an Intel Xeon
/// (SPR class, 2 MB L2), Qwen2.5-1.5B shape, 512-token prefill, 1 thread: 192 KB 65 tok/s,
/// 384 KB 73, 768 KB 76, 1.5 MB 75.
const LHS_CHUNK_BYTES: usize = 768 << 10;

/// Computes `dst[m, n] = lhs[m, k] · Wᵀ` for a Q4_K, Q6_K, Q5_0 or Q8_0 weight (`bytes`: `n`
/// rows of candle blocks). Returns `false`, leaving `dst` alone, where [`supports`] says no
/// or the lengths do not fit.
pub fn matmul(
    dtype: GgmlDType,
    bytes: &[u8],
    lhs: &[f32],
    m: usize,
    k: usize,
    n: usize,
    dst: &mut [f32],
) -> bool {
    let Some(format) = Format::of(dtype) else {
        return false;
    };
    let kb = k / format.block_values();
    if !supports(dtype, n, k)
        || m == 0
        || lhs.len() != m * k
        || dst.len() != m * n
        || bytes.len() != n * kb * format.block_bytes()
    {
        return false;
    }
    let chunk_blocks = (LHS_CHUNK_BYTES / (m * format.block_values())).clamp(1, kb);
    run(format, bytes, lhs, (m, k, n), chunk_blocks, dst);
    true
}

/// [`matmul`] on checked lengths, `chunk_blocks` blocks of the inner dimension at a time.
fn run(
    format: Format,
    bytes: &[u8],
    lhs: &[f32],
    (m, k, n): (usize, usize, usize),
    chunk_blocks: usize,
    dst: &mut [f32],
) {
    let kb = k / format.block_values();
    let mut rows = vec![Row::default(); m];
    super::for_each_chunk_mut(&mut rows, 8, |piece, chunk| {
        for (i, row) in chunk.iter_mut().enumerate() {
            let r = piece * 8 + i;
            row.quantize_for(&lhs[r * k..(r + 1) * k], format);
        }
    });
    let dst_addr = dst.as_mut_ptr() as usize;
    super::threads::for_each_range(n / TILE, |tiles| {
        SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            let lines = chunk_blocks * format.tile_bytes() / 64;
            if scratch.len() < lines {
                scratch.resize(lines, Line([0; 64]));
            }
            for b0 in (0..kb).step_by(chunk_blocks) {
                let nblk = chunk_blocks.min(kb - b0);
                for t in tiles.clone() {
                    pack(format, bytes, kb, t, b0, nblk, &mut scratch);
                    if t + 1 < tiles.end {
                        prefetch(format, bytes, kb, t + 1, b0, nblk);
                    }
                    // SAFETY: this task owns the output columns of tile `t` (ranges handed out
                    // are disjoint), `dst` is m × n row-major, and `run_tile` writes only
                    // columns 16t..16t+16 of rows 0..m.
                    unsafe {
                        run_tile(
                            format,
                            &scratch,
                            &rows,
                            b0,
                            nblk,
                            (dst_addr as *mut f32).add(t * TILE),
                            n,
                            b0 == 0,
                        )
                    };
                }
            }
        })
    });
}

/// Rearranges blocks `b0..b0 + nblk` of weight rows `16t..16t + 16` into `scratch`, one tile
/// of [`Format::tile_bytes`] per block:
/// - Q4_K: bytes `64g..64g+64` hold bytes `4g..4g+4` of every row's 128 nibble bytes (row `r`
///   at `64g + 4r`): low nibbles are values `64c + 4j..+4` and high nibbles values
///   `64c + 32 + 4j..+4` of the block, for `g = 8c + j`. Then f32 `d·scale` of the 8 sub-blocks
///   (`[sub][row]`), then f32 `dmin·min` (`[sub][row]`).
/// - Q6_K: bytes `64g..64g+64` hold the 6-bit values `4g..4g+4` of every row, unsigned (the
///   offset of 32 is the kernel's). Then f32 `d·scale` of the 16 sub-blocks (`[sub][row]`).
/// - Q5_0 and Q8_0 (32 values): bytes `64g..64g+64` hold values `4g..4g+4` of every row,
///   unsigned (5-bit values, or Q8_0's plus 128). Then the f32 block scales.
fn pack(
    format: Format,
    bytes: &[u8],
    kb: usize,
    t: usize,
    b0: usize,
    nblk: usize,
    scratch: &mut [Line],
) {
    let tile_lines = format.tile_bytes() / 64;
    let bb = format.block_bytes();
    for bi in 0..nblk {
        let tile = &mut scratch[bi * tile_lines..(bi + 1) * tile_lines];
        let blocks: [&[u8]; TILE] = std::array::from_fn(|r| {
            let at = ((t * TILE + r) * kb + b0 + bi) * bb;
            &bytes[at..at + bb]
        });
        for (r, blk) in blocks.iter().enumerate() {
            match format {
                Format::Q4K => q4k_scales(blk, r, tile),
                Format::Q6K => q6k_scales(blk, r, tile),
                Format::Q5_0 | Format::Q8_0 => put_f32(tile, Q32_SCALES / 64, r, f16(&blk[..2])),
            }
        }
        let ptrs = blocks.map(|b| b.as_ptr());
        let out = tile.as_mut_ptr() as *mut u8;
        // SAFETY: `matmul` runs only where `supports` saw AVX-512 VNNI; every block is a whole
        // GGUF block (sliced above) and the tile has `tile_lines` lines (64 for Q6_K's values
        // and 32 for Q4_K's come before the scales).
        #[cfg(target_arch = "x86_64")]
        unsafe {
            match format {
                Format::Q4K => super::x86_int8::pack_q4k_values(&ptrs, out),
                Format::Q6K => super::x86_int8::pack_q6k_values(&ptrs, out),
                Format::Q5_0 => super::x86_int8::pack_q32_values::<true>(&ptrs, out),
                Format::Q8_0 => super::x86_int8::pack_q32_values::<false>(&ptrs, out),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (ptrs, out);
    }
}

/// Asks for the weight bytes [`pack`] will read for tile `t` to be brought to the L2 cache
/// while the kernel works on the tile before it: 16 rows far apart defeat the hardware
/// prefetcher, and the first reads of every block then waited on memory.
fn prefetch(format: Format, bytes: &[u8], kb: usize, t: usize, b0: usize, nblk: usize) {
    let bb = format.block_bytes();
    for r in 0..TILE {
        let at = ((t * TILE + r) * kb + b0) * bb;
        let stretch = &bytes[at..at + nblk * bb];
        for line in (0..stretch.len()).step_by(64) {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a prefetch never faults; the address is inside `bytes` anyway.
            unsafe {
                use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T1};
                _mm_prefetch::<_MM_HINT_T1>(stretch.as_ptr().add(line) as *const i8)
            };
        }
    }
}

fn f16(b: &[u8]) -> f32 {
    half::f16::from_le_bytes([b[0], b[1]]).to_f32()
}

/// Writes the f32 `v` as lane `r` of line `line` of `tile`.
fn put_f32(tile: &mut [Line], line: usize, r: usize, v: f32) {
    tile[line].0[4 * r..4 * r + 4].copy_from_slice(&v.to_le_bytes());
}

/// Q4_K's 6-bit scale and min of sub-block `j` (ggml's `get_scale_min_k4`).
fn scale_min_k4(j: usize, q: &[u8]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// Q4_K's f32 `d·scale` and `dmin·min` of the 8 sub-blocks of `blk`, as lane `r`.
fn q4k_scales(blk: &[u8], r: usize, tile: &mut [Line]) {
    let (d, dmin) = (f16(&blk[0..2]), f16(&blk[2..4]));
    let scales = &blk[4..16];
    for j in 0..8 {
        let (sc, mn) = scale_min_k4(j, scales);
        put_f32(tile, Q4K_SCALES / 64 + j, r, d * sc as f32);
        put_f32(tile, Q4K_SCALES / 64 + 8 + j, r, dmin * mn as f32);
    }
}

/// Q6_K's f32 `d·scale` of the 16 sub-blocks of `blk`, as lane `r`.
fn q6k_scales(blk: &[u8], r: usize, tile: &mut [Line]) {
    let d = f16(&blk[208..210]);
    for (s, &sc) in blk[192..208].iter().enumerate() {
        put_f32(tile, Q6K_SCALES / 64 + s, r, d * (sc as i8) as f32);
    }
}

/// Runs the kernel over every prompt row for one packed stretch of one tile: [`MT`] rows per
/// call, then the rest.
///
/// # Safety
/// The CPU has AVX-512 F/BW and VNNI; `scratch` holds `nblk` packed tiles of `format`; every row
/// holds blocks `b0..b0 + nblk`; `dst` points at column 0 of a 16-column stripe of a row-major
/// matrix with `rows.len()` rows of `n` columns that no one else touches meanwhile.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
unsafe fn run_tile(
    format: Format,
    scratch: &[Line],
    rows: &[Row],
    b0: usize,
    nblk: usize,
    dst: *mut f32,
    n: usize,
    first: bool,
) {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    let tile = scratch.as_ptr() as *const u8;
    let mut m0 = 0;
    while m0 < rows.len() {
        let mt = MT.min(rows.len() - m0);
        if !first {
            // The sums so far of the next call's rows: one line each, `n` floats apart.
            for i in m0 + mt..(m0 + 2 * MT).min(rows.len()) {
                // SAFETY: a prefetch never faults.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(dst.wrapping_add(i * n) as *const i8) };
            }
        }
        let part = super::x86_int8::Part {
            rows: &rows[m0..m0 + mt],
            b0,
            nblk,
            tile,
            dst: dst.wrapping_add(m0 * n),
            n,
            first,
        };
        macro_rules! go {
            ($r:literal) => {
                // SAFETY: forwarded from this function's contract; `part` holds exactly `$r`
                // rows.
                unsafe {
                    match format {
                        Format::Q4K => super::x86_int8::q4k::<$r>(&part),
                        Format::Q6K => super::x86_int8::q6k::<$r>(&part),
                        Format::Q5_0 | Format::Q8_0 => super::x86_int8::q32::<$r>(&part),
                    }
                }
            };
        }
        match mt {
            6 => go!(6),
            5 => go!(5),
            4 => go!(4),
            3 => go!(3),
            2 => go!(2),
            _ => go!(1),
        }
        m0 += mt;
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[allow(clippy::too_many_arguments)]
unsafe fn run_tile(
    _: Format,
    _: &[Line],
    _: &[Row],
    _: usize,
    _: usize,
    _: *mut f32,
    _: usize,
    _: bool,
) {
    unreachable!("supports() is false off x86_64")
}

#[cfg(test)]
#[path = "int8_gemm_tests.rs"]
mod tests;
