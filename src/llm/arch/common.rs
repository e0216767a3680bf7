//! Building blocks shared by the architectures: RMS norm, rotary tables, the causal (optionally
//! sliding-window) mask and grouped-query attention. The key/value cache is in
//! [`super::kv_cache`].

use candle_core::quantized::QTensor;
use candle_core::{DType, Device, Result, Tensor};

/// Root-mean-square layer norm over the last dimension, with an f32 weight.
#[derive(Debug, Clone)]
pub struct RmsNorm {
    weight: Tensor,
    /// The weight in host memory, for the fused decode step.
    host: Vec<f32>,
    eps: f32,
}

impl RmsNorm {
    /// Dequantizes `weight` (shape `(dim,)`) to f32.
    pub fn from_qtensor(weight: &QTensor, eps: f64) -> Result<Self> {
        let weight = weight.dequantize(&weight.device())?.to_dtype(DType::F32)?;
        weight.dims1()?;
        let host = weight.to_vec1::<f32>()?;
        Ok(Self {
            weight,
            host,
            eps: eps as f32,
        })
    }

    /// Normalizes `x` in place, in host memory (same arithmetic as [`RmsNorm::forward`]).
    /// `x.len()` must equal the weight length.
    pub fn forward_host(&self, x: &mut [f32]) {
        debug_assert_eq!(x.len(), self.host.len());
        let sum2: f32 = x.iter().map(|v| v * v).sum();
        let m = (sum2 / x.len() as f32 + self.eps).sqrt();
        for (v, w) in x.iter_mut().zip(&self.host) {
            *v = *v / m * w;
        }
    }

    /// The normalized length.
    pub fn dim(&self) -> usize {
        self.host.len()
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
        if !head_dim.is_multiple_of(2) {
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

    /// Rotates `heads` consecutive heads of `x` (host memory, `heads * head_dim` values) for
    /// position `pos`, with the same angles as the tables.
    pub fn apply_host(&self, x: &mut [f32], pos: usize) {
        let half = self.inv_freq.len();
        let d = 2 * half;
        let (cos, sin): (Vec<f32>, Vec<f32>) = self
            .inv_freq
            .iter()
            .map(|&f| {
                let a = pos as f32 * f;
                (a.cos(), a.sin())
            })
            .unzip();
        for head in x.chunks_exact_mut(d) {
            for i in 0..half {
                let (i1, i2) = match self.style {
                    RopeStyle::Interleaved => (2 * i, 2 * i + 1),
                    RopeStyle::Neox => (i, i + half),
                };
                let (a, b) = (head[i1], head[i2]);
                head[i1] = a * cos[i] - b * sin[i];
                head[i2] = a * sin[i] + b * cos[i];
            }
        }
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
pub fn attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask: Option<&Tensor>,
    scale: f64,
) -> Result<Tensor> {
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
    /// Applies the activation; CPU f32 tensors take [`Activation::apply_host`], so the prompt
    /// path and the fused decode step compute the same values.
    pub fn apply(self, x: &Tensor) -> Result<Tensor> {
        if x.device().is_cpu() && x.dtype() == DType::F32 {
            let mut v = x.flatten_all()?.to_vec1::<f32>()?;
            self.apply_host(&mut v);
            return Tensor::from_vec(v, x.shape(), x.device());
        }
        match self {
            Activation::Silu => candle_nn::ops::silu(x),
            Activation::GeluTanh => x.gelu(),
        }
    }

    /// Applies the activation in place to host values (vectorized, see
    /// [`crate::llm::kernels::vmath`]).
    pub fn apply_host(self, x: &mut [f32]) {
        use crate::llm::kernels::vmath;
        match self {
            Activation::Silu => vmath::silu_inplace(x),
            Activation::GeluTanh => vmath::gelu_tanh_inplace(x),
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
