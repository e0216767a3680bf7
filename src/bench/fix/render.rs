//! The Markdown form of a [`FixReport`].

use super::{FixReport, FixRow, JudgeStatus};

fn pct(n: usize, d: usize) -> String {
    if d == 0 {
        "n/a".to_string()
    } else {
        format!("{:.0}%", 100.0 * n as f64 / d as f64)
    }
}

fn rounds(row: &FixRow) -> String {
    let r = row.rounds();
    if r.is_empty() {
        return "-".into();
    }
    r.iter()
        .map(|(k, n)| format!("{n}×{k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn markdown(rep: &FixReport) -> String {
    let mut o = String::new();
    o.push_str(&format!(
        "## Repairs: `pyward bench --fix` on {} ({} vulnerable files, up to {} rounds)\n\n",
        rep.dataset, rep.vulnerable, rep.max_rounds
    ));
    o.push_str("| backend | flagged files | fully repaired | findings | verified fix | won by template | won by model | rounds (fixes × round) |\n");
    o.push_str("|---|---:|---:|---:|---:|---:|---:|---|\n");
    for row in &rep.rows {
        let src = row.by_source();
        let get = |k: &str| src.get(k).copied().unwrap_or(0);
        o.push_str(&format!(
            "| {} | {} | {} ({}) | {} | {} ({}) | {} | {} | {} |\n",
            row.spec,
            row.flagged(),
            row.repaired(),
            pct(row.repaired(), row.flagged()),
            row.findings(),
            row.verified(),
            pct(row.verified(), row.findings()),
            get("template"),
            get("model"),
            rounds(row),
        ));
    }
    o.push_str("\nFully repaired: a re-scan finds nothing (a finding only the model reported needs a verified fix of its own), the file parses, and no name is newly undefined.\n");
    o.push_str("\n### Independent judges\n\n");
    o.push_str("| backend | judge (issues counted) | flags originals | clean after repair | issues before → after | agrees on pyward's fully repaired files |\n");
    o.push_str("|---|---|---:|---:|---|---|\n");
    for row in &rep.rows {
        for j in &row.judges {
            let name = format!("{} ({})", j.judge.program(), j.judge.counts());
            match &j.status {
                JudgeStatus::Ran => o.push_str(&format!(
                    "| {} | {} | {} | {} ({}) | {} → {} | {} of {} |\n",
                    row.spec,
                    name,
                    j.flagged_before,
                    j.clean_after,
                    pct(j.clean_after, j.flagged_before),
                    j.issues_before,
                    j.issues_after,
                    j.repaired_agreed,
                    j.repaired_flagged,
                )),
                JudgeStatus::Missing => o.push_str(&format!(
                    "| {} | {} | not run: `{}` is not on PATH | | | |\n",
                    row.spec,
                    name,
                    j.judge.program()
                )),
                JudgeStatus::Failed { message } => o.push_str(&format!(
                    "| {} | {} | not run: failed ({}) | | | |\n",
                    row.spec,
                    name,
                    message.replace('|', "\\|")
                )),
            }
        }
    }
    for row in &rep.rows {
        let left: Vec<_> = row.files.iter().filter(|f| !f.repaired).collect();
        if left.is_empty() {
            continue;
        }
        o.push_str(&format!("\n### Not fully repaired ({})\n\n", row.spec));
        o.push_str(
            "| file | findings | verified | left after repair | parses | newly undefined |\n",
        );
        o.push_str("|---|---:|---:|---:|---|---|\n");
        for f in left {
            o.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                f.file,
                f.findings,
                f.verified,
                f.remaining,
                if f.parses { "yes" } else { "no" },
                if f.undefined.is_empty() {
                    "-".to_string()
                } else {
                    f.undefined.join(", ")
                },
            ));
        }
    }
    o
}
