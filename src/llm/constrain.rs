//! Grammar-constrained decoding with llguidance: a JSON Schema becomes a grammar, and each
//! step says which tokens keep the output inside it.
//!
//! The token environment comes from the tokenizer's JSON (`token_bytes_from_tokenizer_json`) and
//! a `TokTrie`, with a small [`TokenizerEnv`] over `tokenizers::Tokenizer`. The [`GrammarFactory`]
//! (the trie and llguidance's `ParserFactory`) is built once per model; each call gets a fresh
//! [`JsonConstraint`].
//!
//! The sampling loop (see `generate.rs`) samples first and asks [`JsonConstraint::allows`]; only
//! when the sampled token is rejected does it compute the full mask. End-of-sequence is allowed
//! only in an accepting state.

use std::sync::Arc;
use std::time::Instant;

use llguidance::api::TopLevelGrammar;
use llguidance::toktrie::{SimpleVob, TokEnv, TokRxInfo, TokTrie, TokenId, TokenizerEnv};
use llguidance::{Matcher, ParserFactory};
use serde_json::Value;

use crate::llm::error::LlmError;
use crate::llm::tokenizer::TextTokenizer;

/// The tokenizer as llguidance sees it.
struct TokenizerForGrammar {
    trie: TokTrie,
    tokenizer: tokenizers::Tokenizer,
}

impl TokenizerEnv for TokenizerForGrammar {
    fn tok_trie(&self) -> &TokTrie {
        &self.trie
    }

    fn tokenize_bytes(&self, s: &[u8]) -> Vec<TokenId> {
        // llguidance only calls this on text it will force, which is valid UTF-8 JSON; fall back
        // to the trie's greedy tokenization for anything else.
        match std::str::from_utf8(s) {
            Ok(text) => match self.tokenizer.encode(text, false) {
                Ok(enc) => enc.get_ids().to_vec(),
                Err(_) => self.trie.greedy_tokenize(s),
            },
            Err(_) => self.trie.greedy_tokenize(s),
        }
    }
}

/// Per-model grammar state: the token trie and the compiled lexer slices.
pub struct GrammarFactory {
    factory: Arc<ParserFactory>,
    stop_ids: Vec<u32>,
    vocab_size: usize,
    /// Bytes each token spells (0 for special tokens).
    token_lens: Vec<u32>,
}

impl std::fmt::Debug for GrammarFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrammarFactory")
            .field("stop_ids", &self.stop_ids)
            .field("vocab_size", &self.vocab_size)
            .finish()
    }
}

impl GrammarFactory {
    /// Builds the trie from the tokenizer. `stop_ids` end a generation (end of turn first).
    pub fn new(tokenizer: &TextTokenizer) -> Result<Self, LlmError> {
        let tok_err = |message: String| LlmError::Tokenizer {
            path: tokenizer.source().to_path_buf(),
            message,
        };
        let mut words = llguidance::token_bytes_from_tokenizer_json(tokenizer.json())
            .map_err(|e| tok_err(format!("token bytes for the grammar engine: {e}")))?;
        let vocab_size = words.len().max(tokenizer.vocab_size());
        words.resize(vocab_size, Vec::new());
        let stop_ids: Vec<u32> = tokenizer
            .stop_ids()
            .into_iter()
            .filter(|&id| (id as usize) < vocab_size)
            .collect();
        let Some(&first_stop) = stop_ids.first() else {
            return Err(tok_err("no end-of-turn or end-of-sequence token id".into()));
        };
        let token_lens = words.iter().map(|w| w.len() as u32).collect();
        let mut info = TokRxInfo::new(vocab_size as u32, first_stop);
        info.tok_bos = tokenizer.bos_id();
        info.tok_end_of_turn = tokenizer.eot_id();
        let trie = TokTrie::from(&info, &words).with_eos_tokens(&stop_ids);
        let env: TokEnv = Arc::new(TokenizerForGrammar {
            trie,
            tokenizer: tokenizer.inner().clone(),
        });
        let mut factory =
            ParserFactory::new_simple(&env).map_err(|e| LlmError::Grammar(e.to_string()))?;
        factory.quiet();
        Ok(GrammarFactory {
            factory: Arc::new(factory),
            stop_ids,
            vocab_size,
            token_lens,
        })
    }

