//! The model's tokenizer: a `tokenizer.json` next to the model file when there is one, otherwise a
//! `tokenizers::Tokenizer` rebuilt from the GGUF metadata (`tokenizer.ggml.*`).
//!
//! The rebuild produces the same JSON document a `tokenizer.json` would hold, so both paths end in
//! `tokenizers::Tokenizer::from_str`, and llguidance reads token bytes from that same document.
//! Only tokenizers whose exact behaviour is known are rebuilt (keyed on `tokenizer.ggml.model` and
//! `tokenizer.ggml.pre`); anything else is refused with [`LlmError::UnsupportedTokenizer`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use candle_core::quantized::gguf_file::{Content, Value};
use serde_json::{json, Value as Json};

use crate::llm::error::LlmError;

/// GGUF token types (llama.cpp's `llama_token_type`).
const TOKEN_TYPE_NORMAL: i32 = 1;
const TOKEN_TYPE_USER_DEFINED: i32 = 4;
const TOKEN_TYPE_BYTE: i32 = 6;

/// Qwen2's pre-tokenizer split (one digit per piece, letters with one leading non-letter).
const QWEN2_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// Llama 3's pre-tokenizer split (digits in groups of up to three).
const LLAMA3_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// Tokens that end an assistant turn in common chat formats, tried in order when the GGUF has
/// no `tokenizer.ggml.eot_token_id`.
const END_OF_TURN_TOKENS: [&str; 4] = ["<|im_end|>", "<end_of_turn>", "<|eot_id|>", "<|end|>"];

/// A tokenizer with the ids the runtime needs (BOS, EOS, end of turn).
pub struct TextTokenizer {
    inner: tokenizers::Tokenizer,
    json: Json,
    source: PathBuf,
    bos: Option<u32>,
    eos: Option<u32>,
    eot: Option<u32>,
    add_bos: bool,
}

impl std::fmt::Debug for TextTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextTokenizer")
            .field("source", &self.source)
            .field("vocab_size", &self.vocab_size())
            .field("bos", &self.bos)
            .field("eos", &self.eos)
            .field("eot", &self.eot)
            .finish()
    }
}

