//! Baselines: the fingerprints of an earlier report, whose findings a scan does not report.
//!
//! A baseline is any JSON report (`findings[].fingerprint`) or SARIF log
//! (`runs[].results[].partialFingerprints["pywardFingerprint/v1"]`) of `pyward scan`;
//! `--write-baseline` writes a JSON report. Fingerprints hash the rule id, the file's path
//! (relative to the current directory) and the whitespace-normalised source lines of the
//! finding, with an occurrence index among identical (rule, path, lines) triples of a file —
//! never line numbers — so findings stay baselined when code moves
//! ([`crate::finding::assign_fingerprints`]).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::report::sarif::FINGERPRINT_KEY;
use crate::scan::ScanOutcome;

/// A baseline that cannot be used (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("--baseline {path}: cannot read: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("--baseline {path}: {message}")]
    Invalid { path: String, message: String },
}

/// The fingerprints of a baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    fingerprints: BTreeSet<String>,
}

impl Baseline {
    /// Reads a JSON report or SARIF log.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let label = crate::source::label_of(path);
        let bytes = std::fs::read(path).map_err(|source| BaselineError::Read {
            path: label.clone(),
            source,
        })?;
        let invalid = |message: String| BaselineError::Invalid {
            path: label.clone(),
            message,
        };
        let v: Value = serde_json::from_slice(&bytes)
            .map_err(|e| invalid(format!("not a JSON or SARIF report: {e}")))?;
        Self::from_report(&v).ok_or_else(|| {
            invalid("not a pyward JSON report (`findings`) or SARIF log (`runs`)".into())
        })
    }

    /// The fingerprints of a parsed report; `None` when it is neither format.
    pub fn from_report(v: &Value) -> Option<Baseline> {
        let mut fingerprints = BTreeSet::new();
        if let Some(findings) = v.get("findings").and_then(Value::as_array) {
            for f in findings {
                if let Some(fp) = f.get("fingerprint").and_then(Value::as_str) {
                    fingerprints.insert(fp.to_string());
                }
            }
        } else if let Some(runs) = v.get("runs").and_then(Value::as_array) {
            for run in runs {
                for r in run
                    .get("results")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(fp) = r["partialFingerprints"][FINGERPRINT_KEY].as_str() {
                        fingerprints.insert(fp.to_string());
                    }
                }
            }
        } else {
            return None;
        }
        Some(Baseline { fingerprints })
    }

    /// A baseline of every finding of `outcome`.
    pub fn of(outcome: &ScanOutcome) -> Baseline {
        Baseline {
            fingerprints: outcome
                .findings
                .iter()
                .map(|f| f.fingerprint.clone())
                .collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    /// Removes the findings in the baseline; returns how many were removed.
    pub fn filter(&self, outcome: &mut ScanOutcome) -> usize {
        let before = outcome.findings.len();
        outcome
            .findings
            .retain(|f| f.fingerprint.is_empty() || !self.fingerprints.contains(&f.fingerprint));
        before - outcome.findings.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_sarif_reports_are_read() {
        let json = serde_json::json!({"findings": [{"fingerprint": "a"}, {"fingerprint": "b"}]});
        assert_eq!(Baseline::from_report(&json).unwrap().len(), 2);
        let sarif = serde_json::json!({"runs": [{"results": [
            {"partialFingerprints": {FINGERPRINT_KEY: "c"}},
            {"partialFingerprints": {}}
        ]}]});
        assert_eq!(Baseline::from_report(&sarif).unwrap().len(), 1);
        assert!(Baseline::from_report(&serde_json::json!({"x": 1})).is_none());
    }
}
