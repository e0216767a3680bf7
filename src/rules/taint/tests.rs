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

// ----- inter-procedural ---------------------------------------------------------------

#[test]
fn a_request_value_reaches_a_sink_through_a_helper_function() {
    let e = sql();
    let src = "from flask import request\nimport db\n\ndef find(name):\n    return db.execute(f\"SELECT * FROM t WHERE n = '{name}'\")\n\n@app.route('/u')\ndef view():\n    return find(request.args['n'])\n";
    let f = scan(&e, src);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].span.start_line, 5);
    assert_eq!(f[0].confidence, crate::finding::Confidence::High);
    let notes: Vec<&str> = f[0].taint_path.iter().map(|s| s.note.as_str()).collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("passed to `find` as `name`")),
        "{notes:?}"
    );
    assert_eq!(f[0].taint_path[0].kind, TaintStepKind::Source);
    assert_eq!(f[0].taint_path[0].span.start_line, 9);
}

#[test]
fn the_path_through_a_helper_starts_at_the_parameter_the_value_was_passed_as() {
    // Both parameters reach the sink; only the second gets request data.
    let e = sql();
    let src = "from flask import request\nimport db\n\ndef find(table, name):\n    return db.execute(f\"SELECT * FROM {table} WHERE n = '{name}'\")\n\n@app.route('/u')\ndef view():\n    return find('users', request.args['n'])\n";
    let f = scan(&e, src);
    assert_eq!(f.len(), 1, "{f:#?}");
    let notes: Vec<&str> = f[0].taint_path.iter().map(|s| s.note.as_str()).collect();
    assert!(notes.contains(&"parameter `name` of `find`"), "{notes:?}");
    assert!(!notes.iter().any(|n| n.contains("`table`")), "{notes:?}");
}

#[test]
fn a_helper_called_only_with_constants_or_sanitized_values_is_clean() {
    let e = sql();
    let src = "from flask import request\nimport db\n\ndef find(name):\n    return db.execute(f\"SELECT * FROM t WHERE n = '{name}'\")\n\n@app.route('/u')\ndef view():\n    find('admin')\n    return find(int(request.args['n']))\n";
    assert!(scan(&e, src).is_empty());
}

#[test]
fn methods_resolve_through_self_and_a_sanitizing_helper_clears() {
    let e = sql();
    let src = "from flask import request\nimport db\n\nclass Repo:\n    def run(self, q):\n        db.execute('SELECT ' + q)\n    def clean(self, v):\n        return int(v)\n    def a(self, v):\n        self.run(v)\n    def b(self, v):\n        self.run(self.clean(v))\n\n@app.route('/u')\ndef view():\n    r = Repo()\n    r.a(request.args['x'])\n    r.b(request.args['y'])\n";
    let f = scan(&e, src);
    assert_eq!(lines(&e, src), vec![6], "{f:#?}");
    let snippets: Vec<&str> = f[0].taint_path.iter().map(|s| s.snippet.as_str()).collect();
    assert!(
        snippets.iter().any(|s| s.contains("request.args['x']")),
        "{snippets:?}"
    );
}

#[test]
fn a_helper_returning_request_data_is_a_source() {
    let e = sql();
    let src = "from flask import request\nimport db\n\ndef name():\n    return request.args.get('n')\n\ndef other():\n    return 'x'\n\ndef job():\n    db.execute('SELECT ' + name())\n    db.execute('SELECT ' + other())\n";
    assert_eq!(lines(&e, src), vec![11]);
}

#[test]
fn a_parameter_built_into_a_sink_with_no_caller_is_medium_confidence() {
    let e = sql();
    let src = "import db\n\nclass Dao:\n    def by_name(self, name):\n        db.execute(\"SELECT * FROM u WHERE n = '%s'\" % name)\n    def raw(self, sql):\n        db.execute(sql)\n";
    let f = scan(&e, src);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].span.start_line, 5);
    assert_eq!(f[0].confidence, crate::finding::Confidence::Medium);
}

#[test]
fn constant_conditions_leave_dead_branches_out() {
    let e = sql();
    // 7 * 18 + 106 is 232.
    let live = body(
        "q = request.args['q']\nv = q if 7 * 18 + 106 > 200 else 'x'\nmydb.execute('SELECT ' + v)",
    );
    let dead = body(
        "q = request.args['q']\nv = 'x' if 7 * 18 + 106 > 200 else q\nmydb.execute('SELECT ' + v)",
    );
    assert_eq!(lines(&e, &live), vec![6]);
    assert!(lines(&e, &dead).is_empty());
    let dead_if = body("q = request.args['q']\nif False:\n    mydb.execute('SELECT ' + q)\nif 1 > 2:\n    v = q\nelse:\n    v = 'x'\nmydb.execute('SELECT ' + v)");
    assert!(lines(&e, &dead_if).is_empty());
}

// ----- containers, validators, guards ----------------------------------------------------

