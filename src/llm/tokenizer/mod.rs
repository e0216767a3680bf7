//! The model's tokenizer: a `tokenizer.json` next to the model file when there is one, otherwise a
//! `tokenizers::Tokenizer` rebuilt from the GGUF metadata (`tokenizer.ggml.*`).
//!
//! The rebuild produces the same JSON document a `tokenizer.json` would hold, so both paths end in
//! `tokenizers::Tokenizer::from_str`, and llguidance reads token bytes from that same document.
//! Only tokenizers whose exact behaviour is known are rebuilt (keyed on `tokenizer.ggml.model` and
//! `tokenizer.ggml.pre`); anything else is refused with [`LlmError::UnsupportedTokenizer`].

mod rebuild;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use candle_core::quantized::gguf_file::Content;
use serde_json::Value as Json;

use crate::llm::error::LlmError;
use rebuild::{tokenizer_json_from_gguf, Meta};

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
#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::gguf_file::{Value, VersionedMagic};
    use std::collections::HashMap;

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
