//! The arguments of `pyward bench`: datasets, backends, and what to measure.

use std::path::PathBuf;

use clap::Args;

use super::parse::{parse_device, parse_shard};
use super::{parse_stage_list, FailOn, StageList};

/// Options of `pyward bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// The dataset directory: Python files and (by default) `labels.csv`.
    #[arg(long, value_name = "DIR")]
    pub dataset: PathBuf,

    /// The labels CSV (`file,vulnerable,cwe`); default `DIR/labels.csv`.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,

    /// A backend to score: `static`, `local:MODEL` or `openai:URL#MODEL` (repeatable).
    #[arg(long = "backend", value_name = "SPEC", value_parser = parse_backend_spec)]
    pub backends: Vec<crate::bench::BackendSpec>,

    /// Add the static engine's row (the baseline).
    #[arg(long)]
    pub static_only: bool,

    /// Print JSON instead of the Markdown tables.
    #[arg(long)]
    pub json: bool,

    /// Also write the JSON report to this file (the Markdown tables still go to stdout).
    #[arg(long, value_name = "FILE.json")]
    pub json_file: Option<PathBuf>,

    /// Write an SVG plot of F1 against seconds per file, one point per backend.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,

    /// Prices per million input/output tokens (TOML) for the cost estimate.
    #[arg(long, value_name = "FILE.toml")]
    pub prices: Option<PathBuf>,

    /// The lowest severity of a finding that makes a file "predicted vulnerable".
    #[arg(long, value_enum, default_value_t = FailOn::Low, value_name = "SEVERITY")]
    pub threshold: FailOn,

    /// Where local models run: cpu, cuda or cuda:N.
    #[arg(long, value_name = "DEVICE", default_value = "cpu", value_parser = parse_device)]
    pub device: crate::device::DeviceSpec,

    /// CPU threads for local models (default: physical cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    /// Seed of every model call.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// A Jinja chat template for local models whose GGUF has none (a base model such as
    /// Gemma-3-270M); models with their own template keep it.
    #[arg(long, value_name = "FILE")]
    pub chat_template: Option<PathBuf>,

    /// Capability tier (1 tiny … 3 capable) for every model backend, overriding the local
    /// manifest's and the remote default of 3: e.g. to score a small model behind a server with
    /// the weight pyward gives it locally.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=3))]
    pub model_tier: Option<u8>,

    /// Measure only shard K of N of the dataset (the deterministic partition of `scan --shard`;
    /// metrics cover that share).
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<crate::shard::Shard>,

    /// Model stages to run instead of each tier's plan: `all`, `none`, or a comma-separated
    /// list of guardrail, analyzer, calibration (to measure what a stage adds).
    #[arg(long, value_name = "LIST", value_parser = parse_stage_list)]
    pub stages: Option<StageList>,

    /// No progress notes on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Internal: measure one backend in this process and print its raw results as JSON.
    #[arg(long, hide = true)]
    pub worker: bool,

    #[command(flatten)]
    pub fix: crate::bench::fix::FixArgs,
}

/// `--backend` values.
pub fn parse_backend_spec(text: &str) -> Result<crate::bench::BackendSpec, String> {
    text.parse()
        .map_err(|e: crate::bench::SpecError| e.to_string())
}
