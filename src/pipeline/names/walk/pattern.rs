//! Match-statement patterns: captures bind, value patterns and class names are read.

use tree_sitter::Node;

use super::{fields, named, Walker, MAX_DEPTH};
use crate::pipeline::names::BindingKind;
use crate::syntax_fields::KindName;

impl Walker<'_> {
    /// A match-statement pattern: bare names capture (bind), dotted names and class names
    /// are read. Unknown pattern forms bind every name in them.
    pub(super) fn pattern(&mut self, node: Node, scope: usize, depth: usize) {
        if depth > MAX_DEPTH || node.is_error() || node.is_missing() {
            self.gave_up = true;
            return;
        }
        let d = depth + 1;
        match node.kind_name() {
            "case_pattern" | "list_pattern" | "tuple_pattern" | "union_pattern" => {
                for c in named(node) {
                    self.pattern(c, scope, d);
                }
            }
            "identifier" => self.capture(node, scope),
            "dotted_name" => {
                let parts: Vec<Node> = named(node).collect();
                match parts.as_slice() {
                    [one] => self.capture(*one, scope),
                    [head, ..] => self.read(*head, scope),
                    [] => {}
                }
            }
            "class_pattern" => {
                for (i, c) in named(node).enumerate() {
                    if i == 0 && c.kind_name() == "dotted_name" {
                        if let Some(head) = c.named_child(0) {
                            self.read(head, scope);
                        }
                    } else {
                        self.pattern(c, scope, d);
                    }
                }
            }
            // `key=pattern`: the keyword is an attribute name.
            "keyword_pattern" => {
                for (i, c) in named(node).enumerate() {
                    if !(i == 0 && c.kind_name() == "identifier") {
                        self.pattern(c, scope, d);
                    }
                }
            }
            "splat_pattern" | "as_pattern_target" => {
                for c in named(node) {
                    self.pattern(c, scope, d);
                }
            }
            "as_pattern" => {
                for c in named(node) {
                    self.pattern(c, scope, d);
                }
            }
            "dict_pattern" => {
                for (field, c) in fields(node) {
                    if field == Some("key") && c.kind_name() == "dotted_name" {
                        if let Some(head) = c.named_child(0) {
                            self.read(head, scope);
                        }
                    } else if field != Some("key") {
                        self.pattern(c, scope, d);
                    }
                }
            }
            "string"
            | "concatenated_string"
            | "integer"
            | "float"
            | "true"
            | "false"
            | "none"
            | "complex_pattern"
            | "comment" => {}
            _ => self.bind_all(node, scope, d),
        }
    }

    fn capture(&mut self, ident: Node, scope: usize) {
        if self.text(ident) != "_" {
            self.bind(ident, scope, BindingKind::Other);
        }
    }
}
