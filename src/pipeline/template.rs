//! Applying a rule's fix template to a file: its edits (byte ranges of the current text), then
//! the imports the template declares ([`crate::rules::schema::FixTemplate::imports`]).
//!
//! An import is added only when the replacement's name does not already refer to it: the
//! name is resolved at each edit through the file's scopes ([`super::names`]). If it already
//! means the same import (`import hashlib`, `import hashlib.foo`, `import a.b as c` for
//! `import a.b as c`...), nothing is added; a plain `import a.b` is also added next to another
//! `import a.c` (both bind the package `a`, and only the new one loads `a.b`); if the name
//! means something else (a parameter, a variable, another import), the template does not apply
//! ([`TemplateError::Conflict`]).
//!
//! A new import goes after the last statement of the file's first block of top-level imports
//! (a plain `import x` goes among the block's leading plain imports, in alphabetical order);
//! with no such block, after the module docstring and `from __future__` imports (or leading
//! comments such as a shebang), followed by a blank line. It never goes below code that uses
//! it at module level.
//!
//! An import the edits made unused is removed (see [`unused`]): `from hashlib import md5` once
//! `md5(data)` became `hashlib.sha256(data)` and nothing else mentions `md5`.

use tree_sitter::{Node, Parser};

use super::names::{self, BindingKind, Resolution};
use crate::finding::{Edit, ImportEdit};
use crate::rules::schema::ImportSpec;
use crate::syntax_fields::KindName;

/// A template applied to a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplatePatch {
    /// The patched text.
    pub text: String,
    /// 1-based first and last line of the edited region in `text` (the finding's lines
    /// included).
    pub region: (usize, usize),
    /// The import statements added, in order.
    pub added_imports: Vec<String>,
    /// The import statements removed because the edits made them unused, in order.
    pub removed_imports: Vec<String>,
    /// The whole-line changes made outside the edits for those imports, in order.
    pub line_changes: Vec<LineChange>,
}

/// A whole-line change: lines `line..line + deleted` of the text as it was just before this
/// change (1-based) replaced by `text` (whole lines, each ending in `\n`; empty to delete).
/// An insertion deletes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineChange {
    pub line: usize,
    pub deleted: usize,
    pub text: String,
}

impl LineChange {
    /// How many lines `text` holds.
    pub fn inserted(&self) -> usize {
        self.text.matches('\n').count()
    }

    /// Where 1-based `line` of the text before the change is after it (a line the change
    /// replaced maps to where the change is).
    pub fn forward(&self, line: usize) -> usize {
        if line >= self.line + self.deleted {
            line + self.inserted() - self.deleted
        } else {
            line.min(self.line)
        }
    }

    /// Where 1-based `line` of the text after the change was before it (a line the change
    /// inserted maps to where the change is).
    pub fn back(&self, line: usize) -> usize {
        if line >= self.line + self.inserted() {
            line + self.deleted - self.inserted()
        } else {
            line.min(self.line)
        }
    }
}

/// Why a template does not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the template's edits overlap or fall outside the text")]
    BadEdits,
    #[error("invalid import in a fix template: {0}")]
    BadImport(String),
    #[error("the file does not parse, so `{0}` cannot be placed")]
    Unparsable(String),
    #[error("`{name}` already means something else where the fix uses it; `{statement}` would change it")]
    Conflict { name: String, statement: String },
}

/// Where 1-based `line` of the text after `changes` (applied in order) was before them.
pub fn line_before(line: usize, changes: &[LineChange]) -> usize {
    changes.iter().rev().fold(line, |l, c| c.back(l))
}

/// The changes `made` after `earlier` ones, as import edits in the lines of the text before
/// `earlier` (the scanned file, for the fixer).
pub fn import_edits(earlier: &[LineChange], made: &[LineChange]) -> Vec<ImportEdit> {
    let mut all = earlier.to_vec();
    let mut out = Vec::new();
    for c in made {
        out.push(ImportEdit {
            line: line_before(c.line, &all),
            deleted_lines: c.deleted,
            text: c.text.clone(),
        });
        all.push(c.clone());
    }
    out
}

