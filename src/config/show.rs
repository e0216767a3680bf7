//! `pyward config`: every key with its effective value and where the value comes from.

use std::fmt::Write;

use super::file::KEYS;
use super::ConfigFile;

/// The text `pyward config` prints: the file in use, then one `key = value  # source` line per
/// key, in TOML syntax (so it can be pasted into a `pyward.toml`).
pub fn render(file: Option<&ConfigFile>, isolated: bool) -> String {
    let mut out = String::new();
    match file {
        Some(f) => {
            let _ = writeln!(out, "# configuration file: {}", f.label());
        }
        None if isolated => out.push_str("# configuration file: none (--isolated)\n"),
        None => out.push_str("# configuration file: none found\n"),
    }
    for key in KEYS {
        let (value, source) = match file.and_then(|f| value_of(f, key).map(|v| (v, f))) {
            Some((v, f)) => (v, f.label()),
            None => {
                let (v, note) = default_of(key);
                (v, format!("default{note}"))
            }
        };
        let _ = writeln!(out, "{key} = {value}  # {source}");
    }
    out
}

/// The file's value of `key` as TOML, when it sets it.
fn value_of(f: &ConfigFile, key: &str) -> Option<String> {
    let o = &f.options;
    let path = |p: &std::path::Path| quote(&crate::source::label_of(&f.dir.join(p)));
    match key {
        "select" => o.select.as_deref().map(list),
        "ignore" => o.ignore.as_deref().map(list),
        "exclude" => o.exclude.as_deref().map(list),
        "fail-on" => o
            .fail_on
            .map(|v| quote(&format!("{v:?}").to_ascii_lowercase())),
        "per-file-ignores" => o.per_file_ignores.as_ref().map(|t| {
            let items: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{} = {}", quote(k), list(v)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }),
        "model" => o.model.as_deref().map(path),
        "model-name" => o.model_name.as_deref().map(quote),
        "backend" => o
            .backend
            .map(|v| quote(&format!("{v:?}").to_ascii_lowercase())),
        "base-url" => o.base_url.as_deref().map(quote),
        "api-model" => o.api_model.as_deref().map(quote),
        "cache-dir" => o.cache_dir.as_deref().map(path),
        _ => None,
    }
}

/// A key's value when nothing sets it, and a note on what that means.
fn default_of(key: &str) -> (String, &'static str) {
    match key {
        "select" => ("[]".into(), ": every rule"),
        "ignore" | "exclude" => ("[]".into(), ""),
        "fail-on" => (quote("low"), ""),
        "per-file-ignores" => ("{}".into(), ""),
        "backend" => (quote("local"), ""),
        "model" | "model-name" => (quote(""), ": the default manifest's model, when cached"),
        "cache-dir" => (quote(""), ": the user cache directory + /pyward"),
        _ => (quote(""), ": unset"),
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

fn list(items: &[String]) -> String {
    let q: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", q.join(", "))
}
