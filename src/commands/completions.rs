//! `pyward completions SHELL`: a completion script for bash, zsh, fish, elvish or PowerShell.

use clap::CommandFactory;

use crate::cli::workflow::CompletionsArgs;
use crate::cli::Cli;
use crate::commands::Error;
use crate::commands::{print_stdout, Exit};

/// Prints the script on standard output.
pub fn run(args: &CompletionsArgs) -> Result<Exit, Error> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "pyward", &mut script);
    print_stdout(&String::from_utf8_lossy(&script))?;
    Ok(Exit::Clean)
}