    /// A constraint for one generation whose output must be JSON valid against `schema`.
    ///
    /// The JSON is written compactly (`", "` and `": "` separators, no other whitespace), so the
    /// model spends no tokens on layout.
    pub fn json_schema(&self, schema: &Value) -> Result<JsonConstraint, LlmError> {
        let mut schema = schema.clone();
        if let Some(obj) = schema.as_object_mut() {
            obj.entry("x-guidance").or_insert_with(|| {
                serde_json::json!({
                    "whitespace_flexible": false,
                    "item_separator": ", ",
                    "key_separator": ": ",
                    "lenient": true,
                })
            });
        }
        let grammar = TopLevelGrammar::from_json_schema(schema);
        let parser = self
            .factory
            .create_parser(grammar)
            .map_err(|e| LlmError::Grammar(e.to_string()))?;
        let matcher = Matcher::new(Ok(parser));
        if let Some(e) = matcher.get_error() {
            return Err(LlmError::Grammar(e));
        }
        Ok(JsonConstraint {
            matcher,
            stop_ids: self.stop_ids.clone(),
            vocab_size: self.vocab_size,
            stats: MaskStats::default(),
        })
    }

    /// How many bytes of text token `id` spells (0 for special and unknown tokens).
    pub fn token_len(&self, id: u32) -> usize {
        self.token_lens.get(id as usize).map_or(0, |&n| n as usize)
    }
}

/// How often the full mask was needed and what it cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MaskStats {
    /// Tokens checked with the fast single-token test.
    pub checks: usize,
    /// Full mask computations (the sampled token was rejected).
    pub masks: usize,
    /// Total time in full mask computations.
    pub mask_ms: f64,
    /// Total time in single-token checks and commits.
    pub check_ms: f64,
}

/// The grammar state of one generation.
pub struct JsonConstraint {
    matcher: Matcher,
    stop_ids: Vec<u32>,
    vocab_size: usize,
    stats: MaskStats,
}

impl JsonConstraint {
    /// Whether `token` may come next. A stop token is allowed only when the JSON is complete.
    pub fn allows(&mut self, token: u32) -> Result<bool, LlmError> {
        let t0 = Instant::now();
        self.stats.checks += 1;
        let r = if (token as usize) >= self.vocab_size {
            Ok(false)
        } else if self.stop_ids.contains(&token) {
            self.matcher.is_accepting().map_err(grammar_err)
        } else {
            self.matcher
                .validate_tokens(&[token])
                .map(|n| n == 1)
                .map_err(grammar_err)
        };
        self.stats.check_ms += t0.elapsed().as_secs_f64() * 1e3;
        r
    }

    /// The set of tokens that may come next (stop tokens included only when complete).
    pub fn mask(&mut self) -> Result<SimpleVob, LlmError> {
        let t0 = Instant::now();
        let m = self.matcher.compute_mask().map_err(grammar_err);
        self.stats.masks += 1;
        self.stats.mask_ms += t0.elapsed().as_secs_f64() * 1e3;
        m
    }

    /// Appends `token` to the output.
    pub fn commit(&mut self, token: u32) -> Result<(), LlmError> {
        let t0 = Instant::now();
        let r = self.matcher.consume_token(token).map_err(grammar_err);
        self.stats.check_ms += t0.elapsed().as_secs_f64() * 1e3;
        r
    }

    /// Tokens the grammar forces next (at most `limit`), already committed; empty when the next
    /// token is a real choice.
    pub fn forced_tokens(&mut self, limit: usize) -> Result<Vec<u32>, LlmError> {
        let t0 = Instant::now();
        let mut ff = self.matcher.compute_ff_tokens();
        if let Some(e) = self.matcher.get_error() {
            return Err(LlmError::Grammar(e));
        }
        ff.truncate(limit);
        if !ff.is_empty() {
            self.matcher.consume_tokens(&ff).map_err(grammar_err)?;
        }
        self.stats.check_ms += t0.elapsed().as_secs_f64() * 1e3;
        Ok(ff)
    }

    /// Whether the grammar is finished: nothing but a stop token may follow.
    pub fn is_finished(&self) -> bool {
        self.matcher.is_stopped()
    }

    /// Whether the output so far is a complete value (a stop token would be accepted).
    pub fn is_accepting(&mut self) -> Result<bool, LlmError> {
        self.matcher.is_accepting().map_err(grammar_err)
    }

    /// Whether `token` ends generation.
    pub fn is_stop(&self, token: u32) -> bool {
        self.stop_ids.contains(&token)
    }

    /// Mask statistics so far.
    pub fn stats(&self) -> MaskStats {
        self.stats
    }
}

fn grammar_err(e: anyhow::Error) -> LlmError {
    LlmError::Grammar(e.to_string())
}
