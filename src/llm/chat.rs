//! Chat prompts: the model's own Jinja chat template (`tokenizer.chat_template`) rendered with
//! minijinja, with the Python string methods templates use (`.strip()`, `.startswith()`) and the
//! `raise_exception` helper Hugging Face templates call to reject bad conversations.
//!
//! There are no hand-written per-model formats: a model without a template needs one given by
//! the caller (`--chat-template FILE`).

use std::path::Path;

use candle_core::quantized::gguf_file::Content;
use minijinja::{context, Environment, Error, ErrorKind};
use serde::{Deserialize, Serialize};

use crate::llm::error::LlmError;

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One message of a conversation, as chat templates expect it (`{role, content}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        ChatMessage {
            role: Role::System,
            content: content.into(),
        }
    }
    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        ChatMessage {
            role: Role::User,
            content: content.into(),
        }
    }
    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        ChatMessage {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// A point in a chat prompt where a reusable prefix ends: after the first `byte` bytes of the
/// content of message `message`. The runtime tokenizes the prompt piece by piece between its
/// breaks and forwards no batch across one, so a later prompt that shares the text up to a
/// break reuses the model's cache up to it exactly (see [`crate::llm::Runtime`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptBreak {
    pub message: usize,
    pub byte: usize,
}

const TEMPLATE_NAME: &str = "chat";

/// A compiled chat template with the special-token strings it may refer to.
pub struct ChatTemplate {
    env: Environment<'static>,
    origin: String,
    bos_token: String,
    eos_token: String,
}

impl std::fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTemplate")
            .field("origin", &self.origin)
            .finish()
    }
}

impl ChatTemplate {
    /// Compiles `source`. `origin` names where it came from (a file, or a model's metadata) and
    /// appears in every error.
    pub fn new(
        source: &str,
        origin: impl Into<String>,
        bos_token: &str,
        eos_token: &str,
    ) -> Result<Self, LlmError> {
        let origin = origin.into();
        let mut env = Environment::new();
        // Hugging Face renders chat templates with trim_blocks and lstrip_blocks.
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function(
            "raise_exception",
            |message: String| -> Result<String, Error> {
                Err(Error::new(ErrorKind::InvalidOperation, message))
            },
        );
        env.add_function("strftime_now", |_format: String| -> String {
            // Output must be deterministic; templates use this for a "today is" line.
            String::new()
        });
        env.add_template_owned(TEMPLATE_NAME, source.to_string())
            .map_err(|e| LlmError::Template {
                origin: origin.clone(),
                message: describe(&e),
            })?;
        Ok(ChatTemplate {
            env,
            origin,
            bos_token: bos_token.to_string(),
            eos_token: eos_token.to_string(),
        })
    }

    /// The template for a model: `override_file` when given, else the GGUF's
    /// `tokenizer.chat_template`, else [`LlmError::NoChatTemplate`].
    pub fn for_model(
        content: &Content,
        model_path: &Path,
        override_file: Option<&Path>,
        bos_token: &str,
        eos_token: &str,
    ) -> Result<Self, LlmError> {
        if let Some(file) = override_file {
            let source = std::fs::read_to_string(file).map_err(|source| LlmError::Io {
                path: file.to_path_buf(),
                source,
            })?;
            return Self::new(&source, file.display().to_string(), bos_token, eos_token);
        }
        match content.metadata.get("tokenizer.chat_template") {
            None => Err(LlmError::NoChatTemplate {
                path: model_path.to_path_buf(),
            }),
            Some(v) => {
                let source = v.to_string().map_err(|_| LlmError::Metadata {
                    path: model_path.to_path_buf(),
                    message: "`tokenizer.chat_template` is not a string".into(),
                })?;
                Self::new(
                    source,
                    format!("of {}", model_path.display()),
                    bos_token,
                    eos_token,
                )
            }
        }
    }

    /// Renders `messages`; with `add_generation_prompt` the text ends where the assistant's
    /// reply begins.
    pub fn render(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
    ) -> Result<String, LlmError> {
        let tmpl = self
            .env
            .get_template(TEMPLATE_NAME)
            .map_err(|e| LlmError::Template {
                origin: self.origin.clone(),
                message: describe(&e),
            })?;
        tmpl.render(context! {
            messages => messages,
            add_generation_prompt => add_generation_prompt,
            bos_token => self.bos_token,
            eos_token => self.eos_token,
        })
        .map_err(|e| LlmError::Template {
            origin: self.origin.clone(),
            message: describe(&e),
        })
    }

    /// Where the template came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

/// The error with its causes and, for template errors, the line it happened on.
fn describe(e: &Error) -> String {
    let mut msg = match e.kind() {
        ErrorKind::InvalidOperation => e
            .detail()
            .map(str::to_string)
            .unwrap_or_else(|| e.to_string()),
        _ => e.to_string(),
    };
    if let Some(line) = e.line() {
        if !msg.contains("line") {
            msg.push_str(&format!(" (template line {line})"));
        }
    }
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHATML: &str = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content | trim }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    #[test]
    fn renders_messages_and_generation_prompt() {
        let t = ChatTemplate::new(CHATML, "test", "<s>", "</s>").unwrap();
        let out = t
            .render(
                &[ChatMessage::system("sys"), ChatMessage::user(" hi ")],
                true,
            )
            .unwrap();
        assert_eq!(out, "<|im_start|>system\nsys<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
        let out = t.render(&[ChatMessage::user("x")], false).unwrap();
        assert!(!out.ends_with("assistant\n"));
    }

    #[test]
    fn python_string_methods_work() {
        let t = ChatTemplate::new(
            "{{ messages[0].content.strip() }}|{{ messages[0].content.startswith(' a') }}",
            "t",
            "",
            "",
        )
        .unwrap();
        assert_eq!(
            t.render(&[ChatMessage::user(" ab ")], false).unwrap(),
            "ab|True"
        );
    }

    #[test]
    fn raise_exception_surfaces_the_template_message() {
        let src = "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}ok";
        let t = ChatTemplate::new(src, "strict.jinja", "", "").unwrap();
        let err = t.render(&[ChatMessage::system("s")], true).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("strict.jinja") && text.contains("System role not supported"),
            "{text}"
        );
        assert_eq!(t.render(&[ChatMessage::user("u")], true).unwrap(), "ok");
    }

    #[test]
    fn syntax_errors_name_the_origin() {
        let err = ChatTemplate::new("{% for %}", "broken.jinja", "", "").unwrap_err();
        assert!(matches!(err, LlmError::Template { ref origin, .. } if origin == "broken.jinja"));
    }

    #[test]
    fn bos_token_is_available() {
        let t = ChatTemplate::new(
            "{{ bos_token }}{{ messages[0]['content'] }}{{ eos_token }}",
            "t",
            "<bos>",
            "<eos>",
        )
        .unwrap();
        assert_eq!(
            t.render(&[ChatMessage::user("x")], false).unwrap(),
            "<bos>x<eos>"
        );
    }
}
