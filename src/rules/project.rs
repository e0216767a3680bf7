//! Taint across the files of one project: what each file's analysis leaves open (parameters
//! of functions nothing in the file calls, that reach a sink) and the calls it makes into
//! imported functions, joined once every file is scanned.
//!
//! A file alone reports an uncalled function's parameter that is built into a sink with
//! medium confidence (its callers are unknown). Across a project, [`join`] settles it: when
//! another file calls the function with untrusted data, the finding is reported with the
//! rule's confidence and a path that starts in the caller's file; when every caller passes
//! clean values, it is dropped; when nothing calls it, it stays as it was.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::finding::{Confidence, Finding, TaintStep};

/// What one file's taint analysis leaves to the project join.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectFacts {
    pub pending: Vec<PendingSink>,
    pub calls_out: Vec<CallOut>,
}

/// A parameter of a module-level function that reaches a sink, the function not being
/// called in its own file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingSink {
    pub function: String,
    pub param: usize,
    /// The finding as a file alone reports it (medium confidence), or would report it.
    pub finding: Finding,
    /// Whether the file alone reports it (the value is built into the sink).
    pub reported_alone: bool,
    /// Source kinds the rule accepts and the rule's sanitizer bit (see the taint engine).
    pub kinds: u64,
    pub rule_bit: u128,
    /// The rule's own confidence, for a finding whose caller is known.
    pub rule_confidence: Confidence,
    /// Pattern rules (`yield_to_taint`, same weakness) whose findings on this path's lines
    /// go when every caller passes clean values.
    pub vouches: Vec<String>,
}

/// A call to a function imported from another module.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallOut {
    /// The module as imported (`.helpers` for a relative import).
    pub module: String,
    pub function: String,
    /// Positional arguments: the taint of each (`None`: clean).
    pub args: Vec<Option<ArgTaint>>,
}

/// The taint of an argument at a call into another module.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArgTaint {
    pub kinds: u64,
    pub cleared: u128,
    /// From the source to the call, in the caller's file.
    pub steps: Vec<TaintStep>,
}

/// One scanned file for the join: its path (as reported), findings and facts.
pub struct ProjectFile<'a> {
    pub path: &'a str,
    pub findings: &'a mut Vec<Finding>,
    pub facts: &'a ProjectFacts,
}

/// The file a module imported from `importer` is, among `paths`: relative imports from the
/// importer's package, absolute ones from the importer's folder or any folder above it.
fn resolve_module(importer: &str, module: &str, index: &HashMap<&str, usize>) -> Option<usize> {
    let dir: Vec<&str> = {
        let mut parts: Vec<&str> = importer.split('/').collect();
        parts.pop();
        parts
    };
    let level = module.bytes().take_while(|&b| b == b'.').count();
    let rel = module[level..].replace('.', "/");
    let candidates = |base: &[&str]| {
        let prefix = if base.is_empty() {
            String::new()
        } else {
            format!("{}/", base.join("/"))
        };
        if rel.is_empty() {
            vec![format!("{prefix}__init__.py")]
        } else {
            vec![
                format!("{prefix}{rel}.py"),
                format!("{prefix}{rel}/__init__.py"),
            ]
        }
    };
    if level > 0 {
        let up = level - 1;
        if up > dir.len() {
            return None;
        }
        let base = &dir[..dir.len() - up];
        return candidates(base)
            .iter()
            .find_map(|c| index.get(c.as_str()).copied());
    }
    for end in (0..=dir.len()).rev() {
        if let Some(i) = candidates(&dir[..end])
            .iter()
            .find_map(|c| index.get(c.as_str()).copied())
        {
            return Some(i);
        }
    }
    None
}

