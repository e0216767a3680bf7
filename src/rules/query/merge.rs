//! Patterns of one rule that differ only in one regex become one pattern with the regexes'
//! alternation.
//!
//! A rule often lists the same shape several times with different regexes on the same
//! capture (the prompt-injection rule: `[(comment) (string)] @match` with four `#match?`
//! families). Each pattern was tried on every comment and string, and each ran its own
//! regex. A node matches one of them exactly when it matches `(?:A)|(?:B)|…`, and every such
//! match binds the same captures to the same nodes with the same rule and group: the engine
//! keeps one finding per rule and node, so the report is the same, for one try and one
//! regex search per node.

use super::parse::{Parsed, TextPred};
use super::{NativePattern, NativeSet};

/// Merges each run of consecutive mergeable patterns into its first; the others stay in
/// `set.patterns` (indices are stable) but are no longer tried. Returns, per pattern, whether
/// it was merged into another.
pub(crate) fn merge_regex_alternatives(set: &mut NativeSet) -> Vec<bool> {
    let n = set.patterns.len();
    let mut merged = vec![false; n];
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        let mut k = None;
        while j < n {
            match differing_regex(&set.patterns[i], &set.patterns[j]) {
                Some(d) if k.is_none_or(|k| k == d) => k = Some(d),
                _ => break,
            }
            j += 1;
        }
        if let Some(k) = k {
            let sources: Vec<String> = set.patterns[i..j]
                .iter()
                .filter_map(|p| match &p.parsed.early[k].1 {
                    TextPred::Match(_, re, ..) => Some(format!("(?:{})", re.as_str())),
                    _ => None,
                })
                .collect();
            if let Ok(re) = crate::rules::regexes::bytes(&sources.join("|")) {
                if let TextPred::Match(_, old, ..) = &mut set.patterns[i].parsed.early[k].1 {
                    *old = re;
                }
                merged[i + 1..j].iter_mut().for_each(|m| *m = true);
            }
        }
        i = j;
    }
    let keep = |pi: &u32| !merged[*pi as usize];
    for list in set.by_kind.iter_mut().chain(set.by_child_kind.iter_mut()) {
        list.retain(keep);
    }
    set.any_root.retain(keep);
    merged
}

/// The index (in `early`) of the one positive `#match?` predicate in which `b` differs from
/// `a`, when that is their only difference: same rule, group, gate, steps, captures and other
/// predicates, and no predicate checked on the whole match.
fn differing_regex(a: &NativePattern, b: &NativePattern) -> Option<usize> {
    let (pa, pb): (&Parsed, &Parsed) = (&a.parsed, &b.parsed);
    if a.rule != b.rule
        || a.group != b.group
        || a.gate != b.gate
        || pa.root != pb.root
        || !pa.text.is_empty()
        || !pb.text.is_empty()
        || !pa.qualname.is_empty()
        || !pb.qualname.is_empty()
        || pa.early.len() != pb.early.len()
    {
        return None;
    }
    let mut differs = None;
    for (i, ((ca, x), (cb, y))) in pa.early.iter().zip(&pb.early).enumerate() {
        if ca != cb {
            return None;
        }
        match (x, y) {
            (TextPred::Match(_, r, true, true), TextPred::Match(_, s, true, true)) => {
                if r.as_str() != s.as_str() {
                    if differs.is_some() {
                        return None;
                    }
                    differs = Some(i);
                }
            }
            _ if same_predicate(x, y) => {}
            _ => return None,
        }
    }
    differs
}

fn same_predicate(x: &TextPred, y: &TextPred) -> bool {
    match (x, y) {
        (TextPred::EqCapture(a, b, p, l), TextPred::EqCapture(c, d, q, m)) => {
            (a, b, p, l) == (c, d, q, m)
        }
        (TextPred::EqString(a, s, p, l), TextPred::EqString(b, t, q, m)) => {
            (a, s, p, l) == (b, t, q, m)
        }
        (TextPred::Match(a, r, p, l), TextPred::Match(b, s, q, m)) => {
            (a, r.as_str(), p, l) == (b, s.as_str(), q, m)
        }
        (TextPred::AnyOf(a, v, p), TextPred::AnyOf(b, w, q)) => (a, v, p) == (b, w, q),
        _ => false,
    }
}
