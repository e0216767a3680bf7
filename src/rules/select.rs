//! Rule selection for `--select` / `--ignore`.
//!
//! A selector names rules in one of three ways: a rule id (`PW101`), a CWE id (`CWE-78`,
//! `cwe-78`, `CWE78`) or a category (`command-injection`); `ALL` names every rule. Matching is
//! case-insensitive. A selector that names no rule of the catalogue is an error that names it,
//! so a typo never silently turns a rule off (or every rule off).

use std::fmt;

use super::{Catalog, RuleSpec};
use crate::error::RuleError;

/// One parsed `--select`/`--ignore` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Every rule.
    All,
    /// One rule, by id (upper case).
    Rule(String),
    /// Every rule carrying this CWE id.
    Cwe(u32),
    /// Every rule of this category (lower case).
    Category(String),
}

impl Selector {
    /// Parses `text` and checks that it names at least one rule of `catalog`.
    pub fn parse(catalog: &Catalog, text: &str) -> Result<Selector, RuleError> {
        let t = text.trim();
        let unknown = || RuleError::UnknownSelector(t.to_string());
        if t.is_empty() {
            return Err(unknown());
        }
        let sel = if t.eq_ignore_ascii_case("all") {
            Selector::All
        } else if let Some(n) = cwe_number(t) {
            Selector::Cwe(n)
        } else if t.len() > 2 && t[..2].eq_ignore_ascii_case("pw") {
            Selector::Rule(t.to_ascii_uppercase())
        } else {
            Selector::Category(t.to_ascii_lowercase())
        };
        if catalog.rules().iter().any(|r| sel.matches(r)) {
            Ok(sel)
        } else {
            Err(unknown())
        }
    }

    /// Whether this selector names `rule`.
    pub fn matches(&self, rule: &RuleSpec) -> bool {
        match self {
            Selector::All => true,
            Selector::Rule(id) => rule.id.eq_ignore_ascii_case(id),
            Selector::Cwe(n) => rule.cwe.contains(n),
            Selector::Category(c) => rule.category.eq_ignore_ascii_case(c),
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::All => f.write_str("ALL"),
            Selector::Rule(id) => f.write_str(id),
            Selector::Cwe(n) => write!(f, "CWE-{n}"),
            Selector::Category(c) => f.write_str(c),
        }
    }
}

/// `CWE-78`, `cwe-78`, `CWE78`, `cwe_78` → 78.
fn cwe_number(text: &str) -> Option<u32> {
    if text.len() < 4 || !text[..3].eq_ignore_ascii_case("cwe") {
        return None;
    }
    let rest = text[3..].trim_start_matches(['-', '_', ':']);
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok()
}

