//! Splitting a file into the regions the model looks at: one per top-level function or class
//! (methods of a class that is too big on their own), plus the module-level statements between
//! them, each with its enclosing context (the file's import lines and the class header).
//!
//! Chunking by definition keeps every model question small and makes the LLM cache work per
//! function: editing one function changes only that chunk's text.

use tree_sitter::{Node, Parser};

use crate::syntax_fields::{KindName, FIELD};

/// One region of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// 1-based, inclusive.
    pub start_line: usize,
    pub end_line: usize,
    /// Lines shown before the chunk as context (imports, enclosing class header), sorted,
    /// none inside the chunk.
    pub context_lines: Vec<usize>,
    /// `function name`, `class Name`, `Name.method` or `module`.
    pub name: String,
}

impl Chunk {
    pub fn contains(&self, line: usize) -> bool {
        (self.start_line..=self.end_line).contains(&line)
    }

    /// The chunk as numbered lines, context first, separated by `...` when not adjacent.
    pub fn render(&self, text: &str) -> String {
        let mut parts = Vec::new();
        let mut last = 0usize;
        for &l in &self.context_lines {
            if last != 0 && l > last + 1 {
                parts.push("...".to_string());
            }
            parts.push(super::prompts::numbered(text, l, l));
            last = l;
        }
        if last != 0 && self.start_line > last + 1 {
            parts.push("...".to_string());
        }
        parts.push(super::prompts::numbered(
            text,
            self.start_line,
            self.end_line,
        ));
        parts.join("\n")
    }

    /// The exact text the chunk shows (context and body): what its cache key hashes.
    pub fn key_text(&self, text: &str) -> String {
        let lines: Vec<&str> = text.lines().collect();
        let mut s = String::new();
        for &l in self.context_lines.iter().chain(&[usize::MAX]) {
            if l == usize::MAX {
                break;
            }
            s.push_str(lines.get(l - 1).copied().unwrap_or(""));
            s.push('\n');
        }
        s.push_str("\u{0}\n");
        for l in self.start_line..=self.end_line {
            s.push_str(lines.get(l - 1).copied().unwrap_or(""));
            s.push('\n');
        }
        s
    }
}

/// Splits `text` into chunks of at most `max_lines` lines each (a definition longer than that
/// is cut into windows). Blank-only regions are dropped. Never fails: unparsable text is
/// chunked by line windows.
pub fn chunks(text: &str, max_lines: usize) -> Vec<Chunk> {
    let max_lines = max_lines.max(5);
    let total = text.lines().count();
    if total == 0 {
        return Vec::new();
    }
    let mut parser = Parser::new();
    let tree = parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .ok()
        .and_then(|_| parser.parse(text, None));
    let lines: Vec<&str> = text.lines().collect();
    let Some(tree) = tree else {
        return windows(1, total, &[], "module", max_lines, &lines);
    };
    let root = tree.root_node();
    let import_lines = import_lines(root);
    let mut out = Vec::new();
    let mut pending_start: Option<usize> = None;
    let mut cursor = root.walk();
    let children: Vec<Node> = root.named_children(&mut cursor).collect();
    for (i, child) in children.iter().enumerate() {
        let s = child.start_position().row + 1;
        let e = child.end_position().row + 1;
        let def = definition(*child, text);
        match def {
            Some((kind, name, inner)) => {
                if let Some(ps) = pending_start.take() {
                    out.extend(windows(
                        ps,
                        s - 1,
                        &import_lines,
                        "module",
                        max_lines,
                        &lines,
                    ));
                }
                if kind == "class" && e - s + 1 > max_lines {
                    // Class too long: header statements and each method separately.
                    let header = inner.start_position().row + 1;
                    let mut ctx = import_lines.clone();
                    ctx.extend(s..=header);
                    let mut c = inner.walk();
                    let mut free: Option<usize> = None;
                    let members: Vec<Node> = inner
                        .child_by_field_id(FIELD.body)
                        .map(|b| b.named_children(&mut c).collect())
                        .unwrap_or_default();
                    for m in members {
                        let ms = m.start_position().row + 1;
                        let me = m.end_position().row + 1;
                        if let Some((_, mname, _)) = definition(m, text) {
                            if let Some(fs) = free.take() {
                                out.extend(windows(
                                    fs,
                                    ms - 1,
                                    &ctx,
                                    &format!("class {name}"),
                                    max_lines,
                                    &lines,
                                ));
                            }
                            out.extend(windows(
                                ms,
                                me,
                                &ctx,
                                &format!("{name}.{mname}"),
                                max_lines,
                                &lines,
                            ));
                        } else if free.is_none() {
                            free = Some(ms);
                        }
                    }
                    if let Some(fs) = free {
                        out.extend(windows(
                            fs,
                            e,
                            &ctx,
                            &format!("class {name}"),
                            max_lines,
                            &lines,
                        ));
                    }
                } else {
                    out.extend(windows(
                        s,
                        e,
                        &import_lines,
                        &format!("{kind} {name}"),
                        max_lines,
                        &lines,
                    ));
                }
            }
            None => {
                if pending_start.is_none() {
                    pending_start = Some(s);
                }
                if i + 1 == children.len() {
                    if let Some(ps) = pending_start.take() {
                        out.extend(windows(
                            ps,
                            e.min(total),
                            &import_lines,
                            "module",
                            max_lines,
                            &lines,
                        ));
                    }
                }
            }
        }
    }
    if let Some(ps) = pending_start {
        out.extend(windows(
            ps,
            total,
            &import_lines,
            "module",
            max_lines,
            &lines,
        ));
    }
    out
}

