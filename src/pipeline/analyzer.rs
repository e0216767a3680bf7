//! Stage 2, the analyzer: one question per file view (the whole file when it fits the model's
//! context, else per chunk). The model has the numbered code in its prefix; the question names
//! only the rules relevant to the view (selected by imports, calls and static candidates, at
//! most [`MAX_RULES`]) and the static candidates, and the answer is a small, bounded schema:
//! `rule_id` and `cwe` are enums of the rules asked about, lines lie in the view, a quote is no
//! longer than the view's longest line, and there are never more issues than rules asked about
//! (nor than the tier's plan allows).
//!
//! Every issue goes through the evidence check ([`super::evidence`]). One that agrees with a
//! static candidate (same rule, overlapping lines) lends it its explanation; one that does
//! not becomes a model finding (origin `model`, confidence low) that the fusion policy
//! weighs by the model's tier. Views with no relevant rule cost no model call.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ask::Asker;
use super::backend::Stage;
use super::evidence::{self, Claim};
use super::layout::{FileView, Question};
use super::plan::{AnalyzerPlan, RuleText};
use super::{schema_of, PipelineError};
use crate::finding::{Confidence, Explanation, Finding, Origin, Severity, Span};
use crate::rules::schema::Pattern;
use crate::rules::{Catalog, RuleSpec};

/// The most rules shown to the model for one view.
pub const MAX_RULES: usize = 6;
/// The analyzer's answers stop when a run of this many tokens repeats: longer than the fixed
/// part (keys, separators) of one issue, so only a repeated issue trips it.
pub const REPEAT_NGRAM: usize = 24;

/// Severity as the model may answer it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IssueSeverity {
    Low,
    Medium,
    High,
}

impl From<IssueSeverity> for Severity {
    fn from(s: IssueSeverity) -> Severity {
        match s {
            IssueSeverity::Low => Severity::Low,
            IssueSeverity::Medium => Severity::Medium,
            IssueSeverity::High => Severity::High,
        }
    }
}

/// One issue the model reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Issue {
    /// One of the rule ids listed in the prompt.
    #[schemars(length(max = 5))]
    pub rule_id: String,
    /// The rule's CWE number.
    pub cwe: u32,
    #[schemars(range(min = 1, max = 1000000))]
    pub start_line: u32,
    #[schemars(range(min = 1, max = 1000000))]
    pub end_line: u32,
    /// The vulnerable code, copied exactly from one line.
    #[schemars(length(min = 1, max = 160))]
    pub quote: String,
    #[schemars(length(max = 200))]
    pub root_cause: String,
    #[schemars(length(max = 200))]
    pub consequence: String,
    pub severity: IssueSeverity,
}

/// The analyzer's answer for one chunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyzerAnswer {
    #[schemars(length(max = 4))]
    pub issues: Vec<Issue>,
}

/// The schema for one view: rule ids and CWEs restricted to `rules`, lines to the view, at most
/// `max_issues` issues, quotes no longer than `max_quote` characters, explanations no longer
/// than `text_chars`.
pub fn schema_for(
    rules: &[&RuleSpec],
    view: (usize, usize),
    max_issues: usize,
    max_quote: usize,
    text_chars: usize,
) -> serde_json::Value {
    let mut s = schema_of::<AnalyzerAnswer>();
    let ids: Vec<serde_json::Value> = rules.iter().map(|r| r.id.clone().into()).collect();
    let mut cwes: Vec<u32> = rules.iter().flat_map(|r| r.cwe.iter().copied()).collect();
    cwes.sort_unstable();
    cwes.dedup();
    if let Some(issues) = s.pointer_mut("/properties/issues") {
        issues["maxItems"] = max_issues.into();
    }
    if let Some(props) = s
        .pointer_mut("/properties/issues/items/properties")
        .and_then(|p| p.as_object_mut())
    {
        props.insert(
            "rule_id".into(),
            serde_json::json!({ "type": "string", "enum": ids }),
        );
        props.insert(
            "cwe".into(),
            serde_json::json!({ "type": "integer", "enum": cwes }),
        );
        for k in ["start_line", "end_line"] {
            props.insert(
                k.into(),
                serde_json::json!({ "type": "integer", "minimum": view.0, "maximum": view.1 }),
            );
        }
        props.insert(
            "quote".into(),
            serde_json::json!({ "type": "string", "minLength": 1, "maxLength": max_quote.max(1) }),
        );
        for k in ["root_cause", "consequence"] {
            props.insert(
                k.into(),
                serde_json::json!({ "type": "string", "maxLength": text_chars }),
            );
        }
    }
    s
}

