//! `pyward fix`: scan, repair the confirmed findings with verified fixes (templates first,
//! then the model's candidates, each re-scanned), print a unified diff, and with `--write`
//! apply it atomically.

use crate::cli::FixArgs;
use crate::commands::scan::{check_exclude_globs, print_diagnostics};
use crate::commands::Error;
use crate::commands::{print_stdout, Exit};
use crate::pipeline::run::{FileRun, RunProgress};
use crate::pipeline::{fix_file, write_fixed, Backend, Cache, PipelineOptions, Scanner};
use crate::rules::select::select_rules;
use crate::rules::{Catalog, Engine};
use crate::source::Input;

/// Runs `pyward fix`.
pub fn run(args: &FixArgs, project: &crate::config::Project) -> Result<Exit, Error> {
    if args.write && args.paths.iter().any(|p| p.as_os_str() == "-") {
        return Err(Error::Usage(
            "--write needs files: standard input (`-`) cannot be rewritten".into(),
        ));
    }
    let catalog = Catalog::embedded()?;
    let selected = select_rules(&catalog, &args.input.select, &args.input.ignore)?;
    check_exclude_globs(&args.input.exclude)?;
    let mut model = super::model::open(&args.model)?;
    let engine = Engine::new(selected)?;
    let options = args.input.scan_options(None);
    let (mut inputs, walk_diagnostics) = crate::source::discover(&args.paths, &options);
    inputs.retain(|i| project.keep_input(i));
    let popts = PipelineOptions {
        max_rounds: usize::from(args.max_rounds),
        candidates: usize::from(args.candidates),
        ..super::model::pipeline_options(&args.model, model.as_ref().map_or(1, |m| m.tier))
    };
    let scanner = Scanner::new(&engine, popts);
    let mut cache = super::model::cache(&args.model, &engine, model.as_ref());
    let progress = RunProgress::new(
        model.is_some() && super::model::show_progress(&args.model),
        inputs.len(),
    );
    let fix_one = |run: &FileRun, backend: Option<&mut dyn Backend>, cache: &mut Cache| {
        run.result
            .findings
            .iter()
            .any(crate::pipeline::fixer::is_target)
            .then(|| {
                let r = fix_file(
                    &engine,
                    backend,
                    run.input.label(),
                    &run.text,
                    &run.result.findings,
                    scanner.options(),
                    cache,
                );
                (run.input.clone(), r)
            })
    };
    let (mut totals, fixed) = super::model::run_files(
        &scanner,
        model.as_mut(),
        &inputs,
        &options,
        &mut cache,
        &progress,
        &fix_one,
    );
    totals.outcome.diagnostics.extend(walk_diagnostics);
    for (_, r) in &fixed {
        totals
            .outcome
            .diagnostics
            .extend(r.diagnostics.iter().cloned());
        // The fixer's questions are model calls of this run too.
        totals.stats.add(&r.stats);
    }
    if let Some(m) = &model {
        if args.model.verbose {
            super::model::print_call_details(&totals);
        }
        if !args.model.quiet {
            eprintln!("{}", totals.summary(&m.backend.describe().model));
        }
    }
    if totals.outcome.files_scanned == 0
        && totals
            .outcome
            .diagnostics
            .iter()
            .any(|d| d.level == crate::scan::DiagnosticLevel::Error)
    {
        print_diagnostics(&totals.outcome.diagnostics);
        return Err(Error::Usage("nothing could be read".into()));
    }
    print_diagnostics(&totals.outcome.diagnostics);

    let diff: String = fixed.iter().map(|(_, r)| r.diff.as_str()).collect();
    print_stdout(&diff)?;
    let mut remaining = 0;
    let mut write_errors = Vec::new();
    for (input, r) in &fixed {
        remaining += r.findings.len() - r.verified();
        if !args.model.quiet {
            eprintln!("pyward: {}", r.summary());
            for f in r
                .findings
                .iter()
                .filter(|f| f.fix.as_ref().is_some_and(|x| !x.verified))
            {
                eprintln!(
                    "pyward:   unverified: {}:{} {} (no candidate re-scanned clean; not applied)",
                    f.path, f.span.start_line, f.rule_id
                );
            }
        }
        if args.write && r.verified() > 0 {
            let Input::File { path, .. } = input else {
                continue;
            };
            match write_fixed(path, r) {
                Ok(Some(backup)) => {
                    if !args.model.quiet {
                        eprintln!(
                            "pyward: wrote {} (original saved as {})",
                            path.display(),
                            backup.display()
                        );
                    }
                }
                Ok(None) => {}
                Err(e) => write_errors.push(e.to_string()),
            }
        }
    }
    if !args.model.quiet {
        let verified: usize = fixed.iter().map(|(_, r)| r.verified()).sum();
        eprintln!(
            "pyward: {verified} verified fix(es), {remaining} finding(s) left without one, in {} file(s){}",
            fixed.len(),
            if args.write || verified == 0 { "" } else { "; --write applies the diff" }
        );
    }
    if !write_errors.is_empty() {
        return Err(Error::Usage(write_errors.join("\n")));
    }
    Ok(if remaining > 0 {
        Exit::Findings
    } else {
        Exit::Clean
    })
}
