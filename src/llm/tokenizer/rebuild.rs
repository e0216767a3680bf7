//! A `tokenizer.json` document rebuilt from GGUF metadata (`tokenizer.ggml.*`), for the
//! tokenizers whose exact behaviour is known (keyed on `tokenizer.ggml.model` and
//! `tokenizer.ggml.pre`).

use std::collections::HashMap;
use std::path::Path;

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

/// The GGUF metadata of the model at `path`, read with errors that name the file.
pub(super) struct Meta<'a> {
    pub(super) content: &'a Content,
    pub(super) path: &'a Path,
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

    pub(super) fn opt_u32(&self, key: &str) -> Result<Option<u32>, LlmError> {
        match self.content.metadata.get(key) {
            None => Ok(None),
            Some(v) => value_to_u64(v)
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| self.err(format!("`{key}` is not a token id"))),
        }
    }

    pub(super) fn opt_bool(&self, key: &str) -> Result<Option<bool>, LlmError> {
        match self.content.metadata.get(key) {
            None => Ok(None),
            Some(v) => v
                .to_bool()
                .map(Some)
                .map_err(|_| self.err(format!("`{key}` is not a boolean"))),
        }
    }

    pub(super) fn opt_str(&self, key: &str) -> Result<Option<String>, LlmError> {
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
pub(super) fn tokenizer_json_from_gguf(meta: &Meta) -> Result<Json, LlmError> {
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
