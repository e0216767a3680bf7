use super::*;
use crate::syntax_fields::FIELD;

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
        match n.kind_name() {
            "function_definition" => {
                child_scope = scopes.push(n.start_byte(), n.end_byte(), scope);
                if scope == MODULE_SCOPE {
                    let name = text(n.child_by_field_id(FIELD.name).unwrap(), src);
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
            let f = c.child_by_field_id(FIELD.function).unwrap();
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
