//! Command-line types of the project workflow: configuration files, baselines, `--diff`,
//! `pyward config` and `pyward completions`.

use std::path::PathBuf;

use clap::Args;

/// Where settings come from (global flags, accepted before or after the subcommand).
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigFileArgs {
    /// Read settings from this file (a `pyward.toml`, or a `pyproject.toml` with a
    /// `[tool.pyward]` table) instead of looking for one above the scanned paths.
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "isolated")]
    pub config: Option<PathBuf>,

    /// Ignore every configuration file: command-line flags and defaults only.
    #[arg(long, global = true)]
    pub isolated: bool,
}

/// `pyward scan` options that narrow what is reported: baselines and changed files.
#[derive(Debug, Clone, Default, Args)]
pub struct ScanWorkflowArgs {
    /// Report only findings whose fingerprint is not in FILE (a JSON or SARIF report of an
    /// earlier `pyward scan`).
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,

    /// Write every finding of this scan to FILE (a JSON report) as the new baseline; those
    /// findings are then not reported, so the run exits 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Scan only the files changed since the git revision REF: committed, staged and unstaged
    /// changes (`git diff REF`) plus untracked files that are not ignored.
    #[arg(long, value_name = "REF")]
    pub diff: Option<String>,

    /// With --diff: report only findings that touch a changed line (`git diff -U0 REF`; every
    /// line of an untracked file counts as changed).
    #[arg(long, requires = "diff")]
    pub diff_lines: bool,
}

/// Options of `pyward config`.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// The paths whose configuration to show (the file is found as `pyward scan PATH` finds
    /// it); default: the current directory.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// Options of `pyward completions`.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}
