use crate::rules::{parse_rule, Catalog, Engine};

fn rule(extra: &str) -> String {
    format!(
        r#"id = "PW999"
name = "t"
title = "T"
category = "test"
cwe = [1]
severity = "high"
confidence = "high"
message = "m"
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

fn load(extra: &str) -> Result<Engine, String> {
    let spec = parse_rule("python/test/PW999.toml", &rule(extra)).map_err(|e| e.to_string())?;
    Engine::new(Catalog::from_specs(vec![spec]).unwrap()).map_err(|e| e.to_string())
}

/// The source with the first finding's fix applied (its edits, bottom-up).
fn fixed(extra: &str, src: &str) -> Option<String> {
    let e = load(extra).unwrap();
    let f = e.scan_source("t.py", src).findings.into_iter().next()?;
    if f.fixes.is_empty() {
        return None;
    }
    let mut edits = f.fixes.clone();
    edits.sort_by_key(|e| std::cmp::Reverse(e.start_byte));
    let mut out = src.to_string();
    for e in edits {
        out.replace_range(e.start_byte..e.end_byte, &e.replacement);
    }
    Some(out)
}

fn call_rule(callee: &str, fixes: &str) -> String {
    format!("[[patterns]]\nkind = \"call\"\ncallee = [\"{callee}\"]\n{fixes}")
}

fn part(capture: &str, replacement: &str) -> String {
    format!(
        "[[fix]]\ncapture = '{capture}'\nreplacement = '''{replacement}'''\ndescription = \"d\"\n"
    )
}

#[test]
fn unknown_captures_placeholders_and_filters_are_load_errors_naming_the_file() {
    let cases = [
        (part("nope", "x"), "unknown capture `nope`"),
        (part("callee", "{nope}"), "unknown capture `nope`"),
        (part("callee", "{callee|nope}"), "unknown filter `nope`"),
        (
            part("callee", "{callee|escape-fields}"),
            "needs a parameter",
        ),
        (part("callee", "{callee|argv:x}"), "takes no parameter"),
        (
            part("callee", "{callee|sql-params:dollar}"),
            "invalid parameter",
        ),
        (part("callee", "x{"), "`{` without `}`"),
        (part("callee", "x}"), "`}` without `{`"),
        (part("drop-arg:verify", "x"), "must be empty"),
        (part("set-arg:0", "x"), "needs a keyword name"),
        (part("arg:1x", "x"), "is not NAME, N or NAME@N"),
        (part("frob:x", "x"), "unknown capture form `frob:`"),
        (part("after:nope", "x"), "unknown capture `nope`"),
    ];
    for (fix, want) in cases {
        let err = load(&call_rule("os.system", &fix)).unwrap_err();
        assert!(err.contains("rules/python/test/PW999.toml"), "{err}");
        assert!(err.contains(want), "{fix}: {err}");
    }
    let bad_message = call_rule("os.system", "");
    let e = parse_rule(
        "python/test/PW999.toml",
        &rule(&bad_message).replace("message = \"m\"", "message = \"`{calle}` runs\""),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("PW999.toml") && e.contains("message: unknown capture `calle`"),
        "{e}"
    );
    let bad_when = format!("{}[fix.when.matches]\nnope = \"x\"\n", part("callee", "x"));
    assert!(load(&call_rule("os.system", &bad_when))
        .unwrap_err()
        .contains("unknown capture `nope`"));
    // Query captures are known by name; braces are escaped by doubling.
    let q = "[[patterns]]\nkind = \"query\"\nquery = '''((call function: (identifier) @fn) @match (#eq? @fn \"f\"))'''\n";
    assert!(load(&format!("{q}{}", part("fn", "{{g}}{fn}"))).is_ok());
    assert_eq!(
        fixed(&format!("{q}{}", part("fn", "{{g}}{fn}")), "f(1)\n").as_deref(),
        Some("{g}f(1)\n")
    );
}

#[test]
fn argument_forms_set_add_and_drop_keyword_arguments() {
    let r = call_rule("requests.get", &part("set-arg:timeout", "10"));
    let f = |s: &str| fixed(&r, s);
    assert_eq!(
        f("requests.get(u)").as_deref(),
        Some("requests.get(u, timeout=10)")
    );
    assert_eq!(
        f("requests.get()").as_deref(),
        Some("requests.get(timeout=10)")
    );
    assert_eq!(
        f("requests.get(u, timeout=None)").as_deref(),
        Some("requests.get(u, timeout=10)")
    );
    assert_eq!(
        f("requests.get(\n    u,\n)").as_deref(),
        Some("requests.get(\n    u, timeout=10,\n)")
    );
    // `**kw` may hold the argument already: no fix.
    assert_eq!(f("requests.get(u, **kw)"), None);

    let r = call_rule("requests.get", &part("drop-arg:verify", ""));
    let f = |s: &str| fixed(&r, s);
    assert_eq!(
        f("requests.get(u, verify=False)").as_deref(),
        Some("requests.get(u)")
    );
    assert_eq!(
        f("requests.get(verify=False, timeout=3)").as_deref(),
        Some("requests.get(timeout=3)")
    );
    assert_eq!(
        f("requests.get(verify=False,)").as_deref(),
        Some("requests.get()")
    );
    assert_eq!(f("requests.get(u)"), None);
    assert_eq!(f("requests.get(u,  # why\n verify=False)"), None);

    let r = call_rule("random.seed", &part("drop-arg:a@0", ""));
    assert_eq!(
        fixed(&r, "random.seed(42)").as_deref(),
        Some("random.seed()")
    );
    let r = call_rule("f.g", &part("drop-arg:0", ""));
    // Dropping a positional argument would shift the next one.
    assert_eq!(fixed(&r, "f.g(1, 2)"), None);

    let r = call_rule("x.set_cookie", &part("add-arg:samesite", "\"Lax\""));
    assert_eq!(
        fixed(&r, "x.set_cookie(k, v)").as_deref(),
        Some("x.set_cookie(k, v, samesite=\"Lax\")")
    );
    assert_eq!(fixed(&r, "x.set_cookie(k, v, samesite=\"None\")"), None);

    let r = call_rule(
        "os.umask",
        &part("arg:mask@0", "{arg:mask@0|bits-set:0o002}"),
    );
    assert_eq!(fixed(&r, "os.umask(0)").as_deref(), Some("os.umask(0o002)"));
    let r = call_rule(
        "os.chmod",
        &part("arg:mode@1", "{arg:mode@1|bits-clear:0o002}"),
    );
    assert_eq!(
        fixed(&r, "os.chmod(p, 0o777)").as_deref(),
        Some("os.chmod(p, 0o775)")
    );
    let r = call_rule("tempfile.mktemp", &part("after:call", ".name"));
    assert_eq!(
        fixed(&r, "p = tempfile.mktemp()").as_deref(),
        Some("p = tempfile.mktemp().name")
    );
}

#[test]
fn when_conditions_select_the_parts_that_apply() {
    let fixes = format!(
        "{}[fix.when.matches]\ncallee = \"load_all$\"\n{}[fix.when.matches]\ncallee = \"full_load$\"\n",
        part("callee", "yaml.safe_load_all"),
        part("callee", "yaml.safe_load"),
    );
    let r = format!(
        "[[patterns]]\nkind = \"call\"\ncallee = [\"yaml.load_all\", \"yaml.full_load\"]\n{fixes}"
    );
    assert_eq!(
        fixed(&r, "import yaml\nyaml.load_all(s)").as_deref(),
        Some("import yaml\nyaml.safe_load_all(s)")
    );
    assert_eq!(
        fixed(&r, "import yaml\nyaml.full_load(s)").as_deref(),
        Some("import yaml\nyaml.safe_load(s)")
    );
    let stmt = format!(
        "{}[fix.when]\nstatement = true\nargs = [{{ position = 1, is = \"absent\" }}]\n",
        part("callee", "subprocess.run")
    );
    let r = call_rule("os.system", &stmt);
    assert_eq!(
        fixed(&r, "import os\nos.system(c)\n").as_deref(),
        Some("import os\nsubprocess.run(c)\n")
    );
    assert_eq!(fixed(&r, "import os\nrc = os.system(c)\n"), None);
    assert_eq!(fixed(&r, "import os\nos.system(c, d)\n"), None);
}

#[test]
fn argv_splits_commands_that_need_no_shell() {
    let r = call_rule(
        "subprocess.run",
        &format!(
            "{}{}",
            part("arg:args@0", "{arg:args@0|argv}"),
            part("drop-arg:shell", "")
        ),
    );
    let f = |s: &str| fixed(&r, &format!("import subprocess\n{s}")).map(|t| t[18..].to_string());
    assert_eq!(
        f("subprocess.run(f\"tar czf /b/{name}.tgz /srv\", shell=True)").as_deref(),
        Some("subprocess.run([\"tar\", \"czf\", f\"/b/{name}.tgz\", \"/srv\"])")
    );
    assert_eq!(
        f("subprocess.run('ls -l ' + d, shell=True)").as_deref(),
        Some("subprocess.run(['ls', '-l', d])")
    );
    assert_eq!(
        f("subprocess.run(\"ping -c %d %s\" % (n, host), shell=True)").as_deref(),
        Some("subprocess.run([\"ping\", \"-c\", format(n, \"d\"), str(host)])")
    );
    assert_eq!(
        f("subprocess.run(\"echo {} {x!r}\".format(a, x=b), shell=True)").as_deref(),
        Some("subprocess.run([\"echo\", str(a), repr(b)])")
    );
    assert_eq!(
        f("subprocess.run(f'grep {pat} \"{{x}}\"', shell=True)"),
        None,
        "quotes need a shell"
    );
    for needs_shell in [
        "f\"ls {d} | wc -l\"",
        "f\"ls {d} > out\"",
        "f\"ls $HOME/{d}\"",
        "f\"rm {d}/*\"",
        "f\"a {d}; b\"",
        "f\"LANG=C sort {d}\"",
        "f\"ls {shlex.quote(d)}\"",
        "cmd",
        "b\"ls \" + d",
    ] {
        assert_eq!(
            f(&format!("subprocess.run({needs_shell}, shell=True)")),
            None,
            "{needs_shell}"
        );
    }
}

#[test]
fn quoting_filters_wrap_each_interpolated_value() {
    let r = call_rule("os.system", &part("arg:0", "{arg:0|shell-quote}"));
    let f = |s: &str| fixed(&r, &format!("import os\n{s}")).map(|t| t[10..].to_string());
    assert_eq!(
        f("os.system(f\"ping -c 1 {host}\")").as_deref(),
        Some("os.system(f\"ping -c 1 {shlex.quote(str(host))}\")")
    );
    assert_eq!(
        f("os.system(\"du -sh \" + d + \" | sort\")").as_deref(),
        Some("os.system(\"du -sh \" + shlex.quote(d) + \" | sort\")")
    );
    assert_eq!(
        f("os.system(\"rm %s\" % path)").as_deref(),
        Some("os.system(\"rm %s\" % shlex.quote(str(path)))")
    );
    // A value inside quotes would be quoted twice.
    assert_eq!(f("os.system(f\"echo '{msg}'\")"), None);
    assert_eq!(f("os.system(cmd)"), None);

    let r = call_rule(
        "flask.make_response",
        &part("arg:0", "{arg:0|escape-fields:html.escape}"),
    );
    assert_eq!(
        fixed(&r, "import flask\nflask.make_response(f\"<h1>{q}</h1>\")").as_deref(),
        Some("import flask\nflask.make_response(f\"<h1>{html.escape(str(q))}</h1>\")")
    );
    // `%d`, `%f`, `%x` print numbers; a `{n:d}` field may print anything (`__format__`).
    let m = |s: &str| fixed(&r, &format!("import flask\nflask.make_response({s})"));
    let ok = "import flask\nflask.make_response(\"%s%.1f%x\" % (html.escape(str(q)), n, k))";
    assert_eq!(m("\"%s%.1f%x\" % (q, n, k)").as_deref(), Some(ok));
    assert_eq!(m("f\"<p>{q}: {n:d}</p>\""), None);

    let r = call_rule(
        "markupsafe.Markup",
        &part(
            "call",
            "{callee}({arg:0|format-template}).format({arg:0|format-args})",
        ),
    );
    assert_eq!(
        fixed(
            &r,
            "import markupsafe\nmarkupsafe.Markup(\"<b>\" + n + \"</b>{x}\")"
        )
        .as_deref(),
        Some("import markupsafe\nmarkupsafe.Markup(\"<b>{}</b>{{x}}\").format(n)")
    );
}

#[test]
fn sql_values_become_parameters_only_where_sql_expects_a_value() {
    let r = call_rule("*.execute", &part("arg:0", "{arg:0|sql-params:auto}"));
    let f = |imports: &str, s: &str| {
        fixed(&r, &format!("{imports}\n{s}")).map(|t| t[imports.len() + 1..].to_string())
    };
    let lite = "import sqlite3";
    let pg = "import psycopg2";
    assert_eq!(
        f(
            lite,
            "cur.execute(f\"SELECT id FROM users WHERE name = '{name}'\")"
        )
        .as_deref(),
        Some("cur.execute(\"SELECT id FROM users WHERE name = ?\", (name,))")
    );
    assert_eq!(
        f(
            pg,
            "cur.execute(f\"SELECT * FROM t WHERE a = {a} AND b LIKE '%{b}%'\")"
        )
        .as_deref(),
        Some("cur.execute(\"SELECT * FROM t WHERE a = %s AND b LIKE %s\", (a, f\"%{b}%\"))")
    );
    assert_eq!(
        f(
            pg,
            "cur.execute(\"SELECT * FROM t WHERE a = '%s' AND p LIKE 'x%%'\" % a)"
        )
        .as_deref(),
        Some("cur.execute(\"SELECT * FROM t WHERE a = %s AND p LIKE 'x%%'\", (a,))")
    );
    assert_eq!(
        f(lite, "cur.execute(\"DELETE FROM t WHERE id = \" + str(i))").as_deref(),
        Some("cur.execute(\"DELETE FROM t WHERE id = ?\", (str(i),))")
    );
    assert_eq!(
        f(
            lite,
            "cur.execute(f\"INSERT INTO t (a, b) VALUES ('{a}', {b})\")"
        )
        .as_deref(),
        Some("cur.execute(\"INSERT INTO t (a, b) VALUES (?, ?)\", (a, b))")
    );
    assert_eq!(
        f(
            lite,
            "cur.execute(\"SELECT * FROM t WHERE n = '{}'\".format(n))"
        )
        .as_deref(),
        Some("cur.execute(\"SELECT * FROM t WHERE n = ?\", (n,))")
    );
    assert_eq!(
        f(
            lite,
            "cur.execute(f\"\"\"\n  SELECT * FROM t\n  WHERE n = '{n}'\n\"\"\")"
        )
        .as_deref(),
        Some("cur.execute(\"\"\"\n  SELECT * FROM t\n  WHERE n = ?\n\"\"\", (n,))")
    );
    for not_a_value in [
        "f\"SELECT * FROM {table} WHERE a = 1\"",
        "f\"SELECT * FROM t ORDER BY {col}\"",
        "f\"SELECT * FROM t WHERE id IN ({ids})\"",
        "f\"SELECT * FROM t_{suffix} WHERE a = 1\"",
        "f'SELECT * FROM t WHERE \"{col}\" = 1'",
        "query",
    ] {
        assert_eq!(
            f(lite, &format!("cur.execute({not_a_value})")),
            None,
            "{not_a_value}"
        );
    }
    // Parameters need a second argument; the driver is unknown without its import.
    assert_eq!(
        f(lite, "cur.execute(f\"SELECT * FROM t WHERE a = {a}\", x)"),
        None
    );
    assert_eq!(
        f(
            "import os",
            "cur.execute(f\"SELECT * FROM t WHERE a = {a}\")"
        ),
        None
    );
    assert_eq!(
        f(
            &format!("{lite}\n{pg}"),
            "cur.execute(f\"SELECT * FROM t WHERE a = {a}\")"
        ),
        None
    );
}

#[test]
fn sql_mapping_directives_take_their_values_from_a_dict_literal() {
    let r = call_rule("*.execute", &part("arg:0", "{arg:0|sql-params:auto}"));
    let f = |s: &str| fixed(&r, &format!("import sqlite3\ncur.execute({s})"));
    let sql = "\"INSERT INTO c (p, a) VALUES (%(p)d, '%(a)s')\" % ";
    let ok = "import sqlite3\ncur.execute(\"INSERT INTO c (p, a) VALUES (?, ?)\", (int(p), a))";
    assert_eq!(f(&format!("{sql}{{'p': p, 'a': a}}")).as_deref(), Some(ok));
    assert_eq!(f(&format!("{sql}{{'a': a, 'p': p}}")).as_deref(), Some(ok));
    // Unused or unknown keys, `**`, calls moved out of order: no fix.
    let b = "{'p': p, 'a': a, 'x': x}|{'p': p}|{**d, 'a': a}|{'a': g(), 'p': p}";
    for d in b.split('|') {
        assert_eq!(f(&format!("{sql}{d}")), None, "{d}");
    }
}

#[test]
fn small_filters() {
    use super::filters::Filter;
    let t = |f: &str, s: &str| Filter::parse(f).unwrap().0.apply_text(s);
    assert_eq!(t("name", "hashes.MD5").as_deref(), Some("MD5"));
    assert_eq!(
        t("env-name", "self.db_password").as_deref(),
        Some("DB_PASSWORD")
    );
    assert_eq!(t("env-name", "\"api-key\"").as_deref(), Some("API_KEY"));
    assert_eq!(t("env-name", "'9'"), None);
    assert_eq!(
        t("https", "f\"http://x/{p}\"").as_deref(),
        Some("f\"https://x/{p}\"")
    );
    assert_eq!(t("https", "\"https://x\""), None);
    assert_eq!(t("https", "url"), None);

    let q = "[[patterns]]\nkind = \"query\"\nquery = '''(function_definition body: (block (assert_statement) @match))'''\n";
    let r = format!("{q}{}", part("match", "{match|assert-raise}"));
    assert_eq!(
        fixed(
            &r,
            "def f(u):\n  assert u.is_admin, \"admins only\"\n  go()\n"
        )
        .as_deref(),
        Some(
            "def f(u):\n  if not u.is_admin:\n    raise AssertionError(\"admins only\")\n  go()\n"
        )
    );
    assert_eq!(
        fixed(&r, "def f(u):\n    assert u and u.ok\n").as_deref(),
        Some("def f(u):\n    if not (u and u.ok):\n        raise AssertionError()\n")
    );
}

#[test]
fn xpath_values_become_variables() {
    let r = call_rule("*.xpath", &part("arg:0", "{arg:0|xpath-vars}"));
    let f = |s: &str| fixed(&r, s);
    assert_eq!(
        f("t.xpath(f\"//u[@name='{name}']/mail\")").as_deref(),
        Some("t.xpath(\"//u[@name=$name]/mail\", name=name)")
    );
    assert_eq!(
        f("t.xpath(\"//u[@id='\" + req.args['id'] + \"' and @n=\\\"x\\\"]\")").as_deref(),
        Some("t.xpath(\"//u[@id=$v1 and @n=\\\"x\\\"]\", v1=req.args['id'])")
    );
    assert_eq!(f("t.xpath(f\"//{tag}[@a='1']\")"), None, "an element name");
    assert_eq!(f("t.xpath(f\"//u[{n}]\")"), None, "an unquoted value");
    assert_eq!(f("t.xpath(f\"//u[@a='{a}']\", ns)"), None);
}

#[test]
fn jwt_algorithms_come_from_the_code() {
    let r = call_rule(
        "jwt.decode",
        &part("add-arg:algorithms", "{call|jwt-algorithms}"),
    );
    let src = |extra: &str| {
        format!("import jwt\njwt.encode(c, k, algorithm=\"HS512\")\njwt.decode(t, k)\n{extra}")
    };
    assert_eq!(
        fixed(&r, &src("")).as_deref(),
        Some(
            src("")
                .replace(
                    "jwt.decode(t, k)",
                    "jwt.decode(t, k, algorithms=[\"HS512\"])"
                )
                .as_str()
        )
    );
    // Two calls that disagree: no guess.
    assert_eq!(
        fixed(&r, &src("jwt.encode(c, k, algorithm=\"RS256\")\n")),
        None
    );
    // A call that accepts `none` is not a witness.
    assert_eq!(
        fixed(
            &r,
            &src("jwt.decode(t, k, algorithms=[\"none\", \"RS256\"])\n")
        )
        .map(|t| t.contains("jwt.decode(t, k, algorithms=[\"HS512\"])")),
        Some(true)
    );
}

#[test]
fn escape_wraps_plain_values_whole_and_built_strings_per_value() {
    let r = call_rule("re.search", &part("arg:0", "{arg:0|escape:re.escape}"));
    assert_eq!(
        fixed(&r, "import re\nre.search(term, s)").as_deref(),
        Some("import re\nre.search(re.escape(term), s)")
    );
    assert_eq!(
        fixed(&r, "import re\nre.search(\"^\" + p, s)").as_deref(),
        Some("import re\nre.search(\"^\" + re.escape(p), s)")
    );
}

#[test]
fn send_file_of_a_join_becomes_send_from_directory() {
    let r = call_rule(
        "flask.send_file",
        &part("call", "{call|send-from-directory}"),
    );
    let head = "import os\nimport flask\nfrom flask import send_file\n";
    let f = |s: &str| fixed(&r, &format!("{head}{s}"));
    let out = |s: &str| Some(format!("{head}{s}"));
    assert_eq!(
        f("send_file(os.path.join(BASE, name), as_attachment=True)"),
        out("send_from_directory(BASE, name, as_attachment=True)")
    );
    assert_eq!(
        f("flask.send_file((os.path.join(d, n)))"),
        out("flask.send_from_directory(d, n)")
    );
    assert_eq!(f("send_file(os.path.join(a, b, c))"), None, "three parts");
    assert_eq!(f("send_file(os.path.join(*parts))"), None, "a splat");
    assert_eq!(f("send_file(path_or_file=os.path.join(a, b))"), None);
    assert_eq!(f("send_file(full)"), None, "not a join");
    assert_eq!(
        f("send_file(os.path.join(a, b), **opts)"),
        out("send_from_directory(a, b, **opts)")
    );
    assert_eq!(f("send_file(os.path.join(a, b), \"text/csv\")"), None);
    assert_eq!(f("send_file(os.path.join(a, b), *rest)"), None);
}

#[test]
fn crypto_imports_move_to_cryptodome() {
    let r = format!(
        "[[patterns]]\nkind = \"import\"\nmodules = [\"Crypto\"]\n{}",
        part("import", "{import|cryptodome}")
    );
    let f = |s: &str| fixed(&r, s);
    assert_eq!(
        f("from Crypto.Cipher import AES, DES\n").as_deref(),
        Some("from Cryptodome.Cipher import AES, DES\n")
    );
    assert_eq!(
        f("import os, Crypto.Hash.SHA256 as H\n").as_deref(),
        Some("import os, Cryptodome.Hash.SHA256 as H\n")
    );
    assert_eq!(f("import Crypto.Hash.SHA256\n"), None, "binds `Crypto`");
    assert_eq!(f("import Crypto\n"), None);
}

#[test]
fn a_predicate_after_a_top_level_alternation_is_a_load_error() {
    let q = |query: &str| format!("[[patterns]]\nkind = \"query\"\nquery = '''{query}'''\n");
    let e = load(&q(
        "[(call function: (identifier) @fn) (attribute attribute: (identifier) @fn)] @match (#eq? @fn \"f\")",
    ))
    .unwrap_err();
    assert!(
        e.contains("PW999.toml") && e.contains("top-level alternation"),
        "{e}"
    );
    // Inside each alternative, or under a parent node, the predicate applies: accepted.
    load(&q(
        "[((call function: (identifier) @fn) @match (#eq? @fn \"f\")) ((attribute attribute: (identifier) @fn) @match (#eq? @fn \"f\"))]",
    ))
    .unwrap();
    load(&q(
        "(expression_statement [(call function: (identifier) @fn) (attribute attribute: (identifier) @fn)] @match (#eq? @fn \"f\"))",
    ))
    .unwrap();
}

mod values;
