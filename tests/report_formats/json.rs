//! Report formats: json.

use super::*;

#[test]
fn json_round_trips_and_keeps_suppressed_findings() {
    let outcome = outcome();
    let out = render(Format::Json, &outcome, &catalog(), &opts(false, false));
    let parsed: JsonReport = serde_json::from_str(&out).expect("valid JSON report");
    assert_eq!(parsed, JsonReport::new(&outcome, &opts(false, false)));
    assert_eq!(parsed.version, 1);
    assert_eq!(parsed.tool.name, "pyward");
    assert_eq!(parsed.findings.len(), 7, "suppressed findings are included");
    assert_eq!(parsed.summary.findings, 6);
    assert_eq!(parsed.summary.suppressed, 1);
    assert_eq!(parsed.summary.by_severity.high, 3);
    let sup: Vec<&Finding> = parsed
        .findings
        .iter()
        .filter(|f| f.is_suppressed())
        .collect();
    assert_eq!(sup.len(), 1);
    assert_eq!(sup[0].suppressed.as_ref().unwrap().kind, "nosec");
    // Sorted by path then position.
    let keys: Vec<(String, usize)> = parsed
        .findings
        .iter()
        .map(|f| (f.path.clone(), f.span.start_line))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // Re-serialising the parsed report gives the same text.
    let again = serde_json::to_string_pretty(&parsed).unwrap() + "\n";
    assert_eq!(again, out);
}

#[test]
fn json_has_the_documented_top_level_shape() {
    let out = render(Format::Json, &outcome(), &catalog(), &opts(false, false));
    let v: Value = serde_json::from_str(&out).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    for k in ["version", "tool", "summary", "findings", "diagnostics"] {
        assert!(keys.contains(&k), "missing {k}");
    }
    assert_eq!(v["tool"]["ruleset_hash"].as_str().unwrap().len(), 64);
    assert_eq!(v["diagnostics"][0]["path"], "app/broken.py");
    // Every field named in docs/json-format.md appears there.
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json-format.md"))
        .expect("docs/json-format.md");
    let mut missing = Vec::new();
    collect_keys(&v, "", &mut missing, &doc);
    assert!(missing.is_empty(), "undocumented JSON fields: {missing:?}");
}

/// Every object key in `v`, as a dotted path, that `doc` does not mention as `` `key` ``.
fn collect_keys(v: &Value, prefix: &str, missing: &mut Vec<String>, doc: &str) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let path = format!("{prefix}{k}");
                if !doc.contains(&format!("`{k}`")) {
                    missing.push(path.clone());
                }
                collect_keys(child, &format!("{path}."), missing, doc);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_keys(item, prefix, missing, doc);
            }
        }
        _ => {}
    }
}
