//! Decode row products on Q4_K and Q6_K weights, and on Q8_0, Q4_1 and Q5_0 weights where the CPU
//! has AVX-512 VNNI: the dispatch between the kernels of [`super::x86_kquant`], the per-256
//! activation they read, and the SIMD level every pyward kernel honours.
//!
//! The SIMD level is detected once. `PYWARD_SIMD` lowers it, so one machine can run the code
//! path of a smaller CPU: `scalar` (no pyward SIMD kernels: candle's vec-dot for every format),
//! `avx2` (the AVX2 kernels only) or `avx512` (the default where the CPU has AVX-512 VNNI).

use super::gemv::ActRow;
use candle_core::quantized::GgmlDType;

/// The widest instruction set pyward's kernels use on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SimdLevel {
    /// No pyward SIMD kernels (candle's own code runs instead).
    Scalar,
    /// AVX2 with FMA and F16C.
    Avx2,
    /// AVX2 plus AVX-512 F/BW/VL and AVX-512 VNNI (256-bit `vpdpbusd` / `vpdpwssd`).
    Avx512Vnni,
}

/// What the CPU supports, ignoring `PYWARD_SIMD`.
pub fn detected_simd() -> SimdLevel {
    #[cfg(target_arch = "x86_64")]
    {
        let avx2 = std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
            && std::is_x86_feature_detected!("f16c");
        let vnni = std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512vl")
            && std::is_x86_feature_detected!("avx512vnni");
        match (avx2, vnni) {
            (true, true) => SimdLevel::Avx512Vnni,
            (true, false) => SimdLevel::Avx2,
            _ => SimdLevel::Scalar,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    SimdLevel::Scalar
}

/// The level in effect: [`detected_simd`], lowered by `PYWARD_SIMD` (`scalar`, `avx2`,
/// `avx512`; anything else is ignored). Read once.
pub fn simd_level() -> SimdLevel {
    use std::sync::OnceLock;
    static LEVEL: OnceLock<SimdLevel> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let cap = cap_from(&std::env::var("PYWARD_SIMD").unwrap_or_default());
        detected_simd().min(cap)
    })
}

/// The highest level a `PYWARD_SIMD` value allows.
fn cap_from(value: &str) -> SimdLevel {
    match value.trim().to_ascii_lowercase().as_str() {
        "scalar" | "none" | "off" => SimdLevel::Scalar,
        "avx2" => SimdLevel::Avx2,
        _ => SimdLevel::Avx512Vnni,
    }
}

/// How far ahead (bytes, whole rows of `row_bytes`) the row kernels prefetch the weight: at
/// least 4 rows (the next pass) and about `PF_BYTES` (`PYWARD_PF_BYTES` overrides it, for
/// tuning). Measured on an AMD EPYC (Zen 4), Gemma-3-270M decode, one thread, another build
/// running (noisy): 4 rows ahead (2.7 KB, the old distance) 57 tok/s, 4 KB 70, 16 KB 104,
/// 22 KB 99, 24 KB 92, 40 KB 75, 64 KB 71.
pub(crate) fn prefetch_distance(row_bytes: usize) -> usize {
    use std::sync::OnceLock;
    static PF: OnceLock<usize> = OnceLock::new();
    let bytes = *PF.get_or_init(|| {
        std::env::var("PYWARD_PF_BYTES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(PF_BYTES)
    });
    bytes.div_ceil(row_bytes.max(1)).max(4) * row_bytes
}

/// The default prefetch distance.
const PF_BYTES: usize = 16 << 10;

/// The activation quantized per 256 values exactly as candle's `BlockQ8K::from_float` does,
/// with the fields split out (and the sums per 32 values, which Q4_K's mins read).
#[derive(Debug, Default, Clone)]
pub struct Q8KRow {
    qs: Vec<i8>,
    d: Vec<f32>,
    bsums: Vec<i16>,
    bsum32: Vec<i32>,
    ready: bool,
}

impl Q8KRow {
    /// Forgets the quantized values (the activation changed).
    pub fn invalidate(&mut self) {
        self.ready = false;
    }

    /// Quantizes `x` (a multiple of 256 values) unless it already is.
    fn quantize(&mut self, x: &[f32]) {
        if self.ready {
            return;
        }
        let nsb = x.len() / 256;
        self.qs.resize(nsb * 256, 0);
        self.d.resize(nsb, 0.0);
        self.bsums.resize(nsb * 16, 0);
        self.bsum32.resize(nsb * 8, 0);
        for (b, xs) in x.chunks_exact(256).enumerate() {
            let qs = &mut self.qs[b * 256..(b + 1) * 256];
            self.d[b] = quantize_q8k(xs, qs);
            for (j, g) in qs.chunks_exact(16).enumerate() {
                self.bsums[b * 16 + j] = g.iter().map(|&q| q as i16).sum();
            }
            for j in 0..8 {
                let s = &self.bsums[b * 16 + 2 * j..b * 16 + 2 * j + 2];
                self.bsum32[b * 8 + j] = s[0] as i32 + s[1] as i32;
            }
        }
        self.ready = true;
    }

    #[cfg(target_arch = "x86_64")]
    fn view(&self) -> super::x86_kquant::Q8K<'_> {
        super::x86_kquant::Q8K {
            qs: &self.qs,
            d: &self.d,
            bsums: &self.bsums,
            bsum32: &self.bsum32,
        }
    }
}

