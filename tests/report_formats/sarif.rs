//! Report formats: sarif.

use super::*;

#[test]
fn sarif_validates_against_the_official_schema() {
    assert_valid_sarif(&sarif(&outcome()));
    assert_valid_sarif(&sarif(&ScanOutcome::default()));
}

#[test]
fn sarif_validator_rejects_a_broken_log() {
    // Proves the schema check is live: a bad level and a missing message must fail.
    let mut v = sarif(&outcome());
    v["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!sarif_validator().is_valid(&v));
    let mut v = sarif(&outcome());
    v["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!sarif_validator().is_valid(&v));
}

#[test]
fn sarif_lists_every_rule_with_github_properties() {
    let v = sarif(&outcome());
    let run = &v["runs"][0];
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "pyward");
    assert_eq!(driver["version"], "0.1.0");
    let ids: Vec<&str> = driver["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["PW101", "PW201", "PW301"], "all rules, in id order");
    let pw101 = &driver["rules"][0];
    assert_eq!(pw101["defaultConfiguration"]["level"], "error");
    assert_eq!(pw101["properties"]["security-severity"], "8.0");
    assert_eq!(pw101["properties"]["precision"], "high");
    let tags: Vec<&str> = pw101["properties"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        tags.contains(&"security") && tags.contains(&"external/cwe/cwe-078"),
        "{tags:?}"
    );
    assert!(pw101["help"]["markdown"]
        .as_str()
        .unwrap()
        .contains("## Why is this bad?"));
    assert!(pw101["help"]["text"]
        .as_str()
        .unwrap()
        .contains("The shell interprets"));
    assert_eq!(driver["rules"][2]["properties"]["security-severity"], "3.0");
    assert_eq!(
        driver["rules"][1]["defaultConfiguration"]["level"],
        "warning"
    );
}

#[test]
fn sarif_results_point_at_their_rules_and_locations() {
    let v = sarif(&outcome());
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 7, "suppressed findings are results too");
    for r in results {
        match r.get("ruleIndex") {
            Some(i) => assert_eq!(rules[i.as_u64().unwrap() as usize]["id"], r["ruleId"]),
            None => assert_eq!(r["ruleId"], "PW999", "only unknown rules lack an index"),
        }
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(!loc["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with('/'));
        assert_eq!(
            r["partialFingerprints"]["pywardFingerprint/v1"]
                .as_str()
                .unwrap()
                .len(),
            32
        );
        assert!(r["suppressions"].is_array());
    }
    let by_path = |p: &str, line: u64| {
        results
            .iter()
            .find(|r| {
                let l = &r["locations"][0]["physicalLocation"];
                l["artifactLocation"]["uri"] == p && l["region"]["startLine"] == line
            })
            .unwrap_or_else(|| panic!("no result at {p}:{line}"))
    };
    // Unicode: columns count code points; the region's snippet is exactly the flagged text.
    let uni = by_path("app/%E8%A8%88%E7%AE%97.py", 3);
    assert_eq!(uni["level"], "note");
    assert_eq!(
        uni["locations"][0]["physicalLocation"]["region"]["snippet"]["text"],
        "eval(入力)"
    );
    // Multi-line region with its context lines.
    let multi = by_path("app/tasks.py", 9);
    let region = &multi["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["endLine"], 12);
    assert_eq!(region["endColumn"], 6);
    assert_eq!(
        multi["locations"][0]["physicalLocation"]["contextRegion"]["endLine"],
        12
    );
    // Taint path as a code flow.
    let taint = by_path("app/views.py", 14);
    let steps = taint["codeFlows"][0]["threadFlows"][0]["locations"]
        .as_array()
        .unwrap();
    assert_eq!(steps.len(), 3);
    assert_eq!(steps[0]["kinds"][1], "source");
    assert_eq!(steps[2]["kinds"][1], "sink");
    assert_eq!(
        steps[0]["location"]["physicalLocation"]["region"]["startLine"],
        12
    );
    // Fix edits as replacements.
    let fixable = by_path("app/config.py", 7);
    let rep = &fixable["fixes"][0]["artifactChanges"][0]["replacements"][0];
    assert_eq!(rep["insertedContent"]["text"], "yaml.safe_load");
    assert_eq!(rep["deletedRegion"]["startColumn"], 12);
    assert_eq!(rep["deletedRegion"]["endColumn"], 21);
    // Suppressed in source.
    let sup = by_path("app/config.py", 20);
    assert_eq!(sup["suppressions"][0]["kind"], "inSource");
    assert_eq!(sup["suppressions"][0]["justification"], "# nosec B506");
    assert_eq!(
        by_path("app/tasks.py", 4)["suppressions"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Diagnostics as tool execution notifications.
    let inv = &run["invocations"][0];
    assert_eq!(inv["executionSuccessful"], true);
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0]["level"], "warning");
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
    assert_eq!(notes[1]["level"], "error");
}
