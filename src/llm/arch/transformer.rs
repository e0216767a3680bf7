//! The decoder-only transformer all supported architectures share: token embedding, a stack of
//! pre-norm attention + gated feed-forward blocks (with the optional extras some families use:
//! projection biases, query/key norms, post-norms, sliding-window layers), final norm and
//! output projection. The key/value cache lives here and can be truncated (prefix cache).

use super::common::{attention, causal_mask, last_row, logits_vec, Activation, RmsNorm, Rope};
use super::kv_cache::{KvCache, KvPrecision};
use super::GgufSource;
use crate::llm::kernels::{QLinear, Repack};
use crate::llm::model::{CausalLm, ModelError};
use candle_core::quantized::QTensor;
use candle_core::{Device, Tensor};
use std::sync::Arc;

/// Hyper-parameters of a [`Transformer`].
#[derive(Debug, Clone)]
pub struct Config {
    /// `general.architecture` value.
    pub arch: String,
    pub hidden: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub ffn: usize,
    pub layers: usize,
    pub vocab_size: usize,
    pub context_length: usize,
    pub eps: f64,
    pub activation: Activation,
    /// Multiplier applied to the token embeddings (gemma3: `sqrt(hidden)`).
    pub embed_scale: Option<f64>,
    /// Attention logit scale (usually `1/sqrt(head_dim)`).
    pub attn_scale: f64,
}

/// Which optional tensors a layer has.
#[derive(Debug, Clone, Copy, Default)]
pub struct LayerSpec {
    /// `attn_{q,k,v}.bias` (qwen2).
    pub qkv_bias: bool,
    /// `attn_{q,k}_norm` (qwen3, gemma3).
    pub qk_norm: bool,
    /// `post_attention_norm` and `post_ffw_norm` (gemma3).
    pub post_norms: bool,
}

/// One transformer block.
#[derive(Debug, Clone)]
pub struct Layer {
    pub(super) attn_norm: RmsNorm,
    pub(super) q: QLinear,
    pub(super) k: QLinear,
    pub(super) v: QLinear,
    pub(super) o: QLinear,
    pub(super) q_norm: Option<RmsNorm>,
    pub(super) k_norm: Option<RmsNorm>,
    pub(super) post_attn_norm: Option<RmsNorm>,
    pub(super) ffn_norm: RmsNorm,
    pub(super) gate: QLinear,
    pub(super) up: QLinear,
    pub(super) down: QLinear,
    pub(super) post_ffn_norm: Option<RmsNorm>,
    /// Index into [`Transformer::ropes`].
    pub(super) rope: usize,
    /// Sliding attention window, `None` for global attention.
    pub(super) window: Option<usize>,
    pub(super) cache: KvCache,
}

impl Layer {
    /// Loads block `i` (tensors `blk.{i}.*`) from `src`.
    pub fn load(
        src: &mut GgufSource<'_>,
        cfg: &Config,
        i: usize,
        spec: LayerSpec,
        rope: usize,
        window: Option<usize>,
    ) -> Result<Self, ModelError> {
        let p = format!("blk.{i}");
        let (h, qd, kvd, f) = (
            cfg.hidden,
            cfg.heads * cfg.head_dim,
            cfg.kv_heads * cfg.head_dim,
            cfg.ffn,
        );
        let (q, k, v) = if spec.qkv_bias {
            (
                src.linear_bias(
                    &format!("{p}.attn_q.weight"),
                    &format!("{p}.attn_q.bias"),
                    qd,
                    h,
                )?,
                src.linear_bias(
                    &format!("{p}.attn_k.weight"),
                    &format!("{p}.attn_k.bias"),
                    kvd,
                    h,
                )?,
                src.linear_bias(
                    &format!("{p}.attn_v.weight"),
                    &format!("{p}.attn_v.bias"),
                    kvd,
                    h,
                )?,
            )
        } else {
            (
                src.linear(&format!("{p}.attn_q.weight"), qd, h)?,
                src.linear(&format!("{p}.attn_k.weight"), kvd, h)?,
                src.linear(&format!("{p}.attn_v.weight"), kvd, h)?,
            )
        };
        let (q_norm, k_norm) = if spec.qk_norm {
            (
                Some(src.norm(&format!("{p}.attn_q_norm.weight"), cfg.head_dim, cfg.eps)?),
                Some(src.norm(&format!("{p}.attn_k_norm.weight"), cfg.head_dim, cfg.eps)?),
            )
        } else {
            (None, None)
        };
        let (post_attn_norm, post_ffn_norm) = if spec.post_norms {
            (
                Some(src.norm(&format!("{p}.post_attention_norm.weight"), h, cfg.eps)?),
                Some(src.norm(&format!("{p}.post_ffw_norm.weight"), h, cfg.eps)?),
            )
        } else {
            (None, None)
        };
        Ok(Self {
            attn_norm: src.norm(&format!("{p}.attn_norm.weight"), h, cfg.eps)?,
            q,
            k,
            v,
            o: src.linear(&format!("{p}.attn_output.weight"), h, qd)?,
            q_norm,
            k_norm,
            post_attn_norm,
            ffn_norm: src.norm(&format!("{p}.ffn_norm.weight"), h, cfg.eps)?,
            gate: src.linear(&format!("{p}.ffn_gate.weight"), f, h)?,
            up: src.linear(&format!("{p}.ffn_up.weight"), f, h)?,
            down: src.linear(&format!("{p}.ffn_down.weight"), h, f)?,
            post_ffn_norm,
            rope,
            window,
            cache: KvCache::default(),
        })
    }

