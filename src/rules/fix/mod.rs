//! Fix templates ([`FixTemplate`], a rule's `[[fix]]` parts): checked when the rule loads
//! ([`compile`], errors name the part), and rendered into [`Edit`]s for each match
//! ([`edits`]).
//!
//! Each part edits one place: a capture's text, an argument of the matched call, or an
//! insertion point. A part whose capture is absent from the match, or whose `when` conditions
//! fail, is left out; when a filter gives up on a part ([`filters`]), the whole fix is dropped
//! for that match, so a fix never applies half-done.

mod allow;
mod captures;
mod compare;
mod csrf;
mod documents;
mod errors;
mod escape;
pub(crate) mod filters;
mod hosts;
mod js_where;
mod jwt;
mod paths;
mod placement;
mod random;
mod redirect;
mod scope;
mod session;
mod shell;
mod sql;
mod sql_ident;
mod sql_var;
pub(crate) mod strings;
mod template;
#[cfg(test)]
mod test_util;
#[cfg(test)]
mod tests;
mod tls;
mod wrap;
mod xpath;

use std::collections::BTreeSet;

use regex::Regex;

use crate::rules::regexes;
use tree_sitter::Node;

use super::args::{ArgLookup, CallArgs, CompiledArg};
use super::raw::Cap;
use super::resolve::text;
use super::schema::{FixTemplate, RuleSpec};
use crate::finding::Edit;
use crate::syntax_fields::KindName;
use captures::available_captures;
pub use captures::check_message;
use filters::{indent_at, Filter, Rendered};
use placement::{drop_range, insertion, is_statement, span_of_bytes};
pub(crate) use sql::FileContext;

/// An argument: by keyword, by 0-based position, or either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgSpec {
    pub name: Option<String>,
    pub position: Option<usize>,
}

impl ArgSpec {
    /// `NAME`, `N` or `NAME@N`.
    fn parse(s: &str) -> Result<ArgSpec, String> {
        let ident = |n: &str| {
            n.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && n.chars().all(|c| c.is_alphanumeric() || c == '_')
        };
        let bad = || Err(format!("`{s}` is not NAME, N or NAME@N"));
        let (name, pos) = match s.split_once('@') {
            Some((n, p)) => (Some(n), Some(p)),
            None if s.chars().all(|c| c.is_ascii_digit()) => (None, Some(s)),
            None => (Some(s), None),
        };
        if name.is_some_and(|n| !ident(n)) {
            return bad();
        }
        let position = match pos {
            Some(p) => match p.parse::<usize>() {
                Ok(p) => Some(p),
                Err(_) => return bad(),
            },
            None => None,
        };
        Ok(ArgSpec {
            name: name.map(str::to_string),
            position,
        })
    }

    fn find<'t>(&self, call: Node<'t>, src: &'t str) -> ArgLookup<'t> {
        CallArgs::of_call(call, src).find(self.name.as_deref(), self.position)
    }
}

/// What a part edits.
#[derive(Debug, Clone)]
enum Target {
    Capture(String),
    Arg(ArgSpec),
    SetArg(ArgSpec),
    AddArg(String),
    DropArg(ArgSpec),
    Before(String),
    After(String),
}

/// Where a placeholder's text comes from.
#[derive(Debug, Clone)]
enum Source {
    Capture(String),
    Arg(ArgSpec),
}

#[derive(Debug, Clone)]
enum Piece {
    Lit(String),
    Indent,
    Cap {
        source: Source,
        filter: Option<(Filter, Option<String>)>,
    },
}

/// One `[[fix]]` part, ready to render.
#[derive(Debug, Clone)]
pub struct CompiledFix {
    target: Target,
    pieces: Vec<Piece>,
    when_matches: Vec<(Source, Regex)>,
    when_excludes: Vec<(String, Regex)>,
    when_args: Vec<CompiledArg>,
    when_statement: bool,
    description: String,
    imports: Vec<String>,
    fallback: bool,
}

/// Checks and compiles a rule's fix parts; the error names the part and the problem.
pub fn compile(rule: &RuleSpec) -> Result<Vec<CompiledFix>, String> {
    let caps = available_captures(rule);
    rule.fix
        .iter()
        .map(|t| compile_one(t, &caps).map_err(|m| format!("fix `{}`: {m}", t.capture)))
        .collect()
}

fn known(caps: &BTreeSet<String>, name: &str) -> Result<(), String> {
    if caps.contains(name) {
        Ok(())
    } else {
        let list: Vec<&str> = caps.iter().map(String::as_str).collect();
        Err(format!(
            "unknown capture `{name}` (this rule's matches have: {})",
            list.join(", ")
        ))
    }
}

