//! A hosted or self-hosted model behind the OpenAI Chat Completions API: OpenAI itself, vLLM,
//! TGI, llama.cpp's `llama-server`, Ollama, LM Studio, … (anything serving
//! `POST {base_url}/chat/completions`).
//!
//! Every pipeline question becomes one request with the stage's JSON Schema as
//! `response_format` (`json_schema`, `strict: true`) and `logprobs: true`. The answer is
//! parsed and **validated against the schema** here, because servers honour `response_format`
//! to different degrees; an answer that does not match is asked again once, with the
//! validation error appended as a user message. Token counts come from `usage`.
//!
//! Transport: connect and total timeouts (`--timeout`), up to 4 attempts with exponential
//! backoff on HTTP 429, 5xx and connection errors (honouring `Retry-After`), and typed errors
//! ([`OpenAiError`]) for the rest: 401/403 name the API key variable, 404 names the URL and
//! model. A fatal error (authentication, not found, unreachable) is remembered: later calls,
//! in any clone of the backend, return it at once instead of asking again.
//!
//! Privacy: unlike the local backend, the scanned code is sent to the server. [`describe`]
//! reports `sends_code_off_machine = true` unless the base URL's host is loopback
//! (`localhost`, `127.0.0.0/8`, `::1`): a server on this machine (a local llama.cpp or vLLM)
//! keeps the code here, while any other host — a LAN address included — is off the machine,
//! since pyward cannot tell where that host sends it. Reports record the choice in their
//! provenance (`code_left_machine`). Loopback servers are also reached without any proxy.
//!
//! Log-probabilities: `choices[0].logprobs.content` when the server returns it, reduced to the
//! tokens that overlap a JSON value (see [`wire::value_token_logprobs`]) so the first entry is
//! the first chosen value's, as with the local runtime; empty otherwise. They are the server's
//! numbers: whether a server reports them before or after its grammar constraint varies.
//!
//! [`describe`]: crate::pipeline::Backend::describe

mod error;
mod schema;
mod transport;
pub(crate) mod wire;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

pub use error::OpenAiError;

use crate::pipeline::backend::BackendKind;
use crate::pipeline::{
    Backend, BackendError, BackendInfo, CompletionRequest, CompletionResponse, Usage,
};
use wire::WireMessage;

/// Where the server is and how to talk to it.
#[derive(Clone)]
pub struct OpenAiConfig {
    /// The API root, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8080/v1`.
    pub base_url: String,
    /// The model name the server knows, e.g. `gpt-4o-mini`.
    pub model: String,
    /// Sent as `Authorization: Bearer …` when present.
    pub api_key: Option<String>,
    /// The variable the key came from, for error messages.
    pub api_key_env: String,
    /// Connect and total time allowed for one HTTP attempt.
    pub timeout: Duration,
    /// Attempts per request on 429, 5xx and connection errors (at least 1).
    pub max_attempts: u32,
    /// First backoff delay; doubles after each failed attempt.
    pub backoff: Duration,
}

impl OpenAiConfig {
    /// A configuration with the defaults: `OPENAI_API_KEY`, 120 s, 4 attempts, 250 ms backoff.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> OpenAiConfig {
        OpenAiConfig {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            api_key_env: "OPENAI_API_KEY".into(),
            timeout: Duration::from_secs(120),
            max_attempts: 4,
            backoff: Duration::from_millis(250),
        }
    }

    /// Reads the API key from the environment variable `var` (unset or empty: no key).
    pub fn with_key_from_env(mut self, var: &str) -> OpenAiConfig {
        self.api_key_env = var.to_string();
        self.api_key = std::env::var(var).ok().filter(|k| !k.trim().is_empty());
        self
    }
}

impl std::fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("api_key_env", &self.api_key_env)
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

/// The OpenAI-compatible backend. Cloning is cheap and clones share the connection pool and
/// the remembered fatal error, so parallel workers each get one.
#[derive(Debug, Clone)]
pub struct OpenAiBackend {
    cfg: Arc<OpenAiConfig>,
    http: transport::Transport,
    host: String,
    loopback: bool,
    fatal: Arc<Mutex<Option<OpenAiError>>>,
}

