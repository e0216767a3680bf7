//! The runtime on real weights (SmolLM2-135M, Gemma-3-270M). Slow on CPU: run with
//! `CANDLE_NUM_THREADS=1 cargo test --test llm_runtime_models -- --test-threads=1 --nocapture`
//! (prints the measured mask and time-to-first-token numbers).
mod llm_support;

use std::path::Path;

use pyward::llm::{ChatMessage, GenOptions, LlmError, Runtime, RuntimeOptions};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Finding {
    /// Rule identifier such as PW101.
    #[schemars(length(min = 1, max = 16))]
    rule_id: String,
    /// CWE number.
    #[schemars(range(min = 1, max = 2000))]
    cwe: u32,
    #[schemars(range(min = 1, max = 10000))]
    line_start: u32,
    #[schemars(range(min = 1, max = 10000))]
    line_end: u32,
    /// The offending code, quoted.
    #[schemars(length(max = 80))]
    quote: String,
    #[schemars(length(max = 120))]
    explanation: String,
    severity: Severity,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Review {
    #[schemars(length(max = 3))]
    findings: Vec<Finding>,
}

const SYSTEM: &str = "You are a security reviewer for Python code. Report each vulnerability as a finding \
with the rule id, the CWE number, the line range, the exact code quoted, a one-sentence explanation and \
a severity. Rules: PW101 command injection via os.system or subprocess with shell=True (CWE-78); PW102 \
eval or exec of untrusted input (CWE-95); PW103 SQL built by string formatting (CWE-89); PW104 pickle or \
yaml.load on untrusted data (CWE-502); PW105 hard-coded secrets (CWE-798). Report nothing for safe code.";

/// Ten prompts: each rule family, safe code, non-ASCII text, a class, a safe call that looks
/// like a sink. (CI time: each costs a few seconds of one-thread decoding.)
const SNIPPETS: [&str; 10] = [
    "import os\ndef run(cmd):\n    os.system(cmd)\n",
    "def calc(expr):\n    return eval(expr)\n",
    "def get(db, name):\n    return db.execute(f\"SELECT * FROM users WHERE name = '{name}'\")\n",
    "import pickle\ndef load(blob):\n    return pickle.loads(blob)\n",
    "API_KEY = \"sk-live-1234567890abcdef\"\n",
    "def add(a, b):\n    return a + b\n",
    "print('héllo wörld ✓')\nfor i in range(10):\n    print(i * 2)\n",
    "q = 'SELECT id FROM items WHERE owner = ' + owner\nrows = conn.execute(q)\n",
    "class A:\n    def __init__(self):\n        self.token = 'ghp_abcdefghijklmnop'\n",
    "import shlex, subprocess\nsubprocess.run(['ls', shlex.quote(d)])\n",
];

fn messages(code: &str) -> Vec<ChatMessage> {
    vec![
        ChatMessage::system(SYSTEM),
        ChatMessage::user(format!("File app.py:\n```python\n{code}```")),
    ]
}

fn opts() -> RuntimeOptions {
    RuntimeOptions {
        threads: Some(1),
        ..RuntimeOptions::default()
    }
}

fn load(path: &Path, opts: &RuntimeOptions) -> Runtime {
    Runtime::load(path, opts).unwrap_or_else(|e| panic!("{e}"))
}

/// Budgets of 800 tokens: the schema's worst case (three findings whose strings are filled to
/// their maxLength one character per token) is about 3 × 240 tokens.
fn greedy(max_tokens: usize) -> GenOptions {
    GenOptions {
        max_tokens,
        ..GenOptions::default()
    }
}

#[test]
fn smollm2_prompts_parse_validate_and_are_deterministic() {
    let Some(path) = llm_support::model_path(llm_support::SMOLLM2) else {
        return;
    };
    let mut rt = load(&path, &opts());
    let info = rt.model_info();
    assert_eq!(info.arch, "llama");
    assert!(info.quant.contains("Q4_1"), "{}", info.quant);

    let (mut tokens, mut masks, mut mask_ms, mut decode_ms) = (0usize, 0usize, 0f64, 0f64);
    let mut first_run = Vec::new();
    for (i, code) in SNIPPETS.iter().enumerate() {
        let c = rt
            .complete_json::<Review>(&messages(code), &greedy(800))
            .unwrap_or_else(|e| panic!("snippet {i}: {e}"));
        assert!(c.value.findings.len() <= 3);
        for f in &c.value.findings {
            assert!(
                (1..=16).contains(&f.rule_id.chars().count()) && f.quote.chars().count() <= 80,
                "{f:?}"
            );
            assert!(
                f.explanation.chars().count() <= 120 && (1..=2000).contains(&f.cwe),
                "{f:?}"
            );
        }
        if i > 0 {
            assert!(
                c.cached_prompt_tokens > 100,
                "system prompt should come from the cache"
            );
        }
        tokens += c.completion_tokens;
        masks += c.masks_computed;
        mask_ms += c.mask_ms;
        decode_ms += c.decode_ms;
        first_run.push(c.text);
    }
    eprintln!(
        "smollm2: {} prompts, {tokens} tokens, decode {:.1} ms/token, full mask needed on {masks} tokens \
         ({:.1}%), {:.3} ms per mask, mask time {:.2}% of decode",
        SNIPPETS.len(),
        decode_ms / tokens as f64,
        100.0 * masks as f64 / tokens as f64,
        mask_ms / masks.max(1) as f64,
        100.0 * mask_ms / decode_ms
    );

    // Greedy decoding is deterministic: a second pass (cache now warm, different order of
    // cached prefixes) gives the very same texts.
    for (i, code) in SNIPPETS.iter().enumerate().take(3) {
        let c = rt
            .complete_json::<Review>(&messages(code), &greedy(800))
            .unwrap();
        assert_eq!(c.text, first_run[i], "snippet {i}");
    }
}

#[test]
fn smollm2_prefix_cache_matches_cold_and_is_faster() {
    let Some(path) = llm_support::model_path(llm_support::SMOLLM2) else {
        return;
    };
    let mut warm = load(&path, &opts());
    let a = warm
        .complete_json::<Review>(&messages(SNIPPETS[0]), &greedy(800))
        .unwrap();
    let b = warm
        .complete_json::<Review>(&messages(SNIPPETS[1]), &greedy(800))
        .unwrap();
    assert_eq!(a.cached_prompt_tokens, 0);
    assert!(b.cached_prompt_tokens > 100, "{}", b.cached_prompt_tokens);

    let mut cold = load(&path, &opts());
    let b_cold = cold
        .complete_json::<Review>(&messages(SNIPPETS[1]), &greedy(800))
        .unwrap();
    assert_eq!(b_cold.cached_prompt_tokens, 0);
    assert_eq!(b.text, b_cold.text);
    eprintln!(
        "smollm2 time to first token: cold {:.0} ms ({} prompt tokens), warm {:.0} ms ({} of {} cached)",
        b_cold.prefill_ms, b_cold.prompt_tokens, b.prefill_ms, b.cached_prompt_tokens, b.prompt_tokens
    );
    assert!(b.prefill_ms < b_cold.prefill_ms);
}

#[test]
fn smollm2_context_overflow_is_typed() {
    let Some(path) = llm_support::model_path(llm_support::SMOLLM2) else {
        return;
    };
    let mut rt = load(&path, &opts());
    let huge = "x = 1\n".repeat(5000);
    let err = rt
        .complete_json::<Review>(&messages(&huge), &greedy(200))
        .unwrap_err();
    match err {
        LlmError::ContextOverflow {
            prompt_tokens,
            context,
        } => {
            assert_eq!(context, rt.context_length());
            assert!(prompt_tokens + 200 > context);
        }
        other => panic!("expected ContextOverflow, got {other}"),
    }
}

#[test]
fn gemma3_with_a_template_file_renders_and_generates() {
    let Some(path) = llm_support::model_path(llm_support::GEMMA3) else {
        return;
    };
    let err = Runtime::load(&path, &opts()).unwrap_err();
    assert!(matches!(err, LlmError::NoChatTemplate { .. }), "{err}");

    let template =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/llm/gemma3-chat.jinja");
    let mut rt = load(
        &path,
        &RuntimeOptions {
            chat_template: Some(template),
            ..opts()
        },
    );
    let prompt = rt.render_prompt(&messages(SNIPPETS[1])).unwrap();
    assert!(
        prompt.starts_with("<bos><start_of_turn>user\nYou are a security reviewer"),
        "{prompt}"
    );
    let ids = rt.prompt_ids(&messages(SNIPPETS[1])).unwrap();
    assert_eq!(ids[0], 2, "one BOS");
    assert_ne!(ids[1], 2);
    let c = rt
        .complete_json::<Review>(&messages(SNIPPETS[1]), &greedy(800))
        .unwrap();
    eprintln!("gemma3: {} tokens: {}", c.completion_tokens, c.text);
    // Greedy decoding from a cold cache is deterministic. (Warm-vs-cold is not compared here:
    // on Gemma 3 the model's logits still depend slightly on how the prompt is batched.)
    rt.reset_cache();
    let again = rt
        .complete_json::<Review>(&messages(SNIPPETS[1]), &greedy(800))
        .unwrap();
    assert_eq!(again.cached_prompt_tokens, 0);
    assert_eq!(c.text, again.text);
}
