//! The command line, as clap types. Parsing only: the commands live in `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub(crate) mod bench;
pub(crate) mod input;
pub mod models;
pub(crate) mod parse;
pub(crate) mod workflow;

pub use bench::{parse_backend_spec, BenchArgs};
pub use input::InputArgs;
pub use parse::{parse_device, parse_shard, parse_size};

use crate::finding::Severity;
use crate::report::Format;

const SCAN_EXAMPLES: &str = "\
Examples:
  pyward scan .                              scan the current directory (honours .gitignore)
  pyward scan app.py lib/ --format json      JSON report on stdout
  cat app.py | pyward scan -                 scan standard input
  pyward scan src --format sarif --output pyward.sarif
  pyward scan src --select command-injection,CWE-89 --ignore PW101
  pyward scan src --fail-on high             exit 1 only for high-severity findings
  pyward scan src --model ~/models/qwen2.5-coder-1.5b-instruct-q8_0.gguf
  pyward scan src --model-name smollm2-135m --show-speculative
  pyward scan src --static-only              the rule engine alone, no model
  pyward scan . --write-baseline base.json   record today's findings (exit 0) …
  pyward scan . --baseline base.json         … then report only the new ones
  pyward scan . --diff origin/main --diff-lines
                                             only findings on lines changed since origin/main
  pyward scan src --backend openai --base-url http://127.0.0.1:8080/v1 --api-model qwen2.5-coder
                                             a self-hosted OpenAI-compatible server (llama.cpp, vLLM)
  pyward scan src --backend openai --base-url https://api.openai.com/v1 --api-model gpt-4o-mini
                                             a hosted model: the code is sent to it (key: $OPENAI_API_KEY)

With a local model (--model, --model-name, or the default manifest's file in the Hugging Face
cache) the four-stage pipeline runs: guardrail, analyzer, calibration (and `pyward fix`).
Without one the scan is static-only and says so. With --backend openai the same pipeline asks
an OpenAI-compatible server instead, --max-concurrent files at a time; unless the server is on
this machine (localhost, 127.0.0.1, ::1) the scanned code leaves it, a warning says so and the
report's provenance records it.

Settings come from pyward.toml or [tool.pyward] in pyproject.toml, found above the first path
(flags override them; --config FILE, --isolated; `pyward config` shows them; docs/config.md).

Exit status: 0 no unsuppressed finding at or above --fail-on, 1 findings, 2 usage or fatal error.";

const FIX_EXAMPLES: &str = "\
Examples:
  pyward fix app.py                          diff of the verified fixes on stdout
  pyward fix app.py --write                  apply them (app.py.orig keeps the original)
  pyward fix src --model model.gguf --candidates 3 --max-rounds 3

Only fixes that re-scan clean (the finding is gone, nothing new appeared, the file parses) are
applied; the others are listed as unverified. A file changed since it was read is never written.

Exit status: 0 every finding has a verified fix (or none was found), 1 findings remain without
one, 2 usage or fatal error.";

const BENCH_EXAMPLES: &str = "\
Examples:
  pyward bench --dataset tests/bench_data --static-only
  pyward bench --dataset data --static-only --backend local:smollm2-135m --plot bench.svg
  pyward bench --dataset data --backend local:models/qwen.gguf --prices prices.toml --json
  pyward bench --dataset tests/bench_data --fix --static-only --semgrep-config rules/

