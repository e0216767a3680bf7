//! The `sql-params:STYLE` filter: SQL text built from values, passed as the only argument of
//! a call (`cur.execute(f"... WHERE name = '{name}'")`), becomes a parameterized query and its
//! parameters: `"... WHERE name = ?", (name,)`.
//!
//! A value becomes a parameter when it stands where SQL expects a value:
//!
//! * inside a single-quoted SQL string: the whole string becomes one placeholder (`'%{t}%'` →
//!   `?` with parameter `f"%{t}%"`);
//! * unquoted, right after a comparison (`=`, `<`, `>`, `<=`, `>=`, `<>`, `!=`), an
//!   arithmetic operator (`*`, `/`, `+`, `-`), `LIKE`, `ILIKE`, `LIMIT` or `OFFSET`, or inside
//!   the parentheses of `VALUES (...)`.
//!
//! Anything else (a table or column name, `IN ({ids})`, a value glued to other text, a value
//! inside a double-quoted identifier) cannot be a parameter: the filter gives up.
//!
//! STYLE is the driver's placeholder: `qmark` (`?`, sqlite3), `format` (`%s`: psycopg, PyMySQL,
//! MySQLdb, mysql.connector, Django), or `auto`: `format` for Django's `raw`/`RawSQL`, else
//! from the file's imports (one family only, or the filter gives up); `auto` also knows
//! asyncpg, whose placeholders are numbered (`$1`, `$2`) and whose parameters are separate
//! arguments (`conn.execute(sql, a, b)`). In `format` style every
//! literal `%` is doubled.

use tree_sitter::Node;

use super::strings::{self, literal, Conv, Item, Part, Pieces, Value};
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

/// Facts about the file fixes are rendered in, each computed at most once per file (a fix
/// that needed the file's SQL driver used to walk the whole tree per finding: quadratic).
#[derive(Debug, Default)]
pub(crate) struct FileContext {
    /// The SQL placeholder style the file's imports imply (see `sql::detect`).
    sql_style: std::cell::OnceCell<Option<&'static str>>,
}

/// Drivers whose placeholder is `?`.
const QMARK: &[&str] = &["sqlite3", "aiosqlite", "pysqlite2"];
/// Drivers whose placeholders are numbered, `$1`, `$2`..., and whose parameters follow the
/// SQL as separate arguments (`conn.execute(sql, a, b)`).
const DOLLAR: &[&str] = &["asyncpg"];
/// Drivers whose placeholder is `%s`.
const FORMAT: &[&str] = &[
    "psycopg2", "psycopg", "pymysql", "MySQLdb", "mysql", "pg8000", "django", "aiomysql", "aiopg",
];

pub(crate) fn sql_params(node: Node, src: &str, style: &str, cx: &FileContext) -> Option<String> {
    // The parameters go into a second argument: the SQL must be the call's only argument.
    // (An empty parameter list after it, `RawSQL(sql, [])`, is replaced by the new one when
    // the template drops it.)
    let list = node.parent().filter(|l| l.kind_name() == "argument_list")?;
    let mut c = list.walk();
    let args: Vec<Node> = list
        .named_children(&mut c)
        .filter(|n| n.kind_name() != "comment")
        .collect();
    let empty = |n: &Node| matches!(n.kind_name(), "list" | "tuple") && n.named_child_count() == 0;
    match args.as_slice() {
        [only] if only.id() == node.id() => {}
        [first, second] if first.id() == node.id() && empty(second) => {}
        _ => return None,
    }
    let call = list.parent()?;
    let placeholder = placeholder(call, src, style, cx)?;
    let p = strings::pieces(node, src)?;
    let (sql, params) = build(&p, src, placeholder)?;
    Some(format!("{sql}, {params}"))
}

/// The method a call names: `execute` for `cur.execute(...)`.
pub(super) fn method<'t>(call: Node, src: &'t str) -> Option<&'t str> {
    let callee = text(call.child_by_field_id(FIELD.function)?, src);
    Some(callee.rsplit('.').next().unwrap_or(callee))
}

