//! The fused single-token step: one forward pass for one new token on the CPU, on plain f32
//! slices instead of tensors.
//!
//! Decoding a small model through tensor ops costs more in per-op overhead (allocation,
//! dispatch, layout checks: ~25 ops per layer) than in arithmetic. This step does the same
//! arithmetic as [`super::transformer::Transformer`]'s tensor path with no tensors at all:
//! RMS norms, rotary embeddings and attention are loops here, every projection is one
//! [`crate::llm::kernels::gemv`] call, and the activation is quantized once for all the
//! weights that read it.

use super::host_attention::attend;
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
            cfg.activation.apply_host(gate);
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
