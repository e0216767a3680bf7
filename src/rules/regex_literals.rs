//! Literals that every match of a regex contains: a file in which none of them occurs cannot
//! hold a match, so a pattern whose `#match?` predicate needs that regex can be skipped there
//! (the engine's literal gate, [`super::query_gate::Gates`]).
//!
//! The analysis reads the regex's syntax tree (regex-syntax's `Hir`) and keeps only what a
//! match consumes: look-arounds (`^`, `\b`) add nothing. Each consumed position is the set of
//! ASCII bytes it may match, folded to lower case (the gate matches case-insensitively), so
//! `(?i)ignore` needs `ignore` and `['"]::['"]` needs one of four quoted `::`. A
//! concatenation needs the best of its parts: a run of narrow positions, or a part that needs
//! literals of its own; an alternation needs one literal of each alternative; a repetition
//! with a minimum of one needs what its body needs.
//!
//! The literals hold for ASCII text only: under `(?i)`, `k` also matches the Kelvin sign and
//! `s` the long s, and a class of only non-ASCII characters needs "no match at all" on ASCII
//! text. The gate therefore applies them to files that are pure ASCII (most) and leaves every
//! pattern open on the others.

use regex_syntax::hir::{Class, Hir, HirKind};

/// A position wider than this many (lower-cased ASCII) bytes ends a literal run.
const MAX_POSITION: usize = 4;
/// At most this many literals per set (runs and alternations beyond it are not used).
const MAX_LITERALS: usize = 64;
/// Literals shorter than this open the gate on almost every file: such a set is not used.
const MIN_LEN: usize = 3;

/// The literals (lower case) one of which every match of `pattern` (a `regex::bytes` pattern)
/// contains on ASCII text; `Some(vec![])` when it cannot match ASCII text at all; `None` when
/// no useful set is known.
pub(crate) fn required(pattern: &str) -> Option<Vec<Vec<u8>>> {
    // On ASCII text a regex matches what its ASCII reading matches (`\w`, `\s`, `(?i)` and
    // negated classes differ only on non-ASCII characters), and the ASCII reading translates
    // several times faster: Unicode case folding and classes were 8% of a one-file scan.
    // Patterns that need Unicode (`\p{..}`) fall back to the Unicode reading.
    from_hir(&parse(pattern, false).or_else(|| parse(pattern, true))?)
}

/// [`required`] from the Unicode reading alone (to check that the ASCII reading agrees).
#[cfg(test)]
pub(crate) fn required_in_unicode(pattern: &str) -> Option<Vec<Vec<u8>>> {
    from_hir(&parse(pattern, true)?)
}

fn from_hir(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let set = needs(hir)?;
    let shortest = set.iter().map(Vec::len).min().unwrap_or(usize::MAX);
    (shortest >= MIN_LEN).then_some(set)
}

/// `pattern`'s syntax tree, with Unicode classes and case folding or without.
fn parse(pattern: &str, unicode: bool) -> Option<Hir> {
    regex_syntax::ParserBuilder::new()
        .utf8(false)
        .unicode(unicode)
        .build()
        .parse(pattern)
        .ok()
}

/// What one consumed position (a class) may match: lower-cased ASCII bytes, sorted; `None`
/// when wider than [`MAX_POSITION`] or not a class.
fn position(hir: &Hir) -> Option<Vec<u8>> {
    // Both class kinds as code point ranges; only their ASCII parts count.
    let ranges: Vec<(u32, u32)> = match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => c
            .iter()
            .map(|r| (r.start().into(), r.end().into()))
            .collect(),
        HirKind::Class(Class::Bytes(c)) => c
            .iter()
            .map(|r| (r.start().into(), r.end().into()))
            .collect(),
        _ => return None,
    };
    let mut bytes = Vec::new();
    for (start, end) in ranges.into_iter().filter(|&(s, _)| s < 0x80) {
        let end = end.min(0x7f);
        if end - start >= 2 * MAX_POSITION as u32 {
            return None;
        }
        bytes.extend((start..=end).map(|b| (b as u8).to_ascii_lowercase()));
    }
    bytes.sort_unstable();
    bytes.dedup();
    (bytes.len() <= MAX_POSITION).then_some(bytes)
}

/// Whether `a` is a better requirement than `b`: an impossible one, else longer shortest
/// literal, else fewer literals.
pub(crate) fn better(a: &[Vec<u8>], b: &[Vec<u8>]) -> bool {
    let key = |s: &[Vec<u8>]| {
        let shortest = s.iter().map(Vec::len).min().unwrap_or(usize::MAX);
        (shortest, std::cmp::Reverse(s.len()))
    };
    key(a) > key(b)
}

fn needs(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Literal(l) => Some(if l.0.is_ascii() {
            vec![l.0.to_ascii_lowercase()]
        } else {
            Vec::new()
        }),
        HirKind::Class(_) => {
            let bytes = position(hir)?;
            Some(bytes.into_iter().map(|b| vec![b]).collect())
        }
        HirKind::Repetition(r) if r.min >= 1 => needs(&r.sub),
        HirKind::Repetition(_) => None,
        HirKind::Capture(c) => needs(&c.sub),
        HirKind::Concat(parts) => concat(parts),
        HirKind::Alternation(alts) => {
            let mut all: Vec<Vec<u8>> = Vec::new();
            for a in alts {
                all.extend(needs(a)?);
            }
            all.sort();
            all.dedup();
            (all.len() <= MAX_LITERALS).then_some(all)
        }
    }
}

