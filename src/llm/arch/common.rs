//! Building blocks shared by the architectures: RMS norm, rotary tables, the key/value cache,
//! the causal (optionally sliding-window) mask and grouped-query attention.

use candle_core::quantized::QTensor;
use candle_core::{DType, Device, Result, Tensor};

/// Root-mean-square layer norm over the last dimension, with an f32 weight.
#[derive(Debug, Clone)]
pub struct RmsNorm {
    weight: Tensor,
    eps: f32,
}

impl RmsNorm {
    /// Dequantizes `weight` (shape `(dim,)`) to f32.
    pub fn from_qtensor(weight: &QTensor, eps: f64) -> Result<Self> {
        let weight = weight.dequantize(&weight.device())?.to_dtype(DType::F32)?;
        weight.dims1()?;
        Ok(Self { weight, eps: eps as f32 })
    }

    /// Normalizes `x` over its last dimension (must equal the weight length).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        candle_nn::ops::rms_norm(&x.contiguous()?, &self.weight, self.eps)
    }
}

/// How rotary embeddings pair the dimensions of a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RopeStyle {
    /// Pairs `(2i, 2i+1)`: GGUF llama (weights are permuted at conversion).
    Interleaved,
    /// Pairs `(i, i + d/2)`: qwen2, qwen3, gemma3.
    Neox,
}

/// Rotary position tables (cos/sin of `pos · base^(-2i/d)`), grown on demand.
#[derive(Debug, Clone)]
pub struct Rope {
    inv_freq: Vec<f32>,
    style: RopeStyle,
    cos: Tensor,
    sin: Tensor,
    len: usize,
    device: Device,
}

impl Rope {
    /// Tables for heads of `head_dim` with frequency base `base`.
    pub fn new(head_dim: usize, base: f32, style: RopeStyle, device: &Device) -> Result<Self> {
        if head_dim % 2 != 0 {
            candle_core::bail!("rotary embedding needs an even head dimension, got {head_dim}")
        }
        let inv_freq: Vec<f32> = (0..head_dim)
            .step_by(2)
            .map(|i| 1f32 / base.powf(i as f32 / head_dim as f32))
            .collect();
        let half = inv_freq.len();
        let mut rope = Self {
            inv_freq,
            style,
            cos: Tensor::zeros((0, half), DType::F32, device)?,
            sin: Tensor::zeros((0, half), DType::F32, device)?,
            len: 0,
            device: device.clone(),
        };
        rope.ensure(512)?;
        Ok(rope)
    }

    /// Makes the tables cover positions `0..len`.
    pub fn ensure(&mut self, len: usize) -> Result<()> {
        if len <= self.len {
            return Ok(());
        }
        let new_len = len.next_power_of_two().max(512);
        let half = self.inv_freq.len();
        let mut cos = Vec::with_capacity(new_len * half);
        let mut sin = Vec::with_capacity(new_len * half);
        for p in 0..new_len {
            for &f in &self.inv_freq {
                let a = p as f32 * f;
                cos.push(a.cos());
                sin.push(a.sin());
            }
        }
        self.cos = Tensor::from_vec(cos, (new_len, half), &self.device)?;
        self.sin = Tensor::from_vec(sin, (new_len, half), &self.device)?;
        self.len = new_len;
        Ok(())
    }

    /// Rotates `x` of shape `(1, heads, seq, head_dim)` whose rows sit at positions
    /// `offset..offset+seq`. Call [`Rope::ensure`] first.
    pub fn apply(&self, x: &Tensor, offset: usize) -> Result<Tensor> {
        let (_, _, seq, _) = x.dims4()?;
        let cos = self.cos.narrow(0, offset, seq)?;
        let sin = self.sin.narrow(0, offset, seq)?;
        let x = x.contiguous()?;
        match self.style {
            RopeStyle::Interleaved => candle_nn::rotary_emb::rope_i(&x, &cos, &sin),
            RopeStyle::Neox => candle_nn::rotary_emb::rope(&x, &cos, &sin),
        }
    }
}

/// One layer's key/value cache: preallocated buffers of shape `(1, kv_heads, capacity,
/// head_dim)` that grow by doubling; positions `0..len` are valid.
#[derive(Debug, Default)]
pub struct KvCache {
    k: Option<Tensor>,
    v: Option<Tensor>,
    len: usize,
    cap: usize,
}

impl Clone for KvCache {
    /// Deep copy: buffers are written in place, so clones must not share them.
    fn clone(&self) -> Self {
        let copy = |t: &Option<Tensor>| t.as_ref().and_then(|t| t.copy().ok());
        let (k, v) = (copy(&self.k), copy(&self.v));
        if k.is_some() && v.is_some() {
            Self { k, v, len: self.len, cap: self.cap }
        } else {
            Self::default()
        }
    }
}

