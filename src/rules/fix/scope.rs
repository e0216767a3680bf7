//! Names in one function, read off the syntax tree: where a local is assigned, where it is
//! read, whether code binds it again. What the filters that edit more than their capture
//! ([`super::sql_var`], [`super::escape`], [`super::shell`]) check before they do.

use tree_sitter::Node;

use crate::rules::args::unparen;
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

/// An edit: a byte range of the source and its new text.
pub(crate) type RangeEdit = (usize, usize, String);

/// The statement `NAME = EXPR` whose value holds `node` (through implicit concatenation and
/// parentheses).
pub(super) fn assignment_of(node: Node) -> Option<Node> {
    let mut n = node;
    while let Some(p) = n.parent() {
        match p.kind_name() {
            "concatenated_string" | "parenthesized_expression" => n = p,
            _ => break,
        }
    }
    let assign = n.parent().filter(|a| a.kind_name() == "assignment")?;
    if assign.child_by_field_id(FIELD.right)?.id() != n.id()
        || assign.child_by_field_id(FIELD.type_).is_some()
    {
        return None;
    }
    let left = assign.child_by_field_id(FIELD.left)?;
    let stmt = assign.parent()?;
    (left.kind_name() == "identifier"
        && stmt.kind_name() == "expression_statement"
        && stmt.named_child_count() == 1)
        .then_some(assign)
}

/// The function (or module) whose local `node` is.
pub(super) fn scope_of(node: Node) -> Node {
    let mut n = node;
    while let Some(p) = n.parent() {
        if matches!(p.kind_name(), "function_definition" | "lambda") {
            return p;
        }
        n = p;
    }
    n
}

/// Every identifier named `name` under `root` (attribute names after a dot left out).
pub(super) fn mentions<'t>(root: Node<'t>, name: &str, src: &str) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if n.kind_name() == "identifier" && text(n, src) == name {
            let attr_name = n.parent().is_some_and(|p| {
                p.kind_name() == "attribute"
                    && p.child_by_field_id(FIELD.attribute)
                        .is_some_and(|a| a.id() == n.id())
            });
            if !attr_name {
                out.push(n);
            }
        }
        let mut c = n.walk();
        stack.extend(n.children(&mut c));
    }
    out
}

/// The one assignment of the variable `arg` reads, when the function mentions that name
/// exactly twice: there, and at `arg`, after it.
pub(super) fn single_assignment<'t>(arg: Node<'t>, src: &str) -> Option<Node<'t>> {
    let scope = scope_of(arg);
    let all = mentions(scope, text(arg, src), src);
    if all.len() != 2 {
        return None;
    }
    let left = all.iter().find(|n| n.id() != arg.id())?;
    let assign = left.parent().filter(|a| a.kind_name() == "assignment")?;
    if assign.child_by_field_id(FIELD.left)?.id() != left.id()
        || assign.end_byte() > arg.start_byte()
    {
        return None;
    }
    assignment_of(assign.child_by_field_id(FIELD.right)?).filter(|a| a.id() == assign.id())
}

/// The one read of `name` (assigned by `assign`) in its function.
pub(super) fn only_use<'t>(assign: Node<'t>, name: Node<'t>, src: &str) -> Option<Node<'t>> {
    let all = mentions(scope_of(assign), text(name, src), src);
    if all.len() != 2 {
        return None;
    }
    all.into_iter().find(|n| n.id() != name.id())
}

/// Whether identifier `id` is bound where it stands (an assignment or loop target, `:=`, a
/// `def`/`class` name, an import, `with`/`except ... as`, `del`, `global`/`nonlocal`).
pub(super) fn is_binding(id: Node) -> bool {
    let mut n = id;
    while let Some(p) = n.parent() {
        match p.kind_name() {
            "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "list_splat_pattern"
            | "parenthesized_expression"
            | "tuple"
            | "list"
            | "expression_list" => n = p,
            "assignment" | "augmented_assignment" | "for_statement" | "for_in_clause" => {
                return p
                    .child_by_field_id(FIELD.left)
                    .is_some_and(|l| l.id() == n.id());
            }
            "named_expression" | "function_definition" | "class_definition" => {
                return p
                    .child_by_field_id(FIELD.name)
                    .is_some_and(|l| l.id() == n.id());
            }
            "as_pattern_target"
            | "as_pattern"
            | "with_item"
            | "dotted_name"
            | "aliased_import"
            | "import_statement"
            | "import_from_statement"
            | "global_statement"
            | "nonlocal_statement"
            | "delete_statement"
            | "except_clause" => return true,
            _ => return false,
        }
    }
    false
}

/// The value of the one assignment `NAME = EXPR` of the local `name` reads, made before it.
pub(super) fn sole_binding<'t>(name: Node<'t>, src: &str) -> Option<Node<'t>> {
    let all = mentions(scope_of(name), text(name, src), src);
    let mut bound = all.iter().filter(|n| is_binding(**n));
    let left = bound.next()?;
    if bound.next().is_some() {
        return None;
    }
    let assign = left.parent().filter(|a| a.kind_name() == "assignment")?;
    if assign.child_by_field_id(FIELD.left)?.id() != left.id()
        || assign.end_byte() > name.start_byte()
    {
        return None;
    }
    assign.child_by_field_id(FIELD.right).map(unparen)
}

/// What the module's top-level imports bind `name` to: `markupsafe.escape` for `from markupsafe
/// import escape`, `django` for `import django.shortcuts`, `None` when no import binds it. Read
/// through the engine's own import table.
pub(super) fn imported_as(root: Node, name: &str, src: &str) -> Option<String> {
    use crate::rules::resolve::{ImportTable, Scopes, MODULE_SCOPE};
    let mut table = ImportTable::default();
    let mut c = root.walk();
    for s in root.named_children(&mut c) {
        if matches!(s.kind_name(), "import_statement" | "import_from_statement") {
            table.add_import(s, src, MODULE_SCOPE);
        }
    }
    table
        .lookup(name, MODULE_SCOPE, &Scopes::default())
        .map(str::to_string)
}
