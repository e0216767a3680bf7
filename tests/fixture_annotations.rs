//! Every `tests/fixtures/rules/*.py` is scanned with the whole embedded catalogue and checked
//! against its annotations:
//!
//! * a line with `# ruleid: PW101[, PW102]` must have a finding of each listed rule starting on
//!   that line;
//! * a line with `# ok: PW101` must have no finding of that rule;
//! * a finding on a line without any annotation is a failure (an unexpected finding);
//! * every rule of the catalogue must appear in at least one `ruleid` and one `ok` annotation.
//!
//! All failures are collected and reported at once, as `file:line: expected ... got ...`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use pyward::rules::{Catalog, Engine};

#[derive(Default)]
struct LineAnnotations {
    ruleid: BTreeSet<String>,
    ok: BTreeSet<String>,
}

/// Parses the `# ruleid:` / `# ok:` annotations of a fixture, by 1-based line.
fn annotations(text: &str) -> BTreeMap<usize, LineAnnotations> {
    let mut out: BTreeMap<usize, LineAnnotations> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        for (marker, is_ok) in [("# ruleid:", false), ("# ok:", true)] {
            let Some(pos) = line.find(marker) else {
                continue;
            };
            let rest = &line[pos + marker.len()..];
            let rest = rest.split('#').next().unwrap_or("");
            let entry = out.entry(i + 1).or_default();
            for id in rest.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let id = id.split_whitespace().next().unwrap_or(id).to_string();
                if is_ok {
                    entry.ok.insert(id);
                } else {
                    entry.ruleid.insert(id);
                }
            }
        }
    }
    out
}

#[test]
fn fixtures_match_their_annotations() {
    let catalog = Catalog::embedded().expect("catalogue loads");
    let known: BTreeSet<String> = catalog.rules().iter().map(|r| r.id.clone()).collect();
    let engine = Engine::new(catalog).expect("engine compiles");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());

    let mut failures = Vec::new();
    let mut covered_ruleid = BTreeSet::new();
    let mut covered_ok = BTreeSet::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(file).expect("fixture is UTF-8");
        let file_start = failures.len();
        let ann = annotations(&text);
        let scan = engine.scan_source(&name, &text);
        for d in &scan.diagnostics {
            failures.push(format!(
                "{name}:{}: diagnostic: {}",
                d.line.unwrap_or(0),
                d.message
            ));
        }
        let mut got: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
        for f in &scan.findings {
            got.entry(f.span.start_line)
                .or_default()
                .insert(f.rule_id.clone());
        }
        for (line, a) in &ann {
            let found = got.get(line).cloned().unwrap_or_default();
            for id in a.ruleid.iter().chain(a.ok.iter()) {
                if !known.contains(id) {
                    failures.push(format!("{name}:{line}: annotation names unknown rule {id}"));
                }
            }
            for id in &a.ruleid {
                covered_ruleid.insert(id.clone());
                if !found.contains(id) {
                    failures.push(format!(
                        "{name}:{line}: expected {id}, got {}",
                        fmt_set(&found)
                    ));
                }
            }
            for id in &a.ok {
                covered_ok.insert(id.clone());
                if found.contains(id) {
                    failures.push(format!(
                        "{name}:{line}: expected no {id} (ok), got {}",
                        fmt_set(&found)
                    ));
                }
            }
        }
        for (line, ids) in &got {
            if !ann.contains_key(line) {
                failures.push(format!(
                    "{name}:{line}: unexpected finding(s) {} on an unannotated line",
                    fmt_set(ids)
                ));
            }
        }
        // Report each file's failures in line order.
        failures[file_start..].sort_by_key(|m| {
            m.split(':')
                .nth(1)
                .and_then(|l| l.parse::<usize>().ok())
                .unwrap_or(0)
        });
    }
    for id in &known {
        if !covered_ruleid.contains(id) {
            failures.push(format!("{id}: no fixture line annotated `# ruleid: {id}`"));
        }
        if !covered_ok.contains(id) {
            failures.push(format!("{id}: no fixture line annotated `# ok: {id}`"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn fmt_set(s: &BTreeSet<String>) -> String {
    if s.is_empty() {
        "nothing".into()
    } else {
        s.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

#[test]
fn annotation_parser_reads_lists() {
    let a = annotations("x()  # ruleid: PW101, PW102\ny()  # ok: PW103\nz()\n");
    assert_eq!(
        a[&1].ruleid.iter().cloned().collect::<Vec<_>>(),
        vec!["PW101", "PW102"]
    );
    assert_eq!(a[&2].ok.iter().cloned().collect::<Vec<_>>(), vec!["PW103"]);
    assert!(!a.contains_key(&3));
}