/// Settles every file's pending sinks against the calls the other files make (see the
/// module documentation). Findings stay in report order.
pub fn join(files: &mut [ProjectFile<'_>]) {
    let index: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path.trim_start_matches("./"), i))
        .collect();
    // (file, function) → the calls into it, with the caller's file.
    let mut callers: HashMap<(usize, &str), Vec<(usize, &CallOut)>> = HashMap::new();
    // A module resolves the same way from every file of one folder: (folder, module) → file.
    let mut resolved: HashMap<(&str, &str), Option<usize>> = HashMap::new();
    for (i, f) in files.iter().enumerate() {
        let path = f.path.trim_start_matches("./");
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
        for c in &f.facts.calls_out {
            let target = *resolved
                .entry((dir, c.module.as_str()))
                .or_insert_with(|| resolve_module(path, &c.module, &index));
            if let Some(j) = target {
                if j != i {
                    callers
                        .entry((j, c.function.as_str()))
                        .or_default()
                        .push((i, c));
                }
            }
        }
    }
    let mut changes: Vec<(usize, PendingSink, Option<Finding>)> = Vec::new();
    for (j, f) in files.iter().enumerate() {
        for p in &f.facts.pending {
            let Some(cs) = callers.get(&(j, p.function.as_str())) else {
                continue;
            };
            let tainted = cs.iter().find_map(|(i, c)| {
                let a = c.args.get(p.param)?.as_ref()?;
                (a.kinds & p.kinds != 0 && a.cleared & p.rule_bit == 0).then_some((*i, a))
            });
            let upgraded = tainted.map(|(i, a)| {
                let caller = files[i].path.to_string();
                let mut g = p.finding.clone();
                g.confidence = p.rule_confidence;
                let mut steps: Vec<TaintStep> = a
                    .steps
                    .iter()
                    .map(|s| TaintStep {
                        path: Some(caller.clone()),
                        ..s.clone()
                    })
                    .collect();
                steps.extend(g.taint_path.iter().cloned().map(|mut s| {
                    if s.kind == crate::finding::TaintStepKind::Source {
                        s.kind = crate::finding::TaintStepKind::Propagation;
                    }
                    s
                }));
                g.taint_path = steps;
                g
            });
            changes.push((j, p.clone(), upgraded));
        }
    }
    for (j, p, upgraded) in changes {
        let findings = &mut *files[j].findings;
        if upgraded.is_none() && !p.vouches.is_empty() {
            // Every caller passes clean values: what the path covers is vouched for.
            let lines: Vec<(usize, usize)> = p
                .finding
                .taint_path
                .iter()
                .map(|s| (s.span.start_line, s.span.end_line))
                .chain([(p.finding.span.start_line, p.finding.span.end_line)])
                .collect();
            findings.retain(|f| {
                !(f.taint_path.is_empty()
                    && p.vouches.contains(&f.rule_id)
                    && lines
                        .iter()
                        .any(|&(a, b)| a <= f.span.start_line && f.span.start_line <= b))
            });
        }
        if p.reported_alone {
            findings.retain(|f| {
                !(f.rule_id == p.finding.rule_id
                    && f.span == p.finding.span
                    && f.confidence == Confidence::Medium
                    && f.taint_path == p.finding.taint_path)
            });
        }
        if let Some(g) = upgraded {
            if !findings
                .iter()
                .any(|f| f.rule_id == g.rule_id && f.span == g.span)
            {
                // The proven path covers pattern findings of its weakness inside the sink
                // call (the SQL string built in `execute(...)`), as within one file.
                let inside = |f: &Finding| {
                    let (a, b) = (&f.span, &g.span);
                    (a.start_line, a.start_column) >= (b.start_line, b.start_column)
                        && (a.end_line, a.end_column) <= (b.end_line, b.end_column)
                };
                findings.retain(|f| {
                    !(f.taint_path.is_empty() && f.cwe.first() == g.cwe.first() && inside(f))
                });
                findings.push(g);
            }
        }
        crate::finding::sort_and_fingerprint(findings);
    }
}

#[cfg(test)]
mod tests {
    use super::resolve_module;
    use std::collections::HashMap;

    #[test]
    fn modules_resolve_relative_to_the_importer() {
        let paths = [
            "app/views.py",
            "app/db.py",
            "app/util/__init__.py",
            "lib/db.py",
            "top.py",
        ];
        let index: HashMap<&str, usize> = paths.iter().enumerate().map(|(i, p)| (*p, i)).collect();
        assert_eq!(resolve_module("app/views.py", "db", &index), Some(1));
        assert_eq!(resolve_module("app/views.py", ".db", &index), Some(1));
        assert_eq!(resolve_module("app/views.py", ".util", &index), Some(2));
        assert_eq!(resolve_module("app/views.py", "app.db", &index), Some(1));
        assert_eq!(resolve_module("app/views.py", "lib.db", &index), Some(3));
        assert_eq!(resolve_module("app/views.py", "top", &index), Some(4));
        assert_eq!(resolve_module("app/views.py", "..top", &index), Some(4));
        assert_eq!(resolve_module("app/views.py", "os", &index), None);
    }
}
