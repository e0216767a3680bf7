//! Which `query` patterns can possibly match a file, decided before any query runs.
//!
//! Most query patterns constrain a capture's text with `#eq?`, `#any-of?` or `#qualname?`. A
//! pattern whose every alternative names a literal can only match a file whose bytes contain
//! one of those literals (for `#qualname?`, the last dotted segment of a name: an import or
//! attribute access always spells it). Such a *gated* rule query is matched (natively, see
//! [`super::query`], or by tree-sitter for unsupported syntax) only on files where one of its
//! literals occurs; one Aho-Corasick pass over the file finds them all (case-insensitively:
//! the same pass serves the literals a pattern's regexes need, see [`super::regex_literals`]).
//! Queries without a usable literal are *ungated*: they run on every file.

use aho_corasick::AhoCorasick;

/// The literals a rule query needs (any one of them), or `None` when it cannot be gated.
///
/// The query text is split into its top-level patterns; each must carry at least one
/// positive `#eq?`, `#any-of?` or `#qualname?` predicate with string arguments, and the
/// pattern's literals are those of its first such predicate. Negated predicates never gate.
pub fn required_literals(query: &str) -> Option<Vec<String>> {
    let mut all = Vec::new();
    let patterns = top_level_patterns(query);
    if patterns.is_empty() {
        return None;
    }
    for p in patterns {
        all.extend(pattern_literals(p)?);
    }
    all.sort();
    all.dedup();
    Some(all)
}

/// Splits query text into top-level patterns (a predicate group at the top level stays with
/// the pattern before it). Strings and `;` comments are skipped.
pub(crate) fn top_level_patterns(q: &str) -> Vec<&str> {
    let b = q.as_bytes();
    let mut out: Vec<(usize, usize)> = Vec::new();
    let (mut depth, mut i, mut start) = (0usize, 0usize, None::<usize>);
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b';' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' | b'[' => {
                if depth == 0 {
                    let is_pred = b.get(i + 1) == Some(&b'#');
                    if !(is_pred && start.is_some()) {
                        if let Some(s) = start.take() {
                            out.push((s, i));
                        }
                        start = Some(i);
                    }
                }
                depth += 1;
            }
            b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    if let Some(s) = start {
        out.push((s, b.len()));
    }
    out.into_iter()
        .map(|(s, e)| &q[s..e.min(q.len())])
        .collect()
}

