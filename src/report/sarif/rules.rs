//! The rule descriptors of `tool.driver.rules`: metadata and help text.

use super::model::{Configuration, MultiformatMessage, ReportingDescriptor, RuleProperties};
use super::{cwe_tag, level, precision, security_severity};
use crate::report::cwe_url;
use crate::rules::RuleSpec;

pub(super) fn descriptor(rule: &RuleSpec) -> ReportingDescriptor {
    let mut tags = vec!["security".to_string(), rule.category.clone()];
    tags.extend(rule.cwe.iter().map(|&c| cwe_tag(c)));
    ReportingDescriptor {
        id: rule.id.clone(),
        name: rule.name.clone(),
        short_description: MultiformatMessage::text(&rule.title),
        full_description: MultiformatMessage::text(rule.doc.what.trim()),
        help: MultiformatMessage {
            text: help_text(rule),
            markdown: Some(help_markdown(rule)),
        },
        help_uri: rule.doc.references.first().cloned(),
        default_configuration: Configuration {
            level: level(rule.severity).to_string(),
        },
        properties: RuleProperties {
            tags,
            cwe: rule.cwe.iter().map(|c| format!("CWE-{c}")).collect(),
            precision: precision(rule.confidence).to_string(),
            security_severity: security_severity(rule.severity).to_string(),
            bandit: rule.bandit.clone(),
            ruff: rule.ruff.clone(),
        },
    }
}

/// The rule documentation as plain text.
fn help_text(rule: &RuleSpec) -> String {
    let d = &rule.doc;
    let mut s = format!(
        "{}\n\nWhy is this bad?\n{}\n\nHow to fix it\n{}\n\nExample:\n{}\n\nUse instead:\n{}",
        d.what.trim(),
        d.why.trim(),
        rule.remediation.trim(),
        d.example.trim_matches('\n'),
        d.use_instead.trim_matches('\n'),
    );
    if !d.references.is_empty() {
        s.push_str("\n\nReferences:");
        for r in &d.references {
            s.push_str("\n- ");
            s.push_str(r);
        }
    }
    s
}

/// The rule documentation as Markdown.
fn help_markdown(rule: &RuleSpec) -> String {
    let d = &rule.doc;
    let cwes: Vec<String> = rule
        .cwe
        .iter()
        .map(|&c| format!("[CWE-{c}]({})", cwe_url(c)))
        .collect();
    let mut s = format!(
        "## What it does\n\n{}\n\n## Why is this bad?\n\n{}\n\n## How to fix it\n\n{}\n\n\
         ### Example\n\n```python\n{}\n```\n\n### Use instead\n\n```python\n{}\n```\n\n\
         **Severity:** {} · **Confidence:** {} · {}",
        d.what.trim(),
        d.why.trim(),
        rule.remediation.trim(),
        d.example.trim_matches('\n'),
        d.use_instead.trim_matches('\n'),
        rule.severity.as_str(),
        rule.confidence.as_str(),
        cwes.join(", "),
    );
    if !d.references.is_empty() {
        s.push_str("\n\n## References\n");
        for r in &d.references {
            s.push_str(&format!("\n- <{r}>"));
        }
    }
    s
}
