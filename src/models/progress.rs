//! Progress bars for downloads and hashing: drawn on stderr only when it is a terminal.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A byte-count progress bar, hidden when disabled or when stderr is not a terminal.
#[derive(Debug, Clone)]
pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    /// A bar of `len` bytes labelled `label`.
    pub fn new(enabled: bool, len: u64, label: &str) -> Bar {
        let bar = ProgressBar::with_draw_target(Some(len), draw_target(enabled));
        if let Ok(style) = ProgressStyle::with_template(
            "{msg:>12} [{elapsed_precise}] [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} ({eta})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(shorten(label));
        Bar { bar }
    }

    /// Advances by `n` bytes.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn draw_target(enabled: bool) -> ProgressDrawTarget {
    if enabled && std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

fn shorten(label: &str) -> String {
    const MAX: usize = 32;
    let chars: Vec<char> = label.chars().collect();
    if chars.len() <= MAX {
        label.to_string()
    } else {
        let tail: String = chars[chars.len() - (MAX - 2)..].iter().collect();
        format!("..{tail}")
    }
}

/// Adapter so hf-hub's downloader drives our bar.
pub(crate) struct HubProgress {
    pub(crate) enabled: bool,
    pub(crate) bar: Option<Bar>,
}

impl hf_hub::api::Progress for HubProgress {
    fn init(&mut self, size: usize, filename: &str) {
        // hf-hub calls init once per attempt, then update(offset) for a resumed download.
        if let Some(b) = self.bar.take() {
            b.finish();
        }
        self.bar = Some(Bar::new(self.enabled, size as u64, filename));
    }

    fn update(&mut self, size: usize) {
        if let Some(b) = &self.bar {
            b.inc(size as u64);
        }
    }

    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish();
        }
    }
}
