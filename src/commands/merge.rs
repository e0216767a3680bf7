//! `pyward merge`: combine the reports of `scan --shard` runs (logic in
//! [`crate::report::merge`]).

use crate::cli::MergeArgs;
use crate::commands::scan::{exit_status, print_diagnostics, write_atomically};
use crate::commands::Error;
use crate::commands::{print_stdout, Exit};
use crate::report::merge::{self, Inputs, MergeError};
use crate::report::{self, Format, RenderOptions, RunMeta};
use crate::rules::select::select_rules;
use crate::rules::Catalog;

/// Runs `pyward merge`.
pub fn run(args: &MergeArgs, command_line: Vec<String>) -> Result<Exit, Error> {
    let mut loaded = Vec::new();
    for p in &args.reports {
        loaded.push((p.clone(), merge::load(p)?));
    }
    let threshold = args.fail_on.severity();
    let (text, exit) = match merge::split_kinds(loaded)? {
        Inputs::Json(inputs) => {
            let merged = merge::merge_json(&inputs)?;
            let exit = exit_status(&merged.outcome, threshold);
            let opts = RenderOptions {
                color: false,
                show_suppressed: false,
                meta: RunMeta {
                    command_line: command_line.clone(),
                    ..merged.meta.clone()
                },
            };
            let text = match args.format {
                Format::Json => merge::render_json(&merged, &command_line),
                Format::Text => {
                    print_diagnostics(&merged.outcome.diagnostics);
                    report::render(Format::Text, &merged.outcome, &Catalog::embedded()?, &opts)
                }
                Format::Markdown => {
                    let catalog =
                        catalog_for(&merged.meta.ruleset_hash, &merged.meta.rules, args.format)?;
                    report::render(Format::Markdown, &merged.outcome, &catalog, &opts)
                }
                Format::Sarif => {
                    let catalog =
                        catalog_for(&merged.meta.ruleset_hash, &merged.meta.rules, args.format)?;
                    let mut log = report::sarif::build(&merged.outcome, &catalog, &opts);
                    merge::mark_sarif_merged(&mut log, &merged.merged_from);
                    merge::render_sarif(&log)
                }
            };
            (text, exit)
        }
        Inputs::Sarif(inputs) => {
            if args.format != Format::Sarif {
                return Err(MergeError::SarifOnly {
                    format: args.format.to_string(),
                }
                .into());
            }
            let log = merge::merge_sarif(&inputs, &command_line)?;
            let exit = if merge::sarif_fails(&log, threshold) {
                Exit::Findings
            } else {
                Exit::Clean
            };
            (merge::render_sarif(&log), exit)
        }
    };
    match &args.output {
        Some(path) => write_atomically(path, text.as_bytes())?,
        None => print_stdout(&text)?,
    }
    Ok(exit)
}

/// The rule catalogue the merged reports were made with: the rules their `tool.rules` lists
/// (all of this pyward's when the list is absent), provided they have the reports' hash.
fn catalog_for(hash: &str, rules: &[String], format: Format) -> Result<Catalog, Error> {
    let full = Catalog::embedded()?;
    let catalog = if rules.is_empty() {
        full
    } else {
        select_rules(&full, rules, &[])?
    };
    if report::ruleset_hash(&catalog) == hash {
        return Ok(catalog);
    }
    Err(MergeError::UnknownRuleset {
        hash: hash.chars().take(12).collect(),
        format: format.to_string(),
    }
    .into())
}