/// Applies `edits` (byte ranges of `text`, non-overlapping) and adds the imports they
/// declare. `start..=end` are the finding's lines, always part of the region.
pub fn apply_template(
    text: &str,
    edits: &[Edit],
    start: usize,
    end: usize,
) -> Result<TemplatePatch, TemplateError> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| std::cmp::Reverse(e.start_byte));
    let mut out = text.to_string();
    let mut prev_start = usize::MAX;
    for e in &sorted {
        if e.end_byte > prev_start
            || e.start_byte > e.end_byte
            || e.end_byte > out.len()
            || !out.is_char_boundary(e.start_byte)
            || !out.is_char_boundary(e.end_byte)
        {
            return Err(TemplateError::BadEdits);
        }
        out.replace_range(e.start_byte..e.end_byte, &e.replacement);
        prev_start = e.start_byte;
    }
    let first = edits
        .iter()
        .map(|e| e.span.start_line)
        .min()
        .ok_or(TemplateError::BadEdits)?
        .min(start);
    let last = edits
        .iter()
        .map(|e| e.span.end_line)
        .max()
        .unwrap_or(end)
        .max(end);
    let delta = out.lines().count() as isize - text.lines().count() as isize;
    let mut region = (
        first,
        ((last as isize) + delta).max(first as isize) as usize,
    );

    // Where each edit's replacement now starts: edits before it shifted it by their length
    // change (edits never overlap).
    let new_start = |e: &Edit| -> usize {
        let shift: isize = edits
            .iter()
            .filter(|o| o.start_byte < e.start_byte)
            .map(|o| o.replacement.len() as isize - (o.end_byte - o.start_byte) as isize)
            .sum();
        (e.start_byte as isize + shift).max(0) as usize
    };
    let mut specs: Vec<(ImportSpec, Vec<usize>)> = Vec::new();
    for e in edits {
        for i in &e.imports {
            let spec = ImportSpec::parse(i).map_err(TemplateError::BadImport)?;
            // A part declares the imports it may need; an edit that does not name what one
            // binds (a filter that used the file's own `escape` instead of `html.escape`)
            // does not need it.
            if !words(&e.replacement).iter().any(|(_, w)| *w == spec.binds) {
                continue;
            }
            let at = new_start(e);
            match specs
                .iter_mut()
                .find(|(s, _)| s.statement == spec.statement)
            {
                Some((_, uses)) => uses.push(at),
                None => specs.push((spec, vec![at])),
            }
        }
    }
    let mut added_imports = Vec::new();
    let mut line_changes: Vec<LineChange> = Vec::new();
    for k in 0..specs.len() {
        let Some(ins) = add_import(&out, &specs[k].0, &specs[k].1)? else {
            continue;
        };
        // The insertion moved the later imports' uses down.
        for (_, uses) in &mut specs[k + 1..] {
            for u in uses.iter_mut().filter(|u| **u >= ins.at) {
                *u += ins.len;
            }
        }
        let change = ins.change;
        if change.line <= region.0 {
            region = (change.forward(region.0), change.forward(region.1));
        } else if change.line <= region.1 {
            region.1 += change.inserted();
        }
        out = ins.text;
        added_imports.push(specs[k].0.statement.clone());
        line_changes.push(change);
    }
    // Imports whose only use the edits replaced.
    let mut removed_imports = Vec::new();
    for (name, at) in replaced_names(text, edits) {
        let Some(r) = unused::remove(text, at, &name, &out) else {
            continue;
        };
        if r.change.line + r.change.deleted > region.0 {
            continue;
        }
        region = (r.change.forward(region.0), r.change.forward(region.1));
        out = r.text;
        removed_imports.push(r.statement);
        line_changes.push(r.change);
    }
    Ok(TemplatePatch {
        text: out,
        region,
        added_imports,
        removed_imports,
        line_changes,
    })
}

/// The names the edits replaced a read of, with the byte where that read starts in `text`:
/// `md5` for `md5(` → `hashlib.sha256(`, `random` for `random.choice` → `secrets.choice`,
/// `traceback` for `traceback.format_exc()` → `"internal error"`: each name the replaced text
/// reads that the replacement no longer does, at its first offset (whether it is left unused
/// is for [`unused::remove`] to prove).
fn replaced_names(text: &str, edits: &[Edit]) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for e in edits {
        let Some(old) = text.get(e.start_byte..e.end_byte) else {
            continue;
        };
        let kept = words(&e.replacement);
        for (offset, name) in words(old) {
            let is_name = name.chars().next().is_some_and(|c| !c.is_ascii_digit());
            let dotted = old[..offset].ends_with('.');
            if is_name
                && !dotted
                && !kept.iter().any(|(_, k)| *k == name)
                && !out.iter().any(|(n, _)| n == name)
            {
                out.push((name.to_string(), e.start_byte + offset));
            }
        }
    }
    out
}

