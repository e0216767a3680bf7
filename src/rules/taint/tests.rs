//! Taint analysis tests: paths, propagation, sanitizers, branches, allow-lists, sources.

use crate::finding::{Finding, TaintStepKind};
use crate::rules::{parse_rule, Catalog, Engine};

/// A taint rule named PW950 with the given `[taint]` section.
fn rule(taint: &str) -> String {
    format!(
        r#"id = "PW950"
name = "t"
title = "T"
category = "test"
cwe = [89]
severity = "high"
confidence = "high"
message = "{{callee}} gets {{source}}"
remediation = "r"
[doc]
what = "w"
why = "w"
example = ""
use_instead = ""
references = ["https://cwe.mitre.org/data/definitions/89.html"]
{taint}
"#
    )
}

fn engine(taint: &str) -> Engine {
    let spec = parse_rule("python/test/PW950.toml", &rule(taint)).unwrap();
    Engine::new(Catalog::from_specs(vec![spec]).unwrap()).unwrap()
}

fn sql() -> Engine {
    engine(
        "[taint]\nsanitizers = [\"mydb.escape\"]\n[[taint.sinks]]\ncallee = [\"*.execute\"]\npositions = [0]\nkeywords = [\"sql\"]\n",
    )
}

fn scan(e: &Engine, src: &str) -> Vec<Finding> {
    e.scan_source("t.py", src).findings
}

fn lines(e: &Engine, src: &str) -> Vec<usize> {
    scan(e, src).iter().map(|f| f.span.start_line).collect()
}

const PRELUDE: &str = "from flask import request\nimport mydb\n";

fn body(stmts: &str) -> String {
    // Line 4 is the first statement of the function body.
    format!(
        "{PRELUDE}def view():\n{}",
        stmts
            .lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    )
}

#[test]
fn path_lists_source_propagation_and_sink() {
    let src =
        body("q = request.args.get('q')\nsql = 'SELECT * FROM t WHERE a = ' + q\ncur.execute(sql)");
    let f = scan(&sql(), &src);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].message, "cur.execute gets request.args.get('q')");
    let kinds: Vec<TaintStepKind> = f[0].taint_path.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        vec![
            TaintStepKind::Source,
            TaintStepKind::Propagation,
            TaintStepKind::Propagation,
            TaintStepKind::Sink
        ]
    );
    let p = &f[0].taint_path;
    assert_eq!(p[0].span.start_line, 4);
    assert_eq!(p[0].snippet, "request.args.get('q')");
    assert_eq!(p[1].note, "assigned to `q`");
    assert_eq!(p[2].note, "assigned to `sql`");
    assert_eq!(p[3].span.start_line, 6);
    assert!(p[3].note.contains("argument 1"), "{}", p[3].note);
}

#[test]
fn parameterized_queries_do_not_fire() {
    let e = sql();
    assert!(lines(
        &e,
        &body("q = request.args['q']\ncur.execute('SELECT * FROM t WHERE a = %s', (q,))")
    )
    .is_empty());
    assert!(lines(
        &e,
        &body("q = request.args['q']\nsql = 'SELECT 1 WHERE a = ?'\ncur.execute(sql, [q])")
    )
    .is_empty());
    assert_eq!(
        lines(
            &e,
            &body("q = request.args['q']\ncur.execute(sql=f'SELECT {q}')")
        ),
        vec![5]
    );
}

#[test]
fn propagation_forms() {
    let e = sql();
    let cases = [
        "a = request.form['x']\nb = '%s' % a\ncur.execute(b)",
        "a = request.form['x']\nb = 'x {}'.format(a)\ncur.execute(b)",
        "a = request.form['x']\nb = ','.join([a, 'y'])\ncur.execute(b)",
        "a = request.json\nb = a['k'][0]\ncur.execute(b)",
        "a = request.json\ncur.execute(a.lower().strip())",
        "a, b = request.args['x'], 1\ncur.execute(a)",
        "(a, b) = get(request.args['x'])\ncur.execute(b)",
        "d = {}\nd['k'] = request.args['x']\ncur.execute(d['k'])",
        "s = 'SELECT '\ns += request.args['x']\ncur.execute(s)",
        "a = b = request.cookies['c']\ncur.execute(b)",
        "a = [x for x in request.args.values()]\ncur.execute(a[0])",
        "self.q = request.args['x']\ncur.execute(self.q)",
    ];
    for c in cases {
        assert_eq!(lines(&e, &body(c)).len(), 1, "should fire:\n{c}");
    }
}

