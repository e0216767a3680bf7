//! Choosing and opening the model for `scan` and `fix`: a local GGUF file (`--model`,
//! `--model-name`, or the default manifest when its file is cached; static-only with a note
//! when there is none) or an OpenAI-compatible server (`--backend openai`); and running the
//! files through it, one at a time locally, `--max-concurrent` at a time remotely.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::backends::{LocalBackend, OpenAiBackend, OpenAiConfig};
use crate::cli::{BackendArg, ModelArgs};
use crate::commands::Error;
use crate::llm::{Runtime, RuntimeOptions};
use crate::models::{resolve, ModelRequest};
use crate::pipeline::run::{drive, Each, RunProgress, RunTotals, Workers};
use crate::pipeline::{Backend, BackendInfo, Cache, PipelineOptions, Scanner};
use crate::rules::Engine;
use crate::scan::ScanOptions;
use crate::source::Input;

/// The capability tier assumed for a remote model (`--model-tier` overrides it).
pub const REMOTE_DEFAULT_TIER: u8 = 3;

/// The backend behind an opened model.
#[derive(Debug)]
pub enum ModelBackend {
    /// In-process: files run one at a time (the model is one resource).
    Local(Box<LocalBackend>),
    /// A server: files run `max_concurrent` at a time, each worker with a clone.
    Remote {
        backend: OpenAiBackend,
        max_concurrent: usize,
    },
}

impl ModelBackend {
    /// The backend as the pipeline sees it.
    pub fn as_dyn(&mut self) -> &mut dyn Backend {
        match self {
            ModelBackend::Local(b) => &mut **b,
            ModelBackend::Remote { backend, .. } => backend,
        }
    }

    pub fn describe(&self) -> BackendInfo {
        match self {
            ModelBackend::Local(b) => b.describe(),
            ModelBackend::Remote { backend, .. } => backend.describe(),
        }
    }
}

/// An opened model and what the pipeline needs to know about it.
#[derive(Debug)]
pub struct OpenedModel {
    pub backend: ModelBackend,
    /// Capability tier: `--model-tier`, else the local model's manifest (1 when the file
    /// matches no manifest) or [`REMOTE_DEFAULT_TIER`].
    pub tier: u8,
    /// Time to load the local model, or the remote server's first round trip.
    pub load_ms: f64,
}

/// Opens the model the arguments ask for. `Ok(None)` means static-only: asked for with
/// `--static-only`, or no model was named and the default one is not on this machine (a note
/// on stderr says so unless `quiet`). A model that was named but cannot be found, loaded or
/// reached is an error, as is a flag that does not fit the chosen backend.
pub fn open(args: &ModelArgs) -> Result<Option<OpenedModel>, Error> {
    check_backend_flags(args)?;
    if args.static_only {
        return Ok(None);
    }
    match args.backend {
        BackendArg::Local => open_local(args),
        BackendArg::Openai => open_remote(args).map(Some),
    }
}

/// Usage errors: `--backend openai` needs `--base-url` and `--api-model` and takes no local
/// model; the remote-only flags need `--backend openai`.
fn check_backend_flags(args: &ModelArgs) -> Result<(), Error> {
    match args.backend {
        BackendArg::Openai => {
            let mut missing = Vec::new();
            if args.base_url.is_none() {
                missing.push("--base-url URL");
            }
            if args.api_model.is_none() {
                missing.push("--api-model NAME");
            }
            if !missing.is_empty() {
                return Err(Error::Usage(format!(
                    "--backend openai needs {} (e.g. --base-url http://127.0.0.1:8080/v1 --api-model qwen2.5-coder)",
                    missing.join(" and ")
                )));
            }
            if args.model.is_some() || args.model_name.is_some() {
                return Err(Error::Usage(
                    "--model and --model-name choose a local model; with --backend openai name the server's model with --api-model".into(),
                ));
            }
        }
        BackendArg::Local => {
            if args.base_url.is_some() || args.api_model.is_some() {
                return Err(Error::Usage(
                    "--base-url and --api-model need --backend openai".into(),
                ));
            }
        }
    }
    Ok(())
}

