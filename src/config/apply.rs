//! Applying a configuration file to a command: command-line flags win (clap tells which
//! values came from the command line or the environment), the file fills in the rest.
//!
//! List flags replace the file's list (`--select X` ignores the file's `select`), as in ruff.
//! `model` and `model-name` are applied only when none of `--model`, `--model-name` and
//! `--static-only` is given. `exclude` and `per-file-ignores` have no flag of their own: the
//! [`Project`] applies them to the discovered files and to the findings.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::ArgMatches;
use globset::{GlobBuilder, GlobMatcher};
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::{ConfigError, ConfigFile};
use crate::cli::{FixArgs, ModelArgs, ScanArgs};
use crate::rules::select::select_rules;
use crate::rules::Catalog;
use crate::source::Input;

/// What a configuration file does beyond setting flags.
#[derive(Debug, Default)]
pub struct Project {
    /// The file in use, if any.
    pub file: Option<ConfigFile>,
    /// The file's `exclude`, unless `--exclude` was given.
    exclude: Option<Gitignore>,
    per_file: Vec<PerFile>,
}

#[derive(Debug)]
struct PerFile {
    matcher: GlobMatcher,
    /// A glob without `/` also matches the file name alone (`__init__.py`).
    by_name: bool,
    /// Rule ids (and the selectors' own text, for model findings).
    rules: BTreeSet<String>,
}

/// Whether the value of `id` was given on the command line (or in its environment variable).
fn given(m: &ArgMatches, id: &str) -> bool {
    matches!(
        m.value_source(id),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    )
}

impl Project {
    /// Applies `file` to `pyward scan`'s arguments.
    pub fn for_scan(
        file: Option<ConfigFile>,
        args: &mut ScanArgs,
        m: &ArgMatches,
        catalog: &Catalog,
    ) -> Result<Project, ConfigError> {
        let Some(cfg) = file else {
            return Ok(Project::default());
        };
        if let Some(f) = cfg.options.fail_on.filter(|_| !given(m, "fail_on")) {
            args.fail_on = f;
        }
        Self::common(
            cfg,
            m,
            catalog,
            (&mut args.input.select, &mut args.input.ignore),
            &mut args.model,
        )
    }

    /// Applies `file` to `pyward fix`'s arguments.
    pub fn for_fix(
        file: Option<ConfigFile>,
        args: &mut FixArgs,
        m: &ArgMatches,
        catalog: &Catalog,
    ) -> Result<Project, ConfigError> {
        let Some(cfg) = file else {
            return Ok(Project::default());
        };
        Self::common(
            cfg,
            m,
            catalog,
            (&mut args.input.select, &mut args.input.ignore),
            &mut args.model,
        )
    }

    fn common(
        cfg: ConfigFile,
        m: &ArgMatches,
        catalog: &Catalog,
        (select, ignore): (&mut Vec<String>, &mut Vec<String>),
        model: &mut ModelArgs,
    ) -> Result<Project, ConfigError> {
        let o = &cfg.options;
        check_selectors(&cfg, catalog)?;
        if let Some(v) = o.select.clone().filter(|_| !given(m, "select")) {
            *select = v;
        }
        if let Some(v) = o.ignore.clone().filter(|_| !given(m, "ignore")) {
            *ignore = v;
        }
        apply_model(&cfg, m, model)?;
        let exclude = match &o.exclude {
            Some(globs) if !given(m, "exclude") => Some(exclude_matcher(&cfg, globs)?),
            _ => None,
        };
        let per_file = per_file_ignores(&cfg, catalog)?;
        Ok(Project {
            file: Some(cfg),
            exclude,
            per_file,
        })
    }

    /// Checks everything the file says that a scan would check (selectors, globs, model keys),
    /// without applying it: for `pyward config`.
    pub fn validate(cfg: &ConfigFile, catalog: &Catalog) -> Result<(), ConfigError> {
        check_selectors(cfg, catalog)?;
        if let Some(globs) = &cfg.options.exclude {
            exclude_matcher(cfg, globs)?;
        }
        per_file_ignores(cfg, catalog)?;
        if cfg.options.model.is_some() && cfg.options.model_name.is_some() {
            return Err(cfg.invalid("set `model` or `model-name`, not both"));
        }
        Ok(())
    }

