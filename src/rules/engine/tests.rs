//! Engine tests: patterns, queries, dedupe, suppression, fixes, hostile input.

use super::render::snippet_lines;
use super::*;
use crate::finding::{Origin, Span};
use crate::rules::parse_rule;

fn engine(rules: &[(&str, &str)]) -> Engine {
    let specs = rules
        .iter()
        .map(|(path, text)| parse_rule(path, text).unwrap())
        .collect();
    Engine::new(Catalog::from_specs(specs).unwrap()).unwrap()
}

fn rule_toml(id: &str, extra: &str) -> String {
    // Message placeholders must name captures the rule's matches have.
    let message = if extra.contains("kind = \"call\"") {
        "call to {callee} in {call}"
    } else {
        "match"
    };
    format!(
        r#"id = "{id}"
name = "t"
title = "T"
category = "test"
cwe = [1]
severity = "high"
confidence = "high"
bandit = ["B999"]
ruff = ["S999"]
message = "{message}"
remediation = "r"
[doc]
what = "w"
why = "w"
example = ""
use_instead = ""
references = ["https://cwe.mitre.org/data/definitions/1.html"]
{extra}
"#
    )
}

fn lines(e: &Engine, src: &str) -> Vec<(String, usize)> {
    let s = e.scan_source("t.py", src);
    s.findings
        .iter()
        .map(|f| (f.rule_id.clone(), f.span.start_line))
        .collect()
}

#[test]
fn findings_sharing_node_and_cwe_keep_the_most_specific() {
    let pat = |id: &str, conf: &str, cwe: &str| {
        rule_toml(
            id,
            "[[patterns]]\nkind = \"call\"\ncallee = [\"os.system\"]\n",
        )
        .replace("confidence = \"high\"", &format!("confidence = \"{conf}\""))
        .replace("cwe = [1]", &format!("cwe = {cwe}"))
    };
    let src = "import os\nos.system(cmd)\n";
    // Same node, same primary CWE: higher confidence wins, whatever the ids.
    let e = engine(&[
        ("python/test/PW901.toml", &pat("PW901", "medium", "[78]")),
        ("python/test/PW902.toml", &pat("PW902", "high", "[78, 88]")),
    ]);
    assert_eq!(lines(&e, src), vec![("PW902".to_string(), 2)]);
    // Tie: the lower id wins.
    let e = engine(&[
        ("python/test/PW902.toml", &pat("PW902", "high", "[78]")),
        ("python/test/PW901.toml", &pat("PW901", "high", "[78]")),
    ]);
    assert_eq!(lines(&e, src), vec![("PW901".to_string(), 2)]);
    // Different primary CWEs: both stay, even when a secondary CWE is shared.
    let e = engine(&[
        ("python/test/PW901.toml", &pat("PW901", "high", "[78]")),
        ("python/test/PW902.toml", &pat("PW902", "high", "[89]")),
    ]);
    assert_eq!(
        lines(&e, src),
        vec![("PW901".to_string(), 2), ("PW902".to_string(), 2)]
    );
    let e = engine(&[
        ("python/test/PW901.toml", &pat("PW901", "high", "[426, 78]")),
        ("python/test/PW902.toml", &pat("PW902", "high", "[155, 78]")),
    ]);
    assert_eq!(
        lines(&e, src),
        vec![("PW901".to_string(), 2), ("PW902".to_string(), 2)]
    );
}

#[test]
fn taint_finding_beats_pattern_on_the_same_call() {
    let catalog = Catalog::embedded().unwrap();
    let e = Engine::new(catalog).unwrap();
    let src = "import os\ndef handler(request):\n    host = request.args.get('h')\n    os.system('ping ' + host)\n";
    let ids: Vec<String> = e
        .scan_source("t.py", src)
        .findings
        .into_iter()
        .map(|f| f.rule_id)
        .collect();
    assert!(ids.contains(&"PW102".to_string()), "{ids:?}");
    assert!(!ids.contains(&"PW104".to_string()), "{ids:?}");
    // The SQL string built inside a tainted `execute` call: the taint rule covers it.
    let src = "def handler(request, cur):\n    uid = request.args.get('id')\n    cur.execute(\"SELECT name FROM users WHERE id = \" + uid)\n";
    let ids: Vec<String> = e
        .scan_source("t.py", src)
        .findings
        .into_iter()
        .map(|f| f.rule_id)
        .collect();
    assert!(
        ids.contains(&"PW110".to_string()) && !ids.contains(&"PW111".to_string()),
        "{ids:?}"
    );
    // Without a known source (a parameter, no caller in the file) it is one finding of
    // medium confidence: the parameter's path to the sink.
    let src = "def f(cur, uid):\n    cur.execute(\"SELECT name FROM users WHERE id = \" + uid)\n";
    let found = e.scan_source("t.py", src).findings;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].cwe[0], 89);
    assert_eq!(found[0].confidence, crate::finding::Confidence::Medium);
    // A constant argument from the only caller: the pattern rule alone remains.
    let src = "def f(cur, uid):\n    cur.execute(\"SELECT name FROM users WHERE id = \" + uid)\n\nf(None, '1')\n";
    let ids: Vec<String> = e
        .scan_source("t.py", src)
        .findings
        .into_iter()
        .map(|f| f.rule_id)
        .collect();
    assert_eq!(ids, vec!["PW111".to_string()]);
}

