//! The prefix cache's bookkeeping: which token ids are in the model's KV cache, and in which
//! forward batches they were computed.
//!
//! A prompt comes in segments (the run-wide instructions, the file, the question: see
//! [`crate::llm::PromptBreak`]). Each segment is forwarded in batches of [`PREFILL_CHUNK`]
//! tokens counted from the segment's start, so the batch grid of a prompt depends only on its
//! own segments. A later prompt reuses the cache up to the last grid point that (a) both
//! prompts share token for token and (b) both computed in the same batches. Every position is
//! then computed in the same batch whether the cache was warm or cold, and a warm call returns
//! exactly what a cold one does (the batched kernels round differently for different batch
//! sizes).
//!
//! [`break_offsets`] finds the breaks in the rendered chat template; [`splits_cleanly`] says
//! whether a tokenizer may tokenize the pieces between them on their own.

use crate::llm::chat::{ChatMessage, PromptBreak};
use crate::llm::error::LlmError;
use crate::llm::tokenizer::TextTokenizer;

/// Prompts are forwarded in batches of at most this many tokens within a segment.
pub const PREFILL_CHUNK: usize = 256;

/// The batch grid of a prompt of `len` tokens whose segments start at `starts` (sorted, the
/// first 0): the start of every batch, then `len`.
pub fn grid(starts: &[usize], len: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, &s) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(len).min(len);
        let mut p = s;
        while p < end {
            out.push(p);
            p += PREFILL_CHUNK;
        }
    }
    out.push(len);
    out.dedup();
    out
}

/// Token ids in the model's KV cache and the start of each forward batch that computed them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrefixCache {
    ids: Vec<u32>,
    /// Start position of every forward batch, ascending (the last batch ends at `ids.len()`).
    starts: Vec<usize>,
}

impl PrefixCache {
    /// Number of cached token ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether nothing is cached.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// How many leading tokens of a prompt with batch grid `grid` (from [`grid`]) can be kept:
    /// the last point of `grid`, short of the whole prompt (its last token must be forwarded
    /// to get logits), up to which the cached ids equal `prompt` and the cached batches are
    /// exactly the grid's.
    pub fn reusable(&self, prompt: &[u32], grid: &[usize]) -> usize {
        let common = self
            .ids
            .iter()
            .zip(prompt)
            .take_while(|(a, b)| a == b)
            .count()
            .min(prompt.len().saturating_sub(1));
        let cached_bounds = self.starts.iter().copied().chain([self.ids.len()]);
        let mut keep = 0;
        for (a, b) in cached_bounds.zip(grid.iter().copied()) {
            if a != b || a > common {
                break;
            }
            keep = a;
        }
        keep
    }

    /// Drops everything from position `keep` on.
    pub fn truncate(&mut self, keep: usize) {
        self.ids.truncate(keep);
        self.starts.retain(|&s| s < keep);
    }

    /// Records one forward batch appended at the end.
    pub fn push_batch(&mut self, tokens: &[u32]) {
        if tokens.is_empty() {
            return;
        }
        self.starts.push(self.ids.len());
        self.ids.extend_from_slice(tokens);
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.ids.clear();
        self.starts.clear();
    }
}

