//! Results (findings with their code flows, fixes and suppressions) and notifications
//! (diagnostics).

use std::collections::BTreeMap;

use super::model::*;
use super::{artifact_location, level, FINGERPRINT_KEY};
use crate::finding::{Edit, Finding, Span, TaintStep, TaintStepKind};
use crate::report::source::{numbered_lines, span_text};
use crate::rules::Catalog;
use crate::scan::Diagnostic;

pub(super) fn result(f: &Finding, catalog: &Catalog) -> SarifResult {
    let rule_index = catalog.rules().iter().position(|r| r.id == f.rule_id);
    let mut partial_fingerprints = BTreeMap::new();
    if !f.fingerprint.is_empty() {
        partial_fingerprints.insert(FINGERPRINT_KEY.to_string(), f.fingerprint.clone());
    }
    let code_flows = if f.taint_path.is_empty() {
        Vec::new()
    } else {
        vec![CodeFlow {
            message: Message::text("How untrusted data reaches the sink"),
            thread_flows: vec![ThreadFlow {
                locations: f
                    .taint_path
                    .iter()
                    .map(|step| thread_flow_location(f, step))
                    .collect(),
            }],
        }]
    };
    let mut fixes = Vec::new();
    if let Some(x) = f.fix.as_ref().filter(|x| x.verified) {
        fixes.push(verified_fix(f, x));
    }
    if !f.fixes.is_empty() {
        fixes.push(fix(f));
    }
    let suppressions = f
        .suppressed
        .iter()
        .map(|s| SarifSuppression {
            kind: "inSource".to_string(),
            justification: s.justification.clone(),
            properties: SuppressionProperties {
                comment_kind: s.kind.clone(),
            },
        })
        .collect();
    SarifResult {
        rule_id: f.rule_id.clone(),
        rule_index,
        level: level(f.severity).to_string(),
        message: Message::text(&f.message),
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: artifact_location(&f.path),
                region: Some(region(f.span, span_text(&f.snippet, f.span))),
                context_region: context_region(f),
            },
            message: None,
        }],
        partial_fingerprints,
        code_flows,
        fixes,
        suppressions,
        properties: ResultProperties {
            severity: f.severity.as_str().to_string(),
            confidence: f.confidence.as_str().to_string(),
            origin: match f.origin {
                crate::finding::Origin::Static => "static",
                crate::finding::Origin::Model => "model",
            }
            .to_string(),
            cwe: f.cwe.iter().map(|c| format!("CWE-{c}")).collect(),
            verdict: f.verdict.as_ref().map(|v| v.status.as_str().to_string()),
            verdict_confidence: f.verdict.as_ref().map(|v| v.confidence),
            verdict_reason: f.verdict.as_ref().map(|v| v.reason.clone()),
            fix_verified: f.fix.as_ref().map(|x| x.verified),
        },
    }
}

/// A SARIF fix for a verified repair from `pyward fix`: the whole replaced lines.
fn verified_fix(f: &Finding, x: &crate::finding::FixProposal) -> SarifFix {
    let last_len = x
        .original
        .lines()
        .last()
        .map(|l| l.chars().count())
        .unwrap_or(0);
    let span = Span {
        start_line: x.start_line,
        start_column: 1,
        end_line: x.end_line.max(x.start_line),
        end_column: last_len + 1,
    };
    let why = x.why.trim();
    // Import lines the fix adds or removes elsewhere: whole lines (an empty region at the
    // start of the line an insertion goes before).
    let mut by_line: Vec<&crate::finding::ImportEdit> = x.imports.iter().collect();
    by_line.sort_by_key(|i| i.line);
    let imports = by_line.into_iter().map(|i| Replacement {
        deleted_region: region(
            Span {
                start_line: i.line,
                start_column: 1,
                end_line: i.line + i.deleted_lines,
                end_column: 1,
            },
            None,
        ),
        inserted_content: ArtifactContent {
            text: i.text.clone(),
        },
    });
    SarifFix {
        description: Message::text(&if why.is_empty() {
            format!("Verified {} fix from pyward", x.source)
        } else {
            format!("Verified {} fix: {why}", x.source)
        }),
        artifact_changes: vec![ArtifactChange {
            artifact_location: artifact_location(&f.path),
            replacements: imports
                .chain(std::iter::once(Replacement {
                    deleted_region: region(span, None),
                    inserted_content: ArtifactContent {
                        text: x.replacement.clone(),
                    },
                }))
                .collect(),
        }],
    }
}

