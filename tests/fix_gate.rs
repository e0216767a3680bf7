//! Every fix template of the catalogue, applied (with its imports, as `pyward fix` applies it)
//! to each `# ruleid:` finding of its rule in the rule fixtures, and to each finding of its
//! rule in the rule's doc example, passes the fixer's safety gate: no syntax error, no name
//! newly undefined, no binding lost, no statement emptied. The fixtures import generously; the doc examples import
//! only what they use, so a template that forgets to declare an import fails there.

use std::collections::BTreeSet;

use pyward::finding::Finding;
use pyward::pipeline::template::apply_template;
use pyward::pipeline::verify::{error_count, verify, Before, Patched};
use pyward::pipeline::{effects, names};
use pyward::rules::{Catalog, Engine};

#[path = "support/rule_units.rs"]
mod rule_units;

/// Rules whose template matches no `# ruleid:` line of the fixtures, and why.
const NOT_EXERCISED: &[(&str, &str)] = &[];

/// Applies `f`'s template to `text`; a gate failure is pushed to `failures`, a candidate that
/// passes the gate but does not verify (the finding is still reported...) to `unverified`.
/// Returns whether the template applied.
fn check(
    engine: &Engine,
    at: &str,
    text: &str,
    before: &[Finding],
    f: &Finding,
    failures: &mut Vec<String>,
    unverified: &mut Vec<String>,
) -> bool {
    let (start, end) = (f.span.start_line, f.span.end_line.max(f.span.start_line));
    let patch = match apply_template(text, &f.fixes, start, end) {
        Ok(p) => p,
        Err(e) => {
            failures.push(format!("{at}: the template does not apply: {e}"));
            return false;
        }
    };
    if error_count(&patch.text) > error_count(text) {
        failures.push(format!("{at}: syntax error after the fix:\n{}", patch.text));
    }
    let diff = names::compare(text, &patch.text);
    if !diff.is_clean() {
        failures.push(format!("{at}: {diff:?}"));
    }
    let emptied = effects::compare(text, &patch.text);
    if !emptied.is_clean() {
        failures.push(format!("{at}: {emptied:?}"));
    }
    let v = verify(
        engine,
        "t.py",
        Before {
            text,
            findings: before,
        },
        f,
        Patched {
            text: &patch.text,
            region: patch.region,
        },
        None,
    );
    if !v.ok() {
        unverified.push(format!("{at}: {}", v.feedback().join("; ")));
    }
    true
}

#[test]
fn every_template_passes_the_name_gate_on_its_doc_example() {
    let catalog = Catalog::embedded().expect("catalogue loads");
    let rules: Vec<_> = catalog
        .rules()
        .iter()
        .filter(|r| !r.fix.is_empty())
        .cloned()
        .collect();
    let engine = Engine::new(catalog).expect("engine compiles");
    let mut failures = Vec::new();
    let mut unverified = Vec::new();
    let mut applied = 0;
    for r in &rules {
        let text = &r.doc.example;
        let before = engine.scan_source("example.py", text).findings;
        for f in before
            .iter()
            .filter(|f| f.rule_id == r.id && !f.fixes.is_empty())
        {
            let at = format!("{} doc example:{}", r.id, f.span.start_line);
            applied += usize::from(check(
                &engine,
                &at,
                text,
                &before,
                f,
                &mut failures,
                &mut unverified,
            ));
        }
    }
    eprintln!("{applied} template applications; not verified for other reasons:");
    for u in &unverified {
        eprintln!("  {u}");
    }
    assert!(applied > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_template_passes_the_name_gate_on_its_fixtures() {
    let catalog = Catalog::embedded().expect("catalogue loads");
    let with_templates: BTreeSet<String> = catalog
        .rules()
        .iter()
        .filter(|r| !r.fix.is_empty())
        .map(|r| r.id.clone())
        .collect();
    assert!(!with_templates.is_empty());
    let engine = Engine::new(catalog).expect("engine compiles");
    // The rule fixtures (`rules/python/<category>/PWnnn.py`), not their fixed files.
    let files: Vec<_> = rule_units::python_files()
        .into_iter()
        .filter(|p| !p.to_string_lossy().ends_with(".fixed.py"))
        .collect();
    let mut failures = Vec::new();
    let mut unverified = Vec::new();
    let mut applied: BTreeSet<String> = BTreeSet::new();
    let mut count = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(file).expect("fixture is UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        let before = engine.scan_source(&name, &text).findings;
        for f in before.iter().filter(|f| !f.fixes.is_empty()) {
            let annotated = lines
                .get(f.span.start_line - 1)
                .and_then(|l| l.split("# ruleid:").nth(1))
                .is_some_and(|ids| ids.split(',').any(|id| id.trim().starts_with(&f.rule_id)));
            if !annotated {
                continue;
            }
            let at = format!("{name}:{} {}", f.span.start_line, f.rule_id);
            if check(
                &engine,
                &at,
                &text,
                &before,
                f,
                &mut failures,
                &mut unverified,
            ) {
                count += 1;
                applied.insert(f.rule_id.clone());
            }
        }
    }
    eprintln!("{count} template applications; not verified for other reasons:");
    for u in &unverified {
        eprintln!("  {u}");
    }
    let missing: Vec<&String> = with_templates
        .difference(&applied)
        .filter(|id| !NOT_EXERCISED.iter().any(|(x, _)| x == id))
        .collect();
    assert!(
        missing.is_empty(),
        "rules with templates but no `# ruleid:` fixture line their template applies to: {missing:?}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
