//! Reading a finding's snippet: which line is which, what text a span covers, how wide it is
//! on a terminal.
//!
//! A finding's `snippet` holds whole source lines, the first of which is `span.start_line`.
//! Columns are 1-based counts of characters (Unicode scalar values).

use unicode_width::UnicodeWidthChar;

use crate::finding::{Finding, Span};

/// Tabs are shown as this many spaces.
pub const TAB_WIDTH: usize = 4;

/// The snippet's lines, numbered from `span.start_line`. A trailing newline adds no line.
pub fn numbered_lines(finding: &Finding) -> Vec<(usize, &str)> {
    numbered(&finding.snippet, finding.span.start_line)
}

/// Lines of `text`, numbered from `first`. `\r\n` endings are stripped.
pub fn numbered(text: &str, first: usize) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (first + i, l.strip_suffix('\r').unwrap_or(l)))
        .collect()
}

/// The text `span` covers inside `snippet` (whose first line is `span.start_line`), or `None`
/// when the snippet does not reach the span's end or the columns fall outside the lines.
pub fn span_text(snippet: &str, span: Span) -> Option<String> {
    if span.end_line < span.start_line
        || (span.end_line == span.start_line && span.end_column < span.start_column)
        || span.start_column == 0
        || span.end_column == 0
    {
        return None;
    }
    let lines: Vec<&str> = snippet.split_inclusive('\n').collect();
    let count = span.end_line - span.start_line + 1;
    if lines.len() < count {
        return None;
    }
    let mut out = String::new();
    for (i, line) in lines.iter().take(count).enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let from = if i == 0 { span.start_column - 1 } else { 0 };
        let to = if i + 1 == count {
            span.end_column - 1
        } else {
            chars.len()
        };
        if from > chars.len() || to > chars.len() || from > to {
            return None;
        }
        out.extend(&chars[from..to]);
    }
    Some(out)
}

/// Terminal width of one character: tabs count [`TAB_WIDTH`], wide CJK and emoji 2, control
/// characters 0.
pub fn char_width(c: char) -> usize {
    if c == '\t' {
        TAB_WIDTH
    } else {
        c.width().unwrap_or(0)
    }
}

/// The line with tabs expanded to spaces, for display under a caret line.
pub fn expand_tabs(line: &str) -> String {
    line.replace('\t', &" ".repeat(TAB_WIDTH))
}

/// Where to draw an underline on `line` for the characters `from..to` (0-based, exclusive
/// end, clamped to the line): `(indent, width)` in terminal cells. At least one cell wide.
pub fn underline(line: &str, from: usize, to: usize) -> (usize, usize) {
    let chars: Vec<char> = line.chars().collect();
    let from = from.min(chars.len());
    let to = to.clamp(from, chars.len());
    let indent: usize = chars[..from].iter().copied().map(char_width).sum();
    let width: usize = chars[from..to].iter().copied().map(char_width).sum();
    (indent, width.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(sl: usize, sc: usize, el: usize, ec: usize) -> Span {
        Span {
            start_line: sl,
            start_column: sc,
            end_line: el,
            end_column: ec,
        }
    }

    #[test]
    fn span_text_single_line_counts_characters() {
        let snippet = "x = \"héllo\" + eval(y)\n";
        assert_eq!(
            span_text(snippet, span(3, 15, 3, 22)).as_deref(),
            Some("eval(y)")
        );
    }

    #[test]
    fn span_text_multi_line() {
        let snippet = "run(\n    cmd,\n    shell=True)\n";
        assert_eq!(
            span_text(snippet, span(1, 1, 3, 16)).as_deref(),
            Some("run(\n    cmd,\n    shell=True)")
        );
    }

    #[test]
    fn span_text_out_of_range_is_none() {
        assert_eq!(span_text("abc\n", span(1, 1, 2, 1)), None);
        assert_eq!(span_text("abc\n", span(1, 2, 1, 10)), None);
        assert_eq!(span_text("abc\n", span(1, 0, 1, 2)), None);
    }

    #[test]
    fn underline_accounts_for_wide_characters_and_tabs() {
        // `名前` is two wide characters: four cells.
        assert_eq!(underline("名前 = f(x)", 5, 9), (7, 4));
        assert_eq!(underline("\tf(x)", 1, 5), (TAB_WIDTH, 4));
        // Clamped past the end, never zero width.
        assert_eq!(underline("ab", 5, 9), (2, 1));
    }

    #[test]
    fn numbered_strips_carriage_returns() {
        assert_eq!(numbered("a\r\nb\r\n", 7), vec![(7, "a"), (8, "b")]);
    }
}
