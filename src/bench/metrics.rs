//! File-level scoring of a scanner against a labelled [`Dataset`](super::dataset::Dataset).
//!
//! A file is *predicted vulnerable* when it has at least one unsuppressed finding at or above a
//! severity threshold. From the predictions we count TP/FP/TN/FN and derive:
//!
//! * precision = TP / (TP + FP), recall = TP / (TP + FN), accuracy = (TP + TN) / N,
//!   F1 = 2·P·R / (P + R);
//! * CWE-match rate = of the true positives, the fraction whose labelled CWE is among the CWEs
//!   of the file's counted findings.
//!
//! A ratio whose denominator is zero is *undefined* and reported as `None` (rendered `n/a`),
//! never silently as 0 or 1: no predicted positives leaves precision undefined, no labelled
//! positives leaves recall undefined, no true positives leaves the CWE-match rate undefined.
//! F1 is undefined when precision or recall is; it is 0 when both are 0.

use std::collections::{BTreeMap, BTreeSet};

use crate::bench::dataset::Dataset;
use crate::finding::{Finding, Severity};

/// Why metrics could not be computed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MetricsError {
    #[error("cannot score an empty dataset")]
    EmptyDataset,
    #[error("no prediction for labelled file `{0}`")]
    MissingPrediction(String),
}

/// What a scanner said about one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Prediction {
    pub vulnerable: bool,
    /// CWEs of the findings that were counted (sorted, deduplicated).
    pub cwes: BTreeSet<u32>,
}

impl Prediction {
    /// The prediction for one file's findings: unsuppressed findings with severity at or above
    /// `threshold` count.
    pub fn from_findings<'a>(
        findings: impl IntoIterator<Item = &'a Finding>,
        threshold: Severity,
    ) -> Prediction {
        let mut p = Prediction::default();
        for f in findings
            .into_iter()
            .filter(|f| !f.is_suppressed() && f.severity >= threshold)
        {
            p.vulnerable = true;
            p.cwes.extend(f.cwe.iter().copied());
        }
        p
    }
}

/// One file's outcome in the confusion matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    TruePositive,
    FalsePositive,
    TrueNegative,
    FalseNegative,
}

/// One scored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileResult {
    pub file: String,
    pub outcome: Outcome,
    pub labelled_cwe: Option<u32>,
    pub reported_cwes: BTreeSet<u32>,
    /// For true positives: is the labelled CWE among the reported ones?
    pub cwe_matched: Option<bool>,
}

/// The confusion matrix and the ratios derived from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub tp: usize,
    pub fp: usize,
    pub tn: usize,
    pub fn_: usize,
    /// True positives whose labelled CWE was reported.
    pub cwe_matches: usize,
    /// Per file, in dataset order.
    pub files: Vec<FileResult>,
}

fn ratio(num: usize, den: usize) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

impl Metrics {
    /// Total number of scored files.
    pub fn total(&self) -> usize {
        self.tp + self.fp + self.tn + self.fn_
    }
    /// TP / (TP + FP); `None` when nothing was predicted vulnerable.
    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }
    /// TP / (TP + FN); `None` when no file is labelled vulnerable.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }
    /// (TP + TN) / N; always defined (datasets are never empty).
    pub fn accuracy(&self) -> f64 {
        ratio(self.tp + self.tn, self.total()).unwrap_or(0.0)
    }
    /// Harmonic mean of precision and recall; `None` when either is undefined, 0 when both are 0.
    pub fn f1(&self) -> Option<f64> {
        let (p, r) = (self.precision()?, self.recall()?);
        Some(if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        })
    }
    /// Of the true positives, the fraction whose labelled CWE was reported; `None` without TPs.
    pub fn cwe_match_rate(&self) -> Option<f64> {
        ratio(self.cwe_matches, self.tp)
    }
    /// Files with the given outcome, in dataset order.
    pub fn files_with(&self, outcome: Outcome) -> Vec<&str> {
        self.files
            .iter()
            .filter(|f| f.outcome == outcome)
            .map(|f| f.file.as_str())
            .collect()
    }
}

