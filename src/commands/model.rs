//! Choosing and loading the model for `scan` and `fix`: `--model`, `--model-name`, the default
//! manifest when its file is cached, or static-only with a note saying why.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use crate::backends::LocalBackend;
use crate::cli::ModelArgs;
use crate::error::Error;
use crate::llm::{Runtime, RuntimeOptions};
use crate::models::{resolve, ModelRequest};
use crate::pipeline::{Cache, PipelineOptions};

/// A loaded model and what the pipeline needs to know about it.
#[derive(Debug)]
pub struct OpenedModel {
    pub backend: LocalBackend,
    /// Capability tier from the model's manifest (1 when the file matches no manifest).
    pub tier: u8,
    pub load_ms: f64,
}

/// Loads the model the arguments ask for. `Ok(None)` means static-only: asked for with
/// `--static-only`, or no model was named and the default one is not on this machine (a note
/// on stderr says so unless `quiet`). A model that was named but cannot be found or loaded is
/// an error.
pub fn open(args: &ModelArgs) -> Result<Option<OpenedModel>, Error> {
    if args.static_only {
        return Ok(None);
    }
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
                     (see `pyward models list`); --static-only silences this note"
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
    let tier = resolved.manifest.as_ref().map(|m| m.tier).unwrap_or(1);
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
        backend: LocalBackend::new(runtime, resolved.name, resolved.sha256),
        tier,
        load_ms,
    }))
}

/// Pipeline options shared by `scan` and `fix`.
pub fn pipeline_options(args: &ModelArgs, tier: u8) -> PipelineOptions {
    PipelineOptions { tier, seed: args.seed, ..PipelineOptions::default() }
}

/// The result cache the arguments ask for: `--no-cache`, `--cache-dir`, or the user cache dir.
pub fn cache(args: &ModelArgs, engine: &crate::rules::Engine, model: Option<&OpenedModel>) -> Cache {
    if args.no_cache {
        return Cache::disabled();
    }
    let dir = args.cache_dir.clone().or_else(default_cache_dir);
    let Some(dir) = dir else {
        return Cache::disabled();
    };
    let info = model.map(|m| crate::pipeline::Backend::describe(&m.backend));
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