/// Quantizes `xs` to `qs` (the same length) as candle's `quantize_row_q8k` does one block: the
/// first value of largest magnitude maps to −127. Returns the scale (0 for an all-zero block).
pub(crate) fn quantize_q8k(xs: &[f32], qs: &mut [i8]) -> f32 {
    let (mut amax, mut max) = (0f32, 0f32);
    for &v in xs {
        if amax < v.abs() {
            amax = v.abs();
            max = v;
        }
    }
    if amax == 0.0 {
        qs.fill(0);
        return 0.0;
    }
    let iscale = -127f32 / max;
    for (q, &v) in qs.iter_mut().zip(xs) {
        *q = (iscale * v).round().clamp(-128.0, 127.0) as i8;
    }
    1.0 / iscale
}

/// Which kernel family a weight takes here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Q4K,
    Q6K,
    Q8_0,
    Q4_1,
    Q5_0,
}

/// Computes `dst = W·x` for a Q4_K or Q6_K weight (`bytes`: `n` rows of `k / 256` candle
/// blocks) on the AVX2 or VNNI kernels, or for a Q8_0, Q4_1 or Q5_0 weight on the VNNI kernels. Returns
/// `false`, leaving `dst` alone, when the format, the shape or the SIMD level does not fit.
pub(crate) fn gemv(
    dtype: GgmlDType,
    bytes: &[u8],
    n: usize,
    k: usize,
    x: &mut ActRow,
    dst: &mut [f32],
) -> bool {
    let level = simd_level();
    let format = match dtype {
        GgmlDType::Q4K if k.is_multiple_of(256) => Format::Q4K,
        GgmlDType::Q6K if k.is_multiple_of(256) => Format::Q6K,
        GgmlDType::Q8_0 if k.is_multiple_of(32) && level >= SimdLevel::Avx512Vnni => Format::Q8_0,
        GgmlDType::Q4_1 if k.is_multiple_of(32) && level >= SimdLevel::Avx512Vnni => Format::Q4_1,
        GgmlDType::Q5_0 if k.is_multiple_of(32) && level >= SimdLevel::Avx512Vnni => Format::Q5_0,
        _ => return false,
    };
    if level < SimdLevel::Avx2 || dst.len() != n {
        return false;
    }
    let row_bytes = match format {
        Format::Q4K => k / 256 * 144,
        Format::Q6K => k / 256 * 210,
        Format::Q8_0 => k / 32 * 34,
        Format::Q4_1 => k / 32 * 20,
        Format::Q5_0 => k / 32 * 22,
    };
    if bytes.len() != n * row_bytes {
        return false;
    }
    let vnni = level >= SimdLevel::Avx512Vnni;
    match format {
        Format::Q8_0 | Format::Q4_1 | Format::Q5_0 => x.quantize(),
        _ => x.quantize_k(),
    }
    let x = &*x;
    super::gemv::split_rows(n, k, dst, |r0, out| {
        rows(format, vnni, &bytes[r0 * row_bytes..], row_bytes, x, out)
    });
    true
}

/// Fills `out[i]` with the product of row `i` of `rows` and `x`: 4 rows per kernel call, then
/// the last 1–3 rows one at a time.
#[cfg(target_arch = "x86_64")]
fn rows(format: Format, vnni: bool, rows: &[u8], row_bytes: usize, x: &ActRow, out: &mut [f32]) {
    use super::x86_kquant as xk;
    let (qs, d, s) = x.quantized();
    let a = x.q8k().view();
    macro_rules! call {
        ($r:literal, $w:expr) => {
            // SAFETY: `gemv` checked the SIMD level (AVX2, or AVX-512 VNNI when `vnni`) and
            // that the weight holds whole rows of `row_bytes`; `$w` starts at a row and the
            // kernels assert it holds `$r` rows and that the activation fits the row.
            unsafe {
                match (format, vnni) {
                    (Format::Q4K, false) => xk::q4k_avx2::<$r>($w, row_bytes, a),
                    (Format::Q4K, true) => xk::q4k_vnni::<$r>($w, row_bytes, a),
                    (Format::Q6K, false) => xk::q6k_avx2::<$r>($w, row_bytes, a),
                    (Format::Q6K, true) => xk::q6k_vnni::<$r>($w, row_bytes, a),
                    (Format::Q8_0, _) => xk::q8_0_vnni::<$r>($w, row_bytes, qs, d),
                    (Format::Q4_1, _) => xk::q4_1_vnni::<$r>($w, row_bytes, qs, d, s),
                    (Format::Q5_0, _) => xk::q5_0_vnni::<$r>($w, row_bytes, qs, d, s),
                }
            }
        };
    }
    let done = out.len() / 4 * 4;
    let mut quads = out.chunks_exact_mut(4);
    for (i, quad) in quads.by_ref().enumerate() {
        quad.copy_from_slice(&call!(4, &rows[4 * i * row_bytes..]));
    }
    for (i, o) in quads.into_remainder().iter_mut().enumerate() {
        *o = call!(1, &rows[(done + i) * row_bytes..])[0];
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn rows(_: Format, _: bool, _: &[u8], _: usize, _: &ActRow, _: &mut [f32]) {
    unreachable!("simd_level() is Scalar off x86_64")
}

impl ActRow {
    /// Quantizes the activation per 256 values (for the K-quant kernels) unless it already is.
    pub(crate) fn quantize_k(&mut self) {
        let k = self.values().len();
        let (x, q) = self.values_and_q8k();
        q.quantize(&x[..k / 256 * 256]);
    }
}

#[cfg(test)]
#[path = "gemv_k_tests.rs"]
mod tests;