/// The byte offsets in the rendered `text` of `breaks`, ascending, strictly inside the text.
/// Each message's content is found in the text in order (templates copy it verbatim); a break
/// whose message is not found, or that is not on a character boundary, is dropped.
pub fn break_offsets(text: &str, messages: &[ChatMessage], breaks: &[PromptBreak]) -> Vec<usize> {
    let mut content_at = Vec::with_capacity(messages.len());
    let mut from = 0;
    for m in messages {
        let found = (!m.content.is_empty())
            .then(|| text[from..].find(&m.content))
            .flatten()
            .map(|i| from + i);
        if let Some(i) = found {
            from = i + m.content.len();
        }
        content_at.push(found);
    }
    let mut cuts: Vec<usize> = breaks
        .iter()
        .filter_map(|b| {
            let start = (*content_at.get(b.message)?)?;
            let content = &messages[b.message].content;
            (b.byte <= content.len() && content.is_char_boundary(b.byte)).then_some(start + b.byte)
        })
        .filter(|&c| c > 0 && c < text.len())
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// Whether tokenizing a text in two pieces decodes to the same text as tokenizing it whole.
pub fn splits_cleanly(tokenizer: &TextTokenizer) -> bool {
    let probe = ["def f(x):\n    return x\n", "\n\nQuestion: is it safe?"];
    let pieces = (|| -> Result<Vec<u32>, LlmError> {
        let mut ids = tokenizer.encode(probe[0])?;
        ids.extend(tokenizer.encode(probe[1])?);
        Ok(ids)
    })();
    matches!(
        (pieces.and_then(|ids| tokenizer.decode(&ids)), tokenizer.encode(&probe.concat()).and_then(|ids| tokenizer.decode(&ids))),
        (Ok(a), Ok(b)) if a == b
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: usize = PREFILL_CHUNK;

    #[test]
    fn grid_restarts_at_every_segment() {
        assert_eq!(grid(&[0], 10), vec![0, 10]);
        assert_eq!(grid(&[0], 2 * C + 2), vec![0, C, 2 * C, 2 * C + 2]);
        assert_eq!(grid(&[0, C + 36], 2 * C + 2), vec![0, C, C + 36, 2 * C + 2]);
        assert_eq!(grid(&[0, C + 36, C + 36], C + 36), vec![0, C, C + 36]);
    }

    fn filled(prompt: &[u32], starts: &[usize]) -> PrefixCache {
        let mut c = PrefixCache::default();
        let g = grid(starts, prompt.len());
        for w in g.windows(2) {
            c.push_batch(&prompt[w[0]..w[1]]);
        }
        c
    }

    #[test]
    fn reuse_stops_at_the_last_shared_break() {
        // A run prefix longer than one batch, a file, a question.
        let (r, f) = (C + 100, C + 250);
        let run: Vec<u32> = (0..r as u32).collect();
        let file: Vec<u32> = (10_000..10_000 + (f - r) as u32).collect();
        let q1: Vec<u32> = vec![7; 30];
        let q2: Vec<u32> = vec![8; 20];
        let p1: Vec<u32> = [&run[..], &file, &q1].concat();
        let p2: Vec<u32> = [&run[..], &file, &q2].concat();
        let c = filled(&p1, &[0, r, f]);
        // Same run and file prefix, another question: everything up to the file's end.
        assert_eq!(c.reusable(&p2, &grid(&[0, r, f], p2.len())), f);
        // Another file: the run prefix only.
        let other: Vec<u32> = [&run[..], &[5u32; 80][..], &q1].concat();
        assert_eq!(c.reusable(&other, &grid(&[0, r, r + 80], other.len())), r);
        // The same tokens batched differently (no breaks): only the common grid points.
        assert_eq!(c.reusable(&p2, &grid(&[0], p2.len())), C);
        // The whole prompt again: its last batch is recomputed for the logits.
        assert_eq!(c.reusable(&p1, &grid(&[0, r, f], p1.len())), f);
    }

    #[test]
    fn truncation_keeps_the_batches_before_the_cut() {
        let p: Vec<u32> = (0..200).collect();
        let mut c = filled(&p, &[0, 100]);
        c.truncate(100);
        assert_eq!(c.len(), 100);
        assert_eq!(c.reusable(&p, &grid(&[0, 100], 200)), 100);
        c.clear();
        assert!(c.is_empty());
        assert_eq!(c.reusable(&p, &grid(&[0], 200)), 0);
    }

    #[test]
    fn breaks_are_found_inside_message_contents() {
        let msgs = [ChatMessage::system("RUN"), ChatMessage::user("FILE\n\nQ")];
        let text = "<s>RUN</s><u>FILE\n\nQ</u><a>";
        let b = |message, byte| PromptBreak { message, byte };
        assert_eq!(break_offsets(text, &msgs, &[b(1, 4), b(0, 3)]), vec![6, 17]);
        // Out of range, unknown message, or at the very end: dropped.
        assert_eq!(
            break_offsets(text, &msgs, &[b(1, 99), b(5, 0)]),
            Vec::<usize>::new()
        );
        assert_eq!(
            break_offsets("RUN", &msgs[..1], &[b(0, 3)]),
            Vec::<usize>::new()
        );
    }
}
