//! The four report formats on a hand-made scan outcome with one finding of each shape:
//! plain, taint path, suppressed, with fix edits, multi-line, unicode, from the model with a
//! rule the catalogue does not know, plus diagnostics.
//!
//! The catalogue is built here from inline rule files, so adding rules to `rules/` does not
//! change these snapshots.

use pyward::finding::{
    assign_fingerprints, Confidence, Edit, Finding, Origin, Severity, Span, Suppression, TaintStep,
    TaintStepKind,
};
use pyward::report::json::JsonReport;
use pyward::report::{render, ruleset_hash, Format, RenderOptions, RunMeta};
use pyward::rules::{parse_rule, Catalog};
use pyward::scan::{Diagnostic, DiagnosticLevel, ScanOutcome};
use serde_json::Value;

const RULE_SHELL: &str = r#"
id = "PW101"
name = "subprocess-shell-true"
title = "Subprocess call with `shell=True` and a dynamic command"
category = "command-injection"
cwe = [78]
severity = "high"
confidence = "high"
bandit = ["B602"]
ruff = ["S602"]
message = "`{callee}` runs its command through a shell"
remediation = "Pass the command as a list with `shell=False`."

[doc]
what = "Flags subprocess calls with `shell=True` and a non-constant command."
why = "The shell interprets `;`, `|` and `$(...)` in the command: input that reaches it can run other commands."
example = """
subprocess.run(f"ls {d}", shell=True)
"""
use_instead = """
subprocess.run(["ls", d], check=True)
"""
references = ["https://cwe.mitre.org/data/definitions/78.html"]

[[patterns]]
kind = "call"
callee = ["subprocess.run"]
args = [{ name = "shell", is = "true" }]
"#;

const RULE_YAML: &str = r#"
id = "PW201"
name = "yaml-unsafe-load"
title = "YAML loaded with a loader that builds arbitrary objects"
category = "deserialization"
cwe = [502]
severity = "medium"
confidence = "high"
message = "`{callee}` can construct arbitrary Python objects"
remediation = "Use `yaml.safe_load`."

[doc]
what = "Flags `yaml.load` without a safe loader."
why = "A YAML document can name Python constructors; loading untrusted YAML this way runs code."
example = """
data = yaml.load(stream)
"""
use_instead = """
data = yaml.safe_load(stream)
"""
references = ["https://cwe.mitre.org/data/definitions/502.html"]

[[patterns]]
kind = "call"
callee = ["yaml.load"]

[[fix]]
capture = "callee"
replacement = "yaml.safe_load"
description = "Use `yaml.safe_load`"
"#;

const RULE_EVAL: &str = r#"
id = "PW301"
name = "eval-call"
title = "Call to `eval`"
category = "code-injection"
cwe = [95, 94]
severity = "low"
confidence = "medium"
message = "`eval` runs its argument as Python code"
remediation = "Parse the data with `ast.literal_eval` or `json.loads`."

[doc]
what = "Flags calls to `eval`."
why = "Whoever controls the string controls the process."
example = """
eval(expr)
"""
use_instead = """
ast.literal_eval(expr)
"""
references = ["https://cwe.mitre.org/data/definitions/95.html"]

[[patterns]]
kind = "call"
callee = ["eval"]
"#;

fn catalog() -> Catalog {
    let specs = vec![
        parse_rule("python/deserialization/PW201.toml", RULE_YAML).expect("PW201"),
        parse_rule("python/command-injection/PW101.toml", RULE_SHELL).expect("PW101"),
        parse_rule("python/code-injection/PW301.toml", RULE_EVAL).expect("PW301"),
    ];
    Catalog::from_specs(specs).expect("catalog")
}

fn span(sl: usize, sc: usize, el: usize, ec: usize) -> Span {
    Span {
        start_line: sl,
        start_column: sc,
        end_line: el,
        end_column: ec,
    }
}

#[allow(clippy::too_many_arguments)]
fn finding(
    rule_id: &str,
    cwe: &[u32],
    severity: Severity,
    path: &str,
    sp: Span,
    snippet: &str,
    message: &str,
    remediation: &str,
) -> Finding {
    Finding {
        rule_id: rule_id.to_string(),
        cwe: cwe.to_vec(),
        severity,
        confidence: Confidence::High,
        path: path.to_string(),
        span: sp,
        snippet: snippet.to_string(),
        message: message.to_string(),
        remediation: remediation.to_string(),
        taint_path: Vec::new(),
        fingerprint: String::new(),
        origin: Origin::Static,
        suppressed: None,
        fixes: Vec::new(),
        verdict: None,
        explanation: None,
        fix: None,
    }
}

