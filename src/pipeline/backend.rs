//! The boundary between the pipeline and whatever runs the model.
//!
//! The pipeline only ever asks for one thing: "complete these chat messages with a JSON value
//! that matches this schema". The local candle runtime, a hosted OpenAI-compatible endpoint and
//! the [`ScriptedBackend`] used by tests all implement [`Backend`].
//!
//! `token_logprobs` are the natural-log probabilities of the *sampled* tokens, in order, as the
//! local runtime reports them: tokens the grammar forced (object keys, punctuation) are left
//! out. The calibration stage's answer starts with the verdict, so its first sampled token is
//! the verdict's (see [`super::calibration::verdict_probability`]).

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::answer::tokens_for_values;
pub use super::answer::SampledToken;

/// Which pipeline stage is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Guardrail,
    Analyzer,
    Calibration,
    Fixer,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::Guardrail,
        Stage::Analyzer,
        Stage::Calibration,
        Stage::Fixer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Guardrail => "guardrail",
            Stage::Analyzer => "analyzer",
            Stage::Calibration => "calibration",
            Stage::Fixer => "fixer",
        }
    }
}

/// Who speaks a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Message {
        Message {
            role: Role::System,
            content: content.into(),
        }
    }
    pub fn user(content: impl Into<String>) -> Message {
        Message {
            role: Role::User,
            content: content.into(),
        }
    }
}

/// Where the model runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// In this process or on this machine: no code leaves it.
    Local,
    /// A hosted endpoint: the scanned code is sent over the network.
    Remote,
}

/// What a backend is, for provenance in reports and for cache keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendInfo {
    /// e.g. `candle`, `openai-compatible`, `scripted`.
    pub name: String,
    pub kind: BackendKind,
    /// The model's name, e.g. `SmolLM2-135M-Instruct`.
    pub model: String,
    /// SHA-256 of the model file (local) or a stable model identifier's hash (remote).
    pub model_sha256: String,
    /// True when the scanned code is sent off this machine.
    pub sends_code_off_machine: bool,
}

/// Where a reusable prompt prefix ends: after the first `byte` bytes of the content of message
/// `message`. Local backends tokenize and cache the prompt up to each break on its own (see
/// [`super::layout`]); servers with a prefix cache reuse the same text without being told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CacheBreak {
    pub message: usize,
    pub byte: usize,
}

/// One constrained completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionRequest {
    pub stage: Stage,
    pub messages: Vec<Message>,
    /// Where reusable prefixes end (the run-wide part, then the file), ascending.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cache_breaks: Vec<CacheBreak>,
    /// JSON Schema the answer must match (the backend constrains decoding with it).
    pub schema: serde_json::Value,
    pub max_tokens: usize,
    pub temperature: f32,
    pub seed: u64,
    /// Stop the generation when its last this-many tokens repeat an earlier run (0: never).
    /// Backends that cannot watch the generation ignore it.
    #[serde(default)]
    pub repeat_ngram: usize,
}

/// What a completion cost, also when it produced no usable answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens in the prompt.
    pub prompt_tokens: usize,
    /// Of those, tokens served from the backend's prefix cache.
    #[serde(default)]
    pub cached_prompt_tokens: usize,
    pub completion_tokens: usize,
    /// Wall time of the call as the backend measured it.
    pub elapsed_ms: f64,
}

/// A completion's JSON value and what it cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionResponse {
    pub value: serde_json::Value,
    /// The answer's JSON text, which `sampled` points into.
    #[serde(default)]
    pub text: String,
    /// The tokens the model chose (grammar-forced tokens left out), in order.
    #[serde(default)]
    pub sampled: Vec<SampledToken>,
    pub usage: Usage,
}