Backends: `static` (the rule engine alone; --static-only adds it), `local:MODEL` (a .gguf path
or a model name, see `pyward models list`), `openai:URL#MODEL` (an OpenAI-compatible
endpoint). Each backend runs in its own process, so its peak memory is its own. The labels
CSV has the header `file,vulnerable,cwe` (see README, \"Benchmarking backends\").";

const MERGE_EXAMPLES: &str = "\
Examples:
  pyward scan src --shard 1/2 --format json -o s1.json
  pyward scan src --shard 2/2 --format json -o s2.json
  pyward merge s1.json s2.json --format sarif -o pyward.sarif

Reports from different pyward versions, rule sets or models are refused. JSON inputs can be
merged into any format; SARIF inputs into SARIF.

Exit status: 0 no unsuppressed finding at or above --fail-on, 1 findings, 2 usage or fatal error.";

const TOP_EXAMPLES: &str = "\
Examples:
  pyward scan .                  scan a project
  pyward rules                   list every rule
  pyward explain PW101           full documentation of one rule

Exit status: 0 clean, 1 findings, 2 usage or fatal error.";

/// pyward: an offline security scanner for Python.
#[derive(Debug, Parser)]
#[command(
    name = "pyward",
    version,
    about = "Offline security scanner for Python",
    long_about = "Offline security scanner for Python.\n\nA tree-sitter static engine driven by \
                  data rules finds injection, unsafe deserialisation, weak crypto, \
                  misconfiguration and more. Nothing leaves the machine unless you choose \
                  a hosted model (`--backend openai`).",
    after_help = TOP_EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub config: workflow::ConfigFileArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files, directories or standard input (`-`) for vulnerabilities.
    #[command(after_help = SCAN_EXAMPLES)]
    Scan(ScanArgs),
    /// List the rules: id, CWE, severity, category and title.
    Rules(RulesArgs),
    /// Show the full documentation of one rule.
    #[command(after_help = "Example:\n  pyward explain PW101")]
    Explain(ExplainArgs),
    /// Repair findings: print a unified diff of verified fixes (`--write` applies them).
    #[command(after_help = FIX_EXAMPLES)]
    Fix(FixArgs),
    /// Manage local models: list, pull, import, verify, info, bench.
    Models(crate::cli::models::ModelsArgs),
    /// Score backends (static engine, local models) on a labelled dataset: quality, speed,
    /// memory and cost.
    #[command(after_help = BENCH_EXAMPLES)]
    Bench(BenchArgs),
    /// Combine JSON or SARIF reports of `scan --shard` runs into one report.
    #[command(after_help = MERGE_EXAMPLES)]
    Merge(MergeArgs),
    /// Show the effective settings and the configuration file each comes from.
    Config(workflow::ConfigArgs),
    /// Print a shell completion script: `pyward completions bash > ~/.local/share/bash-completion/completions/pyward`.
    Completions(workflow::CompletionsArgs),
}

/// When to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorArg {
    /// Only when writing to a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    Always,
    Never,
}

/// The `--fail-on` threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum FailOn {
    #[default]
    Low,
    Medium,
    High,
}

impl FailOn {
    /// The lowest severity that makes the scan fail.
    pub fn severity(self) -> Severity {
        match self {
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
        }
    }
}

/// Options of `pyward scan`.
#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads a file from standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Report format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Write the report to FILE instead of standard output (atomically).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// When to use colours in the text report.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    pub color: ColorArg,

    /// Number of files scanned in parallel (default: number of CPUs).
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// Exit with status 1 when an unsuppressed finding has at least this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Low, value_name = "SEVERITY")]
    pub fail_on: FailOn,

    #[command(flatten)]
    pub input: InputArgs,

    /// Also show findings silenced by `# nosec`, `# noqa` or `# pyward: ignore`.
    #[arg(long)]
    pub show_suppressed: bool,

    /// Also report findings the calibration stage rated speculative.
    #[arg(long)]
    pub show_speculative: bool,

    /// Scan only shard K of N: a stable hash of each file's path picks its shard, so N runs
    /// with the same paths cover every file once (combine them with `pyward merge`).
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<crate::shard::Shard>,

    #[command(flatten)]
    pub workflow: workflow::ScanWorkflowArgs,

    #[command(flatten)]
    pub model: ModelArgs,
}

/// Which backend answers the pipeline's questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum BackendArg {
    /// The in-process candle runtime on a GGUF file: nothing leaves the machine.
    #[default]
    Local,
    /// An OpenAI-compatible Chat Completions server (`--base-url`, `--api-model`).
    Openai,
}