/// One finding of each shape, deliberately out of report order.
fn outcome() -> ScanOutcome {
    let shell_fix = "Pass the command as a list with `shell=False`.";

    // Taint path: request parameter → variable → shell command.
    let mut taint = finding(
        "PW101",
        &[78],
        Severity::High,
        "app/views.py",
        span(14, 5, 14, 36),
        "    subprocess.run(cmd, shell=True)\n",
        "`subprocess.run` runs its command through a shell",
        shell_fix,
    );
    taint.taint_path = vec![
        TaintStep {
            kind: TaintStepKind::Source,
            span: span(12, 12, 12, 32),
            snippet: "request.args[\"host\"]".into(),
            note: "HTTP request parameter".into(),
            path: None,
        },
        TaintStep {
            kind: TaintStepKind::Propagation,
            span: span(13, 5, 13, 30),
            snippet: "cmd = f\"ping -c 1 {host}\"".into(),
            note: "interpolated into `cmd`".into(),
            path: None,
        },
        TaintStep {
            kind: TaintStepKind::Sink,
            span: span(14, 20, 14, 23),
            snippet: "cmd".into(),
            note: "reaches a shell command".into(),
            path: None,
        },
    ];

    // Plain.
    let plain = finding(
        "PW101",
        &[78],
        Severity::High,
        "app/tasks.py",
        span(4, 5, 4, 54),
        "    subprocess.run(f\"tar czf {name}.tgz\", shell=True)\n",
        "`subprocess.run` runs its command through a shell",
        shell_fix,
    );

    // With a fix edit.
    let mut fixable = finding(
        "PW201",
        &[502],
        Severity::Medium,
        "app/config.py",
        span(7, 12, 7, 29),
        "    data = yaml.load(stream)\n",
        "`yaml.load` can construct arbitrary Python objects",
        "Use `yaml.safe_load`.",
    );
    fixable.fixes = vec![Edit {
        span: span(7, 12, 7, 21),
        start_byte: 120,
        end_byte: 129,
        replacement: "yaml.safe_load".into(),
        description: "Use `yaml.safe_load`".into(),
        imports: Vec::new(),
    }];

    // Suppressed.
    let mut suppressed = finding(
        "PW201",
        &[502],
        Severity::Medium,
        "app/config.py",
        span(20, 12, 20, 30),
        "    return yaml.load(fixture)  # nosec B506\n",
        "`yaml.load` can construct arbitrary Python objects",
        "Use `yaml.safe_load`.",
    );
    suppressed.suppressed = Some(Suppression {
        kind: "nosec".into(),
        justification: "# nosec B506".into(),
    });

    // Multi-line snippet.
    let multi = finding(
        "PW101",
        &[78],
        Severity::High,
        "app/tasks.py",
        span(9, 5, 12, 6),
        "    subprocess.run(\n        build_command(job),\n        shell=True,\n    )\n",
        "`subprocess.run` runs its command through a shell",
        shell_fix,
    );

    // Unicode before the flagged expression (columns count characters).
    let mut unicode = finding(
        "PW301",
        &[95, 94],
        Severity::Low,
        "app/計算.py",
        span(3, 6, 3, 14),
        "名前 = eval(入力)  # “quoted” ✓\n",
        "`eval` runs its argument as Python code",
        "Parse the data with `ast.literal_eval` or `json.loads`.",
    );
    unicode.confidence = Confidence::Medium;

    // Reported by the model under a rule id the catalogue does not have.
    let mut model = finding(
        "PW999",
        &[22],
        Severity::Medium,
        "app/files.py",
        span(5, 12, 5, 42),
        "    return open(os.path.join(ROOT, name))\n",
        "User-controlled `name` is joined to a path without normalisation",
        "Resolve the path and check it stays under `ROOT`.",
    );
    model.origin = Origin::Model;
    model.confidence = Confidence::Low;

    let mut findings = vec![unicode, suppressed, taint, model, multi, fixable, plain];
    assign_fingerprints(&mut findings);
    ScanOutcome {
        findings,
        diagnostics: vec![
            Diagnostic {
                path: "vendor/blob.py".into(),
                level: DiagnosticLevel::Error,
                message: "vendor/blob.py: binary file (NUL byte at offset 17)".into(),
                line: None,
            },
            Diagnostic {
                path: "app/broken.py".into(),
                level: DiagnosticLevel::Warning,
                message: "syntax error; the rest of the file was scanned".into(),
                line: Some(3),
            },
        ],
        files_scanned: 9,
    }
}

