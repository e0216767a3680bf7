//! The inference runtime API: a loaded model with its tokenizer, chat template and grammar
//! factory, answering chat prompts with JSON that matches a schema.
//!
//! A prefix cache keeps the token ids that are in the model's KV cache. A new prompt keeps the
//! longest common prefix and forwards only the rest, so a system prompt shared by many calls is
//! evaluated once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::quantized::gguf_file::Content;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::Digest;

use crate::llm::chat::{ChatMessage, ChatTemplate, PromptBreak};
use crate::llm::constrain::GrammarFactory;
use crate::llm::error::{LlmError, Usage};
use crate::llm::generate::{generate_constrained, GenStop, RepeatGuard};
use crate::llm::model::CausalLm;
use crate::llm::prefix::{break_offsets, grid, splits_cleanly, PrefixCache};
use crate::llm::sample::Sampler;
use crate::llm::tokenizer::TextTokenizer;

pub use crate::llm::prefix::PREFILL_CHUNK;

/// How to load a model.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// Where the model runs.
    pub device: candle_core::Device,
    /// CPU threads for the model's matrix kernels (`None`: the model's default).
    pub threads: Option<usize>,
    /// A Jinja chat template file used instead of the model's own.
    pub chat_template: Option<PathBuf>,
    /// Compute the SHA-256 of the model file for [`ModelInfo::sha256`] (reads the whole file).
    pub hash_model: bool,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions {
            device: candle_core::Device::Cpu,
            threads: None,
            chat_template: None,
            hash_model: false,
        }
    }
}

/// Generation settings of one call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GenOptions {
    /// Hard cap on generated tokens; the JSON must be complete by then.
    pub max_tokens: usize,
    /// 0 (the default) is greedy decoding: deterministic, ties to the lowest token id.
    pub temperature: f32,
    /// Nucleus cut for sampling with a temperature (1.0: none).
    pub top_p: f32,
    /// Seed of the sampler (used only with a temperature).
    pub seed: u64,
    /// Stop as soon as the last this-many generated tokens repeat an earlier run (0: never;
    /// see [`RepeatGuard`]).
    pub repeat_ngram: usize,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            max_tokens: 512,
            temperature: 0.0,
            top_p: 1.0,
            seed: 0,
            repeat_ngram: 0,
        }
    }
}

/// The result of one call.
#[derive(Debug, Clone)]
pub struct Completion<T> {
    /// The output, deserialized.
    pub value: T,
    /// The output as generated (compact JSON).
    pub text: String,
    /// Per sampled token (the final end-of-turn token included when the model produced one;
    /// tokens forced by the grammar, such as object keys, excluded), the log-probability the
    /// model gave it over the whole vocabulary, before the grammar mask. Their mean, or minimum,
    /// is a confidence signal.
    pub token_logprobs: Vec<f32>,
    /// Tokens in the prompt.
    pub prompt_tokens: usize,
    /// Tokens generated (end-of-turn excluded, forced tokens included).
    pub completion_tokens: usize,
    /// Of those, tokens the grammar forced (not sampled).
    pub forced_tokens: usize,
    /// Prompt tokens reused from the prefix cache (not forwarded again).
    pub cached_prompt_tokens: usize,
    /// Time to evaluate the uncached part of the prompt (≈ time to the first token).
    pub prefill_ms: f64,
    /// Time of the decoding loop.
    pub decode_ms: f64,
    /// Full grammar masks computed (the sampled token was rejected).
    pub masks_computed: usize,
    /// Total time in those masks.
    pub mask_ms: f64,
    /// Where the sampled tokens are in `text` (byte ranges), with their log-probabilities: the
    /// same tokens as `token_logprobs` minus a final stop token.
    pub sampled_spans: Vec<TokenSpan>,
}

impl<T> Completion<T> {
    /// What the call cost.
    pub fn usage(&self) -> Usage {
        Usage {
            prompt_tokens: self.prompt_tokens,
            cached_prompt_tokens: self.cached_prompt_tokens,
            completion_tokens: self.completion_tokens,
            prefill_ms: self.prefill_ms,
            decode_ms: self.decode_ms,
        }
    }
}

/// A sampled token's place in the generated text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenSpan {
    /// Byte range in the generated text.
    pub start: usize,
    pub end: usize,
    /// Natural-log probability the model gave it (before the grammar mask).
    pub logprob: f32,
}

