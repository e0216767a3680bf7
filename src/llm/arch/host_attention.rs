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
    let (d, rep) = (kv.head_dim, heads / kv.kv_heads);
    let threads = crate::llm::kernels::threads();
    if threads > 1 && (kv.len - first) * heads * d >= 1 << 15 {
        // Whole groups per worker when there are enough of them to share out evenly; single
        // heads otherwise (each then reads its group's keys and values itself).
        let per = if kv.kv_heads >= 2 * threads { rep } else { 1 };
        crate::llm::kernels::for_each_chunk_mut(out, per * d, |i, oh| {
            let mut scores = Vec::with_capacity(per * (kv.len - first));
            a.heads(i * per, per, oh, &mut scores)
        });
    } else {
        for (g, og) in out.chunks_exact_mut(rep * d).enumerate() {
            a.heads(g * rep, rep, og, scores);
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

    /// Query heads `h0..h0 + count`, which must share one key/value head, writing their
    /// `head_dim` outputs each to `out`.
    fn heads(&self, h0: usize, count: usize, out: &mut [f32], scores: &mut Vec<f32>) {
        let d = self.kv.head_dim;
        #[cfg(target_arch = "x86_64")]
        if d.is_multiple_of(8) && E::vector() {
            for (i, part) in out[..count * d].chunks_mut(MAX_GROUP * d).enumerate() {
                let h = h0 + i * MAX_GROUP;
                // SAFETY: AVX2, FMA (and F16C for f16) were detected; the head size is a
                // multiple of 8 and a part holds at most MAX_GROUP heads.
                unsafe { self.heads_avx2(h, part.len() / d, part, scores) };
            }
            return;
        }
        for (r, oh) in out.chunks_exact_mut(d).take(count).enumerate() {
            self.head_scalar(h0 + r, oh, scores);
        }
    }

    /// The reference: one query head in scalar loops.
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

    /// The query heads of one group in 8-lane vectors. Positions go in blocks of [`BLOCK`]:
    /// the first head of the group reads a block's keys (or values) from memory and the
    /// others find them in L1, so each cached byte is read from memory once per token. Scores
    /// come 8 positions at a time, their sums reduced together ([`sum8`]).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn heads_avx2(&self, h0: usize, count: usize, out: &mut [f32], scores: &mut Vec<f32>) {
        use crate::llm::kernels::vmath::avx2::hsum;
        use std::arch::x86_64::*;
        let (kv, d) = (self.kv, self.kv.head_dim);
        let (n, stride) = (kv.len - self.first, kv.kv_heads * d);
        let at = self.first * stride + (h0 / (self.heads / kv.kv_heads)) * d;
        assert!(
            n > 0
                && count <= MAX_GROUP
                && (h0 + count) * d <= self.q.len()
                && out.len() >= count * d
                && kv.k.len() >= at + (n - 1) * stride + d
                && kv.v.len() >= at + (n - 1) * stride + d
        );
        scores.clear();
        scores.resize(count * n, 0.0);
        let (k, v) = (kv.k[at..].as_ptr(), kv.v[at..].as_ptr());
        let (q, s, o) = (
            self.q[h0 * d..].as_ptr(),
            scores.as_mut_ptr(),
            out.as_mut_ptr(),
        );
        // SAFETY: the assert above gives `n` key and value rows of `d` values at `stride` from
        // `k` and `v`, `count` queries of `d` floats at `q`, `count * d` outputs at `o` and
        // `count * n` scores at `s`; every offset below stays inside them. AVX2, FMA and F16C
        // are this function's target features, checked by the caller at run time.
        unsafe {
            let scale = _mm256_set1_ps(self.scale);
            for b0 in (0..n).step_by(BLOCK) {
                let bn = BLOCK.min(n - b0);
                for r in 0..count {
                    let (qr, sr) = (q.add(r * d), s.add(r * n + b0));
                    let mut j = 0;
                    while j + 8 <= bn {
                        let kj = k.add((b0 + j) * stride);
                        let mut acc = [_mm256_setzero_ps(); 8];
                        for i in (0..d).step_by(8) {
                            let qv = _mm256_loadu_ps(qr.add(i));
                            for (p, a) in acc.iter_mut().enumerate() {
                                *a = _mm256_fmadd_ps(qv, E::load8(kj.add(p * stride + i)), *a);
                            }
                        }
                        _mm256_storeu_ps(sr.add(j), _mm256_mul_ps(sum8(&acc), scale));
                        j += 8;
                    }
                    while j < bn {
                        let kj = k.add((b0 + j) * stride);
                        let mut a = _mm256_setzero_ps();
                        for i in (0..d).step_by(8) {
                            a = _mm256_fmadd_ps(_mm256_loadu_ps(qr.add(i)), E::load8(kj.add(i)), a);
                        }
                        *sr.add(j) = hsum(a) * self.scale;
                        j += 1;
                    }
                }
            }
            // Softmax weights, left unnormalized: e^{s - max}; the sums divide at the end.
            let mut inv = [0f32; MAX_GROUP];
            for (r, sr) in scores.chunks_exact_mut(n).enumerate() {
                let max = sr.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x));
                sr.iter_mut().for_each(|x| *x -= max);
                vmath::exp_inplace(sr);
                inv[r] = 1.0 / sr.iter().sum::<f32>();
            }
            // Weighted sums of the values, 64 output lanes (8 registers) at a time, then 8,
            // carried in `out` from one block to the next.
            let s = scores.as_ptr();
            out[..count * d].fill(0.0);
            for b0 in (0..n).step_by(BLOCK) {
                let bn = BLOCK.min(n - b0);
                for r in 0..count {
                    let (or, pr) = (o.add(r * d), s.add(r * n + b0));
                    let mut c = 0;
                    while c + 64 <= d {
                        let mut acc = [_mm256_setzero_ps(); 8];
                        for (i, a) in acc.iter_mut().enumerate() {
                            *a = _mm256_loadu_ps(or.add(c + 8 * i));
                        }
                        for j in 0..bn {
                            let (p, vj) =
                                (_mm256_set1_ps(*pr.add(j)), v.add((b0 + j) * stride + c));
                            for (i, a) in acc.iter_mut().enumerate() {
                                *a = _mm256_fmadd_ps(p, E::load8(vj.add(8 * i)), *a);
                            }
                        }
                        for (i, a) in acc.iter().enumerate() {
                            _mm256_storeu_ps(or.add(c + 8 * i), *a);
                        }
                        c += 64;
                    }
                    while c < d {
                        let mut a = _mm256_loadu_ps(or.add(c));
                        for j in 0..bn {
                            let p = _mm256_set1_ps(*pr.add(j));
                            a = _mm256_fmadd_ps(p, E::load8(v.add((b0 + j) * stride + c)), a);
                        }
                        _mm256_storeu_ps(or.add(c), a);
                        c += 8;
                    }
                }
            }
            for (or, inv) in out[..count * d].chunks_exact_mut(d).zip(inv) {
                or.iter_mut().for_each(|x| *x *= inv);
            }
        }
    }
}

