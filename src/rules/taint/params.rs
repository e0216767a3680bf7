//! What a handler parameter's type annotation says about it.

use tree_sitter::Node;

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
        .filter(|p| matches!(p.kind(), "typed_parameter" | "typed_default_parameter"))?;
    let t = p.child_by_field_name("type")?;
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
