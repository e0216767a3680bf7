//! `llama` (SmolLM2, Llama 2/3, Mistral-style dense models): pre-norm blocks, SiLU-gated
//! feed-forward, interleaved rotary embeddings (GGUF stores the q/k weights permuted for it).

use super::common::{Activation, Rope, RopeStyle};
use super::hparams::{HeadDim, Hparams};
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
    let h = Hparams {
        arch: a,
        head_dim: HeadDim::KeyLengthOrDerived,
        activation: Activation::Silu,
        scale_embeddings: false,
    };
    let cfg = h.read(src)?;
    let base = h.rope_base(src, 10_000.0)?;
    let rope = Rope::new(cfg.head_dim, base, RopeStyle::Interleaved, src.device())?;
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