/// The best requirement among a concatenation's literal runs and its other parts.
fn concat(parts: &[Hir]) -> Option<Vec<Vec<u8>>> {
    let mut best: Option<Vec<Vec<u8>>> = None;
    // The literals the current run spells (an empty run: one empty literal).
    let mut run: Vec<Vec<u8>> = vec![Vec::new()];
    for part in parts.iter().flat_map(literal_bytes) {
        if best.as_ref().is_some_and(Vec::is_empty) {
            // Impossible on ASCII text: nothing beats it.
            return best;
        }
        match part {
            Part::Position(bytes) if bytes.is_empty() => offer(Vec::new(), &mut best),
            Part::Position(bytes) if run.len() * bytes.len() <= MAX_LITERALS => {
                run = run
                    .iter()
                    .flat_map(|l| {
                        bytes.iter().map(move |&b| {
                            let mut l = l.clone();
                            l.push(b);
                            l
                        })
                    })
                    .collect();
            }
            Part::Position(bytes) => {
                flush(&mut run, &mut best);
                run = bytes.iter().map(|&b| vec![b]).collect();
            }
            Part::Other(hir) => {
                flush(&mut run, &mut best);
                if let Some(set) = needs(hir) {
                    offer(set, &mut best);
                }
            }
        }
    }
    flush(&mut run, &mut best);
    best
}

/// Keeps `set` if it is better than `best`.
fn offer(set: Vec<Vec<u8>>, best: &mut Option<Vec<Vec<u8>>>) {
    if best.as_ref().is_none_or(|b| better(&set, b)) {
        *best = Some(set);
    }
}

/// Offers the current run's literals and starts an empty run.
fn flush(run: &mut Vec<Vec<u8>>, best: &mut Option<Vec<Vec<u8>>>) {
    if run.iter().any(|l| !l.is_empty()) {
        offer(std::mem::replace(run, vec![Vec::new()]), best);
    }
}

enum Part<'h> {
    /// One consumed byte position (empty: matches no ASCII byte).
    Position(Vec<u8>),
    Other(&'h Hir),
}

/// A concatenation part as positions (a literal is one per byte) or as itself.
fn literal_bytes(hir: &Hir) -> Vec<Part<'_>> {
    match hir.kind() {
        HirKind::Literal(l) => {
            l.0.iter()
                .map(|&b| {
                    Part::Position(if b.is_ascii() {
                        vec![b.to_ascii_lowercase()]
                    } else {
                        Vec::new()
                    })
                })
                .collect()
        }
        HirKind::Class(_) => match position(hir) {
            Some(p) => vec![Part::Position(p)],
            None => vec![Part::Other(hir)],
        },
        _ => vec![Part::Other(hir)],
    }
}

#[cfg(test)]
mod tests {
    use super::required;

    fn lits(p: &str) -> Option<Vec<String>> {
        required(p).map(|s| {
            s.into_iter()
                .map(|l| String::from_utf8(l).unwrap())
                .collect()
        })
    }

    #[test]
    fn case_insensitive_words_and_their_alternatives() {
        assert_eq!(
            lits(r"(?i)(ignore|disregard)\W+previous"),
            Some(vec!["previous".into()])
        );
        assert_eq!(
            lits(r"(?i)\b(ignore|bypass)\b"),
            Some(vec!["bypass".into(), "ignore".into()])
        );
        // Under (?i), `k` and `s` also match non-ASCII letters: on ASCII text they are `k`, `s`.
        assert_eq!(lits(r"(?i)skip"), Some(vec!["skip".into()]));
    }

    #[test]
    fn narrow_classes_spell_every_variant() {
        assert_eq!(
            lits(r#"^[rRuU]*['"]::['"]$"#),
            Some(vec![
                "\"::\"".into(),
                "\"::'".into(),
                "'::\"".into(),
                "'::'".into()
            ])
        );
        assert_eq!(
            lits(r#"^[rRuU]*['"]0\.0\.0\.0['"]$"#).map(|v| v.len()),
            Some(4)
        );
    }

    #[test]
    fn optional_parts_and_wide_classes_need_nothing() {
        assert_eq!(lits(r"(abc)?\w+"), None);
        assert_eq!(lits(r"a|\d+"), None, "one alternative needs no literal");
        assert_eq!(lits(r"ab"), None, "too short to gate");
        assert_eq!(lits(r"x*(?:pickle)+"), Some(vec!["pickle".into()]));
    }

    #[test]
    fn only_non_ascii_characters_cannot_match_ascii_text() {
        assert_eq!(lits(r"[\x{200B}-\x{200F}\x{FEFF}]"), Some(vec![]));
        assert_eq!(lits(r"abc[\x{200B}]"), Some(vec![]));
    }

    #[test]
    fn every_literal_occurs_in_matching_ascii_text() {
        // A property check on real rule-like patterns: each matching text contains one of the
        // literals, case-insensitively.
        let cases: &[(&str, &[&str])] = &[
            (
                r"(?i)(report|flag)\W+(no|zero)\W+(vulnerabilit|issues?\b)",
                &["Report no issues", "FLAG zero Vulnerabilities"],
            ),
            (
                r"(\b(SYSTEM|ASSISTANT)\s*:|<\|(im_start|user)\|>|\[/?INST\])",
                &["SYSTEM: x", "<|im_start|>", "[/INST]"],
            ),
            (
                r"(?i)^(\w*_)?(token|password|pin)s?$",
                &["API_TOKEN", "pins"],
            ),
        ];
        for (p, texts) in cases {
            let set = required(p).unwrap_or_else(|| panic!("{p}: no literals"));
            let re = regex::bytes::Regex::new(p).unwrap();
            for t in *texts {
                assert!(re.is_match(t.as_bytes()), "{p} should match {t}");
                let lower = t.to_ascii_lowercase();
                assert!(
                    set.iter()
                        .any(|l| lower.as_bytes().windows(l.len()).any(|w| w == &l[..])),
                    "{p}: {t} holds none of {set:?}"
                );
            }
        }
    }
}
