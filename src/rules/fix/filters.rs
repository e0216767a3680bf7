//! The filters of fix templates: `{CAP|FILTER}` or `{CAP|FILTER:PARAM}` in a replacement.
//! Each turns the captured code into new code, or gives up (`None`), and then the rule offers
//! no fix for that match: a filter never guesses.
//!
//! | filter | what it makes of the capture |
//! |---|---|
//! | `argv` | a shell command string → a list of arguments: `f"tar czf {name}.tgz /srv"` → `["tar", "czf", f"{name}.tgz", "/srv"]`. Gives up on anything a shell would interpret (quotes, `$`, globs, pipes, redirections, `;`...), on values already quoted for a shell, and on `VAR=value` prefixes. |
//! | `shell-quote` | every interpolated value quoted for the shell: `"du -sh " + d` → `"du -sh " + shlex.quote(d)` (needs `import shlex`). Gives up when the literal text holds quotes or backslashes (a value inside quotes). A local name bound once is edited where it is bound. |
//! | `escape-fields:F` | every interpolated value passed through `F`: `f"<h1>{q}</h1>"` → `f"<h1>{F(str(q))}</h1>"`; a numeric `%` directive's value (`%d`) stays. Gives up on a value that is not built from a string literal. A local name bound once is edited where it is bound. |
//! | `escape:F` | like `escape-fields:F`, but a value not built from a string literal is passed through `F` whole: `term` → `F(term)`. |
//! | `format-template` / `format-args` | the `str.format` template and its arguments: `"<b>" + n + "</b>"` → `"<b>{}</b>"` and `n`. |
//! | `sql-params:STYLE` | SQL built from values → `"SQL", (params,)` ([`super::sql`]). |
//! | `xpath-vars` | XPath built from values → `"//u[@name=$name]", name=name` ([`super::xpath`]). |
//! | `name` | the last name of a dotted name: `hashes.MD5` → `MD5`. |
//! | `env-name` | an environment variable name: `self.db_password`, `"DB_PASSWORD"` → `DB_PASSWORD`. |
//! | `https` | a string literal starting `http://` → `https://`. |
//! | `bits-set:M` / `bits-clear:M` | an integer literal with the bits of `M` set or cleared, in octal: `0o777` → `0o775`. |
//! | `jwt-algorithms` | the JWT algorithms the code already names (the call's own list without `none`, else the `algorithm=`/`algorithms=` literals of the file's other `encode`/`decode` calls that do not accept `none`, when they agree): `["RS256"]`. |
//! | `send-from-directory` | Flask's `send_file(os.path.join(BASE, name), ...)` → `send_from_directory(BASE, name, ...)` ([`super::paths`]). |
//! | `cryptodome` | an import from PyCrypto's `Crypto` namespace → PyCryptodome's own `Cryptodome` (pycryptodomex): `from Crypto.Cipher import AES` → `from Cryptodome.Cipher import AES`, `import Crypto.Hash.SHA256 as H` → `import Cryptodome.Hash.SHA256 as H`. Gives up on an `import Crypto...` without `as`, whose uses in the code would need renaming too. |
//! | `escape-request:F` | each value read from the request (`request.args.get("q")`, or a local name assigned only such values) passed through `F`, in the string-building capture or in the one assignment of the name captured: edits there ([`super::escape`]). Other values are left as they are. |
//! | `session-rotate:F` | a login function's session replaced before the user is written into it, as framework `F` (`aiohttp`, `django`) does it: edits inside the function body ([`super::session`]). |
//! | `confine-path:F` | the parts joined to a base directory reduced by `F` to bare names: `os.path.join(ROOT, name)` → `os.path.join(ROOT, F(name))` ([`super::paths`]). |
//! | `escape-data:F` | like `escape-fields:F`, but values that already are markup (a name built from HTML, a join of HTML pieces), escaped, or numbers stay ([`super::escape`]). |
//! | `str-values` | each non-literal value of a dict literal (a query document) made a string: `{"u": body["u"]}` → `{"u": str(body["u"])}` ([`super::documents`]). |
//! | `compare-digest` | `a == b` → `hmac.compare_digest(a, b)`, `a != b` → `not hmac.compare_digest(a, b)` ([`super::compare`]). |
//! | `redact-errors` | each exception detail in a response's arguments (`str(e)`, `traceback.format_exc()`) → `"internal error"` ([`super::errors`]). |
//! | `tls-context` | `ssl.SSLContext(PROTOCOL)` → `ssl.create_default_context()` in a client, `(ssl.Purpose.CLIENT_AUTH)` in a server ([`super::tls`]). |
//! | `csprng` | a call of the `random` module's generator → the same method of `secrets.SystemRandom()` ([`super::random`]). |
//! | `shlex-split` | a command variable → `shlex.split(NAME)`, only when its one assignment in the function builds it from literal text a shell would not interpret ([`super::shell`]). |
//! | `redirect-guard:STYLE` | a guard clause before `return redirect(target)` that redirects to `/` instead when the target is not a page of this site: a path (`path`) or Django's `url_has_allowed_host_and_scheme` (`django`) ([`super::redirect`]). |
//! | `allow-list` | a request value stored in a session limited by the file's own constants: `role` → `role if role in ROLES else "viewer"` when `ROLES` lists its default, or a request value overriding a default computed from a constant table → that default ([`super::allow`]). |
//! | `template-vars` | template source built from values → a constant template whose values are context variables of `render_template_string(...)` or `.from_string(...).render(...)`: `"<h2>" + title + "</h2>"` → `"<h2>{{ title }}</h2>"` and `title=title` ([`super::template`]). |
//! | `where-document` | a `$where` pair whose JavaScript only compares fields with strings → the same conditions as query document pairs: `"$where": "this.a == '" + a + "'"` → `"a": str(a)` ([`super::js_where`]). |
//! | `drop-exemption` | a CSRF exemption decorator removed from a view that shows it authenticates through the session (a login decorator, `request.user`, `current_user`) ([`super::csrf`]). |
//! | `host-allow-list` | a guard clause before a request for a URL: its host must be in the file's one unused upper-case constant of host names, else `requests.exceptions.InvalidURL` (or `ValueError`) is raised ([`super::hosts`]). |
//! | `sql-identifier` | a run-time value SQL takes as a name (after `ORDER BY`/`GROUP BY`, a sort direction, a column or table) → `v if v in ALLOWED else DEFAULT`, with the names the statement selects, `ASC`/`DESC`, or the file's one constant allow-list of SQL names ([`super::sql_ident`]). |
//! | `assert-raise` | `assert c, m` → `if not c:` + `raise AssertionError(m)` (kept under `python -O`). |

