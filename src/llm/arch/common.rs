//! Building blocks shared by the architectures: RMS norm, rotary tables, the key/value cache,
//! the causal (optionally sliding-window) mask and grouped-query attention.

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

/// One layer's key/value cache; positions `0..len` are valid.
///
/// On the CPU the keys and values live in host vectors, position-major (`(pos, kv_heads,
/// head_dim)`), which the fused decode step reads and appends to directly. On other devices
/// they live in device buffers of shape `(1, kv_heads, capacity, head_dim)` grown by doubling.
#[derive(Debug, Default)]
pub struct KvCache {
    store: KvStore,
    len: usize,
}

#[derive(Debug, Default)]
enum KvStore {
    #[default]
    Empty,
    Host {
        k: Vec<f32>,
        v: Vec<f32>,
        kv_heads: usize,
        head_dim: usize,
    },
    Device {
        k: Tensor,
        v: Tensor,
        cap: usize,
    },
}

impl Clone for KvCache {
    /// Deep copy: device buffers are written in place, so clones must not share them.
    fn clone(&self) -> Self {
        let store = match &self.store {
            KvStore::Empty => KvStore::Empty,
            KvStore::Host {
                k,
                v,
                kv_heads,
                head_dim,
            } => KvStore::Host {
                k: k.clone(),
                v: v.clone(),
                kv_heads: *kv_heads,
                head_dim: *head_dim,
            },
            KvStore::Device { k, v, cap } => match (k.copy(), v.copy()) {
                (Ok(k), Ok(v)) => KvStore::Device { k, v, cap: *cap },
                _ => return Self::default(),
            },
        };
        Self {
            store,
            len: self.len,
        }
    }
}

/// The keys and values of one layer's host cache, position-major.
pub struct HostKv<'a> {
    pub k: &'a [f32],
    pub v: &'a [f32],
    pub kv_heads: usize,
    pub head_dim: usize,
    pub len: usize,
}

impl KvCache {
    /// Number of cached positions.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn grow_device(&mut self, k: &Tensor, need: usize) -> Result<()> {
        let (_, kv_heads, _, d) = k.dims4()?;
        let cap = need.next_power_of_two().max(256);
        let kb = Tensor::zeros((1, kv_heads, cap, d), k.dtype(), k.device())?;
        let vb = Tensor::zeros((1, kv_heads, cap, d), k.dtype(), k.device())?;
        if let KvStore::Device { k: ok, v: ov, .. } = &self.store {
            if self.len > 0 {
                kb.slice_set(&ok.narrow(2, 0, self.len)?.contiguous()?, 2, 0)?;
                vb.slice_set(&ov.narrow(2, 0, self.len)?.contiguous()?, 2, 0)?;
            }
        }
        self.store = KvStore::Device { k: kb, v: vb, cap };
        Ok(())
    }

    /// Appends `k`, `v` (`(1, kv_heads, seq, head_dim)`) and returns the whole cache as
    /// `(1, kv_heads, len, head_dim)` tensors.
    pub fn append(&mut self, k: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor)> {
        let (_, kv_heads, seq, d) = k.dims4()?;
        let need = self.len + seq;
        if k.device().is_cpu() {
            // (1, kv_heads, seq, d) -> position-major rows.
            let rows = |t: &Tensor| -> Result<Vec<f32>> {
                t.squeeze(0)?
                    .transpose(0, 1)?
                    .contiguous()?
                    .to_dtype(DType::F32)?
                    .flatten_all()?
                    .to_vec1::<f32>()
            };
            let (kr, vr) = (rows(k)?, rows(v)?);
            let host = self.host_mut(kv_heads, d)?;
            host.0.extend_from_slice(&kr);
            host.1.extend_from_slice(&vr);
            self.len = need;
            let view = |buf: &[f32]| -> Result<Tensor> {
                Tensor::from_slice(buf, (need, kv_heads, d), k.device())?
                    .transpose(0, 1)?
                    .contiguous()?
                    .unsqueeze(0)
            };
            let KvStore::Host { k: kb, v: vb, .. } = &self.store else {
                candle_core::bail!("key/value cache buffers missing")
            };
            return Ok((view(kb)?, view(vb)?));
        }
        let cap = match &self.store {
            KvStore::Device { cap, .. } => *cap,
            _ => 0,
        };
        if need > cap {
            self.grow_device(k, need)?;
        }
        let KvStore::Device { k: kb, v: vb, .. } = &self.store else {
            candle_core::bail!("key/value cache buffers missing")
        };
        kb.slice_set(&k.contiguous()?, 2, self.len)?;
        vb.slice_set(&v.contiguous()?, 2, self.len)?;
        self.len = need;
        Ok((kb.narrow(2, 0, need)?, vb.narrow(2, 0, need)?))
    }

    /// The host buffers, cut to the valid positions, ready for appending `kv_heads` heads of
    /// `head_dim` values per position. Fails when the cache holds another shape or a device store.
    fn host_mut(
        &mut self,
        kv_heads: usize,
        head_dim: usize,
    ) -> Result<(&mut Vec<f32>, &mut Vec<f32>)> {
        if (matches!(self.store, KvStore::Empty) || self.len == 0)
            && !matches!(&self.store, KvStore::Host { kv_heads: h, head_dim: d, .. } if *h == kv_heads && *d == head_dim)
        {
            self.store = KvStore::Host {
                k: Vec::new(),
                v: Vec::new(),
                kv_heads,
                head_dim,
            };
        }
        let len = self.len;
        match &mut self.store {
            KvStore::Host {
                k,
                v,
                kv_heads: h,
                head_dim: d,
            } if *h == kv_heads && *d == head_dim => {
                k.truncate(len * kv_heads * head_dim);
                v.truncate(len * kv_heads * head_dim);
                Ok((k, v))
            }
            _ => candle_core::bail!(
                "key/value cache holds another layout than {kv_heads} heads of {head_dim}"
            ),
        }
    }

    /// Appends one position (`kv_heads * head_dim` values each) to a host cache.
    pub fn push_host(
        &mut self,
        k: &[f32],
        v: &[f32],
        kv_heads: usize,
        head_dim: usize,
    ) -> Result<()> {
        if k.len() != kv_heads * head_dim || v.len() != k.len() {
            candle_core::bail!(
                "key/value row has {} values, expected {}",
                k.len(),
                kv_heads * head_dim
            )
        }
        let (kb, vb) = self.host_mut(kv_heads, head_dim)?;
        kb.extend_from_slice(k);
        vb.extend_from_slice(v);
        self.len += 1;
        Ok(())
    }

    /// The host cache, `None` when it lives on a device (or is empty).
    pub fn host(&self) -> Option<HostKv<'_>> {
        match &self.store {
            KvStore::Host {
                k,
                v,
                kv_heads,
                head_dim,
            } => {
                let n = self.len * kv_heads * head_dim;
                Some(HostKv {
                    k: &k[..n],
                    v: &v[..n],
                    kv_heads: *kv_heads,
                    head_dim: *head_dim,
                    len: self.len,
                })
            }
            _ => None,
        }
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