impl TextTokenizer {
    /// The tokenizer for the model at `model_path` whose metadata is `content`: the
    /// `tokenizer.json` in the same directory when present, else one rebuilt from the metadata.
    pub fn for_model(content: &Content, model_path: &Path) -> Result<Self, LlmError> {
        let sibling = model_path
            .parent()
            .map(|dir| dir.join("tokenizer.json"))
            .filter(|p| p.is_file());
        let meta = Meta {
            content,
            path: model_path,
        };
        let json = match &sibling {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| LlmError::Io {
                    path: p.clone(),
                    source,
                })?;
                serde_json::from_str(&text).map_err(|e| LlmError::Tokenizer {
                    path: p.clone(),
                    message: format!("invalid JSON: {e}"),
                })?
            }
            None => tokenizer_json_from_gguf(&meta)?,
        };
        let source = sibling.unwrap_or_else(|| model_path.to_path_buf());
        Self::from_json(json, source, &meta)
    }

    /// Rebuilds the tokenizer from GGUF metadata only (ignores any `tokenizer.json`).
    pub fn from_gguf(content: &Content, model_path: &Path) -> Result<Self, LlmError> {
        let meta = Meta {
            content,
            path: model_path,
        };
        let json = tokenizer_json_from_gguf(&meta)?;
        Self::from_json(json, model_path.to_path_buf(), &meta)
    }

    fn from_json(json: Json, source: PathBuf, meta: &Meta) -> Result<Self, LlmError> {
        let inner = tokenizers::Tokenizer::from_str(&json.to_string()).map_err(|e| {
            LlmError::Tokenizer {
                path: source.clone(),
                message: format!("cannot build: {e}"),
            }
        })?;
        let bos = meta.opt_u32("tokenizer.ggml.bos_token_id")?;
        let eos = meta.opt_u32("tokenizer.ggml.eos_token_id")?;
        let eot = match meta.opt_u32("tokenizer.ggml.eot_token_id")? {
            Some(id) => Some(id),
            None => END_OF_TURN_TOKENS.iter().find_map(|t| inner.token_to_id(t)),
        };
        // llama.cpp adds BOS for sentencepiece vocabularies unless the file says otherwise.
        let default_add_bos = meta.opt_str("tokenizer.ggml.model")?.as_deref() == Some("llama");
        let add_bos = meta
            .opt_bool("tokenizer.ggml.add_bos_token")?
            .unwrap_or(default_add_bos);
        Ok(TextTokenizer {
            inner,
            json,
            source,
            bos,
            eos,
            eot,
            add_bos,
        })
    }

    /// Encodes `text`. Special tokens written in the text (`<|im_start|>`) become their ids; no
    /// BOS is added (chat templates write it themselves, see [`Self::encode_prompt`]).
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, LlmError> {
        let enc = self
            .inner
            .encode(text, false)
            .map_err(|e| self.err(format!("encode: {e}")))?;
        Ok(enc.get_ids().to_vec())
    }

    /// Encodes a rendered prompt, adding BOS in front when the model wants one and the text
    /// does not already start with it.
    pub fn encode_prompt(&self, text: &str) -> Result<Vec<u32>, LlmError> {
        let mut ids = self.encode(text)?;
        if let (true, Some(bos)) = (self.add_bos, self.bos) {
            if ids.first() != Some(&bos) {
                ids.insert(0, bos);
            }
        }
        Ok(ids)
    }

    /// Decodes ids to text, keeping special tokens out.
    pub fn decode(&self, ids: &[u32]) -> Result<String, LlmError> {
        self.inner
            .decode(ids, true)
            .map_err(|e| self.err(format!("decode: {e}")))
    }

    /// The text of one token id as the vocabulary spells it.
    pub fn id_to_token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    /// The id of a token spelled exactly `token`.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// Number of token ids, added tokens included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// Beginning-of-sequence id from the metadata.
    pub fn bos_id(&self) -> Option<u32> {
        self.bos
    }

    /// End-of-sequence id from the metadata.
    pub fn eos_id(&self) -> Option<u32> {
        self.eos
    }

    /// End-of-turn id (`tokenizer.ggml.eot_token_id`, else `<|im_end|>`, `<end_of_turn>`, ...).
    pub fn eot_id(&self) -> Option<u32> {
        self.eot
    }

    /// Whether a BOS is put in front of prompts.
    pub fn adds_bos(&self) -> bool {
        self.add_bos
    }

    /// Ids that end generation: end of turn and end of sequence, deduplicated.
    pub fn stop_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self.eot.into_iter().chain(self.eos).collect();
        ids.dedup();
        ids
    }

    /// The tokenizer as `tokenizer.json` (used by llguidance to read each token's bytes).
    pub fn json(&self) -> &Json {
        &self.json
    }

    /// The underlying `tokenizers::Tokenizer`.
    pub fn inner(&self) -> &tokenizers::Tokenizer {
        &self.inner
    }

    /// The file the tokenizer came from (the GGUF or a `tokenizer.json`).
    pub fn source(&self) -> &Path {
        &self.source
    }

    fn err(&self, message: String) -> LlmError {
        LlmError::Tokenizer {
            path: self.source.clone(),
            message,
        }
    }
}

/// Typed access to GGUF metadata, with errors naming the file.
struct Meta<'a> {
    content: &'a Content,
    path: &'a Path,
}

