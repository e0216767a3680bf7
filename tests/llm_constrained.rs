//! Constrained JSON generation against fake models whose logits fight the grammar (always
//! preferring end-of-turn, an invalid token, or random tokens). Whatever the model wants, the
//! output must parse into the schema's type and honour its bounds. Uses SmolLM2's real tokenizer
//! (from its GGUF metadata); no weights are run.
mod llm_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use pyward::llm::model::{CausalLm, ModelError};
use pyward::llm::{ChatMessage, GenOptions, LlmError, PromptBreak, Runtime, RuntimeOptions};
use schemars::JsonSchema;
use serde::Deserialize;

const VOCAB: usize = 49152;

/// What the fake model wants to say.
#[derive(Clone, Copy)]
enum Wants {
    /// End of turn (`<|im_end|>`) above everything, the rest flat.
    EndOfTurn,
    /// `<|endoftext|>` (never valid inside JSON) above everything, the rest pseudo-random.
    Invalid,
    /// Pseudo-random logits that depend on the whole token history.
    Random,
    /// `,` and `{` above everything: tries to make arrays and strings go on forever.
    MoreItems,
    /// Token `.0` after anything but `.0`, then `.1`: a loop of two tokens, as a small model
    /// that has lost its way writes the same words again and again.
    Alternate(u32, u32),
}

struct FakeModel {
    wants: Wants,
    cache: Vec<u32>,
    context: usize,
    forwarded: Arc<AtomicUsize>,
}

impl FakeModel {
    fn boxed(wants: Wants, context: usize) -> (Box<dyn CausalLm>, Arc<AtomicUsize>) {
        let forwarded = Arc::new(AtomicUsize::new(0));
        (
            Box::new(FakeModel {
                wants,
                cache: Vec::new(),
                context,
                forwarded: forwarded.clone(),
            }),
            forwarded,
        )
    }
}

fn history_hash(tokens: &[u32]) -> u64 {
    tokens.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &t| {
        (h ^ u64::from(t)).wrapping_mul(0x100_0000_01b3)
    })
}

impl CausalLm for FakeModel {
    fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ModelError> {
        if self.cache.len() + tokens.len() > self.context {
            return Err(ModelError::Message("fake model: context exceeded".into()));
        }
        self.forwarded.fetch_add(tokens.len(), Ordering::SeqCst);
        self.cache.extend_from_slice(tokens);
        let mut state = history_hash(&self.cache) | 1;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32
        };
        let mut logits: Vec<f32> = match self.wants {
            Wants::EndOfTurn | Wants::Alternate(..) => vec![0.0; VOCAB],
            _ => (0..VOCAB).map(|_| next() * 8.0).collect(),
        };
        match self.wants {
            Wants::EndOfTurn => logits[2] = 50.0,
            Wants::Invalid => logits[0] = 50.0,
            Wants::Random => {}
            Wants::MoreItems => {
                logits[28] = 40.0; // ","
                logits[91] = 39.0; // "{"
            }
            Wants::Alternate(a, b) => {
                let next = if self.cache.last() == Some(&a) { b } else { a };
                logits[next as usize] = 50.0;
            }
        }
        Ok(logits)
    }
    fn cache_len(&self) -> usize {
        self.cache.len()
    }
    fn truncate_cache(&mut self, len: usize) {
        self.cache.truncate(len);
    }
    fn context_length(&self) -> usize {
        self.context
    }
    fn vocab_size(&self) -> usize {
        VOCAB
    }
}

#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Severity {
    Low,
    Medium,
    High,
}

#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
struct Finding {
    #[schemars(length(max = 12))]
    rule_id: String,
    #[schemars(range(min = 1, max = 2000))]
    cwe: u32,
    #[schemars(range(min = 1, max = 100000))]
    line: u32,
    #[schemars(length(max = 40))]
    explanation: String,
    severity: Severity,
}

#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
struct Report {
    #[schemars(length(max = 3))]
    findings: Vec<Finding>,
}

fn runtime(wants: Wants, context: usize) -> Option<(Runtime, Arc<AtomicUsize>)> {
    let path = llm_support::model_path(llm_support::SMOLLM2)?;
    let content = llm_support::metadata(&path);
    let (model, forwarded) = FakeModel::boxed(wants, context);
    Some((
        Runtime::from_parts(model, &content, &path, &RuntimeOptions::default()).unwrap(),
        forwarded,
    ))
}

