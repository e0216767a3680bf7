//! Inter-procedural taint inside one file: the local functions and methods, which calls reach
//! them, and per-function summaries applied at call sites.
//!
//! A **summary** says, for a function's parameters, which of them reach a sink inside it (or
//! inside the local functions it calls), and which reach its return value; it also records
//! real sources that reach the return value (`def name(): return request.args["n"]`). It is
//! computed by running the same statement interpreter on the function's body with each
//! parameter tainted by a marker bit ([`PARAM_SHIFT`]), once per file and function, on demand.
//!
//! Calls are resolved syntactically: `f(...)` to a function defined in the file (not shadowed
//! by an import), `self.m(...)`/`cls.m(...)` to a method of the enclosing class,
//! `Class.m(...)` to that class's method, and `obj.m(...)` to the only method named `m` in
//! the file.

use hashbrown::HashMap;
use std::rc::Rc;

use tree_sitter::Node;

use super::state::{Step, Taint};
use super::TaintFile;
use crate::rules::resolve::{text, Resolver, ScopeId};
use crate::syntax_fields::{KindName, FIELD};

/// Bit of taint kinds where parameter markers start: parameter `i` is bit `PARAM_SHIFT + i`.
pub(super) const PARAM_SHIFT: u32 = 40;
/// The most parameters with a marker bit.
pub(super) const MAX_PARAMS: usize = 24;
/// Source kinds only (no parameter markers).
pub(super) const SOURCE_MASK: u64 = (1u64 << PARAM_SHIFT) - 1;

/// One function or method defined in the file.
#[derive(Debug)]
pub(super) struct FuncInfo<'t> {
    pub(super) node: Node<'t>,
    pub(super) name: String,
    /// The class it is a method of (direct child of the class body).
    pub(super) class: Option<String>,
    /// Parameters a caller passes (without the implicit `self`/`cls` of methods).
    pub(super) params: Vec<(String, Node<'t>)>,
}

/// A parameter that reaches a sink inside the function.
#[derive(Debug, Clone)]
pub(super) struct ParamSink<'t> {
    pub(super) param: usize,
    /// Index into the engine's sinks.
    pub(super) sink: u32,
    pub(super) call: Node<'t>,
    pub(super) callee: Node<'t>,
    pub(super) arg: Node<'t>,
    /// Rule bits of the sanitizers it went through.
    pub(super) cleared: u128,
    /// From the parameter to the sink (both included).
    pub(super) path: Rc<Vec<Step<'t>>>,
    /// Whether the value was built into a string (formatting, concatenation) on the way.
    pub(super) built: bool,
}

/// What a call to a function does with its arguments.
#[derive(Debug, Default)]
pub(super) struct Summary<'t> {
    pub(super) sinks: Vec<ParamSink<'t>>,
    /// The return value: parameter marker bits and real sources, with their paths.
    pub(super) returns: Option<Taint<'t>>,
    /// Whether the function is a request handler (its parameters are sources themselves).
    pub(super) handler: bool,
    /// When every `return` returns a tuple of the same length: each position's taint.
    pub(super) returns_elems: Option<Vec<Option<Taint<'t>>>>,
    /// Whether some `return` returned something else than such a tuple.
    pub(super) returns_mixed: bool,
    /// Parameters with a marker bit: `0..param_count`.
    pub(super) param_count: usize,
    /// Markers `param_count + k` stand for element `k`'s entry here: `(parameter, index,
    /// arity)`, for a parameter the function unpacks (`clause, params = where`), so that a
    /// caller passing a tuple whose elements it knows contributes only the element that flows.
    pub(super) elem_params: Vec<(usize, usize, usize)>,
}

impl Summary<'_> {
    /// `(parameter, index, arity)` when marker `p` stands for an element of a parameter.
    pub(super) fn element_of(&self, p: usize) -> Option<(usize, usize, usize)> {
        let k = p.checked_sub(self.param_count)?;
        self.elem_params.get(k).copied()
    }

    /// The real parameter marker `p` stands for (itself, or the parameter it is an element of).
    pub(super) fn real_param(&self, p: usize) -> usize {
        self.element_of(p).map_or(p, |e| e.0)
    }
}