    /// Every linear layer of the block, for inspection (benchmarks, tests).
    pub fn linears(&self) -> [&QLinear; 7] {
        [
            &self.q, &self.k, &self.v, &self.o, &self.gate, &self.up, &self.down,
        ]
    }

    fn linears_mut(&mut self) -> [&mut QLinear; 7] {
        [
            &mut self.q,
            &mut self.k,
            &mut self.v,
            &mut self.o,
            &mut self.gate,
            &mut self.up,
            &mut self.down,
        ]
    }
}

/// A decoder-only transformer with a truncatable key/value cache.
#[derive(Debug, Clone)]
pub struct Transformer {
    pub(super) cfg: Config,
    pub(super) embed: Arc<QTensor>,
    pub(super) layers: Vec<Layer>,
    pub(super) norm: RmsNorm,
    pub(super) output: QLinear,
    pub(super) ropes: Vec<Rope>,
    pub(super) device: Device,
    pub(super) pos: usize,
    pub(super) scratch: super::decode::Scratch,
    /// Single tokens take the fused decode step ([`super::decode`]) on the CPU.
    fused_decode: bool,
}

impl Transformer {
    /// Assembles a model from loaded parts.
    pub fn new(
        cfg: Config,
        embed: Arc<QTensor>,
        layers: Vec<Layer>,
        norm: RmsNorm,
        output: QLinear,
        ropes: Vec<Rope>,
        device: &Device,
    ) -> Self {
        Self {
            cfg,
            embed,
            layers,
            norm,
            output,
            ropes,
            device: device.clone(),
            pos: 0,
            scratch: Default::default(),
            fused_decode: true,
        }
    }

    /// Loads the token embedding `token_embd.weight` and the output projection (`output.weight`,
    /// or the tied embedding when absent).
    pub fn load_embeddings(
        src: &mut GgufSource<'_>,
        vocab: usize,
        hidden: usize,
    ) -> Result<(Arc<QTensor>, QLinear), ModelError> {
        let embed = Arc::new(src.qtensor("token_embd.weight", &[vocab, hidden])?);
        let output = if src.has_tensor("output.weight") {
            src.linear("output.weight", vocab, hidden)?
        } else if src.would_requantize(&embed) {
            let tied = src.qtensor("token_embd.weight", &[vocab, hidden])?;
            let tied = src.maybe_requantize("token_embd.weight", tied)?;
            QLinear::new(Arc::new(tied), None)?
        } else {
            // Tied output: share the embedding's storage.
            QLinear::new(embed.clone(), None)?
        };
        Ok((embed, output))
    }

    /// Sets when the batched prefill kernel is used (see [`QLinear::set_prefill_min_rows`]).
    pub fn set_prefill_min_rows(&mut self, rows: Option<usize>) {
        self.all_linears_mut()
            .for_each(|l| l.set_prefill_min_rows(rows));
    }

