//! The tokenizer rebuilt from real GGUF metadata (SmolLM2: gpt2/smollm BPE; Gemma 3:
//! sentencepiece) against ids from an independent implementation, and round trips.
mod llm_support;

use pyward::llm::tokenizer::TextTokenizer;
use pyward::llm::{ChatMessage, ChatTemplate, LlmError};

fn expected(model: &str) -> Vec<(String, Vec<u32>)> {
    // Made by tests/fixtures/llm/tokenizer_reference.py (transformers' GGUF converter + Python tokenizers).
    let text = include_str!("fixtures/llm/tokenizer-expected.json");
    let all: serde_json::Value = serde_json::from_str(text).unwrap();
    serde_json::from_value(all[model].clone()).unwrap()
}

const ROUND_TRIPS: &[&str] = &[
    "def f(x):\n    return x ** 2  # ünïcödé ✓ 🐍\n",
    "\t\tif a<=b and c != 'd':\n\n\n        pass\r\n",
    "n = 1234567890 + 0x1F - 3.0e-5\n",
    "   spaces   everywhere   ",
    "SELECT * FROM users WHERE id = '\" + user_id + \"'",
    "日本語のテキストと中文",
    "",
];

fn smollm2() -> Option<TextTokenizer> {
    let path = llm_support::model_path(llm_support::SMOLLM2)?;
    Some(TextTokenizer::from_gguf(&llm_support::metadata(&path), &path).unwrap())
}

fn gemma3() -> Option<TextTokenizer> {
    let path = llm_support::model_path(llm_support::GEMMA3)?;
    Some(TextTokenizer::from_gguf(&llm_support::metadata(&path), &path).unwrap())
}

fn check_expected(tok: &TextTokenizer, model: &str) {
    for (text, ids) in expected(model) {
        assert_eq!(tok.encode(&text).unwrap(), ids, "{model}: {text:?}");
    }
}

fn check_round_trips(tok: &TextTokenizer) {
    for text in ROUND_TRIPS {
        let ids = tok.encode(text).unwrap();
        assert_eq!(&tok.decode(&ids).unwrap(), text);
    }
}

#[test]
fn smollm2_ids_match_the_reference() {
    let Some(tok) = smollm2() else { return };
    check_expected(&tok, "smol");
}

#[test]
fn smollm2_round_trips_and_special_ids() {
    let Some(tok) = smollm2() else { return };
    check_round_trips(&tok);
    assert_eq!(tok.bos_id(), Some(1));
    assert_eq!(tok.eos_id(), Some(2));
    assert_eq!(tok.eot_id(), tok.token_to_id("<|im_end|>"));
    assert!(!tok.adds_bos());
    // Digits are split one per token.
    assert_eq!(tok.encode("2024").unwrap().len(), 4);
    // Special tokens are skipped when decoding.
    let ids = tok.encode("<|im_start|>user\nhi<|im_end|>").unwrap();
    assert_eq!(tok.decode(&ids).unwrap(), "user\nhi");
}

#[test]
fn gemma3_ids_match_the_reference() {
    let Some(tok) = gemma3() else { return };
    check_expected(&tok, "gemma");
}

#[test]
fn gemma3_round_trips_and_special_ids() {
    let Some(tok) = gemma3() else { return };
    check_round_trips(&tok);
    assert_eq!(tok.bos_id(), Some(2));
    assert_eq!(tok.eos_id(), Some(1));
    assert_eq!(tok.eot_id(), tok.token_to_id("<end_of_turn>"));
    assert!(tok.adds_bos());
    let ids = tok.encode_prompt("<bos>hi").unwrap();
    assert_eq!(
        ids.iter().filter(|&&i| i == 2).count(),
        1,
        "BOS must not be doubled: {ids:?}"
    );
    assert_eq!(tok.encode_prompt("hi").unwrap()[0], 2);
}

#[test]
fn smollm2_chat_template_renders_chatml() {
    let Some(path) = llm_support::model_path(llm_support::SMOLLM2) else {
        return;
    };
    let content = llm_support::metadata(&path);
    let t = ChatTemplate::for_model(&content, &path, None, "<|im_start|>", "<|im_end|>").unwrap();
    let out = t
        .render(
            &[ChatMessage::system("Be terse."), ChatMessage::user("Hi")],
            true,
        )
        .unwrap();
    assert_eq!(out, "<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    // Without a system message the template adds its own default one.
    let out = t.render(&[ChatMessage::user("Hi")], true).unwrap();
    assert!(
        out.starts_with("<|im_start|>system\n") && out.contains("<|im_start|>user\nHi<|im_end|>"),
        "{out}"
    );
}

#[test]
fn gemma3_gguf_has_no_template_and_says_so() {
    let Some(path) = llm_support::model_path(llm_support::GEMMA3) else {
        return;
    };
    let content = llm_support::metadata(&path);
    let err = ChatTemplate::for_model(&content, &path, None, "<bos>", "<eos>").unwrap_err();
    assert!(matches!(err, LlmError::NoChatTemplate { .. }));
    assert!(err.to_string().contains("--chat-template"), "{err}");
}

#[test]
fn gemma3_template_file_folds_system_into_the_first_user_turn() {
    let Some(path) = llm_support::model_path(llm_support::GEMMA3) else {
        return;
    };
    let content = llm_support::metadata(&path);
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/llm/gemma3-chat.jinja");
    let t = ChatTemplate::for_model(&content, &path, Some(&file), "<bos>", "<eos>").unwrap();
    let out = t
        .render(
            &[ChatMessage::system("Be terse."), ChatMessage::user("Hi")],
            true,
        )
        .unwrap();
    assert_eq!(
        out,
        "<bos><start_of_turn>user\nBe terse.\n\nHi<end_of_turn>\n<start_of_turn>model\n"
    );
    let err = t
        .render(&[ChatMessage::user("a"), ChatMessage::user("b")], true)
        .unwrap_err();
    assert!(err.to_string().contains("alternate"), "{err}");
}