use tree_sitter::Node;

use super::shell::SHELL_SPECIAL;
use super::strings::{self, literal, value_expr, Conv, Part, Value};
use super::wrap::{escape_fields, shell_quote};
use crate::rules::args::unparen;
use crate::rules::resolve::text;
use crate::syntax_fields::{KindName, FIELD};

/// What a filter made of a capture.
pub(crate) enum Rendered {
    /// The new text of the capture.
    Text(String),
    /// Whole edits, the capture's own among them: the part must be the filter alone.
    Edits(Vec<super::scope::RangeEdit>),
}

/// A filter, parsed from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    Argv,
    ShellQuote,
    EscapeFields,
    Escape,
    FormatTemplate,
    FormatArgs,
    SqlParams,
    Name,
    EnvName,
    Https,
    BitsSet,
    BitsClear,
    AssertRaise,
    JwtAlgorithms,
    XpathVars,
    SendFromDirectory,
    Cryptodome,
    SessionRotate,
    EscapeRequest,
    EscapeData,
    StrValues,
    CompareDigest,
    RedactErrors,
    TlsContext,
    ShlexSplit,
    ConfinePath,
    Csprng,
    RedirectGuard,
    AllowList,
    TemplateVars,
    WhereDocument,
    DropExemption,
    HostAllowList,
    SqlIdentifier,
}

