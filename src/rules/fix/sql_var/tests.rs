use crate::rules::{parse_rule, Catalog, Engine};

/// A rule flagging `*.execute` calls, whose fix passes argument 0 through `sql-params:auto`.
fn engine() -> Engine {
    let toml = r#"id = "PW999"
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
[[patterns]]
kind = "call"
callee = ["*.execute", "*.info"]
[[fix]]
capture = "arg:0"
replacement = "{arg:0|sql-params:auto}"
description = "d"
"#;
    let spec = parse_rule("python/test/PW999.toml", toml).unwrap();
    Engine::new(Catalog::from_specs(vec![spec]).unwrap()).unwrap()
}

/// The source with the fix of the last `execute` call applied, or `None` without one.
fn fixed(body: &str) -> Option<String> {
    let src = format!("import sqlite3\n\n\ndef f(cur, a, b, log):\n{body}");
    let findings = engine().scan_source("t.py", &src).findings;
    let f = findings
        .into_iter()
        .rfind(|f| f.snippet.contains("execute"))?;
    if f.fixes.is_empty() {
        return None;
    }
    let mut edits = f.fixes.clone();
    edits.sort_by_key(|e| std::cmp::Reverse(e.start_byte));
    let mut out = src.clone();
    for e in edits {
        out.replace_range(e.start_byte..e.end_byte, &e.replacement);
    }
    Some(out[src.find("def f").unwrap()..].to_string())
}

#[test]
fn sql_in_a_variable_is_parameterized_at_both_ends() {
    assert_eq!(
        fixed("    sql = f\"SELECT id FROM t WHERE a = '{a}' AND b = {b}\"\n    cur.execute(sql)\n")
            .as_deref(),
        Some(
            "def f(cur, a, b, log):\n    sql = \"SELECT id FROM t WHERE a = ? AND b = ?\"\n    cur.execute(sql, (a, b))\n"
        )
    );
    // The literals keep their lines and the comments between them; `% (...)` goes.
    assert_eq!(
        fixed(
            "    q = (\n        \"SELECT id FROM t \"  # note\n        \"WHERE a = '%s' LIMIT %s\"\n        % (a, b.n)\n    )\n    cur.execute(q)\n"
        )
        .as_deref(),
        Some(
            "def f(cur, a, b, log):\n    q = (\n        \"SELECT id FROM t \"  # note\n        \"WHERE a = ? LIMIT ?\"\n    )\n    cur.execute(q, (a, int(b.n)))\n"
        )
    );
}

#[test]
fn sql_in_a_variable_is_left_alone_when_the_change_could_be_observed() {
    for body in [
        // Read elsewhere too.
        "    sql = f\"SELECT id FROM t WHERE a = '{a}'\"\n    log.info(sql)\n    cur.execute(sql)\n",
        // Assigned twice.
        "    sql = f\"SELECT id FROM t WHERE a = '{a}'\"\n    sql += \" LIMIT 1\"\n    cur.execute(sql)\n",
        "    sql = f\"SELECT id FROM t WHERE a = '{a}'\"\n    sql = sql.strip()\n    cur.execute(sql)\n",
        // A value rebound after the SQL is built: the call would read the new one.
        "    sql = f\"SELECT id FROM t WHERE a = '{a}'\"\n    a = a.upper()\n    cur.execute(sql)\n",
        "    sql = f\"SELECT id FROM t WHERE a = '{a}'\"\n    for a in b:\n        cur.execute(sql)\n",
        // A value computed by a call: moving it to the call could change what it returns.
        "    sql = f\"SELECT id FROM t WHERE a = '{next(a)}'\"\n    cur.execute(sql)\n",
        // Executed by a nested function, later.
        "    sql = f\"SELECT id FROM t WHERE a = '{a}'\"\n    def g():\n        cur.execute(sql)\n    return g\n",
        // Parameters passed in a name (their number is unknown), or a call that is not a
        // driver's.
        "    sql = f\"SELECT id FROM t WHERE a = '{a}' AND b = ?\"\n    cur.execute(sql, params)\n",
        "    sql = f\"SELECT id FROM t WHERE a = '{a}'\"\n    log.info(sql)\n",
        // A table name cannot be a parameter.
        "    sql = f\"SELECT id FROM {a} WHERE b = 1\"\n    cur.execute(sql)\n",
        // A comment inside the replaced expression would be lost.
        "    sql = (\"SELECT id FROM t WHERE a = '{}'\"  # x\n           .format(a))\n    cur.execute(sql)\n",
    ] {
        assert_eq!(fixed(body), None, "{body}");
    }
}