    /// Whether `input` survives the file's `exclude` (standard input always does).
    pub fn keep_input(&self, input: &Input) -> bool {
        let (Some(gi), Some(cfg), Input::File { path, .. }) = (&self.exclude, &self.file, input)
        else {
            return true;
        };
        match relative_to(path, &cfg.dir) {
            Some(rel) => !gi.matched_path_or_any_parents(&rel, false).is_ignore(),
            None => true,
        }
    }

    /// Whether `per-file-ignores` drops a finding of `rule_id` in the file labelled `label`.
    pub fn ignores(&self, label: &str, rule_id: &str) -> bool {
        let Some(cfg) = &self.file else {
            return false;
        };
        if self.per_file.is_empty() || label == "-" {
            return false;
        }
        let path = Path::new(label);
        let rel = relative_to(path, &cfg.dir);
        let name = path.file_name().map(Path::new);
        self.per_file.iter().any(|p| {
            p.rules.contains(rule_id)
                && (rel.as_deref().is_some_and(|r| p.matcher.is_match(r))
                    || (p.by_name && name.is_some_and(|n| p.matcher.is_match(n))))
        })
    }
}

/// `path` relative to `dir` (both resolved), when it is inside it.
fn relative_to(path: &Path, dir: &Path) -> Option<PathBuf> {
    let abs = std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .ok()?;
    abs.strip_prefix(dir).ok().map(Path::to_path_buf)
}

/// Selectors are checked here so a typo names the file, not a flag.
fn check_selectors(cfg: &ConfigFile, catalog: &Catalog) -> Result<(), ConfigError> {
    let o = &cfg.options;
    for (key, list) in [("select", &o.select), ("ignore", &o.ignore)] {
        if let Some(list) = list {
            select_rules(catalog, list, &[]).map_err(|e| cfg.invalid(format!("{key}: {e}")))?;
        }
    }
    Ok(())
}

fn apply_model(cfg: &ConfigFile, m: &ArgMatches, model: &mut ModelArgs) -> Result<(), ConfigError> {
    let o = &cfg.options;
    if o.model.is_some() && o.model_name.is_some() {
        return Err(cfg.invalid("set `model` or `model-name`, not both"));
    }
    let chosen = ["model", "model_name", "static_only"]
        .iter()
        .any(|id| given(m, id));
    if !chosen {
        if let Some(p) = &o.model {
            model.model = Some(cfg.dir.join(p));
        }
        if let Some(n) = &o.model_name {
            model.model_name = Some(n.clone());
        }
    }
    if let Some(b) = o.backend.filter(|_| !given(m, "backend")) {
        model.backend = b;
    }
    if let Some(u) = o.base_url.as_ref().filter(|_| !given(m, "base_url")) {
        model.base_url = Some(u.clone());
    }
    if let Some(a) = o.api_model.as_ref().filter(|_| !given(m, "api_model")) {
        model.api_model = Some(a.clone());
    }
    if let Some(d) = o.cache_dir.as_ref().filter(|_| !given(m, "cache_dir")) {
        model.cache_dir = Some(cfg.dir.join(d));
    }
    Ok(())
}

fn exclude_matcher(cfg: &ConfigFile, globs: &[String]) -> Result<Gitignore, ConfigError> {
    let mut b = GitignoreBuilder::new(&cfg.dir);
    for g in globs {
        b.add_line(None, g)
            .map_err(|e| cfg.invalid(format!("exclude: invalid glob `{g}`: {e}")))?;
    }
    b.build().map_err(|e| cfg.invalid(format!("exclude: {e}")))
}

fn per_file_ignores(cfg: &ConfigFile, catalog: &Catalog) -> Result<Vec<PerFile>, ConfigError> {
    let Some(table) = &cfg.options.per_file_ignores else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (glob, selectors) in table {
        let matcher = GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
            .map_err(|e| cfg.invalid(format!("per-file-ignores: invalid glob `{glob}`: {e}")))?
            .compile_matcher();
        if selectors.is_empty() {
            continue;
        }
        let chosen = select_rules(catalog, selectors, &[])
            .map_err(|e| cfg.invalid(format!("per-file-ignores.\"{glob}\": {e}")))?;
        let mut rules: BTreeSet<String> = chosen.rules().iter().map(|r| r.id.clone()).collect();
        rules.extend(selectors.iter().cloned());
        out.push(PerFile {
            matcher,
            by_name: !glob.contains('/'),
            rules,
        });
    }
    Ok(out)
}
