//! The `sql-identifier` filter: a run-time value that SQL takes as a name (a column after
//! `ORDER BY`, a sort direction, a column or table the statement reads) cannot be a bound
//! parameter, so it is limited to the names the code itself allows:
//!
//! ```python
//! f"SELECT id, subject FROM tickets WHERE status = $1 ORDER BY {order}"
//! # becomes
//! f"SELECT id, subject FROM tickets WHERE status = $1 ORDER BY {order if order in ('id', 'subject') else 'id'}"
//! ```
//!
//! Where the allowed names come from, by position:
//!
//! * after `ORDER BY` or `GROUP BY`: the columns the statement selects (plain or qualified
//!   names, or their `AS` aliases; a `*` or an expression in the list gives no fix);
//! * right after the sort column (`ORDER BY {col} {direction}`): `ASC` or `DESC`;
//! * anywhere else: the file's one upper-case module constant that lists SQL names and that
//!   the code reads, if at all, only as the right side of `in` / `not in` (an allow-list it
//!   declared; `TABLES` looped over elsewhere is not one). A table's place (after `FROM`,
//!   `JOIN`, `INTO`, `UPDATE`, `TABLE`) takes a constant whose name says `TABLE`; any other
//!   place one whose name does not.
//!
//! The fallback is the value's own literal default when it is allowed (`sort =
//! request.args.get("sort", "sold_on")`), else the first name allowed. Only values that can
//! be read twice without a side effect (a name, an attribute chain, a subscript by a literal)
//! are rewritten, and only when every other run-time value of the SQL is in place already:
//! the whole statement is then built from constants of the program. Values that SQL takes as
//! values are the `sql-params` filter's ([`super::sql`]); a statement with both gets no fix
//! here.

use tree_sitter::Node;

use super::scope::RangeEdit;
use super::strings::{self, Conv, Item, Value};
use crate::rules::args::unparen;
use crate::rules::resolve::{root_of, text};
use crate::syntax_fields::{KindName, FIELD};

/// Stands, in SQL text being read, for a value met earlier.
const VALUE: char = '\u{E000}';

pub(crate) fn sql_identifier(node: Node, src: &str) -> Option<Vec<RangeEdit>> {
    let node = unparen(node);
    let built = if node.kind_name() == "identifier" {
        super::scope::sole_binding(node, src)?
    } else {
        node
    };
    let p = strings::pieces(built, src)?;
    let root = root_of(built);
    let mut sql = String::new();
    let mut quote: Option<char> = None;
    let mut edits = Vec::new();
    let items = p.items();
    for (i, item) in items.iter().enumerate() {
        match item {
            Item::Char(c) => {
                match quote {
                    Some(q) if *c == q => quote = None,
                    None if *c == '\'' || *c == '"' => quote = Some(*c),
                    _ => {}
                }
                sql.push(*c);
            }
            Item::Val(v) => {
                if !crate::rules::constant::constant(v.node, src, 0) {
                    let glued_before = sql.ends_with(|c: char| c.is_alphanumeric() || c == '_');
                    if quote.is_some()
                        || super::sql::value_position(&sql)
                        || super::sql::glued_after(&items, i)
                        || glued_before
                    {
                        // A bound parameter's place, or a name glued to other text.
                        return None;
                    }
                    edits.push(guard(v, &sql, root, p.quote, src)?);
                }
                sql.push(VALUE);
            }
        }
    }
    (!edits.is_empty()).then_some(edits)
}