impl Filter {
    /// Parses `NAME` or `NAME:PARAM`; the error says what is wrong.
    pub fn parse(spec: &str) -> Result<(Filter, Option<String>), String> {
        let (name, param) = match spec.split_once(':') {
            Some((n, p)) => (n, Some(p.to_string())),
            None => (spec, None),
        };
        let f = match name {
            "argv" => Filter::Argv,
            "shell-quote" => Filter::ShellQuote,
            "escape-fields" => Filter::EscapeFields,
            "escape" => Filter::Escape,
            "format-template" => Filter::FormatTemplate,
            "format-args" => Filter::FormatArgs,
            "sql-params" => Filter::SqlParams,
            "name" => Filter::Name,
            "env-name" => Filter::EnvName,
            "https" => Filter::Https,
            "bits-set" => Filter::BitsSet,
            "bits-clear" => Filter::BitsClear,
            "assert-raise" => Filter::AssertRaise,
            "jwt-algorithms" => Filter::JwtAlgorithms,
            "xpath-vars" => Filter::XpathVars,
            "send-from-directory" => Filter::SendFromDirectory,
            "cryptodome" => Filter::Cryptodome,
            "session-rotate" => Filter::SessionRotate,
            "escape-request" => Filter::EscapeRequest,
            "escape-data" => Filter::EscapeData,
            "str-values" => Filter::StrValues,
            "compare-digest" => Filter::CompareDigest,
            "redact-errors" => Filter::RedactErrors,
            "tls-context" => Filter::TlsContext,
            "shlex-split" => Filter::ShlexSplit,
            "confine-path" => Filter::ConfinePath,
            "csprng" => Filter::Csprng,
            "redirect-guard" => Filter::RedirectGuard,
            "allow-list" => Filter::AllowList,
            "template-vars" => Filter::TemplateVars,
            "where-document" => Filter::WhereDocument,
            "drop-exemption" => Filter::DropExemption,
            "host-allow-list" => Filter::HostAllowList,
            "sql-identifier" => Filter::SqlIdentifier,
            _ => return Err(format!("unknown filter `{name}`")),
        };
        let needs = matches!(
            f,
            Filter::EscapeFields
                | Filter::Escape
                | Filter::SqlParams
                | Filter::SessionRotate
                | Filter::EscapeRequest
                | Filter::EscapeData
                | Filter::ConfinePath
                | Filter::BitsSet
                | Filter::BitsClear
                | Filter::RedirectGuard
        );
        match (&param, needs) {
            (None, true) => {
                return Err(format!("filter `{name}` needs a parameter (`{name}:...`)"))
            }
            (Some(_), false) => return Err(format!("filter `{name}` takes no parameter")),
            _ => {}
        }
        if let Some(p) = &param {
            let ok = match f {
                Filter::EscapeFields
                | Filter::Escape
                | Filter::EscapeRequest
                | Filter::EscapeData
                | Filter::ConfinePath => is_dotted(p),
                Filter::SqlParams => matches!(p.as_str(), "qmark" | "format" | "auto"),
                Filter::SessionRotate => matches!(p.as_str(), "aiohttp" | "django"),
                Filter::RedirectGuard => matches!(p.as_str(), "path" | "django"),
                _ => int_literal(p).is_some(),
            };
            if !ok {
                return Err(format!("filter `{name}`: invalid parameter `{p}`"));
            }
        }
        Ok((f, param))
    }

