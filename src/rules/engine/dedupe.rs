//! Deduplication: one finding per (rule, node), and across rules the most specific finding
//! per node and weakness.

use hashbrown::HashSet;

use crate::rules::raw::RawFinding;
use crate::rules::schema::RuleSpec;

/// One finding per (rule, node); the first is kept (call patterns before queries before taint).
/// Two patterns of one rule that match nested nodes starting on the same line (a `return`
/// statement and the response call it returns, an f-string and the concatenation holding it)
/// report one problem: the outer node's finding is kept.
pub(crate) fn dedupe_per_rule_and_node(raw: &mut Vec<RawFinding>) {
    let mut seen = HashSet::new();
    raw.retain(|r| seen.insert((r.rule, r.node.start_byte(), r.node.end_byte())));
    let line = |r: &RawFinding| r.node.start_position().row;
    let inside = |a: &RawFinding, b: &RawFinding| {
        (b.node.start_byte(), a.node.end_byte()) <= (a.node.start_byte(), b.node.end_byte())
            && (a.node.start_byte(), a.node.end_byte()) != (b.node.start_byte(), b.node.end_byte())
    };
    let nested: Vec<bool> = raw
        .iter()
        .map(|a| {
            a.taint_path.is_empty()
                && raw.iter().any(|b| {
                    b.rule == a.rule
                        && b.taint_path.is_empty()
                        && line(b) == line(a)
                        && inside(a, b)
                })
        })
        .collect();
    let mut i = 0;
    raw.retain(|_| {
        i += 1;
        !nested[i - 1]
    });
}

/// Drops findings that another, more specific rule already reports on the same node for the
/// same weakness (same primary CWE; a pattern rule and a taint rule flagging the same call, say).
///
/// Within one node span, findings are ranked: a taint path beats none, then higher
/// confidence, then the lower rule id. Walking that order, a finding is kept unless an
/// already-kept finding has the same primary CWE. Then a pattern finding (no taint path) nested
/// inside a kept taint finding's node with the same primary CWE is dropped too. Deterministic whatever
/// the input order.
pub(crate) fn dedupe_across_rules(raw: &mut Vec<RawFinding>, rules: &[RuleSpec]) {
    if raw.len() < 2 {
        return;
    }
    // A path from a parameter whose callers are unknown (its confidence lowered) proves less
    // than a pattern: it ranks with the findings without a path, and covers nothing.
    let proven = |r: &RawFinding| !r.taint_path.is_empty() && r.confidence.is_none();
    let rank = |r: &RawFinding| {
        let rule = &rules[r.rule as usize];
        (
            // 0: a proven path, 1: a pattern, 2: an unproven path.
            if proven(r) {
                0
            } else if r.taint_path.is_empty() {
                1
            } else {
                2
            },
            std::cmp::Reverse(rule.confidence),
            rule.id.clone(),
        )
    };
    // Same weakness = same primary (first) CWE: PW106 (CWE-426, also tagged 78) and PW107
    // (CWE-155, also tagged 78) describe different problems of one call and both stay.
    let primary_cwe = |i: usize| rules[raw[i].rule as usize].cwe.first().copied();
    let mut order: Vec<usize> = (0..raw.len()).collect();
    order.sort_by_cached_key(|&i| {
        (
            raw[i].node.start_byte(),
            raw[i].node.end_byte(),
            rank(&raw[i]),
        )
    });
    let mut drop = vec![false; raw.len()];
    let mut group_start = 0;
    for k in 0..order.len() {
        let i = order[k];
        let span = (raw[i].node.start_byte(), raw[i].node.end_byte());
        let first = order[group_start];
        if (raw[first].node.start_byte(), raw[first].node.end_byte()) != span {
            group_start = k;
        }
        let cwe = primary_cwe(i);
        drop[i] = order[group_start..k]
            .iter()
            .any(|&j| !drop[j] && primary_cwe(j) == cwe);
    }
    // A taint finding also covers pattern findings inside its sink call (the SQL string
    // built in `cur.execute("..." + x)`, say) that share a CWE with it.
    for t in 0..raw.len() {
        if drop[t] || !proven(&raw[t]) {
            continue;
        }
        let (ts, te) = (raw[t].node.start_byte(), raw[t].node.end_byte());
        let tcwe = primary_cwe(t);
        for n in 0..raw.len() {
            let r = &raw[n];
            if !drop[n]
                && r.taint_path.is_empty()
                && ts <= r.node.start_byte()
                && r.node.end_byte() <= te
                && primary_cwe(n) == tcwe
            {
                drop[n] = true;
            }
        }
    }
    // A pattern finding inside an unproven path's sink call, or on one of its steps (the
    // SQL string built before the `execute`), already reports it.
    for t in 0..raw.len() {
        if drop[t] || raw[t].taint_path.is_empty() || proven(&raw[t]) {
            continue;
        }
        let (ts, te) = (raw[t].node.start_byte(), raw[t].node.end_byte());
        let steps: Vec<(usize, usize)> = raw[t]
            .taint_path
            .iter()
            .map(|s| (s.span.start_line, s.span.end_line))
            .collect();
        drop[t] = (0..raw.len()).any(|n| {
            let r = &raw[n];
            let line = r.node.start_position().row + 1;
            !drop[n]
                && r.taint_path.is_empty()
                && primary_cwe(n) == primary_cwe(t)
                && ((ts <= r.node.start_byte() && r.node.end_byte() <= te)
                    || steps.iter().any(|&(a, b)| a <= line && line <= b))
        });
    }
    let mut i = 0;
    raw.retain(|_| {
        let keep = !drop[i];
        i += 1;
        keep
    });
}
