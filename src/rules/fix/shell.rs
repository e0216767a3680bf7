//! The `shlex-split` filter: a command held in a variable, run through a shell, becomes
//! `shlex.split(NAME)` (to be run without one) only when the code shows what the command
//! is: the name is bound once in its function, by an assignment of a string built from
//! literal text that a shell would not interpret (no pipes, redirections, quotes, `$`,
//! globs...; see [`super::filters`]' `argv`). Splitting such a command gives the words the
//! shell would have run, without the commands a value could add. A parameter, or a command
//! with `|`, `>`, `&&` (which only a shell runs), gets no fix.

use tree_sitter::Node;

use super::scope::{is_binding, mentions, scope_of};
use super::strings;
use crate::rules::args::unparen;
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

/// Characters a shell would interpret in the literal text of a command.
pub(super) const SHELL_SPECIAL: &str = "|&;<>()$`\\\"'*?[]#~{}\n\r";

pub(crate) fn shlex_split(node: Node, src: &str) -> Option<String> {
    if node.kind_name() != "identifier" {
        return None;
    }
    let name = text(node, src);
    let scope = scope_of(node);
    let mut assigned = None;
    for m in mentions(scope, name, src) {
        let mut p = m.parent();
        while let Some(x) = p {
            if matches!(x.kind_name(), "parameters" | "lambda_parameters") {
                return None;
            }
            if x.id() == scope.id() {
                break;
            }
            p = x.parent();
        }
        if !is_binding(m) {
            continue;
        }
        let assign = m.parent().filter(|a| a.kind_name() == "assignment")?;
        if assigned.is_some() || assign.child_by_field_id(FIELD.left)?.id() != m.id() {
            return None;
        }
        assigned = Some(assign);
    }
    let value = unparen(assigned?.child_by_field_id(FIELD.right)?);
    let p = strings::pieces(value, src)?;
    let shell_free = !p
        .literal_text()
        .chars()
        .any(|c| SHELL_SPECIAL.contains(c) || c.is_control());
    shell_free.then(|| format!("shlex.split({name})"))
}
