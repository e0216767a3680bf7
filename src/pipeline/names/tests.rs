//! The undefined-name check and the lost-binding check, construct by construct.

use super::*;

/// The undefined names of `src`, sorted; panics when the file cannot be judged.
fn undef(src: &str) -> Vec<String> {
    let mut v: Vec<String> = undefined_names(src)
        .unwrap_or_else(|| panic!("not judged:\n{src}"))
        .into_iter()
        .map(|u| u.name)
        .collect();
    v.sort();
    v
}

fn none() -> Vec<String> {
    Vec::new()
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn module_names_builtins_and_dunders() {
    assert_eq!(
        undef("x = 1\nprint(x, len([]), __name__, __file__, __doc__)\n"),
        none()
    );
    assert_eq!(undef("print(y)\n"), names(&["y"]));
    assert_eq!(undef("raise ValueError(ExceptionGroup)\n"), none());
    // Attribute names and keyword argument names are not reads.
    assert_eq!(undef("import os\nos.path.join(a=1, sep=os.sep)\n"), none());
    // Only the first read of each name is listed.
    let u = undefined_names("a\nb\na\n").unwrap();
    assert_eq!(
        u,
        vec![
            NameUse {
                name: "a".into(),
                line: 1
            },
            NameUse {
                name: "b".into(),
                line: 2
            }
        ]
    );
}

#[test]
fn function_scopes_and_shadowing() {
    // A parameter shadows nothing outside; a local is not visible outside its function.
    assert_eq!(
        undef("def f(a):\n    b = a\n    return b\nprint(b)\n"),
        names(&["b"])
    );
    // A local shadowing a module name is fine; so is a use before a later assignment in the
    // same function (conservative: no flow analysis).
    assert_eq!(
        undef("x = 1\ndef f():\n    print(y)\n    y = x\n    x = 2\n    return x\n"),
        none()
    );
    // Functions see their enclosing functions' names (closures) and module names defined
    // later.
    assert_eq!(
        undef("def outer():\n    v = 1\n    def inner():\n        return v + LATER\n    return inner\nLATER = 2\n"),
        none()
    );
    // *args and **kwargs, keyword-only and positional-only parameters.
    assert_eq!(
        undef("def f(a, /, b: int = 1, *args, c, d=2, **kw):\n    return a, b, args, c, d, kw\n"),
        none()
    );
    // Defaults and annotations are evaluated outside the function.
    assert_eq!(undef("def f(a=a):\n    pass\n"), names(&["a"]));
    assert_eq!(
        undef("def f(a: a) -> b:\n    return a\n"),
        names(&["a", "b"])
    );
    // Decorators read the enclosing scope.
    assert_eq!(
        undef("@app.route('/')\ndef index():\n    return index\n"),
        names(&["app"])
    );
}

#[test]
fn imports_inside_functions_and_aliases() {
    assert_eq!(
        undef("def f():\n    import hashlib\n    return hashlib.sha256(b'')\n"),
        none()
    );
    // A function's import is not visible elsewhere.
    assert_eq!(
        undef("def f():\n    import hashlib\ndef g():\n    return hashlib.md5()\n"),
        names(&["hashlib"])
    );
    // `import a.b` binds `a`; `as` binds the alias only.
    assert_eq!(undef("import os.path\nos.getcwd()\n"), none());
    assert_eq!(
        undef("import numpy as np\nnp.zeros(1)\nnumpy.ones(1)\n"),
        names(&["numpy"])
    );
    // The issue's case: only `md5` is imported, `hashlib` is not.
    assert_eq!(
        undef("from hashlib import md5\nh = hashlib.sha256(data)\ndata = b''\n"),
        names(&["hashlib"])
    );
    assert_eq!(
        undef("from . import views as v\nfrom .models import User\nv, User\n"),
        none()
    );
    assert_eq!(
        undef("from __future__ import annotations\nannotations\n"),
        none()
    );
}

#[test]
fn a_star_import_makes_the_file_unjudgeable() {
    assert_eq!(
        undefined_names("from os import *\nprint(getcwd(), anything)\n"),
        None
    );
    // Syntax errors too.
    assert_eq!(undefined_names("def f(:\n    pass\n"), None);
}

#[test]
fn global_and_nonlocal() {
    // `global` makes the function's assignment a module binding.
    assert_eq!(
        undef("def setup():\n    global CONFIG\n    CONFIG = {}\ndef use():\n    return CONFIG\n"),
        none()
    );
    // A declared global is assumed bound even without a visible assignment.
    assert_eq!(undef("def f():\n    global G\n    return G\n"), none());
    // `nonlocal` refers to the enclosing function's binding.
    assert_eq!(
        undef("def counter():\n    n = 0\n    def inc():\n        nonlocal n\n        n += 1\n        return n\n    return inc\n"),
        none()
    );
    let a =
        analyze("def f():\n    n = 0\n    def g():\n        nonlocal n\n        n = 1\n").unwrap();
    let n: Vec<&Binding> = a.bindings.iter().filter(|b| b.name == "n").collect();
    assert_eq!(n.len(), 2);
    assert_eq!(n[0].scope, n[1].scope, "the nonlocal assignment binds in f");
}

#[test]
fn comprehensions_have_their_own_scope() {
    assert_eq!(undef("xs = [1]\nys = [x * 2 for x in xs if x]\n"), none());
    // The loop variable does not leak.
    assert_eq!(
        undef("ys = [x for x in range(3)]\nprint(x)\n"),
        names(&["x"])
    );
    assert_eq!(
        undef("g = (k for k in range(3))\nprint(k)\n"),
        names(&["k"])
    );
    // Nested clauses see the earlier targets; dict and set comprehensions too.
    assert_eq!(
        undef("m = [[1]]\nflat = {v: i for row in m for i, v in enumerate(row)}\ns = {c for c in 'ab'}\n"),
        none()
    );
    // The first iterable is evaluated outside: in a class body it sees the class names,
    // the rest of the comprehension does not.
    assert_eq!(
        undef("class C:\n    items = [1, 2]\n    doubled = [i * 2 for i in items]\n"),
        none()
    );
    assert_eq!(
        undef("class C:\n    k = 2\n    items = [1]\n    scaled = [i * k for i in items]\n"),
        names(&["k"])
    );
    // A walrus in a comprehension binds in the enclosing scope.
    assert_eq!(
        undef("def f(xs):\n    if any((hit := x) > 1 for x in xs):\n        return hit\n"),
        none()
    );
}

#[test]
fn class_bodies_are_invisible_to_methods() {
    assert_eq!(
        undef("class A:\n    limit = 3\n    def f(self):\n        return limit\n"),
        names(&["limit"])
    );
    assert_eq!(
        undef("class A:\n    limit = 3\n    other = limit + 1\n    def f(self):\n        return self.limit, A.limit, __class__\n"),
        none()
    );
    // Base classes and keywords are read outside; the class name binds outside.
    assert_eq!(
        undef("class B(Base, metaclass=Meta):\n    pass\nB()\n"),
        names(&["Base", "Meta"])
    );
}

#[test]
fn del_reads_the_name() {
    assert_eq!(undef("x = 1\ndel x\n"), none());
    assert_eq!(undef("del y\n"), names(&["y"]));
    assert_eq!(undef("d = {}\ndel d['k'], d\n"), none());
}

#[test]
fn try_except_with_and_loops_bind() {
    let src = "\
try:
    import simplejson as json
except ImportError as exc:
    json = None
    print(exc)
finally:
    pass
with open('f') as fh, open('g') as (a, b):
    fh.read(), a, b
for i, (j, *rest) in enumerate([]):
    print(i, j, rest)
else:
    pass
async def f():
    async with lock as held:
        held
    async for item in stream():
        item
";
    assert_eq!(undef(src), names(&["lock", "stream"]));
    // Probing for a name inside `try: ... except NameError` is deliberate; the handlers and
    // `else` are not covered.
    let src = "try:\n    text = unicode\nexcept NameError:\n    text = str\n";
    assert_eq!(undef(src), none());
    let src =
        "try:\n    x = long\nexcept (ImportError, NameError):\n    x = int\nelse:\n    y = gone\n";
    assert_eq!(undef(src), names(&["gone"]));
    let src = "try:\n    x = long\nexcept ImportError:\n    x = missing\n";
    assert_eq!(undef(src), names(&["long", "missing"]));
}

#[test]
fn lambdas_and_their_defaults() {
    assert_eq!(undef("f = lambda x, y=1: x + y\n"), none());
    // Defaults are evaluated outside the lambda.
    assert_eq!(undef("f = lambda x=x: x\n"), names(&["x"]));
    assert_eq!(undef("f = lambda: z\n"), names(&["z"]));
    assert_eq!(undef("def g(n):\n    return lambda k=n: k * n\n"), none());
}

#[test]
fn walrus_match_and_targets() {
    assert_eq!(undef("if (n := 10) > 5:\n    print(n)\n"), none());
    let src = "\
import enum
class Color(enum.Enum):
    RED = 1
def where(cmd):
    match cmd:
        case [x, y, *rest]:
            return x, y, rest
        case {'k': v, **others}:
            return v, others
        case Point(x=px, y=0) | Point(x=0, y=px):
            return px
        case Color.RED as red:
            return red
        case str() | bytes() if cmd:
            return _
        case _:
            return None
";
    assert_eq!(undef(src), names(&["Point", "_"]));
    assert_eq!(
        undef("a, (b, *c) = 1, (2, 3)\n[d, e] = a, b\nprint(a, b, c, d, e)\n"),
        none()
    );
    // Attribute and subscript targets read their object.
    assert_eq!(
        undef("obj.attr = 1\nitems[0] = 2\n"),
        names(&["items", "obj"])
    );
    // Augmented assignment binds (and reads).
    assert_eq!(undef("total = 0\ntotal += 1\n"), none());
}

#[test]
fn annotations_fstrings_and_type_parameters() {
    assert_eq!(undef("x: int = 1\ny: List[int]\n"), names(&["List"]));
    assert_eq!(
        undef("name = 'a'\nprint(f'{name!r:>{width}}')\n"),
        names(&["width"])
    );
    assert_eq!(
        undef("def first[T](xs: list[T]) -> T:\n    return xs[0]\n"),
        none()
    );
    assert_eq!(undef("type Pair[T] = tuple[T, T]\np: Pair[int]\n"), none());
}

#[test]
fn deep_nesting_is_not_judged_instead_of_overflowing() {
    let src = format!("x = {}1\n", "1 + ".repeat(5000));
    assert_eq!(undefined_names(&src), None);
}

// ---- lost bindings ----

const HANDLER: &str = "\
import pickle
from flask import request


def load_profile():
    serialized_data = request.form['data']
    user_profile = pickle.loads(serialized_data)
    return user_profile.name
";

#[test]
fn the_destructive_fix_from_the_issue_loses_a_binding() {
    let after = HANDLER.replace(
        "    user_profile = pickle.loads(serialized_data)",
        "    UserProfile",
    );
    let d = compare(HANDLER, &after);
    assert_eq!(
        d.lost,
        vec![LostBinding {
            name: "user_profile".into(),
            bound_at: 7,
            used_at: 8
        }]
    );
    let undefined: Vec<&str> = d.new_undefined.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(undefined, ["UserProfile", "user_profile"]);
    assert!(!d.is_clean());
}

#[test]
fn a_fix_that_keeps_the_binding_is_clean() {
    let after = HANDLER.replace(
        "    user_profile = pickle.loads(serialized_data)",
        "    user_profile = json.loads(serialized_data)",
    );
    let d = compare(HANDLER, &after);
    assert!(d.lost.is_empty());
    // ... but `json` is not imported.
    assert_eq!(
        d.new_undefined,
        vec![NameUse {
            name: "json".into(),
            line: 7
        }]
    );
    let fixed = after.replace("import pickle\n", "import json\nimport pickle\n");
    assert!(
        compare(HANDLER, &fixed).is_clean(),
        "{:?}",
        compare(HANDLER, &fixed)
    );
}

#[test]
fn a_binding_still_made_elsewhere_in_the_scope_is_still_lost() {
    // `user_profile` stays bound (line 6), so no name is undefined, but the value line 9 reads
    // is no longer the one the deleted statement computed.
    let before = "def f(data):\n    user_profile = None\n    user_profile = load(data)\n    return user_profile\n";
    let after = "def f(data):\n    user_profile = None\n    load(data)\n    return user_profile\n";
    let d = compare(before, after);
    assert!(d.new_undefined.is_empty());
    assert_eq!(
        d.lost,
        vec![LostBinding {
            name: "user_profile".into(),
            bound_at: 3,
            used_at: 4
        }]
    );
}

#[test]
fn unread_or_rebound_in_the_replacement_is_not_lost() {
    // Nothing after the change reads `tmp`.
    let before = "def f(d):\n    tmp = risky(d)\n    return 1\n";
    let after = "def f(d):\n    safe(d)\n    return 1\n";
    assert!(compare(before, after).lost.is_empty());
    // The replacement binds the name in another form (a tuple target, a with target).
    let before = "def f(d):\n    rows = load(d)\n    return rows\n";
    let after = "def f(d):\n    rows, _ = load_safe(d), None\n    return rows\n";
    assert!(compare(before, after).lost.is_empty());
    let after = "def f(d):\n    with load_safe(d) as rows:\n        pass\n    return rows\n";
    assert!(compare(before, after).lost.is_empty());
    // Several lines: the binding moved to another changed line.
    let before = "x = a()\ny = b(x)\nprint(x, y)\n";
    let after = "y = b(a())\nx = a()\nprint(x, y)\n";
    assert!(compare(before, after).lost.is_empty());
}

#[test]
fn a_binding_moved_into_another_scope_is_lost() {
    let before = "def f(d):\n    rows = load(d)\n    return rows\n";
    let after = "def f(d):\n    (lambda: (rows := load(d)))()\n    return rows\n";
    let d = compare(before, after);
    assert_eq!(d.lost.len(), 1, "{d:?}");
    assert_eq!(d.lost[0].name, "rows");
}

#[test]
fn module_bindings_read_by_later_functions_are_lost() {
    let before = "import os\nSECRET = os.environ['K']\nSECRET = SECRET or 'x'\ndef f():\n    return SECRET\n";
    let after = "import os\nos.environ['K']\nSECRET = SECRET or 'x'\ndef f():\n    return SECRET\n";
    let d = compare(before, after);
    assert_eq!(d.lost.len(), 1, "{d:?}");
    assert_eq!((d.lost[0].bound_at, d.lost[0].used_at), (2, 3));
    // A deleted import that later code uses.
    let before = "import hashlib\nfrom hashlib import md5\nh = md5(b'')\n";
    let after = "import hashlib\nh = hashlib.sha256(b'')\n";
    assert!(
        compare(before, after).is_clean(),
        "{:?}",
        compare(before, after)
    );
    let after = "import hashlib\n\nh = md5(b'')\n";
    let d = compare(before, after);
    assert_eq!(d.lost.len(), 1);
    assert_eq!(d.new_undefined.len(), 1);
}

#[test]
fn renaming_a_function_that_is_called_later_is_lost() {
    let before = "def load(p):\n    return open(p).read()\nload('x')\n";
    let after = "def load_safe(p):\n    return open(p).read()\nload('x')\n";
    let d = compare(before, after);
    assert_eq!(d.lost.len(), 1);
    assert_eq!(d.lost[0].name, "load");
}

#[test]
fn pre_existing_problems_and_unjudgeable_files_do_not_count() {
    // `missing` was undefined before the fix too.
    let before = "x = eval(missing)\n";
    let after = "import ast\nx = ast.literal_eval(missing)\n";
    assert!(compare(before, after).is_clean());
    // A file that does not parse before is not judged.
    assert!(compare("def f(:\n", "def f():\n    return nope\n").is_clean());
    // A fix that adds a star import is flagged: its names can no longer be checked.
    let d = compare(
        "x = md5(b'')\nfrom hashlib import md5\n",
        "from hashlib import *\nx = md5(b'')\n",
    );
    assert!(d.star_import_added);
}

#[test]
fn resolve_at_finds_the_innermost_binding() {
    let src = "import secrets\ndef f(secrets):\n    return secrets\nclass C:\n    secrets = 1\n    def m(self):\n        return secrets\n";
    let a = analyze(src).unwrap();
    let in_f = src.find("return secrets").unwrap() + 7;
    let in_m = src.rfind("return secrets").unwrap() + 7;
    let f = a.resolve_at("secrets", in_f);
    let m = a.resolve_at("secrets", in_m);
    assert!(matches!(f, Resolution::Scope(s) if s != 0), "{f:?}");
    assert_eq!(m, Resolution::Scope(0));
    assert_eq!(
        a.scopes[0].names["secrets"],
        vec![BindingKind::Import {
            target: "secrets".into()
        }]
    );
    let a = analyze("from OpenSSL import SSL\nimport a.b as c\nimport x.y\n").unwrap();
    let kinds = |n: &str| a.scopes[0].names[n].clone();
    assert_eq!(
        kinds("SSL"),
        vec![BindingKind::Import {
            target: "OpenSSL.SSL".into()
        }]
    );
    assert_eq!(
        kinds("c"),
        vec![BindingKind::Import {
            target: "a.b".into()
        }]
    );
    assert_eq!(
        kinds("x"),
        vec![BindingKind::Import {
            target: "x.y".into()
        }]
    );
}
