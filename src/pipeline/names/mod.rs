//! Which names a Python file binds and reads, per scope, the way pyflakes sees them: the
//! safety gate's view of "this fix left a name undefined" and "this fix deleted what a
//! statement defined".
//!
//! * [`analyze`] parses a file with tree-sitter-python and resolves every read of a bare name
//!   through Python's scope rules (module, function, lambda, class body, comprehension;
//!   `global`/`nonlocal`; class bodies invisible to their methods; builtins).
//! * [`undefined_names`] lists the reads no scope binds.
//! * [`compare`] is what [`super::verify`] asks about a candidate fix: the names the patched
//!   file newly leaves undefined, and the bindings the changed lines no longer make although
//!   later code still reads them.
//!
//! The check is built to be conservative: a false alarm would refuse a good fix. A name bound
//! anywhere in a scope counts as bound in the whole scope (no flow analysis: a use before the
//! assignment, or after a `del`, is not flagged); a file with syntax errors or a
//! `from m import *` is not judged at all; names declared `global` anywhere count as module
//! names; a read in a `try` body that catches `NameError` is a deliberate probe; unknown
//! pattern forms bind rather than read.

mod builtins;
#[cfg(test)]
mod tests;
mod walk;

use std::collections::{HashMap, HashSet};

use tree_sitter::Parser;

pub use builtins::is_builtin;

/// What kind of code a scope holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScopeKind {
    Module,
    /// A `def` body or a lambda.
    Function,
    /// A class body: visible to its own statements, not to its methods.
    Class,
    /// A list/set/dict comprehension or generator expression.
    Comprehension,
    /// The type parameters of `def f[T]` / `class C[T]`.
    TypeParams,
}

/// How a name is bound.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BindingKind {
    /// By an import, of `target`: `import a.b` binds `a` and loads `a.b`; `import a.b as c`
    /// binds `c` to `a.b`; `from m import x` binds `x` to `m.x`.
    Import { target: String },
    /// Any other way: assignment, `def`, `class`, parameter, loop or `with` target, capture...
    Other,
}

/// A scope and the names bound in it.
#[derive(Debug, Clone)]
pub struct Scope {
    pub kind: ScopeKind,
    pub parent: Option<usize>,
    /// The byte range of the node that opens it (the whole file for the module).
    pub start_byte: usize,
    pub end_byte: usize,
    /// Every name bound in the scope, with how.
    pub names: HashMap<String, Vec<BindingKind>>,
    globals: HashSet<String>,
    nonlocals: HashSet<String>,
}

/// One binding occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub name: String,
    /// The scope it binds in (after `global`/`nonlocal`).
    pub scope: usize,
    /// 1-based line and byte offset of the bound identifier.
    pub line: usize,
    pub byte: usize,
    pub kind: BindingKind,
}

/// Where a read finds its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Bound in this scope.
    Scope(usize),
    /// A builtin or implicit module name.
    Builtin,
    /// Declared `global`/`nonlocal` without a visible binding: assumed bound.
    Declared,
    /// Bound nowhere visible.
    Unresolved,
}

/// One read of a bare name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub name: String,
    pub line: usize,
    pub byte: usize,
    pub resolved: Resolution,
    /// Inside the body of a `try` that catches `NameError`: probing for the name on purpose.
    pub guarded: bool,
}

/// A name read where no scope binds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameUse {
    pub name: String,
    /// 1-based line of its first such read.
    pub line: usize,
}

/// A binding the changed lines made before the fix and no longer make, although code after
/// them still reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostBinding {
    pub name: String,
    /// 1-based line of the binding in the file before the fix.
    pub bound_at: usize,
    /// 1-based line, in the patched file, of the first later read.
    pub used_at: usize,
}

/// The names and scopes of one parsed file.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub scopes: Vec<Scope>,
    pub bindings: Vec<Binding>,
    pub reads: Vec<Read>,
    /// The file has a `from m import *`: its names cannot be judged.
    pub star_import: bool,
    declared_globals: HashSet<String>,
}

/// The tree-sitter-python parse of `src`, when it has no ERROR or MISSING node: the gate's
/// checks judge only files they can read whole.
pub fn parse_clean(src: &str) -> Option<tree_sitter::Tree> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .ok()?;
    let tree = parser.parse(src, None)?;
    (!tree.root_node().has_error()).then_some(tree)
}

