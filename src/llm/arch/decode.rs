//! The fused single-token step: one forward pass for one new token on the CPU, on plain f32
//! slices instead of tensors.
//!
//! Decoding a small model through tensor ops costs more in per-op overhead (allocation,
//! dispatch, layout checks: ~25 ops per layer) than in arithmetic. This step does the same
//! arithmetic as [`super::transformer::Transformer`]'s tensor path with no tensors at all:
//! RMS norms, rotary embeddings and attention are loops here, every projection is one
//! [`crate::llm::kernels::gemv`] call, and the activation is quantized once for all the
//! weights that read it.

use super::common::{Activation, HostKv};
use super::transformer::Transformer;
use crate::llm::kernels::gemv::ActRow;
use candle_core::{DType, Result, Tensor};

/// Buffers reused from one step to the next.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    act: ActRow,
    h: Vec<f32>,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    attn: Vec<f32>,
    o: Vec<f32>,
    gate: Vec<f32>,
    up: Vec<f32>,
    scores: Vec<f32>,
}

fn sized(buf: &mut Vec<f32>, n: usize) -> &mut [f32] {
    buf.resize(n, 0.0);
    &mut buf[..n]
}

impl Transformer {
    /// Runs one token at position `self.pos` and returns the logits; appends to the caches.
    /// Only for CPU models (the caches must be host caches).
    pub(super) fn step(&mut self, token: u32) -> Result<Vec<f32>> {
        let pos = self.pos;
        let ids = Tensor::new(&[token], &self.device)?;
        let mut x = self
            .embed
            .embedding(&ids)?
            .flatten_all()?
            .to_dtype(DType::F32)?
            .to_vec1::<f32>()?;
        let cfg = &self.cfg;
        if let Some(s) = cfg.embed_scale {
            let s = s as f32;
            x.iter_mut().for_each(|v| *v *= s);
        }
        let (heads, kv_heads, hd) = (cfg.heads, cfg.kv_heads, cfg.head_dim);
        let scale = cfg.attn_scale as f32;
        let sc = &mut self.scratch;
        for layer in &mut self.layers {
            if layer.cache.len() != pos {
                candle_core::bail!(
                    "key/value cache holds {} positions, expected {pos}",
                    layer.cache.len()
                )
            }
            let h = sized(&mut sc.h, x.len());
            h.copy_from_slice(&x);
            layer.attn_norm.forward_host(h);
            sc.act.set(h);
            let q = sized(&mut sc.q, heads * hd);
            let k = sized(&mut sc.k, kv_heads * hd);
            let v = sized(&mut sc.v, kv_heads * hd);
            layer.q.forward_row(&mut sc.act, q)?;
            layer.k.forward_row(&mut sc.act, k)?;
            layer.v.forward_row(&mut sc.act, v)?;
            if let Some(n) = &layer.q_norm {
                q.chunks_exact_mut(hd).for_each(|head| n.forward_host(head));
            }
            if let Some(n) = &layer.k_norm {
                k.chunks_exact_mut(hd).for_each(|head| n.forward_host(head));
            }
            let rope = &self.ropes[layer.rope];
            rope.apply_host(q, pos);
            rope.apply_host(k, pos);
            layer.cache.push_host(k, v, kv_heads, hd)?;
            let Some(kv) = layer.cache.host() else {
                candle_core::bail!("the fused decode step needs a host key/value cache")
            };
            let first = layer.window.map_or(0, |w| (pos + 1).saturating_sub(w));
            let attn = sized(&mut sc.attn, heads * hd);
            attend(q, &kv, heads, first, scale, attn, &mut sc.scores);
            sc.act.set(attn);
            let o = sized(&mut sc.o, x.len());
            layer.o.forward_row(&mut sc.act, o)?;
            if let Some(n) = &layer.post_attn_norm {
                n.forward_host(o);
            }
            x.iter_mut().zip(o.iter()).for_each(|(x, o)| *x += o);

            let h = sized(&mut sc.h, x.len());
            h.copy_from_slice(&x);
            layer.ffn_norm.forward_host(h);
            sc.act.set(h);
            let gate = sized(&mut sc.gate, cfg.ffn);
            let up = sized(&mut sc.up, cfg.ffn);
            layer.gate.forward_row(&mut sc.act, gate)?;
            layer.up.forward_row(&mut sc.act, up)?;
            activate(cfg.activation, gate);
            gate.iter_mut().zip(up.iter()).for_each(|(g, u)| *g *= u);
            sc.act.set(gate);
            let m = sized(&mut sc.o, x.len());
            layer.down.forward_row(&mut sc.act, m)?;
            if let Some(n) = &layer.post_ffn_norm {
                n.forward_host(m);
            }
            x.iter_mut().zip(m.iter()).for_each(|(x, m)| *x += m);
        }
        self.norm.forward_host(&mut x);
        sc.act.set(&x);
        let mut logits = vec![0f32; self.output.out_features()];
        self.output.forward_row(&mut sc.act, &mut logits)?;
        Ok(logits)
    }
}