impl OpenAiBackend {
    /// A client for `cfg`. Fails only on a base URL that is not `http(s)://host[:port][/path]`;
    /// nothing is sent until the first request.
    pub fn new(mut cfg: OpenAiConfig) -> Result<OpenAiBackend, OpenAiError> {
        cfg.base_url = cfg.base_url.trim().trim_end_matches('/').to_string();
        cfg.max_attempts = cfg.max_attempts.max(1);
        let (host, loopback) = parse_host(&cfg.base_url)?;
        let http = transport::Transport::new(&cfg, loopback);
        Ok(OpenAiBackend {
            cfg: Arc::new(cfg),
            http,
            host,
            loopback,
            fatal: Arc::default(),
        })
    }

    /// The base URL's host (`api.openai.com`, `127.0.0.1`, `::1`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether the server is on this machine (the code does not leave it).
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    /// How many HTTP attempts were retried (429, 5xx, connection errors), over every clone.
    pub fn retries(&self) -> u64 {
        self.http.retries()
    }

    /// The configuration in use (the key is redacted in its `Debug`).
    pub fn config(&self) -> &OpenAiConfig {
        &self.cfg
    }

    /// One tiny request (no code in it) to find a wrong URL, model or key, or a server that is
    /// not there, before a scan starts. Returns the round-trip time.
    pub fn check(&self) -> Result<Duration, OpenAiError> {
        let t0 = Instant::now();
        let body = serde_json::json!({
            "model": self.cfg.model,
            "messages": [{"role": "user", "content": "Reply with OK."}],
            "max_tokens": 1,
            "temperature": 0.0,
        });
        self.post(&body)?;
        Ok(t0.elapsed())
    }

    /// Runs one pipeline completion: request, parse, validate, and one corrective retry.
    pub fn chat(&self, req: &CompletionRequest) -> Result<CompletionResponse, OpenAiError> {
        let t0 = Instant::now();
        let mut messages: Vec<WireMessage> = req.messages.iter().map(WireMessage::from).collect();
        let mut usage = Usage::default();
        let mut last_problem = String::new();
        let mut truncated = false;
        let mut last_content = String::new();
        for attempt in 0..2 {
            let body = wire::request_body(&self.cfg.model, req, &messages);
            let answer = self.post(&body)?;
            let u = answer.usage.unwrap_or_default();
            usage.prompt_tokens += u.prompt_tokens;
            usage.completion_tokens += u.completion_tokens;
            usage.cached_prompt_tokens += answer.cached_prompt_tokens().min(u.prompt_tokens);
            let choice = answer
                .choices
                .into_iter()
                .next()
                .ok_or_else(|| self.bad("no choices in the answer"))?;
            let content = match (choice.message.content, choice.message.refusal) {
                (Some(c), _) => c,
                (None, Some(r)) => {
                    return Err(OpenAiError::Schema(format!(
                        "the model refused: {}",
                        error::snippet(&r, 200)
                    )))
                }
                (None, None) => String::new(),
            };
            let checked = wire::parse_answer(&content)
                .and_then(|v| schema::check(&req.schema, &v).map(|()| v));
            match checked {
                Ok(value) => {
                    let toks = choice.logprobs.and_then(|l| l.content).unwrap_or_default();
                    let (text, sampled) = wire::value_tokens(&content, &toks);
                    usage.elapsed_ms = t0.elapsed().as_secs_f64() * 1e3;
                    return Ok(CompletionResponse {
                        value,
                        text,
                        sampled,
                        usage,
                    });
                }
                Err(problem) => {
                    truncated = choice.finish_reason.as_deref() == Some("length");
                    last_problem = if truncated {
                        format!("{problem} (cut off at max_tokens = {})", req.max_tokens)
                    } else {
                        problem
                    };
                    last_content = content.clone();
                    if attempt == 0 {
                        messages.push(WireMessage {
                            role: "assistant",
                            content,
                        });
                        messages.push(WireMessage {
                            role: "user",
                            content: format!(
                                "Your answer does not match the required JSON schema: {last_problem}. \
                                 Answer again with only a JSON object that matches the schema."
                            ),
                        });
                    }
                }
            }
        }
        usage.elapsed_ms = t0.elapsed().as_secs_f64() * 1e3;
        if truncated {
            return Err(OpenAiError::Truncated {
                usage,
                text: last_content,
            });
        }
        Err(OpenAiError::Schema(format!(
            "the answer does not match the schema after a retry: {last_problem}"
        )))
    }

