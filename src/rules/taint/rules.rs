//! The taint rule data: sources and global sanitizers (`rules/python/_taint/`), and each
//! rule's sinks and sanitizers, compiled into a [`TaintEngine`].

use hashbrown::HashMap;

use serde::Deserialize;

use super::{TaintEngine, SANITIZERS_FILE, SOURCES_FILE};
use crate::error::RuleError;
use crate::rules::args::CompiledArg;
use crate::rules::resolve::{NamePattern, NameTable};
use crate::rules::{embedded_data_file, Catalog};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SourcesFile {
    pub(super) handlers: HandlersSpec,
    #[serde(default)]
    pub(super) source: Vec<SourceSpec>,
    #[serde(default, rename = "runs-function")]
    pub(super) runs_function: Vec<RunnerSpec>,
}

/// A call that runs a function passed to it (`map`, `executor.submit`, `Thread(target=...)`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RunnerSpec {
    pub(super) callee: Vec<String>,
    /// Position of the function among the positional arguments.
    #[serde(default)]
    pub(super) function: Option<usize>,
    /// Keyword that names the function.
    #[serde(default)]
    pub(super) keyword: Option<String>,
    /// Keyword whose tuple or list holds the function's arguments.
    #[serde(default)]
    pub(super) args_keyword: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct HandlersSpec {
    #[serde(default)]
    pub(super) route_decorators: Vec<String>,
    #[serde(default)]
    pub(super) view_first_params: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct SourceSpec {
    pub(super) kind: String,
    pub(super) description: String,
    #[serde(default)]
    pub(super) calls: Vec<String>,
    #[serde(default)]
    pub(super) values: Vec<String>,
    #[serde(default)]
    pub(super) params: Vec<String>,
    #[serde(default)]
    pub(super) attributes: Vec<String>,
    #[serde(default)]
    pub(super) handler_params: bool,
    #[serde(default)]
    pub(super) scalar_handler_params: bool,
    /// Conversions, hashes and escaping keep this kind (a hash of a predictable value is
    /// predictable): global sanitizers do not clear it.
    #[serde(default)]
    pub(super) kept_by_conversions: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SanitizersFile {
    pub(super) names: Vec<String>,
    #[serde(default)]
    pub(super) validators: Vec<String>,
}

/// One compiled source entry.
#[derive(Debug)]
pub(super) struct Source {
    pub(super) kind_bit: u64,
    pub(super) description: String,
    pub(super) attributes: Vec<String>,
}

/// One compiled sink of one rule.
#[derive(Debug)]
pub(super) struct Sink {
    /// Index of the rule in the catalogue.
    pub(super) rule: u32,
    /// Bit of the rule among taint rules (for rule-specific sanitizers).
    pub(super) rule_bit: u128,
    /// Source kinds the rule accepts.
    pub(super) kinds: u64,
    pub(super) positions: Vec<usize>,
    pub(super) keywords: Vec<String>,
    pub(super) args: Vec<CompiledArg>,
    /// Modules one of which the file must import for the sink to apply (empty: any file).
    pub(super) imports: Vec<String>,
    /// The object a method is called on is dangerous too.
    pub(super) receiver: bool,
    /// The argument is an argument vector (see `TaintSink::argv`).
    pub(super) argv: bool,
    /// The rule's primary CWE (what a clean sink call vouches for).
    pub(super) cwe: u32,
}

/// Handlers whose return value is sink `sink`.
#[derive(Debug)]
pub(super) struct ReturnSinkSpec {
    pub(super) sink: u32,
    pub(super) decorators: NameTable<()>,
    pub(super) imports: Vec<String>,
    /// `(keyword, value suffix)` of decorator calls that make the return value HTML.
    pub(super) keywords: Vec<(String, String)>,
}

pub(super) fn data_error(file: &str, message: String) -> RuleError {
    RuleError::Invalid {
        file: file.to_string(),
        message,
    }
}

impl TaintEngine {
    /// Compiles the taint specs of every rule, and the shared sources and sanitizers.
    pub fn new(catalog: &Catalog) -> Result<TaintEngine, RuleError> {
        let sources_text = embedded_data_file(SOURCES_FILE)
            .ok_or_else(|| data_error(SOURCES_FILE, "missing".into()))?;
        let sanitizers_text = embedded_data_file(SANITIZERS_FILE)
            .ok_or_else(|| data_error(SANITIZERS_FILE, "missing".into()))?;
        Self::from_data(catalog, sources_text, sanitizers_text)
    }

    /// Like [`TaintEngine::new`] with explicit data files (used by tests).
    pub fn from_data(
        catalog: &Catalog,
        sources_text: &str,
        sanitizers_text: &str,
    ) -> Result<TaintEngine, RuleError> {
        let mut eng = TaintEngine::default();
        let name = |file: &str, s: &str| NamePattern::parse(s).map_err(|m| data_error(file, m));
        let sf: SourcesFile = toml::from_str(sources_text).map_err(|source| RuleError::Toml {
            file: SOURCES_FILE.into(),
            source,
        })?;
        let mut kind_bits: HashMap<String, u64> = HashMap::new();
        for (si, s) in sf.source.iter().enumerate() {
            let next = kind_bits.len();
            if next >= super::summary::PARAM_SHIFT as usize {
                return Err(data_error(SOURCES_FILE, "more than 40 source kinds".into()));
            }
            let bit = *kind_bits.entry(s.kind.clone()).or_insert(1u64 << next);
            eng.sources.push(Source {
                kind_bit: bit,
                description: s.description.clone(),
                attributes: s.attributes.clone(),
            });
            let si = si as u32;
            for c in &s.calls {
                eng.source_calls.insert(&name(SOURCES_FILE, c)?, si);
            }
            for v in &s.values {
                match name(SOURCES_FILE, v)? {
                    NamePattern::Exact(v) => eng.source_values.entry(v).or_default().push(si),
                    _ => {
                        return Err(data_error(
                            SOURCES_FILE,
                            format!("value `{v}` must be an exact name"),
                        ))
                    }
                }
            }
            for p in &s.params {
                eng.source_params.insert(p.clone(), si);
            }
            if s.handler_params {
                eng.handler_param_source = Some(si);
            }
            if s.scalar_handler_params {
                eng.scalar_param_source = Some(si);
            }
            if s.kept_by_conversions {
                eng.persistent_kinds |= bit;
            }
        }
        // The modules each source kind's calls come from (where name-known sinks apply).
        let kind_modules: Vec<(u64, String)> = sf
            .source
            .iter()
            .flat_map(|s| {
                let bit = kind_bits[&s.kind];
                s.calls
                    .iter()
                    .filter_map(move |c| c.split('.').next().map(|m| (bit, m.to_string())))
            })
            .filter(|(_, m)| m != "*")
            .collect();
        for d in &sf.handlers.route_decorators {
            eng.route_decorators.insert(&name(SOURCES_FILE, d)?, ());
        }
        eng.view_first_params = sf.handlers.view_first_params;
        for (i, r) in sf.runs_function.into_iter().enumerate() {
            if r.function.is_none() && r.keyword.is_none() {
                return Err(data_error(
                    SOURCES_FILE,
                    "a runs-function entry needs `function` or `keyword`".into(),
                ));
            }
            for c in &r.callee {
                eng.runners.insert(&name(SOURCES_FILE, c)?, i as u32);
            }
            eng.runner_specs.push(r);
        }
        let san: SanitizersFile =
            toml::from_str(sanitizers_text).map_err(|source| RuleError::Toml {
                file: SANITIZERS_FILE.into(),
                source,
            })?;
        for s in &san.names {
            eng.global_sanitizers.insert(&name(SANITIZERS_FILE, s)?, ());
        }
        for s in &san.validators {
            eng.validators.insert(&name(SANITIZERS_FILE, s)?, ());
        }

        let mut taint_rules = 0usize;
        for (ri, rule) in catalog.rules().iter().enumerate() {
            let Some(t) = &rule.taint else { continue };
            let file = format!("python/{}/{}.toml", rule.category, rule.id);
            if taint_rules >= 128 {
                return Err(data_error(&file, "more than 128 taint rules".into()));
            }
            let rule_bit = 1u128 << taint_rules;
            taint_rules += 1;
            if t.sinks.is_empty() && t.stores.is_empty() && t.returns.is_none() {
                return Err(data_error(
                    &file,
                    "the taint section has no sinks, stores or returns".into(),
                ));
            }
            let kinds = if t.sources.is_empty() {
                super::summary::SOURCE_MASK
            } else {
                let mut k = 0;
                for s in &t.sources {
                    k |= kind_bits.get(s).copied().ok_or_else(|| {
                        data_error(
                            &file,
                            format!("unknown taint source kind `{s}` (see rules/{SOURCES_FILE})"),
                        )
                    })?;
                }
                k
            };
            for s in &t.sanitizers {
                eng.rule_sanitizers.insert(&name(&file, s)?, rule_bit);
            }
            if t.guards {
                eng.guard_rules |= rule_bit;
            }
            if t.calls_process {
                eng.process_rules |= rule_bit;
            }
            let cwe = rule.cwe.first().copied().unwrap_or(0);
            let plain = || Sink {
                rule: ri as u32,
                rule_bit,
                kinds,
                positions: Vec::new(),
                keywords: Vec::new(),
                args: Vec::new(),
                imports: Vec::new(),
                receiver: false,
                argv: false,
                cwe,
            };
            if !t.stores.is_empty() {
                let idx = eng.sinks.len() as u32;
                let sink = plain();
                eng.sinks.push(sink);
                for c in &t.stores {
                    eng.store_table.insert(&name(&file, c)?, idx);
                }
                for c in &t.unless_calls {
                    eng.store_unless.insert(&name(&file, c)?, idx);
                }
            }
            if let Some(r) = &t.returns {
                let idx = eng.sinks.len() as u32;
                let sink = plain();
                eng.sinks.push(sink);
                let mut decorators = NameTable::default();
                for d in &r.decorators {
                    decorators.insert(&name(&file, d)?, ());
                }
                let mut keywords = Vec::new();
                for k in &r.keywords {
                    let Some((n, v)) = k.split_once('=') else {
                        return Err(data_error(
                            &file,
                            format!("returns.keywords entry `{k}` is not NAME=SUFFIX"),
                        ));
                    };
                    keywords.push((n.trim().to_string(), v.trim().to_string()));
                }
                eng.return_sinks.push(ReturnSinkSpec {
                    sink: idx,
                    decorators,
                    imports: r.imports.clone(),
                    keywords,
                });
            }
            for sink in &t.sinks {
                if sink.callee.is_empty()
                    && sink.callee_named.is_none()
                    && sink.keyword_named.is_none()
                    && sink.dict_keys.is_empty()
                {
                    return Err(data_error(
                        &file,
                        "a sink needs a callee, `callee-named`, `keyword-named` or `dict-keys`"
                            .into(),
                    ));
                }
                let idx = eng.sinks.len() as u32;
                for k in &sink.dict_keys {
                    eng.named.keys.push((k.clone(), idx));
                }
                for c in &sink.callee {
                    eng.sink_table.insert(&name(&file, c)?, idx);
                }
                if sink.callee_named.is_some() || sink.keyword_named.is_some() {
                    let re = |r: &Option<String>| {
                        r.as_deref()
                            .map(crate::rules::regexes::text)
                            .transpose()
                            .map_err(|e| data_error(&file, format!("bad sink name regex: {e}")))
                    };
                    eng.named.entries.push(super::named::NamedSink {
                        sink: idx,
                        callee: re(&sink.callee_named)?,
                        keyword: re(&sink.keyword_named)?,
                    });
                    for (bit, m) in &kind_modules {
                        if bit & kinds != 0 && !eng.named.modules.contains(m) {
                            eng.named.modules.push(m.clone());
                        }
                    }
                }
                let args = sink
                    .args
                    .iter()
                    .map(CompiledArg::compile)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|m| data_error(&file, m))?;
                eng.sinks.push(Sink {
                    rule: ri as u32,
                    rule_bit,
                    kinds,
                    positions: sink.positions.clone(),
                    keywords: sink.keywords.clone(),
                    args,
                    imports: sink.imports.clone(),
                    receiver: sink.receiver,
                    argv: sink.argv,
                    cwe: rule.cwe.first().copied().unwrap_or(0),
                });
            }
        }
        Ok(eng)
    }
}