#[test]
fn container_elements_under_constant_keys_are_tracked() {
    let e = sql();
    // Another key's clean value, a list position, a tuple returned by a local function.
    let clean = body("opts = {'a': request.args['a'], 'b': 'x'}\nmydb.execute('SELECT ' + opts['b'])\nhosts = ['gw', request.args['h']]\nmydb.execute('SELECT ' + hosts[0])\njob = {'cmd': 'ls'}\njob.update({'label': request.args['l']})\nmydb.execute(job['cmd'])\nmydb.execute(job.get('cmd', 'x'))");
    assert!(lines(&e, &clean).is_empty(), "{:?}", scan(&e, &clean));
    let dirty = body("opts = {'a': request.args['a'], 'b': 'x'}\nmydb.execute('SELECT ' + opts['a'])\nd = {}\nd['k'] = request.args['k']\nmydb.execute(d['k'])\nitems = []\nitems.append(request.args['i'])\nmydb.execute(' '.join(items))");
    assert_eq!(lines(&e, &dirty), vec![5, 8, 11]);
    let tuple = "from flask import request\nimport mydb\n\ndef pick(args):\n    return args.get('h'), 'internal'\n\n@app.route('/x')\ndef view():\n    user, internal = pick(request.args)\n    mydb.execute('SELECT ' + internal)\n    mydb.execute('SELECT ' + user)\n";
    assert_eq!(lines(&e, tuple), vec![11]);
}

#[test]
fn validators_and_typed_parameters_make_values_safe() {
    let e = sql();
    let src = body("v = request.args['v']\nif not PATTERN.fullmatch(v):\n    abort(400)\nmydb.execute('SELECT ' + v)\nw = request.args['w']\nif re.match('[a-z]+', w):\n    mydb.execute('SELECT ' + w)");
    assert_eq!(lines(&e, &src), vec![10]);
    // A number-typed handler parameter is a source of its own kind (`web-number`), which
    // an injection rule does not accept.
    let injection = engine(
        "[taint]\nsources = [\"web-request\", \"web-param\"]\n[[taint.sinks]]\ncallee = [\"*.execute\"]\npositions = [0]\n",
    );
    let typed = "import mydb\n@app.get('/p/{pid}')\nasync def person(pid: int, name: str):\n    mydb.execute(f'SELECT {pid}')\n    mydb.execute(f'SELECT {name}')\n";
    assert_eq!(lines(&injection, typed), vec![5]);
    assert_eq!(lines(&e, typed), vec![4, 5]);
}

#[test]
fn guard_clauses_clear_only_rules_that_accept_them() {
    let guarded =
        engine("[taint]\nguards = true\n[[taint.sinks]]\ncallee = [\"*.get\"]\npositions = [0]\n");
    let strict = sql();
    let src = body("u = urlparse(request.args['u'])\nif u.hostname not in HOSTS or u.scheme != 'https':\n    abort(400)\nrequests.get(u.geturl())\nmydb.execute(u.geturl())");
    assert!(lines(&guarded, &src).is_empty());
    assert_eq!(lines(&strict, &src), vec![8]);
}

/// The SQL taint rule plus a pattern rule for the same weakness that yields to it
/// (`execute` of anything but a literal), as PW111 yields to PW110.
fn sql_with_pattern() -> Engine {
    sql_with_yielding(
        "[[patterns]]\nkind = \"call\"\ncallee = [\"*.execute\"]\nargs = [{ name = \"sql\", position = 0, is = \"non-literal\" }]\n",
        "{callee} runs built SQL",
    )
}

/// The SQL taint rule (PW950) plus the pattern rule `patterns` (PW951, message `message`)
/// that yields to it.
fn sql_with_yielding(patterns: &str, message: &str) -> Engine {
    let taint = parse_rule(
        "python/test/PW950.toml",
        &rule("[taint]\n[[taint.sinks]]\ncallee = [\"*.execute\"]\npositions = [0]\n"),
    )
    .unwrap();
    let pattern = rule(patterns)
        .replace("PW950", "PW951")
        .replace("{callee} gets {source}", message)
        .replace(
            "confidence = \"high\"",
            "confidence = \"high\"\nyield_to_taint = true",
        );
    let pattern = parse_rule("python/test/PW951.toml", &pattern).unwrap();
    Engine::new(Catalog::from_specs(vec![taint, pattern]).unwrap()).unwrap()
}

fn rule_lines(e: &Engine, src: &str) -> Vec<(String, usize)> {
    scan(e, src)
        .iter()
        .map(|f| (f.rule_id.clone(), f.span.start_line))
        .collect()
}