/// What the runtime knows about its model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelInfo {
    /// `general.architecture`.
    pub arch: String,
    /// `general.name`, when present.
    pub name: Option<String>,
    /// The model file's name.
    pub file_name: String,
    /// SHA-256 of the file, when [`RuntimeOptions::hash_model`] was set.
    pub sha256: Option<String>,
    /// Tensor types and counts, most frequent first, e.g. `Q4_1×211, F32×61`.
    pub quant: String,
    /// Context length of the model.
    pub context_length: usize,
    /// Vocabulary size of the tokenizer.
    pub vocab_size: usize,
    /// Where the tokenizer came from (the GGUF or a `tokenizer.json`).
    pub tokenizer: String,
    /// Where the chat template came from.
    pub chat_template: String,
}

/// A loaded model ready to answer chat prompts with JSON.
pub struct Runtime {
    model: Box<dyn CausalLm>,
    tokenizer: TextTokenizer,
    template: ChatTemplate,
    grammar: GrammarFactory,
    /// What is in the model's KV cache.
    prefix: PrefixCache,
    /// Whether a prompt tokenized piece by piece between its breaks spells the same text as the
    /// whole (false for tokenizers that prepend a space to every input): breaks are used only then.
    splits_cleanly: bool,
    info: ModelInfo,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("info", &self.info)
            .field("cached", &self.prefix.len())
            .finish()
    }
}

impl Runtime {
    /// Loads the GGUF model at `path` with its tokenizer and chat template.
    pub fn load(path: &Path, opts: &RuntimeOptions) -> Result<Runtime, LlmError> {
        let load_opts = crate::llm::load::LoadOptions {
            threads: opts.threads,
            ..Default::default()
        };
        let loaded = crate::llm::load::load_gguf(path, &opts.device, &load_opts)?;
        let mut rt = Self::from_parts(loaded.model, &loaded.content, path, opts)?;
        if !loaded.requantized.is_empty() {
            rt.info.quant.push_str(&format!(
                " ({} tensors requantized to Q8_0 at load)",
                loaded.requantized.len()
            ));
        }
        Ok(rt)
    }

    /// Builds a runtime around an already loaded model. `content` is the GGUF metadata of the
    /// file at `path` (tokenizer and chat template come from it).
    pub fn from_parts(
        model: Box<dyn CausalLm>,
        content: &Content,
        path: &Path,
        opts: &RuntimeOptions,
    ) -> Result<Runtime, LlmError> {
        let tokenizer = TextTokenizer::for_model(content, path)?;
        let token_text = |id: Option<u32>| {
            id.and_then(|i| tokenizer.id_to_token(i))
                .unwrap_or_default()
        };
        let template = ChatTemplate::for_model(
            content,
            path,
            opts.chat_template.as_deref(),
            &token_text(tokenizer.bos_id()),
            &token_text(tokenizer.eos_id()),
        )?;
        let grammar = GrammarFactory::new(&tokenizer)?;
        let meta_str = |k: &str| {
            content
                .metadata
                .get(k)
                .and_then(|v| v.to_string().ok())
                .cloned()
        };
        let sha256 = if opts.hash_model {
            Some(sha256_file(path)?)
        } else {
            None
        };
        let info = ModelInfo {
            arch: meta_str("general.architecture").unwrap_or_default(),
            name: meta_str("general.name"),
            file_name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            sha256,
            quant: quant_summary(content),
            context_length: model.context_length(),
            vocab_size: tokenizer.vocab_size(),
            tokenizer: tokenizer.source().display().to_string(),
            chat_template: template.origin().to_string(),
        };
        let splits_cleanly = splits_cleanly(&tokenizer);
        Ok(Runtime {
            model,
            tokenizer,
            template,
            grammar,
            prefix: PrefixCache::default(),
            splits_cleanly,
            info,
        })
    }