/// The functions of a file and the calls between them.
#[derive(Debug, Default)]
pub(super) struct FuncTable<'t> {
    pub(super) funcs: Vec<FuncInfo<'t>>,
    by_name: HashMap<String, Vec<usize>>,
    /// Local calls: (call, caller scope, callee function index), in document order.
    pub(super) calls: Vec<(Node<'t>, ScopeId, usize)>,
    /// Whether each function is called (or referenced by name) somewhere in the file.
    pub(super) called: Vec<bool>,
    /// Names bound to an instance of a class of this file (`store = Store(...)`) → the
    /// class; names bound to instances of different classes are left out.
    pub(super) instances: HashMap<String, String>,
}

impl<'t> FuncTable<'t> {
    pub(super) fn build(file: &TaintFile<'_, 't>) -> FuncTable<'t> {
        let (calls, resolver, src) = (file.calls, &file.resolver, file.src);
        let mut t = FuncTable::default();
        for (i, &f) in file.funcs.iter().enumerate() {
            let name = f
                .child_by_field_id(FIELD.name)
                .map(|n| text(n, src).to_string())
                .unwrap_or_default();
            let class = file.classes[i].map(|c| {
                c.child_by_field_id(FIELD.name)
                    .map(|n| text(n, src).to_string())
                    .unwrap_or_default()
            });
            let implicit_first =
                class.is_some() && !file.decorated[i].is_some_and(|d| is_staticmethod(d, src));
            let mut params = parameters(f, src);
            if implicit_first && !params.is_empty() {
                params.remove(0);
            }
            t.by_name.entry(name.clone()).or_default().push(i);
            t.funcs.push(FuncInfo {
                node: f,
                name,
                class,
                params,
            });
        }
        t.called = vec![false; t.funcs.len()];
        if t.funcs.is_empty() {
            return t;
        }
        t.instances = instances(&t.funcs, calls, file.callees, src);
        for (&(call, scope), &callee) in calls.iter().zip(file.callees) {
            let Some(callee) = callee else {
                continue;
            };
            if let Some(fi) = t.resolve_callee(callee, scope, resolver, src) {
                t.called[fi] = true;
                t.calls.push((call, scope, fi));
            }
        }
        t
    }

    /// The class whose method runs in `scope` (a function scope), if any.
    fn class_of_scope(&self, scope: ScopeId) -> Option<&str> {
        let i = (scope as usize).checked_sub(1)?;
        self.funcs.get(i)?.class.as_deref()
    }

    /// The local function a call runs, if the file defines it.
    pub(super) fn resolve_call(
        &self,
        call: Node<'t>,
        scope: ScopeId,
        resolver: &Resolver<'_>,
        src: &str,
    ) -> Option<usize> {
        self.resolve_callee(
            call.child_by_field_id(FIELD.function)?,
            scope,
            resolver,
            src,
        )
    }

    /// The local function callee `f` (a call's `function` field) runs, if the file defines it.
    fn resolve_callee(
        &self,
        f: Node<'t>,
        scope: ScopeId,
        resolver: &Resolver<'_>,
        src: &str,
    ) -> Option<usize> {
        match f.kind_name() {
            "identifier" => {
                let name = text(f, src);
                if resolver
                    .imports
                    .lookup(name, scope, resolver.scopes)
                    .is_some()
                {
                    return None;
                }
                let cands = self.by_name.get(name)?;
                // A plain function (not a method) of that name.
                let mut plain = cands.iter().filter(|&&i| self.funcs[i].class.is_none());
                let first = *plain.next()?;
                plain.next().is_none().then_some(first)
            }
            "attribute" => {
                let method = text(f.child_by_field_id(FIELD.attribute)?, src);
                if method.starts_with("__") {
                    return None;
                }
                let obj = f.child_by_field_id(FIELD.object)?;
                let cands = self.by_name.get(method)?;
                let methods: Vec<usize> = cands
                    .iter()
                    .copied()
                    .filter(|&i| self.funcs[i].class.is_some())
                    .collect();
                // A method of something imported (`request.args.get`, `os.path.join`): not
                // ours.
                let mut root = obj;
                while root.kind_name() == "attribute" {
                    match root.child_by_field_id(FIELD.object) {
                        Some(o) => root = o,
                        None => break,
                    }
                }
                if root.kind_name() == "identifier"
                    && resolver
                        .imports
                        .lookup(text(root, src), scope, resolver.scopes)
                        .is_some()
                {
                    return None;
                }
                if obj.kind_name() == "identifier" {
                    let o = text(obj, src);
                    let class = if o == "self" || o == "cls" {
                        self.class_of_scope(scope).map(str::to_string)
                    } else if let Some(c) = self.instances.get(o) {
                        Some(c.clone())
                    } else {
                        Some(o.to_string())
                    };
                    if let Some(class) = class {
                        if let Some(&i) = methods
                            .iter()
                            .find(|&&i| self.funcs[i].class.as_deref() == Some(class.as_str()))
                        {
                            return Some(i);
                        }
                    }
                    // A module or an imported object: not ours.
                    if resolver.imports.lookup(o, scope, resolver.scopes).is_some() {
                        return None;
                    }
                }
                // Otherwise the only method of that name in the file, unless the name is
                // one that built-in types have too.
                const COMMON: &[&str] = &[
                    "get", "set", "update", "items", "keys", "values", "pop", "append", "add",
                    "extend", "insert", "remove", "clear", "copy", "format", "join", "strip",
                    "lower", "upper", "split", "replace", "encode", "decode", "read", "write",
                    "close", "open", "run", "send", "post", "put", "delete", "patch", "head",
                    "start", "stop", "search", "match", "find", "count", "index", "sort",
                ];
                (methods.len() == 1 && !COMMON.contains(&method)).then(|| methods[0])
            }
            _ => None,
        }
    }

    /// The argument a call passes for parameter `p` of function `fi`.
    pub(super) fn argument(
        &self,
        call: Node<'t>,
        fi: usize,
        p: usize,
        src: &str,
    ) -> Option<Node<'t>> {
        let name = self.funcs[fi].params.get(p).map(|(n, _)| n.as_str())?;
        let args = call.child_by_field_id(FIELD.arguments)?;
        let mut c = args.walk();
        let mut pos = 0usize;
        for a in args.named_children(&mut c) {
            match a.kind_name() {
                "comment" => {}
                "keyword_argument" => {
                    let k = a.child_by_field_id(FIELD.name).map(|n| text(n, src));
                    if k == Some(name) {
                        return a.child_by_field_id(FIELD.value);
                    }
                }
                "list_splat" | "dictionary_splat" => return None,
                _ => {
                    if pos == p {
                        return Some(a);
                    }
                    pos += 1;
                }
            }
        }
        None
    }
}

