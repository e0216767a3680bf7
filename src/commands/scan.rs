//! `pyward scan`: select rules, scan the inputs, render the report, compute the exit status.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::cli::{ColorArg, ScanArgs};
use crate::commands::scan_filters::ScanFilters;
use crate::commands::Error;
use crate::commands::{print_stdout, Exit};
use crate::config::Project;
use crate::finding::Severity;
use crate::pipeline::run::RunProgress;
use crate::pipeline::{provenance, PipelineOptions, Scanner};
use crate::report::{self, Format, RenderOptions, RunMeta};
use crate::rules::select::select_rules;
use crate::rules::{Catalog, Engine};
use crate::scan::{sort_outcome, Diagnostic, DiagnosticLevel, ScanOptions, ScanOutcome};

/// Runs `pyward scan`.
pub fn run(args: &ScanArgs, project: &Project, command_line: Vec<String>) -> Result<Exit, Error> {
    let catalog = Catalog::embedded()?;
    let selected = select_rules(&catalog, &args.input.select, &args.input.ignore)?;
    if selected.rules().is_empty() {
        eprintln!("pyward: warning: --select/--ignore leave no rule to run");
    }
    check_exclude_globs(&args.input.exclude)?;
    let mut filters = ScanFilters::prepare(args, project)?;
    // Before any thread pool starts: `--threads` is applied while loading.
    let mut model = super::model::open(&args.model)?;
    let engine = Engine::new(selected.clone())?;
    let options = ScanOptions {
        shard: args.shard,
        ..args.input.scan_options(args.jobs.map(usize::from))
    };
    let mut meta = RunMeta::new(&selected, command_line);
    let tier = model.as_ref().map_or(1, |m| m.tier);
    let popts = PipelineOptions {
        show_speculative: args.show_speculative,
        ..super::model::pipeline_options(&args.model, tier)
    };
    let mut cache = super::model::cache(&args.model, &engine, model.as_ref());
    let (mut inputs, walk_diagnostics) = crate::source::discover(&args.paths, &options);
    filters.inputs(&mut inputs);
    // A shard reads the other shards' files too, for calls across modules (not reported).
    let context = match options.shard {
        Some(_) => {
            let all = ScanOptions {
                shard: None,
                ..options.clone()
            };
            let (everything, _) = crate::source::discover(&args.paths, &all);
            everything
                .into_iter()
                .filter(|i| inputs.binary_search(i).is_err())
                .collect()
        }
        None => Vec::new(),
    };
    let scanner = Scanner::new(&engine, popts).with_context(context);
    let progress = RunProgress::new(
        model.is_some() && super::model::show_progress(&args.model),
        inputs.len(),
    );
    let (mut totals, _) = super::model::run_files::<()>(
        &scanner,
        model.as_mut(),
        &inputs,
        &options,
        &mut cache,
        &progress,
        &|_, _, _| None,
    );
    totals.outcome.diagnostics.extend(walk_diagnostics);
    sort_outcome(&mut totals.outcome);
    if let Some(m) = &model {
        let info = m.backend.describe();
        if args.model.verbose {
            super::model::print_call_details(&totals);
        }
        if !args.model.quiet {
            eprintln!("pyward: {}", scanner.options().plan.describe());
            eprintln!("{}", totals.summary(&info.model));
        }
        meta.model = Some(provenance(&info, scanner.options()));
        meta.usage = Some(totals.usage());
    }
    let mut outcome = totals.outcome;
    filters.narrow(&mut outcome);
    // With --diff, no changed file is a clean run, not a missing input.
    let paths: &[PathBuf] = if filters.diffing() { &[] } else { &args.paths };
    let fatal = no_input_scanned(&outcome, paths, args.shard);

    let format = args.format;
    let color = format == Format::Text && use_color(args.color, args.output.is_some());
    let render_options = RenderOptions {
        color,
        show_suppressed: args.show_suppressed,
        meta,
    };
    if let Some(path) = &args.workflow.write_baseline {
        let mut all = outcome.clone();
        all.diagnostics.clear();
        write_atomically(
            path,
            report::render(Format::Json, &all, &selected, &render_options).as_bytes(),
        )?;
        let written = crate::baseline::Baseline::of(&all);
        if !args.model.quiet {
            eprintln!(
                "pyward: wrote the baseline {} ({} finding(s))",
                path.display(),
                written.len()
            );
        }
        filters.set_baseline(written);
    }
    let baselined = filters.apply_baseline(&mut outcome);
    if baselined > 0 && !args.model.quiet {
        eprintln!("pyward: {baselined} finding(s) in the baseline not reported");
    }
    // The text report leaves per-file problems to standard error; the other formats carry
    // them in the report itself.
    let diagnostics = if format == Format::Text {
        std::mem::take(&mut outcome.diagnostics)
    } else {
        Vec::new()
    };
    if fatal.is_none() {
        print_diagnostics(&diagnostics);
    }
    // When nothing could be scanned, machine-readable reports are still written (they carry
    // the diagnostics); a text report of nothing would only hide the error.
    if fatal.is_none() || format != Format::Text {
        let text = report::render(format, &outcome, &selected, &render_options);
        match &args.output {
            Some(path) => write_atomically(path, text.as_bytes())?,
            None => print_stdout(&text)?,
        }
    }
    if let Some(e) = fatal {
        return Err(e);
    }
    Ok(exit_status(&outcome, args.fail_on.severity()))
}

