//! tree-sitter-python's field ids and node kind names, looked up once per process.
//!
//! `Node::child_by_field_name` resolves the name on every call (a string search over the
//! grammar's field table): on a stdlib scan that lookup alone was ~3% of the CPU time. Code
//! that walks syntax reads `node.child_by_field_id(FIELD.function)` instead.
//!
//! `Node::kind` measures the grammar's C string and checks it is UTF-8 on every call (~2% of a
//! stdlib scan); [`KindName::kind_name`] reads the same name from a table indexed by kind id.

use std::sync::LazyLock;

use tree_sitter::{Language, Node};

macro_rules! field_ids {
    ($($field:ident = $name:literal),* $(,)?) => {
        /// The id of every field pyward reads (0 would mean "no such field": a test rules it out).
        pub(crate) struct FieldIds {
            $(pub $field: u16,)*
        }

        /// The field ids of the Python grammar pyward is built with.
        pub(crate) static FIELD: LazyLock<FieldIds> = LazyLock::new(|| {
            let lang: Language = tree_sitter_python::LANGUAGE.into();
            let id = |name: &str| lang.field_id_for_name(name).map_or(0, |f| f.get());
            FieldIds { $($field: id($name),)* }
        });

        #[cfg(test)]
        pub(crate) fn all() -> Vec<(&'static str, u16)> {
            vec![$(($name, FIELD.$field),)*]
        }
    };
}

field_ids! {
    alias = "alias",
    alternative = "alternative",
    argument = "argument",
    arguments = "arguments",
    attribute = "attribute",
    body = "body",
    condition = "condition",
    consequence = "consequence",
    definition = "definition",
    expression = "expression",
    function = "function",
    key = "key",
    left = "left",
    module_name = "module_name",
    name = "name",
    object = "object",
    operator = "operator",
    parameters = "parameters",
    return_type = "return_type",
    right = "right",
    subject = "subject",
    subscript = "subscript",
    superclasses = "superclasses",
    type_ = "type",
    type_parameters = "type_parameters",
    value = "value",
}

/// Every node kind's name, by kind id (the grammar's public symbols).
static KIND_NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    static LANG: LazyLock<Language> = LazyLock::new(|| tree_sitter_python::LANGUAGE.into());
    (0..LANG.node_kind_count())
        .map(|id| LANG.node_kind_for_id(id as u16).unwrap_or(""))
        .collect()
});

/// A node's kind name without `Node::kind`'s per-call string checks.
pub(crate) trait KindName<'t> {
    /// The same string as `Node::kind`.
    fn kind_name(&self) -> &'t str;
}

impl<'t> KindName<'t> for Node<'t> {
    #[inline]
    fn kind_name(&self) -> &'t str {
        match KIND_NAMES.get(self.kind_id() as usize) {
            Some(&name) if !name.is_empty() => name,
            // `ERROR` (id 65535) and anything outside the table.
            _ => self.kind(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::KindName;

    /// The table gives every node the name tree-sitter gives it: named and anonymous nodes,
    /// aliased ones, an `ERROR` node and a missing token.
    #[test]
    fn kind_names_match_tree_sitter() {
        let src = "import os as o\nclass A(B):\n    def f(self, x=1, *a, **k) -> int:\n        return [y async for y in x if y] + o.path.join(x, 'a', f'{x!r}')\n\ndef g(:\n    pass\nmatch z:\n    case {'k': [1, *r]}: print(r\ntype T = int\n";
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let tree = parser.parse(src, None).unwrap();
        let mut cursor = tree.walk();
        let (mut seen, mut error) = (0, false);
        'walk: loop {
            let n = cursor.node();
            assert_eq!(n.kind_name(), n.kind(), "at {:?}", n.byte_range());
            error |= n.is_error();
            seen += 1;
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        assert!(seen > 100 && error);
    }

    /// Every listed field exists in the grammar, under a distinct id.
    #[test]
    fn every_field_resolves() {
        let all = super::all();
        let mut ids: Vec<u16> = all.iter().map(|(_, id)| *id).collect();
        for (name, id) in &all {
            assert_ne!(*id, 0, "field `{name}` is not in tree-sitter-python");
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
    }
}