impl CompletionResponse {
    /// An answer whose text is `value` written compactly, with one sampled token per scalar
    /// value carrying `logprobs` in order (see [`tokens_for_values`]).
    pub fn from_value(value: serde_json::Value, logprobs: &[f32], usage: Usage) -> Self {
        let text = value.to_string();
        let sampled = tokens_for_values(&text, logprobs);
        CompletionResponse {
            value,
            text,
            sampled,
            usage,
        }
    }
}

/// Why a generation was cut off before it made a usable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Degeneration {
    /// It started repeating itself (the same run of tokens again).
    Repeated,
    /// It reached its token cap.
    Capped,
}

impl Degeneration {
    pub fn as_str(self) -> &'static str {
        match self {
            Degeneration::Repeated => "repeated",
            Degeneration::Capped => "hit the cap",
        }
    }
}

/// Why a completion failed. The pipeline counts these and carries on with the static results:
/// a failing model never hides a static finding.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BackendError {
    #[error("model error: {0}")]
    Model(String),
    #[error("the prompt does not fit the model's context window ({tokens} > {limit} tokens)")]
    ContextOverflow { tokens: usize, limit: usize },
    #[error("the model's answer does not match the schema: {0}")]
    Schema(String),
    /// The generation ran but was cut off; `text` is what it wrote, `usage` what it cost.
    #[error("the answer was discarded: it {}", kind.as_str())]
    Degenerate {
        kind: Degeneration,
        usage: Usage,
        text: String,
    },
    #[error("backend unavailable: {0}")]
    Unavailable(String),
    #[error("scripted backend has no answer for the {0} stage")]
    NoScriptedAnswer(&'static str),
}

/// A shorter-lived `Option<&mut dyn Backend>` from a longer-lived one, to lend the backend
/// several times in a loop (`as_deref_mut` cannot shorten the trait object's lifetime bound).
pub fn reborrow<'s>(b: &'s mut Option<&mut dyn Backend>) -> Option<&'s mut dyn Backend> {
    match b {
        Some(b) => Some(&mut **b),
        None => None,
    }
}

/// Runs constrained completions.
pub trait Backend: Send {
    fn describe(&self) -> BackendInfo;
    fn complete(&mut self, req: &CompletionRequest) -> Result<CompletionResponse, BackendError>;
    /// The model's context window in tokens, when the backend knows it.
    fn context_length(&self) -> Option<usize> {
        None
    }
}

/// A scripted answer: a JSON value, a calibration answer giving every finding asked about the
/// same verdict, or an error to return.
#[derive(Debug, Clone)]
pub enum Scripted {
    Value(serde_json::Value, Vec<f32>),
    /// The verdict, and the sanitizer a rejection cites.
    Verdicts(String, String),
    Error(BackendError),
}

/// A calibration answer with `verdict` for every finding the request's schema asks about (a
/// rejection citing `sanitizer`).
pub fn uniform_verdicts(
    req: &CompletionRequest,
    verdict: &str,
    sanitizer: &str,
) -> serde_json::Value {
    let n = req
        .schema
        .pointer("/properties/verdicts/prefixItems")
        .and_then(|v| v.as_array())
        .map_or(0, |a| a.len());
    let items: Vec<serde_json::Value> = (1..=n)
        .map(|i| match verdict {
            "rejected" => serde_json::json!({"id": i, "verdict": verdict, "sanitizer": sanitizer}),
            _ => serde_json::json!({"id": i, "verdict": verdict}),
        })
        .collect();
    serde_json::json!({ "verdicts": items })
}

/// A backend for tests: answers from queues and keyed rules, and records every request.
///
/// For each request, in order: the first keyed rule of the request's stage whose needle
/// occurs in the last message wins (rules are not consumed); else the next queued answer of
/// that stage (consumed); else the stage's fallback; else [`BackendError::NoScriptedAnswer`].
#[derive(Debug, Clone, Default)]
pub struct ScriptedBackend {
    keyed: Vec<(Stage, String, Scripted)>,
    queues: BTreeMap<Stage, VecDeque<Scripted>>,
    fallback: BTreeMap<Stage, Scripted>,
    requests: Vec<CompletionRequest>,
    model_sha256: String,
}

