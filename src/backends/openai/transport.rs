//! HTTP for the OpenAI-compatible backend: one POST with timeouts, retries and typed errors.

use std::io::ErrorKind;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::error::{snippet, OpenAiError};
use super::wire::ChatResponse;
use super::OpenAiConfig;

/// Longest wait a `Retry-After` header may ask for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Largest answer body read (a completion is a few KB).
const MAX_BODY: u64 = 16 << 20;

/// A connection pool and what each request needs. Cheap to clone.
#[derive(Clone)]
pub struct Transport {
    agent: ureq::Agent,
    url: Arc<str>,
    auth: Option<Arc<str>>,
    cfg: Arc<OpenAiConfig>,
    /// Attempts that were retried, over every clone.
    retries: Arc<AtomicU64>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("url", &self.url)
            .field("auth", &self.auth.as_ref().map(|_| "<redacted>"))
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

/// How one attempt ended.
enum Attempt {
    Done(Result<ChatResponse, OpenAiError>),
    /// Worth another try after the given wait (`None`: the backoff schedule's).
    Retry(OpenAiError, Option<Duration>),
}

impl Transport {
    pub fn new(cfg: &OpenAiConfig, loopback: bool) -> Transport {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(cfg.timeout.min(Duration::from_secs(10))))
            .timeout_global(Some(cfg.timeout))
            .user_agent(concat!("pyward/", env!("CARGO_PKG_VERSION")));
        // A server on this machine is never reached through a proxy.
        let config = if loopback { config.proxy(None) } else { config };
        Transport {
            agent: config.build().into(),
            url: format!("{}/chat/completions", cfg.base_url).into(),
            auth: cfg.api_key.as_ref().map(|k| format!("Bearer {k}").into()),
            cfg: Arc::new(cfg.clone()),
            retries: Arc::default(),
        }
    }

    /// How many attempts were retried (429, 5xx, connection errors), over every clone.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// The endpoint URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// POSTs `body`, retrying 429, 5xx and connection failures with exponential backoff.
    pub fn post_chat(&self, body: &serde_json::Value) -> Result<ChatResponse, OpenAiError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| self.bad(&format!("cannot encode the request: {e}")))?;
        let mut delay = self.cfg.backoff;
        let mut attempt = 1;
        loop {
            match self.attempt(&bytes, attempt) {
                Attempt::Done(r) => return r,
                Attempt::Retry(e, _) if attempt >= self.cfg.max_attempts => return Err(e),
                Attempt::Retry(_, wait) => {
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(wait.unwrap_or(delay));
                    delay = delay.saturating_mul(2);
                    attempt += 1;
                }
            }
        }
    }

    fn attempt(&self, bytes: &[u8], attempt: u32) -> Attempt {
        let mut req = self
            .agent
            .post(&*self.url)
            .header("Content-Type", "application/json");
        if let Some(a) = &self.auth {
            req = req.header("Authorization", &**a);
        }
        let mut resp = match req.send(bytes) {
            Ok(r) => r,
            Err(e) => return self.transport_error(e, attempt),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(retry_after);
        let text = match resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
        {
            Ok(t) => t,
            Err(e) => return self.transport_error(e, attempt),
        };
        let url = self.url.to_string();
        match status {
            200..=299 => Attempt::Done(serde_json::from_str::<ChatResponse>(&text).map_err(|e| {
                self.bad(&format!(
                    "not a chat completion ({e}): {}",
                    snippet(&text, 200)
                ))
            })),
            401 | 403 => Attempt::Done(Err(OpenAiError::Auth {
                url,
                status,
                env: self.cfg.api_key_env.clone(),
                key_sent: self.auth.is_some(),
            })),
            404 => Attempt::Done(Err(OpenAiError::NotFound {
                url,
                model: self.cfg.model.clone(),
                body: snippet(&text, 200),
            })),
            429 | 500..=599 => Attempt::Retry(
                OpenAiError::Http {
                    url,
                    status,
                    body: snippet(&text, 200),
                },
                retry_after,
            ),
            _ => Attempt::Done(Err(OpenAiError::Http {
                url,
                status,
                body: snippet(&text, 200),
            })),
        }
    }

    /// A ureq error as an attempt's outcome: connection failures are retried, the rest not.
    fn transport_error(&self, e: ureq::Error, attempts: u32) -> Attempt {
        let url = self.url.to_string();
        let connect = |reason: String| OpenAiError::Connect {
            url: url.clone(),
            reason,
            attempts,
        };
        match e {
            ureq::Error::Timeout(ureq::Timeout::Connect) => {
                Attempt::Retry(connect("connect timed out".into()), None)
            }
            ureq::Error::Timeout(_) => Attempt::Done(Err(OpenAiError::Timeout {
                url,
                secs: self.cfg.timeout.as_secs(),
            })),
            ureq::Error::ConnectionFailed => {
                Attempt::Retry(connect("connection failed".into()), None)
            }
            ureq::Error::HostNotFound => Attempt::Done(Err(connect("host not found".into()))),
            ureq::Error::Io(io) => match io.kind() {
                ErrorKind::TimedOut => Attempt::Done(Err(OpenAiError::Timeout {
                    url,
                    secs: self.cfg.timeout.as_secs(),
                })),
                ErrorKind::ConnectionRefused
                | ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::NotConnected
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof
                | ErrorKind::AddrNotAvailable => Attempt::Retry(connect(io.to_string()), None),
                _ => Attempt::Done(Err(connect(io.to_string()))),
            },
            other => Attempt::Done(Err(self.bad(&other.to_string()))),
        }
    }

    fn bad(&self, message: &str) -> OpenAiError {
        OpenAiError::BadResponse {
            url: self.url.to_string(),
            message: message.into(),
        }
    }
}

/// A `Retry-After` value in seconds (the HTTP-date form is not used by API servers and falls
/// back to the backoff schedule), capped at a minute.
fn retry_after(value: &str) -> Option<Duration> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(MAX_RETRY_AFTER.as_secs_f64())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_seconds_capped_at_a_minute() {
        assert_eq!(retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(retry_after("86400"), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(retry_after("-1"), None);
        assert_eq!(retry_after("inf"), None);
    }
}
