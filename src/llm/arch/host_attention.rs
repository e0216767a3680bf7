//! Attention of one new token over a host key/value cache, for the fused decode step.
//!
//! Query head `h` reads key/value head `h / (heads / kv_heads)` (grouped-query attention).
//! Heads run in parallel on the worker pool once there are threads and enough positions. On
//! AVX2 CPUs the scores, the softmax (with [`vmath`]'s exponential) and the weighted sum of the
//! values run 8 lanes wide; elsewhere the same arithmetic runs in scalar loops. The cache is
//! read in its own precision (f16 values widen to f32 as they load, with F16C), so an f16 cache
//! moves half the bytes and the arithmetic stays in f32.

use super::kv_cache::{HostKv, HostKvOf, KvElem};
use crate::llm::kernels::vmath;
use half::f16;

/// Writes the attention output of every query head of `q` (`heads × head_dim` values) to
/// `out`, over cached positions `first..kv.len`; `scores` is scratch space.
pub fn attend(
    q: &[f32],
    kv: &HostKv<'_>,
    heads: usize,
    first: usize,
    scale: f32,
    out: &mut [f32],
    scores: &mut Vec<f32>,
) {
    match kv {
        HostKv::F16(kv) => attend_of(q, kv, heads, first, scale, out, scores),
        HostKv::F32(kv) => attend_of(q, kv, heads, first, scale, out, scores),
    }
}

fn attend_of<E: Lanes>(
    q: &[f32],
    kv: &HostKvOf<'_, E>,
    heads: usize,
    first: usize,
    scale: f32,
    out: &mut [f32],
    scores: &mut Vec<f32>,
) {
    let a = Attention {
        q,
        kv,
        heads,
        first,
        scale,
    };
    let d = kv.head_dim;
    let threads = crate::llm::kernels::threads();
    if threads > 1 && (kv.len - first) * heads * d >= 1 << 15 {
        crate::llm::kernels::for_each_chunk_mut(out, d, |h, oh| {
            let mut scores = Vec::with_capacity(kv.len - first);
            a.head(h, oh, &mut scores)
        });
    } else {
        for (h, oh) in out.chunks_exact_mut(d).enumerate() {
            a.head(h, oh, scores);
        }
    }
}

/// A cache value type the vector kernel can load 8 lanes of, as f32.
trait Lanes: KvElem {
    /// Whether this CPU can run the vector kernel on this type.
    fn vector() -> bool;

    /// Loads 8 values from `p` as f32 lanes.
    ///
    /// # Safety
    /// `p` must be valid for reading 8 values, and the CPU must have AVX2 and F16C.
    #[cfg(target_arch = "x86_64")]
    unsafe fn load8(p: *const Self) -> std::arch::x86_64::__m256;
}

impl Lanes for f32 {
    fn vector() -> bool {
        vmath::avx2::available()
    }

    #[cfg(target_arch = "x86_64")]
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn load8(p: *const Self) -> std::arch::x86_64::__m256 {
        // SAFETY: the caller gives 8 readable floats at `p`.
        unsafe { std::arch::x86_64::_mm256_loadu_ps(p) }
    }
}

impl Lanes for f16 {
    fn vector() -> bool {
        #[cfg(target_arch = "x86_64")]
        return vmath::avx2::available() && std::is_x86_feature_detected!("f16c");
        #[cfg(not(target_arch = "x86_64"))]
        false
    }

    #[cfg(target_arch = "x86_64")]
    #[inline]
    #[target_feature(enable = "avx2,f16c")]
    unsafe fn load8(p: *const Self) -> std::arch::x86_64::__m256 {
        use std::arch::x86_64::*;
        // SAFETY: the caller gives 8 readable halves (16 bytes) at `p`; F16C is enabled here.
        unsafe { _mm256_cvtph_ps(_mm_loadu_si128(p.cast())) }
    }
}

/// What every query head of one attention call reads.
struct Attention<'a, E> {
    q: &'a [f32],
    kv: &'a HostKvOf<'a, E>,
    heads: usize,
    first: usize,
    scale: f32,
}