impl KvCache {
    /// Number of cached positions.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn grow(&mut self, k: &Tensor, need: usize) -> Result<()> {
        let (_, kv_heads, _, d) = k.dims4()?;
        let cap = need.next_power_of_two().max(256);
        let kb = Tensor::zeros((1, kv_heads, cap, d), k.dtype(), k.device())?;
        let vb = Tensor::zeros((1, kv_heads, cap, d), k.dtype(), k.device())?;
        if let (Some(ok), Some(ov)) = (&self.k, &self.v) {
            if self.len > 0 {
                kb.slice_set(&ok.narrow(2, 0, self.len)?.contiguous()?, 2, 0)?;
                vb.slice_set(&ov.narrow(2, 0, self.len)?.contiguous()?, 2, 0)?;
            }
        }
        self.k = Some(kb);
        self.v = Some(vb);
        self.cap = cap;
        Ok(())
    }

    /// Appends `k`, `v` (`(1, kv_heads, seq, head_dim)`) and returns views of the whole cache.
    pub fn append(&mut self, k: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor)> {
        let seq = k.dim(2)?;
        let need = self.len + seq;
        if need > self.cap || self.k.is_none() {
            self.grow(k, need)?;
        }
        let (Some(kb), Some(vb)) = (&self.k, &self.v) else {
            candle_core::bail!("key/value cache buffers missing")
        };
        kb.slice_set(&k.contiguous()?, 2, self.len)?;
        vb.slice_set(&v.contiguous()?, 2, self.len)?;
        self.len = need;
        Ok((kb.narrow(2, 0, need)?, vb.narrow(2, 0, need)?))
    }

    /// Drops positions `len..` (the buffers are kept for reuse).
    pub fn truncate(&mut self, len: usize) -> Result<()> {
        self.len = self.len.min(len);
        Ok(())
    }
}

/// An additive attention mask of shape `(seq, offset + seq)`: 0 where query `offset + i` may
/// attend key `j` (`j <= offset + i`, and `offset + i - j < window` with a sliding window),
/// `-inf` elsewhere. `None` when nothing is masked.
pub fn causal_mask(
    seq: usize,
    offset: usize,
    window: Option<usize>,
    device: &Device,
) -> Result<Option<Tensor>> {
    let kv = offset + seq;
    let window_bites = window.is_some_and(|w| kv > w);
    if seq == 1 && !window_bites {
        return Ok(None);
    }
    let mut mask = vec![0f32; seq * kv];
    for i in 0..seq {
        let q = offset + i;
        for j in 0..kv {
            let hidden = j > q || window.is_some_and(|w| q - j >= w);
            if hidden {
                mask[i * kv + j] = f32::NEG_INFINITY;
            }
        }
    }
    Ok(Some(Tensor::from_vec(mask, (seq, kv), device)?))
}

/// Scaled dot-product attention with grouped-query heads.
///
/// `q`: `(1, heads, seq, d)`, `k`/`v`: `(1, kv_heads, kv_len, d)` (may be strided views of the
/// cache), `mask`: `(seq, kv_len)`. Returns `(seq, heads * d)`.
pub fn attention(q: &Tensor, k: &Tensor, v: &Tensor, mask: Option<&Tensor>, scale: f64) -> Result<Tensor> {
    let (_, heads, seq, d) = q.dims4()?;
    let (_, kv_heads, kv_len, _) = k.dims4()?;
    if heads % kv_heads != 0 {
        candle_core::bail!("{heads} query heads cannot share {kv_heads} key/value heads")
    }
    let rep = heads / kv_heads;
    // Query heads h = g*rep + r share kv head g: view them as rep*seq rows of group g, so the
    // key/value heads are never copied.
    let q = q.contiguous()?.reshape((1, kv_heads, rep * seq, d))?;
    let att = (q.matmul(&k.t()?)? * scale)?;
    let att = match mask {
        Some(mask) => att
            .reshape((kv_heads, rep, seq, kv_len))?
            .broadcast_add(mask)?
            .reshape((1, kv_heads, rep * seq, kv_len))?,
        None => att,
    };
    let att = candle_nn::ops::softmax_last_dim(&att)?;
    let y = att.matmul(v)?; // (1, kv_heads, rep*seq, d)
    y.reshape((heads, seq, d))?
        .transpose(0, 1)?
        .contiguous()?
        .reshape((seq, heads * d))
}

/// The activation of the gated feed-forward block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// SiLU (llama, qwen2, qwen3).
    Silu,
    /// GELU, tanh approximation (gemma3).
    GeluTanh,
}

impl Activation {
    pub fn apply(self, x: &Tensor) -> Result<Tensor> {
        match self {
            Activation::Silu => candle_nn::ops::silu(x),
            Activation::GeluTanh => x.gelu(),
        }
    }
}

/// Returns the last row of a `(seq, dim)` tensor as `(1, dim)`.
pub fn last_row(x: &Tensor) -> Result<Tensor> {
    let seq = x.dim(0)?;
    x.narrow(0, seq - 1, 1)
}

/// Flattens a `(1, vocab)` logits tensor into a `Vec<f32>`.
pub fn logits_vec(x: &Tensor) -> Result<Vec<f32>> {
    x.flatten_all()?.to_dtype(DType::F32)?.to_vec1::<f32>()
}
