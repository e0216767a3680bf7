//! Handler parameters: which are request data, and what their type annotations say about them.

use tree_sitter::Node;

use super::state::State;
use super::{summary, Analyzer};
use crate::syntax_fields::{KindName, FIELD};

impl<'e, 'a, 't, 'o> Analyzer<'e, 'a, 't, 'o> {
    /// Taints the parameters of handler functions (routes and Django-style views); returns
    /// whether the function is one.
    pub(super) fn bind_params(&mut self, func: Node<'t>, st: &mut State<'t>) -> bool {
        let names = summary::parameters(func, self.src());
        let is_route = self.is_route_handler(func);
        let first = names.iter().position(|(n, _)| n != "self" && n != "cls");
        let is_view = first.is_some_and(|i| self.eng.view_first_params.contains(&names[i].0));
        if !is_route && !is_view {
            return false;
        }
        let start = if is_view && !is_route {
            first.map_or(0, |i| i + 1)
        } else {
            0
        };
        for (i, (name, node)) in names.iter().enumerate() {
            if name == "self" || name == "cls" {
                continue;
            }
            // `req: BackupRequest` in a FastAPI handler is a body model, not a request object.
            let typed_other = param_type(*node, self.src()).is_some_and(|t| !is_request_type(t));
            if let Some(&si) = self.eng.source_params.get(name).filter(|_| !typed_other) {
                let s = &self.eng.sources[si as usize];
                if s.attributes.is_empty() {
                    st.vars.insert(name.clone(), self.source_taint(si, *node));
                } else {
                    self.saw_source.set(true);
                    st.objects.insert(name.clone(), si);
                }
                continue;
            }
            if i < start {
                continue;
            }
            let source = if has_scalar_type(*node, self.src()) {
                self.eng.scalar_param_source
            } else {
                self.eng.handler_param_source
            };
            if let Some(si) = source {
                let mut t = self.source_taint(si, *node);
                // The framework converts the value to its annotated type before the call:
                // `q: str` is as clean as `str(q)` for rules that take `str` as a sanitizer.
                if let Some(ty) = param_type(*node, self.src()) {
                    self.eng
                        .rule_sanitizers
                        .lookup(Some(ty), None, |bits| t.cleared |= *bits);
                }
                st.vars.insert(name.clone(), t);
            }
        }
        true
    }
}

pub(super) fn has_scalar_type(param: Node, src: &str) -> bool {
    param_type(param, src).is_some_and(|t| {
        matches!(
            t,
            "int"
                | "float"
                | "bool"
                | "uuid.UUID"
                | "UUID"
                | "datetime"
                | "date"
                | "datetime.date"
                | "datetime.datetime"
                | "Decimal"
                | "decimal.Decimal"
        )
    })
}

/// The type annotation of a parameter (its name node), if it has one.
pub(super) fn param_type<'s>(param: Node, src: &'s str) -> Option<&'s str> {
    let p = param
        .parent()
        .filter(|p| matches!(p.kind_name(), "typed_parameter" | "typed_default_parameter"))?;
    let t = p.child_by_field_id(FIELD.type_)?;
    Some(crate::rules::resolve::text(t, src).trim())
}

/// Whether an annotation names a web framework's request class (`Request`, `web.Request`,
/// `HttpRequest`...), as opposed to a model the framework fills from the request body.
pub(super) fn is_request_type(t: &str) -> bool {
    let base = t.split('[').next().unwrap_or(t).trim();
    let last = base.rsplit('.').next().unwrap_or(base);
    matches!(
        last,
        "Request"
            | "HttpRequest"
            | "WSGIRequest"
            | "ASGIRequest"
            | "BaseRequest"
            | "HTTPServerRequest"
            | "Any"
    )
}