    /// Every linear layer: the blocks' projections and the output.
    fn all_linears_mut(&mut self) -> impl Iterator<Item = &mut QLinear> {
        self.layers
            .iter_mut()
            .flat_map(|l| l.linears_mut())
            .chain(std::iter::once(&mut self.output))
    }

    /// Bytes of quantized weights one decoded token reads: every linear layer, the output
    /// projection included (a tied one counts once here, as its storage is read once).
    pub fn decode_weight_bytes(&mut self) -> usize {
        self.all_linears_mut()
            .map(|l| l.weight().storage_size_in_bytes())
            .sum()
    }

    /// Bytes of keys and values one decoded token reads from the host cache when `depth`
    /// positions precede it (a sliding-window layer reads at most its window), in the cache's
    /// precision.
    pub fn decode_kv_bytes(&self, depth: usize) -> usize {
        let row = 2 * self.cfg.kv_heads * self.cfg.head_dim;
        self.layers
            .iter()
            .map(|l| {
                let size = match l.cache.precision() {
                    KvPrecision::F16 => 2,
                    KvPrecision::F32 => 4,
                };
                l.window.map_or(depth, |w| depth.min(w)) * row * size
            })
            .sum()
    }

    /// Limits candle's repacked weight copies (see [`crate::llm::kernels::repack`]).
    pub fn set_repack(&mut self, mode: Repack) {
        self.all_linears_mut().for_each(|l| l.set_repack(mode));
    }

    /// Bytes candle's repacked copies of every weight take under `mode`.
    pub fn repack_bytes(&mut self, mode: Repack) -> usize {
        self.all_linears_mut().map(|l| l.repack_bytes(mode)).sum()
    }

    /// Whether single-token calls take the fused decode step (on by default; CPU only). Off,
    /// they run the same tensor ops as prompt chunks: the reference the fused step is tested
    /// against.
    pub fn set_fused_decode(&mut self, on: bool) {
        self.fused_decode = on;
    }

    /// Whether the fused decode step multiplies with pyward's gemv kernels (the default) or
    /// with candle's quantized matmul; with the latter it computes exactly what the tensor
    /// path computes, which is how its loops are tested.
    pub fn set_decode_gemv(&mut self, on: bool) {
        self.all_linears_mut().for_each(|l| l.set_row_gemv(on));
    }

    /// How the host key/value cache stores values (f16 by default); empties the cache.
    pub fn set_kv_precision(&mut self, precision: KvPrecision) {
        for layer in &mut self.layers {
            layer.cache.reset(precision);
        }
        self.pos = 0;
    }

    /// The model's hyper-parameters.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The transformer blocks.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The output projection.
    pub fn output(&self) -> &QLinear {
        &self.output
    }

    fn run(&mut self, tokens: &[u32]) -> candle_core::Result<Vec<f32>> {
        if let [token] = tokens {
            if self.fused_decode && self.device.is_cpu() {
                return self.step(*token);
            }
        }
        let seq = tokens.len();
        let pos = self.pos;
        for rope in &mut self.ropes {
            rope.ensure(pos + seq)?;
        }
        let ids = Tensor::new(tokens, &self.device)?;
        let mut x = self.embed.embedding(&ids)?; // (seq, hidden)
        if let Some(s) = self.cfg.embed_scale {
            x = (x * s)?;
        }
        let mut masks: Vec<(Option<usize>, Option<Tensor>)> = Vec::new();
        let (heads, kv_heads, hd) = (self.cfg.heads, self.cfg.kv_heads, self.cfg.head_dim);
        for layer in &mut self.layers {
            let mask = match masks.iter().find(|(w, _)| *w == layer.window) {
                Some((_, m)) => m.clone(),
                None => {
                    let m = causal_mask(seq, pos, layer.window, &self.device)?;
                    masks.push((layer.window, m.clone()));
                    m
                }
            };
            let h = layer.attn_norm.forward(&x)?;
            let q = layer
                .q
                .forward(&h)?
                .reshape((1, seq, heads, hd))?
                .transpose(1, 2)?
                .contiguous()?;
            let k = layer
                .k
                .forward(&h)?
                .reshape((1, seq, kv_heads, hd))?
                .transpose(1, 2)?
                .contiguous()?;
            let v = layer
                .v
                .forward(&h)?
                .reshape((1, seq, kv_heads, hd))?
                .transpose(1, 2)?
                .contiguous()?;
            let q = match &layer.q_norm {
                Some(n) => n.forward(&q)?,
                None => q,
            };
            let k = match &layer.k_norm {
                Some(n) => n.forward(&k)?,
                None => k,
            };
            let rope = &self.ropes[layer.rope];
            let q = rope.apply(&q, pos)?;
            let k = rope.apply(&k, pos)?;
            let (k, v) = layer.cache.append(&k, &v)?;
            let a = attention(&q, &k, &v, mask.as_ref(), self.cfg.attn_scale)?;
            let mut a = layer.o.forward(&a)?;
            if let Some(n) = &layer.post_attn_norm {
                a = n.forward(&a)?;
            }
            x = (x + a)?;
            let h = layer.ffn_norm.forward(&x)?;
            let g = self.cfg.activation.apply(&layer.gate.forward(&h)?)?;
            let u = layer.up.forward(&h)?;
            let mut m = layer.down.forward(&(g * u)?)?;
            if let Some(n) = &layer.post_ffn_norm {
                m = n.forward(&m)?;
            }
            x = (x + m)?;
        }
        let x = self.norm.forward(&last_row(&x)?)?;
        let logits = self.output.forward(&x)?;
        logits_vec(&logits)
    }