/// Parses `src` and resolves its names. `None` when the file cannot be judged: it does not
/// parse cleanly (any ERROR or MISSING node), or it nests deeper than the walk follows.
pub fn analyze(src: &str) -> Option<Analysis> {
    let tree = parse_clean(src)?;
    let root = tree.root_node();
    let w = walk::Walker::new(src, root);
    if w.gave_up {
        return None;
    }
    let mut scopes: Vec<Scope> = w
        .scopes
        .into_iter()
        .map(|s| Scope {
            kind: s.kind,
            parent: s.parent,
            start_byte: s.start_byte,
            end_byte: s.end_byte,
            names: HashMap::new(),
            globals: s.globals,
            nonlocals: s.nonlocals,
        })
        .collect();
    // Plain bindings first, so that `nonlocal` can find the binding it refers to.
    let mut bindings = Vec::with_capacity(w.bindings.len());
    let mut deferred = Vec::new();
    for b in w.bindings {
        let s = &scopes[b.scope];
        let to = if s.globals.contains(&b.name) {
            0
        } else if s.nonlocals.contains(&b.name) {
            deferred.push(b);
            continue;
        } else {
            b.scope
        };
        scopes[to]
            .names
            .entry(b.name.clone())
            .or_default()
            .push(b.kind.clone());
        bindings.push(Binding {
            name: b.name,
            scope: to,
            line: b.line,
            byte: b.byte,
            kind: b.kind,
        });
    }
    for b in deferred {
        let to = enclosing_function_binding(&scopes, b.scope, &b.name).unwrap_or(b.scope);
        scopes[to]
            .names
            .entry(b.name.clone())
            .or_default()
            .push(b.kind.clone());
        bindings.push(Binding {
            name: b.name,
            scope: to,
            line: b.line,
            byte: b.byte,
            kind: b.kind,
        });
    }
    bindings.sort_by_key(|b| b.byte);
    let mut a = Analysis {
        scopes,
        bindings,
        reads: Vec::with_capacity(w.reads.len()),
        star_import: w.star_import,
        declared_globals: w.declared_globals,
    };
    for (mut r, scope) in w.reads {
        r.resolved = a.resolve(&r.name, scope);
        a.reads.push(r);
    }
    Some(a)
}

/// The nearest function scope above `scope` (classes skipped) that binds `name`.
fn enclosing_function_binding(scopes: &[Scope], scope: usize, name: &str) -> Option<usize> {
    let mut s = scopes[scope].parent?;
    loop {
        let sc = &scopes[s];
        if matches!(sc.kind, ScopeKind::Function | ScopeKind::TypeParams)
            && sc.names.contains_key(name)
        {
            return Some(s);
        }
        if sc.kind == ScopeKind::Module {
            return None;
        }
        s = sc.parent?;
    }
}

impl Analysis {
    /// Where a read of `name` in `scope` finds it: the scope itself, then the enclosing
    /// function scopes (class bodies are skipped), the module, the builtins.
    pub fn resolve(&self, name: &str, scope: usize) -> Resolution {
        let mut s = scope;
        let mut first = true;
        loop {
            let sc = &self.scopes[s];
            if first || sc.kind != ScopeKind::Class {
                if sc.globals.contains(name) {
                    return self.module_lookup(name);
                }
                if sc.nonlocals.contains(name) {
                    return enclosing_function_binding(&self.scopes, s, name)
                        .map_or(Resolution::Declared, Resolution::Scope);
                }
                if sc.names.contains_key(name) {
                    return Resolution::Scope(s);
                }
            }
            first = false;
            match sc.parent {
                Some(p) => s = p,
                None => break,
            }
        }
        if is_builtin(name) {
            Resolution::Builtin
        } else if self.declared_globals.contains(name) {
            Resolution::Declared
        } else {
            Resolution::Unresolved
        }
    }

    fn module_lookup(&self, name: &str) -> Resolution {
        if self.scopes[0].names.contains_key(name) {
            Resolution::Scope(0)
        } else if is_builtin(name) {
            Resolution::Builtin
        } else {
            Resolution::Declared
        }
    }

    /// The innermost scope whose node contains byte `at`.
    pub fn scope_at(&self, at: usize) -> usize {
        let mut best = 0;
        for (i, s) in self.scopes.iter().enumerate() {
            if s.start_byte <= at
                && at < s.end_byte
                && s.end_byte - s.start_byte
                    <= self.scopes[best].end_byte - self.scopes[best].start_byte
            {
                best = i;
            }
        }
        best
    }

    /// What a read of `name` at byte `at` would find.
    pub fn resolve_at(&self, name: &str, at: usize) -> Resolution {
        self.resolve(name, self.scope_at(at))
    }

    /// Reads no scope binds, one per name (its first read). `None` when the file has a star
    /// import.
    pub fn undefined(&self) -> Option<Vec<NameUse>> {
        if self.star_import {
            return None;
        }
        let mut seen = HashSet::new();
        Some(
            self.reads
                .iter()
                .filter(|r| r.resolved == Resolution::Unresolved && !r.guarded)
                .filter(|r| seen.insert(r.name.clone()))
                .map(|r| NameUse {
                    name: r.name.clone(),
                    line: r.line,
                })
                .collect(),
        )
    }

