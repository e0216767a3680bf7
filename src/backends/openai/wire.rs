//! The Chat Completions wire format: the request body pyward sends and the parts of the answer
//! it reads.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::pipeline::answer::{value_spans, SampledToken};
use crate::pipeline::backend::{Message, Role};
use crate::pipeline::CompletionRequest;

/// A chat message as the API spells it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WireMessage {
    pub role: &'static str,
    pub content: String,
}

impl From<&Message> for WireMessage {
    fn from(m: &Message) -> WireMessage {
        WireMessage {
            role: match m.role {
                Role::System => "system",
                Role::User => "user",
                Role::Assistant => "assistant",
            },
            content: m.content.clone(),
        }
    }
}

/// The body of `POST /chat/completions` for `req` with these `messages` (the request's own, or
/// those plus a correction turn).
pub fn request_body(model: &str, req: &CompletionRequest, messages: &[WireMessage]) -> Value {
    json!({
        "model": model,
        "messages": messages,
        "temperature": req.temperature,
        "seed": req.seed,
        "max_tokens": req.max_tokens,
        "response_format": {
            "type": "json_schema",
            "json_schema": {
                "name": format!("pyward_{}", req.stage.as_str()),
                "schema": req.schema,
                "strict": true,
            }
        },
        "logprobs": true,
    })
}

/// The parts of a chat completion pyward reads.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatResponse {
    #[serde(default)]
    pub choices: Vec<Choice>,
    #[serde(default)]
    pub usage: Option<Usage>,
    #[serde(default)]
    pub timings: Option<Timings>,
}