fn opts(show_suppressed: bool, color: bool) -> RenderOptions {
    RenderOptions {
        color,
        show_suppressed,
        meta: RunMeta {
            tool_version: "0.1.0".into(),
            ruleset_hash: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into(),
            command_line: vec!["pyward".into(), "scan".into(), "app".into()],
            rules: Vec::new(),
            model: None,
            usage: None,
        },
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------- format names

#[test]
fn format_names_parse() {
    for f in Format::ALL {
        assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        assert_eq!(f.to_string(), f.as_str());
    }
    assert_eq!("MD".parse::<Format>(), Ok(Format::Markdown));
    let err = "xml".parse::<Format>().unwrap_err();
    assert!(err.to_string().contains("xml"), "{err}");
}

// ---------------------------------------------------------------- ruleset hash

#[test]
fn ruleset_hash_is_stable_and_sensitive() {
    let a = ruleset_hash(&catalog());
    assert_eq!(a.len(), 64);
    assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    // The order rules are given in does not matter.
    let reordered =
        Catalog::from_specs(catalog().rules().iter().rev().cloned().collect()).expect("catalog");
    assert_eq!(ruleset_hash(&reordered), a);
    // Any change to a rule does.
    let mut specs = catalog().rules().to_vec();
    specs[0].remediation.push('!');
    assert_ne!(
        ruleset_hash(&Catalog::from_specs(specs).expect("catalog")),
        a
    );
    // So does dropping one.
    let fewer = Catalog::from_specs(catalog().rules()[1..].to_vec()).expect("catalog");
    assert_ne!(ruleset_hash(&fewer), a);
}

// ---------------------------------------------------------------- text

#[test]
fn text_lists_findings_with_carets_and_summary() {
    let out = render(Format::Text, &outcome(), &catalog(), &opts(false, false));
    assert!(!out.contains('\x1b'), "no colour codes when colour is off");
    assert!(out.contains("app/tasks.py:4:5: PW101 [high] `subprocess.run` runs its command"));
    // Suppressed findings are hidden by default but counted.
    assert!(!out.contains("app/config.py:20:12"));
    let last = out.lines().last().unwrap();
    assert_eq!(
        last,
        "6 findings (3 high, 2 medium, 1 low) in 9 files; 1 suppressed; 1 error, 1 warning"
    );
    // Diagnostics come after the findings and before the summary, clearly marked.
    let diag = out
        .find("diagnostics (files skipped")
        .expect("diagnostics heading");
    assert!(out.rfind(": PW").unwrap() < diag);
    assert!(out.contains("  vendor/blob.py: error: binary file (NUL byte at offset 17)\n"));
    assert!(out.contains("  app/broken.py:3: warning: syntax error;"));
    // Taint path steps are listed in order.
    let src = out.find("1. source").expect("source step");
    let prop = out.find("2. propagation").expect("propagation step");
    let sink = out.find("3. sink").expect("sink step");
    assert!(src < prop && prop < sink);
    assert!(out.contains("fix available: Use `yaml.safe_load`"));
}

#[test]
fn text_caret_sits_under_the_flagged_characters() {
    let out = render(Format::Text, &outcome(), &catalog(), &opts(false, false));
    let lines: Vec<&str> = out.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.contains("名前 = eval(入力)"))
        .expect("unicode source line");
    let code_start = lines[i].find("名前").unwrap();
    let carets = lines[i + 1];
    let caret_start = carets.find('^').unwrap();
    // `名前 = ` is 2 wide characters + 3 narrow: 7 terminal cells; eval(入力) is 10 cells.
    let prefix_cells = caret_start - code_start;
    assert_eq!(prefix_cells, 7, "{carets:?}");
    assert_eq!(carets.matches('^').count(), 10, "{carets:?}");
}

#[test]
fn text_multi_line_spans_underline_each_line() {
    let out = render(Format::Text, &outcome(), &catalog(), &opts(false, false));
    let start = out.find("app/tasks.py:9:5:").expect("multi-line finding");
    let block: Vec<&str> = out[start..].lines().take(10).collect();
    let numbered: Vec<&&str> = block
        .iter()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(numbered.len(), 4, "{block:#?}");
    assert_eq!(
        block.iter().filter(|l| l.contains('^')).count(),
        4,
        "{block:#?}"
    );
}

#[test]
fn text_shows_suppressed_on_request() {
    let out = render(Format::Text, &outcome(), &catalog(), &opts(true, false));
    assert!(out.contains("app/config.py:20:12: PW201 [medium] (suppressed)"));
    assert!(out.contains("suppressed (nosec): # nosec B506"));
    // Still not counted as a finding.
    assert!(out.contains("6 findings (3 high, 2 medium, 1 low) in 9 files; 1 suppressed"));
}

#[test]
fn text_colour_only_adds_escape_codes() {
    let plain = render(Format::Text, &outcome(), &catalog(), &opts(true, false));
    let coloured = render(Format::Text, &outcome(), &catalog(), &opts(true, true));
    assert!(coloured.contains("\x1b["));
    assert_eq!(strip_ansi(&coloured), plain);
}

#[test]
fn text_empty_scan() {
    let empty = ScanOutcome {
        files_scanned: 1,
        ..ScanOutcome::default()
    };
    let out = render(Format::Text, &empty, &catalog(), &opts(false, false));
    assert_eq!(
        out,
        "0 findings (0 high, 0 medium, 0 low) in 1 file; 0 suppressed\n"
    );
}

// ---------------------------------------------------------------- markdown

#[test]
fn markdown_has_summary_sections_and_links() {
    let out = render(
        Format::Markdown,
        &outcome(),
        &catalog(),
        &opts(false, false),
    );
    assert!(out.starts_with("# pyward security report\n"));
    assert!(out.contains("| High | 3 |\n| Medium | 2 |\n| Low | 1 |\n| **Total** | **6** |"));
    // One section per file, files in order.
    let files: Vec<&str> = out.lines().filter(|l| l.starts_with("## `")).collect();
    assert_eq!(
        files,
        [
            "## `app/config.py`",
            "## `app/files.py`",
            "## `app/tasks.py`",
            "## `app/views.py`",
            "## `app/計算.py`"
        ]
    );
    assert!(out.contains("[CWE-78](https://cwe.mitre.org/data/definitions/78.html)"));
    assert!(out.contains("[CWE-95](https://cwe.mitre.org/data/definitions/95.html), [CWE-94]"));
    // Code with line numbers, rule docs, safer pattern, the fix as a diff, the taint path.
    assert!(out.contains("```python\n14 |     subprocess.run(cmd, shell=True)\n```"));
    assert!(out.contains("The shell interprets `;`, `|` and `$(...)`"));
    assert!(
        out.contains("A safer pattern:\n\n```python\nsubprocess.run([\"ls\", d], check=True)\n```")
    );
    assert!(out.contains("-    data = yaml.load(stream)\n  +    data = yaml.safe_load(stream)"));
    assert!(out.contains(
        "1. **Source** at line 12, column 12: `request.args[\"host\"]` — HTTP request parameter"
    ));
    // A finding whose rule is unknown still renders, without a rule doc.
    assert!(out.contains("### 2. User-controlled `name` is joined to a path"));
    assert!(out.contains("Reported by the model"));
    // Suppressed findings are hidden by default.
    assert!(!out.contains("fixture"));
    assert!(out.contains("\n1 finding suppressed by in-source comments is not shown.\n"));
    // Diagnostics at the end.
    assert!(out.contains("## Diagnostics"));
    assert!(out.contains("- **error** `vendor/blob.py`: binary file (NUL byte at offset 17)"));
}

#[test]
fn markdown_links_every_finding_from_the_summary_table() {
    let out = render(Format::Markdown, &outcome(), &catalog(), &opts(true, false));
    for n in 1..=7 {
        assert!(out.contains(&format!("| [{n}](#finding-{n}) |")), "row {n}");
        assert!(
            out.contains(&format!("<a id=\"finding-{n}\"></a>")),
            "anchor {n}"
        );
    }
    assert!(out.contains("> **Suppressed** (nosec) by `# nosec B506`"));
}

// ---------------------------------------------------------------- json

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

// ---------------------------------------------------------------- sarif

fn sarif_validator() -> jsonschema::Validator {
    let mut schema: Value =
        serde_json::from_str(include_str!("schemas/sarif-2.1.0.json")).expect("schema is JSON");
    fix_language_pattern(&mut schema);
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles")
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

fn assert_valid_sarif(v: &Value) {
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}",
        errors.join("\n")
    );
}