impl Meta<'_> {
    fn err(&self, message: String) -> LlmError {
        LlmError::Metadata {
            path: self.path.to_path_buf(),
            message,
        }
    }

    fn get(&self, key: &str) -> Result<&Value, LlmError> {
        self.content
            .metadata
            .get(key)
            .ok_or_else(|| self.err(format!("missing key `{key}`")))
    }

    fn opt_u32(&self, key: &str) -> Result<Option<u32>, LlmError> {
        match self.content.metadata.get(key) {
            None => Ok(None),
            Some(v) => value_to_u64(v)
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| self.err(format!("`{key}` is not a token id"))),
        }
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>, LlmError> {
        match self.content.metadata.get(key) {
            None => Ok(None),
            Some(v) => v
                .to_bool()
                .map(Some)
                .map_err(|_| self.err(format!("`{key}` is not a boolean"))),
        }
    }

    fn opt_str(&self, key: &str) -> Result<Option<String>, LlmError> {
        match self.content.metadata.get(key) {
            None => Ok(None),
            Some(v) => v
                .to_string()
                .map(|s| Some(s.clone()))
                .map_err(|_| self.err(format!("`{key}` is not a string"))),
        }
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, LlmError> {
        let arr = self
            .get(key)?
            .to_vec()
            .map_err(|_| self.err(format!("`{key}` is not an array")))?;
        arr.iter()
            .map(|v| {
                v.to_string()
                    .cloned()
                    .map_err(|_| self.err(format!("`{key}` holds a non-string")))
            })
            .collect()
    }

    fn opt_i32s(&self, key: &str) -> Result<Option<Vec<i32>>, LlmError> {
        let Some(v) = self.content.metadata.get(key) else {
            return Ok(None);
        };
        let arr = v
            .to_vec()
            .map_err(|_| self.err(format!("`{key}` is not an array")))?;
        arr.iter()
            .map(|v| {
                value_to_u64(v)
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or_else(|| self.err(format!("`{key}` holds a non-integer")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    fn opt_f32s(&self, key: &str) -> Result<Option<Vec<f32>>, LlmError> {
        let Some(v) = self.content.metadata.get(key) else {
            return Ok(None);
        };
        let arr = v
            .to_vec()
            .map_err(|_| self.err(format!("`{key}` is not an array")))?;
        arr.iter()
            .map(|v| {
                v.to_f32()
                    .map_err(|_| self.err(format!("`{key}` holds a non-float")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

fn value_to_u64(v: &Value) -> Option<u64> {
    match v {
        Value::U8(n) => Some(u64::from(*n)),
        Value::U16(n) => Some(u64::from(*n)),
        Value::U32(n) => Some(u64::from(*n)),
        Value::U64(n) => Some(*n),
        Value::I8(n) => u64::try_from(*n).ok(),
        Value::I16(n) => u64::try_from(*n).ok(),
        Value::I32(n) => u64::try_from(*n).ok(),
        Value::I64(n) => u64::try_from(*n).ok(),
        _ => None,
    }
}

/// Builds a `tokenizer.json` document from GGUF metadata, or refuses the tokenizer.
fn tokenizer_json_from_gguf(meta: &Meta) -> Result<Json, LlmError> {
    let model = meta
        .opt_str("tokenizer.ggml.model")?
        .ok_or_else(|| meta.err("missing key `tokenizer.ggml.model`".into()))?;
    let pre = meta
        .opt_str("tokenizer.ggml.pre")?
        .unwrap_or_else(|| "default".into());
    let tokens = meta.strings("tokenizer.ggml.tokens")?;
    let types = meta
        .opt_i32s("tokenizer.ggml.token_type")?
        .unwrap_or_else(|| vec![TOKEN_TYPE_NORMAL; tokens.len()]);
    if types.len() != tokens.len() {
        return Err(meta.err(format!(
            "{} tokens but {} token types",
            tokens.len(),
            types.len()
        )));
    }
    let unsupported = || LlmError::UnsupportedTokenizer {
        path: meta.path.to_path_buf(),
        model: model.clone(),
        pre: pre.clone(),
    };
    match model.as_str() {
        "gpt2" => {
            let pre_tokenizer = match pre.as_str() {
                // SmolLM's tokenizer.json: each digit alone, then GPT-2 byte-level splitting.
                "smollm" => json!({"type": "Sequence", "pretokenizers": [
                    {"type": "Digits", "individual_digits": true},
                    {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
                ]}),
                "qwen2" => split_then_bytelevel(QWEN2_SPLIT),
                "llama-bpe" | "llama3" | "llama-v3" => split_then_bytelevel(LLAMA3_SPLIT),
                _ => return Err(unsupported()),
            };
            let normalizer = if pre == "qwen2" {
                json!({"type": "NFC"})
            } else {
                Json::Null
            };
            let merges = meta.strings("tokenizer.ggml.merges")?;
            let merges: Vec<Json> = merges
                .iter()
                .map(|m| match m.split_once(' ') {
                    Some((a, b)) => Ok(json!([a, b])),
                    None => Err(meta.err(format!("merge `{m}` has no space"))),
                })
                .collect::<Result<_, _>>()?;
            let vocab: serde_json::Map<String, Json> = tokens
                .iter()
                .enumerate()
                .map(|(i, t)| (t.clone(), json!(i)))
                .collect();
            Ok(json!({
                "version": "1.0",
                "truncation": null,
                "padding": null,
                "added_tokens": added_tokens(&tokens, &types, &[TOKEN_TYPE_NORMAL, TOKEN_TYPE_BYTE]),
                "normalizer": normalizer,
                "pre_tokenizer": pre_tokenizer,
                "post_processor": null,
                "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
                "model": {
                    "type": "BPE", "dropout": null, "unk_token": null,
                    "continuing_subword_prefix": null, "end_of_word_suffix": null,
                    "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                    "vocab": vocab, "merges": merges,
                },
            }))
        }
        "llama" => {
            let scores = meta.opt_f32s("tokenizer.ggml.scores")?.ok_or_else(|| {
                meta.err("sentencepiece vocabulary without `tokenizer.ggml.scores`".into())
            })?;
            if scores.len() != tokens.len() {
                return Err(meta.err(format!(
                    "{} tokens but {} scores",
                    tokens.len(),
                    scores.len()
                )));
            }
            let add_space_prefix = meta
                .opt_bool("tokenizer.ggml.add_space_prefix")?
                .unwrap_or(true);
            let unk = meta
                .opt_u32("tokenizer.ggml.unknown_token_id")?
                .and_then(|id| tokens.get(id as usize).cloned());
            Ok(sentencepiece_json(
                &tokens,
                &types,
                &scores,
                add_space_prefix,
                unk,
            ))
        }
        _ => Err(unsupported()),
    }
}

fn split_then_bytelevel(regex: &str) -> Json {
    json!({"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": false},
        {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},
    ]})
}

/// Added tokens: every token whose type is not in `plain_types`. Control (and unknown/unused)
/// tokens are special (skipped when decoding); user-defined ones are matched whole in raw text
/// but decoded like normal text, as llama.cpp does.
fn added_tokens(tokens: &[String], types: &[i32], plain_types: &[i32]) -> Vec<Json> {
    tokens
        .iter()
        .zip(types)
        .enumerate()
        .filter(|(_, (_, ty))| !plain_types.contains(ty))
        .map(|(id, (content, &ty))| {
            json!({
                "id": id, "content": content, "single_word": false, "lstrip": false,
                "rstrip": false, "normalized": false, "special": ty != TOKEN_TYPE_USER_DEFINED,
            })
        })
        .collect()
}

/// A sentencepiece (llama.cpp "llama" / SPM) vocabulary as a byte-fallback BPE.
///
/// llama.cpp's SPM tokenizer repeatedly merges the adjacent pair whose concatenation is the
/// vocabulary token with the highest score. A BPE whose merge ranks follow the merged token's
/// score (descending, ties by id) does the same, so merges are derived from the vocabulary: every
/// split of a normal token into two vocabulary tokens, ranked by the whole token's score.
fn sentencepiece_json(
    tokens: &[String],
    types: &[i32],
    scores: &[f32],
    add_space_prefix: bool,
    unk: Option<String>,
) -> Json {
    const SPACE: char = '\u{2581}';
    let index: HashMap<&str, usize> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i))
        .collect();
    let mut mergeable: Vec<usize> = (0..tokens.len())
        .filter(|&i| types[i] == TOKEN_TYPE_NORMAL && tokens[i].chars().nth(1).is_some())
        .collect();
    mergeable.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let mut merges = Vec::new();
    for &id in &mergeable {
        let tok = tokens[id].as_str();
        for (cut, _) in tok.char_indices().skip(1) {
            let (left, right) = tok.split_at(cut);
            let usable = |s: &str| {
                index.get(s).is_some_and(|&i| {
                    types[i] == TOKEN_TYPE_NORMAL || types[i] == TOKEN_TYPE_USER_DEFINED
                })
            };
            if usable(left) && usable(right) {
                merges.push(json!([left, right]));
            }
        }
    }
    let vocab: serde_json::Map<String, Json> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), json!(i)))
        .collect();
    let space = SPACE.to_string();
    let normalizer = if add_space_prefix {
        json!({"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": space},
            {"type": "Replace", "pattern": {"String": " "}, "content": space},
        ]})
    } else {
        json!({"type": "Replace", "pattern": {"String": " "}, "content": space})
    };
    let mut decoders = vec![
        json!({"type": "Replace", "pattern": {"String": space}, "content": " "}),
        json!({"type": "ByteFallback"}),
        json!({"type": "Fuse"}),
    ];
    if add_space_prefix {
        decoders.push(json!({"type": "Strip", "content": " ", "start": 1, "stop": 0}));
    }
    json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added_tokens(tokens, types, &[TOKEN_TYPE_NORMAL, TOKEN_TYPE_BYTE]),
        "normalizer": normalizer,
        "pre_tokenizer": null,
        "post_processor": null,
        "decoder": {"type": "Sequence", "decoders": decoders},
        "model": {
            "type": "BPE", "dropout": null, "unk_token": unk,
            "continuing_subword_prefix": null, "end_of_word_suffix": null,
            "fuse_unk": true, "byte_fallback": true, "ignore_merges": false,
            "vocab": vocab, "merges": merges,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::gguf_file::{Value, VersionedMagic};

    fn content(entries: Vec<(&str, Value)>) -> Content {
        Content {
            magic: VersionedMagic::GgufV3,
            metadata: entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            tensor_infos: HashMap::new(),
            tensor_data_offset: 0,
        }
    }

    fn strs(items: &[&str]) -> Value {
        Value::Array(items.iter().map(|s| Value::String(s.to_string())).collect())
    }

    #[test]
    fn unknown_pre_tokenizer_is_refused_by_name() {
        let c = content(vec![
            ("tokenizer.ggml.model", Value::String("gpt2".into())),
            ("tokenizer.ggml.pre", Value::String("mystery-bpe".into())),
            ("tokenizer.ggml.tokens", strs(&["a", "b"])),
            ("tokenizer.ggml.merges", strs(&["a b"])),
        ]);
        let err = TextTokenizer::from_gguf(&c, Path::new("m.gguf")).unwrap_err();
        assert!(
            matches!(&err, LlmError::UnsupportedTokenizer { pre, .. } if pre == "mystery-bpe"),
            "{err}"
        );
        assert!(err.to_string().contains("mystery-bpe") && err.to_string().contains("m.gguf"));
    }

    #[test]
    fn unknown_tokenizer_model_is_refused() {
        let c = content(vec![
            ("tokenizer.ggml.model", Value::String("rwkv".into())),
            ("tokenizer.ggml.tokens", strs(&["a"])),
        ]);
        let err = TextTokenizer::from_gguf(&c, Path::new("m.gguf")).unwrap_err();
        assert!(matches!(err, LlmError::UnsupportedTokenizer { ref model, .. } if model == "rwkv"));
    }

    #[test]
    fn sentencepiece_merges_follow_scores() {
        // "ab" outranks "bc", so "abc" splits as "ab" + "c" even though "bc" also exists.
        let toks = ["<unk>", "a", "b", "c", "ab", "bc", "\u{2581}"];
        let types = Value::Array(vec![
            Value::I32(2),
            Value::I32(1),
            Value::I32(1),
            Value::I32(1),
            Value::I32(1),
            Value::I32(1),
            Value::I32(1),
        ]);
        let scores = Value::Array(
            [0.0f32, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0]
                .iter()
                .map(|s| Value::F32(*s))
                .collect(),
        );
        let c = content(vec![
            ("tokenizer.ggml.model", Value::String("llama".into())),
            ("tokenizer.ggml.tokens", strs(&toks)),
            ("tokenizer.ggml.token_type", types),
            ("tokenizer.ggml.scores", scores),
            ("tokenizer.ggml.add_space_prefix", Value::Bool(false)),
            ("tokenizer.ggml.unknown_token_id", Value::U32(0)),
        ]);
        let t = TextTokenizer::from_gguf(&c, Path::new("m.gguf")).unwrap();
        assert_eq!(t.encode("abc").unwrap(), vec![4, 3]);
        assert_eq!(t.encode("bc").unwrap(), vec![5]);
        assert_eq!(t.decode(&[4, 3]).unwrap(), "abc");
    }
}
