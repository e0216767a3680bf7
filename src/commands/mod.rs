//! The subcommands. Each returns an [`Exit`] status or a fatal [`Error`] (exit code 2).

pub(crate) mod bench;
pub(crate) mod completions;
pub(crate) mod config;
mod error;
pub(crate) mod explain;
pub(crate) mod fix;
pub(crate) mod merge;
pub(crate) mod model;
pub mod models;
pub(crate) mod rules;
pub(crate) mod scan;
pub(crate) mod scan_filters;

use std::io::{self, Write};

use clap::ArgMatches;

use crate::cli::{Cli, Command};
use crate::config::Project;
pub use error::Error;

/// How a command that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Nothing at or above the failure threshold (exit code 0).
    Clean,
    /// At least one unsuppressed finding at or above the threshold (exit code 1).
    Findings,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Clean => 0,
            Exit::Findings => 1,
        }
    }
}

/// Exit code for usage and fatal errors.
pub const EXIT_ERROR: u8 = 2;

/// Runs the parsed command line; `matches` tells which values came from the command line
/// (they override the configuration file's).
pub fn run(cli: Cli, matches: &ArgMatches, command_line: Vec<String>) -> Result<Exit, Error> {
    let sub = matches
        .subcommand()
        .map_or_else(|| matches.clone(), |(_, m)| m.clone());
    match cli.command {
        Command::Scan(mut args) => {
            let file = crate::config::resolve(&cli.config, &args.paths)?;
            let catalog = crate::rules::Catalog::embedded()?;
            let project = Project::for_scan(file, &mut args, &sub, &catalog)?;
            scan::run(&args, &project, command_line)
        }
        Command::Fix(mut args) => {
            let file = crate::config::resolve(&cli.config, &args.paths)?;
            let catalog = crate::rules::Catalog::embedded()?;
            let project = Project::for_fix(file, &mut args, &sub, &catalog)?;
            fix::run(&args, &project)
        }
        Command::Config(args) => config::run(&cli.config, &args),
        Command::Completions(args) => completions::run(&args),
        Command::Rules(args) => rules::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Merge(args) => merge::run(&args, command_line),
        Command::Models(args) => match models::run(&args)? {
            0 => Ok(Exit::Clean),
            _ => Ok(Exit::Findings),
        },
    }
}

/// Writes `text` to standard output. A closed pipe (`pyward rules | head`) is not an error.
pub(crate) fn print_stdout(text: &str) -> Result<(), Error> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(source) => Err(Error::Io {
            path: "<stdout>".into(),
            source,
        }),
    }
}

/// The command line as reports record it: the arguments as given, with the program name
/// reduced to `pyward` so reports do not depend on where the binary lives.
pub fn command_line<I, S>(args: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    std::iter::once("pyward".to_string())
        .chain(args.into_iter().skip(1).map(|a| a.as_ref().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_names_the_program_pyward() {
        let line = command_line(["/usr/bin/pyward", "scan", "my dir", "--select=PW101"]);
        assert_eq!(line, ["pyward", "scan", "my dir", "--select=PW101"]);
        assert_eq!(command_line(Vec::<String>::new()), ["pyward"]);
    }
}