/// Scores predictions (keyed by the dataset's relative file paths) against the labels. Every
/// labelled file needs a prediction; extra predictions are ignored.
pub fn score(
    dataset: &Dataset,
    predictions: &BTreeMap<String, Prediction>,
) -> Result<Metrics, MetricsError> {
    if dataset.files.is_empty() {
        return Err(MetricsError::EmptyDataset);
    }
    let mut m = Metrics {
        tp: 0,
        fp: 0,
        tn: 0,
        fn_: 0,
        cwe_matches: 0,
        files: Vec::new(),
    };
    for lf in &dataset.files {
        let p = predictions
            .get(&lf.file)
            .ok_or_else(|| MetricsError::MissingPrediction(lf.file.clone()))?;
        let outcome = match (lf.vulnerable, p.vulnerable) {
            (true, true) => Outcome::TruePositive,
            (false, true) => Outcome::FalsePositive,
            (false, false) => Outcome::TrueNegative,
            (true, false) => Outcome::FalseNegative,
        };
        let cwe_matched =
            (outcome == Outcome::TruePositive).then(|| lf.cwe.is_some_and(|c| p.cwes.contains(&c)));
        match outcome {
            Outcome::TruePositive => m.tp += 1,
            Outcome::FalsePositive => m.fp += 1,
            Outcome::TrueNegative => m.tn += 1,
            Outcome::FalseNegative => m.fn_ += 1,
        }
        m.cwe_matches += usize::from(cwe_matched == Some(true));
        m.files.push(FileResult {
            file: lf.file.clone(),
            outcome,
            labelled_cwe: lf.cwe,
            reported_cwes: p.cwes.clone(),
            cwe_matched,
        });
    }
    Ok(m)
}

/// The `p`-th percentile (0–100) of `values` by the nearest-rank method: the smallest value
/// with at least `p`% of the values at or below it (rank `ceil(p/100 · n)`, at least 1).
/// Always one of the values, never interpolated; `None` for no values.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let rank = ((p.clamp(0.0, 100.0) / 100.0) * n as f64).ceil() as usize;
    Some(v[rank.clamp(1, n) - 1])
}

/// A ratio with three decimals, `n/a` when undefined.
pub fn fmt_ratio(r: Option<f64>) -> String {
    r.map_or_else(|| "n/a".to_string(), |v| format!("{v:.3}"))
}