/// The placeholder the driver of `call` expects under `style`; `None` where the call takes
/// no positional parameters (SQLAlchemy's `text()` takes named ones, `executescript` none) or
/// the driver is unknown.
pub(super) fn placeholder(
    call: Node,
    src: &str,
    style: &str,
    cx: &FileContext,
) -> Option<&'static str> {
    let method = method(call, src)?;
    if matches!(method, "text" | "executescript") {
        return None;
    }
    match style {
        "qmark" => Some("?"),
        "format" => Some("%s"),
        _ if matches!(method, "raw" | "RawSQL") => Some("%s"),
        _ => *cx.sql_style.get_or_init(|| detect(call, src)),
    }
}

/// The placeholder of the file's driver (`?`, `%s`, or `$` for numbered ones), from its
/// imports: drivers of one family only.
fn detect(node: Node, src: &str) -> Option<&'static str> {
    let root = crate::rules::resolve::root_of(node);
    let (mut qmark, mut format, mut dollar) = (false, false, false);
    let mut cursor = root.walk();
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        match n.kind_name() {
            "import_statement" | "import_from_statement" => {
                let mut c = n.walk();
                for m in n.named_children(&mut c) {
                    let m = if m.kind_name() == "aliased_import" {
                        m.child_by_field_id(FIELD.name).unwrap_or(m)
                    } else {
                        m
                    };
                    if m.kind_name() != "dotted_name" {
                        continue;
                    }
                    let top = text(m, src).split('.').next().unwrap_or("");
                    qmark |= QMARK.contains(&top);
                    format |= FORMAT.contains(&top);
                    dollar |= DOLLAR.contains(&top);
                }
            }
            _ => {
                stack.extend(n.named_children(&mut cursor));
            }
        }
    }
    match (qmark, format, dollar) {
        (true, false, false) => Some("?"),
        (false, true, false) => Some("%s"),
        (false, false, true) => Some("$"),
        _ => None,
    }
}

/// The SQL literal with placeholders and the parameter tuple, for the pieces of built SQL.
fn build(p: &Pieces, src: &str, placeholder: &str) -> Option<(String, String)> {
    let (sql, params) = build_sql(p, src, placeholder)?;
    Some((sql_literal(&sql, p, src)?, params))
}

/// The SQL text as a literal in the quotes of the original; an f-string when it keeps
/// constant values in place (see [`kept`]).
pub(super) fn sql_literal(sql: &str, p: &Pieces, src: &str) -> Option<String> {
    if sql.chars().any(|c| kept_index(c).is_some()) {
        let values: Vec<&Value> = p.values().collect();
        let mut parts: Vec<Part> = Vec::new();
        for c in sql.chars() {
            match kept_index(c) {
                Some(i) => parts.push(Part::Value((*values.get(i)?).clone())),
                None => push_char(&mut parts, c),
            }
        }
        return strings::fstring(&parts, src, p.quote);
    }
    Some(if p.triple && sql.contains('\n') {
        triple(sql, p.quote)
    } else {
        literal(sql, p.quote)
    })
}

/// First of the private-use characters that stand, in SQL text being built, for the values
/// kept in place: the `i`-th value of the pieces is `KEPT + i`.
const KEPT: u32 = 0xE000;

/// A value of the built SQL that stays interpolated where it is, not a parameter: a constant
/// of the program (`{self.table}` with `table = "orders"` in the class body) in a place a
/// parameter cannot go (a table or column name). The literal becomes an f-string. Not in
/// triple-quoted SQL, whose f-string form would have to keep its line breaks.
fn kept(v: &Value, p: &Pieces, src: &str, index: usize) -> Option<char> {
    if p.triple || index > 0xFF || !crate::rules::constant::constant(v.node, src, 0) {
        return None;
    }
    char::from_u32(KEPT + index as u32)
}

/// The value index a character of built SQL text stands for, if it is one (see [`KEPT`]).
fn kept_index(c: char) -> Option<usize> {
    let c = c as u32;
    (KEPT..=KEPT + 0xFF)
        .contains(&c)
        .then(|| (c - KEPT) as usize)
}