/// A SARIF region for a span. Out-of-range parts (line 0, column 0, an end before the start)
/// are left out rather than written invalid: the region then covers less precisely.
fn region(span: Span, snippet: Option<String>) -> Region {
    let start_line = span.start_line.max(1);
    let start_column = (span.start_column > 0).then_some(span.start_column);
    let end_line = (span.end_line >= start_line).then_some(span.end_line);
    let end_column = match (end_line, start_column) {
        (Some(el), Some(sc)) if el == start_line && span.end_column < sc => None,
        (Some(_), _) if span.end_column > 0 => Some(span.end_column),
        _ => None,
    };
    let exact = span.start_line > 0 && start_column.is_some() && end_column.is_some();
    Region {
        start_line,
        start_column,
        end_line,
        end_column,
        snippet: snippet
            .filter(|_| exact)
            .map(|text| ArtifactContent { text }),
    }
}

/// The whole lines of the snippet, when they cover the finding's span.
fn context_region(f: &Finding) -> Option<Region> {
    let n = numbered_lines(f).len();
    if n == 0 || f.span.start_line == 0 {
        return None;
    }
    let last = f.span.start_line + n - 1;
    if last < f.span.end_line {
        return None; // a context region must contain the region
    }
    Some(Region {
        start_line: f.span.start_line,
        start_column: None,
        end_line: Some(last),
        end_column: None,
        snippet: Some(ArtifactContent {
            text: f.snippet.clone(),
        }),
    })
}

fn thread_flow_location(f: &Finding, step: &TaintStep) -> ThreadFlowLocation {
    let (kind, prefix) = match step.kind {
        TaintStepKind::Source => ("source", "Source"),
        TaintStepKind::Propagation => ("propagation", "Propagation"),
        TaintStepKind::Sink => ("sink", "Sink"),
    };
    let note = step.note.trim();
    let text = if note.is_empty() {
        format!("{prefix}: {}", step.snippet.trim())
    } else {
        format!("{prefix}: {note}")
    };
    ThreadFlowLocation {
        location: Location {
            physical_location: PhysicalLocation {
                artifact_location: artifact_location(step.path.as_deref().unwrap_or(&f.path)),
                region: Some(region(
                    step.span,
                    (!step.snippet.is_empty()).then(|| step.snippet.clone()),
                )),
                context_region: None,
            },
            message: Some(Message::text(&text)),
        },
        kinds: vec!["taint".to_string(), kind.to_string()],
    }
}

fn fix(f: &Finding) -> SarifFix {
    let mut edits: Vec<&Edit> = f.fixes.iter().collect();
    edits.sort_by_key(|e| (e.span, e.start_byte, e.end_byte));
    let descriptions: Vec<&str> = edits
        .iter()
        .map(|e| e.description.trim())
        .filter(|d| !d.is_empty())
        .collect();
    SarifFix {
        description: Message::text(&if descriptions.is_empty() {
            "Apply pyward's suggested fix".to_string()
        } else {
            descriptions.join("; ")
        }),
        artifact_changes: vec![ArtifactChange {
            artifact_location: artifact_location(&f.path),
            replacements: edits
                .iter()
                .map(|e| Replacement {
                    deleted_region: region(e.span, None),
                    inserted_content: ArtifactContent {
                        text: e.replacement.clone(),
                    },
                })
                .collect(),
        }],
    }
}

pub(super) fn notification(d: &Diagnostic) -> Notification {
    Notification {
        level: d.level.as_str().to_string(),
        message: Message::text(&d.message),
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: artifact_location(&d.path),
                region: d.line.filter(|&l| l > 0).map(|l| Region {
                    start_line: l,
                    start_column: None,
                    end_line: None,
                    end_column: None,
                    snippet: None,
                }),
                context_region: None,
            },
            message: None,
        }],
    }
}