/// The identifier-like words of a text, with their byte offsets.
fn words(t: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in t.char_indices().chain(std::iter::once((t.len(), ' '))) {
        let word = c.is_alphanumeric() || c == '_';
        match (word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, &t[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// One import added to a text.
struct Insertion {
    /// Byte offset and length of the inserted text.
    at: usize,
    len: usize,
    change: LineChange,
    /// The new text.
    text: String,
}

/// Adds `spec` to `text` unless the name already refers to it at every use (byte offsets);
/// `None` when nothing is needed.
fn add_import(
    text: &str,
    spec: &ImportSpec,
    uses: &[usize],
) -> Result<Option<Insertion>, TemplateError> {
    let analysis =
        names::analyze(text).ok_or_else(|| TemplateError::Unparsable(spec.statement.clone()))?;
    let conflict = || TemplateError::Conflict {
        name: spec.binds.clone(),
        statement: spec.statement.clone(),
    };
    let mut missing = false;
    for &at in uses {
        match analysis.resolve_at(&spec.binds, at) {
            Resolution::Scope(s) => {
                let kinds = analysis.scopes[s]
                    .names
                    .get(&spec.binds)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                let same = kinds.iter().any(
                    |k| matches!(k, BindingKind::Import { target } if spec.covered_by(target)),
                );
                // `import a.b` next to `import a.c`: both bind `a` to the package, and the
                // new one also loads `a.b`.
                let same_package = spec.is_plain()
                    && !kinds.is_empty()
                    && kinds.iter().all(|k| {
                        matches!(k, BindingKind::Import { target }
                            if target.split('.').next() == Some(spec.binds.as_str()))
                    });
                if same {
                    continue;
                }
                if !same_package {
                    return Err(conflict());
                }
                missing = true;
            }
            Resolution::Unresolved => missing = true,
            Resolution::Builtin | Resolution::Declared => return Err(conflict()),
        }
    }
    if !missing {
        return Ok(None);
    }
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .map_err(|_| TemplateError::Unparsable(spec.statement.clone()))?;
    let tree = parser
        .parse(text, None)
        .ok_or_else(|| TemplateError::Unparsable(spec.statement.clone()))?;
    let first_use = uses.iter().copied().min().unwrap_or(usize::MAX);
    let (at, insert) = placement(text, tree.root_node(), &spec.statement, first_use);
    let mut new_text = String::with_capacity(text.len() + insert.len());
    new_text.push_str(&text[..at]);
    new_text.push_str(&insert);
    new_text.push_str(&text[at..]);
    // `at` is a line start, or the end of a text whose last line has no newline: then the
    // change rewrites that last line with its newline added.
    let change = if at == text.len() && insert.starts_with('\n') {
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        LineChange {
            line: text[..at].matches('\n').count() + 1,
            deleted: 1,
            text: format!("{}{insert}", &text[line_start..]),
        }
    } else {
        LineChange {
            line: text[..at].matches('\n').count() + 1,
            deleted: 0,
            text: insert.clone(),
        }
    };
    Ok(Some(Insertion {
        at,
        len: insert.len(),
        change,
        text: new_text,
    }))
}

fn is_import(n: &Node) -> bool {
    matches!(n.kind_name(), "import_statement" | "import_from_statement")
}

/// Where to insert `statement` and the exact text to insert there.
fn placement(text: &str, root: Node, statement: &str, first_use: usize) -> (usize, String) {
    let mut cursor = root.walk();
    let stmts: Vec<Node> = root
        .named_children(&mut cursor)
        .filter(|n| n.kind_name() != "comment")
        .collect();
    // The header: a docstring, then `from __future__` imports.
    let mut i = 0;
    let mut header: Option<Node> = None;
    if let Some(s) = stmts.first() {
        let only_string = s.kind_name() == "expression_statement"
            && s.named_child_count() == 1
            && s.named_child(0)
                .is_some_and(|c| matches!(c.kind_name(), "string" | "concatenated_string"));
        if only_string {
            header = Some(*s);
            i = 1;
        }
    }
    while let Some(s) = stmts
        .get(i)
        .filter(|s| s.kind_name() == "future_import_statement")
    {
        header = Some(*s);
        i += 1;
    }
    // The first block of top-level imports: group the new one with it.
    if let Some(first) = stmts[i.min(stmts.len())..].iter().position(is_import) {
        let block = &stmts[i + first..];
        let n = block.iter().take_while(|s| is_import(s)).count();
        let last = block[n - 1];
        // A plain `import x` keeps the alphabetical order of a group of plain imports, as
        // isort would: the group that imports the same package, else the block's first.
        let sorted_at = statement
            .starts_with("import ")
            .then(|| sorted_place(text, &block[..n], statement))
            .flatten();
        if let Some(at) = sorted_at.filter(|at| *at <= first_use) {
            return (at, format!("{statement}\n"));
        }
        let at = after_line(text, last.end_byte());
        if at <= first_use {
            return if at == text.len() && !text.is_empty() && !text.ends_with('\n') {
                (at, format!("\n{statement}\n"))
            } else {
                (at, format!("{statement}\n"))
            };
        }
    }
    // A new block after the header (or after leading comments such as a shebang).
    let mut at = match header {
        Some(h) => after_line(text, h.end_byte()),
        None => {
            let mut at = 0;
            for l in text.split_inclusive('\n') {
                if l.trim_start().starts_with('#') {
                    at += l.len();
                } else {
                    break;
                }
            }
            at
        }
    };
    if at == text.len() && !text.is_empty() && !text.ends_with('\n') {
        return (at, format!("\n{statement}\n"));
    }
    if at > 0 {
        // Skip the blank lines after the header.
        for l in text[at..].split_inclusive('\n') {
            if l.trim().is_empty() && at + l.len() <= first_use {
                at += l.len();
            } else {
                break;
            }
        }
    }
    let next_blank = text[at..]
        .lines()
        .next()
        .is_none_or(|l| l.trim().is_empty());
    if next_blank {
        (at, format!("{statement}\n"))
    } else {
        (at, format!("{statement}\n\n"))
    }
}

/// Where the plain import `statement` goes in alphabetical order among the plain imports of
/// one group (statements not parted by a blank line) of `block`.
fn sorted_place<'t>(text: &str, block: &[Node<'t>], statement: &str) -> Option<usize> {
    let mut groups: Vec<Vec<Node<'t>>> = Vec::new();
    for (i, s) in block.iter().enumerate() {
        let parted = i > 0 && {
            let between = &text[block[i - 1].end_byte()..s.start_byte()];
            let lines: Vec<&str> = between.split('\n').collect();
            lines.len() > 2
                && lines[1..lines.len() - 1]
                    .iter()
                    .any(|l| l.trim().is_empty())
        };
        if i == 0 || parted {
            groups.push(Vec::new());
        }
        if let Some(g) = groups.last_mut() {
            g.push(*s);
        }
    }
    let package = |t: &str| {
        let t = t.trim_start_matches("import").trim_start();
        t.split(['.', ' ', ',']).next().unwrap_or("").to_string()
    };
    let plain = |g: &Vec<Node<'t>>| -> Vec<Node<'t>> {
        g.iter()
            .copied()
            .filter(|s| s.kind_name() == "import_statement")
            .collect()
    };
    let mine = package(statement);
    let group = groups
        .iter()
        .map(plain)
        .find(|g| g.iter().any(|s| package(&text[s.byte_range()]) == mine))
        .or_else(|| groups.first().map(plain))
        .filter(|g| !g.is_empty())?;
    let key = statement.to_lowercase();
    Some(
        match group
            .iter()
            .find(|s| text[s.byte_range()].to_lowercase() > key)
        {
            Some(s) => s.start_byte(),
            None => after_line(text, group[group.len() - 1].end_byte()),
        },
    )
}

/// The start of the line after the one containing byte `end - 1` (the text's end if none).
fn after_line(text: &str, end: usize) -> usize {
    let end = end.min(text.len());
    match text[end..].find('\n') {
        Some(i) => end + i + 1,
        None => text.len(),
    }
}

#[cfg(test)]
mod tests;
mod unused;