    /// Whether any read of `name` resolves to `scope`.
    pub fn is_read_in(&self, name: &str, scope: usize) -> bool {
        self.reads
            .iter()
            .any(|r| r.name == name && r.resolved == Resolution::Scope(scope))
    }
}

/// The names `src` reads but never binds in a visible scope, one per name. `None` when the
/// file cannot be judged (syntax errors, a star import).
pub fn undefined_names(src: &str) -> Option<Vec<NameUse>> {
    analyze(src)?.undefined()
}

/// What a fix did to the names of a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameDiff {
    /// Names the patched file reads without a binding and the original did not.
    pub new_undefined: Vec<NameUse>,
    /// Bindings the changed lines lost while later code still reads them.
    pub lost: Vec<LostBinding>,
    /// The fix added a star import to a file that had none: its names can no longer be
    /// checked.
    pub star_import_added: bool,
}

impl NameDiff {
    /// Nothing newly undefined, nothing lost, still checkable.
    pub fn is_clean(&self) -> bool {
        self.new_undefined.is_empty() && self.lost.is_empty() && !self.star_import_added
    }
}

/// Compares the names of a file before and after a fix. A file that cannot be judged before
/// (or after) the fix gives an empty diff: pre-existing problems never block a fix, and a
/// patched file that does not parse is refused by the parse check already.
pub fn compare(before: &str, after: &str) -> NameDiff {
    let (Some(b), Some(a)) = (analyze(before), analyze(after)) else {
        return NameDiff::default();
    };
    let mut diff = NameDiff::default();
    match (b.undefined(), a.undefined()) {
        (Some(old), Some(new)) => {
            let old: HashSet<String> = old.into_iter().map(|u| u.name).collect();
            diff.new_undefined = new.into_iter().filter(|u| !old.contains(&u.name)).collect();
        }
        (Some(_), None) => diff.star_import_added = true,
        _ => {}
    }
    diff.lost = lost_bindings(&b, &a, before, after);
    diff
}

/// The lines that differ between two texts: everything between their common first and last
/// lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    /// Byte offset (the same in both texts) where the first differing line starts.
    start_byte: usize,
    /// 1-based first line of the window (the same in both texts).
    first: usize,
    /// 1-based last line in each text (`first - 1` when that side is empty).
    before_last: usize,
    after_last: usize,
}

fn window(before: &str, after: &str) -> Window {
    let b: Vec<&str> = before.split_inclusive('\n').collect();
    let a: Vec<&str> = after.split_inclusive('\n').collect();
    let prefix = b.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let max_suffix = b.len().min(a.len()) - prefix;
    let suffix = b
        .iter()
        .rev()
        .zip(a.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    Window {
        start_byte: b[..prefix].iter().map(|l| l.len()).sum(),
        first: prefix + 1,
        before_last: b.len() - suffix,
        after_last: a.len() - suffix,
    }
}

/// Bindings made on the changed lines of `before`, in a scope that encloses the change, that
/// the changed lines of `after` no longer make in that scope, and that a read after the change
/// still resolves to.
fn lost_bindings(b: &Analysis, a: &Analysis, before: &str, after: &str) -> Vec<LostBinding> {
    let w = window(before, after);
    // A scope is the same in both texts when it opens before the change: the text before the
    // change is identical, so it opens at the same byte, with the same kind.
    let key = |an: &Analysis, s: usize| -> Option<(usize, ScopeKind)> {
        let sc = &an.scopes[s];
        (s == 0 || sc.start_byte < w.start_byte).then_some((sc.start_byte, sc.kind))
    };
    let kept: HashSet<(&str, (usize, ScopeKind))> = a
        .bindings
        .iter()
        .filter(|x| (w.first..=w.after_last).contains(&x.line))
        .filter_map(|x| Some((x.name.as_str(), key(a, x.scope)?)))
        .collect();
    let shift = w.after_last as isize - w.before_last as isize;
    let mut reported = HashSet::new();
    let mut out = Vec::new();
    for x in b
        .bindings
        .iter()
        .filter(|x| (w.first..=w.before_last).contains(&x.line))
    {
        let Some(k) = key(b, x.scope) else {
            continue;
        };
        if kept.contains(&(x.name.as_str(), k)) || !reported.insert((x.name.clone(), k)) {
            continue;
        }
        let later = b.reads.iter().find(|r| {
            r.name == x.name && r.line > w.before_last && r.resolved == Resolution::Scope(x.scope)
        });
        if let Some(r) = later {
            out.push(LostBinding {
                name: x.name.clone(),
                bound_at: x.line,
                used_at: (r.line as isize + shift).max(1) as usize,
            });
        }
    }
    out
}