impl ScriptedBackend {
    pub fn new() -> ScriptedBackend {
        ScriptedBackend {
            model_sha256: "0".repeat(64),
            ..Default::default()
        }
    }

    /// Pretends to be a different model (changes every cache key).
    pub fn with_model_sha256(mut self, sha: &str) -> ScriptedBackend {
        self.model_sha256 = sha.to_string();
        self
    }

    /// Queues an answer for `stage` with certain tokens (log-probability 0).
    pub fn push(&mut self, stage: Stage, value: serde_json::Value) -> &mut Self {
        self.push_with_logprobs(stage, value, Vec::new())
    }

    /// Queues an answer with explicit token log-probabilities.
    pub fn push_with_logprobs(
        &mut self,
        stage: Stage,
        value: serde_json::Value,
        lp: Vec<f32>,
    ) -> &mut Self {
        self.queues
            .entry(stage)
            .or_default()
            .push_back(Scripted::Value(value, lp));
        self
    }

    /// Queues an error for `stage`.
    pub fn push_error(&mut self, stage: Stage, e: BackendError) -> &mut Self {
        self.queues
            .entry(stage)
            .or_default()
            .push_back(Scripted::Error(e));
        self
    }

    /// Answers every `stage` request whose last message contains `needle` with `value`.
    pub fn on(&mut self, stage: Stage, needle: &str, value: serde_json::Value) -> &mut Self {
        self.keyed.push((
            stage,
            needle.to_string(),
            Scripted::Value(value, Vec::new()),
        ));
        self
    }

    /// Like [`ScriptedBackend::on`] with token log-probabilities.
    pub fn on_with_logprobs(
        &mut self,
        stage: Stage,
        needle: &str,
        value: serde_json::Value,
        lp: Vec<f32>,
    ) -> &mut Self {
        self.keyed
            .push((stage, needle.to_string(), Scripted::Value(value, lp)));
        self
    }

    /// Answers every calibration question without a keyed or queued answer with `verdict` for
    /// each finding asked about.
    pub fn verdicts(&mut self, verdict: &str) -> &mut Self {
        self.verdicts_citing(verdict, "")
    }

    /// [`Self::verdicts`], with rejections citing `sanitizer`.
    pub fn verdicts_citing(&mut self, verdict: &str, sanitizer: &str) -> &mut Self {
        self.fallback.insert(
            Stage::Calibration,
            Scripted::Verdicts(verdict.to_string(), sanitizer.to_string()),
        );
        self
    }

    /// The answer for `stage` when nothing keyed or queued applies.
    pub fn fallback(&mut self, stage: Stage, value: serde_json::Value) -> &mut Self {
        self.fallback
            .insert(stage, Scripted::Value(value, Vec::new()));
        self
    }

    /// Every request received, in order.
    pub fn requests(&self) -> &[CompletionRequest] {
        &self.requests
    }

    /// How many requests `stage` made.
    pub fn count(&self, stage: Stage) -> usize {
        self.requests.iter().filter(|r| r.stage == stage).count()
    }

    /// Forgets the recorded requests (answers stay).
    pub fn clear_requests(&mut self) {
        self.requests.clear();
    }
}

impl Backend for ScriptedBackend {
    fn describe(&self) -> BackendInfo {
        BackendInfo {
            name: "scripted".into(),
            kind: BackendKind::Local,
            model: "scripted".into(),
            model_sha256: self.model_sha256.clone(),
            sends_code_off_machine: false,
        }
    }

    fn complete(&mut self, req: &CompletionRequest) -> Result<CompletionResponse, BackendError> {
        let answer = self.answer(req);
        self.requests.push(req.clone());
        answer
    }
}

