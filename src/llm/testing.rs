//! Tiny random-weight GGUF models for tests: every supported architecture with a few layers
//! and small dimensions, optionally with the tokenizer metadata (and chat template) of a real
//! model so that end-to-end generation can run on them.

use crate::llm::model::ModelError;
use candle_core::quantized::gguf_file::{self, Content, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use std::path::Path;
use std::rc::Rc;

/// Shape and format of a tiny model.
#[derive(Debug, Clone)]
pub struct TinySpec {
    /// `llama`, `qwen2`, `qwen3` or `gemma3` (any other value writes llama-shaped tensors under
    /// that architecture name, to test rejection).
    pub arch: String,
    /// Quantization of the projection weights and embeddings.
    pub dtype: GgmlDType,
    pub seed: u64,
    pub layers: usize,
    pub hidden: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub ffn: usize,
    pub context_length: usize,
    /// Vocabulary size when no tokenizer is copied in.
    pub vocab: usize,
    /// gemma3 sliding window.
    pub sliding_window: usize,
    /// Metadata keys to leave out (to test error reporting).
    pub omit_metadata: Vec<String>,
    /// Every layer reuses layer 0's weights. Full-size models for speed measurements (see
    /// `examples/random_gguf.rs`) are then quantized in seconds instead of minutes; the file and
    /// the work per token are those of distinct layers.
    pub share_layers: bool,
    /// llama.cpp's Q4_K_M mix on top of `dtype` (Q4_K): `attn_v` and `ffn_down` of the layers
    /// its `use_more_bits` picks, and `output`, are Q6_K.
    pub q4_k_m: bool,
}

impl TinySpec {
    /// Default tiny dimensions for `arch`: 2 layers (gemma3: 3, one of them global), hidden 64,
    /// 4 query heads over 2 key/value heads of 16, feed-forward 128, Q8_0 weights.
    pub fn new(arch: &str) -> Self {
        Self {
            arch: arch.to_string(),
            dtype: GgmlDType::Q8_0,
            seed: 7,
            layers: if arch == "gemma3" { 3 } else { 2 },
            hidden: 64,
            heads: 4,
            kv_heads: 2,
            head_dim: 16,
            ffn: 128,
            context_length: 256,
            vocab: 320,
            sliding_window: 8,
            omit_metadata: Vec::new(),
            share_layers: false,
            q4_k_m: false,
        }
    }
}

/// A small deterministic PRNG (SplitMix64) for weights.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[-scale, scale)`.
    fn uniform(&mut self, scale: f32) -> f32 {
        let u = (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
        (u * 2.0 - 1.0) * scale
    }
    fn vec(&mut self, n: usize, scale: f32, center: f32) -> Vec<f32> {
        (0..n).map(|_| center + self.uniform(scale)).collect()
    }
}

/// The `tokenizer.*` metadata of a GGUF header (vocabulary, merges, special ids, chat template).
pub fn tokenizer_metadata(content: &Content) -> Vec<(String, Value)> {
    let mut kv: Vec<(String, Value)> = content
        .metadata
        .iter()
        .filter(|(k, _)| k.starts_with("tokenizer."))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    kv.sort_by(|a, b| a.0.cmp(&b.0));
    kv
}

/// Reads the tokenizer metadata of the GGUF at `path`.
pub fn tokenizer_metadata_from(path: &Path) -> Result<Vec<(String, Value)>, ModelError> {
    let (_, content) = crate::llm::load::open_gguf(path)?;
    Ok(tokenizer_metadata(&content))
}

/// llama.cpp's `use_more_bits(i, n)`: the layers whose `attn_v` and `ffn_down` Q4_K_M stores
/// as Q6_K (the first and last eighth, and every third one between).
fn use_more_bits(i: usize, n: usize) -> bool {
    // `i - n / 8` cannot underflow: the first test failed.
    i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2
}

/// Pads the tokenizer metadata `tok` (copied from a real GGUF) to `vocab` tokens the way
/// llama.cpp's converter does (`[PADi]`, type unused) and sets `tokenizer.ggml.pre`, so that a
/// random model of another vocabulary size still has a tokenizer both pyward and llama.cpp load.
/// Fails if `tok` has more than `vocab` tokens.
pub fn resize_vocab(tok: &mut [(String, Value)], vocab: usize, pre: &str) -> Result<(), String> {
    const UNUSED: i32 = 5;
    for (k, v) in tok.iter_mut() {
        match (k.as_str(), v) {
            ("tokenizer.ggml.tokens", Value::Array(a)) => {
                if a.len() > vocab {
                    return Err(format!("the tokenizer has {} > {vocab} tokens", a.len()));
                }
                let n = a.len();
                a.extend((n..vocab).map(|i| Value::String(format!("[PAD{i}]"))));
            }
            ("tokenizer.ggml.token_type", Value::Array(a)) => {
                let n = a.len();
                a.extend((n..vocab).map(|_| Value::I32(UNUSED)));
            }
            ("tokenizer.ggml.scores", Value::Array(a)) => {
                let n = a.len();
                a.extend((n..vocab).map(|_| Value::F32(0.0)));
            }
            ("tokenizer.ggml.pre", v) => *v = Value::String(pre.to_string()),
            _ => {}
        }
    }
    Ok(())
}

fn vocab_of(tokenizer: &[(String, Value)]) -> Option<usize> {
    tokenizer
        .iter()
        .find(|(k, _)| k == "tokenizer.ggml.tokens")
        .and_then(|(_, v)| match v {
            Value::Array(a) => Some(a.len()),
            _ => None,
        })
}

/// Writes a random model described by `spec` to `path`. With `tokenizer` (see
/// [`tokenizer_metadata`]) the vocabulary size follows the tokenizer.
pub fn write_tiny_gguf(
    path: &Path,
    spec: &TinySpec,
    tokenizer: Option<&[(String, Value)]>,
) -> Result<(), ModelError> {
    let dev = Device::Cpu;
    let mut rng = Rng(spec.seed);
    let vocab = tokenizer.and_then(vocab_of).unwrap_or(spec.vocab);
    let a = spec.arch.as_str();
    let (h, hd, f) = (spec.hidden, spec.head_dim, spec.ffn);
    let qd = spec.heads * hd;
    let kvd = spec.kv_heads * hd;
    let gemma = a == "gemma3";

    let mut meta: Vec<(String, Value)> = vec![
        ("general.architecture".into(), Value::String(a.to_string())),
        (
            "general.name".into(),
            Value::String(format!("pyward-tiny-{a}")),
        ),
        (
            format!("{a}.context_length"),
            Value::U32(spec.context_length as u32),
        ),
        (format!("{a}.embedding_length"), Value::U32(h as u32)),
        (format!("{a}.block_count"), Value::U32(spec.layers as u32)),
        (format!("{a}.feed_forward_length"), Value::U32(f as u32)),
        (
            format!("{a}.attention.head_count"),
            Value::U32(spec.heads as u32),
        ),
        (
            format!("{a}.attention.head_count_kv"),
            Value::U32(spec.kv_heads as u32),
        ),
        (format!("{a}.attention.key_length"), Value::U32(hd as u32)),
        (format!("{a}.attention.value_length"), Value::U32(hd as u32)),
        (
            format!("{a}.attention.layer_norm_rms_epsilon"),
            Value::F32(1e-6),
        ),
        (format!("{a}.rope.dimension_count"), Value::U32(hd as u32)),
        (
            format!("{a}.rope.freq_base"),
            Value::F32(if gemma { 1_000_000.0 } else { 10_000.0 }),
        ),
    ];
    if gemma {
        meta.push((
            format!("{a}.attention.sliding_window"),
            Value::U32(spec.sliding_window as u32),
        ));
        meta.push((format!("{a}.attention.sliding_window_type"), Value::U32(2)));
        meta.push((format!("{a}.rope.local_freq_base"), Value::F32(10_000.0)));
    }
    if let Some(tok) = tokenizer {
        meta.extend(tok.iter().cloned());
    }

    meta.retain(|(k, _)| !spec.omit_metadata.contains(k));

    let quant = |data: Vec<f32>, dims: &[usize], dtype: GgmlDType| -> Result<QTensor, ModelError> {
        let t = Tensor::from_vec(data, dims, &dev)?;
        Ok(QTensor::quantize(&t, dtype)?)
    };
    let mut tensors: Vec<(String, Rc<QTensor>)> = Vec::new();
    let w = 0.5 / (h as f32).sqrt();
    let emb_scale = if gemma { 0.5 / (h as f32).sqrt() } else { 0.5 };
    let embd = quant(rng.vec(vocab * h, emb_scale, 0.0), &[vocab, h], spec.dtype)?;
    tensors.push(("token_embd.weight".into(), Rc::new(embd)));
    let norm = |rng: &mut Rng, n: usize| -> Result<QTensor, ModelError> {
        quant(rng.vec(n, 0.1, 1.0), &[n], GgmlDType::F32)
    };
    tensors.push(("output_norm.weight".into(), Rc::new(norm(&mut rng, h)?)));
    if !gemma {
        let dtype = if spec.q4_k_m {
            GgmlDType::Q6K
        } else {
            spec.dtype
        };
        let out = quant(rng.vec(vocab * h, w, 0.0), &[vocab, h], dtype)?;
        tensors.push(("output.weight".into(), Rc::new(out)));
    }
    // The first layer's tensors of each kind (Q4_K_M: with Q6_K `attn_v`/`ffn_down` or not),
    // named without the `blk.N.` prefix.
    let mut first: [Vec<(String, Rc<QTensor>)>; 2] = [Vec::new(), Vec::new()];
    for i in 0..spec.layers {
        let p = format!("blk.{i}");
        let more = spec.q4_k_m && use_more_bits(i, spec.layers);
        let layer0 = &first[more as usize];
        if spec.share_layers && !layer0.is_empty() {
            tensors.extend(
                layer0
                    .iter()
                    .map(|(name, t)| (format!("{p}.{name}"), Rc::clone(t))),
            );
            continue;
        }
        let wide = if more { GgmlDType::Q6K } else { spec.dtype };
        let mut layer: Vec<(String, Rc<QTensor>)> = Vec::new();
        let mut lin =
            |name: &str, out: usize, inp: usize, rng: &mut Rng| -> Result<(), ModelError> {
                let scale = 0.5 / (inp as f32).sqrt();
                let dtype = match name {
                    "attn_v" | "ffn_down" => wide,
                    _ => spec.dtype,
                };
                let t = quant(rng.vec(out * inp, scale, 0.0), &[out, inp], dtype)?;
                layer.push((format!("{name}.weight"), Rc::new(t)));
                Ok(())
            };
        lin("attn_q", qd, h, &mut rng)?;
        lin("attn_k", kvd, h, &mut rng)?;
        lin("attn_v", kvd, h, &mut rng)?;
        lin("attn_output", h, qd, &mut rng)?;
        lin("ffn_gate", f, h, &mut rng)?;
        lin("ffn_up", f, h, &mut rng)?;
        lin("ffn_down", h, f, &mut rng)?;
        let mut small = |name: &str, t: QTensor| layer.push((name.to_string(), Rc::new(t)));
        small("attn_norm.weight", norm(&mut rng, h)?);
        small("ffn_norm.weight", norm(&mut rng, h)?);
        if a == "qwen2" {
            for (name, n) in [("attn_q", qd), ("attn_k", kvd), ("attn_v", kvd)] {
                small(
                    &format!("{name}.bias"),
                    quant(rng.vec(n, 0.1, 0.0), &[n], GgmlDType::F32)?,
                );
            }
        }
        if a == "qwen3" || gemma {
            small("attn_q_norm.weight", norm(&mut rng, hd)?);
            small("attn_k_norm.weight", norm(&mut rng, hd)?);
        }
        if gemma {
            small("post_attention_norm.weight", norm(&mut rng, h)?);
            small("post_ffw_norm.weight", norm(&mut rng, h)?);
        }
        tensors.extend(
            layer
                .iter()
                .map(|(name, t)| (format!("{p}.{name}"), Rc::clone(t))),
        );
        first[more as usize] = layer;
    }

    let io = |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    let meta_refs: Vec<(&str, &Value)> = meta.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let tensor_refs: Vec<(&str, &QTensor)> = tensors
        .iter()
        .map(|(k, t)| (k.as_str(), t.as_ref()))
        .collect();
    gguf_file::write(&mut file, &meta_refs, &tensor_refs)?;
    use std::io::Write;
    file.flush().map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q4_k_m_widens_llama_cpps_layers() {
        let wide: Vec<usize> = (0..28).filter(|&i| use_more_bits(i, 28)).collect();
        assert_eq!(
            wide,
            [0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 24, 25, 26, 27],
            "llama.cpp's use_more_bits for 28 layers"
        );
    }

    #[test]
    fn vocabularies_are_padded_like_llama_cpps_converter() {
        let mut tok = vec![
            (
                "tokenizer.ggml.tokens".to_string(),
                Value::Array(vec![Value::String("a".into()), Value::String("b".into())]),
            ),
            (
                "tokenizer.ggml.token_type".to_string(),
                Value::Array(vec![Value::I32(1), Value::I32(1)]),
            ),
            (
                "tokenizer.ggml.pre".to_string(),
                Value::String("smollm".into()),
            ),
        ];
        resize_vocab(&mut tok, 4, "qwen2").unwrap();
        assert_eq!(vocab_of(&tok), Some(4));
        let Value::Array(tokens) = &tok[0].1 else {
            panic!()
        };
        assert!(matches!(&tokens[3], Value::String(s) if s == "[PAD3]"));
        let Value::Array(types) = &tok[1].1 else {
            panic!()
        };
        assert!(matches!(types[2], Value::I32(5)));
        assert!(matches!(&tok[2].1, Value::String(s) if s == "qwen2"));
        assert!(resize_vocab(&mut tok, 3, "qwen2").is_err());
    }
}
