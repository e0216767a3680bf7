//! Every fix template has a `.fixed` fixture that `pyward fix` reproduces byte for byte.
//!
//! Convention (semgrep-rules style): next to a rule's fixture `tests/fixtures/rules/PWxxx.py`
//! lies `tests/fixtures/rules/PWxxx.py.fixed`, the whole fixture as
//! `pyward fix PWxxx.py --static-only --write` leaves it (every finding of the file repaired
//! by the templates that apply, other rules' included). A rule has a `.fixed` file exactly
//! when it has a fix template.
//!
//! The test copies the fixtures into a temporary directory, runs the real binary once over it
//! and compares each result with its `.fixed` file. Every `.fixed` file must also parse, leave
//! no name undefined that the fixture defined ([`pyward::pipeline::names`]), differ from the
//! fixture, and hold fewer findings of its rule.
//!
//! After changing a template, regenerate the files with
//! `PYWARD_BLESS_FIXED=1 cargo test --test rules_fixed` and review the diff.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use pyward::pipeline::names;
use pyward::pipeline::verify::error_count;
use pyward::rules::{Catalog, Engine};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

/// Rule ids of the `.fixed` files present.
fn fixed_files() -> BTreeSet<String> {
    std::fs::read_dir(fixtures())
        .expect("fixture dir")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.strip_suffix(".py.fixed").map(str::to_string)
        })
        .collect()
}

#[test]
fn every_template_has_a_fixed_fixture_that_pyward_fix_reproduces() {
    let catalog = Catalog::embedded().expect("catalogue loads");
    let with_templates: BTreeSet<String> = catalog
        .rules()
        .iter()
        .filter(|r| !r.fix.is_empty())
        .map(|r| r.id.clone())
        .collect();
    let engine = Engine::new(catalog).expect("engine compiles");
    let bless = std::env::var_os("PYWARD_BLESS_FIXED").is_some();

    let tmp = tempfile::tempdir().unwrap();
    for id in &with_templates {
        let src = fixtures().join(format!("{id}.py"));
        assert!(
            src.exists(),
            "{id} has a template but no fixture {}",
            src.display()
        );
        std::fs::copy(&src, tmp.path().join(format!("{id}.py"))).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_pyward"))
        .args(["fix", "--static-only", "--write", "--no-cache", "-q"])
        .arg(tmp.path())
        .env("PYWARD_HOME", tmp.path().join(".home"))
        .output()
        .expect("pyward runs");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "pyward fix failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut failures = Vec::new();
    for id in &with_templates {
        let original = std::fs::read_to_string(fixtures().join(format!("{id}.py"))).unwrap();
        let got = std::fs::read_to_string(tmp.path().join(format!("{id}.py"))).unwrap();
        let fixed_path = fixtures().join(format!("{id}.py.fixed"));
        if bless {
            std::fs::write(&fixed_path, &got).unwrap();
        }
        let Ok(want) = std::fs::read_to_string(&fixed_path) else {
            failures.push(format!("{id}: no {}", fixed_path.display()));
            continue;
        };
        if got != want {
            failures.push(format!(
                "{id}: `pyward fix` output differs from {id}.py.fixed:\n{}",
                similar::TextDiff::from_lines(&want, &got)
                    .unified_diff()
                    .header(&format!("{id}.py.fixed"), "pyward fix")
            ));
        }
        if want == original {
            failures.push(format!("{id}: the template changes nothing in {id}.py"));
        }
        if error_count(&want) > error_count(&original) {
            failures.push(format!("{id}.py.fixed does not parse"));
        }
        let diff = names::compare(&original, &want);
        if !diff.is_clean() {
            failures.push(format!("{id}.py.fixed breaks names: {diff:?}"));
        }
        let count = |text: &str| {
            engine
                .scan_source("t.py", text)
                .findings
                .iter()
                .filter(|f| f.rule_id == *id && !f.is_suppressed())
                .count()
        };
        if count(&want) >= count(&original) {
            failures.push(format!(
                "{id}.py.fixed still has all {} finding(s) of {id}",
                count(&original)
            ));
        }
    }
    let orphans: Vec<String> = fixed_files().difference(&with_templates).cloned().collect();
    if !orphans.is_empty() {
        failures.push(format!(
            ".fixed files for rules without a fix template: {orphans:?}"
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