    /// Answers `messages` with JSON matching `T`'s schema (from schemars), deserialized into `T`.
    pub fn complete_json<T: JsonSchema + DeserializeOwned>(
        &mut self,
        messages: &[ChatMessage],
        gen: &GenOptions,
    ) -> Result<Completion<T>, LlmError> {
        let schema = serde_json::to_value(schemars::schema_for!(T))
            .map_err(|e| LlmError::Grammar(format!("schema of the result type: {e}")))?;
        let c = self.complete_json_value(messages, &schema, gen)?;
        let value = serde_json::from_value::<T>(c.value).map_err(|e| LlmError::InvalidOutput {
            message: e.to_string(),
            text: c.text.clone(),
        })?;
        Ok(Completion {
            value,
            text: c.text,
            token_logprobs: c.token_logprobs,
            prompt_tokens: c.prompt_tokens,
            completion_tokens: c.completion_tokens,
            forced_tokens: c.forced_tokens,
            cached_prompt_tokens: c.cached_prompt_tokens,
            prefill_ms: c.prefill_ms,
            decode_ms: c.decode_ms,
            masks_computed: c.masks_computed,
            mask_ms: c.mask_ms,
            sampled_spans: c.sampled_spans,
        })
    }

    /// Answers `messages` with JSON valid against `schema` (a JSON Schema). Every message but the
    /// last ends a reusable prefix (a shared system prompt, earlier turns): see
    /// [`Self::complete_prompt`] to place the breaks yourself.
    pub fn complete_json_value(
        &mut self,
        messages: &[ChatMessage],
        schema: &serde_json::Value,
        gen: &GenOptions,
    ) -> Result<Completion<serde_json::Value>, LlmError> {
        let breaks: Vec<PromptBreak> = messages
            .iter()
            .enumerate()
            .take(messages.len().saturating_sub(1))
            .map(|(message, m)| PromptBreak {
                message,
                byte: m.content.len(),
            })
            .collect();
        self.complete_prompt(messages, &breaks, schema, gen)
    }

