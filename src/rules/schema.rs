//! The on-disk shape of a rule: `rules/python/<category>/<rule-id>.toml`.
//!
//! Every struct denies unknown fields, so a typo in a rule file is an error naming the file
//! and the field, caught by `cargo test` (see `tests/rules_catalog.rs`).

use serde::{Deserialize, Serialize};

use crate::finding::{Confidence, Finding, Origin, Severity, Span};

/// One rule, as written in its TOML file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable id, `PW` + three digits, e.g. `PW101`. Never reused.
    pub id: String,
    /// Kebab-case slug, e.g. `subprocess-shell-true`.
    pub name: String,
    /// One-line title, sentence case, no trailing period.
    pub title: String,
    /// The directory the file lives in, e.g. `command-injection`.
    pub category: String,
    /// CWE numbers, most specific first.
    pub cwe: Vec<u32>,
    pub severity: Severity,
    pub confidence: Confidence,
    /// Equivalent Bandit test ids (`B602`), so `# nosec B602` suppresses this rule.
    #[serde(default)]
    pub bandit: Vec<String>,
    /// Equivalent ruff codes (`S602`), so `# noqa: S602` suppresses this rule.
    #[serde(default)]
    pub ruff: Vec<String>,
    /// The finding's message. `{name}` is replaced by the text of the capture `@name`
    /// (e.g. `{callee}`), truncated to one line.
    pub message: String,
    /// One or two sentences on how to fix it (shown in reports and given to the fixer).
    pub remediation: String,
    pub doc: RuleDoc,
    /// How the rule matches. A finding is produced for each match of any pattern.
    #[serde(default)]
    pub patterns: Vec<Pattern>,
    /// Source → sink data flow. A finding is produced for each tainted sink argument.
    #[serde(default)]
    pub taint: Option<TaintSpec>,
    /// A pattern finding of this rule is dropped where the taint analysis vouches for the
    /// code: the function read untrusted input, yet nothing of it (nor of its parameters)
    /// reaches this sink call; or the code is in a branch that never runs.
    #[serde(default)]
    pub yield_to_taint: bool,
    /// Off unless selected (by id, category, CWE or `ALL`): a hardening note rather than a
    /// vulnerability, too noisy for the default run.
    #[serde(default)]
    pub default_off: bool,
    /// A capture of this rule's pattern matches holding a string built at run time: the
    /// match is reported only when some value interpolated into it is not a constant of the
    /// program (see [`crate::rules::constant`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic: Option<String>,
    /// Deterministic fix templates (tried by the fixer as candidate 0).
    #[serde(default)]
    pub fix: Vec<FixTemplate>,
    /// Kinds of rule the pipeline treats specially, e.g. [`TAG_PROMPT_INJECTION`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// The tag of the prompt-injection rules: their findings are never put to the model, never
/// suppressed and never repaired, and their text is kept out of model prompts.
pub const TAG_PROMPT_INJECTION: &str = "prompt-injection";

impl RuleSpec {
    /// Whether the rule carries `tag` in its `tags`.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
}

// Here rather than in `finding.rs`, which depends on nothing of the crate's logic.
impl Finding {
    /// A static finding of `rule` at `span` of `path`, with the rule's CWEs, severity,
    /// confidence, message and remediation; no taint path, edits, suppression, verdict,
    /// explanation or fix, and no fingerprint yet (see [`crate::finding::sort_and_fingerprint`]).
    /// Override the rest with struct update syntax: `Finding { origin, ..Finding::from_rule(..) }`.
    pub fn from_rule(rule: &RuleSpec, path: &str, span: Span, snippet: String) -> Finding {
        Finding {
            rule_id: rule.id.clone(),
            cwe: rule.cwe.clone(),
            severity: rule.severity,
            confidence: rule.confidence,
            path: path.to_string(),
            span,
            snippet,
            message: rule.message.clone(),
            remediation: rule.remediation.clone(),
            taint_path: Vec::new(),
            fingerprint: String::new(),
            origin: Origin::Static,
            suppressed: None,
            fixes: Vec::new(),
            verdict: None,
            explanation: None,
            fix: None,
        }
    }
}

/// A rule's documentation, in ruff's shape.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDoc {
    /// What it does: what the rule looks for.
    pub what: String,
    /// Why is this bad: the attack or failure it enables.
    pub why: String,
    /// Python code that triggers the rule.
    pub example: String,
    /// Python code that does the same thing safely.
    pub use_instead: String,
    /// URLs; the CWE page first.
    pub references: Vec<String>,
}