#[test]
fn sanitizers_and_kills() {
    let e = sql();
    let cases = [
        "a = int(request.args['x'])\ncur.execute('SELECT %d' % a)",
        "a = mydb.escape(request.args['x'])\ncur.execute('SELECT ' + a)",
        "a = request.args['x']\na = 'constant'\ncur.execute(a)",
        "a = request.args['x']\ncur.execute(TABLES[a])",
        "a = request.args['x']\ncur.execute('SELECT ' + str(len(a)))",
        "a = request.args['x']\ncur.execute('x' if a else 'y')",
        "a = request.method\ncur.execute(a)",
    ];
    for c in cases {
        assert!(lines(&e, &body(c)).is_empty(), "should not fire:\n{c}");
    }
    // A rule-specific sanitizer clears only that rule; mixing with unsanitised data
    // keeps the taint.
    assert_eq!(
        lines(
            &e,
            &body("a = mydb.escape(request.args['x'])\nb = request.args['y']\ncur.execute(a + b)")
        )
        .len(),
        1
    );
}

#[test]
fn branches_merge_and_exits_stop_flow() {
    let e = sql();
    assert_eq!(
        lines(
            &e,
            &body("if c:\n    a = request.args['x']\nelse:\n    a = 'k'\ncur.execute(a)")
        ),
        vec![8]
    );
    assert!(lines(
        &e,
        &body("a = request.args['x']\nif c:\n    a = 'k'\nelse:\n    a = 'j'\ncur.execute(a)")
    )
    .is_empty());
    assert!(lines(
        &e,
        &body("a = request.args['x']\nif c:\n    a = 'k'\nelse:\n    return\ncur.execute(a)")
    )
    .is_empty());
    assert!(lines(&e, &body("a = request.args['x']\ntry:\n    a = str(int(a))\nexcept ValueError:\n    raise\ncur.execute(a)")).is_empty());
    assert_eq!(
        lines(&e, &body("a = request.args['x']\ntry:\n    a = str(int(a))\nexcept ValueError:\n    pass\ncur.execute(a)")),
        vec![9]
    );
    // Loop-carried taint is found on the second pass.
    assert_eq!(
        lines(&e, &body("x = 'a'\ny = 'b'\nwhile c:\n    cur.execute(x)\n    x = y\n    y = request.args['q']")),
        vec![7]
    );
    // match/case branches.
    assert_eq!(
        lines(&e, &body("match k:\n    case 1:\n        a = request.args['x']\n    case _:\n        a = 'z'\ncur.execute(a)")),
        vec![9]
    );
}

#[test]
fn allow_lists_untaint_in_scope() {
    let e = sql();
    assert!(lines(
        &e,
        &body("a = request.args['x']\nif a in OK:\n    cur.execute(a)")
    )
    .is_empty());
    assert!(lines(
        &e,
        &body("a = request.args['x']\nif a not in OK:\n    raise ValueError()\ncur.execute(a)")
    )
    .is_empty());
    assert!(lines(
        &e,
        &body("a = request.args['x']\nif not a in OK:\n    return\ncur.execute(a)")
    )
    .is_empty());
    assert!(lines(
        &e,
        &body("a = request.args['x']\nif a not in OK:\n    pass\nelse:\n    cur.execute(a)")
    )
    .is_empty());
    // Without an exit the check does not protect the code after it.
    assert_eq!(
        lines(
            &e,
            &body("a = request.args['x']\nif a not in OK:\n    log(a)\ncur.execute(a)")
        ),
        vec![7]
    );
    assert!(lines(
        &e,
        &body("a = request.args['x']\nif a.isdigit() and a in OK:\n    cur.execute(a)")
    )
    .is_empty());
}

#[test]
fn source_kinds_filter_rules() {
    let e =
        engine("[taint]\nsources = [\"environment\"]\n[[taint.sinks]]\ncallee = [\"*.execute\"]\n");
    let src = "import os\nfrom flask import request\ncur.execute(os.getenv('Q'))\ncur.execute(request.args['q'])\ncur.execute(os.environ['X'])\n";
    assert_eq!(lines(&e, src), vec![3, 5]);
    let bad = parse_rule(
        "python/test/PW950.toml",
        &rule("[taint]\nsources = [\"nope\"]\n[[taint.sinks]]\ncallee = [\"*.execute\"]\n"),
    )
    .unwrap();
    let err = Engine::new(Catalog::from_specs(vec![bad]).unwrap()).unwrap_err();
    assert!(
        err.to_string().contains("unknown taint source kind `nope`"),
        "{err}"
    );
}

#[test]
fn handler_parameters_and_sink_conditions() {
    let e = engine(
        "[taint]\n[[taint.sinks]]\ncallee = [\"subprocess.run\"]\nargs = [{ name = \"shell\", is = \"true\" }]\n",
    );
    let src = "import subprocess\n@app.route('/x/<p>')\ndef h(p):\n    subprocess.run(p, shell=True)\n    subprocess.run(p)\n\ndef plain(p):\n    subprocess.run(p, shell=True)\n";
    assert_eq!(lines(&e, src), vec![4]);
}

#[test]
fn deep_expressions_in_analysed_functions_do_not_overflow() {
    let e = sql();
    let n = 5_000;
    let src = body(&format!(
        "a = request.args['x']\nb = {}a{}\ncur.execute(b)",
        "(".repeat(n),
        ")".repeat(n)
    ));
    let got = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || lines(&e, &src))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(got, vec![6]);
}