fn compile_one(t: &FixTemplate, caps: &BTreeSet<String>) -> Result<CompiledFix, String> {
    let target = match t.capture.split_once(':') {
        Some(("arg", s)) => Target::Arg(ArgSpec::parse(s)?),
        Some(("set-arg", s)) => {
            let a = ArgSpec::parse(s)?;
            if a.name.is_none() {
                return Err("`set-arg:` needs a keyword name (NAME or NAME@N)".into());
            }
            Target::SetArg(a)
        }
        Some(("add-arg", s)) => {
            let a = ArgSpec::parse(s)?;
            match (a.name, a.position) {
                (Some(n), None) => Target::AddArg(n),
                _ => return Err("`add-arg:` takes a keyword name only".into()),
            }
        }
        Some(("drop-arg", s)) => {
            if !t.replacement.is_empty() {
                return Err(
                    "a `drop-arg:` part removes the argument: its replacement must be empty".into(),
                );
            }
            Target::DropArg(ArgSpec::parse(s)?)
        }
        Some(("before", c)) => {
            known(caps, c)?;
            Target::Before(c.to_string())
        }
        Some(("after", c)) => {
            known(caps, c)?;
            Target::After(c.to_string())
        }
        Some((kind, _)) => return Err(format!("unknown capture form `{kind}:`")),
        None => {
            known(caps, &t.capture)?;
            Target::Capture(t.capture.clone())
        }
    };
    let pieces = parse_replacement(&t.replacement, caps)?;
    let mut when_matches = Vec::new();
    for (cap, re) in &t.when.matches {
        let source = match cap.strip_prefix("arg:") {
            Some(a) => Source::Arg(ArgSpec::parse(a)?),
            None => {
                known(caps, cap)?;
                Source::Capture(cap.clone())
            }
        };
        let r = regexes::text(re).map_err(|e| format!("when.matches.{cap}: invalid regex: {e}"))?;
        when_matches.push((source, r));
    }
    let mut when_excludes = Vec::new();
    for (cap, re) in &t.when.excludes {
        known(caps, cap)?;
        let r =
            regexes::text(re).map_err(|e| format!("when.excludes.{cap}: invalid regex: {e}"))?;
        when_excludes.push((cap.clone(), r));
    }
    let when_args = t
        .when
        .args
        .iter()
        .map(CompiledArg::compile)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|m| format!("when.args: {m}"))?;
    Ok(CompiledFix {
        target,
        pieces,
        when_matches,
        when_excludes,
        when_args,
        when_statement: t.when.statement,
        description: t.description.clone(),
        imports: t.imports.clone(),
        fallback: t.fallback,
    })
}

fn parse_replacement(r: &str, caps: &BTreeSet<String>) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut it = r.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '{' if it.peek() == Some(&'{') => {
                it.next();
                lit.push('{');
            }
            '}' if it.peek() == Some(&'}') => {
                it.next();
                lit.push('}');
            }
            '}' => return Err("replacement: `}` without `{` (write `}}` for a brace)".into()),
            '{' => {
                let mut inner = String::new();
                loop {
                    match it.next() {
                        Some('}') => break,
                        Some(x) => inner.push(x),
                        None => {
                            return Err(
                                "replacement: `{` without `}` (write `{{` for a brace)".into()
                            )
                        }
                    }
                }
                if !lit.is_empty() {
                    out.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                if inner == "indent" {
                    out.push(Piece::Indent);
                    continue;
                }
                let (spec, filter) = match inner.split_once('|') {
                    Some((s, f)) => (
                        s,
                        Some(Filter::parse(f).map_err(|m| format!("{{{inner}}}: {m}"))?),
                    ),
                    None => (inner.as_str(), None),
                };
                let source = match spec.strip_prefix("arg:") {
                    Some(a) => Source::Arg(ArgSpec::parse(a)?),
                    None => {
                        known(caps, spec).map_err(|m| format!("placeholder {{{inner}}}: {m}"))?;
                        Source::Capture(spec.to_string())
                    }
                };
                out.push(Piece::Cap { source, filter });
            }
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    Ok(out)
}

/// What rendering one part gave.
enum Outcome {
    Edit(Edit),
    /// Several places at once (a filter that edits more than its capture).
    Many(Vec<Edit>),
    /// Not applicable to this match: left out.
    Skip,
    /// A filter gave up: the whole fix is dropped.
    Fail,
}