/// The SQL text with placeholders and the parameter tuple, for the pieces of built SQL.
pub(super) fn build_sql(p: &Pieces, src: &str, placeholder: &str) -> Option<(String, String)> {
    let (sql, params) = build_params(p, src, placeholder, None)?;
    let params = if placeholder == "$" {
        // Separate arguments: `conn.execute(sql, a, b)`.
        params.join(", ")
    } else if params.len() == 1 {
        format!("({},)", params[0])
    } else {
        format!("({})", params.join(", "))
    };
    Some((sql, params))
}

/// The SQL text with placeholders and every parameter in order; `existing` are the
/// parameters the call already passes for the placeholders the SQL already holds (`?`, or
/// `%s` with `%%` for a percent sign), merged in their places.
fn build_params(
    p: &Pieces,
    src: &str,
    placeholder: &str,
    existing: Option<&[String]>,
) -> Option<(String, Vec<String>)> {
    let mut existing = existing.map(|e| e.iter());
    let items = p.items();
    if !items.iter().any(|i| matches!(i, Item::Val(_))) {
        return None;
    }
    let percent = placeholder == "%s";
    let numbered = placeholder == "$";
    let mut placed = 0;
    let mut next = || {
        placed += 1;
        if numbered {
            format!("${placed}")
        } else {
            placeholder.to_string()
        }
    };
    let mut sql = String::new();
    let mut params: Vec<String> = Vec::new();
    // The index, among the pieces' values, of the next value met.
    let mut value_index = 0usize;
    let mut i = 0;
    while i < items.len() {
        match &items[i] {
            Item::Char('\'') => {
                // A SQL string: up to the closing quote (`''` is a quote inside it).
                let mut content: Vec<Part> = Vec::new();
                let mut raw = String::from("'");
                let mut j = i + 1;
                let mut has_value = false;
                loop {
                    match items.get(j)? {
                        Item::Char('\'') if matches!(items.get(j + 1), Some(Item::Char('\''))) => {
                            push_char(&mut content, '\'');
                            raw.push_str("''");
                            j += 2;
                        }
                        Item::Char('\'') => break,
                        Item::Char(c) => {
                            push_char(&mut content, *c);
                            raw.push(*c);
                            j += 1;
                        }
                        Item::Val(v) => {
                            has_value = true;
                            value_index += 1;
                            content.push(Part::Value((*v).clone()));
                            j += 1;
                        }
                    }
                }
                raw.push('\'');
                if has_value {
                    sql.push_str(&next());
                    params.push(match content.as_slice() {
                        [Part::Value(v)] => {
                            if numbered && !typed(v, src, "str") {
                                return None;
                            }
                            param(v, src)
                        }
                        parts => strings::fstring(parts, src, p.quote)?,
                    });
                } else if percent {
                    if existing.is_some() && raw.contains('%') {
                        // Already written for the driver (`%%`) or not: no telling.
                        return None;
                    }
                    sql.push_str(&raw.replace('%', "%%"));
                } else {
                    sql.push_str(&raw);
                }
                i = j + 1;
            }
            Item::Char('"') => {
                // A quoted identifier: values there are names, not parameters.
                let mut j = i + 1;
                sql.push('"');
                loop {
                    match items.get(j)? {
                        Item::Char('"') => break,
                        Item::Char(c) => sql.push(*c),
                        Item::Val(v) => {
                            sql.push(kept(v, p, src, value_index)?);
                            value_index += 1;
                        }
                    }
                    j += 1;
                }
                sql.push('"');
                i = j + 1;
            }
            Item::Char(c) => {
                // A placeholder already there: its parameter, when the call passes them.
                let next_is = |x: char| matches!(items.get(i + 1), Some(Item::Char(n)) if *n == x);
                if let Some(e) = existing.as_mut() {
                    if *c == '?' && !percent {
                        sql.push('?');
                        params.push(e.next()?.clone());
                        i += 1;
                        continue;
                    }
                    if *c == '%' && percent && (next_is('s') || next_is('%')) {
                        if next_is('s') {
                            params.push(e.next()?.clone());
                        }
                        sql.push(*c);
                        if let Some(Item::Char(n)) = items.get(i + 1) {
                            sql.push(*n);
                        }
                        i += 2;
                        continue;
                    }
                    if *c == '%' {
                        return None;
                    }
                }
                if (*c == '?' && !percent) || (*c == '$' && numbered) {
                    return None;
                }
                if *c == '%' && percent {
                    sql.push('%');
                }
                sql.push(*c);
                i += 1;
            }
            Item::Val(v) => {
                let index = value_index;
                value_index += 1;
                if !value_position(&sql) || glued_after(&items, i) {
                    sql.push(kept(v, p, src, index)?);
                    i += 1;
                    continue;
                }
                // `LIMIT`/`OFFSET` take an integer: a string parameter would be quoted, which
                // MySQL rejects there.
                let count = matches!(last_word(&sql).as_str(), "LIMIT" | "OFFSET");
                let x = param(v, src);
                sql.push_str(&next());
                let n = crate::rules::args::unparen(v.node);
                let is_int = n.kind_name() == "integer"
                    || matches!(&v.conv, Conv::Other(c) if c == ":d" || c == ":i")
                    || (n.kind_name() == "call"
                        && n.child_by_field_id(FIELD.function)
                            .is_some_and(|f| text(f, src) == "int"));
                if numbered && !is_int && !typed(v, src, "int") {
                    return None;
                }
                params.push(if count && !is_int {
                    format!("int({x})")
                } else {
                    x
                });
                i += 1;
            }
        }
    }
    if existing.is_some_and(|mut e| e.next().is_some()) {
        return None;
    }
    if params.is_empty() {
        // Only constants: nothing to bind.
        return None;
    }
    Some((sql, params))
}