/// The activation of the gated feed-forward block, in place (same formulas as candle's ops).
fn activate(act: Activation, x: &mut [f32]) {
    match act {
        Activation::Silu => x.iter_mut().for_each(|v| *v = *v / (1.0 + (-*v).exp())),
        Activation::GeluTanh => {
            const SQRT_TWO_OVER_PI: f32 = 0.797_884_6;
            x.iter_mut().for_each(|v| {
                *v = 0.5 * *v * (1.0 + (SQRT_TWO_OVER_PI * *v * (1.0 + 0.044715 * *v * *v)).tanh())
            });
        }
    }
}

/// Dot product with eight partial sums, so the loop vectorizes.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ac.zip(bc) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// What every query head of one attention call reads: the query (all `heads`, `heads *
/// head_dim` values), the host cache and the visible positions `first..kv.len`.
struct Attention<'a> {
    q: &'a [f32],
    kv: &'a HostKv<'a>,
    heads: usize,
    first: usize,
    scale: f32,
}

/// Attention of one query over cached positions `first..kv.len`, grouped-query: query head `h`
/// reads key/value head `h / (heads / kv_heads)`. Heads run in parallel on the inference pool
/// when there are threads and enough positions.
fn attend(
    q: &[f32],
    kv: &HostKv<'_>,
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

impl Attention<'_> {
    /// Query head `h`, writing its `head_dim` outputs to `oh`: compiled for AVX2 and FMA when
    /// the CPU has them (the loops then run 8 lanes wide with fused multiply-adds).
    fn head(&self, h: usize, oh: &mut [f32], scores: &mut Vec<f32>) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::sync::OnceLock;
            static AVX2: OnceLock<bool> = OnceLock::new();
            if *AVX2.get_or_init(|| {
                std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
            }) {
                // SAFETY: the CPU has AVX2 and FMA (checked above).
                return unsafe { self.head_avx2(h, oh, scores) };
            }
        }
        self.head_body(h, oh, scores)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn head_avx2(&self, h: usize, oh: &mut [f32], scores: &mut Vec<f32>) {
        self.head_body(h, oh, scores)
    }

    #[inline(always)]
    fn head_body(&self, h: usize, oh: &mut [f32], scores: &mut Vec<f32>) {
        let (kv, first) = (self.kv, self.first);
        let (kh, d) = (kv.kv_heads, kv.head_dim);
        let stride = kh * d;
        let g = h / (self.heads / kh);
        let qh = &self.q[h * d..(h + 1) * d];
        scores.clear();
        scores.extend(
            (first..kv.len).map(|j| dot(qh, &kv.k[j * stride + g * d..][..d]) * self.scale),
        );
        let max = scores.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
        let mut sum = 0f32;
        for s in scores.iter_mut() {
            *s = (*s - max).exp();
            sum += *s;
        }
        oh.fill(0.0);
        for (p, j) in scores.iter().zip(first..kv.len) {
            let p = p / sum;
            for (o, v) in oh.iter_mut().zip(&kv.v[j * stride + g * d..][..d]) {
                *o += p * v;
            }
        }
    }
}
