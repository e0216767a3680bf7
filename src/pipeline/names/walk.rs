//! The tree walk behind [`super::analyze`]: one pass over a tree-sitter-python tree that opens
//! a scope for each module, function, lambda, class body and comprehension, and records every
//! binding occurrence and every read of a bare name in the scope where it happens.
//!
//! Where Python evaluates something outside the construct it belongs to, the walk does too:
//! decorators, default values, annotations, base classes and a comprehension's first iterable
//! are read in the enclosing scope. Match-statement patterns bind their captures and read
//! their value patterns. Anything the walk does not know is read as an ordinary expression,
//! except inside patterns, where unknown constructs bind (a missed read never blocks a fix).

use std::collections::HashSet;

use tree_sitter::Node;

use super::{BindingKind, Read, ScopeKind};
use crate::syntax_fields::{KindName, FIELD};

mod pattern;

/// Deeper trees (a 1000-term string concatenation) are not judged: the walk is recursive.
const MAX_DEPTH: usize = 600;

/// A scope as the walk sees it; [`super::analyze`] completes it with its bindings.
#[derive(Debug, Clone)]
pub(super) struct RawScope {
    pub kind: ScopeKind,
    pub parent: Option<usize>,
    pub start_byte: usize,
    pub end_byte: usize,
    pub globals: HashSet<String>,
    pub nonlocals: HashSet<String>,
}

/// A binding occurrence, in the scope whose code contains it (before `global`/`nonlocal`
/// redirect it).
#[derive(Debug, Clone)]
pub(super) struct RawBinding {
    pub name: String,
    pub scope: usize,
    pub line: usize,
    pub byte: usize,
    pub kind: BindingKind,
}

/// What one walk collected.
#[derive(Debug, Default)]
pub(super) struct Walker<'a> {
    src: &'a [u8],
    pub scopes: Vec<RawScope>,
    pub bindings: Vec<RawBinding>,
    /// Reads with `resolved` still unset.
    pub reads: Vec<(Read, usize)>,
    /// Names any function declares `global`.
    pub declared_globals: HashSet<String>,
    pub star_import: bool,
    /// The walk gave up (too deep, or an ERROR node it ran into).
    pub gave_up: bool,
    /// How many `try` bodies that catch `NameError` enclose the current node.
    guarded: usize,
}

impl<'a> Walker<'a> {
    pub fn new(src: &'a str, root: Node) -> Walker<'a> {
        let mut w = Walker {
            src: src.as_bytes(),
            ..Default::default()
        };
        let module = w.open(ScopeKind::Module, None, root);
        w.expr(root, module, 0);
        w
    }

    fn text(&self, n: Node) -> &'a str {
        n.utf8_text(self.src).unwrap_or("")
    }

    fn open(&mut self, kind: ScopeKind, parent: Option<usize>, node: Node) -> usize {
        self.scopes.push(RawScope {
            kind,
            parent,
            start_byte: node.start_byte(),
            end_byte: node.end_byte(),
            globals: HashSet::new(),
            nonlocals: HashSet::new(),
        });
        self.scopes.len() - 1
    }

    fn bind(&mut self, ident: Node, scope: usize, kind: BindingKind) {
        let name = self.text(ident);
        if name.is_empty() {
            return;
        }
        self.bindings.push(RawBinding {
            name: name.to_string(),
            scope,
            line: ident.start_position().row + 1,
            byte: ident.start_byte(),
            kind,
        });
    }

    fn read(&mut self, ident: Node, scope: usize) {
        let name = self.text(ident);
        if name.is_empty() {
            return;
        }
        self.reads.push((
            Read {
                name: name.to_string(),
                line: ident.start_position().row + 1,
                byte: ident.start_byte(),
                resolved: super::Resolution::Unresolved,
                guarded: self.guarded > 0,
            },
            scope,
        ));
    }

    /// The scope a walrus in `scope` binds in: comprehensions bind in their container.
    fn walrus_scope(&self, mut scope: usize) -> usize {
        while self.scopes[scope].kind == ScopeKind::Comprehension {
            match self.scopes[scope].parent {
                Some(p) => scope = p,
                None => break,
            }
        }
        scope
    }