    /// Applies the filter to a node: the text for the part's own place, or, for SQL built in
    /// a variable and executed later ([`super::sql_var`]), the edits of both places.
    pub(crate) fn render(
        self,
        node: Node,
        src: &str,
        param: Option<&str>,
        cx: &super::FileContext,
    ) -> Option<Rendered> {
        let own = self.own_escape(node, src, param);
        let param = own.or(param);
        if self == Filter::SqlParams {
            if let Some(t) = super::sql::sql_params(node, src, param?, cx) {
                return Some(Rendered::Text(t));
            }
            return super::sql_var::sql_params_var(node, src, param?, cx)
                .or_else(|| super::sql::sql_params_merge(node, src, param?, cx))
                .map(Rendered::Edits);
        }
        if self == Filter::EscapeRequest {
            return super::escape::escape_request(node, src, param?).map(Rendered::Edits);
        }
        // A string held in a local name is edited where the name is bound.
        if matches!(self, Filter::ShellQuote | Filter::EscapeFields)
            && node.kind_name() == "identifier"
        {
            let built = super::scope::sole_binding(node, src)?;
            let t = self.apply(built, src, param, cx)?;
            return Some(Rendered::Edits(vec![(
                built.start_byte(),
                built.end_byte(),
                t,
            )]));
        }
        if self == Filter::EscapeData && node.kind_name() == "function_definition" {
            return super::escape::escape_returns(node, src, param?).map(Rendered::Edits);
        }
        if self == Filter::ConfinePath {
            return super::paths::confine_path(node, src, param?).map(Rendered::Edits);
        }
        if self == Filter::HostAllowList {
            return super::hosts::host_allow_list(node, src).map(Rendered::Edits);
        }
        if self == Filter::DropExemption {
            return super::csrf::drop_exemption(node, src).map(Rendered::Edits);
        }
        if self == Filter::TemplateVars {
            return super::template::template_vars(node, src).map(Rendered::Edits);
        }
        if self == Filter::SqlIdentifier {
            return super::sql_ident::sql_identifier(node, src).map(Rendered::Edits);
        }
        if self == Filter::AllowList {
            return super::allow::allow_list(node, src).map(Rendered::Edits);
        }
        if self == Filter::RedirectGuard {
            return super::redirect::redirect_guard(node, src, param?).map(Rendered::Edits);
        }
        if self == Filter::SessionRotate {
            return super::session::session_rotate(node, src, param?).map(Rendered::Edits);
        }
        self.apply(node, src, param, cx).map(Rendered::Text)
    }

    /// Applies the filter to a node.
    pub(crate) fn apply(
        self,
        node: Node,
        src: &str,
        param: Option<&str>,
        cx: &super::FileContext,
    ) -> Option<String> {
        let own = self.own_escape(node, src, param);
        let param = own.or(param);
        match self {
            Filter::Argv => argv(node, src),
            Filter::ShellQuote => shell_quote(node, src),
            Filter::EscapeFields => escape_fields(node, src, param?),
            Filter::Escape => match strings::pieces(node, src) {
                Some(_) => escape_fields(node, src, param?),
                None => Some(format!("{}({})", param?, text(node, src))),
            },
            Filter::FormatTemplate => format_template(node, src),
            Filter::FormatArgs => format_args(node, src),
            Filter::SqlParams => super::sql::sql_params(node, src, param?, cx),
            Filter::AssertRaise => assert_raise(node, src),
            Filter::JwtAlgorithms => super::jwt::jwt_algorithms(node, src),
            Filter::XpathVars => super::xpath::xpath_vars(node, src),
            Filter::SendFromDirectory => super::paths::send_from_directory(node, src),
            Filter::Cryptodome => cryptodome(node, src),
            Filter::ShlexSplit => super::shell::shlex_split(node, src),
            Filter::Csprng => super::random::csprng(node, src),
            Filter::WhereDocument => super::js_where::where_document(node, src),
            Filter::StrValues => super::documents::str_values(node, src),
            Filter::CompareDigest => super::compare::compare_digest(node, src),
            Filter::RedactErrors => super::errors::redact_errors(node, src),
            Filter::TlsContext => super::tls::tls_context(node, src),
            Filter::EscapeData => super::escape::escape_data(node, src, param?),
            Filter::BitsSet | Filter::BitsClear => {
                let v = int_literal(text(unparen(node), src))?;
                let m = int_literal(param?)?;
                let n = if self == Filter::BitsSet {
                    v | m
                } else {
                    v & !m
                };
                Some(format!("0o{n:03o}"))
            }
            _ => self.apply_text(text(node, src)),
        }
    }

