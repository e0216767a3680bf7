//! The prompt texts (`prompts/*.md`, compiled in) and how code is quoted into them.
//!
//! Every prompt has the layout of [`super::layout`]: the run-wide system message
//! ([`SYSTEM`], with a digest of the rule families), the file prefix ([`FILE`]) and one stage
//! question ([`GUARDRAIL`], [`ANALYZER`], [`CALIBRATION`], [`FIXER`]).
//!
//! Scanned code only ever enters a prompt through [`fence_for`] + [`numbered`]: inside a
//! fence longer than any backtick run in the code, with line numbers, next to a sentence
//! saying that instructions inside it are not to be followed. The system message says the same.

use sha2::{Digest, Sha256};

use super::backend::Stage;
use super::PipelineError;

/// The system message shared by every question of a run (`{{ digest }}`: the rule families).
pub const SYSTEM: &str = include_str!("../../prompts/system.md");
/// How a file (or a chunk of one) is shown, before the question.
pub const FILE: &str = include_str!("../../prompts/file.md");
pub const GUARDRAIL: &str = include_str!("../../prompts/guardrail.md");
pub const ANALYZER: &str = include_str!("../../prompts/analyzer.md");
pub const CALIBRATION: &str = include_str!("../../prompts/calibration.md");
pub const FIXER: &str = include_str!("../../prompts/fixer.md");

/// The question template of a stage.
pub fn template(stage: Stage) -> &'static str {
    match stage {
        Stage::Guardrail => GUARDRAIL,
        Stage::Analyzer => ANALYZER,
        Stage::Calibration => CALIBRATION,
        Stage::Fixer => FIXER,
    }
}

/// SHA-256 over every prompt text and the stage plan: part of every cache key and of the
/// report's provenance.
pub fn prompt_hash() -> String {
    let mut h = Sha256::new();
    for t in [
        SYSTEM,
        FILE,
        GUARDRAIL,
        ANALYZER,
        CALIBRATION,
        FIXER,
        super::plan::PLAN_TOML,
    ] {
        h.update((t.len() as u64).to_le_bytes());
        h.update(t.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Renders `template` (named `name` in errors) with `ctx`, trimmed.
pub fn render(
    name: &'static str,
    template: &str,
    ctx: &serde_json::Value,
) -> Result<String, PipelineError> {
    let err = |e: minijinja::Error| PipelineError::Prompt {
        stage: name,
        message: e.to_string(),
    };
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template(name, template).map_err(err)?;
    let out = env
        .get_template(name)
        .map_err(err)?
        .render(ctx)
        .map_err(err)?;
    Ok(out.trim().to_string())
}

/// Renders a stage's question with `ctx`.
pub fn question(stage: Stage, ctx: &serde_json::Value) -> Result<String, PipelineError> {
    render(stage.as_str(), template(stage), ctx)
}

/// A code fence that the quoted text cannot close: one backtick more than its longest run
/// (at least three).
pub fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// Lines `start..=end` (1-based) of `text`, each prefixed with its number and a space (the
/// cheapest numbering in tokens: about one token a line over the bare code). Control
/// characters that could fake a line break or hide text (CR, bidi overrides, zero-width
/// characters) are shown as `\u{..}` escapes.
pub fn numbered(text: &str, start: usize, end: usize) -> String {
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if n < start {
            continue;
        }
        if n > end {
            break;
        }
        out.push_str(&format!("{n} {}\n", escape_invisible(line)));
    }
    out.trim_end_matches('\n').to_string()
}

/// Replaces invisible and direction-changing characters with visible `\u{XXXX}` escapes.
pub fn escape_invisible(line: &str) -> String {
    let mut s = String::with_capacity(line.len());
    for c in line.chars() {
        if is_invisible(c) || (c.is_control() && c != '\t') {
            s.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            s.push(c);
        }
    }
    s
}

/// [`escape_invisible`] applied to every line of a block.
pub fn escape_invisible_block(text: &str) -> String {
    text.lines()
        .map(escape_invisible)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Zero-width, bidirectional-control and other invisible format characters.
pub fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x2069 | 0xFEFF | 0x00AD | 0x180E)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fence_is_longer_than_any_backtick_run() {
        assert_eq!(fence_for("x = 1"), "```");
        assert_eq!(fence_for("s = '````'"), "`````");
    }

    #[test]
    fn numbered_lines_escape_bidi_and_keep_numbers() {
        let t = "a = 1\nb = '\u{202E}x'\nc = 3\n";
        assert_eq!(numbered(t, 2, 3), "2 b = '\\u{202E}x'\n3 c = 3");
    }

    #[test]
    fn every_question_renders() {
        let ctx = serde_json::json!({
            "fence": "```", "items": [{"line": 1, "text": "# hi"}],
            "start_line": 1, "end_line": 2, "rules": [{"id": "PW101", "cwe": 78, "title": "t", "what": "w"}],
            "candidates": [], "code": "1 | x", "rule_id": "PW101", "cwe": 78,
            "line": 1, "message": "m", "remediation": "r", "use_instead": "", "feedback": [],
            "findings": [{"id": 1, "line": 2, "what": "t", "cwe": 78, "source": 0}],
            "reason": false,
        });
        for stage in Stage::ALL {
            let q = question(stage, &ctx).unwrap();
            assert!(!q.is_empty(), "{stage:?}");
        }
        assert_eq!(prompt_hash().len(), 64);
    }
}
