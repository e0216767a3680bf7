//! Element-wise math on f32 slices, 8 lanes at a time on AVX2: `exp`, SiLU and tanh-GELU.
//!
//! libm's scalar `expf`/`tanhf` cost tens of cycles a value; the feed-forward activation and
//! the attention softmax call them for every element. The exponential here is the classic
//! Cephes single-precision one (range reduction by `ln 2` in two parts, degree-5 polynomial,
//! scaling by `2^n` through the exponent bits): within 2 ulp of `expf` over the range the
//! models use. Each lane computes the same formula on every path, so the result does not depend
//! on where a value sits in the slice.

const LOG2E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
const EXP_MAX: f32 = 88.376_26;
const EXP_MIN: f32 = -87.336_54;
const P: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    0.166_666_65,
    0.5,
];
const SQRT_TWO_OVER_PI: f32 = 0.797_884_6;
const GELU_C: f32 = 0.044_715;

/// `e^x` for one value, the same formula as the vector lanes (fused multiply-adds included).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(EXP_MIN, EXP_MAX);
    let n = (x * LOG2E).round_ties_even();
    let r = n.mul_add(-LN2_LO, n.mul_add(-LN2_HI, x));
    let mut y = P[0];
    for c in &P[1..] {
        y = y.mul_add(r, *c);
    }
    let y = y.mul_add(r * r, r) + 1.0;
    y * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

#[inline(always)]
fn silu1(v: f32) -> f32 {
    v / (1.0 + exp(-v))
}

/// tanh-GELU, `0.5·v·(1 + tanh u)`, written as `v / (1 + e^{-2u})` (the same value, without
/// the cancellation of `1 + tanh u` for negative `v`).
#[inline(always)]
fn gelu1(v: f32) -> f32 {
    let u = SQRT_TWO_OVER_PI * v * GELU_C.mul_add(v * v, 1.0);
    v / (1.0 + exp(-2.0 * u))
}

/// `x[i] = e^{x[i]}`.
pub fn exp_inplace(x: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if avx2::available() {
        // SAFETY: AVX2 and FMA were detected.
        return unsafe { avx2::map(x, avx2::exp8, exp) };
    }
    x.iter_mut().for_each(|v| *v = exp(*v));
}

/// `x[i] = x[i] · sigmoid(x[i])`.
pub fn silu_inplace(x: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if avx2::available() {
        // SAFETY: AVX2 and FMA were detected.
        return unsafe { avx2::map(x, avx2::silu8, silu1) };
    }
    x.iter_mut().for_each(|v| *v = silu1(*v));
}