    /// For the escaping filters given `html.escape`: the file's own `escape` when it has one
    /// ([`super::wrap::own_escape`]).
    fn own_escape(self, node: Node, src: &str, param: Option<&str>) -> Option<&'static str> {
        let escaping = matches!(
            self,
            Filter::EscapeFields | Filter::Escape | Filter::EscapeRequest | Filter::EscapeData
        );
        if !escaping || param != Some("html.escape") {
            return None;
        }
        super::wrap::own_escape(node, src)
    }

    /// Applies a filter that needs only text (the others give up).
    pub fn apply_text(self, t: &str) -> Option<String> {
        match self {
            Filter::Name => {
                let n = t.rsplit('.').next()?.trim();
                is_dotted(n).then(|| n.to_string())
            }
            Filter::EnvName => env_name(t),
            Filter::Https => {
                let lead = t.find(['"', '\''])?;
                let prefix = &t[..lead];
                if !prefix.chars().all(|c| "rRuUfF".contains(c)) {
                    return None;
                }
                let q = t[lead..].chars().take_while(|c| *c == '"' || *c == '\'');
                let body = lead + q.count();
                t[body..]
                    .starts_with("http://")
                    .then(|| format!("{}https://{}", &t[..body], &t[body + 7..]))
            }
            _ => None,
        }
    }
}

fn is_dotted(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|p| {
            p.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && p.chars().all(|c| c.is_alphanumeric() || c == '_')
        })
}