/// Names assigned a constructor call of a class that has methods in `funcs`.
fn instances(
    funcs: &[FuncInfo],
    calls: &[(Node, ScopeId)],
    callees: &[Option<Node>],
    src: &str,
) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = HashMap::new();
    let mut ambiguous = Vec::new();
    for (&(call, _), callee) in calls.iter().zip(callees) {
        let Some(f) = callee.filter(|f| f.kind_name() == "identifier") else {
            continue;
        };
        let class = text(f, src);
        if !funcs.iter().any(|fi| fi.class.as_deref() == Some(class)) {
            continue;
        }
        let Some(left) = call
            .parent()
            .filter(|p| p.kind_name() == "assignment")
            .and_then(|p| p.child_by_field_id(FIELD.left))
            .filter(|l| l.kind_name() == "identifier")
        else {
            continue;
        };
        let name = text(left, src).to_string();
        match out.get(&name) {
            Some(c) if c != class => ambiguous.push(name),
            _ => {
                out.insert(name, class.to_string());
            }
        }
    }
    for n in ambiguous {
        out.remove(&n);
    }
    out
}

/// Whether a `decorated_definition` carries `@staticmethod`.
fn is_staticmethod(p: Node, src: &str) -> bool {
    let mut c = p.walk();
    let found = p.named_children(&mut c).any(|d| {
        d.kind_name() == "decorator" && text(d, src).trim_start_matches('@') == "staticmethod"
    });
    found
}

