//! Name resolution: which qualified name does a callee expression refer to?
//!
//! Per file, an [`ImportTable`] records every `import`/`from ... import` binding together with
//! the function scope it appears in (imports inside functions only bind inside them). A callee
//! expression (`identifier` or an `attribute` chain of identifiers) is resolved by looking up
//! its leftmost name in the innermost scope that binds it, then appending the rest of the
//! chain: with `import subprocess as sp`, `sp.run` resolves to `subprocess.run`.
//!
//! Names that no import binds resolve to themselves, so builtins (`eval`, `open`) are matched
//! bare; a builtin shadowed by an import (`from shell import eval`) or by a module-level
//! `def eval(...)` no longer resolves to the builtin. `from m import *` binds nothing.
//! Relative imports keep their leading dots (`from .utils import run` binds `run` to
//! `.utils.run`), so they never match a rule's absolute name.
//!
//! [`NamePattern`] implements the matching forms of rule names: exact (`subprocess.run`),
//! any-receiver method (`*.execute`) and any module member (`telnetlib.*`).

mod patterns;
#[cfg(test)]
mod tests;

use hashbrown::HashMap;

use tree_sitter::Node;

use crate::syntax_fields::{KindName, FIELD};

pub use patterns::{NamePattern, NameTable};

/// Index of a scope: `0` is the module, `i + 1` is the `i`-th function definition (in
/// document order) of the file.
pub type ScopeId = u32;

/// The module scope.
pub const MODULE_SCOPE: ScopeId = 0;

/// Python builtins that rules commonly name; a module-level `def` of one of these shadows it.
pub const SHADOWABLE_BUILTINS: &[&str] = &[
    "eval",
    "exec",
    "open",
    "input",
    "compile",
    "__import__",
    "getattr",
    "setattr",
    "print",
];

/// The function scopes of one file, in document order.
#[derive(Debug, Default, Clone)]
pub struct Scopes {
    /// `(start_byte, end_byte, parent)` per function.
    funcs: Vec<(usize, usize, ScopeId)>,
}

impl Scopes {
    /// Records a function definition whose immediate enclosing scope is `parent`; returns its id.
    /// Functions must be pushed in document order.
    pub fn push(&mut self, start: usize, end: usize, parent: ScopeId) -> ScopeId {
        self.funcs.push((start, end, parent));
        self.funcs.len() as ScopeId
    }

    /// The enclosing scope of `id` (`None` for the module).
    pub fn parent(&self, id: ScopeId) -> Option<ScopeId> {
        if id == MODULE_SCOPE {
            None
        } else {
            self.funcs.get(id as usize - 1).map(|f| f.2)
        }
    }

    /// The innermost function scope containing byte `pos` (the module if none).
    pub fn scope_at(&self, pos: usize) -> ScopeId {
        // The last function starting at or before `pos`; if it does not contain `pos`, the
        // innermost containing function is one of its ancestors.
        let idx = self.funcs.partition_point(|f| f.0 <= pos);
        if idx == 0 {
            return MODULE_SCOPE;
        }
        let mut cur = idx as ScopeId;
        loop {
            let (s, e, parent) = self.funcs[cur as usize - 1];
            if s <= pos && pos < e {
                return cur;
            }
            if parent == MODULE_SCOPE {
                return MODULE_SCOPE;
            }
            cur = parent;
        }
    }
}

/// The import bindings of one file.
#[derive(Debug, Default, Clone)]
pub struct ImportTable {
    /// Local name → `(scope, qualified target)`, first binding per scope wins.
    bindings: HashMap<String, Vec<(ScopeId, String)>>,
    /// Builtin names redefined at module level (`def open(...)`).
    shadowed: Vec<String>,
}

