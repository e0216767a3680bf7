//! Asking the model one question, through the result cache, with every outcome accounted for.
//!
//! [`Asker::ask`] is the only way a stage reaches the backend. It lays the question out
//! ([`super::layout::request`]), answers it from the cache when it can, and records one
//! [`CallRecord`] whatever happens: parsed, cached, cut off (repeated, capped), not of the
//! expected shape, or failed. Discarded answers are counted, not printed: the record keeps a
//! one-line detail that `--verbose` shows.

use serde::de::DeserializeOwned;

use super::backend::{Backend, BackendError, CompletionResponse, Degeneration, Usage};
use super::cache::Cache;
use super::layout::{request, FileView, Question, RunPrefix};
use super::stats::{CallOutcome, CallRecord, StageStats};
use super::PipelineError;

/// A stage's usable answer: the value and the response it came from (for log-probabilities).
#[derive(Debug, Clone)]
pub struct Answer<T> {
    pub value: T,
    pub response: CompletionResponse,
}

/// Everything a stage needs to ask questions about one file.
pub struct Asker<'a> {
    pub backend: &'a mut dyn Backend,
    pub cache: &'a mut Cache,
    pub stats: &'a mut StageStats,
    pub run: &'a RunPrefix,
}

impl Asker<'_> {
    /// Asks `question` about `view` and parses the answer as `T`.
    ///
    /// Errors: [`PipelineError::Discarded`] when the answer was cut off or not of `T`'s
    /// shape (counted; stages carry on quietly), [`PipelineError::Backend`] when the backend
    /// failed (worth a diagnostic).
    pub fn ask<T: DeserializeOwned>(
        &mut self,
        view: &FileView,
        question: Question,
    ) -> Result<Answer<T>, PipelineError> {
        let stage = question.stage;
        let req = request(self.run, view, question);
        let key = self.cache.is_enabled().then(|| {
            self.cache
                .key("llm", &[&serde_json::to_vec(&req).unwrap_or_default()])
        });
        if let Some(hit) = key
            .as_ref()
            .and_then(|k| self.cache.get::<CompletionResponse>("llm", k))
        {
            if let Ok(value) = serde_json::from_value::<T>(hit.value.clone()) {
                self.stats.record(CallRecord::new(
                    stage,
                    CallOutcome::Cached,
                    &Usage::default(),
                ));
                return Ok(Answer {
                    value,
                    response: hit,
                });
            }
        }
        let label = view.label.as_str();
        let discard = |stats: &mut StageStats, outcome, usage: &Usage, detail: String| {
            let mut rec = CallRecord::new(stage, outcome, usage);
            rec.detail = Some(format!("{label}: {detail}"));
            stats.record(rec);
            PipelineError::Discarded {
                stage: stage.as_str(),
                outcome,
                detail,
            }
        };
        match self.backend.complete(&req) {
            Ok(resp) => match serde_json::from_value::<T>(resp.value.clone()) {
                Ok(value) => {
                    self.stats
                        .record(CallRecord::new(stage, CallOutcome::Parsed, &resp.usage));
                    if let Some(k) = &key {
                        self.cache.put("llm", k, &resp);
                    }
                    Ok(Answer {
                        value,
                        response: resp,
                    })
                }
                Err(e) => Err(discard(
                    self.stats,
                    CallOutcome::Invalid,
                    &resp.usage,
                    format!("{e}; answer begins {}", preview(&resp.text)),
                )),
            },
            Err(BackendError::Degenerate { kind, usage, text }) => {
                let outcome = match kind {
                    Degeneration::Repeated => CallOutcome::Repeated,
                    Degeneration::Capped => CallOutcome::Capped,
                };
                Err(discard(
                    self.stats,
                    outcome,
                    &usage,
                    format!(
                        "{} after {} tokens; answer begins {}",
                        kind.as_str(),
                        usage.completion_tokens,
                        preview(&text)
                    ),
                ))
            }
            Err(BackendError::Schema(message)) => Err(discard(
                self.stats,
                CallOutcome::Invalid,
                &Usage::default(),
                message,
            )),
            Err(source) => {
                let mut rec = CallRecord::new(stage, CallOutcome::Error, &Usage::default());
                rec.detail = Some(format!("{label}: {source}"));
                self.stats.record(rec);
                Err(PipelineError::Backend {
                    stage: stage.as_str(),
                    source,
                })
            }
        }
    }
}

/// The first 80 characters of an answer, quoted.
fn preview(text: &str) -> String {
    let cut: String = text.chars().take(80).collect();
    if cut.len() < text.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::backend::{ScriptedBackend, Stage};
    use serde_json::json;

    #[derive(Debug, serde::Deserialize)]
    struct Yes {
        ok: bool,
    }

    fn question() -> Question {
        Question {
            stage: Stage::Analyzer,
            text: "Q?".into(),
            schema: json!({}),
            max_tokens: 16,
            temperature: 0.0,
            seed: 0,
            repeat_ngram: 0,
        }
    }

    #[test]
    fn every_outcome_is_recorded_once() {
        let catalog = crate::rules::Catalog::embedded().unwrap();
        let run = RunPrefix::new(&catalog);
        let view = FileView::whole("a.py", "x = 1\n");
        let mut b = ScriptedBackend::new();
        b.push(Stage::Analyzer, json!({"ok": true}))
            .push(Stage::Analyzer, json!({"nope": 1}))
            .push_error(
                Stage::Analyzer,
                BackendError::Degenerate {
                    kind: Degeneration::Repeated,
                    usage: Usage {
                        prompt_tokens: 50,
                        cached_prompt_tokens: 40,
                        completion_tokens: 30,
                        elapsed_ms: 2.0,
                    },
                    text: "{\"issues\": [{\"a\": 1}, {\"a\": 1}, {\"a\"".into(),
                },
            )
            .push_error(Stage::Analyzer, BackendError::Model("oom".into()));
        let mut cache = Cache::disabled();
        let mut stats = StageStats::default();
        let mut asker = Asker {
            backend: &mut b,
            cache: &mut cache,
            stats: &mut stats,
            run: &run,
        };
        assert!(asker.ask::<Yes>(&view, question()).unwrap().value.ok);
        assert!(matches!(
            asker.ask::<Yes>(&view, question()),
            Err(PipelineError::Discarded {
                outcome: CallOutcome::Invalid,
                ..
            })
        ));
        assert!(matches!(
            asker.ask::<Yes>(&view, question()),
            Err(PipelineError::Discarded {
                outcome: CallOutcome::Repeated,
                ..
            })
        ));
        assert!(matches!(
            asker.ask::<Yes>(&view, question()),
            Err(PipelineError::Backend { .. })
        ));
        assert_eq!(stats.model_calls, 4);
        assert_eq!(stats.failed_calls, 3);
        assert_eq!(
            stats.completion_tokens,
            stats
                .calls
                .iter()
                .map(|c| c.completion_tokens)
                .sum::<usize>()
        );
        assert!(stats.calls[2]
            .detail
            .as_deref()
            .unwrap()
            .starts_with("a.py: repeated after 30 tokens"));
        assert_eq!(
            stats.failure_summary(),
            vec![
                "3 analyzer answers discarded: 1 repeated, 1 not the expected shape, 1 failed"
                    .to_string()
            ]
        );
    }
}