/// The edit that limits value `v`, met after the SQL text `before`, to the names allowed there.
fn guard(v: &Value, before: &str, root: Node, quote: char, src: &str) -> Option<RangeEdit> {
    if !matches!(v.conv, Conv::Str | Conv::Concat) || !repeatable(unparen(v.node)) {
        return None;
    }
    let words = last_words(before, 3);
    let sort =
        |w: &[String]| w.len() == 2 && matches!(w[0].as_str(), "ORDER" | "GROUP") && w[1] == "BY";
    let allowed: Vec<String> = if words.len() == 3 && sort(&words[..2]) && words[0] == "ORDER" {
        vec!["ASC".into(), "DESC".into()]
    } else if words.len() >= 2 && sort(&words[words.len() - 2..]) {
        select_columns(before)?
    } else {
        let table = words
            .last()
            .is_some_and(|w| matches!(w.as_str(), "FROM" | "JOIN" | "INTO" | "UPDATE" | "TABLE"));
        return module_list(v, root, quote, table, src);
    };
    let q = literal_quote(v.node, quote, src);
    let default = own_default(v.node, src)
        .filter(|d| allowed.contains(d))
        .unwrap_or_else(|| allowed[0].clone());
    let list = allowed
        .iter()
        .map(|a| format!("{q}{a}{q}"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(edit(
        v.node,
        &format!("({list})"),
        &format!("{q}{default}{q}"),
        src,
    ))
}

/// The guard against the module's one constant allow-list of SQL names (of tables when
/// `table`).
fn module_list(v: &Value, root: Node, quote: char, table: bool, src: &str) -> Option<RangeEdit> {
    let found: Vec<(String, Vec<String>)> = super::allow::constants(root, src)
        .into_iter()
        .filter(|(name, _)| name.contains("TABLE") == table && only_membership(root, name, src))
        .filter_map(|(name, coll)| {
            if coll.kind_name() == "dictionary" {
                return None;
            }
            let mut c = coll.walk();
            let names: Option<Vec<String>> = coll
                .named_children(&mut c)
                .map(|i| sql_name_literal(i, src))
                .collect();
            names.filter(|n| !n.is_empty()).map(|n| (name, n))
        })
        .collect();
    let [(table, names)] = found.as_slice() else {
        return None;
    };
    let q = literal_quote(v.node, quote, src);
    let default = own_default(v.node, src)
        .filter(|d| names.contains(d))
        .unwrap_or_else(|| names[0].clone());
    Some(edit(v.node, table, &format!("{q}{default}{q}"), src))
}

/// `v` → `v if v in ALLOWED else DEFAULT`, parenthesized unless it is a whole f-string field.
fn edit(v: Node, allowed: &str, default: &str, src: &str) -> RangeEdit {
    let x = text(v, src);
    let guarded = format!("{x} if {x} in {allowed} else {default}");
    let field = v.parent().is_some_and(|p| p.kind_name() == "interpolation");
    let guarded = if field {
        guarded
    } else {
        format!("({guarded})")
    };
    (v.start_byte(), v.end_byte(), guarded)
}

/// A value read twice has the same value: a name, an attribute chain, a subscript by a literal.
fn repeatable(n: Node) -> bool {
    match n.kind_name() {
        "identifier" => true,
        "attribute" => n.child_by_field_id(FIELD.object).is_some_and(repeatable),
        "subscript" => {
            n.child_by_field_id(FIELD.value).is_some_and(repeatable)
                && n.child_by_field_id(FIELD.subscript)
                    .is_some_and(|k| matches!(k.kind_name(), "string" | "integer"))
        }
        _ => false,
    }
}

/// The quote for string literals written where `v` stands: inside an f-string field, the one
/// its string does not use (Python before 3.12 cannot nest the same quote); else `quote`.
fn literal_quote(v: Node, quote: char, src: &str) -> char {
    let mut n = v;
    while let Some(p) = n.parent() {
        if p.kind_name() == "string" {
            let opening = text(p, src)
                .chars()
                .find(|c| *c == '"' || *c == '\'')
                .unwrap_or('"');
            return if opening == '"' { '\'' } else { '"' };
        }
        n = p;
    }
    quote
}

/// The literal string default of the request read that binds `v` (`request.args.get("sort",
/// "sold_on")`), when `v` is a name bound once.
fn own_default(v: Node, src: &str) -> Option<String> {
    let v = unparen(v);
    if v.kind_name() != "identifier" {
        return None;
    }
    let read = super::scope::sole_binding(v, src)?;
    let (default, _) = super::allow::get_with_default(read, src)?;
    sql_name_literal(default, src)
}

/// The text of a string literal that is a SQL name (`created_at`, `t.col`).
fn sql_name_literal(n: Node, src: &str) -> Option<String> {
    if n.kind_name() != "string" {
        return None;
    }
    let t = text(n, src);
    let body = t.strip_prefix(['"', '\''])?.strip_suffix(['"', '\''])?;
    sql_name(body).then(|| body.to_string())
}

/// A plain or qualified SQL name: `name`, `t.name`.
fn sql_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').count() <= 2
        && s.split('.').all(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// Whether every read of the module constant `name` is the right side of `in` / `not in`.
fn only_membership(root: Node, name: &str, src: &str) -> bool {
    super::scope::mentions(root, name, src)
        .into_iter()
        .filter(|m| !super::scope::is_binding(*m))
        .all(|m| {
            m.parent()
                .filter(|cmp| cmp.kind_name() == "comparison_operator")
                .is_some_and(|cmp| {
                    let (ops, operands) = crate::rules::taint::comparison_parts(cmp);
                    matches!(ops.as_slice(), ["in"] | ["not in"])
                        && operands.get(1).is_some_and(|r| r.id() == m.id())
                })
        })
}

/// The last `n` words of `sql`, upper-cased (a value met earlier counts as a word).
fn last_words(sql: &str, n: usize) -> Vec<String> {
    let words: Vec<&str> = sql.split_whitespace().collect();
    let from = words.len().saturating_sub(n);
    words[from..]
        .iter()
        .map(|w| w.to_ascii_uppercase())
        .collect()
}

/// The names the last `SELECT` of `sql` lists before its `FROM`: the columns, or their `AS`
/// aliases; `None` for `*`, expressions, quoted names or values.
fn select_columns(sql: &str) -> Option<Vec<String>> {
    let up = sql.to_ascii_uppercase();
    let start = word_positions(&up, "SELECT").last().copied()? + "SELECT".len();
    let end = start + word_positions(&up[start..], "FROM").first().copied()?;
    let mut list = sql[start..end].trim();
    if list.len() > 9 && list[..9].eq_ignore_ascii_case("DISTINCT ") {
        list = list[9..].trim_start();
    }
    let mut out = Vec::new();
    for item in list.split(',') {
        let w: Vec<&str> = item.split_whitespace().collect();
        let name = match w.as_slice() {
            [col] => *col,
            [col, as_, alias] if as_.eq_ignore_ascii_case("as") && sql_name(col) => *alias,
            [col, alias] if sql_name(col) => *alias,
            _ => return None,
        };
        if !sql_name(name) {
            return None;
        }
        if !out.iter().any(|o| o == name) {
            out.push(name.to_string());
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Byte offsets of `word` in `up` (upper-cased SQL) where it stands as a whole word.
fn word_positions(up: &str, word: &str) -> Vec<usize> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    up.match_indices(word)
        .filter(|(i, _)| {
            let before = up[..*i].chars().next_back();
            let after = up[i + word.len()..].chars().next();
            !before.is_some_and(is_word) && !after.is_some_and(is_word)
        })
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests;