impl ImportTable {
    /// Records the bindings of an `import_statement` or `import_from_statement` node.
    /// Returns the qualified names it imports (module names and, for `from` imports, the
    /// module and each `module.member`).
    pub fn add_import(&mut self, node: Node, src: &str, scope: ScopeId) -> Vec<String> {
        let mut imported = Vec::new();
        match node.kind_name() {
            "import_statement" => {
                let mut cursor = node.walk();
                for name in node.children_by_field_name("name", &mut cursor) {
                    match name.kind_name() {
                        "dotted_name" => {
                            let full = dotted_text(name, src);
                            let first = full.split('.').next().unwrap_or("").to_string();
                            // `import a.b` binds `a` to the package `a`.
                            self.bind(&first, scope, first.clone());
                            imported.push(full);
                        }
                        "aliased_import" => {
                            let (Some(target), Some(alias)) = (
                                name.child_by_field_id(FIELD.name),
                                name.child_by_field_id(FIELD.alias),
                            ) else {
                                continue;
                            };
                            let full = dotted_text(target, src);
                            self.bind(text(alias, src), scope, full.clone());
                            imported.push(full);
                        }
                        _ => {}
                    }
                }
            }
            "import_from_statement" => {
                let Some(module) = node.child_by_field_id(FIELD.module_name) else {
                    return imported;
                };
                let module_name = match module.kind_name() {
                    "relative_import" => {
                        // Keep the dots: `..pkg` stays relative and never matches a rule name.
                        let mut s = String::new();
                        let mut c = module.walk();
                        for ch in module.named_children(&mut c) {
                            match ch.kind_name() {
                                "import_prefix" => s.push_str(text(ch, src).trim()),
                                "dotted_name" => s.push_str(&dotted_text(ch, src)),
                                _ => {}
                            }
                        }
                        s
                    }
                    _ => dotted_text(module, src),
                };
                if !module_name.starts_with('.') {
                    imported.push(module_name.clone());
                }
                let mut cursor = node.walk();
                for name in node.children_by_field_name("name", &mut cursor) {
                    let (target, alias) = match name.kind_name() {
                        "dotted_name" => (name, name),
                        "aliased_import" => match (
                            name.child_by_field_id(FIELD.name),
                            name.child_by_field_id(FIELD.alias),
                        ) {
                            (Some(t), Some(a)) => (t, a),
                            _ => continue,
                        },
                        _ => continue,
                    };
                    let member = dotted_text(target, src);
                    let full = if module_name.ends_with('.') {
                        format!("{module_name}{member}")
                    } else {
                        format!("{module_name}.{member}")
                    };
                    self.bind(&dotted_text(alias, src), scope, full.clone());
                    if !full.starts_with('.') {
                        imported.push(full);
                    }
                }
            }
            _ => {}
        }
        imported
    }

    /// Binds `name` in `scope` to `target` (first binding per scope wins).
    pub fn bind(&mut self, name: &str, scope: ScopeId, target: String) {
        let v = self.bindings.entry(name.to_string()).or_default();
        if !v.iter().any(|(s, _)| *s == scope) {
            v.push((scope, target));
        }
    }

    /// Marks a builtin as redefined by the file.
    pub fn shadow_builtin(&mut self, name: &str) {
        if !self.shadowed.iter().any(|s| s == name) {
            self.shadowed.push(name.to_string());
        }
    }

    /// What `name` is bound to when used in `scope`: the innermost binding.
    pub fn lookup(&self, name: &str, scope: ScopeId, scopes: &Scopes) -> Option<&str> {
        let v = self.bindings.get(name)?;
        let mut cur = Some(scope);
        while let Some(s) = cur {
            if let Some((_, t)) = v.iter().find(|(bs, _)| *bs == s) {
                return Some(t);
            }
            cur = scopes.parent(s);
        }
        None
    }

    /// Whether a builtin name is shadowed by a module-level definition.
    pub fn is_shadowed(&self, name: &str) -> bool {
        self.shadowed.iter().any(|s| s == name)
    }
}

/// Resolves expressions of one file.
#[derive(Clone, Copy)]
pub struct Resolver<'a> {
    pub src: &'a str,
    pub imports: &'a ImportTable,
    pub scopes: &'a Scopes,
}

