//! The price table of `pyward bench --prices FILE.toml`: what a million input (prompt) and
//! output (completion) tokens cost, per backend kind and model.
//!
//! ```toml
//! currency = "USD"                 # optional, a label for the cost column (default USD)
//!
//! [openai."gpt-4o-mini"]           # [KIND."MODEL"], KIND = local or openai
//! input_per_million = 0.15
//! output_per_million = 0.60
//!
//! [openai."*"]                     # any other model of that kind
//! input_per_million = 1.0
//! output_per_million = 2.0
//!
//! [local."SmolLM2-135M-Instruct.Q4_1.gguf"]   # e.g. an amortised hardware cost
//! input_per_million = 0.001
//! output_per_million = 0.001
//! ```
//!
//! A model is looked up by its reported name (the manifest or file name for local models, the
//! API model for hosted ones), then by the model as written in `--backend`, then `"*"`.
//! Without an entry, local models and the static engine cost 0; a hosted model's cost is
//! unknown (`n/a`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why a price table cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    #[error("{}: cannot read the price table: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: invalid price table: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

/// The price of one model, per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input_per_million: f64,
    pub output_per_million: f64,
}

impl Price {
    /// The cost of `input` prompt and `output` completion tokens.
    pub fn cost(&self, input: usize, output: usize) -> f64 {
        (input as f64 * self.input_per_million + output as f64 * self.output_per_million) / 1e6
    }
}

/// A loaded price table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    #[serde(default = "usd")]
    pub currency: String,
    #[serde(default)]
    pub local: BTreeMap<String, Price>,
    #[serde(default)]
    pub openai: BTreeMap<String, Price>,
}

fn usd() -> String {
    "USD".to_string()
}

impl Default for PriceTable {
    fn default() -> Self {
        PriceTable {
            currency: usd(),
            local: BTreeMap::new(),
            openai: BTreeMap::new(),
        }
    }
}

impl PriceTable {
    /// Reads and checks a TOML price table.
    pub fn load(path: &Path) -> Result<PriceTable, PriceError> {
        let text = std::fs::read_to_string(path).map_err(|source| PriceError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        PriceTable::parse(path, &text)
    }

    /// Parses TOML text; `path` names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<PriceTable, PriceError> {
        let invalid = |message: String| PriceError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let table: PriceTable =
            toml::from_str(text).map_err(|e| invalid(e.to_string().trim().to_string()))?;
        for (kind, map) in [("local", &table.local), ("openai", &table.openai)] {
            for (model, p) in map {
                for (field, v) in [
                    ("input_per_million", p.input_per_million),
                    ("output_per_million", p.output_per_million),
                ] {
                    if !v.is_finite() || v < 0.0 {
                        return Err(invalid(format!(
                            "{kind}.\"{model}\".{field} must be a non-negative number, got {v}"
                        )));
                    }
                }
            }
        }
        Ok(table)
    }

    /// The price of a model of `kind` (`static`, `local`, `openai`), tried under each of
    /// `names` and then `"*"`. `None`: unknown (a hosted model without an entry).
    pub fn price(&self, kind: &str, names: &[&str]) -> Option<Price> {
        let free = Price {
            input_per_million: 0.0,
            output_per_million: 0.0,
        };
        let map = match kind {
            "local" => &self.local,
            "openai" => &self.openai,
            _ => return Some(free),
        };
        let found = names
            .iter()
            .chain(std::iter::once(&"*"))
            .find_map(|n| map.get(*n))
            .copied();
        match (found, kind) {
            (Some(p), _) => Some(p),
            (None, "local") => Some(free),
            (None, _) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = r#"
currency = "EUR"
[openai."gpt-4o-mini"]
input_per_million = 0.15
output_per_million = 0.60
[openai."*"]
input_per_million = 1.0
output_per_million = 2.0
[local."big.gguf"]
input_per_million = 0.5
output_per_million = 0.5
"#;

    #[test]
    fn looks_up_by_name_then_wildcard_with_free_local_default() {
        let t = PriceTable::parse(Path::new("p.toml"), TABLE).unwrap();
        assert_eq!(t.currency, "EUR");
        let p = t.price("openai", &["gpt-4o-mini"]).unwrap();
        assert!((p.cost(1_000_000, 500_000) - 0.45).abs() < 1e-12);
        assert_eq!(
            t.price("openai", &["other"]).unwrap().input_per_million,
            1.0
        );
        assert_eq!(
            t.price("local", &["x", "big.gguf"])
                .unwrap()
                .output_per_million,
            0.5
        );
        assert_eq!(t.price("local", &["small.gguf"]).unwrap().cost(10, 10), 0.0);
        assert_eq!(t.price("static", &[]).unwrap().cost(10, 10), 0.0);
        let d = PriceTable::default();
        assert_eq!(d.currency, "USD");
        assert_eq!(d.price("openai", &["gpt-4o-mini"]), None);
        assert_eq!(d.price("local", &["m"]).unwrap().cost(5, 5), 0.0);
    }

    #[test]
    fn rejects_typos_negative_prices_and_bad_toml_naming_the_file() {
        let e = PriceTable::parse(
            Path::new("p.toml"),
            "[openai.m]\ninput_per_milion = 1\noutput_per_million = 1\n",
        )
        .unwrap_err();
        assert!(
            e.to_string().starts_with("p.toml: invalid price table:")
                && e.to_string().contains("input_per_milion"),
            "{e}"
        );
        let e = PriceTable::parse(
            Path::new("p.toml"),
            "[local.m]\ninput_per_million = -1\noutput_per_million = 1\n",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("local.\"m\".input_per_million must be a non-negative number"),
            "{e}"
        );
        let e = PriceTable::parse(Path::new("p.toml"), "[anthropic.m]\n").unwrap_err();
        assert!(e.to_string().contains("anthropic"), "{e}");
        let e = PriceTable::parse(Path::new("p.toml"), "= nope").unwrap_err();
        assert!(matches!(e, PriceError::Invalid { .. }));
        let e = PriceTable::load(Path::new("/nonexistent/p.toml")).unwrap_err();
        assert!(matches!(e, PriceError::Read { .. }));
    }
}