/// The token cap of an answer with at most `max_issues` issues: every issue at its longest (its
/// fixed part, then the quote and both explanations at one token per character), so only a
/// model that runs away with the grammar reaches it; repeats are stopped long before.
pub fn max_tokens(plan: &AnalyzerPlan, max_issues: usize, max_quote: usize) -> usize {
    plan.base_tokens + max_issues * (plan.tokens_per_issue + max_quote + 2 * plan.text_chars)
}

/// Top-level module names imported by the file (`import a.b` → `a`, `from x.y import z` → `x`).
pub fn imported_roots(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let t = line.trim_start();
        let rest = if let Some(r) = t.strip_prefix("import ") {
            r
        } else if let Some(r) = t.strip_prefix("from ") {
            r.split(" import").next().unwrap_or("")
        } else {
            continue;
        };
        for part in rest.split(',') {
            let name = part.split_whitespace().next().unwrap_or("");
            let root = name
                .split('.')
                .next()
                .unwrap_or("")
                .trim_matches(|c| c == '(' || c == ')');
            if !root.is_empty() {
                out.insert(root.to_string());
            }
        }
    }
    out
}

/// The rules worth asking about for the lines of a view: those with a static candidate in it
/// first, then those whose callees are called in it (with their module imported) or whose
/// imported modules it uses. Prompt-injection rules are never asked about (the guardrail
/// handles them).
pub fn relevant_rules<'c>(
    catalog: &'c Catalog,
    text: &str,
    view: &FileView,
    candidates: &[&Finding],
) -> Vec<&'c RuleSpec> {
    let roots = imported_roots(text);
    let body: String = text
        .lines()
        .enumerate()
        .filter(|(i, _)| view.contains(i + 1))
        .map(|(_, l)| l)
        .collect::<Vec<_>>()
        .join("\n");
    let mut scored: Vec<(u8, &RuleSpec)> = Vec::new();
    for rule in catalog.rules() {
        if rule.has_tag(crate::rules::schema::TAG_PROMPT_INJECTION) {
            continue;
        }
        let score = if candidates.iter().any(|f| f.rule_id == rule.id) {
            3
        } else if rule_names(rule).iter().any(|n| name_used(n, &body, &roots)) {
            2
        } else if rule_modules(rule).iter().any(|m| {
            let root = m.split('.').next().unwrap_or(m);
            roots.contains(root) && body.contains(root)
        }) {
            1
        } else {
            0
        };
        if score > 0 {
            scored.push((score, rule));
        }
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
    scored.into_iter().take(MAX_RULES).map(|(_, r)| r).collect()
}

fn rule_names(rule: &RuleSpec) -> Vec<&str> {
    let mut v: Vec<&str> = Vec::new();
    for p in &rule.patterns {
        if let Pattern::Call { callee, .. } = p {
            v.extend(callee.iter().map(String::as_str));
        }
    }
    if let Some(t) = &rule.taint {
        for s in &t.sinks {
            v.extend(s.callee.iter().map(String::as_str));
        }
    }
    v
}

fn rule_modules(rule: &RuleSpec) -> Vec<&str> {
    rule.patterns
        .iter()
        .filter_map(|p| match p {
            Pattern::Import { modules } => Some(modules.iter().map(String::as_str)),
            _ => None,
        })
        .flatten()
        .collect()
}