fn sarif(outcome: &ScanOutcome) -> Value {
    let out = render(Format::Sarif, outcome, &catalog(), &opts(false, false));
    serde_json::from_str(&out).expect("SARIF is JSON")
}

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

// ---------------------------------------------------------------- all formats

#[test]
fn output_does_not_depend_on_input_order() {
    let a = outcome();
    let mut b = outcome();
    b.findings.reverse();
    b.diagnostics.reverse();
    for format in Format::ALL {
        for show in [false, true] {
            let o = opts(show, false);
            assert_eq!(
                render(format, &a, &catalog(), &o),
                render(format, &b, &catalog(), &o),
                "{format} (show_suppressed={show})"
            );
        }
    }
}

#[test]
fn every_format_ends_with_one_newline() {
    for format in Format::ALL {
        let out = render(format, &outcome(), &catalog(), &opts(false, false));
        assert!(out.ends_with('\n') && !out.ends_with("\n\n"), "{format}");
    }
}

// ---------------------------------------------------------------- snapshots

#[test]
fn snapshot_text() {
    insta::assert_snapshot!(
        "text",
        render(Format::Text, &outcome(), &catalog(), &opts(false, false))
    );
}

#[test]
fn snapshot_text_show_suppressed() {
    insta::assert_snapshot!(
        "text_show_suppressed",
        render(Format::Text, &outcome(), &catalog(), &opts(true, false))
    );
}