/// SQL built from values, passed with the parameters of the placeholders it already holds
/// (`conn.execute("... WHERE tag = '" + tag + "' LIMIT ?", (limit,))`): the values become
/// parameters too, merged in order into the call's tuple or list (two edits).
pub(super) fn sql_params_merge(
    node: Node,
    src: &str,
    style: &str,
    cx: &FileContext,
) -> Option<Vec<super::scope::RangeEdit>> {
    let list = node.parent().filter(|l| l.kind_name() == "argument_list")?;
    let mut c = list.walk();
    let args: Vec<Node> = list
        .named_children(&mut c)
        .filter(|n| n.kind_name() != "comment")
        .collect();
    let [first, given] = args.as_slice() else {
        return None;
    };
    if first.id() != node.id() {
        return None;
    }
    let placeholder = placeholder(list.parent()?, src, style, cx)?;
    let p = strings::pieces(node, src)?;
    let (sql, merged) = merge_into(&p, src, placeholder, *given)?;
    Some(vec![
        (
            node.start_byte(),
            node.end_byte(),
            sql_literal(&sql, &p, src)?,
        ),
        (given.start_byte(), given.end_byte(), merged),
    ])
}

/// The SQL text with placeholders for the pieces `p`, and the parameters `given` (a tuple or
/// list literal the call already passes for the placeholders the SQL holds) with the new ones
/// merged in order.
pub(super) fn merge_into(
    p: &Pieces,
    src: &str,
    placeholder: &str,
    given: Node,
) -> Option<(String, String)> {
    if !matches!(given.kind_name(), "tuple" | "list") || placeholder == "$" {
        return None;
    }
    let mut c = given.walk();
    let old: Vec<Node> = given
        .named_children(&mut c)
        .filter(|n| n.kind_name() != "comment")
        .collect();
    if old.is_empty() || old.iter().any(|n| n.kind_name().contains("splat")) {
        return None;
    }
    let old: Vec<String> = old.iter().map(|n| text(*n, src).to_string()).collect();
    let (sql, params) = build_params(p, src, placeholder, Some(&old))?;
    if params.len() == old.len() {
        return None;
    }
    let merged = match (given.kind_name(), params.len()) {
        ("list", _) => format!("[{}]", params.join(", ")),
        (_, 1) => format!("({},)", params[0]),
        _ => format!("({})", params.join(", ")),
    };
    Some((sql, merged))
}