impl ScriptedBackend {
    /// Bytes at the start of `req`'s prompt that the previous request shared up to one of
    /// `req`'s breaks.
    fn cached_prefix(&self, req: &CompletionRequest) -> usize {
        let Some(prev) = self.requests.last() else {
            return 0;
        };
        let text = |r: &CompletionRequest, b: &CacheBreak| -> Option<String> {
            let m = r.messages.get(b.message)?;
            let mut t: String = r.messages[..b.message]
                .iter()
                .map(|m| m.content.as_str())
                .collect();
            t.push_str(m.content.get(..b.byte)?);
            Some(t)
        };
        req.cache_breaks
            .iter()
            .filter_map(|b| text(req, b))
            .filter(|t| {
                prev.cache_breaks
                    .iter()
                    .filter_map(|b| text(prev, b))
                    .any(|p| p == *t)
            })
            .map(|t| t.len())
            .max()
            .unwrap_or(0)
    }

    fn answer(&mut self, req: &CompletionRequest) -> Result<CompletionResponse, BackendError> {
        let last = req
            .messages
            .last()
            .map(|m| m.content.as_str())
            .unwrap_or("");
        let answer = self
            .keyed
            .iter()
            .find(|(s, needle, _)| *s == req.stage && last.contains(needle.as_str()))
            .map(|(_, _, a)| a.clone())
            .or_else(|| self.queues.get_mut(&req.stage).and_then(|q| q.pop_front()))
            .or_else(|| self.fallback.get(&req.stage).cloned());
        let answer = match answer {
            Some(Scripted::Verdicts(v, s)) => Some(Ok((uniform_verdicts(req, &v, &s), Vec::new()))),
            Some(Scripted::Value(value, lp)) => Some(Ok((value, lp))),
            Some(Scripted::Error(e)) => Some(Err(e)),
            None => None,
        };
        match answer {
            Some(Ok((value, token_logprobs))) => {
                // A pretend tokenizer of 4 bytes a token, with a prefix cache that keeps the
                // previous request's text up to its last shared break.
                let prompt: String = req.messages.iter().map(|m| m.content.as_str()).collect();
                let cached = self.cached_prefix(req);
                let usage = Usage {
                    prompt_tokens: prompt.len() / 4,
                    cached_prompt_tokens: cached / 4,
                    completion_tokens: value.to_string().len() / 4 + 1,
                    elapsed_ms: 0.0,
                };
                Ok(CompletionResponse::from_value(
                    value,
                    &token_logprobs,
                    usage,
                ))
            }
            Some(Err(e)) => Err(e),
            None => Err(BackendError::NoScriptedAnswer(req.stage.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(stage: Stage, text: &str) -> CompletionRequest {
        CompletionRequest {
            stage,
            messages: vec![Message::user(text)],
            cache_breaks: Vec::new(),
            schema: json!({}),
            max_tokens: 10,
            temperature: 0.0,
            seed: 0,
            repeat_ngram: 0,
        }
    }

    #[test]
    fn keyed_then_queued_then_fallback() {
        let mut b = ScriptedBackend::new();
        b.on(Stage::Analyzer, "needle", json!({"k": 1}))
            .push(Stage::Analyzer, json!({"q": 1}))
            .fallback(Stage::Analyzer, json!({"f": 1}));
        assert_eq!(
            b.complete(&req(Stage::Analyzer, "a needle")).unwrap().value,
            json!({"k": 1})
        );
        assert_eq!(
            b.complete(&req(Stage::Analyzer, "x")).unwrap().value,
            json!({"q": 1})
        );
        assert_eq!(
            b.complete(&req(Stage::Analyzer, "x")).unwrap().value,
            json!({"f": 1})
        );
        assert!(b.complete(&req(Stage::Fixer, "x")).is_err());
        assert_eq!(b.count(Stage::Analyzer), 3);
        assert_eq!(b.count(Stage::Fixer), 1);
    }
}
