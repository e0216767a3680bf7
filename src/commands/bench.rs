//! `pyward bench`: score backends on a labelled dataset (the logic is in [`crate::bench`]).
//!
//! The parent process plans the run and starts one worker per backend (`bench --worker`, a
//! hidden flag): the worker loads the model, scans the dataset and prints its raw
//! measurements as JSON, so each backend's peak memory is its own.

use crate::bench::plot::{self, PlotPoint};
use crate::bench::prices::PriceTable;
use crate::bench::worker::{measure, WorkerReport};
use crate::bench::{self, dataset, BackendSpec, BenchError, BenchPlan};
use crate::cli::{BenchArgs, ModelArgs};
use crate::commands::scan::write_atomically;
use crate::commands::Error;
use crate::commands::{print_stdout, Exit};
use crate::llm::error::LlmError;
use crate::rules::{Catalog, Engine};
use std::time::Instant;

/// Runs `pyward bench`.
pub fn run(args: &BenchArgs) -> Result<Exit, Error> {
    if args.worker {
        return worker(args);
    }
    if args.fix.fix {
        return fix_bench(args);
    }
    let mut specs = Vec::new();
    if args.static_only {
        specs.push(BackendSpec::Static);
    }
    specs.extend(args.backends.iter().cloned());
    let prices = match &args.prices {
        Some(p) => PriceTable::load(p).map_err(BenchError::from)?,
        None => PriceTable::default(),
    };
    let exe = std::env::current_exe().map_err(|source| Error::Io {
        path: "<the pyward executable>".into(),
        source,
    })?;
    let plan = BenchPlan {
        dataset: args.dataset.clone(),
        labels: labels_path(args),
        specs,
        threshold: args.threshold.severity(),
        device: args.device.to_string(),
        threads: args.threads,
        seed: args.seed,
        prices,
        shard: args.shard,
        model_tier: args.model_tier,
        chat_template: args.chat_template.clone(),
        stages: args
            .stages
            .as_ref()
            .map(|s| s.0.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",")),
        exe,
    };
    let catalog = default_catalog()?;
    let quiet = args.quiet;
    let report = bench::run(
        &plan,
        &crate::report::ruleset_hash(&catalog),
        &mut |spec, n| {
            if !quiet {
                eprintln!("pyward: bench: measuring {spec} on {n} files");
            }
        },
    )?;
    if let Some(path) = &args.plot {
        let points: Vec<PlotPoint> = report.rows.iter().map(PlotPoint::of).collect();
        let title = format!("pyward bench on {}: F1 vs seconds per file", report.dataset);
        let svg = plot::render_svg(&title, &points).map_err(BenchError::from)?;
        write_atomically(path, svg.as_bytes())?;
    }
    if let Some(path) = &args.json_file {
        write_atomically(path, report.to_json().as_bytes())?;
    }
    print_stdout(&if args.json {
        report.to_json()
    } else {
        report.to_markdown()
    })?;
    Ok(Exit::Clean)
}

fn labels_path(args: &BenchArgs) -> std::path::PathBuf {
    args.labels
        .clone()
        .unwrap_or_else(|| args.dataset.join("labels.csv"))
}