/// The rule's fix for one match: every applicable part's edit, or nothing when a part cannot
/// be rendered. `cx` is shared by all the findings of one file.
pub(crate) fn edits(
    fixes: &[CompiledFix],
    caps: &[(String, Cap)],
    src: &str,
    cx: &FileContext,
) -> Vec<Edit> {
    let main = edits_of(fixes.iter().filter(|f| !f.fallback), caps, src, cx);
    if !main.is_empty() {
        return main;
    }
    edits_of(fixes.iter().filter(|f| f.fallback), caps, src, cx)
}

fn edits_of<'f>(
    fixes: impl Iterator<Item = &'f CompiledFix>,
    caps: &[(String, Cap)],
    src: &str,
    cx: &FileContext,
) -> Vec<Edit> {
    let mut out = Vec::new();
    for f in fixes {
        match f.render(caps, src, cx) {
            // Parts that reach the same argument two ways make the same edit once.
            Outcome::Edit(e)
                if out.iter().any(|o: &Edit| {
                    (o.start_byte, o.end_byte, &o.replacement)
                        == (e.start_byte, e.end_byte, &e.replacement)
                }) => {}
            // Insertions at one place are one edit, in the parts' order.
            Outcome::Edit(e) if e.start_byte == e.end_byte => {
                match out
                    .iter_mut()
                    .find(|o| o.start_byte == e.start_byte && o.end_byte == e.end_byte)
                {
                    Some(o) => {
                        o.replacement.push_str(&e.replacement);
                        o.description = format!("{}; {}", o.description, e.description);
                        for i in e.imports {
                            if !o.imports.contains(&i) {
                                o.imports.push(i);
                            }
                        }
                    }
                    None => out.push(e),
                }
            }
            Outcome::Edit(e) => out.push(e),
            Outcome::Many(v) => {
                for e in v {
                    let same = |o: &Edit| {
                        (o.start_byte, o.end_byte, &o.replacement)
                            == (e.start_byte, e.end_byte, &e.replacement)
                    };
                    if !out.iter().any(same) {
                        out.push(e);
                    }
                }
            }
            Outcome::Skip => {}
            Outcome::Fail => return Vec::new(),
        }
    }
    out
}

fn cap<'a, 't>(caps: &'a [(String, Cap<'t>)], name: &str) -> Option<&'a Cap<'t>> {
    caps.iter().find(|(n, _)| n == name).map(|(_, c)| c)
}

fn cap_node<'t>(caps: &[(String, Cap<'t>)], name: &str) -> Option<Node<'t>> {
    match cap(caps, name)? {
        Cap::Node(n) => Some(*n),
        Cap::Text(_) => None,
    }
}

/// The matched call: the `call` capture, or `match` when it is a call.
fn matched_call<'t>(caps: &[(String, Cap<'t>)]) -> Option<Node<'t>> {
    cap_node(caps, "call").or_else(|| cap_node(caps, "match").filter(|n| n.kind_name() == "call"))
}