fn open_local(args: &ModelArgs) -> Result<Option<OpenedModel>, Error> {
    let explicit = args.model.is_some() || args.model_name.is_some();
    let request = ModelRequest {
        path: args.model.clone(),
        name: args.model_name.clone(),
        offline: args.offline,
    };
    let resolved = match resolve(&request) {
        Ok(r) => r,
        Err(e) if !explicit => {
            if !args.quiet {
                eprintln!(
                    "pyward: note: static analysis only, no local model: {e}\n\
                     pyward: note: to run the LLM pipeline pass --model FILE.gguf or --model-name NAME \
                     (see `pyward models list`), or --backend openai for a server; --static-only silences this note"
                );
            }
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    // Threads first: candle reads them when its pool starts.
    crate::device::configure_threads(args.threads.map(usize::from))?;
    let device = crate::device::open(args.device)?;
    let opts = RuntimeOptions {
        device,
        threads: args.threads.map(usize::from),
        chat_template: args.chat_template.clone(),
        hash_model: false,
    };
    let t0 = Instant::now();
    let runtime = Runtime::load(&resolved.path, &opts)?;
    let load_ms = t0.elapsed().as_secs_f64() * 1e3;
    let tier = args
        .model_tier
        .unwrap_or_else(|| resolved.manifest.as_ref().map(|m| m.tier).unwrap_or(1));
    if !args.quiet {
        let info = runtime.model_info();
        eprintln!(
            "pyward: model {} ({}, {}, tier {tier}) on {} loaded in {:.1} s",
            resolved.name,
            info.arch,
            info.quant,
            args.device,
            load_ms / 1e3
        );
    }
    Ok(Some(OpenedModel {
        backend: ModelBackend::Local(Box::new(LocalBackend::new(
            runtime,
            resolved.name,
            resolved.sha256,
        ))),
        tier,
        load_ms,
    }))
}

/// Connects to the server with one tiny request (no code in it), so a wrong URL, model or key
/// or a server that is not there is an error before the scan starts; warns when the code will
/// leave the machine.
fn open_remote(args: &ModelArgs) -> Result<OpenedModel, Error> {
    let (Some(base_url), Some(model)) = (&args.base_url, &args.api_model) else {
        return Err(Error::Usage(
            "--backend openai needs --base-url and --api-model".into(),
        ));
    };
    let cfg = OpenAiConfig {
        timeout: Duration::from_secs(args.timeout),
        ..OpenAiConfig::new(base_url.as_str(), model.as_str()).with_key_from_env(&args.api_key_env)
    };
    let backend = OpenAiBackend::new(cfg).map_err(|e| Error::Usage(e.to_string()))?;
    if !backend.is_loopback() {
        // A warning, not a note: printed even with --quiet, before anything is sent.
        eprintln!(
            "pyward: warning: --backend openai sends the scanned code to {} ({}); the report records it",
            backend.host(),
            backend.config().base_url
        );
    }
    let rtt = backend.check()?;
    let tier = args.model_tier.unwrap_or(REMOTE_DEFAULT_TIER);
    if !args.quiet {
        eprintln!(
            "pyward: model {model} at {} (openai-compatible, tier {tier}, {} file(s) at a time) answered in {:.1} s",
            backend.config().base_url,
            args.max_concurrent,
            rtt.as_secs_f64()
        );
    }
    Ok(OpenedModel {
        backend: ModelBackend::Remote {
            backend,
            max_concurrent: usize::from(args.max_concurrent),
        },
        tier,
        load_ms: rtt.as_secs_f64() * 1e3,
    })
}

/// Runs `inputs` through `scanner` with `model` (static-only when `None`, on `options.jobs`
/// threads, one per CPU when unset): one file at a time for a local model, `max_concurrent`
/// at a time for a remote one — the same report either way. Files over
/// `options.max_file_size` become diagnostics. `each` runs after each file that could be
/// read; what it returns is collected in input order.
pub fn run_files<T: Send>(
    scanner: &Scanner,
    model: Option<&mut OpenedModel>,
    inputs: &[Input],
    options: &ScanOptions,
    cache: &mut Cache,
    progress: &RunProgress,
    each: Each<T>,
) -> (RunTotals, Vec<T>) {
    let jobs = options.jobs.unwrap_or(0);
    let max_file_size = options.max_file_size;
    match model {
        None => drive(
            scanner,
            Workers::Static { threads: jobs },
            inputs,
            max_file_size,
            cache,
            progress,
            each,
        ),
        Some(OpenedModel {
            backend:
                ModelBackend::Remote {
                    backend,
                    max_concurrent,
                },
            ..
        }) => {
            let make = || Box::new(backend.clone()) as Box<dyn Backend>;
            drive(
                scanner,
                Workers::Cloned {
                    make: &make,
                    n: *max_concurrent,
                },
                inputs,
                max_file_size,
                cache,
                progress,
                each,
            )
        }
        Some(m) => drive(
            scanner,
            Workers::One(m.backend.as_dyn()),
            inputs,
            max_file_size,
            cache,
            progress,
            each,
        ),
    }
}

/// Pipeline options shared by `scan` and `fix`: the tier's stage plan, or `--stages`.
pub fn pipeline_options(args: &ModelArgs, tier: u8) -> PipelineOptions {
    let opts = PipelineOptions {
        seed: args.seed,
        ..PipelineOptions::for_tier(tier)
    };
    match &args.stages {
        Some(list) => opts.with_stages(&list.0),
        None => opts,
    }
}

/// Prints every discarded or failed model answer of a run, one line each (`--verbose`).
pub fn print_call_details(totals: &RunTotals) {
    for c in totals.stats.calls.iter() {
        if let Some(d) = &c.detail {
            eprintln!(
                "pyward: [{}] {}: {d}",
                c.stage.as_str(),
                c.outcome.describe()
            );
        }
    }
}

/// The result cache the arguments ask for: `--no-cache`, `--cache-dir`, or the user cache dir.
pub fn cache(args: &ModelArgs, engine: &Engine, model: Option<&OpenedModel>) -> Cache {
    if args.no_cache {
        return Cache::disabled();
    }
    let dir = args.cache_dir.clone().or_else(default_cache_dir);
    let Some(dir) = dir else {
        return Cache::disabled();
    };
    let info = model.map(|m| m.backend.describe());
    Cache::new(dir, crate::pipeline::cache_identity(engine, info.as_ref()))
}

/// `$PYWARD_CACHE_DIR`, else the platform cache dir + `/pyward`.
fn default_cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("PYWARD_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    dirs::cache_dir().map(|d| d.join("pyward"))
}

/// Whether progress bars may be drawn: not quiet, stderr is a terminal, not in CI.
pub fn show_progress(args: &ModelArgs) -> bool {
    !args.quiet && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}
