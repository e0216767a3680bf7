//! The one pass over a file's flat tree ([`FlatTree`]): calls, imports, comments, function
//! scopes, the first syntax error, and the native query matches ([`crate::rules::query`]).

use tree_sitter::Node;

use super::KindIds;
use crate::rules::flat_tree::FlatTree;
use crate::rules::query::NativeRun;
use crate::rules::resolve::{
    text, ImportTable, ScopeId, Scopes, MODULE_SCOPE, SHADOWABLE_BUILTINS,
};
use crate::suppress::CommentIndex;
use crate::syntax_fields::FIELD;

/// What the single pass over a file's tree collects.
pub(crate) struct FileIndex<'t, 's> {
    pub calls: Vec<(Node<'t>, ScopeId)>,
    /// Each call's callee (its `function` field), parallel to `calls`.
    pub callees: Vec<Option<Node<'t>>>,
    /// Import statements with the qualified names they import.
    pub imported: Vec<(Node<'t>, Vec<String>)>,
    pub imports: ImportTable,
    pub scopes: Scopes,
    /// `function_definition` nodes; scope id `i + 1` is `funcs[i]`.
    pub funcs: Vec<Node<'t>>,
    /// The `decorated_definition` around each of `funcs`, if any.
    pub decorated: Vec<Option<Node<'t>>>,
    /// The `class_definition` each of `funcs` is a direct method of, if any.
    pub classes: Vec<Option<Node<'t>>>,
    pub comments: CommentIndex<'s>,
    pub first_error_line: Option<usize>,
}

impl<'t, 's> FileIndex<'t, 's> {
    /// One pass over the flat tree, in pre-order.
    pub fn build(
        tree: &FlatTree<'t>,
        src: &'s str,
        k: KindIds,
        mut native: Option<&mut NativeRun<'t, '_>>,
    ) -> FileIndex<'t, 's> {
        let mut idx = FileIndex {
            calls: Vec::new(),
            callees: Vec::new(),
            imported: Vec::new(),
            imports: ImportTable::default(),
            scopes: Scopes::default(),
            funcs: Vec::new(),
            decorated: Vec::new(),
            classes: Vec::new(),
            comments: CommentIndex::default(),
            first_error_line: None,
        };
        // (depth, scope) of enclosing functions.
        let mut stack: Vec<(u32, ScopeId)> = Vec::new();
        // Node 0 is the root: the tree always has it.
        let mut check_errors = tree.node(0).has_error();
        for i in 0..tree.len() as u32 {
            let flat = tree.get(i);
            let (node, depth, kind) = (flat.node, flat.depth, flat.kind);
            while stack.last().is_some_and(|(d, _)| *d >= depth) {
                stack.pop();
            }
            let scope = stack.last().map_or(MODULE_SCOPE, |s| s.1);
            if let Some(n) = native.as_deref_mut() {
                n.visit(i);
            }
            match kind {
                _ if kind == k.call => {
                    idx.calls.push((node, scope));
                    let callee = tree.child_in_field(i, FIELD.function);
                    idx.callees.push(callee.map(|c| tree.node(c)));
                }
                _ if kind == k.comment => {
                    let line = node.start_position().row + 1;
                    idx.comments.add(line, text(node, src));
                }
                _ if kind == k.function_definition => {
                    let id = idx.scopes.push(node.start_byte(), node.end_byte(), scope);
                    idx.funcs.push(node);
                    // function_definition ← decorated_definition? ← block ← class_definition
                    let mut up = tree.parent(i);
                    let decorated = up.filter(|&p| tree.get(p).kind == k.decorated_definition);
                    if decorated.is_some() {
                        up = decorated.and_then(|p| tree.parent(p));
                    }
                    let class = up
                        .filter(|&p| tree.get(p).kind == k.block)
                        .and_then(|p| tree.parent(p))
                        .filter(|&p| tree.get(p).kind == k.class_definition);
                    idx.decorated.push(decorated.map(|p| tree.get(p).node));
                    idx.classes.push(class.map(|p| tree.get(p).node));
                    stack.push((depth, id));
                    if scope == MODULE_SCOPE {
                        if let Some(n) = tree.child_in_field(i, FIELD.name).map(|n| tree.node(n)) {
                            let name = text(n, src);
                            if SHADOWABLE_BUILTINS.contains(&name) {
                                idx.imports.shadow_builtin(name);
                            }
                        }
                    }
                }
                _ if kind == k.import_statement || kind == k.import_from_statement => {
                    let names = idx.imports.add_import(node, src, scope);
                    idx.imported.push((node, names));
                }
                _ => {}
            }
            if check_errors && (node.is_error() || node.is_missing()) {
                idx.first_error_line = Some(node.start_position().row + 1);
                check_errors = false;
            }
        }
        idx
    }
}