impl<'a> Resolver<'a> {
    /// Writes the qualified name of `node` (an identifier or attribute chain of identifiers)
    /// into `buf`. Returns false (and leaves `buf` empty) when the expression is not a pure
    /// name chain (e.g. `f().run`, `x[0].run`).
    pub fn resolve_into(&self, node: Node, scope: ScopeId, buf: &mut String) -> bool {
        buf.clear();
        // Walk down the `object` fields iteratively, collecting attribute names.
        let mut parts: smallvec_like::Parts = smallvec_like::Parts::default();
        let mut cur = node;
        loop {
            match cur.kind_name() {
                "identifier" => break,
                "attribute" => {
                    let (Some(obj), Some(attr)) = (
                        cur.child_by_field_id(FIELD.object),
                        cur.child_by_field_id(FIELD.attribute),
                    ) else {
                        return false;
                    };
                    parts.push(text(attr, self.src));
                    cur = obj;
                }
                _ => return false,
            }
        }
        let root = text(cur, self.src);
        match self.imports.lookup(root, scope, self.scopes) {
            Some(target) => buf.push_str(target),
            None => {
                if self.imports.is_shadowed(root) && parts.is_empty() {
                    buf.push_str("<local>.");
                }
                buf.push_str(root);
            }
        }
        for p in parts.iter_rev() {
            buf.push('.');
            buf.push_str(p);
        }
        // `builtins.eval(...)` is the builtin `eval`.
        if let Some(rest) = buf.strip_prefix("builtins.") {
            if !rest.contains('.') {
                let rest = rest.to_string();
                buf.clear();
                buf.push_str(&rest);
            }
        }
        true
    }

    /// The method name of a callee for `*.method` matching: the last segment of the resolved
    /// name when it has a dot, or the attribute name of an attribute callee.
    pub fn method_name<'b>(&self, node: Node, resolved: Option<&'b str>) -> Option<&'b str>
    where
        'a: 'b,
    {
        if let Some(q) = resolved {
            if let Some((_, last)) = q.rsplit_once('.') {
                return Some(last);
            }
            return None;
        }
        if node.kind_name() == "attribute" {
            return node
                .child_by_field_id(FIELD.attribute)
                .map(|a| text(a, self.src));
        }
        None
    }
}

/// A tiny stack-allocated-ish list of string slices (avoids a dependency on smallvec).
mod smallvec_like {
    #[derive(Default)]
    pub struct Parts<'a> {
        inline: [&'a str; 6],
        len: usize,
        spill: Vec<&'a str>,
    }
    impl<'a> Parts<'a> {
        pub fn push(&mut self, s: &'a str) {
            if self.len < self.inline.len() {
                self.inline[self.len] = s;
            } else {
                if self.spill.is_empty() {
                    self.spill.extend_from_slice(&self.inline);
                }
                self.spill.push(s);
            }
            self.len += 1;
        }
        pub fn is_empty(&self) -> bool {
            self.len == 0
        }
        pub fn iter_rev(&self) -> impl Iterator<Item = &'a str> + '_ {
            let slice: &[&'a str] = if self.spill.is_empty() {
                &self.inline[..self.len]
            } else {
                &self.spill
            };
            slice.iter().rev().copied()
        }
    }
}

/// Source text of a node (empty on invalid ranges; never panics).
pub fn text<'s>(node: Node, src: &'s str) -> &'s str {
    src.get(node.start_byte()..node.end_byte()).unwrap_or("")
}

/// The module node of the tree holding `node`.
pub fn root_of(node: Node) -> Node {
    let mut root = node;
    while let Some(p) = root.parent() {
        root = p;
    }
    root
}

/// Text of a `dotted_name` with any whitespace or comments between parts removed.
fn dotted_text(node: Node, src: &str) -> String {
    let t = text(node, src);
    if t.bytes()
        .all(|b| b == b'.' || b == b'_' || b.is_ascii_alphanumeric())
    {
        return t.to_string();
    }
    let mut s = String::new();
    let mut c = node.walk();
    for part in node.named_children(&mut c) {
        if part.kind_name() == "identifier" {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(text(part, src));
        }
    }
    s
}
