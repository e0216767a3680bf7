use super::sql_identifier;

fn fix(src: &str, target: &str) -> Option<String> {
    super::super::test_util::edited_at(src, target, sql_identifier)
}

#[test]
fn a_sort_column_is_limited_to_the_selected_columns() {
    let src = "def by_status(conn, status, order):\n    query = (\n        \"SELECT id, subject, t.opened_at AS opened FROM tickets t \"\n        f\"WHERE status = $1 ORDER BY {order} LIMIT 100\"\n    )\n    return conn.fetch(query, status)\n";
    let out = fix(src, "query").unwrap();
    assert!(
        out.contains(
            "ORDER BY {order if order in ('id', 'subject', 'opened') else 'id'} LIMIT 100\""
        ),
        "{out}"
    );
}

#[test]
fn a_concatenated_sort_key_keeps_its_request_default() {
    let src = "def report(db, args):\n    sort = args.get(\"sort\", \"sold_on\")\n    sql = \"SELECT sku, sold_on FROM sales WHERE region = ? ORDER BY \" + sort + \" DESC\"\n    return db.execute(sql, (\"emea\",))\n";
    let out = fix(src, "sql").unwrap();
    assert!(
        out.contains(
            "ORDER BY \" + (sort if sort in (\"sku\", \"sold_on\") else \"sold_on\") + \" DESC\""
        ),
        "{out}"
    );
}

#[test]
fn a_sort_direction_is_asc_or_desc() {
    let src = "def page(conn, col, direction):\n    return conn.execute(f\"SELECT a, b FROM t ORDER BY {col} {direction}\")\n";
    let out = fix(src, "f\"SELECT").unwrap();
    assert!(
        out.contains("ORDER BY {col if col in ('a', 'b') else 'a'} {direction if direction in ('ASC', 'DESC') else 'ASC'}\""),
        "{out}"
    );
}

#[test]
fn a_column_comes_from_the_files_allow_list() {
    let src = "ALLOWED = {\"cpu_load\", \"mem_used\"}\n\n\ndef series(db, name):\n    sql = f\"SELECT ts, {name} FROM host_metrics ORDER BY ts\"\n    return db.execute(sql)\n";
    let out = fix(src, "sql").unwrap();
    assert!(
        out.contains("f\"SELECT ts, {name if name in ALLOWED else 'cpu_load'} FROM host_metrics"),
        "{out}"
    );
    // A constant the code reads other than as an allow-list is no allow-list.
    let looped = format!("{src}\n\nfor m in ALLOWED:\n    print(m)\n");
    assert!(fix(&looped, "sql").is_none());
    // Two candidate lists: no telling which.
    let two = src.replace("\n\n\ndef", "\nCOLUMNS = [\"a\"]\n\n\ndef");
    assert!(fix(&two, "sql").is_none());
    // A table's place takes a list of tables only.
    let table = "ALLOWED = {\"a\"}\nTABLES = (\"t1\", \"t2\")\n\n\ndef f(conn, name, t):\n    return conn.execute(f\"SELECT {name} FROM {t}\")\n";
    let out = fix(table, "f\"SELECT").unwrap();
    assert!(
        out.contains(
            "f\"SELECT {name if name in ALLOWED else 'a'} FROM {t if t in TABLES else 't1'}\")"
        ),
        "{out}"
    );
}

#[test]
fn no_fix_where_a_name_cannot_be_allow_listed() {
    // `*` selects no names to allow.
    let star = "def f(conn, o):\n    return conn.execute(f\"SELECT * FROM t ORDER BY {o}\")\n";
    assert!(fix(star, "f\"SELECT").is_none());
    // A value in a value's place is a parameter's job.
    let mixed = "def f(conn, o, v):\n    return conn.execute(f\"SELECT a FROM t WHERE a = '{v}' ORDER BY {o}\")\n";
    assert!(fix(mixed, "f\"SELECT").is_none());
    // A call could give another value the second time.
    let call =
        "def f(conn, o):\n    return conn.execute(f\"SELECT a FROM t ORDER BY {o.strip()}\")\n";
    assert!(fix(call, "f\"SELECT").is_none());
    // Glued to other text: `tbl_{x}` is no whole name.
    let glued = "ALLOWED = (\"a\",)\n\n\ndef f(conn, x):\n    return conn.execute(f\"SELECT a FROM tbl_{x}\")\n";
    assert!(fix(glued, "f\"SELECT").is_none());
}
