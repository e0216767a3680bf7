//! Typed errors of the OpenAI-compatible client.

use crate::pipeline::BackendError;

/// Why a request to an OpenAI-compatible server failed. `Clone` so one fatal failure can be
/// remembered and returned by later calls without touching the network again.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OpenAiError {
    #[error("invalid --base-url `{url}`: {reason}")]
    InvalidUrl { url: String, reason: String },

    #[error(
        "authentication failed at {url} (HTTP {status}{}): set {env} or --api-key-env VAR to a valid API key",
        if *key_sent { ", an API key was sent".to_string() } else { format!(", no API key was sent: ${env} is not set") }
    )]
    Auth {
        url: String,
        status: u16,
        env: String,
        key_sent: bool,
    },

    #[error("model `{model}` or URL {url} not found (HTTP 404): check --api-model and --base-url; the server said: {body}")]
    NotFound {
        url: String,
        model: String,
        body: String,
    },

    #[error("HTTP {status} from {url}: {body}")]
    Http {
        url: String,
        status: u16,
        body: String,
    },

    #[error("cannot connect to {url} ({reason}); gave up after {attempts} attempt(s)")]
    Connect {
        url: String,
        reason: String,
        attempts: u32,
    },

    #[error("no answer from {url} within {secs} s (--timeout)")]
    Timeout { url: String, secs: u64 },

    #[error("unexpected response from {url}: {message}")]
    BadResponse { url: String, message: String },

    #[error("{0}")]
    Schema(String),

    /// The answer was cut off at `max_tokens` (twice: the corrective retry too).
    #[error("the answer was cut off at max_tokens")]
    Truncated {
        usage: crate::pipeline::Usage,
        text: String,
    },
}

impl OpenAiError {
    /// Errors that no later request can fix (wrong key, URL or model; server gone): the
    /// backend returns them again without another network round trip.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            OpenAiError::InvalidUrl { .. }
                | OpenAiError::Auth { .. }
                | OpenAiError::NotFound { .. }
                | OpenAiError::Connect { .. }
        )
    }
}

impl From<OpenAiError> for BackendError {
    fn from(e: OpenAiError) -> BackendError {
        match e {
            OpenAiError::Schema(m) => BackendError::Schema(m),
            OpenAiError::Truncated { usage, text } => BackendError::Degenerate {
                kind: crate::pipeline::backend::Degeneration::Capped,
                usage,
                text,
            },
            OpenAiError::BadResponse { .. } => BackendError::Model(e.to_string()),
            other => BackendError::Unavailable(other.to_string()),
        }
    }
}

/// At most `max` bytes of `text`, cut at a character boundary, whitespace collapsed to keep
/// error messages on one line.
pub fn snippet(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let cut = text[..end].split_whitespace().collect::<Vec<_>>().join(" ");
    if end < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_error_names_the_variable_and_whether_a_key_was_sent() {
        let e = OpenAiError::Auth {
            url: "http://h/v1/chat/completions".into(),
            status: 401,
            env: "OPENAI_API_KEY".into(),
            key_sent: false,
        };
        let m = e.to_string();
        assert!(m.starts_with("authentication failed"), "{m}");
        assert!(m.contains("set OPENAI_API_KEY or --api-key-env"), "{m}");
        assert!(m.contains("$OPENAI_API_KEY is not set"), "{m}");
        assert!(e.is_fatal());
        assert!(matches!(
            BackendError::from(e),
            BackendError::Unavailable(_)
        ));
    }

    #[test]
    fn snippets_cut_at_char_boundaries() {
        assert_eq!(snippet("héllo", 2), "h…");
        assert_eq!(snippet("a\n  b", 200), "a b");
        assert_eq!(snippet(&"x".repeat(300), 200).len(), 200 + '…'.len_utf8());
    }
}
