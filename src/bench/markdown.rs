//! The Markdown form of a bench report: a quality table, a speed and cost table, the model
//! economy table and a per-stage table (the columns are defined in [`super::report`]).

use super::metrics::fmt_ratio;
use super::report::{BenchReport, BenchRow, StageRow};

impl BenchReport {
    /// The Markdown report: a quality table, a speed/cost table and a per-stage latency table.
    pub fn to_markdown(&self) -> String {
        let share = self
            .shard
            .as_ref()
            .map(|s| format!(", shard {s}"))
            .unwrap_or_default();
        let mut s = format!(
            "pyward bench: {}{share} ({} files, {} vulnerable), a file is predicted vulnerable with a finding at severity >= {}\n\n",
            self.dataset, self.files, self.vulnerable, self.threshold
        );
        s.push_str("| backend | files | TP | FP | TN | FN | precision | recall | accuracy | F1 | CWE match |\n");
        s.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for r in &self.rows {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {:.3} | {} | {} |\n",
                cell(&r.name),
                r.files,
                r.tp,
                r.fp,
                r.tn,
                r.fn_,
                fmt_ratio(r.precision),
                fmt_ratio(r.recall),
                r.accuracy,
                fmt_ratio(r.f1),
                fmt_ratio(r.cwe_match_rate)
            ));
        }
        s.push_str(&format!(
            "\n| backend | s/file | total s | load s | model calls | prompt tok | completion tok | tok/s | completion tok/s | peak RSS MiB | cost ({}) |\n",
            cell(&self.currency)
        ));
        s.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for r in &self.rows {
            s.push_str(&format!(
                "| {} | {:.4} | {:.2} | {:.2} | {} | {} | {} | {} | {} | {} | {} |\n",
                cell(&r.name),
                r.seconds_per_file,
                r.total_seconds,
                r.load_seconds,
                r.model_calls,
                r.prompt_tokens,
                r.completion_tokens,
                fmt_opt(r.tokens_per_second, 1),
                fmt_opt(r.completion_tokens_per_second, 1),
                fmt_opt(r.peak_rss_mb, 1),
                fmt_opt(r.cost, 4)
            ));
        }
        let model_rows: Vec<&BenchRow> = self.rows.iter().filter(|r| r.model_calls > 0).collect();
        if !model_rows.is_empty() {
            s.push_str("\n| backend | prompt tok/line | from prefix cache | calls/file | parsed | s/file | plan |\n");
            s.push_str("|---|---:|---:|---:|---:|---:|---|\n");
            for r in model_rows {
                s.push_str(&format!(
                    "| {} | {} | {} | {:.2} | {} | {:.2} | {} |\n",
                    cell(&r.name),
                    fmt_opt(r.prompt_tokens_per_line, 1),
                    fmt_pct(r.prefix_cache_share),
                    r.calls_per_file,
                    fmt_pct(r.parsed_share),
                    r.seconds_per_file,
                    cell(r.plan.as_deref().unwrap_or("")),
                ));
            }
        }
        let stage_rows: Vec<(&BenchRow, &StageRow)> = self
            .rows
            .iter()
            .flat_map(|r| r.stages.iter().map(move |st| (r, st)))
            .collect();
        if !stage_rows.is_empty() {
            s.push_str("\n| backend | stage | calls | calls/file | s/file | p50 ms | p95 ms | prompt tok | from prefix cache | prompt tok/line | completion tok | tok/s | parsed |\n");
            s.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (r, st) in stage_rows {
                s.push_str(&format!(
                    "| {} | {} | {} | {:.2} | {:.2} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                    cell(&r.name),
                    st.stage.as_str(),
                    st.calls,
                    st.calls_per_file,
                    st.seconds_per_file,
                    fmt_opt(st.p50_ms, 1),
                    fmt_opt(st.p95_ms, 1),
                    st.prompt_tokens,
                    st.cached_prompt_tokens,
                    fmt_opt(st.prompt_tokens_per_line, 1),
                    st.completion_tokens,
                    fmt_opt(st.tokens_per_second, 1),
                    fmt_pct(st.parsed_share),
                ));
            }
        }
        let with_diags: Vec<String> = self
            .rows
            .iter()
            .filter(|r| r.files_with_diagnostics > 0)
            .map(|r| format!("{} ({} files)", r.name, r.files_with_diagnostics))
            .collect();
        if !with_diags.is_empty() {
            s.push_str(&format!(
                "\nFiles with diagnostics (e.g. a model stage skipped; the messages are in --json): {}\n",
                with_diags.join(", ")
            ));
        }
        s
    }
}

fn fmt_pct(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |x| format!("{:.0}%", x * 100.0))
}

fn fmt_opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "n/a".to_string(), |x| format!("{x:.decimals$}"))
}

/// A Markdown table cell: `|` escaped, line breaks flattened.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}
