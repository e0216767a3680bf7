//! tree-sitter-python's field ids, looked up by name once per process.
//!
//! `Node::child_by_field_name` resolves the name on every call (a string search over the
//! grammar's field table): on a stdlib scan that lookup alone was ~3% of the CPU time. Code
//! that walks syntax reads `node.child_by_field_id(FIELD.function)` instead.

use std::sync::LazyLock;

use tree_sitter::Language;

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

#[cfg(test)]
mod tests {
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
