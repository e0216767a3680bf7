//! `pyward explain RULE`: a rule's full documentation.

use crate::cli::ExplainArgs;
use crate::commands::Error;
use crate::commands::{print_stdout, Exit};
use crate::rules::{Catalog, RuleSpec};

/// Prints the documentation of `args.rule`; an unknown id is a usage error.
pub fn run(args: &ExplainArgs) -> Result<Exit, Error> {
    let catalog = Catalog::embedded()?;
    let rule = lookup(&catalog, &args.rule)?;
    print_stdout(&render(rule))?;
    Ok(Exit::Clean)
}

/// Finds a rule by id, case-insensitively.
pub fn lookup<'a>(catalog: &'a Catalog, id: &str) -> Result<&'a RuleSpec, Error> {
    let wanted = id.trim().to_ascii_uppercase();
    catalog.get(&wanted).ok_or_else(|| {
        Error::Usage(format!(
            "unknown rule `{}`: run `pyward rules` to list the rule ids",
            id.trim()
        ))
    })
}

/// The documentation of one rule as plain text.
pub fn render(r: &RuleSpec) -> String {
    let mut o = String::new();
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(", ")
        }
    };
    o.push_str(&format!("{}  {}\n{}\n\n", r.id, r.name, r.title));
    let cwe: Vec<String> = r.cwe.iter().map(|n| format!("CWE-{n}")).collect();
    o.push_str(&format!("  Category:    {}\n", r.category));
    o.push_str(&format!("  CWE:         {}\n", cwe.join(", ")));
    o.push_str(&format!(
        "  Severity:    {} (confidence {})\n",
        r.severity.as_str(),
        r.confidence.as_str()
    ));
    o.push_str(&format!("  Bandit:      {}\n", list(&r.bandit)));
    o.push_str(&format!("  Ruff:        {}\n", list(&r.ruff)));
    section(&mut o, "What it does", &r.doc.what, false);
    section(&mut o, "Why is this bad", &r.doc.why, false);
    section(&mut o, "Example", &r.doc.example, true);
    section(&mut o, "Use instead", &r.doc.use_instead, true);
    section(&mut o, "How to fix", &r.remediation, false);
    o.push_str("\nReferences\n");
    for url in &r.doc.references {
        o.push_str(&format!("  - {url}\n"));
    }
    o.push_str(&format!(
        "\nSuppress one occurrence with `# pyward: ignore[{}]`{}.\n",
        r.id,
        r.bandit
            .first()
            .map(|b| format!(" or `# nosec {b}`"))
            .unwrap_or_default()
    ));
    o
}

fn section(out: &mut String, title: &str, body: &str, code: bool) {
    out.push('\n');
    out.push_str(title);
    out.push('\n');
    let indent = if code { "    " } else { "  " };
    let body = body.trim_matches('\n');
    let body = if code {
        body.to_string()
    } else {
        body.trim().to_string()
    };
    for line in body.lines() {
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            out.push_str(indent);
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_every_part_of_the_doc() {
        let cat = Catalog::embedded().unwrap();
        let r = lookup(&cat, "pw101").unwrap();
        let t = render(r);
        for part in [
            "What it does",
            "Why is this bad",
            "Example",
            "Use instead",
            "References",
            "CWE-78",
            "B602",
            "S602",
        ] {
            assert!(t.contains(part), "missing {part}:\n{t}");
        }
        assert!(
            t.contains("    subprocess.run(f\"tar czf"),
            "example is indented code:\n{t}"
        );
        assert!(t.contains("https://cwe.mitre.org/data/definitions/78.html"));
    }

    #[test]
    fn unknown_rule_points_at_pyward_rules() {
        let cat = Catalog::embedded().unwrap();
        let e = lookup(&cat, "PW999").unwrap_err().to_string();
        assert!(e.contains("PW999") && e.contains("pyward rules"), "{e}");
    }
}