impl<E: Lanes> Attention<'_, E> {
    /// The query, the first key and the first value of head `h`, and the distance between two
    /// positions in the cache.
    fn parts(&self, h: usize) -> (&[f32], &[E], &[E], usize) {
        let (kv, d) = (self.kv, self.kv.head_dim);
        let stride = kv.kv_heads * d;
        let g = h / (self.heads / kv.kv_heads);
        let at = self.first * stride + g * d;
        (
            &self.q[h * d..(h + 1) * d],
            &kv.k[at..],
            &kv.v[at..],
            stride,
        )
    }

    /// Query head `h`, writing its `head_dim` outputs to `oh`.
    fn head(&self, h: usize, oh: &mut [f32], scores: &mut Vec<f32>) {
        #[cfg(target_arch = "x86_64")]
        if self.kv.head_dim.is_multiple_of(8) && E::vector() {
            // SAFETY: AVX2, FMA (and F16C for f16) were detected; the head size is a multiple
            // of 8.
            return unsafe { self.head_avx2(h, oh, scores) };
        }
        self.head_scalar(h, oh, scores)
    }

    fn head_scalar(&self, h: usize, oh: &mut [f32], scores: &mut Vec<f32>) {
        let (qh, k, v, stride) = self.parts(h);
        let (n, d) = (self.kv.len - self.first, self.kv.head_dim);
        scores.clear();
        for j in 0..n {
            scores.push(
                qh.iter()
                    .zip(&k[j * stride..][..d])
                    .map(|(a, b)| a * b.to_f32())
                    .sum::<f32>()
                    * self.scale,
            );
        }
        let max = scores.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
        scores.iter_mut().for_each(|s| *s -= max);
        vmath::exp_inplace(scores);
        let inv = 1.0 / scores.iter().sum::<f32>();
        oh.fill(0.0);
        for (j, p) in scores.iter().enumerate() {
            oh.iter_mut()
                .zip(&v[j * stride..][..d])
                .for_each(|(o, v)| *o += p * v.to_f32());
        }
        oh.iter_mut().for_each(|o| *o *= inv);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn head_avx2(&self, h: usize, oh: &mut [f32], scores: &mut Vec<f32>) {
        use crate::llm::kernels::vmath::avx2::hsum;
        use std::arch::x86_64::*;
        let (qh, k, v, stride) = self.parts(h);
        let (n, d) = (self.kv.len - self.first, self.kv.head_dim);
        assert!(
            n > 0
                && k.len() >= (n - 1) * stride + d
                && v.len() >= (n - 1) * stride + d
                && oh.len() == d
        );
        let (q, k, v) = (qh.as_ptr(), k.as_ptr(), v.as_ptr());
        scores.clear();
        scores.reserve(n);
        // SAFETY: the assert above gives `n` key and value rows of `d` floats at `stride`, and a query
        // and output of `d` floats, so every offset below stays inside them; AVX2/FMA are this
        // function's target features (F16C matters only to f16 loads), checked by the caller at
        // run time.
        unsafe {
            // Scores: two accumulators per position, 16 lanes a step.
            for j in 0..n {
                let kj = k.add(j * stride);
                let (mut a0, mut a1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
                let mut i = 0;
                while i + 16 <= d {
                    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q.add(i)), E::load8(kj.add(i)), a0);
                    a1 =
                        _mm256_fmadd_ps(_mm256_loadu_ps(q.add(i + 8)), E::load8(kj.add(i + 8)), a1);
                    i += 16;
                }
                if i < d {
                    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q.add(i)), E::load8(kj.add(i)), a0);
                }
                scores.push(hsum(_mm256_add_ps(a0, a1)) * self.scale);
            }
            // Softmax weights, left unnormalized: e^{s - max}.
            let max = scores.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
            scores.iter_mut().for_each(|s| *s -= max);
            vmath::exp_inplace(scores);
            let inv = _mm256_set1_ps(1.0 / scores.iter().sum::<f32>());
            // Weighted sum of the values, 64 output lanes (8 registers) at a time, then 8.
            let o = oh.as_mut_ptr();
            let mut c = 0;
            while c + 64 <= d {
                let mut acc = [_mm256_setzero_ps(); 8];
                for (j, &p) in scores.iter().enumerate() {
                    let (p, vj) = (_mm256_set1_ps(p), v.add(j * stride + c));
                    for (r, a) in acc.iter_mut().enumerate() {
                        *a = _mm256_fmadd_ps(p, E::load8(vj.add(8 * r)), *a);
                    }
                }
                for (r, a) in acc.iter().enumerate() {
                    _mm256_storeu_ps(o.add(c + 8 * r), _mm256_mul_ps(*a, inv));
                }
                c += 64;
            }
            while c < d {
                let mut acc = _mm256_setzero_ps();
                for (j, &p) in scores.iter().enumerate() {
                    acc = _mm256_fmadd_ps(_mm256_set1_ps(p), E::load8(v.add(j * stride + c)), acc);
                }
                _mm256_storeu_ps(o.add(c), _mm256_mul_ps(acc, inv));
                c += 8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector kernel and the scalar loops against a float64 reference, for head sizes that
    /// take each of the kernel's branches, grouped-query heads and a window (`first > 0`), with
    /// an f32 and an f16 cache (the reference reads the rounded values the f16 cache holds).
    #[test]
    fn heads_match_a_float64_reference() {
        check::<f32>();
        check::<f16>();
    }

    fn check<E: Lanes>() {
        if !E::vector() {
            eprintln!("no vector kernel for this cache type here: the scalar loops only");
        }
        for (heads, kv_heads, d, len, first) in [
            (4, 2, 16, 9, 0),
            (8, 2, 72, 33, 5),
            (2, 1, 256, 40, 12),
            (9, 3, 64, 1, 0),
        ] {
            let stride = kv_heads * d;
            let f = |i: usize, s: u32| {
                ((i as u32).wrapping_mul(2654435761).wrapping_add(s) % 2001) as f32 / 1000.0 - 1.0
            };
            let q: Vec<f32> = (0..heads * d).map(|i| f(i, 1)).collect();
            let k: Vec<E> = (0..len * stride)
                .map(|i| E::from_f32(f(i, 2) * 3.0))
                .collect();
            let v: Vec<E> = (0..len * stride).map(|i| E::from_f32(f(i, 3))).collect();
            let kv = HostKvOf {
                k: &k,
                v: &v,
                kv_heads,
                head_dim: d,
                len,
            };
            let scale = 1.0 / (d as f32).sqrt();
            let a = Attention {
                q: &q,
                kv: &kv,
                heads,
                first,
                scale,
            };
            let kf = |i: usize| k[i].to_f32() as f64;
            let vf = |i: usize| v[i].to_f32() as f64;
            for h in 0..heads {
                let g = h / (heads / kv_heads);
                let s: Vec<f64> = (first..len)
                    .map(|j| {
                        (0..d)
                            .map(|i| q[h * d + i] as f64 * kf(j * stride + g * d + i))
                            .sum::<f64>()
                            * scale as f64
                    })
                    .collect();
                let m = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = s.iter().map(|x| (x - m).exp()).collect();
                let z: f64 = e.iter().sum();
                let want: Vec<f64> = (0..d)
                    .map(|i| {
                        (first..len)
                            .zip(&e)
                            .map(|(j, p)| p / z * vf(j * stride + g * d + i))
                            .sum()
                    })
                    .collect();
                let (mut fast, mut slow, mut scratch) = (vec![0f32; d], vec![0f32; d], Vec::new());
                a.head(h, &mut fast, &mut scratch);
                a.head_scalar(h, &mut slow, &mut scratch);
                for i in 0..d {
                    assert!(
                        (fast[i] as f64 - want[i]).abs() < 1e-5,
                        "d={d} head {h} lane {i}: {} vs {}",
                        fast[i],
                        want[i]
                    );
                    assert!(
                        (slow[i] as f64 - want[i]).abs() < 1e-5,
                        "scalar d={d} head {h} lane {i}"
                    );
                }
            }
        }
    }
}