/// Which model runs the pipeline, and where.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// Where the model runs: `local` (in-process) or `openai` (an OpenAI-compatible server:
    /// OpenAI, vLLM, TGI, llama.cpp's llama-server, …; the scanned code is sent to it).
    #[arg(long, value_enum, default_value_t = BackendArg::Local, value_name = "BACKEND")]
    pub backend: BackendArg,

    /// `--backend openai`: the API root, e.g. https://api.openai.com/v1 or
    /// http://127.0.0.1:8080/v1 (requests go to URL/chat/completions).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// `--backend openai`: the model name the server knows, e.g. gpt-4o-mini.
    #[arg(long, value_name = "NAME")]
    pub api_model: Option<String>,

    /// `--backend openai`: the environment variable holding the API key (sent as a bearer
    /// token; unset is fine for local servers without authentication).
    #[arg(long, value_name = "VAR", default_value = "OPENAI_API_KEY")]
    pub api_key_env: String,

    /// `--backend openai`: files in flight at once (a local model runs one file at a time).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub max_concurrent: u16,

    /// `--backend openai`: seconds allowed for one HTTP request (connect and answer).
    #[arg(long, value_name = "SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    /// The model's capability tier, 1 (tiny) … 3 (capable), overriding the manifest's
    /// (local; 1 for files matching no manifest) or the remote default of 3.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=3))]
    pub model_tier: Option<u8>,

    /// A GGUF model file to run (no download, no manifest needed: the air-gapped path).
    #[arg(long, value_name = "FILE.gguf", conflicts_with_all = ["model_name", "static_only"])]
    pub model: Option<PathBuf>,

    /// A model by name: a manifest (`pyward models list`) or an imported model, found in the
    /// local cache (never downloaded here). Default: the CPU default manifest, when cached.
    #[arg(long, value_name = "NAME", conflicts_with = "static_only")]
    pub model_name: Option<String>,

    /// Run the static engine only, even when a model is available.
    #[arg(long)]
    pub static_only: bool,

    /// Where the model runs: cpu, cuda or cuda:N (needs a build with `--features cuda`).
    #[arg(long, value_name = "DEVICE", default_value = "cpu", value_parser = parse_device)]
    pub device: crate::device::DeviceSpec,

    /// CPU threads for the model (default: physical cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    /// A Jinja chat template used instead of the model's own.
    #[arg(long, value_name = "FILE")]
    pub chat_template: Option<PathBuf>,

    /// Seed of every model call (fix candidates use seed + i).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Do not read or write the result cache.
    #[arg(long)]
    pub no_cache: bool,

    /// Result cache directory (default: the user cache dir + `/pyward`).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Offline: never touch the network (model resolution never downloads anyway; this also
    /// sets the advice given when a model is missing).
    #[arg(long)]
    pub offline: bool,

    /// Model stages to run instead of the tier's plan: `all`, `none`, or a comma-separated list
    /// of guardrail, analyzer, calibration (the report records the plan that ran).
    #[arg(long, value_name = "LIST", value_parser = parse_stage_list)]
    pub stages: Option<StageList>,

    /// Show every discarded or failed model answer on standard error (the run summary counts
    /// them in one line).
    #[arg(long, short = 'v')]
    pub verbose: bool,

    /// No progress bars and no notes on standard error (errors still print).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// The stages named by `--stages`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageList(pub Vec<crate::pipeline::PlanStage>);

/// `--stages` values.
pub fn parse_stage_list(text: &str) -> Result<StageList, String> {
    crate::pipeline::plan::parse_stages(text).map(StageList)
}

impl Default for ModelArgs {
    /// The values clap gives when no flag is passed (parsed, so they cannot drift apart).
    fn default() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            model: ModelArgs,
        }
        Only::parse_from(["pyward"]).model
    }
}

/// Options of `pyward fix`.
#[derive(Debug, Clone, Args)]
pub struct FixArgs {
    /// Files or directories to repair.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Apply the verified fixes in place (atomically; `FILE.orig` keeps the original).
    #[arg(long)]
    pub write: bool,