    fn reset_caches_to(&mut self, len: usize) {
        let mut ok = true;
        for layer in &mut self.layers {
            ok &= layer.cache.truncate(len).is_ok();
        }
        if ok {
            self.pos = self.pos.min(len);
        } else {
            for layer in &mut self.layers {
                let precision = layer.cache.precision();
                layer.cache.reset(precision);
            }
            self.pos = 0;
        }
    }
}

impl CausalLm for Transformer {
    fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ModelError> {
        if tokens.is_empty() {
            return Err(ModelError::Message(
                "forward needs at least one token".into(),
            ));
        }
        if let Some(&bad) = tokens.iter().find(|&&t| t as usize >= self.cfg.vocab_size) {
            return Err(ModelError::InvalidToken {
                token: bad,
                vocab_size: self.cfg.vocab_size,
            });
        }
        let needed = self.pos + tokens.len();
        if needed > self.cfg.context_length {
            return Err(ModelError::ContextOverflow {
                needed,
                limit: self.cfg.context_length,
            });
        }
        let start = self.pos;
        match self.run(tokens) {
            Ok(logits) => {
                self.pos = needed;
                Ok(logits)
            }
            Err(e) => {
                // Leave the cache as it was before the failed call.
                self.reset_caches_to(start);
                Err(ModelError::from_candle_on(
                    e,
                    &self.device,
                    "running the model",
                ))
            }
        }
    }

    fn cache_len(&self) -> usize {
        self.pos
    }

    fn truncate_cache(&mut self, len: usize) {
        if len < self.pos {
            self.reset_caches_to(len);
        }
    }

    fn context_length(&self) -> usize {
        self.cfg.context_length
    }

    fn vocab_size(&self) -> usize {
        self.cfg.vocab_size
    }
}

/// Rejects hyper-parameters the forward pass cannot run (zero sizes, heads that do not divide).
pub fn check_config(src: &GgufSource<'_>, cfg: &Config) -> Result<(), ModelError> {
    let bad = |key: &str| ModelError::MissingMetadata {
        path: src.path().to_path_buf(),
        key: format!("{}.{key}", cfg.arch),
    };
    if cfg.heads == 0 {
        return Err(bad("attention.head_count"));
    }
    if cfg.kv_heads == 0 || !cfg.heads.is_multiple_of(cfg.kv_heads) {
        return Err(bad("attention.head_count_kv"));
    }
    if cfg.head_dim == 0 || !cfg.head_dim.is_multiple_of(2) {
        return Err(bad("attention.key_length"));
    }
    if cfg.hidden == 0 {
        return Err(bad("embedding_length"));
    }
    if cfg.layers == 0 {
        return Err(bad("block_count"));
    }
    if cfg.context_length == 0 {
        return Err(bad("context_length"));
    }
    if cfg.ffn == 0 {
        return Err(bad("feed_forward_length"));
    }
    Ok(())
}