#[test]
fn asyncpg_gets_numbered_placeholders_and_separate_arguments_for_typed_values_only() {
    let fix = |src: &str| {
        let f = engine()
            .scan_source("t.py", src)
            .findings
            .into_iter()
            .next()?;
        let mut out = src.to_string();
        let mut edits = f.fixes.clone();
        edits.sort_by_key(|e| std::cmp::Reverse(e.start_byte));
        for e in edits {
            out.replace_range(e.start_byte..e.end_byte, &e.replacement);
        }
        (!f.fixes.is_empty()).then_some(out)
    };
    let head = "import asyncpg\n\n\nasync def f(conn, ";
    assert_eq!(
        fix(&format!(
            "{head}n: int, s: str):\n    await conn.execute(f\"DELETE FROM t WHERE n = {{n}} AND s = '{{s}}'\")\n"
        ))
        .as_deref(),
        Some(
            format!("{head}n: int, s: str):\n    await conn.execute(\"DELETE FROM t WHERE n = $1 AND s = $2\", n, s)\n")
                .as_str()
        )
    );
    // asyncpg does not turn a `str` into the integer the SQL compares with: an untyped value,
    // a value of another type, or one rebound in the function gets no fix.
    for params in [
        "n, s: str):\n",
        "n: str, s: str):\n",
        "n: int, s: str):\n    n = str(n)\n",
    ] {
        let src = format!(
            "{head}{params}    await conn.execute(f\"DELETE FROM t WHERE n = {{n}} AND s = '{{s}}'\")\n"
        );
        assert_eq!(fix(&src), None, "{src}");
    }
}

#[test]
fn values_join_the_parameters_a_call_already_passes_in_their_places() {
    let fix = |head: &str, call: &str| {
        let src = format!("{head}\n{call}\n");
        let f = engine()
            .scan_source("t.py", &src)
            .findings
            .into_iter()
            .next()?;
        let mut out = src.clone();
        let mut edits = f.fixes.clone();
        edits.sort_by_key(|e| std::cmp::Reverse(e.start_byte));
        for e in edits {
            out.replace_range(e.start_byte..e.end_byte, &e.replacement);
        }
        (!f.fixes.is_empty()).then(|| out[head.len() + 1..].trim_end().to_string())
    };
    let lite = "import sqlite3";
    let pg = "import psycopg2";
    assert_eq!(
        fix(
            lite,
            "cur.execute(\"SELECT * FROM t WHERE a = '\" + a + \"' LIMIT ?\", (n,))"
        )
        .as_deref(),
        Some("cur.execute(\"SELECT * FROM t WHERE a = ? LIMIT ?\", (a, n))")
    );
    assert_eq!(
        fix(
            pg,
            "cur.execute(f\"SELECT * FROM t WHERE b = %s AND a = {a} AND c LIKE 'x%%'\", [b])"
        )
        .as_deref(),
        None,
        "a percent sign inside a SQL string: written for the driver or not, no telling"
    );
    assert_eq!(
        fix(
            pg,
            "cur.execute(f\"SELECT * FROM t WHERE b = %s AND a = {a} AND c = 100%%\", [b])"
        )
        .as_deref(),
        Some("cur.execute(\"SELECT * FROM t WHERE b = %s AND a = %s AND c = 100%%\", [b, a])")
    );
    // The placeholders and the parameters passed must agree in number.
    for call in [
        "cur.execute(f\"SELECT * FROM t WHERE a = {a} AND b = ?\", (b, c))",
        "cur.execute(f\"SELECT * FROM t WHERE a = {a} AND b = ? AND c = ?\", (b,))",
        "cur.execute(f\"SELECT * FROM t WHERE a = {a} AND b = ?\", (*bs,))",
    ] {
        assert_eq!(fix(lite, call), None, "{call}");
    }
}

#[test]
fn constant_names_stay_in_place_and_new_parameters_join_the_given_ones() {
    // A module constant in the table's place stays interpolated; the value becomes a
    // parameter, merged after the one the call already passes.
    let body = "    sql = f\"SELECT id FROM {TABLE} WHERE a = ? AND b = '{b}'\"\n    cur.execute(sql, (a,))\n";
    assert_eq!(
        fixed(&format!("    TABLE = \"orders\"\n{body}")).as_deref(),
        Some(
            "def f(cur, a, b, log):\n    TABLE = \"orders\"\n    sql = f\"SELECT id FROM {TABLE} WHERE a = ? AND b = ?\"\n    cur.execute(sql, (a, b))\n"
        )
    );
    // Merged in the order of the placeholders.
    assert_eq!(
        fixed("    sql = f\"SELECT id FROM t WHERE a = '{a}' AND b = ?\"\n    cur.execute(sql, [b])\n")
            .as_deref(),
        Some("def f(cur, a, b, log):\n    sql = \"SELECT id FROM t WHERE a = ? AND b = ?\"\n    cur.execute(sql, [a, b])\n")
    );
    // A name that is not a constant cannot be a parameter there: no fix.
    assert_eq!(
        fixed("    sql = f\"SELECT id FROM {a} WHERE b = '{b}'\"\n    cur.execute(sql)\n"),
        None
    );
    // Only constants interpolated: nothing to bind.
    assert_eq!(
        fixed("    T = \"orders\"\n    sql = f\"SELECT id FROM {T}\"\n    cur.execute(sql)\n"),
        None
    );
}