/// The hidden worker mode: measure one backend, print a [`WorkerReport`] as JSON.
fn worker(args: &BenchArgs) -> Result<Exit, Error> {
    let [spec] = args.backends.as_slice() else {
        return Err(Error::Usage(
            "bench --worker measures exactly one --backend".into(),
        ));
    };
    let ds = dataset::load_share(&args.dataset, &labels_path(args), args.shard)
        .map_err(BenchError::from)?;
    let context = shard_context(args, &ds)?;
    let engine = Engine::new(default_catalog()?)?;
    let threshold = args.threshold.severity();
    let mut report = match spec {
        BackendSpec::Static => {
            let scanner = crate::pipeline::Scanner::new(&engine, Default::default())
                .with_context(context.clone());
            WorkerReport {
                spec: spec.to_string(),
                kind: spec.kind().into(),
                backend: "static".into(),
                model: None,
                model_sha256: None,
                tier: None,
                plan: None,
                load_ms: 0.0,
                peak_rss_mb: None,
                files: measure(&scanner, None, &ds, threshold)?,
            }
        }
        BackendSpec::Local { .. } => {
            let req = spec.model_request(true).unwrap_or_default();
            let model_args = ModelArgs {
                model: req.path,
                model_name: req.name,
                device: args.device,
                threads: args.threads,
                offline: true,
                ..model_defaults(args)
            };
            match measure_model(spec, &model_args, &engine, (&ds, &context), threshold) {
                // A base model without a chat template of its own: use --chat-template.
                Err(Error::Llm(LlmError::NoChatTemplate { .. }))
                    if args.chat_template.is_some() =>
                {
                    let with_template = ModelArgs {
                        chat_template: args.chat_template.clone(),
                        ..model_args
                    };
                    measure_model(spec, &with_template, &engine, (&ds, &context), threshold)?
                }
                other => other?,
            }
        }
        BackendSpec::OpenAi { base_url, model } => {
            let model_args = ModelArgs {
                backend: crate::cli::BackendArg::Openai,
                base_url: Some(base_url.clone()),
                api_model: Some(model.clone()),
                ..model_defaults(args)
            };
            measure_model(spec, &model_args, &engine, (&ds, &context), threshold)?
        }
    };
    report.peak_rss_mb = crate::llm::bench::peak_rss_mb();
    let mut text = serde_json::to_string(&report).unwrap_or_default();
    text.push('\n');
    print_stdout(&text)?;
    Ok(Exit::Clean)
}

/// The model options every bench worker shares: no result cache, quiet, the run's seed and tier.
fn model_defaults(args: &BenchArgs) -> ModelArgs {
    ModelArgs {
        seed: args.seed,
        model_tier: args.model_tier,
        stages: args.stages.clone(),
        no_cache: true,
        quiet: true,
        ..ModelArgs::default()
    }
}

/// Opens the model backend `model_args` describe and measures it on the dataset.
fn measure_model(
    spec: &BackendSpec,
    model_args: &ModelArgs,
    engine: &Engine,
    (ds, context): (&dataset::Dataset, &[crate::source::Input]),
    threshold: crate::finding::Severity,
) -> Result<WorkerReport, Error> {
    let Some(mut m) = super::model::open(model_args)? else {
        return Err(Error::Usage(format!("backend `{spec}`: no model to use")));
    };
    let scanner =
        crate::pipeline::Scanner::new(engine, super::model::pipeline_options(model_args, m.tier))
            .with_context(context.to_vec());
    let info = m.backend.describe();
    let files = measure(&scanner, Some(m.backend.as_dyn()), ds, threshold)?;
    Ok(WorkerReport {
        spec: spec.to_string(),
        kind: spec.kind().into(),
        backend: info.name,
        model: Some(info.model),
        model_sha256: Some(info.model_sha256),
        tier: Some(m.tier),
        plan: Some(scanner.options().plan.describe()),
        load_ms: m.load_ms,
        peak_rss_mb: None,
        files,
    })
}

