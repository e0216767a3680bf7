//! The flags `scan` and `fix` share: which rules run, and which files are read.

use clap::Args;

use super::parse::parse_size;
use crate::scan::ScanOptions;

/// Rule selection and file discovery, flattened into `scan` and `fix`.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Only run these rules: rule ids (PW101), CWE ids (CWE-78) or categories
    /// (command-injection). Comma-separated or repeated.
    #[arg(long, value_delimiter = ',', value_name = "SELECTOR")]
    pub select: Vec<String>,

    /// Do not run these rules (same forms as --select); applied after --select.
    #[arg(long, value_delimiter = ',', value_name = "SELECTOR")]
    pub ignore: Vec<String>,

    /// Skip paths matching this glob (repeatable), on top of .gitignore.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Skip files larger than this (bytes, or with a K/M/G suffix).
    #[arg(long, value_name = "SIZE", default_value = "10M", value_parser = parse_size)]
    pub max_file_size: u64,

    /// Follow symbolic links while walking directories.
    #[arg(long)]
    pub follow_symlinks: bool,
}

impl InputArgs {
    /// How to find and read files, with `jobs` worker threads (`None`: one per CPU).
    pub fn scan_options(&self, jobs: Option<usize>) -> ScanOptions {
        ScanOptions {
            jobs,
            exclude: self.exclude.clone(),
            max_file_size: self.max_file_size,
            follow_symlinks: self.follow_symlinks,
            shard: None,
        }
    }
}
