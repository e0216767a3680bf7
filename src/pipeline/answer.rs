//! A model's answer as text: where its JSON values are, which tokens the model chose, and the
//! probability it gave each choice.
//!
//! Backends report the tokens the model *sampled* (not those a grammar forced, such as object
//! keys and punctuation) as byte ranges of the answer text with their log-probabilities
//! ([`SampledToken`]). A stage that wants the probability of one value, e.g. the verdict of
//! the third finding in a calibration answer, finds the value's first byte with
//! [`value_spans`] and asks [`logprob_at`] for the token that wrote it.

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// A token the model chose: its byte range in the answer text and its natural-log probability.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SampledToken {
    pub start: usize,
    pub end: usize,
    pub logprob: f32,
}

/// The log-probability of the sampled token that wrote byte `at` of the answer, `None` when
/// that byte was forced (or the backend reports no tokens).
pub fn logprob_at(sampled: &[SampledToken], at: usize) -> Option<f32> {
    sampled
        .iter()
        .find(|t| t.start <= at && at < t.end)
        .map(|t| t.logprob)
}

/// One scalar value of a JSON text: the characters of a string (between its quotes), a
/// number or a literal. Object keys are not values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueSpan {
    /// The key of the innermost object member the value belongs to (`None` in arrays).
    pub key: Option<String>,
    pub range: Range<usize>,
}

/// The scalar values of a JSON text, in order. Tolerant: it never fails, whatever the text.
pub fn value_spans(text: &str) -> Vec<ValueSpan> {
    let s = text.as_bytes();
    let mut out = Vec::new();
    let mut stack: Vec<u8> = Vec::new();
    let mut expect_key = false;
    let mut key: Option<String> = None;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'{' => {
                stack.push(b'{');
                expect_key = true;
                i += 1;
            }
            b'[' => {
                stack.push(b'[');
                expect_key = false;
                key = None;
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                expect_key = false;
                i += 1;
            }
            b',' => {
                expect_key = stack.last() == Some(&b'{');
                if stack.last() == Some(&b'[') {
                    key = None;
                }
                i += 1;
            }
            b':' => {
                expect_key = false;
                i += 1;
            }
            b'"' => {
                let end = string_end(s, i);
                let inner = i + 1..end.saturating_sub(1).max(i + 1);
                if expect_key {
                    key = text.get(inner).map(str::to_string);
                } else {
                    out.push(ValueSpan {
                        key: key.clone(),
                        range: inner,
                    });
                }
                i = end;
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                let start = i;
                while i < s.len() && !b",:{}[]\" \t\r\n".contains(&s[i]) {
                    i += 1;
                }
                out.push(ValueSpan {
                    key: key.clone(),
                    range: start..i,
                });
            }
        }
    }
    out
}

/// The index just past the string starting with the quote at `start` (or the end of `s`).
fn string_end(s: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'"' => return (i + 1).min(s.len()),
            _ => i += 1,
        }
    }
    s.len()
}

/// One sampled token per scalar value of `text`, with the given log-probabilities in order
/// (values beyond them get none): how a scripted or test answer says what the model chose.
pub fn tokens_for_values(text: &str, logprobs: &[f32]) -> Vec<SampledToken> {
    value_spans(text)
        .into_iter()
        .zip(logprobs)
        .map(|(v, &logprob)| SampledToken {
            start: v.range.start,
            // An empty string still has a token: its closing quote.
            end: v.range.end.max(v.range.start + 1),
            logprob,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_found_with_their_keys_and_keys_are_not_values() {
        let t = r#"{"verdicts": [{"id": "F1", "verdict": "rejected"}, {"id": "F2", "verdict": "confirmed"}], "n": 12, "s": "a\"b"}"#;
        let v = value_spans(t);
        let shown: Vec<(Option<&str>, &str)> = v
            .iter()
            .map(|v| (v.key.as_deref(), &t[v.range.clone()]))
            .collect();
        assert_eq!(
            shown,
            vec![
                (Some("id"), "F1"),
                (Some("verdict"), "rejected"),
                (Some("id"), "F2"),
                (Some("verdict"), "confirmed"),
                (Some("n"), "12"),
                (Some("s"), "a\\\"b"),
            ]
        );
    }

    #[test]
    fn the_token_that_wrote_a_byte_gives_its_probability() {
        let toks = [
            SampledToken {
                start: 3,
                end: 7,
                logprob: -0.5,
            },
            SampledToken {
                start: 9,
                end: 10,
                logprob: -0.1,
            },
        ];
        assert_eq!(logprob_at(&toks, 3), Some(-0.5));
        assert_eq!(logprob_at(&toks, 6), Some(-0.5));
        assert_eq!(logprob_at(&toks, 7), None, "forced byte");
        assert_eq!(logprob_at(&toks, 9), Some(-0.1));
        let scripted = tokens_for_values(r#"{"a": "xy", "b": ""}"#, &[-1.0, -2.0]);
        assert_eq!(scripted.len(), 2);
        assert_eq!(logprob_at(&scripted, 7), Some(-1.0));
    }

    #[test]
    fn broken_text_does_not_panic() {
        for t in [
            "",
            "\"",
            "{\"a",
            "[1,",
            "{\"a\": \"\\",
            "}}]]",
            "{\"k\":\"\\u00",
        ] {
            let _ = value_spans(t);
        }
    }
}
