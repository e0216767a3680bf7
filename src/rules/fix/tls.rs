//! The `tls-context` filter: `ssl.SSLContext(PROTOCOL)` with a deprecated protocol becomes
//! the context `ssl` recommends for the side the file plays: `ssl.create_default_context()`
//! for a client (certificates and host names checked against the system's CAs), and
//! `ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)` for a server. The side is read off
//! the file: `server_hostname=`, `create_connection(`, `.connect(`... for a client;
//! `server_side=True`, `.bind(`, `.listen(`... for a server. Both or neither, or a call with
//! other arguments than the protocol, give up.

use tree_sitter::Node;

use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

const CLIENT: &[&str] = &[
    "server_hostname",
    "create_connection(",
    ".connect(",
    "urlopen(",
    "HTTPSConnection(",
    "open_connection(",
];
const SERVER: &[&str] = &[
    "server_side=True",
    ".bind(",
    ".listen(",
    "serve_forever(",
    "start_server(",
];

pub(super) fn tls_context(call: Node, src: &str) -> Option<String> {
    if call.kind_name() != "call" {
        return None;
    }
    let args = call.child_by_field_id(FIELD.arguments)?;
    let mut c = args.walk();
    if args
        .named_children(&mut c)
        .filter(|a| a.kind_name() != "comment")
        .count()
        != 1
    {
        return None;
    }
    let root = crate::rules::resolve::root_of(call);
    let file = text(root, src);
    let client = CLIENT.iter().any(|h| file.contains(h));
    let server = SERVER.iter().any(|h| file.contains(h));
    match (client, server) {
        (true, false) => Some("ssl.create_default_context()".to_string()),
        (false, true) => Some("ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)".to_string()),
        _ => None,
    }
}