/// 1 when an unsuppressed finding is at or above `threshold`, else 0.
pub fn exit_status(outcome: &ScanOutcome, threshold: Severity) -> Exit {
    let failing = outcome
        .findings
        .iter()
        .any(|f| !f.is_suppressed() && f.severity >= threshold);
    if failing {
        Exit::Findings
    } else {
        Exit::Clean
    }
}

/// A scan that could not read a single input is a fatal error naming the inputs that failed.
/// (An empty directory, where nothing failed, is a clean scan of nothing.)
fn no_input_scanned(
    outcome: &ScanOutcome,
    paths: &[PathBuf],
    shard: Option<crate::shard::Shard>,
) -> Option<Error> {
    if outcome.files_scanned > 0 {
        return None;
    }
    let errors: Vec<String> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Error)
        .map(ToString::to_string)
        .collect();
    if errors.is_empty() {
        match shard {
            Some(s) => eprintln!("pyward: note: shard {s} has no Python files"),
            None if !paths.is_empty() => eprintln!("pyward: warning: no Python files found"),
            None => {}
        }
        return None;
    }
    Some(Error::Usage(format!(
        "nothing could be scanned:\n  {}",
        errors.join("\n  ")
    )))
}

/// Per-file problems on standard error, one line each, naming the file.
pub(crate) fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let mut err = std::io::stderr().lock();
    for d in diagnostics {
        // Losing a diagnostic because stderr is closed is not worth failing the scan.
        let _ = writeln!(err, "pyward: {}: {d}", d.level);
    }
}

/// `--exclude` globs are checked up front (with the same parser the walker uses), so a typo
/// is a usage error rather than a silently ignored exclusion.
pub(crate) fn check_exclude_globs(globs: &[String]) -> Result<(), Error> {
    let mut builder = ignore::overrides::OverrideBuilder::new(".");
    for g in globs {
        builder
            .add(&format!("!{g}"))
            .map_err(|e| Error::Usage(format!("invalid --exclude glob `{g}`: {e}")))?;
    }
    Ok(())
}

/// Whether the text report gets ANSI colours.
fn use_color(choice: ColorArg, to_file: bool) -> bool {
    match choice {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            !to_file
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// Writes a report (or any output file) atomically ([`crate::atomic`]); errors name the path.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    crate::atomic::write_atomically(path, bytes, None).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_into_missing_directory_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("nope/report.json");
        let e = write_atomically(&target, b"x").unwrap_err().to_string();
        assert!(e.contains("nope/report.json"), "{e}");
    }
}