    /// POSTs `body` to `/chat/completions`, unless an earlier fatal error says not to.
    fn post(&self, body: &serde_json::Value) -> Result<wire::ChatResponse, OpenAiError> {
        if let Some(e) = self.fatal.lock().ok().and_then(|g| g.clone()) {
            return Err(e);
        }
        let result = self.http.post_chat(body);
        if let Err(e) = &result {
            if e.is_fatal() {
                if let Ok(mut g) = self.fatal.lock() {
                    g.get_or_insert_with(|| e.clone());
                }
            }
        }
        result
    }

    fn bad(&self, message: &str) -> OpenAiError {
        OpenAiError::BadResponse {
            url: self.http.url().to_string(),
            message: message.into(),
        }
    }
}

impl Backend for OpenAiBackend {
    fn describe(&self) -> BackendInfo {
        BackendInfo {
            name: "openai-compatible".into(),
            kind: BackendKind::Remote,
            model: self.cfg.model.clone(),
            model_sha256: stable_id(&self.cfg.base_url, &self.cfg.model),
            sends_code_off_machine: !self.loopback,
        }
    }

    fn complete(&mut self, req: &CompletionRequest) -> Result<CompletionResponse, BackendError> {
        self.chat(req).map_err(BackendError::from)
    }
}

/// SHA-256 of `base_url#model`: the remote model's stable identity in reports and cache keys.
pub fn stable_id(base_url: &str, model: &str) -> String {
    hex::encode(Sha256::digest(format!("{base_url}#{model}").as_bytes()))
}

/// The host of an `http(s)` URL and whether it is loopback.
fn parse_host(url: &str) -> Result<(String, bool), OpenAiError> {
    let invalid = |reason: &str| OpenAiError::InvalidUrl {
        url: url.to_string(),
        reason: reason.into(),
    };
    let uri: ureq::http::Uri = url.parse().map_err(|e| invalid(&format!("{e}")))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => return Err(invalid("it must start with http:// or https://")),
    }
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| invalid("it has no host"))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    Ok((host, loopback))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_keep_the_code_on_the_machine() {
        for (url, host, lo) in [
            ("http://127.0.0.1:8080/v1", "127.0.0.1", true),
            ("http://localhost:11434/v1/", "localhost", true),
            ("http://[::1]:8000/v1", "::1", true),
            ("http://127.0.0.2/v1", "127.0.0.2", true),
            ("https://api.openai.com/v1", "api.openai.com", false),
            ("http://192.168.1.5:8000/v1", "192.168.1.5", false),
            (
                "http://localhost.example.com/v1",
                "localhost.example.com",
                false,
            ),
        ] {
            let b = OpenAiBackend::new(OpenAiConfig::new(url, "m")).unwrap();
            assert_eq!((b.host(), b.is_loopback()), (host, lo), "{url}");
            let info = b.describe();
            assert_eq!(info.sends_code_off_machine, !lo);
            assert_eq!(info.kind, BackendKind::Remote);
            assert_eq!(info.name, "openai-compatible");
        }
    }

    #[test]
    fn bad_base_urls_are_rejected_and_ids_are_stable() {
        for url in ["api.openai.com/v1", "ftp://h/v1", "http://", ""] {
            let e = OpenAiBackend::new(OpenAiConfig::new(url, "m")).unwrap_err();
            assert!(e.to_string().contains("--base-url"), "{e}");
        }
        let a = OpenAiBackend::new(OpenAiConfig::new("http://h:1/v1/", "m")).unwrap();
        let b = OpenAiBackend::new(OpenAiConfig::new("http://h:1/v1", "m")).unwrap();
        assert_eq!(a.describe().model_sha256, b.describe().model_sha256);
        assert_eq!(a.describe().model_sha256, stable_id("http://h:1/v1", "m"));
        assert_ne!(a.describe().model_sha256, stable_id("http://h:1/v1", "n"));
    }

    #[test]
    fn the_api_key_never_shows_in_debug_output() {
        let mut c = OpenAiConfig::new("http://h/v1", "m");
        c.api_key = Some("sk-secret".into());
        let b = OpenAiBackend::new(c).unwrap();
        assert!(!format!("{b:?}").contains("sk-secret"));
    }
}