impl CompiledFix {
    fn render(&self, caps: &[(String, Cap)], src: &str, cx: &FileContext) -> Outcome {
        let call = matched_call(caps);
        for (source, re) in &self.when_matches {
            let t = match source {
                Source::Capture(name) => match cap(caps, name) {
                    Some(Cap::Node(n)) => text(*n, src),
                    Some(Cap::Text(t)) => t.as_str(),
                    None => return Outcome::Skip,
                },
                Source::Arg(spec) => match call.map(|c| spec.find(c, src)) {
                    Some(ArgLookup::Found(v)) => text(v, src),
                    _ => return Outcome::Skip,
                },
            };
            if !re.is_match(t) {
                return Outcome::Skip;
            }
        }
        for (name, re) in &self.when_excludes {
            let t = match cap(caps, name) {
                Some(Cap::Node(n)) => text(*n, src),
                Some(Cap::Text(t)) => t.as_str(),
                None => continue,
            };
            if re.is_match(t) {
                return Outcome::Skip;
            }
        }
        if !self.when_args.is_empty() || self.when_statement {
            let Some(call) = call else {
                return Outcome::Skip;
            };
            let args = CallArgs::of_call(call, src);
            if !self.when_args.iter().all(|c| c.holds(&args, src)) {
                return Outcome::Skip;
            }
            if self.when_statement && !is_statement(call) {
                return Outcome::Skip;
            }
        }
        // The byte range to replace, and whether an insertion needs `NAME=`.
        let (start, end, kw_prefix) = match &self.target {
            Target::Capture(name) => match cap_node(caps, name) {
                Some(n) => (n.start_byte(), n.end_byte(), None),
                None => return Outcome::Skip,
            },
            Target::Before(name) | Target::After(name) => match cap_node(caps, name) {
                Some(n) => {
                    let at = if matches!(self.target, Target::Before(_)) {
                        n.start_byte()
                    } else {
                        n.end_byte()
                    };
                    (at, at, None)
                }
                None => return Outcome::Skip,
            },
            Target::Arg(spec) | Target::SetArg(spec) | Target::DropArg(spec) => {
                let Some(call) = call else {
                    return Outcome::Skip;
                };
                match (spec.find(call, src), &self.target) {
                    (ArgLookup::Found(v), Target::DropArg(_)) => {
                        return match drop_range(call, v) {
                            Some((s, e)) => Outcome::Edit(self.edit(src, s, e, String::new())),
                            None => Outcome::Fail,
                        };
                    }
                    (ArgLookup::Found(v), _) => (v.start_byte(), v.end_byte(), None),
                    (ArgLookup::Absent, Target::SetArg(s)) => match insertion(call) {
                        Some((at, comma)) => {
                            (at, at, Some((s.name.clone().unwrap_or_default(), comma)))
                        }
                        None => return Outcome::Fail,
                    },
                    (ArgLookup::Unknown, Target::SetArg(_)) => return Outcome::Fail,
                    _ => return Outcome::Skip,
                }
            }
            Target::AddArg(name) => {
                let Some(call) = call else {
                    return Outcome::Skip;
                };
                let spec = ArgSpec {
                    name: Some(name.clone()),
                    position: None,
                };
                match spec.find(call, src) {
                    ArgLookup::Absent => match insertion(call) {
                        Some((at, comma)) => (at, at, Some((name.clone(), comma))),
                        None => return Outcome::Fail,
                    },
                    _ => return Outcome::Skip,
                }
            }
        };
        let mut value = String::new();
        for p in &self.pieces {
            match p {
                Piece::Lit(s) => value.push_str(s),
                Piece::Indent => value.push_str(indent_at(src, start)),
                Piece::Cap { source, filter } => {
                    let got = match source {
                        Source::Capture(name) => match cap(caps, name) {
                            Some(c) => Some(c.clone()),
                            None => return Outcome::Skip,
                        },
                        Source::Arg(spec) => match call.map(|c| spec.find(c, src)) {
                            Some(ArgLookup::Found(v)) => Some(Cap::Node(v)),
                            _ => return Outcome::Skip,
                        },
                    };
                    let rendered = match (got, filter) {
                        (Some(Cap::Node(n)), None) => Some(text(n, src).to_string()),
                        (Some(Cap::Text(t)), None) => Some(t),
                        (Some(Cap::Node(n)), Some((f, param))) => {
                            match f.render(n, src, param.as_deref(), cx) {
                                Some(Rendered::Text(t)) => Some(t),
                                // Edits of their own replace the part's: only a part that is
                                // the filter alone, on its own capture, may make them.
                                Some(Rendered::Edits(v))
                                    if self.pieces.len() == 1
                                        && (n.start_byte(), n.end_byte()) == (start, end)
                                        && kw_prefix.is_none() =>
                                {
                                    let edits = v
                                        .into_iter()
                                        .enumerate()
                                        .map(|(i, (s, e, r))| {
                                            let mut x = self.edit(src, s, e, r);
                                            if i > 0 {
                                                x.imports.clear();
                                            }
                                            x
                                        })
                                        .collect();
                                    return Outcome::Many(edits);
                                }
                                _ => None,
                            }
                        }
                        (Some(Cap::Text(t)), Some((f, _))) => f.apply_text(&t),
                        (None, _) => None,
                    };
                    match rendered {
                        Some(r) => value.push_str(&r),
                        None => return Outcome::Fail,
                    }
                }
            }
        }
        let replacement = match kw_prefix {
            Some((name, true)) => format!(", {name}={value}"),
            Some((name, false)) => format!("{name}={value}"),
            None => value,
        };
        Outcome::Edit(self.edit(src, start, end, replacement))
    }

    fn edit(&self, src: &str, start: usize, end: usize, replacement: String) -> Edit {
        Edit {
            span: span_of_bytes(src, start, end),
            start_byte: start,
            end_byte: end,
            replacement,
            description: self.description.clone(),
            imports: self.imports.clone(),
        }
    }
}
