//! `pyward rules`: the rule table.

use serde::Serialize;

use crate::cli::{ListFormat, RulesArgs};
use crate::commands::Error;
use crate::commands::{print_stdout, Exit};
use crate::finding::{Confidence, Severity};
use crate::rules::{Catalog, RuleSpec};

/// One row of `pyward rules --format json`.
#[derive(Debug, Serialize)]
pub struct RuleRow<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub title: &'a str,
    pub category: &'a str,
    pub cwe: Vec<String>,
    pub severity: Severity,
    pub confidence: Confidence,
    pub bandit: &'a [String],
    pub ruff: &'a [String],
    /// Runs only when selected (`--select PWnnn`, its category, a CWE or `ALL`).
    pub default_off: bool,
}

impl<'a> From<&'a RuleSpec> for RuleRow<'a> {
    fn from(r: &'a RuleSpec) -> Self {
        RuleRow {
            id: &r.id,
            name: &r.name,
            title: &r.title,
            category: &r.category,
            cwe: r.cwe.iter().map(|n| format!("CWE-{n}")).collect(),
            severity: r.severity,
            confidence: r.confidence,
            bandit: &r.bandit,
            ruff: &r.ruff,
            default_off: r.default_off,
        }
    }
}

/// Prints the catalogue.
pub fn run(args: &RulesArgs) -> Result<Exit, Error> {
    let catalog = Catalog::embedded()?;
    let text = match args.format {
        ListFormat::Text => render_table(&catalog),
        ListFormat::Json => render_json(&catalog),
    };
    print_stdout(&text)?;
    Ok(Exit::Clean)
}

/// The rules as a JSON array, sorted by id, ending in a newline.
pub fn render_json(catalog: &Catalog) -> String {
    let rows: Vec<RuleRow> = catalog.rules().iter().map(RuleRow::from).collect();
    // Serialising plain strings, numbers and enums cannot fail.
    let mut s = serde_json::to_string_pretty(&rows).unwrap_or_default();
    s.push('\n');
    s
}

/// The rules as an aligned plain-text table with a header and a count.
pub fn render_table(catalog: &Catalog) -> String {
    let header = ["ID", "CWE", "SEVERITY", "CATEGORY", "BANDIT", "TITLE"];
    let rows: Vec<[String; 6]> = catalog
        .rules()
        .iter()
        .map(|r| {
            [
                r.id.clone(),
                r.cwe
                    .iter()
                    .map(|n| format!("CWE-{n}"))
                    .collect::<Vec<_>>()
                    .join(","),
                r.severity.as_str().to_string(),
                r.category.clone(),
                if r.bandit.is_empty() {
                    "-".into()
                } else {
                    r.bandit.join(",")
                },
                if r.default_off {
                    format!("{} (off by default)", r.title)
                } else {
                    r.title.clone()
                },
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let mut l = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                l.push_str(cell);
            } else {
                l.push_str(cell);
                let pad = widths[i] - cell.chars().count() + 2;
                l.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&header);
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(&cells);
    }
    let n = rows.len();
    out.push_str(&format!(
        "\n{n} rule{}. `pyward explain ID` shows the documentation of one.\n",
        if n == 1 { "" } else { "s" }
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lists_every_rule_with_its_cwe() {
        let cat = Catalog::embedded().unwrap();
        let t = render_table(&cat);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("ID"));
        for r in cat.rules() {
            let row = lines
                .iter()
                .find(|l| l.starts_with(&format!("{} ", r.id)))
                .unwrap_or_else(|| panic!("{} missing", r.id));
            assert!(row.contains(&format!("CWE-{}", r.cwe[0])));
            assert!(row.contains(&r.title));
            assert!(row.contains(r.severity.as_str()));
        }
        assert!(t.contains(&format!("{} rule", cat.rules().len())));
    }

    #[test]
    fn json_is_an_array_of_every_rule() {
        let cat = Catalog::embedded().unwrap();
        let v: serde_json::Value = serde_json::from_str(&render_json(&cat)).unwrap();
        let arr = v.as_array().unwrap();
        assert_eq!(arr.len(), cat.rules().len());
        assert_eq!(arr[0]["id"], cat.rules()[0].id.as_str());
        assert!(arr[0]["cwe"][0].as_str().unwrap().starts_with("CWE-"));
    }
}