/// A Markdown table of the metrics, headed by `title` (e.g. the scanner and threshold).
pub fn markdown_table(title: &str, m: &Metrics) -> String {
    let mut s = String::new();
    s.push_str(&format!("| {title} | value |\n|---|---:|\n"));
    let rows: [(&str, String); 10] = [
        ("files", m.total().to_string()),
        ("true positives", m.tp.to_string()),
        ("false positives", m.fp.to_string()),
        ("true negatives", m.tn.to_string()),
        ("false negatives", m.fn_.to_string()),
        ("precision", fmt_ratio(m.precision())),
        ("recall", fmt_ratio(m.recall())),
        ("accuracy", format!("{:.3}", m.accuracy())),
        ("F1", fmt_ratio(m.f1())),
        ("CWE match (of TP)", fmt_ratio(m.cwe_match_rate())),
    ];
    for (k, v) in rows {
        s.push_str(&format!("| {k} | {v} |\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::dataset::LabelledFile;
    use crate::finding::{Confidence, Origin, Span, Suppression};

    fn ds(rows: &[(&str, bool, Option<u32>)]) -> Dataset {
        Dataset {
            dir: "d".into(),
            files: rows
                .iter()
                .map(|(f, v, c)| LabelledFile {
                    file: f.to_string(),
                    vulnerable: *v,
                    cwe: *c,
                })
                .collect(),
        }
    }

    fn pred(v: bool, cwes: &[u32]) -> Prediction {
        Prediction {
            vulnerable: v,
            cwes: cwes.iter().copied().collect(),
        }
    }

    fn preds(items: &[(&str, Prediction)]) -> BTreeMap<String, Prediction> {
        items
            .iter()
            .map(|(k, p)| (k.to_string(), p.clone()))
            .collect()
    }

    #[test]
    fn confusion_matrix_and_ratios() {
        let d = ds(&[
            ("a", true, Some(78)),
            ("b", true, Some(89)),
            ("c", true, Some(22)),
            ("d", false, None),
            ("e", false, None),
        ]);
        let p = preds(&[
            ("a", pred(true, &[78])),
            ("b", pred(true, &[79])),
            ("c", pred(false, &[])),
            ("d", pred(true, &[327])),
            ("e", pred(false, &[])),
            ("extra", pred(true, &[1])),
        ]);
        let m = score(&d, &p).unwrap();
        assert_eq!((m.tp, m.fp, m.tn, m.fn_), (2, 1, 1, 1));
        assert_eq!(m.total(), 5);
        assert_eq!(m.precision(), Some(2.0 / 3.0));
        assert_eq!(m.recall(), Some(2.0 / 3.0));
        assert_eq!(m.accuracy(), 3.0 / 5.0);
        assert!((m.f1().unwrap() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(m.cwe_match_rate(), Some(0.5));
        assert_eq!(m.files_with(Outcome::FalseNegative), vec!["c"]);
        assert_eq!(m.files_with(Outcome::FalsePositive), vec!["d"]);
        assert_eq!(m.files[0].cwe_matched, Some(true));
        assert_eq!(m.files[1].cwe_matched, Some(false));
        assert_eq!(m.files[3].cwe_matched, None);
    }

    #[test]
    fn undefined_ratios_are_none() {
        // Nothing predicted vulnerable: precision and F1 undefined, CWE match undefined.
        let d = ds(&[("a", true, Some(78)), ("b", false, None)]);
        let m = score(
            &d,
            &preds(&[("a", pred(false, &[])), ("b", pred(false, &[]))]),
        )
        .unwrap();
        assert_eq!(m.precision(), None);
        assert_eq!(m.recall(), Some(0.0));
        assert_eq!(m.f1(), None);
        assert_eq!(m.cwe_match_rate(), None);
        assert_eq!(m.accuracy(), 0.5);
        // No labelled positives: recall undefined.
        let d = ds(&[("b", false, None)]);
        let m = score(&d, &preds(&[("b", pred(true, &[1]))])).unwrap();
        assert_eq!((m.precision(), m.recall()), (Some(0.0), None));
        // Precision and recall both 0 gives F1 = 0.
        let d = ds(&[("a", true, Some(78)), ("b", false, None)]);
        let m = score(
            &d,
            &preds(&[("a", pred(false, &[])), ("b", pred(true, &[]))]),
        )
        .unwrap();
        assert_eq!(m.f1(), Some(0.0));
        let t = markdown_table("x", &m);
        assert!(t.contains("| recall | 0.000 |"), "{t}");
    }

    #[test]
    fn errors_for_empty_dataset_and_missing_prediction() {
        assert_eq!(
            score(&ds(&[]), &BTreeMap::new()).unwrap_err(),
            MetricsError::EmptyDataset
        );
        let e = score(&ds(&[("a", false, None)]), &BTreeMap::new()).unwrap_err();
        assert_eq!(e, MetricsError::MissingPrediction("a".into()));
    }

    fn finding(sev: Severity, cwe: u32, suppressed: bool) -> Finding {
        let span = Span {
            start_line: 1,
            start_column: 1,
            end_line: 1,
            end_column: 2,
        };
        Finding {
            rule_id: "r".into(),
            cwe: vec![cwe],
            severity: sev,
            confidence: Confidence::High,
            path: "a.py".into(),
            span,
            snippet: "x".into(),
            message: String::new(),
            remediation: String::new(),
            taint_path: Vec::new(),
            fingerprint: String::new(),
            origin: Origin::Static,
            suppressed: suppressed.then(|| Suppression {
                kind: "nosec".into(),
                justification: "# nosec".into(),
            }),
            fixes: Vec::new(),
            verdict: None,
            explanation: None,
            fix: None,
        }
    }

    #[test]
    fn prediction_respects_threshold_and_suppression() {
        let fs = [
            finding(Severity::Low, 330, false),
            finding(Severity::High, 78, true),
            finding(Severity::Medium, 89, false),
        ];
        assert_eq!(
            Prediction::from_findings(&fs, Severity::Low),
            pred(true, &[89, 330])
        );
        assert_eq!(
            Prediction::from_findings(&fs, Severity::Medium),
            pred(true, &[89])
        );
        assert_eq!(
            Prediction::from_findings(&fs, Severity::High),
            pred(false, &[])
        );
        assert_eq!(
            Prediction::from_findings(&[], Severity::Low),
            Prediction::default()
        );
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[7.0], 50.0), Some(7.0));
        assert_eq!(percentile(&[7.0], 95.0), Some(7.0));
        // Unsorted input; 10 values: p50 is the 5th smallest, p95 the 10th, p10 the 1st.
        let v = [10.0, 1.0, 9.0, 2.0, 8.0, 3.0, 7.0, 4.0, 6.0, 5.0];
        assert_eq!(percentile(&v, 50.0), Some(5.0));
        assert_eq!(percentile(&v, 95.0), Some(10.0));
        assert_eq!(percentile(&v, 90.0), Some(9.0));
        assert_eq!(percentile(&v, 10.0), Some(1.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&v, 100.0), Some(10.0));
        // 4 values: p50 = 2nd (rank ceil(2.0)), p95 = 4th (rank ceil(3.8)).
        assert_eq!(percentile(&[4.0, 1.0, 3.0, 2.0], 50.0), Some(2.0));
        assert_eq!(percentile(&[4.0, 1.0, 3.0, 2.0], 95.0), Some(4.0));
        assert_eq!(percentile(&[1.0, 1.0, 1.0], 50.0), Some(1.0));
    }

    #[test]
    fn all_negative_predictions_on_secure_files_have_no_nan() {
        // Every file secure and predicted secure: accuracy 1, every other ratio undefined.
        let d = ds(&[("a", false, None), ("b", false, None)]);
        let m = score(
            &d,
            &preds(&[("a", pred(false, &[])), ("b", pred(false, &[]))]),
        )
        .unwrap();
        assert_eq!((m.tp, m.fp, m.tn, m.fn_), (0, 0, 2, 0));
        assert_eq!(
            (m.precision(), m.recall(), m.f1(), m.cwe_match_rate()),
            (None, None, None, None)
        );
        assert_eq!(m.accuracy(), 1.0);
        let t = markdown_table("x", &m);
        assert!(
            !t.contains("NaN") && t.contains("| precision | n/a |"),
            "{t}"
        );
        // Every file vulnerable and caught with the right CWE: everything is 1.
        let d = ds(&[("a", true, Some(89)), ("b", true, Some(78))]);
        let m = score(
            &d,
            &preds(&[("a", pred(true, &[89, 20])), ("b", pred(true, &[78]))]),
        )
        .unwrap();
        assert_eq!(
            (m.precision(), m.recall(), m.f1(), m.cwe_match_rate()),
            (Some(1.0), Some(1.0), Some(1.0), Some(1.0))
        );
    }

    #[test]
    fn table_lists_every_metric() {
        let d = ds(&[("a", true, Some(78)), ("b", false, None)]);
        let m = score(
            &d,
            &preds(&[("a", pred(true, &[78])), ("b", pred(false, &[]))]),
        )
        .unwrap();
        let t = markdown_table("static, severity >= low", &m);
        let expected = "| static, severity >= low | value |\n|---|---:|\n| files | 2 |\n| true positives | 1 |\n| false positives | 0 |\n| true negatives | 1 |\n| false negatives | 0 |\n| precision | 1.000 |\n| recall | 1.000 |\n| accuracy | 1.000 |\n| F1 | 1.000 |\n| CWE match (of TP) | 1.000 |\n";
        assert_eq!(t, expected);
    }
}