    /// Statements and expressions: reads, and the bindings of the statements that bind.
    fn expr(&mut self, node: Node, scope: usize, depth: usize) {
        if depth > MAX_DEPTH || node.is_error() || node.is_missing() {
            self.gave_up = true;
            return;
        }
        let d = depth + 1;
        match node.kind_name() {
            "identifier" => self.read(node, scope),
            "function_definition" => self.function(node, scope, d),
            "class_definition" => self.class(node, scope, d),
            "lambda" => self.lambda(node, scope, d),
            "list_comprehension"
            | "set_comprehension"
            | "dictionary_comprehension"
            | "generator_expression" => self.comprehension(node, scope, d),
            "assignment" => {
                for (field, c) in fields(node) {
                    match field {
                        Some("left") => self.target(c, scope, d),
                        _ => self.expr(c, scope, d),
                    }
                }
            }
            "augmented_assignment" => {
                for (field, c) in fields(node) {
                    if field == Some("left") {
                        self.expr(c, scope, d);
                        self.target(c, scope, d);
                    } else {
                        self.expr(c, scope, d);
                    }
                }
            }
            "named_expression" => {
                for (field, c) in fields(node) {
                    if field == Some("name") {
                        let s = self.walrus_scope(scope);
                        self.bind(c, s, BindingKind::Other);
                    } else {
                        self.expr(c, scope, d);
                    }
                }
            }
            "for_statement" => {
                for (field, c) in fields(node) {
                    match field {
                        Some("left") => self.target(c, scope, d),
                        _ => self.expr(c, scope, d),
                    }
                }
            }
            // `with a as b`, `except E as e` (older grammars) and anything else with an alias.
            "as_pattern" => {
                for (field, c) in fields(node) {
                    match field {
                        Some("alias") => self.target(c, scope, d),
                        _ => self.expr(c, scope, d),
                    }
                }
            }
            "except_clause" => {
                for (field, c) in fields(node) {
                    match field {
                        Some("alias") => self.target(c, scope, d),
                        _ => self.expr(c, scope, d),
                    }
                }
            }
            // `try: unicode except NameError: ...` probes for a name on purpose.
            "try_statement" => {
                let guards = named(node)
                    .any(|c| c.kind_name() == "except_clause" && self.catches_name_error(c));
                for (field, c) in fields(node) {
                    if field == Some("body") && guards {
                        self.guarded += 1;
                        self.expr(c, scope, d);
                        self.guarded -= 1;
                    } else {
                        self.expr(c, scope, d);
                    }
                }
            }
            "import_statement" => self.import(node, scope),
            "import_from_statement" => self.import_from(node, scope),
            "future_import_statement" => {
                for c in named(node) {
                    match c.kind_name() {
                        "dotted_name" => {
                            if let Some(i) = c.named_child(0) {
                                self.bind(i, scope, BindingKind::Other);
                            }
                        }
                        "aliased_import" => {
                            if let Some(a) = c.child_by_field_id(FIELD.alias) {
                                self.bind(a, scope, BindingKind::Other);
                            }
                        }
                        _ => {}
                    }
                }
            }
            "global_statement" => {
                for c in named(node).filter(|c| c.kind_name() == "identifier") {
                    let n = self.text(c).to_string();
                    self.scopes[scope].globals.insert(n.clone());
                    self.declared_globals.insert(n);
                }
            }
            "nonlocal_statement" => {
                for c in named(node).filter(|c| c.kind_name() == "identifier") {
                    let n = self.text(c).to_string();
                    self.scopes[scope].nonlocals.insert(n);
                }
            }
            "keyword_argument" => {
                if let Some(v) = node.child_by_field_id(FIELD.value) {
                    self.expr(v, scope, d);
                }
            }
            "attribute" => {
                if let Some(o) = node.child_by_field_id(FIELD.object) {
                    self.expr(o, scope, d);
                }
            }
            // A dotted name outside imports and patterns: only its head is a name.
            "dotted_name" => {
                if let Some(i) = node.named_child(0) {
                    self.expr(i, scope, d);
                }
            }
            // `a.b` in a type: the head is read, the members are attributes.
            "member_type" => {
                for (i, c) in named(node).enumerate() {
                    if i == 0 || c.kind_name() != "identifier" {
                        self.expr(c, scope, d);
                    }
                }
            }
            "case_clause" => {
                for (field, c) in fields(node) {
                    match field {
                        Some("guard") | Some("consequence") => self.expr(c, scope, d),
                        _ => self.pattern(c, scope, d),
                    }
                }
            }
            // `type X[T] = ...`: binds X; the value is evaluated lazily and not read here.
            "type_alias_statement" => {
                if let Some(l) = node.child_by_field_id(FIELD.left) {
                    self.bind_all(l, scope, d);
                }
            }
            _ => {
                for c in named(node) {
                    self.expr(c, scope, d);
                }
            }
        }
    }