fn messages(code: &str) -> Vec<ChatMessage> {
    vec![
        ChatMessage::system(
            "You are a security reviewer. Report findings as JSON. Each finding names the rule, the CWE, \
             the line and a short explanation, and has a severity of low, medium or high. Report only \
             real problems; an empty list is a fine answer for safe code. Quote nothing you did not see.",
        ),
        ChatMessage::user(format!("Review:\n{code}")),
    ]
}

fn check_bounds(r: &Report) {
    assert!(r.findings.len() <= 3, "{r:?}");
    for f in &r.findings {
        assert!(
            f.rule_id.chars().count() <= 12 && f.explanation.chars().count() <= 40,
            "{f:?}"
        );
        assert!(
            (1..=2000).contains(&f.cwe) && (1..=100000).contains(&f.line),
            "{f:?}"
        );
    }
}

#[test]
fn adversarial_models_still_produce_valid_json() {
    for wants in [
        Wants::EndOfTurn,
        Wants::Invalid,
        Wants::Random,
        Wants::MoreItems,
    ] {
        let Some((mut rt, _)) = runtime(wants, 8192) else {
            return;
        };
        for (i, code) in ["eval(input())", "os.system(cmd)", "pickle.loads(data)"]
            .iter()
            .enumerate()
        {
            let gen = GenOptions {
                max_tokens: 600,
                ..GenOptions::default()
            };
            let c = rt
                .complete_json::<Report>(&messages(code), &gen)
                .unwrap_or_else(|e| panic!("case {i}: {e}"));
            check_bounds(&c.value);
            eprintln!(
                "{} masks, {} forced: {}",
                c.masks_computed, c.forced_tokens, c.text
            );
            assert!(
                serde_json::from_str::<serde_json::Value>(&c.text)
                    .unwrap()
                    .is_object(),
                "{}",
                c.text
            );
            let n = c.token_logprobs.len() + c.forced_tokens;
            assert!(
                n == c.completion_tokens || n == c.completion_tokens + 1,
                "{n} vs {}",
                c.completion_tokens
            );
            assert!(
                c.token_logprobs.iter().all(|lp| *lp <= 0.0),
                "{:?}",
                c.token_logprobs
            );
            if matches!(wants, Wants::Invalid | Wants::EndOfTurn) {
                assert!(
                    c.masks_computed > 0,
                    "the grammar must have overridden the model"
                );
            }
        }
    }
}

#[test]
fn more_items_model_is_cut_at_max_items() {
    let Some((mut rt, _)) = runtime(Wants::MoreItems, 8192) else {
        return;
    };
    let schema = serde_json::json!({
        "type": "object",
        "properties": {"xs": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 9}, "maxItems": 4}},
        "required": ["xs"],
        "additionalProperties": false,
    });
    let c = rt
        .complete_json_value(
            &messages("x"),
            &schema,
            &GenOptions {
                max_tokens: 200,
                ..Default::default()
            },
        )
        .unwrap();
    let xs = c.value["xs"].as_array().unwrap();
    assert!(xs.len() <= 4, "{}", c.text);
}

#[test]
fn sampling_is_seeded() {
    let run = |seed| {
        let (mut rt, _) = runtime(Wants::Random, 8192).unwrap();
        let gen = GenOptions {
            max_tokens: 600,
            temperature: 1.0,
            top_p: 0.9,
            seed,
            ..GenOptions::default()
        };
        rt.complete_json::<Report>(&messages("a = 1"), &gen)
            .unwrap()
            .text
    };
    if llm_support::model_path(llm_support::SMOLLM2).is_none() {
        return;
    }
    assert_eq!(run(7), run(7));
}