    /// Fix rounds per finding: a failed fix is re-scanned and fed back this many times.
    #[arg(long, default_value_t = 3, value_name = "K", value_parser = clap::value_parser!(u16).range(1..=10))]
    pub max_rounds: u16,

    /// Model fix candidates per round (sampled with fixed seeds, ranked by the scanner).
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=16))]
    pub candidates: u16,

    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub model: ModelArgs,
}

/// Options of `pyward merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The reports to combine (all JSON or all SARIF, from `pyward scan`).
    #[arg(required = true, value_name = "FILE")]
    pub reports: Vec<PathBuf>,

    /// Report format of the merged report.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Json)]
    pub format: Format,

    /// Write the merged report to FILE instead of standard output (atomically).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit with status 1 when an unsuppressed finding has at least this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Low, value_name = "SEVERITY")]
    pub fail_on: FailOn,
}

/// Options of `pyward rules`.
#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

/// Formats of `pyward rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

/// Options of `pyward explain`.
#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// The rule id, e.g. PW101.
    #[arg(value_name = "RULE")]
    pub rule: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn selectors_split_on_commas_and_repeat() {
        let cli = Cli::try_parse_from([
            "pyward",
            "scan",
            "x.py",
            "--select",
            "PW101,CWE-78",
            "--select",
            "sql-injection",
            "--ignore",
            "PW102",
        ])
        .unwrap();
        let Command::Scan(args) = cli.command else {
            panic!("not scan")
        };
        assert_eq!(args.input.select, ["PW101", "CWE-78", "sql-injection"]);
        assert_eq!(args.input.ignore, ["PW102"]);
        assert_eq!(args.fail_on, FailOn::Low);
        assert_eq!(args.format, Format::Text);
    }

    #[test]
    fn jobs_must_be_positive() {
        assert!(Cli::try_parse_from(["pyward", "scan", "x", "--jobs", "0"]).is_err());
        assert!(Cli::try_parse_from(["pyward", "scan", "x", "--jobs", "4"]).is_ok());
    }

    #[test]
    fn backend_flags_parse_with_defaults() {
        let cli = Cli::try_parse_from(["pyward", "scan", "x.py"]).unwrap();
        let Command::Scan(args) = cli.command else {
            panic!("not scan")
        };
        let m = &args.model;
        assert_eq!(m.backend, BackendArg::Local);
        assert_eq!(
            (
                m.api_key_env.as_str(),
                m.max_concurrent,
                m.timeout,
                m.model_tier
            ),
            ("OPENAI_API_KEY", 4, 120, None)
        );
        let cli = Cli::try_parse_from([
            "pyward",
            "fix",
            "x.py",
            "--backend",
            "openai",
            "--base-url",
            "http://h/v1",
            "--api-model",
            "m",
            "--api-key-env",
            "K",
            "--max-concurrent",
            "8",
            "--timeout",
            "5",
            "--model-tier",
            "2",
        ])
        .unwrap();
        let Command::Fix(args) = cli.command else {
            panic!("not fix")
        };
        let m = &args.model;
        assert_eq!(m.backend, BackendArg::Openai);
        assert_eq!(
            (m.base_url.as_deref(), m.api_model.as_deref()),
            (Some("http://h/v1"), Some("m"))
        );
        assert_eq!(
            (
                m.api_key_env.as_str(),
                m.max_concurrent,
                m.timeout,
                m.model_tier
            ),
            ("K", 8, 5, Some(2))
        );
        for bad in [
            ["--max-concurrent", "0"],
            ["--timeout", "0"],
            ["--model-tier", "4"],
            ["--backend", "remote"],
        ] {
            assert!(
                Cli::try_parse_from(["pyward", "scan", "x"].into_iter().chain(bad)).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn scan_needs_a_path() {
        assert!(Cli::try_parse_from(["pyward", "scan"]).is_err());
    }
}