/// `pyward bench --fix`: repairs the vulnerable files with each backend, in this process (one
/// model loaded at a time), and prints the repair report ([`crate::bench::fix`]).
fn fix_bench(args: &BenchArgs) -> Result<Exit, Error> {
    use crate::bench::fix::{self, FixReport, FixRow, FIX_REPORT_VERSION};
    let mut specs = Vec::new();
    if args.static_only {
        specs.push(BackendSpec::Static);
    }
    for s in &args.backends {
        if !specs.contains(s) {
            specs.push(s.clone());
        }
    }
    if specs.is_empty() {
        return Err(BenchError::NoBackend.into());
    }
    let ds = dataset::load_share(&args.dataset, &labels_path(args), args.shard)
        .map_err(BenchError::from)?;
    let catalog = default_catalog()?;
    let ruleset_hash = crate::report::ruleset_hash(&catalog);
    let engine = Engine::new(catalog)?;
    let sources = fix::vulnerable_sources(&ds)?;
    let max_rounds = usize::from(args.fix.max_rounds);
    let mut rows = Vec::new();
    for spec in specs {
        if !args.quiet {
            eprintln!(
                "pyward: bench --fix: repairing {} vulnerable files with {spec}",
                sources.len()
            );
        }
        let (repairs, model) = match &spec {
            BackendSpec::Static => {
                let opts = crate::pipeline::PipelineOptions {
                    max_rounds,
                    ..Default::default()
                };
                (
                    fix::repair(&engine, None, &opts, &sources, &mut |_, _| {}),
                    None,
                )
            }
            BackendSpec::Local { .. } | BackendSpec::OpenAi { .. } => {
                let model_args = match &spec {
                    BackendSpec::OpenAi { base_url, model } => ModelArgs {
                        backend: crate::cli::BackendArg::Openai,
                        base_url: Some(base_url.clone()),
                        api_model: Some(model.clone()),
                        ..model_defaults(args)
                    },
                    _ => {
                        let req = spec.model_request(true).unwrap_or_default();
                        ModelArgs {
                            model: req.path,
                            model_name: req.name,
                            device: args.device,
                            threads: args.threads,
                            offline: true,
                            ..model_defaults(args)
                        }
                    }
                };
                let opened = match super::model::open(&model_args) {
                    // A base model without a chat template of its own: use --chat-template.
                    Err(Error::Llm(LlmError::NoChatTemplate { .. }))
                        if args.chat_template.is_some() =>
                    {
                        let with_template = ModelArgs {
                            chat_template: args.chat_template.clone(),
                            ..model_args.clone()
                        };
                        super::model::open(&with_template)?
                    }
                    other => other?,
                };
                let Some(mut m) = opened else {
                    return Err(Error::Usage(format!("backend `{spec}`: no model to use")));
                };
                let opts = crate::pipeline::PipelineOptions {
                    max_rounds,
                    ..super::model::pipeline_options(&model_args, m.tier)
                };
                let name = m.backend.describe().model;
                // A model takes seconds per file: say which file it is on.
                let (quiet, total, started) = (args.quiet, sources.len(), Instant::now());
                let mut progress = |i: usize, s: &fix::Source| {
                    if !quiet {
                        eprintln!(
                            "pyward: bench --fix: {spec}: file {}/{total} {} ({:.0} s so far)",
                            i + 1,
                            s.file,
                            started.elapsed().as_secs_f64()
                        );
                    }
                };
                let r = fix::repair(
                    &engine,
                    Some(m.backend.as_dyn()),
                    &opts,
                    &sources,
                    &mut progress,
                );
                (r, Some(name))
            }
        };
        let judges = fix::judge_row(&repairs, &sources, &args.fix.semgrep_config);
        rows.push(FixRow {
            spec: spec.to_string(),
            model,
            files: repairs.into_iter().map(|(f, _)| f).collect(),
            judges,
        });
    }
    let report = FixReport {
        version: FIX_REPORT_VERSION,
        tool_version: crate::report::TOOL_VERSION.to_string(),
        ruleset_hash,
        dataset: crate::source::label_of(&args.dataset),
        vulnerable: sources.len(),
        max_rounds,
        rows,
    };
    if let Some(path) = &args.json_file {
        write_atomically(path, report.to_json().as_bytes())?;
    }
    print_stdout(&if args.json {
        report.to_json()
    } else {
        report.to_markdown()
    })?;
    Ok(Exit::Clean)
}

/// The rules a scan runs when nothing is selected (the default-off ones left out).
fn default_catalog() -> Result<Catalog, crate::error::RuleError> {
    crate::rules::select::select_rules(&Catalog::embedded()?, &[], &[])
}

/// With `--shard`, the dataset's other files: read for calls across modules, not measured.
fn shard_context(
    args: &BenchArgs,
    share: &dataset::Dataset,
) -> Result<Vec<crate::source::Input>, Error> {
    if args.shard.is_none() {
        return Ok(Vec::new());
    }
    let all =
        dataset::load_share(&args.dataset, &labels_path(args), None).map_err(BenchError::from)?;
    let mine: std::collections::BTreeSet<&str> =
        share.files.iter().map(|f| f.file.as_str()).collect();
    Ok(all
        .files
        .iter()
        .filter(|f| !mine.contains(f.file.as_str()))
        .map(|f| crate::source::Input::File {
            label: f.file.clone(),
            path: all.path_of(f),
        })
        .collect())
}
