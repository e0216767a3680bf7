//! A rule is one unit: `rules/python/<category>/PWnnn.toml`, its fixture `PWnnn.py` beside it
//! and, when the rule has a fix template, `PWnnn.fixed.py`. The tests find the units by
//! walking `rules/python/`; no list of rule ids lives in the tests.

#![allow(dead_code)] // each test binary uses part of it

use std::path::{Path, PathBuf};

use pyward::rules::{Catalog, Engine, RuleSpec};

/// One rule with its files.
pub struct RuleUnit {
    pub spec: RuleSpec,
    /// The rule's folder, `rules/python/<category>/`.
    pub dir: PathBuf,
}

impl RuleUnit {
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// `PWnnn.py`: the fixture annotated with `# ruleid:` / `# ok:`.
    pub fn fixture(&self) -> PathBuf {
        self.dir.join(format!("{}.py", self.spec.id))
    }

    /// `PWnnn.fixed.py`: the fixture as `pyward fix --select PWnnn` leaves it.
    pub fn fixed(&self) -> PathBuf {
        self.dir.join(format!("{}.fixed.py", self.spec.id))
    }

    /// An engine with this rule alone.
    pub fn engine(&self) -> Engine {
        let catalog = Catalog::from_specs(vec![self.spec.clone()]).expect("one rule");
        Engine::new(catalog).expect("engine compiles")
    }
}

pub fn rules_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/python")
}

/// Every rule of the embedded catalogue, with the folder its TOML file lives in.
pub fn units() -> Vec<RuleUnit> {
    let catalog = Catalog::embedded().expect("catalogue loads");
    catalog
        .rules()
        .iter()
        .map(|spec| RuleUnit {
            dir: rules_root().join(&spec.category),
            spec: spec.clone(),
        })
        .collect()
}

/// Every `.py` file under `rules/python/`, sorted.
pub fn python_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "py") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&rules_root(), &mut out);
    out.sort();
    out
}
