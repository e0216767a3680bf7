//! The four report formats on a hand-made scan outcome with one finding of each shape:
//! plain, taint path, suppressed, with fix edits, multi-line, unicode, from the model with a
//! rule the catalogue does not know, plus diagnostics.
//!
//! The catalogue is built here from inline rule files, so adding rules to `rules/` does not
//! change these snapshots. The snapshot tests stay in this file, so their names stay
//! `report_formats__*`.

use pyward::finding::{
    assign_fingerprints, Confidence, Edit, Finding, Origin, Severity, Span, Suppression, TaintStep,
    TaintStepKind,
};
use pyward::report::json::JsonReport;
use pyward::report::{render, ruleset_hash, Format, RenderOptions, RunMeta};
use pyward::rules::{parse_rule, Catalog};
use pyward::scan::{Diagnostic, DiagnosticLevel, ScanOutcome};
use serde_json::Value;

#[path = "../support/sarif_schema.rs"]
mod sarif_schema;

mod all_formats;
mod json;
mod markdown;
mod meta;
mod sarif;
mod text;

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

fn sarif_validator() -> jsonschema::Validator {
    sarif_schema::validator()
}

fn assert_valid_sarif(v: &Value) {
    let errors = sarif_schema::errors(v);
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