/// The named parameters of a function definition, in order.
pub(super) fn parameters<'t>(func: Node<'t>, src: &str) -> Vec<(String, Node<'t>)> {
    let mut names = Vec::new();
    for_each_parameter(func, |id| {
        names.push((text(id, src).to_string(), id));
        true
    });
    names
}

/// The first parameter name of `func` other than `self` and `cls` (what
/// `parameters(func, src)` would list first after dropping those), without collecting them all.
pub(super) fn first_parameter<'s>(func: Node, src: &'s str) -> Option<&'s str> {
    let mut first = None;
    for_each_parameter(func, |id| {
        let name = text(id, src);
        if name == "self" || name == "cls" {
            return true;
        }
        first = Some(name);
        false
    });
    first
}

/// Calls `f` with the name node of each named parameter, in order, while it returns true.
fn for_each_parameter<'t>(func: Node<'t>, mut f: impl FnMut(Node<'t>) -> bool) {
    let Some(params) = func.child_by_field_id(FIELD.parameters) else {
        return;
    };
    let mut c = params.walk();
    for p in params.named_children(&mut c) {
        let ident = match p.kind_name() {
            "identifier" => Some(p),
            "typed_parameter" => {
                let mut c2 = p.walk();
                let found = p
                    .named_children(&mut c2)
                    .find(|x| x.kind_name() == "identifier");
                found
            }
            "default_parameter" | "typed_default_parameter" => p
                .child_by_field_id(FIELD.name)
                .filter(|n| n.kind_name() == "identifier"),
            _ => None,
        };
        if let Some(id) = ident {
            if !f(id) {
                return;
            }
        }
    }
}

/// Whether an expression builds a string from parts: an f-string with fields, `+` or `%`,
/// `.format(...)`, `.join(...)`.
pub(super) fn is_built(n: Node, src: &str) -> bool {
    let n = crate::rules::args::unparen(n);
    match n.kind_name() {
        "string" => {
            let mut c = n.walk();
            let found = n
                .named_children(&mut c)
                .any(|ch| ch.kind_name() == "interpolation");
            found
        }
        "concatenated_string" => {
            let mut c = n.walk();
            let found = n.named_children(&mut c).any(|ch| is_built(ch, src));
            found
        }
        // Text around the value: `"..." + x`, `"... %s" % x` (not `base / name`, `a + b`).
        "binary_operator" => {
            let op = n.child_by_field_id(FIELD.operator).map(|o| o.kind_name());
            let literal = |f: &str| {
                n.child_by_field_name(f).is_some_and(|x| {
                    let x = crate::rules::args::unparen(x);
                    matches!(x.kind_name(), "string" | "concatenated_string") || is_built(x, src)
                })
            };
            matches!(op, Some("+" | "%")) && (literal("left") || literal("right"))
        }
        "call" => n
            .child_by_field_id(FIELD.function)
            .filter(|f| f.kind_name() == "attribute")
            .and_then(|f| f.child_by_field_id(FIELD.attribute))
            .is_some_and(|a| matches!(text(a, src), "format" | "join" | "format_map")),
        _ => false,
    }
}

/// Whether a statement that a path step records assigns a built string.
pub(super) fn step_builds(s: &Step, src: &str) -> bool {
    match s.node.kind_name() {
        "augmented_assignment" => true,
        "assignment" => s
            .node
            .child_by_field_id(FIELD.right)
            .is_some_and(|r| is_built(r, src)),
        _ => false,
    }
}