#[test]
fn prefix_cache_reuses_the_shared_prompt_and_changes_nothing() {
    let Some((mut warm, forwarded)) = runtime(Wants::Random, 8192) else {
        return;
    };
    let gen = GenOptions {
        max_tokens: 600,
        ..Default::default()
    };
    // A prompt prefix longer than one prefill batch is shared by the two prompts.
    let shared = "total = total + 1\n".repeat(60);
    let code = |tail: &str| format!("{shared}{tail}");
    let first = warm
        .complete_json::<Report>(&messages(&code("eval(x)")), &gen)
        .unwrap();
    assert_eq!(first.cached_prompt_tokens, 0);
    let before = forwarded.load(Ordering::SeqCst);
    let second = warm
        .complete_json::<Report>(&messages(&code("exec(y)")), &gen)
        .unwrap();
    let forwarded_second = forwarded.load(Ordering::SeqCst) - before;
    assert!(
        second.cached_prompt_tokens >= pyward::llm::runtime::PREFILL_CHUNK,
        "the shared prefix should be cached: {}",
        second.cached_prompt_tokens
    );
    assert!(forwarded_second < second.prompt_tokens + second.completion_tokens);

    let (mut cold, _) = runtime(Wants::Random, 8192).unwrap();
    let cold_second = cold
        .complete_json::<Report>(&messages(&code("exec(y)")), &gen)
        .unwrap();
    assert_eq!(cold_second.cached_prompt_tokens, 0);
    assert_eq!(second.text, cold_second.text);
    assert_eq!(second.value, cold_second.value);

    // The very same prompt again: all but its last prefill batch comes from the cache.
    let again = cold
        .complete_json::<Report>(&messages(&code("exec(y)")), &gen)
        .unwrap();
    let chunk = pyward::llm::runtime::PREFILL_CHUNK;
    let recomputed = again.prompt_tokens - again.cached_prompt_tokens;
    assert!(
        (1..=chunk).contains(&recomputed),
        "{recomputed} tokens recomputed"
    );
    assert_eq!(again.text, cold_second.text);
}

/// A run prefix (system), a file prefix and a question, with breaks after each prefix.
fn layout(file: &str, question: &str) -> (Vec<ChatMessage>, Vec<PromptBreak>) {
    let system = "You are a security reviewer. Report findings as JSON. ".repeat(6);
    let file = format!("File `a.py`:\n```python\n{file}\n```");
    let user = format!("{file}\n\n{question}");
    let breaks = vec![
        PromptBreak {
            message: 0,
            byte: system.len(),
        },
        PromptBreak {
            message: 1,
            byte: file.len(),
        },
    ];
    (
        vec![ChatMessage::system(system), ChatMessage::user(user)],
        breaks,
    )
}

#[test]
fn segmented_prompts_reuse_the_file_prefix_exactly() {
    let Some((mut warm, forwarded)) = runtime(Wants::Random, 8192) else {
        return;
    };
    let schema = serde_json::to_value(schemars::schema_for!(Report)).unwrap();
    let gen = GenOptions {
        max_tokens: 600,
        ..Default::default()
    };
    let code = "import os\n".to_string() + &"os.system(cmd)\n".repeat(30);
    let (m1, b1) = layout(&code, "Task one: what do you see?");
    let (m2, b2) = layout(&code, "Task two: anything else?");
    let first = warm.complete_prompt(&m1, &b1, &schema, &gen).unwrap();
    assert_eq!(first.cached_prompt_tokens, 0);
    let before = forwarded.load(Ordering::SeqCst);
    let second = warm.complete_prompt(&m2, &b2, &schema, &gen).unwrap();
    let forwarded_second = forwarded.load(Ordering::SeqCst) - before;
    // Everything up to the end of the file is reused: only the question (and the answer) is
    // forwarded, far less than one prefill chunk past the file's end would cost without breaks.
    let question_tokens = second.prompt_tokens - second.cached_prompt_tokens;
    assert!(
        question_tokens < 40,
        "{question_tokens} tokens forwarded for the question"
    );
    assert!(
        second.cached_prompt_tokens > 200,
        "{}",
        second.cached_prompt_tokens
    );
    assert!(
        (question_tokens..question_tokens + second.completion_tokens).contains(&forwarded_second),
        "{forwarded_second} forwarded"
    );
    // Exactly what a cold runtime computes.
    let (mut cold, _) = runtime(Wants::Random, 8192).unwrap();
    let cold_second = cold.complete_prompt(&m2, &b2, &schema, &gen).unwrap();
    assert_eq!(cold_second.cached_prompt_tokens, 0);
    assert_eq!(second.text, cold_second.text);
    // Another file: only the run prefix is reused.
    let (m3, b3) = layout("x = 1\n", "Task one: what do you see?");
    let third = warm.complete_prompt(&m3, &b3, &schema, &gen).unwrap();
    let (mut cold, _) = runtime(Wants::Random, 8192).unwrap();
    let system_tokens = cold
        .complete_prompt(&m3[..1], &[], &schema, &gen)
        .map(|c| c.prompt_tokens)
        .unwrap();
    assert!(third.cached_prompt_tokens > 0 && third.cached_prompt_tokens < system_tokens);
}

