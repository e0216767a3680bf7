//! The `csprng` filter: a call of the `random` module's generator, `random.randint(0, 9)` or
//! `randint(0, 9)` after `from random import randint`, becomes the same method of
//! `secrets.SystemRandom()`, which draws from the operating system's generator with the same
//! distribution: `secrets.SystemRandom().randint(0, 9)`.
//!
//! Only the methods a `SystemRandom` has and means the same by are rewritten. `seed`,
//! `getstate`/`setstate` (no state), a `random.Random(...)` instance and an aliased import
//! give up.

use tree_sitter::Node;

use crate::rules::args::unparen;
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

/// The module-level functions of `random` that are methods of `SystemRandom` too.
const METHODS: &[&str] = &[
    "random",
    "randint",
    "randrange",
    "randbytes",
    "getrandbits",
    "choice",
    "choices",
    "sample",
    "shuffle",
    "uniform",
    "triangular",
    "gauss",
    "normalvariate",
    "lognormvariate",
    "expovariate",
    "vonmisesvariate",
    "gammavariate",
    "betavariate",
    "paretovariate",
    "weibullvariate",
    "binomialvariate",
];

pub(super) fn csprng(node: Node, src: &str) -> Option<String> {
    let call = unparen(node);
    if call.kind_name() != "call" {
        return None;
    }
    let function = call.child_by_field_id(FIELD.function)?;
    let args = call.child_by_field_id(FIELD.arguments)?;
    let method = match function.kind_name() {
        "attribute" => {
            let object = function.child_by_field_id(FIELD.object)?;
            if object.kind_name() != "identifier" || text(object, src) != "random" {
                return None;
            }
            text(function.child_by_field_id(FIELD.attribute)?, src)
        }
        "identifier" if imported_from_random(call, text(function, src), src) => text(function, src),
        _ => return None,
    };
    METHODS
        .contains(&method)
        .then(|| format!("secrets.SystemRandom().{method}{}", text(args, src)))
}

/// Whether the module imports `name` itself from `random` (`from random import name`).
fn imported_from_random(node: Node, name: &str, src: &str) -> bool {
    let root = crate::rules::resolve::root_of(node);
    let mut c = root.walk();
    let found = root.named_children(&mut c).any(|stmt| {
        if stmt.kind_name() != "import_from_statement" {
            return false;
        }
        let module = stmt.child_by_field_id(FIELD.module_name);
        if module.is_none_or(|m| text(m, src) != "random") {
            return false;
        }
        let mut c = stmt.walk();
        let names: Vec<Node> = stmt.children_by_field_name("name", &mut c).collect();
        names
            .iter()
            .any(|n| n.kind_name() == "dotted_name" && text(*n, src) == name)
    });
    found
}
