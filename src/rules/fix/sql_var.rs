//! The `sql-params:STYLE` filter on SQL built in a variable and executed later:
//!
//! ```python
//! sql = f"SELECT id FROM orders WHERE ref = '{ref}'"      # the SQL literal is rewritten here
//! cur.execute(sql)                                          # the parameters are added here
//! ```
//!
//! becomes `sql = "SELECT id FROM orders WHERE ref = %s"` and `cur.execute(sql, (ref,))`.
//! The filter is given either end (the built SQL, or the variable passed to the call) and
//! edits both. It applies only when nothing else can observe the change:
//!
//! * the variable is a plain name assigned exactly once (`NAME = EXPR`, a statement of its
//!   own), in the same function as the call, before it, and read nowhere but as the SQL
//!   argument of that call (`execute`, `mogrify`, Django's `raw`/`RawSQL`): its only
//!   argument, or the first, followed by a tuple or list literal of parameters for the
//!   placeholders the SQL already holds, into which the new ones are merged in order;
//! * each value moved into the parameters is a name, an attribute or a subscript by a
//!   literal, or `int`/`str`/`float` of one, and no name it reads is bound again anywhere in
//!   the function after the assignment: the parameters, now read at the call, have the
//!   values the string had.
//!
//! Where the values stand in the SQL follows the inline form ([`super::sql`]).

use tree_sitter::Node;

use super::scope::{
    assignment_of, is_binding, mentions, only_use, scope_of, single_assignment, RangeEdit,
};
use super::sql::{build_sql, merge_into, method, placeholder, sql_literal, FileContext};
use super::strings::{self, Part, Pieces};
use crate::rules::args::unparen;
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

/// Calls whose single SQL argument may receive parameters.
const EXECUTE: &[&str] = &["execute", "mogrify", "raw", "RawSQL"];

/// The two edits (the assignment's value, the call's argument), or `None`.
pub(crate) fn sql_params_var(
    node: Node,
    src: &str,
    style: &str,
    cx: &FileContext,
) -> Option<Vec<RangeEdit>> {
    let (assign, arg) = if node.kind_name() == "identifier" {
        let arg = node;
        let assign = single_assignment(arg, src)?;
        (assign, arg)
    } else {
        let assign = assignment_of(node)?;
        let name = assign.child_by_field_id(FIELD.left)?;
        let arg = only_use(assign, name, src)?;
        if single_assignment(arg, src)?.id() != assign.id() {
            return None;
        }
        (assign, arg)
    };
    let (call, given) = call_of_sql_arg(arg)?;
    if !EXECUTE.contains(&method(call, src)?) {
        return None;
    }
    let value = assign.child_by_field_id(FIELD.right)?;
    let built = unparen(value);
    let p = strings::pieces(built, src)?;
    let scope = scope_of(assign);
    if scope_of(call).id() != scope.id() {
        return None;
    }
    for v in p.values() {
        if !simple_value(v.node, src) {
            return None;
        }
        let mut names = Vec::new();
        read_names(v.node, src, &mut names);
        if names
            .iter()
            .any(|n| bound_after(scope, n, assign.end_byte(), src))
        {
            return None;
        }
    }
    let placeholder = placeholder(call, src, style, cx)?;
    let name = text(arg, src);
    let (sql, at_call) = match given {
        None => {
            let (sql, params) = build_sql(&p, src, placeholder)?;
            (
                sql,
                (
                    arg.start_byte(),
                    arg.end_byte(),
                    format!("{name}, {params}"),
                ),
            )
        }
        Some(given) => {
            let (sql, merged) = merge_into(&p, src, placeholder, given)?;
            (sql, (given.start_byte(), given.end_byte(), merged))
        }
    };
    Some(vec![
        (
            built.start_byte(),
            built.end_byte(),
            layout(built, src, &sql, &p)?,
        ),
        at_call,
    ])
}

/// The call `arg` is the first argument of, and the parameters it passes after it: `arg` is
/// the only argument, or the second is a tuple or list literal.
fn call_of_sql_arg(arg: Node) -> Option<(Node, Option<Node>)> {
    let list = arg.parent().filter(|l| l.kind_name() == "argument_list")?;
    let mut c = list.walk();
    let args: Vec<Node> = list
        .named_children(&mut c)
        .filter(|n| n.kind_name() != "comment")
        .collect();
    match args.as_slice() {
        [only] if only.id() == arg.id() => Some((list.parent()?, None)),
        [first, given]
            if first.id() == arg.id() && matches!(given.kind_name(), "tuple" | "list") =>
        {
            Some((list.parent()?, Some(*given)))
        }
        _ => None,
    }
}