#[test]
fn a_generation_that_repeats_itself_stops_early_with_its_cost() {
    let Some(path) = llm_support::model_path(llm_support::SMOLLM2) else {
        return;
    };
    let content = llm_support::metadata(&path);
    let tok = pyward::llm::tokenizer::TextTokenizer::for_model(&content, &path).unwrap();
    let id = |s: &str| tok.token_to_id(s).unwrap_or_else(|| panic!("no token {s}"));
    let (model, _) = FakeModel::boxed(Wants::Alternate(id("over"), id("Ġagain")), 8192);
    let mut rt = Runtime::from_parts(model, &content, &path, &RuntimeOptions::default()).unwrap();
    let schema = serde_json::json!({
        "type": "object",
        "properties": {"text": {"type": "string", "maxLength": 2000}},
        "required": ["text"],
        "additionalProperties": false,
    });
    let gen = GenOptions {
        max_tokens: 300,
        repeat_ngram: 16,
        ..Default::default()
    };
    match rt
        .complete_json_value(&messages("x"), &schema, &gen)
        .unwrap_err()
    {
        LlmError::Repetition { ngram, text, usage } => {
            assert_eq!(ngram, 16);
            assert!(text.contains("over againover again"), "{text}");
            assert!(usage.completion_tokens < 40, "{usage:?}");
            assert!(usage.prompt_tokens > 0);
        }
        other => panic!("expected Repetition, got {other}"),
    }
    // Without the guard the same answer runs to the cap.
    let gen = GenOptions {
        repeat_ngram: 0,
        ..gen
    };
    match rt
        .complete_json_value(&messages("x"), &schema, &gen)
        .unwrap_err()
    {
        LlmError::MaxTokens { usage, .. } => assert_eq!(usage.completion_tokens, 300),
        other => panic!("expected MaxTokens, got {other}"),
    }
}

#[test]
fn context_overflow_is_typed_and_costs_nothing() {
    let Some((mut rt, forwarded)) = runtime(Wants::Random, 64) else {
        return;
    };
    let err = rt
        .complete_json::<Report>(&messages(&"x = 1\n".repeat(50)), &GenOptions::default())
        .unwrap_err();
    match err {
        LlmError::ContextOverflow {
            prompt_tokens,
            context,
        } => {
            assert_eq!(context, 64);
            assert!(prompt_tokens > 64);
        }
        other => panic!("expected ContextOverflow, got {other}"),
    }
    assert_eq!(forwarded.load(Ordering::SeqCst), 0);
}

#[test]
fn max_tokens_cap_is_a_typed_error_with_the_text() {
    let Some((mut rt, _)) = runtime(Wants::Random, 8192) else {
        return;
    };
    let err = rt
        .complete_json::<Report>(
            &messages("x"),
            &GenOptions {
                max_tokens: 4,
                ..Default::default()
            },
        )
        .unwrap_err();
    match err {
        LlmError::MaxTokens {
            max_tokens,
            text,
            usage,
        } => {
            assert_eq!(max_tokens, 4);
            assert!(text.starts_with('{'), "{text}");
            assert_eq!(
                usage.completion_tokens, 4,
                "the discarded tokens are counted"
            );
            assert!(usage.prompt_tokens > 0);
        }
        other => panic!("expected MaxTokens, got {other}"),
    }
    // The runtime stays usable and its cache consistent after the error.
    rt.complete_json::<Report>(
        &messages("x"),
        &GenOptions {
            max_tokens: 600,
            ..Default::default()
        },
    )
    .unwrap();
}
