//! The SARIF 2.1.0 schema (`tests/schemas/sarif-2.1.0.json`), compiled to validate the SARIF
//! logs pyward writes.

#![allow(dead_code)] // each test binary uses part of it

use serde_json::Value;

/// The schema as a validator, with `format` keywords checked.
pub fn validator() -> jsonschema::Validator {
    let mut schema: Value =
        serde_json::from_str(include_str!("../schemas/sarif-2.1.0.json")).expect("schema is JSON");
    fix_language_pattern(&mut schema);
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles")
}

/// Every schema error in `log`, each with where it is.
pub fn errors(log: &Value) -> Vec<String> {
    validator()
        .iter_errors(log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// The published schema's `language` pattern has a stray `]`
/// (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`), which the draft-4 meta-schema check rejects
/// as an invalid `regex`. The file is kept byte for byte as published; the copy in memory
/// gets the intended pattern (two letters, optionally `-` and two more).
fn fix_language_pattern(v: &mut Value) {
    const BROKEN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if k == "pattern" && child.as_str() == Some(BROKEN) {
                    *child = Value::from("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
                } else {
                    fix_language_pattern(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(fix_language_pattern),
        _ => {}
    }
}
