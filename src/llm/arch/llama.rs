//! `llama` (SmolLM2, Llama 2/3, Mistral-style dense models): pre-norm blocks, SiLU-gated
//! feed-forward, interleaved rotary embeddings (GGUF stores the q/k weights permuted for it).

use super::common::{Activation, Rope, RopeStyle};
use super::transformer::{Config, Layer, LayerSpec, Transformer};
use super::GgufSource;
use crate::llm::model::ModelError;

/// Loads a `llama` GGUF.
pub fn load(src: &mut GgufSource<'_>) -> Result<Transformer, ModelError> {
    let a = "llama";
    if src.u32_opt(&format!("{a}.expert_count"))?.unwrap_or(0) > 1 {
        return Err(ModelError::UnsupportedArchitecture {
            path: src.path().to_path_buf(),
            arch: "llama (mixture of experts)".into(),
            supported: super::SUPPORTED_ARCHITECTURES.join(", "),
        });
    }
    let heads = src.u32(&format!("{a}.attention.head_count"))?;
    let kv_heads = src
        .u32_opt(&format!("{a}.attention.head_count_kv"))?
        .unwrap_or(heads);
    let hidden = src.u32(&format!("{a}.embedding_length"))?;
    let head_dim = match src.u32_opt(&format!("{a}.attention.key_length"))? {
        Some(d) => d,
        None if heads > 0 => hidden / heads,
        None => 0,
    };
    let cfg = Config {
        arch: a.into(),
        hidden,
        heads,
        kv_heads,
        head_dim,
        ffn: src.u32(&format!("{a}.feed_forward_length"))?,
        layers: src.u32(&format!("{a}.block_count"))?,
        vocab_size: vocab_size(src, hidden)?,
        context_length: src.u32(&format!("{a}.context_length"))?,
        eps: src.f32(&format!("{a}.attention.layer_norm_rms_epsilon"))? as f64,
        activation: Activation::Silu,
        embed_scale: None,
        attn_scale: 1.0 / (head_dim as f64).sqrt(),
    };
    super::transformer::check_config(src, &cfg)?;
    let base = src.f32_or(&format!("{a}.rope.freq_base"), 10_000.0)?;
    let rope = Rope::new(head_dim, base, RopeStyle::Interleaved, src.device())?;
    build(src, cfg, LayerSpec::default(), vec![rope], |_| (0, None))
}

/// The vocabulary size: the number of rows of `token_embd.weight`.
pub(crate) fn vocab_size(src: &GgufSource<'_>, hidden: usize) -> Result<usize, ModelError> {
    match src.tensor_dims("token_embd.weight").as_deref() {
        Some([vocab, h]) if *h == hidden => Ok(*vocab),
        Some(dims) => Err(ModelError::MissingTensor {
            path: src.path().to_path_buf(),
            name: "token_embd.weight".into(),
            reason: format!("shape {dims:?}, expected [vocab, {hidden}]"),
        }),
        None => Err(ModelError::MissingTensor {
            path: src.path().to_path_buf(),
            name: "token_embd.weight".into(),
            reason: "not in the file".into(),
        }),
    }
}

/// Loads embeddings, `cfg.layers` blocks (block `i` uses rope/window `layer_kind(i)`) and the
/// final norm.
pub(crate) fn build(
    src: &mut GgufSource<'_>,
    cfg: Config,
    spec: LayerSpec,
    ropes: Vec<Rope>,
    layer_kind: impl Fn(usize) -> (usize, Option<usize>),
) -> Result<Transformer, ModelError> {
    let (embed, output) = Transformer::load_embeddings(src, cfg.vocab_size, cfg.hidden)?;
    // Not `with_capacity(cfg.layers)`: the count comes from the file's metadata, and a file that
    // claims billions of blocks must fail at the first missing tensor, not in the allocator.
    let mut layers = Vec::new();
    for i in 0..cfg.layers {
        let (rope, window) = layer_kind(i);
        layers.push(Layer::load(src, &cfg, i, spec, rope, window)?);
    }
    let norm = src.norm("output_norm.weight", cfg.hidden, cfg.eps)?;
    let device = src.device().clone();
    Ok(Transformer::new(
        cfg, embed, layers, norm, output, ropes, &device,
    ))
}