/// Whether a qualified name (`subprocess.run`, `*.execute`, `eval`, `telnetlib.*`) is used in
/// `body`: its last part is called, and its module (if any) is imported by the file.
fn name_used(name: &str, body: &str, roots: &BTreeSet<String>) -> bool {
    let (module, last) = match name.rsplit_once('.') {
        Some((m, l)) => (m, l),
        None => ("", name),
    };
    let module_ok = module.is_empty()
        || module == "*"
        || roots.contains(module.split('.').next().unwrap_or(module));
    if !module_ok {
        return false;
    }
    if last == "*" {
        return body.contains(&format!("{module}."));
    }
    let call = format!("{last}(");
    body.match_indices(&call).any(|(i, _)| {
        body[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

/// What the analyzer produced for a file.
#[derive(Debug, Default)]
pub struct AnalyzerOutput {
    /// Model findings that passed the evidence check and match no static candidate.
    pub model_findings: Vec<Finding>,
    /// Explanations for static candidates the model agreed with: (candidate index, explanation).
    pub explanations: Vec<(usize, Explanation)>,
}

/// Asks the analyzer about one view (no call when no rule is relevant to it).
pub fn analyze_view(
    asker: &mut Asker,
    catalog: &Catalog,
    text: &str,
    view: &FileView,
    statics: &[Finding],
    plan: &AnalyzerPlan,
    seed: u64,
) -> Result<AnalyzerOutput, PipelineError> {
    let mut out = AnalyzerOutput::default();
    let cands: Vec<&Finding> = statics
        .iter()
        .filter(|f| {
            view.contains(f.span.start_line) && !super::guardrail::is_injection_rule(&f.rule_id)
        })
        .collect();
    let rules = relevant_rules(catalog, text, view, &cands);
    if rules.is_empty() {
        return Ok(out);
    }
    let max_issues = plan.max_issues.min(rules.len()).max(1);
    let longest_line = text
        .lines()
        .enumerate()
        .filter(|(i, _)| view.contains(i + 1))
        .map(|(_, l)| l.trim().chars().count())
        .max()
        .unwrap_or(1);
    let ctx = serde_json::json!({
        "rules": rules.iter().map(|r| serde_json::json!({
            "id": r.id, "cwe": r.cwe[0], "title": r.title,
            "what": match plan.rule_text { RuleText::Full => r.doc.what.trim(), RuleText::Title => "" },
        })).collect::<Vec<_>>(),
        "candidates": cands.iter().map(|f| serde_json::json!({
            "rule_id": f.rule_id, "line": f.span.start_line,
        })).collect::<Vec<_>>(),
    });
    let question = Question::new(
        Stage::Analyzer,
        &ctx,
        schema_for(
            &rules,
            (view.start_line, view.end_line),
            max_issues,
            longest_line.min(160),
            plan.text_chars,
        ),
        max_tokens(plan, max_issues, longest_line.min(160)),
        seed,
    )?
    .stop_on_repeat(REPEAT_NGRAM);
    let label = view.label.as_str();
    let answer = asker.ask::<AnalyzerAnswer>(view, question)?.value;
    for issue in answer.issues.iter().take(max_issues) {
        let claim = Claim {
            rule_id: &issue.rule_id,
            cwe: issue.cwe,
            start_line: issue.start_line as usize,
            end_line: issue.end_line as usize,
            quote: &issue.quote,
        };
        let ev = match evidence::check(&claim, text, catalog, &rules) {
            Ok(ev) => ev,
            Err(reason) => {
                asker.stats.count_discard(reason);
                continue;
            }
        };
        let explanation = Explanation {
            root_cause: issue.root_cause.trim().to_string(),
            consequence: issue.consequence.trim().to_string(),
        };
        let agrees = statics.iter().position(|f| {
            f.rule_id == ev.rule.id
                && f.span.start_line <= ev.end_line + 1
                && ev.line <= f.span.end_line + 1
        });
        if let Some(i) = agrees {
            if !out.explanations.iter().any(|(j, _)| *j == i) {
                out.explanations.push((i, explanation));
            }
            continue;
        }
        if out
            .model_findings
            .iter()
            .any(|f: &Finding| f.rule_id == ev.rule.id && f.span.start_line == ev.line)
        {
            continue;
        }
        out.model_findings.push(model_finding(
            label,
            text,
            ev.rule,
            ev.line,
            ev.end_line,
            issue,
            explanation,
        ));
    }
    Ok(out)
}

fn model_finding(
    label: &str,
    text: &str,
    rule: &RuleSpec,
    line: usize,
    end_line: usize,
    issue: &Issue,
    explanation: Explanation,
) -> Finding {
    let lines: Vec<&str> = text.lines().collect();
    let snippet = lines[line - 1..end_line.min(lines.len())].join("\n");
    let last = lines.get(end_line - 1).copied().unwrap_or("");
    let first_col = lines[line - 1]
        .chars()
        .take_while(|c| c.is_whitespace())
        .count()
        + 1;
    let mut message = format!("{} (reported by the model)", rule.title);
    if !explanation.root_cause.is_empty() {
        message = format!("{}: {}", rule.title, one_line(&explanation.root_cause));
    }
    let span = Span {
        start_line: line,
        start_column: first_col,
        end_line,
        end_column: last.chars().count() + 1,
    };
    Finding {
        severity: issue.severity.into(),
        confidence: Confidence::Low,
        message,
        origin: Origin::Model,
        explanation: Some(explanation),
        ..Finding::from_rule(rule, label, span, snippet)
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