/// `(kind, name, definition node)` of a function/class (looking through decorators).
fn definition<'t>(n: Node<'t>, src: &str) -> Option<(&'static str, String, Node<'t>)> {
    let inner = if n.kind_name() == "decorated_definition" {
        n.child_by_field_id(FIELD.definition)?
    } else {
        n
    };
    let kind = match inner.kind_name() {
        "function_definition" => "function",
        "class_definition" => "class",
        _ => return None,
    };
    let name = inner
        .child_by_field_id(FIELD.name)
        .and_then(|x| src.get(x.start_byte()..x.end_byte()))
        .unwrap_or("")
        .to_string();
    Some((kind, name, inner))
}

/// Lines of top-level import statements.
fn import_lines(root: Node) -> Vec<usize> {
    let mut c = root.walk();
    let mut v: Vec<usize> = root
        .named_children(&mut c)
        .filter(|n| {
            matches!(
                n.kind_name(),
                "import_statement" | "import_from_statement" | "future_import_statement"
            )
        })
        .flat_map(|n| (n.start_position().row + 1)..=(n.end_position().row + 1))
        .collect();
    v.dedup();
    v
}

/// `start..=end` as chunks of at most `max` lines, skipping blank-only ones; context lines
/// inside a chunk are dropped from its context.
fn windows(
    start: usize,
    end: usize,
    ctx: &[usize],
    name: &str,
    max: usize,
    lines: &[&str],
) -> Vec<Chunk> {
    let mut out = Vec::new();
    let mut s = start;
    while s <= end {
        let e = (s + max - 1).min(end);
        let blank = (s..=e).all(|l| lines.get(l - 1).is_none_or(|t| t.trim().is_empty()));
        if !blank {
            let context_lines: Vec<usize> = ctx.iter().copied().filter(|&l| l < s).collect();
            out.push(Chunk {
                start_line: s,
                end_line: e,
                context_lines,
                name: name.to_string(),
            });
        }
        s = e + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "import os\nimport subprocess\n\nX = 1\n\ndef a(x):\n    os.system(x)\n\n\nclass K:\n    y = 2\n\n    def m(self):\n        return 1\n\n    def n(self):\n        return 2\n\nprint(X)\n";

    #[test]
    fn splits_by_definition_with_import_context() {
        let c = chunks(SRC, 40);
        let names: Vec<&str> = c.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["module", "function a", "class K", "module"]);
        assert_eq!((c[1].start_line, c[1].end_line), (6, 7));
        assert_eq!(c[1].context_lines, vec![1, 2]);
        assert!(
            c[1].render(SRC)
                .starts_with("1 import os\n2 import subprocess\n...\n6 def a(x):"),
            "{}",
            c[1].render(SRC)
        );
    }

    #[test]
    fn big_classes_are_split_into_methods_with_the_header_as_context() {
        let c = chunks(SRC, 5);
        let names: Vec<&str> = c.iter().map(|c| c.name.as_str()).collect();
        assert!(
            names.contains(&"K.m") && names.contains(&"K.n"),
            "{names:?}"
        );
        let m = c.iter().find(|c| c.name == "K.m").unwrap();
        assert!(m.context_lines.contains(&10));
        assert_eq!((m.start_line, m.end_line), (13, 14));
    }

    #[test]
    fn editing_one_function_changes_only_its_key() {
        let edited = SRC.replace("return 2", "return 3");
        let a = chunks(SRC, 5);
        let b = chunks(&edited, 5);
        let changed: Vec<&str> = a
            .iter()
            .zip(&b)
            .filter(|(x, y)| x.key_text(SRC) != y.key_text(&edited))
            .map(|(x, _)| x.name.as_str())
            .collect();
        assert_eq!(changed, vec!["K.n"]);
    }
}
