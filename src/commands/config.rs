//! `pyward config`: the configuration file that applies and the effective settings.

use crate::cli::workflow::{ConfigArgs, ConfigFileArgs};
use crate::commands::Error;
use crate::commands::{print_stdout, Exit};
use crate::config::{show, Project};
use crate::rules::Catalog;

/// Runs `pyward config`: the file is found as `pyward scan PATHS` finds it, and checked as a
/// scan checks it (an invalid file is an error, exit code 2).
pub fn run(files: &ConfigFileArgs, args: &ConfigArgs) -> Result<Exit, Error> {
    let file = crate::config::resolve(files, &args.paths)?;
    if let Some(f) = &file {
        Project::validate(f, &Catalog::embedded()?)?;
    }
    print_stdout(&show::render(file.as_ref(), files.isolated))?;
    Ok(Exit::Clean)
}
