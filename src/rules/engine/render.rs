//! Raw findings become [`Finding`]s: span, snippet, message, fixes, suppression, order and
//! fingerprint.

use tree_sitter::Node;

use super::dedupe::{dedupe_across_rules, dedupe_per_rule_and_node};
use super::Engine;
use crate::finding::{sort_and_fingerprint, Finding};
use crate::rules::raw::{one_line, span_of, Cap, RawFinding};
use crate::rules::resolve::text;
use crate::suppress::CommentIndex;
use crate::syntax_fields::KindName;

/// The most lines a finding's snippet shows.
const MAX_SNIPPET_LINES: usize = 5;

impl Engine {
    /// Turns raw matches into sorted, fingerprinted, suppression-marked findings.
    pub(super) fn finish(
        &self,
        path: &str,
        src: &str,
        mut raw: Vec<RawFinding>,
        comments: &CommentIndex,
    ) -> Vec<Finding> {
        let rules = self.catalog.rules();
        // Strings built only from constants: not the run-time text `dynamic` rules mean.
        raw.retain(|r| match &rules[r.rule as usize].dynamic {
            Some(name) if r.taint_path.is_empty() => r
                .captures
                .iter()
                .find(|(n, _)| n == name)
                .is_none_or(|(_, c)| match c {
                    Cap::Node(n) => crate::rules::constant::dynamic(*n, src),
                    Cap::Text(_) => true,
                }),
            _ => true,
        });
        dedupe_per_rule_and_node(&mut raw);
        dedupe_across_rules(&mut raw, rules);
        let fix_cx = crate::rules::fix::FileContext::default();
        let mut findings: Vec<Finding> = raw
            .into_iter()
            .map(|r| {
                let rule = &rules[r.rule as usize];
                let span = span_of(r.node, src);
                let snippet = snippet_lines(src, r.node.start_byte(), r.node.end_byte());
                let mut f = Finding {
                    confidence: r.confidence.unwrap_or(rule.confidence),
                    message: interpolate(&rule.message, &r.captures, src),
                    taint_path: r.taint_path,
                    fixes: crate::rules::fix::edits(
                        &self.fixes[r.rule as usize],
                        &r.captures,
                        src,
                        &fix_cx,
                    ),
                    ..Finding::from_rule(rule, path, span, snippet)
                };
                if !comments.is_empty() {
                    let mut lines = vec![span.start_line, span.end_line];
                    if let Some(end) = statement_end_line(r.node) {
                        lines.push(end);
                    }
                    f.suppressed = comments.suppression_for(rule, &lines);
                }
                f
            })
            .collect();
        sort_and_fingerprint(&mut findings);
        findings
    }
}

/// The whole source lines covering `start..end`, at most [`MAX_SNIPPET_LINES`], without the
/// final newline.
pub(crate) fn snippet_lines(src: &str, start: usize, end: usize) -> String {
    let bytes = src.as_bytes();
    let start = start.min(bytes.len());
    let end = end.clamp(start, bytes.len());
    let line_start = bytes[..start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let mut line_end = start;
    let mut lines = 1;
    loop {
        match bytes[line_end..].iter().position(|&b| b == b'\n') {
            Some(p) => {
                let nl = line_end + p;
                if nl >= end.max(start + 1) || lines >= MAX_SNIPPET_LINES {
                    line_end = nl;
                    break;
                }
                line_end = nl + 1;
                lines += 1;
            }
            None => {
                line_end = bytes.len();
                break;
            }
        }
    }
    let s = src.get(line_start..line_end).unwrap_or("");
    s.strip_suffix('\r').unwrap_or(s).to_string()
}

/// The last line of the simple statement containing `node`, when that statement spans more
/// lines than the node (e.g. a multi-line call ending `)  # nosec`).
fn statement_end_line(node: Node) -> Option<usize> {
    let mut cur = Some(node);
    while let Some(n) = cur {
        match n.kind_name() {
            "expression_statement"
            | "return_statement"
            | "assert_statement"
            | "delete_statement"
            | "raise_statement"
            | "import_statement"
            | "import_from_statement"
            | "global_statement"
            | "print_statement"
            | "exec_statement"
            | "type_alias_statement" => {
                return Some(n.end_position().row + 1);
            }
            "block" | "module" | "function_definition" | "class_definition" => return None,
            _ => {}
        }
        cur = n.parent();
    }
    None
}

/// Replaces `{name}` placeholders with the text of the capture `name`, cut to one line.
pub(crate) fn interpolate(template: &str, caps: &[(String, Cap)], src: &str) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match caps.iter().find(|(n, _)| n == name) {
                    Some((_, cap)) => out.push_str(&one_line(cap_text(cap, src))),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn cap_text<'a>(cap: &'a Cap, src: &'a str) -> &'a str {
    match cap {
        Cap::Node(n) => text(*n, src),
        Cap::Text(t) => t,
    }
}