#[test]
fn checks_in_a_helper_vouch_for_the_sink_call_it_reaches() {
    let e = sql_with_pattern();
    let helpers = "from flask import request\nimport re\nNAME = re.compile('[a-z]+')\n\ndef run(db, sql):\n    db.execute(sql)\n\ndef lookup(db, name):\n    CHECK\n    run(db, \"SELECT * FROM t WHERE n = '\" + name + \"'\")\n\n@app.route('/a')\ndef view():\n    lookup(DB, request.args['n'])\n";
    let checked = "if not NAME.fullmatch(name):\n        raise ValueError('bad')";
    // Every caller's value went through the check: the pattern finding is vouched away.
    assert!(rule_lines(&e, &helpers.replace("CHECK", checked)).is_empty());
    // Without the check the request value reaches `execute` through both helpers.
    let found = rule_lines(&e, &helpers.replace("CHECK", "pass"));
    assert!(found.contains(&("PW950".to_string(), 6)), "{found:?}");
    // A helper that checks its own parameters is safe whoever calls it; one that does not
    // keeps the pattern finding, since its callers are unknown.
    let own = "import re\nNAME = re.compile('[a-z]+')\n\ndef dig(db, name):\n    CHECK\n    db.execute(\"SELECT '\" + name + \"'\")\n";
    assert!(rule_lines(&e, &own.replace("CHECK", checked)).is_empty());
    let found = rule_lines(&e, &own.replace("CHECK", "pass"));
    assert!(found.iter().any(|(_, l)| *l == 6), "{found:?}");
}

#[test]
fn typed_body_models_parses_and_lookups() {
    let e = sql();
    // `req: Body` in a FastAPI handler is the request body, not a request object.
    let body_model = "import mydb\n@app.post('/b')\ndef create(req: Body):\n    mydb.execute('SELECT ' + req.name)\n@app.post('/c')\ndef other(req: Request):\n    mydb.execute('SELECT ' + req.name)\n";
    assert_eq!(lines(&e, body_model), vec![4]);
    // A check of `urlparse(target).hostname` checks `target`.
    let guarded =
        engine("[taint]\nguards = true\n[[taint.sinks]]\ncallee = [\"*.get\"]\npositions = [0]\n");
    let src = body("target = request.args['u']\nparts = urlparse(target)\nif parts.hostname not in HOSTS:\n    abort(400)\nrequests.get(target)\nother = request.args['o']\nrequests.get(other)");
    assert_eq!(lines(&guarded, &src), vec![10]);
    // Rows an ORM lookup selects are not the text they were selected by.
    let src = body("rows = Article.objects.filter(title=request.args['q'])\nmydb.execute('SELECT ' + rows[0].title)\nmydb.execute('SELECT ' + request.args['q'].strip())");
    assert_eq!(lines(&e, &src), vec![6]);
}

#[test]
fn processing_calls_end_flows_only_for_rules_that_say_so() {
    let store =
        |process: &str| engine(&format!("[taint]\nstores = [\"flask.session\"]\n{process}"));
    let src = "from flask import request, session\n@app.post('/s')\ndef save():\n    user = auth.check(request.form['u'], request.form['p'])\n    session['uid'] = user.id\n    session['x'] = request.form['x'].strip()\n    session['y'] = ', '.join(request.form.getlist('y'))\n";
    assert_eq!(lines(&store("calls-process = true\n"), src), vec![6, 7]);
    assert_eq!(lines(&store(""), src), vec![5, 6, 7]);
}

/// A helper that unpacks a tuple parameter (`clause, params = where`): only the element that
/// reaches the sink counts at each call, so a caller's tuple whose SQL element is clean (its
/// value travels as a bound parameter) is no flow, and the statement that built the SQL text
/// on the way is vouched for with the call (a pattern rule matching it yields).
#[test]
fn tuple_parameters_are_followed_element_by_element() {
    let e = sql_with_yielding(
        "[[patterns]]\nkind = \"query\"\nquery = '((binary_operator left: (string)) @match)'\n",
        "SQL text built here",
    );
    let src = "from flask import request\nCOLUMNS = {'region', 'channel'}\n\ndef clause_for(column, value):\n    if column not in COLUMNS:\n        raise ValueError(column)\n    return column + ' = ?', (value,)\n\ndef raw_for(column, value):\n    return column + \" = '\" + value, ()\n\ndef fetch(db, where):\n    clause, params = where\n    sql = 'SELECT id FROM t WHERE ' + clause\n    return db.execute(sql, params)\n\n@app.route('/a')\ndef view():\n    return fetch(DB, MAKER('region', request.args['r']))\n";
    assert_eq!(rule_lines(&e, &src.replace("MAKER", "clause_for")), vec![]);
    let found = rule_lines(&e, &src.replace("MAKER", "raw_for"));
    assert!(found.contains(&("PW950".to_string(), 15)), "{found:?}");
    assert!(found.contains(&("PW951".to_string(), 14)), "{found:?}");
    // A tuple literal at the call: its first element is what reaches the SQL text.
    let literal = src.replace(
        "MAKER('region', request.args['r'])",
        "('region = ?', (request.args['r'],))",
    );
    assert_eq!(rule_lines(&e, &literal), vec![]);
    let swapped = src.replace(
        "MAKER('region', request.args['r'])",
        "(request.args['r'], ())",
    );
    assert!(rule_lines(&e, &swapped).contains(&("PW950".to_string(), 15)));
}
