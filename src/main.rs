//! The `pyward` binary: parse arguments, run the command, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use pyward::cli::Cli;
use pyward::commands::{self, EXIT_ERROR};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    // clap exits with 2 on usage errors and 0 for --help/--version.
    let cli = Cli::parse();
    match run(cli, commands::command_line(&args)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("pyward: error: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(cli: Cli, command_line: Vec<String>) -> anyhow::Result<u8> {
    Ok(commands::run(cli, command_line)?.code())
}