/// Rejects a top-level alternation followed by predicates (`[(a) (b)] @x (#eq? @x "...")`):
/// tree-sitter splits a top-level alternation into one pattern per alternative and applies
/// the trailing predicates to none of them, so the rule would match without its condition.
pub(crate) fn check_predicates_placement(query: &str) -> Result<(), String> {
    for p in top_level_patterns(query) {
        let b = p.as_bytes();
        if b.first() != Some(&b'[') {
            continue;
        }
        let (mut depth, mut i) = (0usize, 0usize);
        while i < b.len() {
            match b[i] {
                b'"' => {
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                }
                b';' => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'(' | b'[' => depth += 1,
                b')' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        if p.get(i..).is_some_and(|rest| rest.contains("(#")) {
            let head: String = p.chars().take(40).collect();
            return Err(format!(
                "query: a predicate after the top-level alternation `{}…` is ignored by \
                 tree-sitter; put the predicate inside each alternative, or wrap the \
                 alternation in a parent node",
                head.split_whitespace().collect::<Vec<_>>().join(" ")
            ));
        }
    }
    Ok(())
}

/// The literals of the first positive literal predicate of one pattern.
fn pattern_literals(p: &str) -> Option<Vec<String>> {
    let b = p.as_bytes();
    let mut i = 0;
    while let Some(off) = p[i..].find("(#") {
        let at = i + off + 2;
        let name_end = p[at..]
            .find(|c: char| c.is_whitespace() || c == ')')
            .map_or(p.len(), |e| at + e);
        let op = &p[at..name_end];
        i = name_end;
        if !matches!(op, "eq?" | "any-of?" | "qualname?") {
            continue;
        }
        // Arguments up to the closing parenthesis: captures and strings.
        let mut lits = Vec::new();
        let mut j = name_end;
        let mut only_strings_after_capture = true;
        let mut seen_capture = false;
        while j < b.len() && b[j] != b')' {
            match b[j] {
                b'"' => {
                    let mut s = String::new();
                    j += 1;
                    while j < b.len() && b[j] != b'"' {
                        if b[j] == b'\\' && j + 1 < b.len() {
                            j += 1;
                            let ch = p[j..].chars().next()?;
                            s.push(match ch {
                                'n' => '\n',
                                't' => '\t',
                                c => c,
                            });
                            j += ch.len_utf8() - 1;
                        } else {
                            // Multi-byte UTF-8: copy the whole char.
                            let ch = p[j..].chars().next()?;
                            s.push(ch);
                            j += ch.len_utf8() - 1;
                        }
                        j += 1;
                    }
                    lits.push(s);
                }
                b'@' => {
                    if seen_capture {
                        only_strings_after_capture = false;
                    }
                    seen_capture = true;
                }
                _ => {}
            }
            j += 1;
        }
        if !only_strings_after_capture || lits.is_empty() {
            continue;
        }
        let lits: Option<Vec<String>> = lits
            .into_iter()
            .map(|l| {
                let l = if op == "qualname?" {
                    let last = l.rsplit('.').next().unwrap_or("").to_string();
                    if last.contains('*') {
                        return None;
                    }
                    last
                } else {
                    l
                };
                (!l.is_empty()).then_some(l)
            })
            .collect();
        if let Some(l) = lits {
            return Some(l);
        }
    }
    None
}

/// One Aho-Corasick automaton over every gate's literals, matched ASCII-case-insensitively
/// (a superset of exact matches: a gate may open needlessly, never stay shut wrongly).
#[derive(Debug)]
pub struct Gates {
    ac: Option<AhoCorasick>,
    /// For each literal of the automaton, the gates it opens.
    opens: Vec<Vec<u32>>,
    /// Per gate: whether its literals hold for ASCII files only (regex literals, see
    /// [`crate::rules::regex_literals`]); such a gate is open on every other file.
    ascii_only: Vec<bool>,
}

impl Gates {
    /// Builds the automaton; `gates[i]` are the literals of gate `i`, and `ascii_only[i]`
    /// (false when missing) says whether they bind ASCII files only.
    pub fn new(gates: &[Vec<String>], ascii_only: &[bool]) -> Gates {
        let mut lits: Vec<String> = Vec::new();
        let mut opens: Vec<Vec<u32>> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        for (qi, g) in gates.iter().enumerate() {
            for l in g {
                let key = l.to_ascii_lowercase();
                match index.get(&key) {
                    Some(&k) => opens[k].push(qi as u32),
                    None => {
                        index.insert(key.clone(), lits.len());
                        lits.push(key);
                        opens.push(vec![qi as u32]);
                    }
                }
            }
        }
        let ac = if lits.is_empty() {
            None
        } else {
            // A full DFA: one table lookup per byte. Every file's whole text goes through
            // it, and the default (a contiguous NFA for this many literals) follows failure
            // transitions in the overlapping search.
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(&lits)
                .ok()
        };
        let ascii_only = (0..gates.len())
            .map(|i| ascii_only.get(i).copied().unwrap_or(false))
            .collect();
        // Without an automaton (cannot happen with plain literals), every gate stays open.
        Gates {
            ac,
            opens,
            ascii_only,
        }
    }

    /// Whether there is no gate.
    pub fn is_empty(&self) -> bool {
        self.ascii_only.is_empty()
    }

    /// Which gates are open for `text`, as a flag per gate.
    pub fn open_for(&self, text: &str) -> Vec<bool> {
        let count = self.ascii_only.len();
        let Some(ac) = &self.ac else {
            return vec![true; count];
        };
        let mut open = if text.is_ascii() {
            vec![false; count]
        } else {
            self.ascii_only.clone()
        };
        let mut seen = vec![false; self.opens.len()];
        let mut left = self.opens.len();
        for m in ac.find_overlapping_iter(text) {
            let k = m.pattern().as_usize();
            if !seen[k] {
                seen[k] = true;
                left -= 1;
                for &q in &self.opens[k] {
                    open[q as usize] = true;
                }
                if left == 0 {
                    break;
                }
            }
        }
        open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_from_positive_predicates_only() {
        let q = r#"((call function: (identifier) @f) @match (#eq? @f "eval"))"#;
        assert_eq!(required_literals(q), Some(vec!["eval".to_string()]));
        let q = r#"((call function: (_) @f) @match (#qualname? @f "os.system" "subprocess.*"))"#;
        assert_eq!(required_literals(q), None, "a member wildcard cannot gate");
        let q = r#"((call function: (_) @f) @match (#not-eq? @f "x") (#qualname? @f "pickle.loads" "*.execute"))"#;
        assert_eq!(
            required_literals(q),
            Some(vec!["execute".to_string(), "loads".to_string()])
        );
        let q = r#"((string) @match (#match? @match "AKIA"))"#;
        assert_eq!(required_literals(q), None);
        let q = r#"((identifier) @match (#eq? @match @match))"#;
        assert_eq!(required_literals(q), None);
    }

    #[test]
    fn every_top_level_pattern_must_be_gated() {
        let q =
            "((identifier) @match (#eq? @match \"a\"))\n; comment with ( \"x\"\n((string) @match)";
        assert_eq!(required_literals(q), None);
        let q = "((identifier) @match (#eq? @match \"a\"))\n[(integer) (float)] @match (#any-of? @match \"1\" \"2\")";
        assert_eq!(
            required_literals(q),
            Some(vec!["1".into(), "2".into(), "a".into()])
        );
    }

    #[test]
    fn gates_open_only_on_files_with_a_literal() {
        let g = Gates::new(
            &[
                vec!["eval".into()],
                vec!["loads".into(), "eval".into()],
                vec!["zzz".into()],
                vec![],
            ],
            &[false, false, false, true],
        );
        assert_eq!(g.open_for("x = eval(y)"), vec![true, true, false, false]);
        assert_eq!(
            g.open_for("pickle.loads(b)"),
            vec![false, true, false, false]
        );
        assert_eq!(g.open_for("print(1)"), vec![false, false, false, false]);
        // Case-insensitive: a gate may open needlessly, never stay shut wrongly.
        assert_eq!(g.open_for("EVAL"), vec![true, true, false, false]);
        // A file outside ASCII opens every ASCII-only gate.
        assert_eq!(g.open_for("s = 'é'"), vec![false, false, false, true]);
    }
}