/// Whether value `v` is a parameter of its function annotated `ty` (`int`, `str`): numbered
/// drivers (asyncpg) send parameters typed and do not convert a `str` where the SQL expects an
/// integer, so their values must be known to be of the type the SQL had them as.
fn typed(v: &Value, src: &str, ty: &str) -> bool {
    let n = crate::rules::args::unparen(v.node);
    if n.kind_name() != "identifier" || !matches!(v.conv, Conv::Str | Conv::Concat) {
        return false;
    }
    let name = text(n, src);
    let mut f = n.parent();
    while let Some(x) = f {
        if x.kind_name() == "function_definition" {
            break;
        }
        f = x.parent();
    }
    let Some(func) = f else {
        return false;
    };
    let Some(params) = func.child_by_field_id(FIELD.parameters) else {
        return false;
    };
    let mut c = params.walk();
    let found = params.named_children(&mut c).any(|p| {
        matches!(p.kind_name(), "typed_parameter" | "typed_default_parameter")
            && p.named_child(0)
                .is_some_and(|id| id.kind_name() == "identifier" && text(id, src) == name)
            && p.child_by_field_id(FIELD.type_)
                .is_some_and(|t| text(t, src) == ty)
    });
    // Rebound in the function, it may hold something else by the time the SQL is built.
    found
        && !super::scope::mentions(func, name, src)
            .into_iter()
            .any(super::scope::is_binding)
}

fn push_char(parts: &mut Vec<Part>, c: char) {
    if let Some(Part::Lit(s)) = parts.last_mut() {
        s.push(c);
    } else {
        parts.push(Part::Lit(c.to_string()));
    }
}

/// Whether the value at `items[i]` is glued to the text after it (`{x}_log`, `{x}.col`,
/// `{x}'`): part of a longer word or literal, not a value of its own.
pub(super) fn glued_after(items: &[Item], i: usize) -> bool {
    matches!(items.get(i + 1), Some(Item::Char(c)) if c.is_alphanumeric() || "_.'\"".contains(*c))
}

/// Whether SQL expects a value right after `sql`.
pub(super) fn value_position(sql: &str) -> bool {
    let before = sql.trim_end();
    if before.len() == sql.len() && before.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
        // Glued to a word: `tbl_{x}`.
        return false;
    }
    let Some(last) = before.chars().last() else {
        return false;
    };
    if "=<>*/+-".contains(last) && !before.ends_with("--") {
        return true;
    }
    if matches!(
        last_word(before).as_str(),
        "LIKE" | "ILIKE" | "LIMIT" | "OFFSET"
    ) {
        return true;
    }
    if last == '(' || last == ',' {
        return in_values_tuple(before);
    }
    false
}

/// The word `sql` ends with (blanks after it ignored), upper-cased.
fn last_word(sql: &str) -> String {
    sql.trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Whether `before` ends inside the parentheses of `VALUES (`, after only values,
/// placeholders and commas.
fn in_values_tuple(before: &str) -> bool {
    let Some(open) = before.rfind('(') else {
        return false;
    };
    let mut inside = String::new();
    let mut quoted = false;
    for c in before[open + 1..].chars() {
        if c == '\'' {
            quoted = !quoted;
        } else if !quoted {
            inside.push(c);
        }
    }
    let inside = inside.replace("%s", "").replace(['?', '$'], "");
    let only_values = inside
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_whitespace() || ",.-".contains(c));
    let head = before[..open].trim_end();
    let word_start = head
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    only_values && head[word_start..].eq_ignore_ascii_case("values")
}

/// The parameter for a value.
fn param(v: &Value, src: &str) -> String {
    let x = text(v.node, src);
    match &v.conv {
        Conv::Str | Conv::Concat => x.to_string(),
        Conv::Other(s) if s == ":d" || s == ":i" => format!("int({x})"),
        _ => strings::value_expr(v, src),
    }
}

/// A triple-quoted literal keeping the SQL's line breaks.
fn triple(s: &str, q: char) -> String {
    let mut out = String::new();
    for _ in 0..3 {
        out.push(q);
    }
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    for _ in 0..3 {
        out.push(q);
    }
    out
}