    /// [`Self::complete_json_value`] for a prompt with cache breaks: the text up to each break
    /// is tokenized and forwarded on its own, so a later prompt sharing it reuses the cache up
    /// to the break (see [`crate::llm::prefix`]). Breaks that do not fall inside a message's
    /// content are ignored.
    pub fn complete_prompt(
        &mut self,
        messages: &[ChatMessage],
        breaks: &[PromptBreak],
        schema: &serde_json::Value,
        gen: &GenOptions,
    ) -> Result<Completion<serde_json::Value>, LlmError> {
        if gen.max_tokens == 0 {
            return Err(LlmError::InvalidOption(
                "max_tokens must be at least 1".into(),
            ));
        }
        let (prompt, starts) = self.segmented_ids(messages, breaks)?;
        if prompt.is_empty() {
            return Err(LlmError::InvalidOption(
                "the rendered prompt is empty".into(),
            ));
        }
        let context = self.model.context_length();
        if prompt.len().saturating_add(gen.max_tokens) > context {
            return Err(LlmError::ContextOverflow {
                prompt_tokens: prompt.len(),
                context,
            });
        }
        let mut constraint = self.grammar.json_schema(schema)?;
        let mut sampler = Sampler::new(gen.temperature, gen.top_p, gen.seed);

        let batches = grid(&starts, prompt.len());
        let mut keep = self.prefix.reusable(&prompt, &batches);
        if self.model.cache_len() != self.prefix.len() {
            keep = 0;
        }
        self.model.truncate_cache(keep);
        self.prefix.truncate(keep);
        let t0 = Instant::now();
        let mut logits = Vec::new();
        for w in batches.windows(2).filter(|w| w[0] >= keep) {
            let batch = &prompt[w[0]..w[1]];
            match self.model.forward(batch) {
                Ok(l) => logits = l,
                Err(e) => {
                    self.reset_cache();
                    return Err(e.into());
                }
            }
            self.prefix.push_batch(batch);
        }
        let prefill_ms = t0.elapsed().as_secs_f64() * 1e3;

        let mut guard = (gen.repeat_ngram > 0).then(|| RepeatGuard::new(gen.repeat_ngram));
        let generated = match generate_constrained(
            self.model.as_mut(),
            logits,
            &mut constraint,
            &mut sampler,
            gen.max_tokens,
            guard.as_mut(),
        ) {
            Ok(g) => g,
            Err(e) => {
                self.reset_cache();
                return Err(e);
            }
        };
        let mut at = 0;
        for &n in &generated.steps {
            self.prefix.push_batch(&generated.forwarded[at..at + n]);
            at += n;
        }
        let text = self.tokenizer.decode(&generated.tokens)?;
        let usage = Usage {
            prompt_tokens: prompt.len(),
            cached_prompt_tokens: keep,
            completion_tokens: generated.tokens.len(),
            prefill_ms,
            decode_ms: generated.decode_ms,
        };
        match generated.stop {
            GenStop::Complete => {}
            GenStop::Cap => {
                return Err(LlmError::MaxTokens {
                    max_tokens: gen.max_tokens,
                    text,
                    usage,
                })
            }
            GenStop::Repeated => {
                return Err(LlmError::Repetition {
                    ngram: gen.repeat_ngram,
                    text,
                    usage,
                })
            }
        }
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| LlmError::InvalidOutput {
                message: format!("not JSON: {e}"),
                text: text.clone(),
            })?;
        let sampled_spans = self.spans(&generated.tokens, &generated.sampled, &generated.logprobs);
        Ok(Completion {
            value,
            text,
            token_logprobs: generated.logprobs,
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            forced_tokens: generated.forced,
            cached_prompt_tokens: keep,
            prefill_ms,
            decode_ms: generated.decode_ms,
            masks_computed: generated.mask.masks,
            mask_ms: generated.mask.mask_ms,
            sampled_spans,
        })
    }

    /// The prompt's token ids and the start of each segment: the rendered template cut at the
    /// breaks, each piece tokenized on its own (BOS only on the first).
    fn segmented_ids(
        &self,
        messages: &[ChatMessage],
        breaks: &[PromptBreak],
    ) -> Result<(Vec<u32>, Vec<usize>), LlmError> {
        let text = self.render_prompt(messages)?;
        let cuts = if self.splits_cleanly {
            break_offsets(&text, messages, breaks)
        } else {
            Vec::new()
        };
        let mut ids = Vec::new();
        let mut starts = vec![0];
        let mut from = 0;
        for &cut in cuts.iter().chain([&text.len()]) {
            let piece = &text[from..cut];
            if from == 0 {
                ids = self.tokenizer.encode_prompt(piece)?;
            } else {
                starts.push(ids.len());
                ids.extend(self.tokenizer.encode(piece)?);
            }
            from = cut;
        }
        Ok((ids, starts))
    }

    /// The byte span of every sampled token in the decoded text, from the grammar's token bytes.
    fn spans(&self, tokens: &[u32], sampled: &[usize], logprobs: &[f32]) -> Vec<TokenSpan> {
        let mut offsets = Vec::with_capacity(tokens.len() + 1);
        let mut at = 0;
        for &t in tokens {
            offsets.push(at);
            at += self.grammar.token_len(t);
        }
        offsets.push(at);
        sampled
            .iter()
            .zip(logprobs)
            .map(|(&i, &logprob)| TokenSpan {
                start: offsets[i],
                end: offsets[i + 1],
                logprob,
            })
            .collect()
    }

    /// The prompt text for `messages` (the chat template with the generation prompt).
    pub fn render_prompt(&self, messages: &[ChatMessage]) -> Result<String, LlmError> {
        self.template.render(messages, true)
    }

    /// The prompt token ids for `messages`.
    pub fn prompt_ids(&self, messages: &[ChatMessage]) -> Result<Vec<u32>, LlmError> {
        let text = self.render_prompt(messages)?;
        self.tokenizer.encode_prompt(&text)
    }

    /// Number of tokens in `text` (no BOS, special tokens parsed).
    pub fn count_tokens(&self, text: &str) -> Result<usize, LlmError> {
        Ok(self.tokenizer.encode(text)?.len())
    }

    /// The model's context length in tokens.
    pub fn context_length(&self) -> usize {
        self.model.context_length()
    }

    /// What the runtime knows about its model.
    pub fn model_info(&self) -> ModelInfo {
        self.info.clone()
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    /// Number of token ids in the prefix cache.
    pub fn cached_tokens(&self) -> usize {
        self.prefix.len()
    }

    /// Empties the prefix cache (the next call evaluates its whole prompt).
    pub fn reset_cache(&mut self) {
        self.model.truncate_cache(0);
        self.prefix.clear();
    }
}

fn quant_summary(content: &Content) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for info in content.tensor_infos.values() {
        *counts.entry(format!("{:?}", info.ggml_dtype)).or_default() += 1;
    }
    let mut counts: Vec<(String, usize)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts
        .iter()
        .map(|(t, n)| format!("{t}×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn sha256_file(path: &Path) -> Result<String, LlmError> {
    use std::io::Read;
    let io = |source| LlmError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}
