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

use std::collections::HashMap;

use tree_sitter::Node;

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

    /// Number of function scopes.
    pub fn len(&self) -> usize {
        self.funcs.len()
    }

    /// Whether the file has no function scopes.
    pub fn is_empty(&self) -> bool {
        self.funcs.is_empty()
    }

    /// Byte range of a function scope.
    pub fn range(&self, id: ScopeId) -> Option<(usize, usize)> {
        if id == MODULE_SCOPE {
            return None;
        }
        self.funcs.get(id as usize - 1).map(|f| (f.0, f.1))
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

/// One module imported by a statement, for `Pattern::Import`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedName {
    /// Fully qualified imported name (`os.path`, or `xml.etree.cElementTree` for
    /// `from xml.etree import cElementTree`).
    pub name: String,
}

impl ImportTable {
    /// Records the bindings of an `import_statement` or `import_from_statement` node.
    /// Returns the qualified names it imports (module names and, for `from` imports, the
    /// module and each `module.member`).
    pub fn add_import(&mut self, node: Node, src: &str, scope: ScopeId) -> Vec<String> {
        let mut imported = Vec::new();
        match node.kind() {
            "import_statement" => {
                let mut cursor = node.walk();
                for name in node.children_by_field_name("name", &mut cursor) {
                    match name.kind() {
                        "dotted_name" => {
                            let full = dotted_text(name, src);
                            let first = full.split('.').next().unwrap_or("").to_string();
                            // `import a.b` binds `a` to the package `a`.
                            self.bind(&first, scope, first.clone());
                            imported.push(full);
                        }
                        "aliased_import" => {
                            let (Some(target), Some(alias)) = (
                                name.child_by_field_name("name"),
                                name.child_by_field_name("alias"),
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
                let Some(module) = node.child_by_field_name("module_name") else {
                    return imported;
                };
                let module_name = match module.kind() {
                    "relative_import" => {
                        // Keep the dots: `..pkg` stays relative and never matches a rule name.
                        let mut s = String::new();
                        let mut c = module.walk();
                        for ch in module.named_children(&mut c) {
                            match ch.kind() {
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
                    let (target, alias) = match name.kind() {
                        "dotted_name" => (name, name),
                        "aliased_import" => match (
                            name.child_by_field_name("name"),
                            name.child_by_field_name("alias"),
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
            match cur.kind() {
                "identifier" => break,
                "attribute" => {
                    let (Some(obj), Some(attr)) = (
                        cur.child_by_field_name("object"),
                        cur.child_by_field_name("attribute"),
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
        if node.kind() == "attribute" {
            return node
                .child_by_field_name("attribute")
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
        if part.kind() == "identifier" {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(text(part, src));
        }
    }
    s
}

/// One rule name form: `a.b` (exact), `*.m` (method of any receiver), `a.*` (module member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamePattern {
    Exact(String),
    Method(String),
    Module(String),
}

impl NamePattern {
    /// Parses a name as written in a rule.
    pub fn parse(s: &str) -> Result<NamePattern, String> {
        let s = s.trim();
        let valid = |t: &str| {
            !t.is_empty()
                && t.split('.')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c == '_' || c.is_alphanumeric()))
        };
        if let Some(m) = s.strip_prefix("*.") {
            if valid(m) && !m.contains('.') {
                return Ok(NamePattern::Method(m.to_string()));
            }
        } else if let Some(m) = s.strip_suffix(".*") {
            if valid(m) {
                return Ok(NamePattern::Module(m.to_string()));
            }
        } else if valid(s) {
            return Ok(NamePattern::Exact(s.to_string()));
        }
        Err(format!(
            "`{s}` is not a name (`mod.name`, `*.method` or `mod.*`)"
        ))
    }

    /// Whether a callee with resolved name `qual` (if a pure chain) and method name `method`
    /// matches.
    pub fn matches(&self, qual: Option<&str>, method: Option<&str>) -> bool {
        match self {
            NamePattern::Exact(n) => qual == Some(n.as_str()),
            NamePattern::Method(m) => method == Some(m.as_str()),
            NamePattern::Module(m) => qual.is_some_and(|q| {
                q.len() > m.len() && q.starts_with(m.as_str()) && q.as_bytes()[m.len()] == b'.'
            }),
        }
    }
}

/// A lookup table from rule names to values: one hash lookup per name form instead of one
/// comparison per rule.
#[derive(Debug, Clone)]
pub struct NameTable<T> {
    exact: HashMap<String, Vec<T>>,
    method: HashMap<String, Vec<T>>,
    module: HashMap<String, Vec<T>>,
    has_module: bool,
}

impl<T> Default for NameTable<T> {
    fn default() -> Self {
        NameTable {
            exact: HashMap::new(),
            method: HashMap::new(),
            module: HashMap::new(),
            has_module: false,
        }
    }
}

impl<T: Clone> NameTable<T> {
    /// Adds `value` under a name pattern.
    pub fn insert(&mut self, pat: &NamePattern, value: T) {
        match pat {
            NamePattern::Exact(n) => self.exact.entry(n.clone()).or_default().push(value),
            NamePattern::Method(n) => self.method.entry(n.clone()).or_default().push(value),
            NamePattern::Module(n) => {
                self.has_module = true;
                self.module.entry(n.clone()).or_default().push(value)
            }
        }
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.method.is_empty() && self.module.is_empty()
    }

    /// Calls `f` with every value whose name matches.
    pub fn lookup(&self, qual: Option<&str>, method: Option<&str>, mut f: impl FnMut(&T)) {
        if let Some(q) = qual {
            if let Some(v) = self.exact.get(q) {
                v.iter().for_each(&mut f);
            }
            if self.has_module {
                for (i, b) in q.bytes().enumerate() {
                    if b == b'.' {
                        if let Some(v) = self.module.get(&q[..i]) {
                            v.iter().for_each(&mut f);
                        }
                    }
                }
            }
        }
        if let Some(m) = method {
            if let Some(v) = self.method.get(m) {
                v.iter().for_each(&mut f);
            }
        }
    }

    /// Whether any value matches.
    pub fn contains(&self, qual: Option<&str>, method: Option<&str>) -> bool {
        let mut found = false;
        self.lookup(qual, method, |_| found = true);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> tree_sitter::Tree {
        let mut p = tree_sitter::Parser::new();
        p.set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        p.parse(src, None).unwrap()
    }

    /// Builds the scopes and import table the way the engine does, then resolves the callee
    /// of every call, in order.
    fn resolve_calls(src: &str) -> Vec<Option<String>> {
        let tree = parse(src);
        let mut scopes = Scopes::default();
        let mut imports = ImportTable::default();
        let mut calls = Vec::new();
        let mut stack: Vec<(Node, ScopeId)> = vec![(tree.root_node(), MODULE_SCOPE)];
        // Pre-order traversal with an explicit stack (children pushed in reverse).
        while let Some((n, scope)) = stack.pop() {
            let mut child_scope = scope;
            match n.kind() {
                "function_definition" => {
                    child_scope = scopes.push(n.start_byte(), n.end_byte(), scope);
                    if scope == MODULE_SCOPE {
                        let name = text(n.child_by_field_name("name").unwrap(), src);
                        if SHADOWABLE_BUILTINS.contains(&name) {
                            imports.shadow_builtin(name);
                        }
                    }
                }
                "import_statement" | "import_from_statement" => {
                    imports.add_import(n, src, scope);
                }
                "call" => calls.push((n, scope)),
                _ => {}
            }
            let mut c = n.walk();
            let kids: Vec<Node> = n.children(&mut c).collect();
            for k in kids.into_iter().rev() {
                stack.push((k, child_scope));
            }
        }
        let r = Resolver {
            src,
            imports: &imports,
            scopes: &scopes,
        };
        let mut buf = String::new();
        calls
            .into_iter()
            .map(|(c, s)| {
                let f = c.child_by_field_name("function").unwrap();
                r.resolve_into(f, s, &mut buf).then(|| buf.clone())
            })
            .collect()
    }

    fn one(src: &str) -> Option<String> {
        resolve_calls(src).into_iter().next().flatten()
    }

    #[test]
    fn plain_and_aliased_imports() {
        assert_eq!(
            one("import subprocess\nsubprocess.run(x)"),
            Some("subprocess.run".into())
        );
        assert_eq!(
            one("import subprocess as sp\nsp.run(x)"),
            Some("subprocess.run".into())
        );
        assert_eq!(
            one("import os.path\nos.path.join(a)"),
            Some("os.path.join".into())
        );
        assert_eq!(
            one("import xml.etree.ElementTree as ET\nET.parse(a)"),
            Some("xml.etree.ElementTree.parse".into())
        );
        assert_eq!(
            one("from subprocess import Popen\nPopen(x)"),
            Some("subprocess.Popen".into())
        );
        assert_eq!(
            one("from subprocess import Popen as P\nP(x)"),
            Some("subprocess.Popen".into())
        );
        assert_eq!(
            one("from os import path\npath.join(a)"),
            Some("os.path.join".into())
        );
    }

    #[test]
    fn relative_and_star_imports() {
        assert_eq!(
            one("from .utils import run\nrun(x)"),
            Some(".utils.run".into())
        );
        assert_eq!(one("from .. import run\nrun(x)"), Some("..run".into()));
        // A star import binds nothing: the name stays bare.
        assert_eq!(one("from subprocess import *\nrun(x)"), Some("run".into()));
    }

    #[test]
    fn builtins_and_shadowing() {
        assert_eq!(one("eval(x)"), Some("eval".into()));
        assert_eq!(
            one("from evil import eval\neval(x)"),
            Some("evil.eval".into())
        );
        assert_eq!(
            one("def eval(x):\n    pass\neval(x)"),
            Some("<local>.eval".into())
        );
        assert_eq!(
            one("import builtins\nbuiltins.eval(x)"),
            Some("eval".into())
        );
    }

    #[test]
    fn imports_inside_functions_are_scoped() {
        let src = "def f():\n    import subprocess as s\n    s.run(x)\n\ndef g():\n    s.run(x)\n";
        assert_eq!(
            resolve_calls(src),
            vec![Some("subprocess.run".into()), Some("s.run".into())]
        );
        // Inner function sees the outer function's import.
        let src = "def f():\n    import os as o\n    def g():\n        o.system(x)\n";
        assert_eq!(one(src), Some("os.system".into()));
    }

    #[test]
    fn non_chains_do_not_resolve() {
        assert_eq!(one("get()(x)"), None);
        assert_eq!(one("conn.cursor().execute(q)"), None);
        assert_eq!(one("handlers[0](x)"), None);
        assert_eq!(one("self.db.execute(q)"), Some("self.db.execute".into()));
    }

    #[test]
    fn scope_at_finds_innermost_function() {
        let mut s = Scopes::default();
        let a = s.push(0, 100, MODULE_SCOPE);
        let b = s.push(10, 50, a);
        let c = s.push(60, 90, a);
        let d = s.push(200, 300, MODULE_SCOPE);
        assert_eq!(s.scope_at(5), a);
        assert_eq!(s.scope_at(20), b);
        assert_eq!(s.scope_at(55), a);
        assert_eq!(s.scope_at(70), c);
        assert_eq!(s.scope_at(150), MODULE_SCOPE);
        assert_eq!(s.scope_at(250), d);
        assert_eq!(s.scope_at(400), MODULE_SCOPE);
    }

    #[test]
    fn name_patterns_match() {
        let exact = NamePattern::parse("subprocess.run").unwrap();
        let method = NamePattern::parse("*.execute").unwrap();
        let module = NamePattern::parse("telnetlib.*").unwrap();
        assert!(exact.matches(Some("subprocess.run"), Some("run")));
        assert!(!exact.matches(Some("subprocess.run_x"), Some("run_x")));
        assert!(method.matches(None, Some("execute")));
        assert!(!method.matches(Some("execute"), None));
        assert!(module.matches(Some("telnetlib.Telnet"), Some("Telnet")));
        assert!(!module.matches(Some("telnetlibx.Telnet"), Some("Telnet")));
        assert!(!module.matches(Some("telnetlib"), None));
        assert!(NamePattern::parse("a b").is_err());
        assert!(NamePattern::parse("*.a.b").is_err());
    }

    #[test]
    fn name_table_lookup_covers_all_forms() {
        let mut t: NameTable<u32> = NameTable::default();
        t.insert(&NamePattern::parse("os.system").unwrap(), 1);
        t.insert(&NamePattern::parse("*.system").unwrap(), 2);
        t.insert(&NamePattern::parse("os.*").unwrap(), 3);
        let mut got = Vec::new();
        t.lookup(Some("os.system"), Some("system"), |v| got.push(*v));
        got.sort();
        assert_eq!(got, vec![1, 2, 3]);
        assert!(!t.contains(Some("posix.spawn"), Some("spawn")));
    }
}