/// An integer literal's value: decimal, `0o`, `0x`, `0b`, with `_` separators.
fn int_literal(t: &str) -> Option<u64> {
    let t = t.trim().replace('_', "");
    let lower = t.to_ascii_lowercase();
    let (digits, radix) = match lower.get(..2) {
        Some("0o") => (&lower[2..], 8),
        Some("0x") => (&lower[2..], 16),
        Some("0b") => (&lower[2..], 2),
        _ => (lower.as_str(), 10),
    };
    if radix == 10 && digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// `self.db_password` / `"db-password"` → `DB_PASSWORD`.
fn env_name(t: &str) -> Option<String> {
    let t = t.trim();
    let t = t.trim_start_matches(|c: char| "rRuU".contains(c));
    let t = t.trim_matches(|c| c == '"' || c == '\'');
    let last = t.rsplit('.').next()?;
    let mut out = String::new();
    for c in last.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_string();
    out.starts_with(|c: char| c.is_ascii_alphabetic())
        .then_some(out)
}

fn argv(node: Node, src: &str) -> Option<String> {
    let p = strings::pieces(node, src)?;
    if p.values().any(|v| text(v.node, src).contains("quote(")) {
        return None;
    }
    let mut tokens: Vec<Vec<Part>> = Vec::new();
    let mut cur: Vec<Part> = Vec::new();
    for part in p.parts.iter().cloned() {
        match part {
            Part::Lit(s) => {
                for c in s.chars() {
                    if c == ' ' || c == '\t' {
                        if !cur.is_empty() {
                            tokens.push(std::mem::take(&mut cur));
                        }
                    } else if SHELL_SPECIAL.contains(c) || c.is_control() {
                        return None;
                    } else if let Some(Part::Lit(l)) = cur.last_mut() {
                        l.push(c);
                    } else {
                        cur.push(Part::Lit(c.to_string()));
                    }
                }
            }
            v @ Part::Value(_) => cur.push(v),
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    // `VAR=value cmd` sets an environment variable for the command: not an argument.
    let first_is_assignment = tokens
        .first()
        .and_then(|t| t.first())
        .is_some_and(|p| matches!(p, Part::Lit(s) if s.contains('=')));
    if tokens.is_empty() || first_is_assignment {
        return None;
    }
    let mut out = Vec::with_capacity(tokens.len());
    for t in &tokens {
        out.push(match t.as_slice() {
            [Part::Value(v)] => value_expr(v, src),
            [Part::Lit(s)] => literal(s, p.quote),
            parts => strings::fstring(parts, src, p.quote)?,
        });
    }
    Some(format!("[{}]", out.join(", ")))
}

fn format_template(node: Node, src: &str) -> Option<String> {
    let p = strings::pieces(node, src)?;
    p.values().next()?;
    let mut t = String::new();
    for part in &p.parts {
        match part {
            Part::Lit(s) => t.push_str(&s.replace('{', "{{").replace('}', "}}")),
            Part::Value(v) => {
                t.push('{');
                match &v.conv {
                    Conv::Str | Conv::Concat => {}
                    Conv::Repr => t.push_str("!r"),
                    Conv::Other(s) => t.push_str(s),
                }
                t.push('}');
            }
        }
    }
    Some(literal(&t, p.quote))
}

fn format_args(node: Node, src: &str) -> Option<String> {
    let p = strings::pieces(node, src)?;
    let args: Vec<String> = p.values().map(|v| arg_expr(v, src)).collect();
    (!args.is_empty()).then(|| args.join(", "))
}

/// A value's expression as a call argument (a bare tuple gets parentheses).
fn arg_expr(v: &Value, src: &str) -> String {
    let t = text(v.node, src);
    if matches!(v.node.kind_name(), "expression_list" | "yield") {
        format!("({t})")
    } else {
        t.to_string()
    }
}

/// The indentation of the line holding byte `at`.
pub fn indent_at(src: &str, at: usize) -> &str {
    let line_start = src[..at.min(src.len())].rfind('\n').map_or(0, |i| i + 1);
    let rest = &src[line_start..];
    let n = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    &rest[..n]
}

fn assert_raise(node: Node, src: &str) -> Option<String> {
    if node.kind_name() != "assert_statement" {
        return None;
    }
    let mut c = node.walk();
    let exprs: Vec<Node> = node
        .named_children(&mut c)
        .filter(|n| n.kind_name() != "comment")
        .collect();
    let (cond, msg) = match exprs.as_slice() {
        [c] => (*c, None),
        [c, m] => (*c, Some(*m)),
        _ => return None,
    };
    let ct = text(cond, src);
    let simple = matches!(
        cond.kind_name(),
        "identifier" | "attribute" | "call" | "subscript" | "parenthesized_expression"
    );
    let cond_text = if simple {
        ct.to_string()
    } else {
        format!("({ct})")
    };
    let indent = indent_at(src, node.start_byte());
    // One indentation step: this block's indentation minus its parent statement's.
    let parent_indent = node
        .parent()
        .and_then(|b| b.parent())
        .map_or("", |s| indent_at(src, s.start_byte()));
    let step = match indent.strip_prefix(parent_indent) {
        Some(s) if !s.is_empty() => s,
        _ => "    ",
    };
    let msg = msg.map_or(String::new(), |m| text(m, src).to_string());
    Some(format!(
        "if not {cond_text}:\n{indent}{step}raise AssertionError({msg})"
    ))
}

/// `Crypto` → `Cryptodome` in an import statement (see the table above).
fn cryptodome(stmt: Node, src: &str) -> Option<String> {
    let rename = |dotted: Node| -> Option<String> {
        let t = text(dotted, src);
        let rest = t.strip_prefix("Crypto")?;
        (rest.is_empty() || rest.starts_with('.')).then(|| format!("Cryptodome{rest}"))
    };
    let t = text(stmt, src);
    match stmt.kind_name() {
        "import_from_statement" => {
            let module = stmt.child_by_field_id(FIELD.module_name)?;
            let new = rename(module)?;
            let (a, b) = (
                module.start_byte() - stmt.start_byte(),
                module.end_byte() - stmt.start_byte(),
            );
            Some(format!("{}{new}{}", &t[..a], &t[b..]))
        }
        "import_statement" => {
            let mut c = stmt.walk();
            let names: Vec<Node> = stmt.children_by_field_name("name", &mut c).collect();
            let mut out = String::from("import ");
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                if n.kind_name() != "aliased_import" {
                    // `import Crypto.X` binds `Crypto`: its uses would need renaming too.
                    let name = text(*n, src);
                    if name == "Crypto" || name.starts_with("Crypto.") {
                        return None;
                    }
                    out.push_str(name);
                    continue;
                }
                let dotted = n.child_by_field_id(FIELD.name)?;
                let alias = text(n.child_by_field_id(FIELD.alias)?, src);
                let name = rename(dotted).unwrap_or_else(|| text(dotted, src).to_string());
                out.push_str(&format!("{name} as {alias}"));
            }
            (out != t).then_some(out)
        }
        _ => None,
    }
}
