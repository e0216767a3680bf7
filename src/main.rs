//! The `pyward` binary: parse arguments, run the command, map the outcome to an exit code.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use pyward::cli::Cli;
use pyward::commands::{self, EXIT_ERROR};

/// mimalloc for Rust's heap: the static engine allocates many small, short-lived values per file
/// (query captures, taint states), where glibc's malloc spent ~10% of a stdlib scan.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // SAFETY: this runs first in `main`, before any tree-sitter parser, tree or query exists and
    // before any other thread starts.
    unsafe { pyward::heap::use_mimalloc_for_tree_sitter() };
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    // clap exits with 2 on usage errors and 0 for --help/--version.
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match run(cli, &matches, commands::command_line(&args)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("pyward: error: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(cli: Cli, matches: &clap::ArgMatches, command_line: Vec<String>) -> anyhow::Result<u8> {
    Ok(commands::run(cli, matches, command_line)?.code())
}