/// Positions per block of the vector kernel: 64 keys of a 128-wide f32 head take 32 KB.
const BLOCK: usize = 64;

/// The most query heads one call of the vector kernel takes (their softmax sums stay on the
/// stack); larger groups go in parts.
const MAX_GROUP: usize = 16;

/// The horizontal sums of 8 vectors, as the 8 lanes of one (lane `p` is the sum of `a[p]`).
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
fn sum8(a: &[std::arch::x86_64::__m256; 8]) -> std::arch::x86_64::__m256 {
    use std::arch::x86_64::*;
    // hadd(x, y) = [x0+x1, x2+x3, y0+y1, y2+y3 | x4+x5, x6+x7, y4+y5, y6+y7]
    let t0 = _mm256_hadd_ps(a[0], a[1]);
    let t1 = _mm256_hadd_ps(a[2], a[3]);
    let t2 = _mm256_hadd_ps(a[4], a[5]);
    let t3 = _mm256_hadd_ps(a[6], a[7]);
    // [a0 lo, a1 lo, a2 lo, a3 lo | a0 hi, a1 hi, a2 hi, a3 hi] (each a sum of 4 lanes)
    let u0 = _mm256_hadd_ps(t0, t1);
    let u1 = _mm256_hadd_ps(t2, t3);
    let lo = _mm256_permute2f128_ps::<0x20>(u0, u1);
    let hi = _mm256_permute2f128_ps::<0x31>(u0, u1);
    _mm256_add_ps(lo, hi)
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
        // Head sizes for each branch of the value loop (64-lane stripes, then 8), lengths that
        // cross blocks and leave 8-position and single-position remainders, a window, groups
        // of 1 to 20 heads (20 > MAX_GROUP goes in two parts).
        for (heads, kv_heads, d, len, first) in [
            (4, 2, 16, 9, 0),
            (8, 2, 72, 33, 5),
            (2, 1, 256, 40, 12),
            (9, 3, 64, 1, 0),
            (9, 3, 64, 150, 3),
            (3, 3, 128, 71, 0),
            (20, 1, 8, 130, 1),
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
                let rep = heads / kv_heads;
                let mut group = vec![0f32; rep * d];
                let (mut one, mut slow, mut scratch) = (vec![0f32; d], vec![0f32; d], Vec::new());
                a.heads(g * rep, rep, &mut group, &mut scratch);
                a.heads(h, 1, &mut one, &mut scratch);
                a.head_scalar(h, &mut slow, &mut scratch);
                let fast = &group[(h - g * rep) * d..][..d];
                assert_eq!(fast, &one[..], "a head alone and in its group");
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