    /// Whether an `except` clause catches `NameError`: bare, or naming `NameError`,
    /// `Exception` or `BaseException` (alone or in a tuple).
    fn catches_name_error(&self, clause: Node) -> bool {
        let types: Vec<Node> = fields(clause)
            .into_iter()
            .filter(|(f, _)| *f == Some("value"))
            .map(|(_, n)| n)
            .collect();
        types.is_empty()
            || types.iter().any(|t| {
                self.text(*t)
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .any(|w| matches!(w, "NameError" | "Exception" | "BaseException"))
            })
    }

    /// An assignment target: names bind, attributes and subscripts read their object.
    fn target(&mut self, node: Node, scope: usize, depth: usize) {
        if depth > MAX_DEPTH || node.is_error() || node.is_missing() {
            self.gave_up = true;
            return;
        }
        let d = depth + 1;
        match node.kind_name() {
            "identifier" => self.bind(node, scope, BindingKind::Other),
            "attribute" | "subscript" => self.expr(node, scope, d),
            "comment" => {}
            "tuple_pattern"
            | "list_pattern"
            | "pattern_list"
            | "tuple"
            | "list"
            | "expression_list"
            | "parenthesized_expression"
            | "list_splat_pattern"
            | "list_splat"
            | "dictionary_splat_pattern"
            | "as_pattern_target" => {
                for c in named(node) {
                    self.target(c, scope, d);
                }
            }
            _ => self.expr(node, scope, d),
        }
    }

    /// Binds every identifier under `node` (type parameters, type alias names).
    fn bind_all(&mut self, node: Node, scope: usize, depth: usize) {
        if depth > MAX_DEPTH {
            self.gave_up = true;
            return;
        }
        if node.kind_name() == "identifier" {
            self.bind(node, scope, BindingKind::Other);
            return;
        }
        for c in named(node) {
            self.bind_all(c, scope, depth + 1);
        }
    }

    /// Parameters bind in `inner`; their defaults and annotations are read in `outer`.
    fn params(&mut self, params: Node, outer: usize, inner: usize, d: usize) {
        for p in named(params) {
            match p.kind_name() {
                "identifier" => self.bind(p, inner, BindingKind::Other),
                "typed_parameter" | "default_parameter" | "typed_default_parameter" => {
                    for (field, c) in fields(p) {
                        match field {
                            Some("type") | Some("value") => self.expr(c, outer, d),
                            _ => self.target(c, inner, d),
                        }
                    }
                }
                "keyword_separator" | "positional_separator" | "comment" => {}
                _ => self.target(p, inner, d),
            }
        }
    }

    /// `def`: the name binds outside; decorators (visited by the caller), defaults and
    /// annotations are read outside; the body runs in a new function scope. Type parameters
    /// (`def f[T]`) get a scope of their own between the two.
    fn function(&mut self, node: Node, scope: usize, d: usize) {
        if let Some(n) = node.child_by_field_id(FIELD.name) {
            self.bind(n, scope, BindingKind::Other);
        }
        let mut outer = scope;
        if let Some(tp) = node.child_by_field_id(FIELD.type_parameters) {
            outer = self.open(ScopeKind::TypeParams, Some(scope), node);
            self.bind_all(tp, outer, d);
        }
        let inner = self.open(ScopeKind::Function, Some(outer), node);
        if let Some(p) = node.child_by_field_id(FIELD.parameters) {
            self.params(p, outer, inner, d);
        }
        if let Some(r) = node.child_by_field_id(FIELD.return_type) {
            self.expr(r, outer, d);
        }
        if let Some(b) = node.child_by_field_id(FIELD.body) {
            self.expr(b, inner, d);
        }
    }

    /// `class`: the name binds outside, the bases are read outside, the body is a class scope
    /// (visible to its own statements only, not to the methods).
    fn class(&mut self, node: Node, scope: usize, d: usize) {
        if let Some(n) = node.child_by_field_id(FIELD.name) {
            self.bind(n, scope, BindingKind::Other);
        }
        let mut outer = scope;
        if let Some(tp) = node.child_by_field_id(FIELD.type_parameters) {
            outer = self.open(ScopeKind::TypeParams, Some(scope), node);
            self.bind_all(tp, outer, d);
        }
        if let Some(s) = node.child_by_field_id(FIELD.superclasses) {
            self.expr(s, outer, d);
        }
        let inner = self.open(ScopeKind::Class, Some(outer), node);
        if let Some(b) = node.child_by_field_id(FIELD.body) {
            self.expr(b, inner, d);
        }
    }