/// One way a rule matches.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Pattern {
    /// A call whose callee resolves (through imports and aliases) to one of `callee`.
    ///
    /// Names are fully qualified (`subprocess.Popen`, `yaml.load`). A leading `*.` matches a
    /// method of any receiver (`*.execute`), a trailing `.*` any member of a module
    /// (`telnetlib.*`). Builtins are written bare (`eval`). Captures available to `message`
    /// and `fix`: `callee` (the function expression), `call` (the whole call).
    Call {
        callee: Vec<String>,
        /// Conditions on arguments; all must hold.
        #[serde(default)]
        args: Vec<ArgCondition>,
    },
    /// `import X` / `from X import ...` of one of these modules (or their submodules).
    Import { modules: Vec<String> },
    /// A raw tree-sitter-python query. The node captured as `@match` is reported.
    /// Standard predicates (`#eq?`, `#match?`, `#any-of?`, `#not-eq?`, `#not-match?`) work,
    /// plus `(#qualname? @cap "mod.name" ...)`: the capture resolves through imports to one
    /// of the names (same wildcard forms as `callee`). A predicate after a top-level
    /// alternation (`[...] (#eq? ...)`) is a load error: tree-sitter would ignore it.
    Query { query: String },
}

/// A condition on one argument of a call. The argument is found by keyword `name`, or by
/// position `position` (0-based), or either when both are given.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ArgCondition {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub position: Option<usize>,
    pub is: ArgIs,
    /// With `is = "int-below"`: the bound (exclusive).
    #[serde(default)]
    pub below: Option<i64>,
    /// With `is = "matches"`: a regex over the argument's source text.
    #[serde(default)]
    pub regex: Option<String>,
    /// With `is = "one-of"`: accepted source texts (after stripping whitespace).
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArgIs {
    /// The argument is passed.
    Present,
    /// The argument is not passed.
    Absent,
    /// A truthy literal (`True`, a non-zero number, a non-empty string literal).
    True,
    /// A falsy literal (`False`, `0`, `None`, `""`).
    False,
    /// A string literal with no interpolation (a plain string or an f-string without fields).
    LiteralString,
    /// Anything but a plain literal: a name, call, f-string with fields, concatenation...
    NonLiteral,
    /// Anything but a constant of the program (see [`crate::rules::constant`]): unlike
    /// `non-literal`, a module constant, an element of a constant table or a string built
    /// only from constants does not count.
    NonConstant,
    /// An integer literal below `below`.
    IntBelow,
    /// Source text matches `regex`.
    Matches,
    /// Source text is one of `values`.
    OneOf,
    /// Absent, or a falsy literal (`httponly` missing or `False`).
    AbsentOrFalse,
    /// Passed, and its source text does not match `regex` (e.g. a command with no `quote(`).
    NotMatches,
}

/// Source → sink data flow inside one function (or module top level).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TaintSpec {
    #[serde(default)]
    pub sinks: Vec<TaintSink>,
    /// Calls that make a value safe for this rule, beyond the global sanitizers
    /// (e.g. `shlex.quote` for command injection). Same name forms as `Pattern::Call`.
    #[serde(default)]
    pub sanitizers: Vec<String>,
    /// Source kinds from `rules/python/_taint/sources.toml` this rule accepts; empty = all.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Containers whose items must not receive tainted data (`flask.session`,
    /// `*.session`): `c[k] = v`, `c.update(...)`, `c.setdefault(k, v)`. Same name forms as
    /// sink callees.
    #[serde(default)]
    pub stores: Vec<String>,
    /// Store sinks do not apply in functions that call one of these (a login handler
    /// storing the user it has just authenticated).
    #[serde(default, rename = "unless-calls")]
    pub unless_calls: Vec<String>,
    /// The value a request handler returns is a sink (the response body).
    #[serde(default)]
    pub returns: Option<ReturnSink>,
    /// Whether a guard clause makes a value safe for this rule: after
    /// `if <condition on x>: return|raise|abort(...)`, `x` is trusted (a redirect target
    /// checked against its host, a path checked to stay under its root).
    #[serde(default)]
    pub guards: bool,
    /// Whether a value passed as an argument to a call that is not known to carry it on
    /// (a lookup, an authentication check: `Member.query.filter_by(id=x).first()`) counts
    /// as processed, hence safe for this rule. For trust-boundary rules, where what matters
    /// is storing the request's own text.
    #[serde(default, rename = "calls-process")]
    pub calls_process: bool,
}

