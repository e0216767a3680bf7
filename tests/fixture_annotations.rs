//! Every rule's fixture (`rules/python/<category>/PWnnn.py`, beside its TOML file) is scanned
//! with that rule alone and checked against its annotations:
//!
//! * a line with `# ruleid: PW101` must have a finding of the rule starting on that line;
//! * a line with `# ok: PW101` must have no finding of the rule;
//! * a finding on a line without any annotation is a failure (an unexpected finding);
//! * a fixture annotates its own rule only, with at least one `ruleid` and one `ok` line;
//! * every `.py` file under `rules/python/` is a rule's fixture or fixed file.
//!
//! All failures are collected and reported at once, as `file:line: expected ... got ...`.

use std::collections::{BTreeMap, BTreeSet};

#[path = "support/rule_units.rs"]
mod rule_units;

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
    let units = rule_units::units();
    assert!(!units.is_empty(), "no rules");
    let mut failures = Vec::new();
    let mut expected_files = BTreeSet::new();
    for unit in &units {
        let id = unit.id();
        let path = unit.fixture();
        expected_files.insert(path.clone());
        expected_files.insert(unit.fixed());
        let name = format!("{}/{id}.py", unit.spec.category);
        let Ok(text) = std::fs::read_to_string(&path) else {
            failures.push(format!("{id}: no fixture {}", path.display()));
            continue;
        };
        let file_start = failures.len();
        let ann = annotations(&text);
        let scan = unit.engine().scan_source(&name, &text);
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
        let (mut has_ruleid, mut has_ok) = (false, false);
        for (line, a) in &ann {
            let found = got.get(line).cloned().unwrap_or_default();
            for other in a.ruleid.iter().chain(a.ok.iter()).filter(|o| *o != id) {
                failures.push(format!(
                    "{name}:{line}: annotation names {other}: a fixture annotates its own rule only"
                ));
            }
            if a.ruleid.contains(id) {
                has_ruleid = true;
                if !found.contains(id) {
                    failures.push(format!(
                        "{name}:{line}: expected {id}, got {}",
                        fmt_set(&found)
                    ));
                }
            }
            if a.ok.contains(id) {
                has_ok = true;
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
        if !has_ruleid {
            failures.push(format!("{name}: no line annotated `# ruleid: {id}`"));
        }
        if !has_ok {
            failures.push(format!("{name}: no line annotated `# ok: {id}`"));
        }
    }
    for file in rule_units::python_files() {
        if !expected_files.contains(&file) {
            failures.push(format!(
                "{}: not the fixture (PWnnn.py) or fixed file (PWnnn.fixed.py) of a rule in this folder",
                file.display()
            ));
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