    fn lambda(&mut self, node: Node, scope: usize, d: usize) {
        let inner = self.open(ScopeKind::Function, Some(scope), node);
        if let Some(p) = node.child_by_field_id(FIELD.parameters) {
            self.params(p, scope, inner, d);
        }
        if let Some(b) = node.child_by_field_id(FIELD.body) {
            self.expr(b, inner, d);
        }
    }

    /// A comprehension is a scope of its own; its first iterable is evaluated outside it.
    fn comprehension(&mut self, node: Node, scope: usize, d: usize) {
        let inner = self.open(ScopeKind::Comprehension, Some(scope), node);
        let mut first = true;
        for c in named(node) {
            match c.kind_name() {
                "for_in_clause" => {
                    for (field, x) in fields(c) {
                        match field {
                            Some("left") => self.target(x, inner, d),
                            _ => self.expr(x, if first { scope } else { inner }, d),
                        }
                    }
                    first = false;
                }
                _ => self.expr(c, inner, d),
            }
        }
    }

    /// `import a.b.c` binds `a`; `import a.b as c` binds `c`.
    fn import(&mut self, node: Node, scope: usize) {
        for c in named(node) {
            match c.kind_name() {
                "dotted_name" => {
                    if let Some(head) = c.named_child(0) {
                        let target = dotted(self.text(c));
                        self.bind(head, scope, BindingKind::Import { target });
                    }
                }
                "aliased_import" => {
                    let target = c
                        .child_by_field_id(FIELD.name)
                        .map(|n| dotted(self.text(n)))
                        .unwrap_or_default();
                    if let Some(a) = c.child_by_field_id(FIELD.alias) {
                        self.bind(a, scope, BindingKind::Import { target });
                    }
                }
                _ => {}
            }
        }
    }

    /// `from m import x as y` binds `y` (to `m.x`); `from m import *` makes the file
    /// unjudgeable.
    fn import_from(&mut self, node: Node, scope: usize) {
        let module = node
            .child_by_field_id(FIELD.module_name)
            .map(|m| dotted(self.text(m)))
            .unwrap_or_default();
        let module_id = node.child_by_field_id(FIELD.module_name).map(|m| m.id());
        for c in named(node) {
            if Some(c.id()) == module_id {
                continue;
            }
            match c.kind_name() {
                "wildcard_import" => self.star_import = true,
                "dotted_name" => {
                    if let Some(i) = c.named_child(0) {
                        let target = join(&module, self.text(c));
                        self.bind(i, scope, BindingKind::Import { target });
                    }
                }
                "aliased_import" => {
                    let name = c
                        .child_by_field_id(FIELD.name)
                        .map(|n| dotted(self.text(n)))
                        .unwrap_or_default();
                    if let Some(a) = c.child_by_field_id(FIELD.alias) {
                        let target = join(&module, &name);
                        self.bind(a, scope, BindingKind::Import { target });
                    }
                }
                _ => {}
            }
        }
    }
}

/// The named children of `node`.
fn named(node: Node<'_>) -> impl Iterator<Item = Node<'_>> {
    let mut cursor = node.walk();
    let v: Vec<Node> = node.named_children(&mut cursor).collect();
    v.into_iter()
}

/// The named children of `node` with their field names.
fn fields<'t>(node: Node<'t>) -> Vec<(Option<&'t str>, Node<'t>)> {
    let mut out = Vec::new();
    let mut cursor = node.walk();
    if cursor.goto_first_child() {
        loop {
            let n = cursor.node();
            if n.is_named() {
                out.push((cursor.field_name(), n));
            }
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }
    out
}

/// A dotted name's text without whitespace (`a . b` → `a.b`).
fn dotted(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// `module` + `.` + `name`, for relative modules too (`.` + `x` → `.x`).
fn join(module: &str, name: &str) -> String {
    let name = dotted(name);
    if module.ends_with('.') {
        format!("{module}{name}")
    } else {
        format!("{module}.{name}")
    }
}