impl ChatResponse {
    /// Prompt tokens the server says it served from its prefix cache.
    pub fn cached_prompt_tokens(&self) -> usize {
        let from_usage = self
            .usage
            .and_then(|u| u.prompt_tokens_details)
            .map_or(0, |d| d.cached_tokens);
        from_usage.max(self.timings.map_or(0, |t| t.cache_n))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Choice {
    pub message: AnswerMessage,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub logprobs: Option<Logprobs>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AnswerMessage {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub refusal: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Logprobs {
    #[serde(default)]
    pub content: Option<Vec<TokenLogprob>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TokenLogprob {
    #[serde(default)]
    pub token: String,
    pub logprob: f64,
    #[serde(default)]
    pub bytes: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub prompt_tokens: usize,
    #[serde(default)]
    pub completion_tokens: usize,
    /// OpenAI and llama-server: `cached_tokens`, the prompt tokens served from the prefix cache.
    #[serde(default)]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct PromptTokensDetails {
    #[serde(default)]
    pub cached_tokens: usize,
}

/// llama-server's own timings (`cache_n`: prompt tokens reused from its cache).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Timings {
    #[serde(default)]
    pub cache_n: usize,
}

/// The JSON value in a model's answer: the whole text, or — for servers that ignore
/// `response_format` and wrap the JSON in prose or a code fence — the outermost `{…}`.
pub fn parse_answer(content: &str) -> Result<Value, String> {
    match serde_json::from_str::<Value>(content) {
        Ok(v) => Ok(v),
        Err(e) => {
            let start = content.find('{');
            let end = content.rfind('}');
            if let (Some(s), Some(t)) = (start, end) {
                if s < t {
                    if let Ok(v) = serde_json::from_str::<Value>(&content[s..=t]) {
                        return Ok(v);
                    }
                }
            }
            Err(format!("the answer is not JSON ({e})"))
        }
    }
}

/// The answer's JSON text (`content` trimmed) and the tokens that chose something in it:
/// tokens overlapping a JSON value (a string value's characters, a number, `true`/`false`/
/// `null`), with their byte ranges in that text. Tokens made only of punctuation, whitespace
/// and object keys are left out, as the local runtime leaves out the tokens its grammar forces.
/// Tokens outside the answer are left out too: llama-server, for one, lets the model wrap the
/// JSON in a code fence and strips the fence from `content`. No tokens when they do not spell
/// out `content`.
pub fn value_tokens(content: &str, tokens: &[TokenLogprob]) -> (String, Vec<SampledToken>) {
    let body = content.trim();
    let token_bytes = |t: &TokenLogprob| -> Vec<u8> {
        t.bytes
            .clone()
            .unwrap_or_else(|| t.token.as_bytes().to_vec())
    };
    let spelled: Vec<u8> = tokens.iter().flat_map(token_bytes).collect();
    if body.is_empty() {
        return (String::new(), Vec::new());
    }
    let Some(offset) = spelled
        .windows(body.len())
        .position(|w| w == body.as_bytes())
    else {
        return (body.to_string(), Vec::new());
    };
    let mut free = vec![false; body.len()];
    for v in value_spans(body) {
        free[v.range].iter_mut().for_each(|b| *b = true);
    }
    let mut out = Vec::new();
    let mut at = 0usize;
    for t in tokens {
        let end = at + token_bytes(t).len();
        // The token's part inside the answer, in the answer's coordinates.
        let (s, e) = (
            at.max(offset) - offset,
            end.min(offset + body.len()).max(offset) - offset,
        );
        if s < e && free[s..e].iter().any(|&b| b) {
            out.push(SampledToken {
                start: s,
                end: e,
                logprob: t.logprob as f32,
            });
        }
        at = end;
    }
    (body.to_string(), out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Stage;

    fn logprobs(content: &str, toks: &[TokenLogprob]) -> Vec<f32> {
        value_tokens(content, toks)
            .1
            .iter()
            .map(|t| t.logprob)
            .collect()
    }

    fn tok(t: &str, lp: f64) -> TokenLogprob {
        TokenLogprob {
            token: t.into(),
            logprob: lp,
            bytes: None,
        }
    }

    #[test]
    fn only_value_tokens_keep_their_logprobs() {
        let content = r#"{"verdict": "confirmed", "n": 12, "ok": true, "s": "a\"b"}"#;
        let toks = [
            tok("{\"", -0.01),
            tok("verdict", -0.02),
            tok("\": \"", -0.03),
            tok("conf", -0.5),
            tok("irmed", -0.04),
            tok("\", \"", -0.05),
            tok("n", -0.06),
            tok("\": ", -0.07),
            tok("12", -0.8),
            tok(", \"ok\": ", -0.09),
            tok("true", -0.9),
            tok(", \"s\": \"", -0.1),
            tok("a\\\"b", -1.0),
            tok("\"}", -0.11),
        ];
        let lp = logprobs(content, &toks);
        assert_eq!(lp, vec![-0.5, -0.04, -0.8, -0.9, -1.0]);
        let (text, spans) = value_tokens(content, &toks);
        assert_eq!(&text[spans[0].start..spans[0].end], "conf");
    }

    #[test]
    fn tokens_around_the_answer_are_left_out() {
        // llama-server: the model wrote a fence, the server stripped it from `content`.
        let toks = [
            tok("```", -1.0),
            tok("json\n", -2.0),
            tok("{\"", -0.1),
            tok("a", -0.2),
            tok("\": ", -0.3),
            tok("7", -0.4),
            tok("}", -0.5),
            tok("\n```", -3.0),
        ];
        assert_eq!(logprobs("{\"a\": 7}", &toks), vec![-0.4]);
        assert_eq!(logprobs("\n{\"a\": 7}\n", &toks), vec![-0.4]);
    }

    #[test]
    fn tokens_that_do_not_spell_the_content_give_nothing() {
        assert!(logprobs("{\"a\": 1}", &[tok("{\"b\": 1}", -0.1)]).is_empty());
        assert!(logprobs("{\"a\": 1}", &[tok("{", -0.1)]).is_empty());
        let with_bytes = TokenLogprob {
            token: "?".into(),
            logprob: -0.3,
            bytes: Some(b"{\"a\": 1}".to_vec()),
        };
        assert_eq!(logprobs("{\"a\": 1}", &[with_bytes]), vec![-0.3]);
    }

    #[test]
    fn answers_in_fences_are_unwrapped_and_prose_is_an_error() {
        assert_eq!(parse_answer(" {\"a\": 1}\n").unwrap(), json!({"a": 1}));
        assert_eq!(
            parse_answer("```json\n{\"a\": [1]}\n```").unwrap(),
            json!({"a": [1]})
        );
        assert!(parse_answer("I cannot help")
            .unwrap_err()
            .contains("not JSON"));
    }

    #[test]
    fn request_body_carries_the_schema_and_decoding_parameters() {
        let req = CompletionRequest {
            stage: Stage::Calibration,
            messages: vec![Message::system("s"), Message::user("u")],
            cache_breaks: Vec::new(),
            schema: json!({"type": "object"}),
            max_tokens: 96,
            temperature: 0.7,
            seed: 3,
            repeat_ngram: 0,
        };
        let msgs: Vec<WireMessage> = req.messages.iter().map(WireMessage::from).collect();
        let b = request_body("m", &req, &msgs);
        assert_eq!(b["model"], "m");
        assert_eq!(b["messages"][1], json!({"role": "user", "content": "u"}));
        assert_eq!(
            b["temperature"].as_f64().map(|t| (t * 10.0).round()),
            Some(7.0)
        );
        assert_eq!(
            (b["seed"].as_u64(), b["max_tokens"].as_u64()),
            (Some(3), Some(96))
        );
        assert_eq!(
            b["response_format"]["json_schema"]["name"],
            "pyward_calibration"
        );
        assert_eq!(
            b["response_format"]["json_schema"]["schema"],
            json!({"type": "object"})
        );
        assert_eq!(b["response_format"]["json_schema"]["strict"], true);
        assert_eq!(b["logprobs"], true);
    }
}