/// Request handlers whose return value is the response body as sent.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnSink {
    /// Decorators (name forms as for callees) of the handlers concerned.
    pub decorators: Vec<String>,
    /// The file must import one of these modules (or a submodule): the framework that sends
    /// a returned string as HTML.
    pub imports: Vec<String>,
    /// Or the decorator call has one of these keyword arguments, `NAME=SUFFIX`: its value's
    /// text ends with SUFFIX (`response_class=HTMLResponse`).
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// A call whose arguments must not receive tainted data.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TaintSink {
    #[serde(default)]
    pub callee: Vec<String>,
    /// A regex on the callee's last name: every call of a function named so is this sink
    /// (`save_api_key(...)`). Applies in files importing a module of the rule's sources.
    #[serde(default, rename = "callee-named")]
    pub callee_named: Option<String>,
    /// A regex on keyword names: that keyword argument of any call (with `callee-named`: of
    /// calls of functions named so) is this sink (`KeyOut(key=raw)`). Applies like
    /// `callee-named`.
    #[serde(default, rename = "keyword-named")]
    pub keyword_named: Option<String>,
    /// Positions of the arguments that are dangerous (0-based); empty with no `keywords` = all.
    #[serde(default)]
    pub positions: Vec<usize>,
    /// Keyword arguments that are dangerous.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Extra conditions the call must satisfy (e.g. `shell=True`), as in `Pattern::Call`.
    #[serde(default)]
    pub args: Vec<ArgCondition>,
    /// The object a method is called on is dangerous too (`path.read_bytes()`); with no
    /// `positions` or `keywords`, only it.
    #[serde(default)]
    pub receiver: bool,
    /// The dangerous argument is an argument vector: a list or tuple literal whose first
    /// element (the program) is a constant is dangerous only through the elements that could
    /// start an option: not those after a literal `"--"`, nor those that begin with constant
    /// text that does not start with `-` (`f"/backups/{name}.tgz"`).
    #[serde(default)]
    pub argv: bool,
    /// Dict keys whose values are this sink, wherever the dict is written
    /// (`{"$regex": value}`).
    #[serde(default, rename = "dict-keys")]
    pub dict_keys: Vec<String>,
    /// The sink applies only in files importing one of these modules (or a submodule).
    #[serde(default)]
    pub imports: Vec<String>,
}

/// One part of a deterministic rewrite: an edit of the text that `capture` names, its text
/// becoming `replacement`. A rule's parts that apply to a match form one fix, applied together.
///
/// `capture` is a capture of the match (`callee`, `call` and the callee's resolved `qualname`
/// for call patterns, a query's `@name`, a taint sink's `callee`, `call` and `arg`...) or one of these forms on the matched call's arguments (the `call` capture, or
/// `match` when that is a call), where SPEC is `NAME`, `N` (0-based position) or `NAME@N`:
///
/// * `arg:SPEC`: the argument's value (no edit when the argument is absent);
/// * `set-arg:NAME[@N]`: the value, or `NAME=<replacement>` appended when absent;
/// * `add-arg:NAME`: `NAME=<replacement>` appended when absent (never replaces a value);
/// * `drop-arg:SPEC`: the argument removed with its comma (`replacement` must be empty);
/// * `before:CAP` / `after:CAP`: an insertion at the start or end of capture CAP.
///
/// `replacement` is text with placeholders: `{CAP}` (a capture's text, or `arg:SPEC`),
/// `{CAP|FILTER}` or `{CAP|FILTER:PARAM}` (a transformation of it, see
/// [`crate::rules::fix::filters`]), `{indent}` (the indentation of the edited line), `{{` and
/// `}}`. An unknown capture, placeholder or filter is an error naming the rule file. When a
/// filter cannot transform what it is given (a command that needs a shell, SQL whose values
/// cannot all become parameters...), the rule offers no fix for that match.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FixTemplate {
    pub capture: String,
    pub replacement: String,
    pub description: String,
    /// Import statements the replacement needs, e.g. `["import secrets"]` or
    /// `["from OpenSSL import SSL"]` (one name each, see [`ImportSpec`]). The fixer adds each
    /// one the file lacks, once, with the file's other top-level imports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<String>,
    /// Conditions this part applies under (all must hold); a part whose conditions fail, or
    /// whose capture is absent from the match, is left out.
    #[serde(default, skip_serializing_if = "FixWhen::is_empty")]
    pub when: FixWhen,
    /// A fallback part: used only when the rule's other parts give no fix for the match
    /// (none applies, or one gives up). Fallback parts make a fix of their own, together.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fallback: bool,
}

/// Conditions on a match for one part of a fix.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FixWhen {
    /// Capture name → regex its text must match (searched, not anchored); the capture must be
    /// present.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub matches: std::collections::BTreeMap<String, String>,
    /// Capture name → regex its text must not match (an absent capture passes).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub excludes: std::collections::BTreeMap<String, String>,
    /// Conditions on the matched call's arguments, as in a call pattern.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<ArgCondition>,
    /// The matched call is a statement of its own (its value is not used).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub statement: bool,
}

impl FixWhen {
    pub fn is_empty(&self) -> bool {
        self.matches.is_empty()
            && self.excludes.is_empty()
            && self.args.is_empty()
            && !self.statement
    }
}

