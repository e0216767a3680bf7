//! The rule catalogue: every `rules/python/**/*.toml`, compiled into the binary.

pub(crate) mod args;
pub(crate) mod built;
pub(crate) mod constant;
pub mod engine;
pub(crate) mod fix;
pub(crate) mod flat_tree;
pub mod project;
pub(crate) mod query;
pub(crate) mod query_gate;
pub(crate) mod raw;
pub(crate) mod regex_literals;
pub(crate) mod regexes;
pub(crate) mod resolve;
pub(crate) mod schema;
pub mod select;
pub mod taint;

use std::collections::BTreeMap;

use crate::error::RuleError;
pub use engine::Engine;
pub use schema::RuleSpec;

/// Every `.toml` file under `rules/` (path relative to `rules/`, contents), embedded at build
/// time (see `build.rs`) so the binary works air-gapped from any cwd. Rule fixtures (`.py`)
/// next to them are not embedded.
static RULE_FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/rule_files.rs"));

/// All rules, sorted by id.
#[derive(Debug, Clone)]
pub struct Catalog {
    rules: Vec<RuleSpec>,
    by_id: BTreeMap<String, usize>,
}

impl Catalog {
    /// The embedded rules, validated. They are parsed once per process (a scan and its
    /// guardrail both ask); each call returns a copy.
    pub fn embedded() -> Result<Catalog, RuleError> {
        match embedded_shared() {
            Some(c) => Ok(c.clone()),
            // Only a broken build gets here; parsing again yields the error itself.
            None => Catalog::parse_embedded(),
        }
    }

    fn parse_embedded() -> Result<Catalog, RuleError> {
        let mut specs = Vec::new();
        for &(path, text) in RULE_FILES {
            // Files and folders starting with `_` hold shared data (taint sources), not rules.
            if path.split('/').any(|part| part.starts_with('_')) {
                continue;
            }
            specs.push(parse_rule(path, text)?);
        }
        Catalog::from_specs(specs)
    }

    /// Builds a catalogue from already-parsed rules, checking ids are unique.
    pub fn from_specs(mut rules: Vec<RuleSpec>) -> Result<Catalog, RuleError> {
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        let mut by_id = BTreeMap::new();
        for (i, r) in rules.iter().enumerate() {
            if by_id.insert(r.id.clone(), i).is_some() {
                return Err(RuleError::Invalid {
                    file: format!("python/{}/{}.toml", r.category, r.id),
                    message: format!("duplicate rule id {}", r.id),
                });
            }
        }
        Ok(Catalog { rules, by_id })
    }

    pub fn rules(&self) -> &[RuleSpec] {
        &self.rules
    }

    pub fn get(&self, id: &str) -> Option<&RuleSpec> {
        self.by_id.get(id).map(|&i| &self.rules[i])
    }

    /// Every CWE id any rule carries, sorted.
    pub fn cwes(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .rules
            .iter()
            .flat_map(|r| r.cwe.iter().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// The rule `id` of the embedded catalogue (loaded once), e.g. to read its tags from a finding.
pub fn embedded_rule(id: &str) -> Option<&'static RuleSpec> {
    embedded_shared().and_then(|c| c.get(id))
}

/// The embedded catalogue, parsed on first use; `None` when it does not load.
fn embedded_shared() -> Option<&'static Catalog> {
    static EMBEDDED: std::sync::OnceLock<Option<Catalog>> = std::sync::OnceLock::new();
    EMBEDDED
        .get_or_init(|| Catalog::parse_embedded().ok())
        .as_ref()
}

/// Shared data files under `rules/` (names starting with `_`), by path relative to `rules/`.
pub fn embedded_data_file(path: &str) -> Option<&'static str> {
    RULE_FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|&(_, text)| text)
}

/// Parses one rule file and checks what serde cannot: id format, file name, category folder.
pub fn parse_rule(path: &str, text: &str) -> Result<RuleSpec, RuleError> {
    let spec: RuleSpec = toml::from_str(text).map_err(|source| RuleError::Toml {
        file: path.to_string(),
        source,
    })?;
    let invalid = |message: String| RuleError::Invalid {
        file: path.to_string(),
        message,
    };
    let id_ok = spec.id.len() == 5
        && spec.id.starts_with("PW")
        && spec.id[2..].chars().all(|c| c.is_ascii_digit());
    if !id_ok {
        return Err(invalid(format!(
            "id `{}` is not PW + three digits",
            spec.id
        )));
    }
    let file_name = path.rsplit('/').next().unwrap_or(path);
    if file_name != format!("{}.toml", spec.id) {
        return Err(invalid(format!("file must be named {}.toml", spec.id)));
    }
    let folder = path.rsplit('/').nth(1).unwrap_or("");
    if folder != spec.category {
        return Err(invalid(format!(
            "category `{}` does not match its folder `{folder}`",
            spec.category
        )));
    }
    if spec.cwe.is_empty() {
        return Err(invalid("at least one CWE id is required".into()));
    }
    if spec.patterns.is_empty() && spec.taint.is_none() {
        return Err(invalid("a rule needs `patterns` or `taint`".into()));
    }
    for p in &spec.patterns {
        if let schema::Pattern::Query { query } = p {
            query_gate::check_predicates_placement(query).map_err(invalid)?;
        }
    }
    fix::check_message(&spec).map_err(invalid)?;
    fix::compile(&spec).map_err(invalid)?;
    for t in &spec.fix {
        for i in &t.imports {
            schema::ImportSpec::parse(i)
                .map_err(|m| invalid(format!("fix `{}`: imports: {m}", t.capture)))?;
        }
    }
    if spec.doc.references.is_empty() {
        return Err(invalid(
            "doc.references must list at least the CWE page".into(),
        ));
    }
    Ok(spec)
}