#[test]
fn call_pattern_with_message_and_snippet() {
    let t = rule_toml(
        "PW901",
        "[[patterns]]\nkind = \"call\"\ncallee = [\"os.system\"]\n",
    );
    let e = engine(&[("python/test/PW901.toml", &t)]);
    let src = "import os as o\nx = 1\no.system(\n  cmd)\n";
    let s = e.scan_source("a/t.py", src);
    assert_eq!(s.findings.len(), 1);
    let f = &s.findings[0];
    assert_eq!(f.message, "call to o.system in o.system(…");
    assert_eq!(f.snippet, "o.system(\n  cmd)");
    assert_eq!(
        f.span,
        Span {
            start_line: 3,
            start_column: 1,
            end_line: 4,
            end_column: 7
        }
    );
    assert_eq!(f.origin, Origin::Static);
    assert_eq!(f.fingerprint.len(), 32);
}

#[test]
fn import_and_query_patterns() {
    let t1 = rule_toml(
        "PW902",
        "[[patterns]]\nkind = \"import\"\nmodules = [\"telnetlib\", \"xml.etree\"]\n",
    );
    let t2 = rule_toml(
        "PW903",
        "[[patterns]]\nkind = \"query\"\nquery = '''((call function: (_) @f arguments: (argument_list (string) @s)) @match (#qualname? @f \"pickle.loads\" \"*.unsafe\"))'''\n",
    );
    let e = engine(&[
        ("python/test/PW902.toml", &t1),
        ("python/test/PW903.toml", &t2),
    ]);
    let src = "import telnetlib\nfrom xml.etree import ElementTree\nimport xmlx\nimport pickle as p\np.loads('x')\nloads('x')\no.unsafe('y')\n";
    assert_eq!(
        lines(&e, src),
        vec![
            ("PW902".into(), 1),
            ("PW902".into(), 2),
            ("PW903".into(), 5),
            ("PW903".into(), 7)
        ]
    );
}

#[test]
fn standard_query_predicates_apply() {
    let t = rule_toml(
        "PW911",
        "[[patterns]]\nkind = \"query\"\nquery = '''((assignment left: (identifier) @name right: (string) @match) (#match? @name \"(?i)passw(or)?d\") (#not-eq? @name \"password_hint\"))'''\nmessage_capture = \"\"\n",
    );
    let t = t.replace("message_capture = \"\"\n", "");
    let e = engine(&[("python/test/PW911.toml", &t)]);
    let src = "PASSWORD = 'hunter2'\npassword_hint = 'x'\nname = 'bob'\npasswd = 's'\n";
    assert_eq!(
        lines(&e, src),
        vec![("PW911".into(), 1), ("PW911".into(), 4)]
    );
}

#[test]
fn bad_query_names_its_rule() {
    let t = rule_toml(
        "PW904",
        "[[patterns]]\nkind = \"query\"\nquery = '(call (nonsense) @match)'\n",
    );
    let specs = vec![parse_rule("python/test/PW904.toml", &t).unwrap()];
    let err = Engine::new_checked(Catalog::from_specs(specs).unwrap()).unwrap_err();
    assert!(err.to_string().contains("PW904"), "{err}");
    let t = rule_toml(
        "PW905",
        "[[patterns]]\nkind = \"query\"\nquery = '((call) @match (#frobnicate? @match))'\n",
    );
    let specs = vec![parse_rule("python/test/PW905.toml", &t).unwrap()];
    let err = Engine::new_checked(Catalog::from_specs(specs).unwrap()).unwrap_err();
    assert!(err.to_string().contains("frobnicate"), "{err}");
}

