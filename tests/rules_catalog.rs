//! The embedded rule catalogue is well-formed: it loads, every query compiles, ids are unique,
//! each rule documents a CWE page, and each rule's documentation examples behave as documented
//! (`doc.example` triggers the rule, `doc.use_instead` does not).

use std::collections::BTreeSet;

use pyward::rules::{Catalog, Engine};

fn catalog() -> Catalog {
    Catalog::embedded().unwrap_or_else(|e| panic!("catalogue does not load: {e}"))
}

#[test]
fn catalogue_loads_and_compiles() {
    let c = catalog();
    assert!(!c.rules().is_empty());
    Engine::new_checked(c).unwrap_or_else(|e| panic!("engine does not compile the catalogue: {e}"));
}

#[test]
fn ids_and_names_are_unique() {
    let c = catalog();
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    let mut dups = Vec::new();
    for r in c.rules() {
        if !ids.insert(r.id.clone()) {
            dups.push(format!("duplicate id {}", r.id));
        }
        if !names.insert(r.name.clone()) {
            dups.push(format!("{}: duplicate name {}", r.id, r.name));
        }
    }
    assert!(dups.is_empty(), "{}", dups.join("\n"));
}

#[test]
fn every_rule_references_its_cwe_page() {
    let mut bad = Vec::new();
    for r in catalog().rules() {
        let want = format!("https://cwe.mitre.org/data/definitions/{}.html", r.cwe[0]);
        if !r.doc.references.contains(&want) {
            bad.push(format!("{}: doc.references lacks {want}", r.id));
        }
        if r.doc.references.first() != Some(&want) {
            bad.push(format!(
                "{}: the CWE page must be the first reference",
                r.id
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn doc_examples_behave_as_documented() {
    let c = catalog();
    let rules = c.rules().to_vec();
    let engine = Engine::new(c).expect("engine");
    let mut bad = Vec::new();
    for r in &rules {
        let ex = engine.scan_source("example.py", &r.doc.example);
        if !ex.findings.iter().any(|f| f.rule_id == r.id) {
            bad.push(format!("{}: doc.example does not trigger the rule", r.id));
        }
        for d in &ex.diagnostics {
            bad.push(format!("{}: doc.example: {}", r.id, d.message));
        }
        let ok = engine.scan_source("use_instead.py", &r.doc.use_instead);
        if ok.findings.iter().any(|f| f.rule_id == r.id) {
            bad.push(format!("{}: doc.use_instead triggers the rule", r.id));
        }
        for d in &ok.diagnostics {
            bad.push(format!("{}: doc.use_instead: {}", r.id, d.message));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