/// A name, an attribute of one, a subscript by a literal, or `int`/`str`/`float` of one:
/// reading it later gives the same value when no name in it is rebound.
fn simple_value(n: Node, src: &str) -> bool {
    let n = unparen(n);
    match n.kind_name() {
        "identifier" => true,
        "attribute" => n
            .child_by_field_id(FIELD.object)
            .is_some_and(|o| simple_value(o, src)),
        "subscript" => {
            let mut c = n.walk();
            let subs: Vec<Node> = n.children_by_field_name("subscript", &mut c).collect();
            n.child_by_field_id(FIELD.value)
                .is_some_and(|v| simple_value(v, src))
                && subs.len() == 1
                && matches!(subs[0].kind_name(), "integer" | "string")
                && strings::pieces(subs[0], src).is_none_or(|p| p.values().next().is_none())
        }
        "call" => {
            let f = n.child_by_field_id(FIELD.function).map(|f| text(f, src));
            let Some(args) = n.child_by_field_id(FIELD.arguments) else {
                return false;
            };
            let mut c = args.walk();
            let a: Vec<Node> = args
                .named_children(&mut c)
                .filter(|x| x.kind_name() != "comment")
                .collect();
            matches!(f, Some("int" | "str" | "float")) && a.len() == 1 && simple_value(a[0], src)
        }
        _ => false,
    }
}

/// The names an expression reads (the object names of attributes, not their attribute names).
fn read_names(n: Node, src: &str, out: &mut Vec<String>) {
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if x.kind_name() == "identifier" {
            let attr_name = x.parent().is_some_and(|p| {
                p.kind_name() == "attribute"
                    && p.child_by_field_id(FIELD.attribute)
                        .is_some_and(|a| a.id() == x.id())
            });
            let t = text(x, src).to_string();
            if !attr_name && !out.contains(&t) {
                out.push(t);
            }
        }
        let mut c = x.walk();
        stack.extend(x.named_children(&mut c));
    }
}

/// Whether `scope` binds `name` anywhere after byte `after`: an assignment, a loop or `with`
/// target, `:=`, a `def`/`class`, an import, `del`, `global`/`nonlocal` (names in nested
/// scopes count too: the check only ever refuses more).
fn bound_after(scope: Node, name: &str, after: usize, src: &str) -> bool {
    mentions(scope, name, src)
        .into_iter()
        .filter(|n| n.start_byte() >= after)
        .any(|n| is_binding(n))
}

/// The SQL literal, written as implicitly concatenated literals broken where the original's
/// were when the original is one literal per line (`"SELECT ... "` / `f"WHERE a = '{a}'"`):
/// each original literal's leading text is looked for in the new SQL, in order, and what lies
/// between the original literals (line breaks, comments) is kept. Otherwise a single literal,
/// or `None` when that would drop a comment.
fn layout(built: Node, src: &str, sql: &str, p: &Pieces) -> Option<String> {
    let has_comment = |n: Node| {
        let mut stack = vec![n];
        while let Some(x) = stack.pop() {
            if x.kind_name() == "comment" {
                return true;
            }
            let mut c = x.walk();
            stack.extend(x.children(&mut c));
        }
        false
    };
    let single = || {
        (!has_comment(built))
            .then(|| sql_literal(sql, p, src))
            .flatten()
    };
    let concat = match built.kind_name() {
        "concatenated_string" => Some(built),
        "binary_operator" => built.child_by_field_id(FIELD.left).map(unparen),
        "call" => built
            .child_by_field_id(FIELD.function)
            .and_then(|f| f.child_by_field_id(FIELD.object))
            .map(unparen),
        _ => None,
    };
    let Some(concat) = concat.filter(|c| c.kind_name() == "concatenated_string") else {
        return single();
    };
    let mut c = concat.walk();
    let parts: Vec<Node> = concat
        .named_children(&mut c)
        .filter(|n| n.kind_name() == "string")
        .collect();
    let own_lines = parts
        .windows(2)
        .all(|w| w[0].end_position().row < w[1].start_position().row);
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return single();
    };
    // What the rewrite drops besides the literals: `% (a, b)`, `.format(...)`, parentheses.
    let mut outside = Vec::new();
    let mut stack = vec![built];
    while let Some(x) = stack.pop() {
        if x.end_byte() <= first.start_byte() || x.start_byte() >= last.end_byte() {
            outside.push(x);
        } else if x.start_byte() < first.start_byte() || x.end_byte() > last.end_byte() {
            let mut c = x.walk();
            stack.extend(x.children(&mut c));
        }
    }
    if p.triple || parts.len() < 2 || !own_lines || outside.into_iter().any(has_comment) {
        return single();
    }
    let mut cuts = vec![0];
    for s in &parts[1..] {
        let lead = match strings::pieces(*s, src).and_then(|x| x.parts.into_iter().next()) {
            Some(Part::Lit(l)) => l,
            _ => return single(),
        };
        let lead = lead.split(['%', '{', '\'', '"']).next().unwrap_or("");
        let from = cuts.last().copied().unwrap_or(0) + 1;
        if lead.trim().is_empty() {
            return single();
        }
        match sql.get(from..).and_then(|rest| rest.find(lead)) {
            Some(at) => cuts.push(from + at),
            None => return single(),
        }
    }
    cuts.push(sql.len());
    let mut out = String::new();
    for (i, w) in cuts.windows(2).enumerate() {
        if i > 0 {
            out.push_str(&src[parts[i - 1].end_byte()..parts[i].start_byte()]);
        }
        match sql.get(w[0]..w[1]) {
            Some(chunk) if !chunk.is_empty() => out.push_str(&sql_literal(chunk, p, src)?),
            _ => return single(),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests;
