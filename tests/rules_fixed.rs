//! Every rule with a fix template has a fixed file that `pyward fix` reproduces byte for byte.
//!
//! Convention: beside a rule's fixture `rules/python/<category>/PWnnn.py` lies
//! `PWnnn.fixed.py`, the fixture as `pyward fix PWnnn.py --select PWnnn --static-only --write`
//! leaves it: every finding of that rule alone repaired by its template. A rule has a fixed
//! file exactly when it has a fix template.
//!
//! The test copies each fixture into a temporary directory, runs the real binary over it with
//! the rule selected alone, and compares the result with its fixed file. Every fixed file must
//! also parse, leave no name undefined that the fixture defined ([`pyward::pipeline::names`]),
//! differ from the fixture, and, scanned again with its rule alone, keep no finding that the
//! fixture's scan offered an edit for.
//!
//! After changing a template, regenerate the files with
//! `PYWARD_BLESS_FIXED=1 cargo test --test rules_fixed` and review the diff.

use std::process::Command;

use pyward::pipeline::names;
use pyward::pipeline::verify::error_count;

#[path = "support/rule_units.rs"]
mod rule_units;

#[test]
fn every_template_has_a_fixed_file_that_pyward_fix_reproduces() {
    let bless = std::env::var_os("PYWARD_BLESS_FIXED").is_some();
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let units = rule_units::units();
    for unit in &units {
        let id = unit.id();
        let fixed_path = unit.fixed();
        if unit.spec.fix.is_empty() {
            if fixed_path.exists() {
                failures.push(format!(
                    "{}: a fixed file for a rule without a fix template",
                    fixed_path.display()
                ));
            }
            continue;
        }
        let Ok(original) = std::fs::read_to_string(unit.fixture()) else {
            failures.push(format!("{id} has a template but no fixture"));
            continue;
        };
        let work = tmp.path().join(id);
        std::fs::create_dir_all(&work).unwrap();
        let file = work.join(format!("{id}.py"));
        std::fs::write(&file, &original).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_pyward"))
            .args(["fix", "--static-only", "--write", "--no-cache", "-q"])
            .args(["--select", id])
            .arg(&file)
            .env("PYWARD_HOME", tmp.path().join(".home"))
            .output()
            .expect("pyward runs");
        if out.status.code().is_none_or(|c| c > 1) {
            failures.push(format!(
                "{id}: pyward fix failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let got = std::fs::read_to_string(&file).unwrap();
        if bless {
            std::fs::write(&fixed_path, &got).unwrap();
        }
        let Ok(want) = std::fs::read_to_string(&fixed_path) else {
            failures.push(format!("{id}: no {}", fixed_path.display()));
            continue;
        };
        if got != want {
            failures.push(format!(
                "{id}: `pyward fix --select {id}` output differs from {id}.fixed.py:\n{}",
                similar::TextDiff::from_lines(&want, &got)
                    .unified_diff()
                    .header(&format!("{id}.fixed.py"), "pyward fix")
            ));
        }
        if want == original {
            failures.push(format!("{id}: the template changes nothing in {id}.py"));
        }
        if error_count(&want) > error_count(&original) {
            failures.push(format!("{id}.fixed.py does not parse"));
        }
        let diff = names::compare(&original, &want);
        if !diff.is_clean() {
            failures.push(format!("{id}.fixed.py breaks names: {diff:?}"));
        }
        // Clean for the fixed cases: what remains of the rule is at most what had no edit.
        let engine = unit.engine();
        let live = |text: &str| {
            engine
                .scan_source("t.py", text)
                .findings
                .into_iter()
                .filter(|f| !f.is_suppressed())
                .collect::<Vec<_>>()
        };
        let before = live(&original);
        let unfixable = before.iter().filter(|f| f.fixes.is_empty()).count();
        let after = live(&want);
        if after.len() > unfixable {
            let lines: Vec<String> = after
                .iter()
                .map(|f| f.span.start_line.to_string())
                .collect();
            failures.push(format!(
                "{id}.fixed.py keeps {} finding(s) of {id} (lines {}), but only {unfixable} of \
                 the fixture's {} had no edit",
                after.len(),
                lines.join(", "),
                before.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