#[test]
fn snapshot_markdown() {
    insta::assert_snapshot!(
        "markdown",
        render(
            Format::Markdown,
            &outcome(),
            &catalog(),
            &opts(false, false)
        )
    );
}

#[test]
fn snapshot_json() {
    insta::assert_snapshot!(
        "json",
        render(Format::Json, &outcome(), &catalog(), &opts(false, false))
    );
}

#[test]
fn snapshot_sarif() {
    insta::assert_snapshot!(
        "sarif",
        render(Format::Sarif, &outcome(), &catalog(), &opts(false, false))
    );
}

#[test]
fn sarif_absolute_and_stdin_paths_are_valid_uris() {
    let mut o = outcome();
    o.findings.truncate(2);
    o.findings[0].path = "/srv/my app/x.py".into();
    o.findings[1].path = "-".into();
    let v = sarif(&o);
    assert_valid_sarif(&v);
    let uris: Vec<&Value> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["locations"][0]["physicalLocation"]["artifactLocation"])
        .collect();
    assert!(uris
        .iter()
        .any(|a| a["uri"] == "file:///srv/my%20app/x.py" && a.get("uriBaseId").is_none()));
    assert!(uris
        .iter()
        .any(|a| a["uri"] == "-" && a.get("uriBaseId").is_none()));
}

#[test]
fn json_of_an_empty_scan_round_trips() {
    let empty = ScanOutcome::default();
    let out = render(Format::Json, &empty, &catalog(), &opts(false, false));
    let parsed: JsonReport = serde_json::from_str(&out).unwrap();
    assert!(parsed.findings.is_empty() && parsed.diagnostics.is_empty());
    assert_eq!(parsed.summary, pyward::report::Summary::default());
}

#[test]
fn sarif_of_the_embedded_catalogue_validates() {
    let catalog = Catalog::embedded().expect("embedded rules");
    let mut o = outcome();
    o.findings.retain(|f| f.rule_id == "PW101");
    let meta = RunMeta::new(&catalog, vec!["pyward".into()]);
    assert_eq!(meta.ruleset_hash, ruleset_hash(&catalog));
    let opts = RenderOptions {
        color: false,
        show_suppressed: false,
        meta,
    };
    let v: Value = serde_json::from_str(&render(Format::Sarif, &o, &catalog, &opts)).expect("JSON");
    assert_valid_sarif(&v);
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), catalog.rules().len());
    // Every format renders the real rule docs without trouble.
    for format in Format::ALL {
        assert!(!render(format, &o, &catalog, &opts).is_empty());
    }
}

#[test]
fn renderers_never_panic_on_odd_spans_and_snippets() {
    let snippets = ["", "ab\n", "名\tx\r\nyz", "a\n\nb\n"];
    let catalog = catalog();
    let validator = sarif_validator();
    let mut rendered = 0;
    for snippet in snippets {
        for sl in 0..3 {
            for sc in 0..5 {
                for el in 0..3 {
                    for ec in 0..5 {
                        let mut f = outcome().findings.remove(0);
                        f.snippet = snippet.to_string();
                        f.span = span(sl, sc, el, ec);
                        f.fixes = vec![Edit {
                            span: span(el, ec, sl, sc),
                            start_byte: 0,
                            end_byte: 0,
                            replacement: "x".into(),
                            description: String::new(),
                            imports: Vec::new(),
                        }];
                        let o = ScanOutcome {
                            findings: vec![f],
                            diagnostics: Vec::new(),
                            files_scanned: 1,
                        };
                        for format in Format::ALL {
                            let out = render(format, &o, &catalog, &opts(true, true));
                            if format == Format::Sarif {
                                let v: Value = serde_json::from_str(&out).expect("JSON");
                                assert!(
                                    validator.is_valid(&v),
                                    "invalid SARIF for {:?}",
                                    o.findings[0].span
                                );
                            }
                            rendered += out.len();
                        }
                    }
                }
            }
        }
    }
    assert!(rendered > 0);
}