/// `x[i] = gelu(x[i])`, tanh approximation (as candle's `gelu` and llama.cpp's).
pub fn gelu_tanh_inplace(x: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if avx2::available() {
        // SAFETY: AVX2 and FMA were detected.
        return unsafe { avx2::map(x, avx2::gelu8, gelu1) };
    }
    x.iter_mut().for_each(|v| *v = gelu1(*v));
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2 {
    use super::*;
    use std::arch::x86_64::*;

    pub fn available() -> bool {
        use std::sync::OnceLock;
        static OK: OnceLock<bool> = OnceLock::new();
        *OK.get_or_init(|| {
            std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
        })
    }

    /// Applies `f8` to whole groups of 8 and `f1` to the rest.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn map(x: &mut [f32], f8: unsafe fn(__m256) -> __m256, f1: fn(f32) -> f32) {
        let mut chunks = x.chunks_exact_mut(8);
        for c in chunks.by_ref() {
            // SAFETY: `c` is a chunk of exactly 8 f32s, so the unaligned load and store stay inside it; the
            // caller enabled AVX2/FMA (this function's target features).
            unsafe { _mm256_storeu_ps(c.as_mut_ptr(), f8(_mm256_loadu_ps(c.as_ptr()))) };
        }
        chunks.into_remainder().iter_mut().for_each(|v| *v = f1(*v));
    }

    /// The sum of the 8 lanes.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub fn hsum(x: __m256) -> f32 {
        let r = _mm_add_ps(_mm256_extractf128_ps::<1>(x), _mm256_castps256_ps128(x));
        let r = _mm_add_ps(r, _mm_movehl_ps(r, r));
        let r = _mm_add_ss(r, _mm_movehdup_ps(r));
        _mm_cvtss_f32(r)
    }

    /// `e^x` on 8 lanes ([`super::exp`] lane by lane).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn exp8(x: __m256) -> __m256 {
        let x = _mm256_min_ps(
            _mm256_max_ps(x, _mm256_set1_ps(EXP_MIN)),
            _mm256_set1_ps(EXP_MAX),
        );
        let n = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
            _mm256_mul_ps(x, _mm256_set1_ps(LOG2E)),
        );
        let r = _mm256_fmadd_ps(n, _mm256_set1_ps(-LN2_HI), x);
        let r = _mm256_fmadd_ps(n, _mm256_set1_ps(-LN2_LO), r);
        let mut y = _mm256_set1_ps(P[0]);
        for c in &P[1..] {
            y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(*c));
        }
        let y = _mm256_add_ps(
            _mm256_fmadd_ps(y, _mm256_mul_ps(r, r), r),
            _mm256_set1_ps(1.0),
        );
        let pow2 = _mm256_slli_epi32::<23>(_mm256_add_epi32(
            _mm256_cvtps_epi32(n),
            _mm256_set1_epi32(127),
        ));
        _mm256_mul_ps(y, _mm256_castsi256_ps(pow2))
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn silu8(v: __m256) -> __m256 {
        let one = _mm256_set1_ps(1.0);
        // SAFETY: `exp8` only needs AVX2/FMA, which this function enables.
        let e = unsafe { exp8(_mm256_sub_ps(_mm256_setzero_ps(), v)) };
        _mm256_div_ps(v, _mm256_add_ps(one, e))
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn gelu8(v: __m256) -> __m256 {
        let one = _mm256_set1_ps(1.0);
        let inner = _mm256_fmadd_ps(_mm256_set1_ps(GELU_C), _mm256_mul_ps(v, v), one);
        let u = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(SQRT_TWO_OVER_PI), v), inner);
        // SAFETY: `exp8` only needs AVX2/FMA, which this function enables.
        let e = unsafe { exp8(_mm256_mul_ps(u, _mm256_set1_ps(-2.0))) };
        _mm256_div_ps(v, _mm256_add_ps(one, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Vec<f32> {
        (0..4001).map(|i| (i as f32 - 2000.0) / 40.0).collect()
    }

    fn rel(a: f32, b: f32) -> f32 {
        (a - b).abs() / b.abs().max(f32::MIN_POSITIVE)
    }

    #[test]
    fn exp_is_within_a_few_ulp_of_libm() {
        let mut x = grid();
        x.extend([-100.0, -87.0, 0.0, 1e-8, 88.0]);
        let mut y = x.clone();
        exp_inplace(&mut y);
        for (&x, &y) in x.iter().zip(&y) {
            let want = x.exp();
            if want < 1e-37 {
                assert!(y < 1e-36, "exp({x}) = {y}");
            } else {
                assert!(rel(y, want) < 3e-7, "exp({x}) = {y}, libm {want}");
            }
            assert_eq!(y, exp(x), "the vector and scalar paths must agree at {x}");
        }
    }

    #[test]
    fn activations_match_their_definitions() {
        let x = grid();
        let (mut s, mut g) = (x.clone(), x.clone());
        silu_inplace(&mut s);
        gelu_tanh_inplace(&mut g);
        for (i, &v) in x.iter().enumerate() {
            let (v64, s64, g64) = (v as f64, s[i] as f64, g[i] as f64);
            let silu = v64 / (1.0 + (-v64).exp());
            let gelu = 0.5
                * v64
                * (1.0 + (0.797_884_560_802_865_4 * v64 * (1.0 + 0.044715 * v64 * v64)).tanh());
            assert!(
                (s64 - silu).abs() <= 1e-6 * silu.abs().max(1e-3),
                "silu({v}) = {s64}, want {silu}"
            );
            assert!(
                (g64 - gelu).abs() <= 1e-6 * gelu.abs().max(1e-3),
                "gelu({v}) = {g64}, want {gelu}"
            );
            assert_eq!(s[i], silu1(v), "silu lanes and tail agree at {v}");
            assert_eq!(g[i], gelu1(v), "gelu lanes and tail agree at {v}");
        }
    }
}