#[test]
fn suppression_is_marked_not_dropped() {
    let t = rule_toml(
        "PW906",
        "[[patterns]]\nkind = \"call\"\ncallee = [\"eval\"]\n",
    );
    let e = engine(&[("python/test/PW906.toml", &t)]);
    let src = "eval(a)  # nosec\neval(b)  # noqa\neval(c)  # noqa: S999\nx = '# nosec'; eval(d)\neval(\n  e,\n)  # pyward: ignore[PW906]\n";
    let s = e.scan_source("t.py", src);
    let got: Vec<(usize, Option<String>)> = s
        .findings
        .iter()
        .map(|f| {
            (
                f.span.start_line,
                f.suppressed.as_ref().map(|x| x.kind.clone()),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (1, Some("nosec".into())),
            (2, None),
            (3, Some("noqa".into())),
            (4, None),
            (5, Some("pyward".into())),
        ]
    );
}

#[test]
fn fix_templates_become_edits() {
    let t = rule_toml(
        "PW907",
        "[[patterns]]\nkind = \"call\"\ncallee = [\"yaml.load\"]\n[[fix]]\ncapture = \"callee\"\nreplacement = \"yaml.safe_load\"\ndescription = \"use safe_load\"\n[[fix]]\ncapture = \"arg:verify\"\nreplacement = \"True\"\ndescription = \"verify\"\n",
    );
    let e = engine(&[("python/test/PW907.toml", &t)]);
    let src = "import yaml\nyaml.load(s, verify=False)\n";
    let f = &e.scan_source("t.py", src).findings[0];
    assert_eq!(f.fixes.len(), 2);
    assert_eq!(
        &src[f.fixes[0].start_byte..f.fixes[0].end_byte],
        "yaml.load"
    );
    assert_eq!(f.fixes[0].replacement, "yaml.safe_load");
    assert_eq!(&src[f.fixes[1].start_byte..f.fixes[1].end_byte], "False");
}

#[test]
fn syntax_errors_warn_and_scan_continues() {
    let t = rule_toml(
        "PW908",
        "[[patterns]]\nkind = \"call\"\ncallee = [\"eval\"]\n",
    );
    let e = engine(&[("python/test/PW908.toml", &t)]);
    let s = e.scan_source("t.py", "x = 1\ndef f(:\n    pass\neval(x)\n");
    assert_eq!(s.diagnostics.len(), 1);
    assert_eq!(s.diagnostics[0].level, DiagnosticLevel::Warning);
    assert_eq!(s.diagnostics[0].line, Some(2));
    assert_eq!(s.findings.len(), 1);
}

#[test]
fn deep_nesting_does_not_overflow() {
    let t = rule_toml("PW909", "[[patterns]]\nkind = \"call\"\ncallee = [\"eval\"]\n[[patterns]]\nkind = \"query\"\nquery = '((call) @match (#qualname? @match \"eval\"))'\n");
    let e = engine(&[("python/test/PW909.toml", &t)]);
    let n = 10_000;
    let src = format!("x = {}eval(y){}\n", "(".repeat(n), ")".repeat(n));
    let s = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || e.scan_source("t.py", &src).findings.len())
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(s, 1);
    let t = rule_toml(
        "PW910",
        "[[patterns]]\nkind = \"call\"\ncallee = [\"eval\"]\n",
    );
    let e = engine(&[("python/test/PW910.toml", &t)]);
    let src = format!("x = {}{}\n", "[".repeat(n), "]".repeat(n));
    let s = e.scan_source("t.py", &src);
    assert!(s.findings.is_empty());
}

#[test]
fn pathological_inputs_never_panic_with_the_full_catalogue() {
    let e = Engine::new(Catalog::embedded().unwrap()).unwrap();
    let mut nested_ifs =
        String::from("import os\nfrom flask import request\ndef f():\n    x = request.args['a']\n");
    for d in 1..300 {
        nested_ifs.push_str(&"    ".repeat(d));
        nested_ifs.push_str("if x:\n");
    }
    nested_ifs.push_str(&"    ".repeat(300));
    nested_ifs.push_str("os.system(x)\n");
    let inputs = vec![
        String::new(),
        "# only a comment".to_string(),
        "x = '''unterminated".to_string(),
        "def f(:\n  eval(\n".to_string(),
        "\r\n\r\nimport os\r\nos.system(input())\r\n".to_string(),
        "s = 'héllo 🎉'; eval(s)  # nosec".to_string(),
        format!("x = {}", "[".repeat(10_000)),
        format!("x = {}1{}", "-".repeat(10_000), ""),
        format!("x = a{}", ".b".repeat(10_000)),
        format!("x = f{}", "()".repeat(5_000)),
        nested_ifs,
        "\u{0}\u{1}\u{7f}".to_string(),
    ];
    for src in inputs {
        let e = &e;
        let head: String = src.chars().take(40).collect();
        std::thread::scope(|s| {
            s.spawn(move || {
                let r = e.scan_source("p.py", &src);
                for f in &r.findings {
                    assert!(f.span.start_line >= 1 && f.span.end_line >= f.span.start_line);
                }
            })
            .join()
            .unwrap_or_else(|_| panic!("panicked on input starting {head:?}"));
        });
    }
}

#[test]
fn snippets_are_whole_lines_capped() {
    let src = "a\nbb(1,\n2,\n3,\n4,\n5,\n6)\nc";
    let start = src.find("bb").unwrap() + 1;
    let end = src.find("6)").unwrap() + 2;
    assert_eq!(snippet_lines(src, start, end), "bb(1,\n2,\n3,\n4,\n5,");
    assert_eq!(snippet_lines("x = 1\r\n", 0, 1), "x = 1");
}