/// The rules to run: those named by `select` (when it is empty, every rule but those marked
/// `default_off`) minus those named by `ignore`. Fails on the first selector that names no
/// rule.
pub fn select_rules(
    catalog: &Catalog,
    select: &[String],
    ignore: &[String],
) -> Result<Catalog, RuleError> {
    let parse_all = |texts: &[String]| -> Result<Vec<Selector>, RuleError> {
        texts
            .iter()
            .filter(|t| !t.trim().is_empty())
            .map(|t| Selector::parse(catalog, t))
            .collect()
    };
    let selected = parse_all(select)?;
    let ignored = parse_all(ignore)?;
    let keep: Vec<RuleSpec> = catalog
        .rules()
        .iter()
        .filter(|r| {
            if selected.is_empty() {
                !r.default_off
            } else {
                selected.iter().any(|s| s.matches(r))
            }
        })
        .filter(|r| !ignored.iter().any(|s| s.matches(r)))
        .cloned()
        .collect();
    Catalog::from_specs(keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A catalogue of three rules cloned from the embedded PW101 with other ids, CWEs and
    /// categories, so these tests do not depend on which rules exist on the branch.
    fn catalog() -> Catalog {
        let base = Catalog::embedded().unwrap().get("PW101").unwrap().clone();
        let mk = |id: &str, cwe: Vec<u32>, category: &str| {
            let mut r = base.clone();
            r.id = id.into();
            r.cwe = cwe;
            r.category = category.into();
            r
        };
        Catalog::from_specs(vec![
            mk("PW101", vec![78], "command-injection"),
            mk("PW102", vec![78, 88], "command-injection"),
            mk("PW201", vec![89], "sql-injection"),
        ])
        .unwrap()
    }

    #[test]
    fn default_off_rules_run_only_when_selected() {
        let mut specs = catalog().rules().to_vec();
        specs[1].default_off = true;
        let cat = Catalog::from_specs(specs).unwrap();
        assert_eq!(
            ids(&select_rules(&cat, &[], &[]).unwrap()),
            vec!["PW101", "PW201"]
        );
        assert_eq!(
            ids(&select_rules(&cat, &s(&["PW102"]), &[]).unwrap()),
            vec!["PW102"]
        );
        assert_eq!(
            ids(&select_rules(&cat, &s(&["ALL"]), &[]).unwrap()),
            vec!["PW101", "PW102", "PW201"]
        );
    }

    fn ids(c: &Catalog) -> Vec<&str> {
        c.rules().iter().map(|r| r.id.as_str()).collect()
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn no_selectors_keep_everything() {
        let c = select_rules(&catalog(), &[], &[]).unwrap();
        assert_eq!(ids(&c), ["PW101", "PW102", "PW201"]);
    }

    #[test]
    fn select_by_id_cwe_and_category() {
        let cat = catalog();
        assert_eq!(
            ids(&select_rules(&cat, &s(&["pw201"]), &[]).unwrap()),
            ["PW201"]
        );
        assert_eq!(
            ids(&select_rules(&cat, &s(&["CWE-88"]), &[]).unwrap()),
            ["PW102"]
        );
        assert_eq!(
            ids(&select_rules(&cat, &s(&["cwe-78"]), &[]).unwrap()),
            ["PW101", "PW102"]
        );
        assert_eq!(
            ids(&select_rules(&cat, &s(&["CWE89"]), &[]).unwrap()),
            ["PW201"]
        );
        assert_eq!(
            ids(&select_rules(&cat, &s(&["command-injection"]), &[]).unwrap()),
            ["PW101", "PW102"]
        );
        assert_eq!(
            ids(&select_rules(&cat, &s(&["PW101", "sql-injection"]), &[]).unwrap()),
            ["PW101", "PW201"]
        );
    }

    #[test]
    fn ignore_applies_after_select() {
        let cat = catalog();
        let c = select_rules(&cat, &s(&["command-injection"]), &s(&["PW101"])).unwrap();
        assert_eq!(ids(&c), ["PW102"]);
        let c = select_rules(&cat, &[], &s(&["CWE-78"])).unwrap();
        assert_eq!(ids(&c), ["PW201"]);
        let c = select_rules(&cat, &s(&["ALL"]), &s(&["sql-injection"])).unwrap();
        assert_eq!(ids(&c), ["PW101", "PW102"]);
    }

    #[test]
    fn unknown_selectors_are_errors_naming_them() {
        let cat = catalog();
        for bad in ["PW999", "CWE-1", "no-such-category", "CWE-", "pw"] {
            let err = select_rules(&cat, &s(&[bad]), &[]).unwrap_err();
            assert!(
                matches!(&err, RuleError::UnknownSelector(x) if x == bad),
                "{bad}: {err}"
            );
            assert!(err.to_string().contains(bad));
            let err = select_rules(&cat, &[], &s(&[bad])).unwrap_err();
            assert!(matches!(err, RuleError::UnknownSelector(_)));
        }
    }

    #[test]
    fn empty_items_from_trailing_commas_are_skipped() {
        let c = select_rules(&catalog(), &s(&["PW101", ""]), &[]).unwrap();
        assert_eq!(ids(&c), ["PW101"]);
    }

    #[test]
    fn display_round_trips() {
        let cat = catalog();
        for t in ["PW101", "CWE-78", "command-injection", "ALL"] {
            assert_eq!(Selector::parse(&cat, t).unwrap().to_string(), t);
        }
    }
}
