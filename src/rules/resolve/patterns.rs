//! The matching forms of rule names ([`NamePattern`]) and a table of them ([`NameTable`]).

use hashbrown::HashMap;

/// One rule name form: `a.b` (exact), `*.m` (method of any receiver), `a.*` (module member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamePattern {
    Exact(String),
    Method(String),
    Module(String),
}

impl NamePattern {
    /// Parses a name as written in a rule.
    pub fn parse(s: &str) -> Result<NamePattern, String> {
        let s = s.trim();
        let valid = |t: &str| {
            !t.is_empty()
                && t.split('.')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c == '_' || c.is_alphanumeric()))
        };
        if let Some(m) = s.strip_prefix("*.") {
            if valid(m) && !m.contains('.') {
                return Ok(NamePattern::Method(m.to_string()));
            }
        } else if let Some(m) = s.strip_suffix(".*") {
            if valid(m) {
                return Ok(NamePattern::Module(m.to_string()));
            }
        } else if valid(s) {
            return Ok(NamePattern::Exact(s.to_string()));
        }
        Err(format!(
            "`{s}` is not a name (`mod.name`, `*.method` or `mod.*`)"
        ))
    }

    /// Whether a callee with resolved name `qual` (if a pure chain) and method name `method`
    /// matches.
    pub fn matches(&self, qual: Option<&str>, method: Option<&str>) -> bool {
        match self {
            NamePattern::Exact(n) => qual == Some(n.as_str()),
            NamePattern::Method(m) => method == Some(m.as_str()),
            NamePattern::Module(m) => qual.is_some_and(|q| {
                q.len() > m.len() && q.starts_with(m.as_str()) && q.as_bytes()[m.len()] == b'.'
            }),
        }
    }
}

/// A lookup table from rule names to values: one hash lookup per name form instead of one
/// comparison per rule.
#[derive(Debug, Clone)]
pub struct NameTable<T> {
    exact: HashMap<String, Vec<T>>,
    method: HashMap<String, Vec<T>>,
    module: HashMap<String, Vec<T>>,
    has_module: bool,
}

impl<T> Default for NameTable<T> {
    fn default() -> Self {
        NameTable {
            exact: HashMap::new(),
            method: HashMap::new(),
            module: HashMap::new(),
            has_module: false,
        }
    }
}

impl<T: Clone> NameTable<T> {
    /// Adds `value` under a name pattern.
    pub fn insert(&mut self, pat: &NamePattern, value: T) {
        match pat {
            NamePattern::Exact(n) => self.exact.entry(n.clone()).or_default().push(value),
            NamePattern::Method(n) => self.method.entry(n.clone()).or_default().push(value),
            NamePattern::Module(n) => {
                self.has_module = true;
                self.module.entry(n.clone()).or_default().push(value)
            }
        }
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.method.is_empty() && self.module.is_empty()
    }

    /// Calls `f` with every value whose name matches.
    pub fn lookup(&self, qual: Option<&str>, method: Option<&str>, mut f: impl FnMut(&T)) {
        if let Some(q) = qual {
            if let Some(v) = self.exact.get(q) {
                v.iter().for_each(&mut f);
            }
            if self.has_module {
                for (i, b) in q.bytes().enumerate() {
                    if b == b'.' {
                        if let Some(v) = self.module.get(&q[..i]) {
                            v.iter().for_each(&mut f);
                        }
                    }
                }
            }
        }
        if let Some(m) = method {
            if let Some(v) = self.method.get(m) {
                v.iter().for_each(&mut f);
            }
        }
    }

    /// Whether any value matches.
    pub fn contains(&self, qual: Option<&str>, method: Option<&str>) -> bool {
        let mut found = false;
        self.lookup(qual, method, |_| found = true);
        found
    }
}
