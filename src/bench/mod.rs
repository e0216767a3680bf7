//! Labelled benchmark sets and the metrics that score a scanner against them.
//!
//! [`dataset`] loads a directory of Python files plus a `labels.csv` naming which files are
//! vulnerable (and their primary CWE); [`metrics`] turns per-file predictions into a confusion
//! matrix, precision/recall/accuracy/F1, a CWE-match rate and a Markdown table.

pub mod dataset;
pub mod metrics;