/// One import a fix template needs: `import a.b`, `import a.b as c`, `from m import x` or
/// `from m import x as y` (a single name; no star, no relative module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSpec {
    /// The statement, normalised (`import  secrets` → `import secrets`).
    pub statement: String,
    /// The name it binds: `a` for `import a.b`, `c` for `import a.b as c`, `x` for
    /// `from m import x`.
    pub binds: String,
    /// What it imports: `a.b` for `import a.b` (which binds `a` and loads `a.b`) and for
    /// `import a.b as c`, `m.x` for `from m import x`.
    pub target: String,
}

impl ImportSpec {
    /// A plain `import a.b` (no `as`): the name it binds is the top package.
    pub fn is_plain(&self) -> bool {
        self.statement.starts_with("import ") && !self.statement.contains(" as ")
    }

    /// Whether an existing import of `existing` (binding the same name) already gives what
    /// this one does: the same target, or for plain imports a submodule of it (`import a.b.c`
    /// loads `a.b` and binds `a`).
    pub fn covered_by(&self, existing: &str) -> bool {
        existing == self.target
            || (self.is_plain()
                && existing.len() > self.target.len()
                && existing.starts_with(&self.target)
                && existing.as_bytes()[self.target.len()] == b'.')
    }
}

impl ImportSpec {
    /// Parses one import statement; the error says what is wrong with it.
    pub fn parse(statement: &str) -> Result<ImportSpec, String> {
        let words: Vec<&str> = statement.split_whitespace().collect();
        let dotted_ok = |s: &str| {
            !s.is_empty()
                && s.split('.').all(|p| {
                    !p.is_empty()
                        && !p.starts_with(|c: char| c.is_ascii_digit())
                        && p.chars().all(|c| c.is_alphanumeric() || c == '_')
                })
        };
        let ident_ok = |s: &str| dotted_ok(s) && !s.contains('.');
        let bad = || {
            Err(format!(
                "`{statement}` is not `import a.b [as c]` or `from m import x [as y]`"
            ))
        };
        let (binds, target) = match words.as_slice() {
            ["import", m] if dotted_ok(m) => (m.split('.').next().unwrap_or(m), m.to_string()),
            ["import", m, "as", a] if dotted_ok(m) && ident_ok(a) => (*a, m.to_string()),
            ["from", m, "import", x] if dotted_ok(m) && ident_ok(x) => (*x, format!("{m}.{x}")),
            ["from", m, "import", x, "as", a] if dotted_ok(m) && ident_ok(x) && ident_ok(a) => {
                (*a, format!("{m}.{x}"))
            }
            _ => return bad(),
        };
        if binds == "__future__" || target.starts_with("__future__") {
            return bad();
        }
        Ok(ImportSpec {
            statement: words.join(" "),
            binds: binds.to_string(),
            target,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_specs_parse_to_the_name_they_bind() {
        let p = |s: &str| ImportSpec::parse(s).map(|i| (i.statement, i.binds, i.target));
        let ok = |a: &str, b: &str, c: &str| Ok((a.to_string(), b.to_string(), c.to_string()));
        assert_eq!(
            p("import secrets"),
            ok("import secrets", "secrets", "secrets")
        );
        assert_eq!(
            p(" import  os.path "),
            ok("import os.path", "os", "os.path")
        );
        let spec = |s: &str| ImportSpec::parse(s).unwrap();
        assert!(spec("import hashlib").covered_by("hashlib"));
        assert!(spec("import hashlib").covered_by("hashlib.foo"));
        assert!(spec("import a.b").covered_by("a.b.c"));
        assert!(!spec("import defusedxml.minidom").covered_by("defusedxml.sax"));
        assert!(!spec("import defusedxml.minidom").covered_by("defusedxml"));
        assert!(!spec("import a.b as c").covered_by("a.b.c"));
        assert!(!spec("from a import b").covered_by("a.b.c"));
        assert_eq!(
            p("import xml.etree.ElementTree as ET"),
            ok(
                "import xml.etree.ElementTree as ET",
                "ET",
                "xml.etree.ElementTree"
            )
        );
        assert_eq!(
            p("from OpenSSL import SSL"),
            ok("from OpenSSL import SSL", "SSL", "OpenSSL.SSL")
        );
        assert_eq!(
            p("from a.b import c as d"),
            ok("from a.b import c as d", "d", "a.b.c")
        );
        for bad in [
            "",
            "import",
            "from m import *",
            "from . import x",
            "import a, b",
            "from m import (x)",
            "import 1a",
            "from __future__ import annotations",
            "import os; import sys",
        ] {
            assert!(ImportSpec::parse(bad).is_err(), "{bad}");
        }
    }
}
