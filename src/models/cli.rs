//! The `pyward models` command line: list, pull, import, verify, info, bench.

use std::io::Write;
use std::path::PathBuf;

use super::config::ModelsConfig;
use super::error::ModelsError;
use super::hub::{pull, PullOptions};
use super::import::{import, ImportLocation};
use super::info::{human_bytes, inspect, render as render_info};
use super::list::{list, render as render_list};
use super::manifest::{Catalog, RecommendedDevice};
use super::resolve::{resolve_with, ModelRequest};
use super::verify::{verify, VerifyStatus};

/// `pyward models ...`
#[derive(Debug, Clone, clap::Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub command: ModelsCommand,
    /// Use the local cache only and never touch the network (same as HF_HUB_OFFLINE=1).
    #[arg(long, global = true)]
    pub offline: bool,
}

/// The subcommands of `pyward models`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ModelsCommand {
    /// Show the known models and whether each is on this machine.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Download models from the Hugging Face hub into its cache and verify them
    /// (honours HF_ENDPOINT, HF_TOKEN, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE).
    Pull {
        /// Model names (see `pyward models list`); default: the CPU default model.
        names: Vec<String>,
        /// Download even if the manifest's sha256 is not verified.
        #[arg(long)]
        allow_unverified: bool,
        /// Pull the default model for this device instead (cpu or cuda).
        #[arg(long, value_name = "DEVICE", conflicts_with = "names")]
        default_for: Option<String>,
    },
    /// Register a local .gguf file (for air-gapped machines): it goes into the hub cache when it
    /// matches a manifest, else into pyward's own index under --name.
    Import {
        /// The .gguf file.
        file: PathBuf,
        /// Name to register it under (required when it matches no manifest).
        #[arg(long)]
        name: Option<String>,
    },
    /// Re-hash local model files and compare them with their pinned sha256.
    Verify {
        /// Model names; default: every local model.
        names: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Describe a GGUF file: architecture, parameters, quantization, context, tokenizer.
    Info {
        /// A .gguf file, or the name of a local model.
        file: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Measure prefill and decode speed, time to first token and peak memory of a model on this
    /// machine (compare models and machines; `scripts/bench-llm.sh` compares with llama.cpp).
    Bench {
        /// A .gguf file, or the name of a local model.
        file: String,
        /// Prompt length to prefill.
        #[arg(long, default_value_t = 512)]
        prompt_tokens: usize,
        /// Tokens to decode after the prompt.
        #[arg(long, default_value_t = 128)]
        gen_tokens: usize,
        /// CPU threads (default: physical cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Device: cpu, cuda or cuda:N (a GPU needs a build with `--features cuda`).
        #[arg(long, default_value = "cpu", value_parser = crate::cli::parse_device)]
        device: crate::device::DeviceSpec,
        /// candle's repacked weight tiles on the CPU: auto (decode tiles if they fit in memory, else
        /// none), full (also the prompt tiles), decode or off.
        #[arg(long, value_enum, default_value_t = RepackChoice::Auto)]
        repack: RepackChoice,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `pyward models` with the embedded manifests and the environment. Returns the exit code:
/// 0 success, 1 a check failed (corrupt model, unloadable file).
pub fn run(args: &ModelsArgs) -> Result<i32, ModelsError> {
    let catalog = Catalog::embedded()?;
    let cfg = ModelsConfig::from_env();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    run_with(args, &catalog, cfg, &mut out)
}

/// Runs `pyward models` against an explicit catalogue and configuration, writing results to `out`
/// (notes and progress go to stderr).
pub fn run_with(
    args: &ModelsArgs,
    catalog: &Catalog,
    mut cfg: ModelsConfig,
    out: &mut dyn Write,
) -> Result<i32, ModelsError> {
    if args.offline {
        cfg.force_offline("--offline");
    }
    let w = |out: &mut dyn Write, s: &str| -> Result<(), ModelsError> {
        out.write_all(s.as_bytes())
            .map_err(|e| ModelsError::io("<stdout>", e))
    };
    match &args.command {
        ModelsCommand::List { json } => {
            let rows = list(catalog, &cfg)?;
            if *json {
                w(out, &to_json(&rows)?)?;
            } else {
                w(out, &render_list(&rows, &cfg))?;
            }
            Ok(0)
        }
        ModelsCommand::Pull {
            names,
            allow_unverified,
            default_for,
        } => {
            let names: Vec<String> = if names.is_empty() {
                let device = match default_for.as_deref() {
                    None | Some("cpu") => RecommendedDevice::Cpu,
                    Some("cuda") => RecommendedDevice::Cuda,
                    Some(other) => {
                        return Err(ModelsError::InvalidName {
                            name: other.to_string(),
                            message: "--default-for takes `cpu` or `cuda`".to_string(),
                        })
                    }
                };
                vec![catalog
                    .default_for(device)
                    .map(|m| m.name.clone())
                    .ok_or_else(|| ModelsError::UnknownModel {
                        name: format!("(default for {device})"),
                        known: catalog.names(),
                    })?]
            } else {
                names.clone()
            };
            let opts = PullOptions {
                allow_unverified: *allow_unverified,
            };
            for name in &names {
                let m = catalog.get(name).ok_or_else(|| ModelsError::UnknownModel {
                    name: name.clone(),
                    known: catalog.names(),
                })?;
                let outcome = pull(m, &cfg, &opts)?;
                for n in &outcome.notes {
                    eprintln!("note: {n}");
                }
                let verb = if outcome.downloaded {
                    "downloaded"
                } else {
                    "already cached"
                };
                w(
                    out,
                    &format!(
                        "{name}: {verb}, sha256 {} ({})\n  {}\n",
                        outcome.sha256,
                        human_bytes(m.size),
                        outcome.path.display()
                    ),
                )?;
            }
            Ok(0)
        }
        ModelsCommand::Import { file, name } => {
            let o = import(file, name.as_deref(), catalog, &cfg)?;
            let place = match o.location {
                ImportLocation::HubCache => "hub cache",
                ImportLocation::PywardIndex => "pyward index",
            };
            let matched = match &o.manifest {
                Some(m) => format!("matches manifest `{m}`"),
                None => "custom model (no manifest)".to_string(),
            };
            w(
                out,
                &format!(
                    "imported {} as `{}` ({matched}), sha256 {}\n  {} ({place})\n  use it with --model-name {}\n",
                    file.display(),
                    o.name,
                    o.sha256,
                    o.path.display(),
                    o.name
                ),
            )?;
            Ok(0)
        }
        ModelsCommand::Verify { names, json } => {
            let report = verify(catalog, &cfg, names)?;
            let bad = report.iter().any(|e| {
                matches!(
                    e.status,
                    VerifyStatus::Corrupt { .. } | VerifyStatus::Missing
                )
            });
            if *json {
                w(out, &to_json(&report)?)?;
            } else if report.is_empty() {
                w(
                    out,
                    "no local models to verify (see `pyward models list`)\n",
                )?;
            } else {
                for e in &report {
                    let line = match &e.status {
                        VerifyStatus::Ok => format!("ok        {}", e.name),
                        VerifyStatus::Unchecked => format!(
                            "unchecked {} (no verified sha256 in its manifest; actual {})",
                            e.name,
                            e.sha256.as_deref().unwrap_or("-")
                        ),
                        VerifyStatus::Missing => format!("missing   {}", e.name),
                        VerifyStatus::Corrupt { message } => format!(
                            "CORRUPT   {}: {message} — run `pyward models pull {}` to replace it",
                            e.name, e.name
                        ),
                    };
                    let path = e
                        .path
                        .as_ref()
                        .map(|p| format!("\n  {}", p.display()))
                        .unwrap_or_default();
                    w(out, &format!("{line}{path}\n"))?;
                }
            }
            Ok(if bad { 1 } else { 0 })
        }
        ModelsCommand::Info { file, json } => {
            let path = file_or_name(file, catalog, &cfg)?;
            let info = inspect(&path)?;
            if *json {
                w(out, &to_json(&info)?)?;
            } else {
                w(out, &render_info(&info))?;
            }
            Ok(if info.loadable { 0 } else { 1 })
        }
        ModelsCommand::Bench {
            file,
            prompt_tokens,
            gen_tokens,
            threads,
            device,
            repack,
            json,
        } => {
            let path = file_or_name(file, catalog, &cfg)?;
            let opts = crate::llm::bench::BenchOptions {
                prompt_tokens: *prompt_tokens,
                gen_tokens: *gen_tokens,
                threads: *threads,
                device: crate::device::open(*device)?,
                load: crate::llm::load::LoadOptions {
                    repack: repack.mode(),
                    ..Default::default()
                },
            };
            let report = crate::llm::bench::bench(&path, &opts)?;
            if *json {
                w(out, &to_json(&report)?)?;
            } else {
                w(out, &render_bench(&report))?;
            }
            Ok(0)
        }
    }
}

/// `models bench --repack`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RepackChoice {
    /// Decode tiles when they fit in half the available memory, else none.
    Auto,
    Full,
    Decode,
    Off,
}

impl RepackChoice {
    fn mode(self) -> Option<crate::llm::kernels::Repack> {
        use crate::llm::kernels::Repack;
        match self {
            RepackChoice::Auto => None,
            RepackChoice::Full => Some(Repack::Full),
            RepackChoice::Decode => Some(Repack::DecodeOnly),
            RepackChoice::Off => Some(Repack::Off),
        }
    }
}

/// A path that exists, or else the name of a local model (resolved offline).
fn file_or_name(file: &str, catalog: &Catalog, cfg: &ModelsConfig) -> Result<PathBuf, ModelsError> {
    let path = PathBuf::from(file);
    if path.exists() || catalog.get(file).is_none() {
        return Ok(path);
    }
    let req = ModelRequest {
        path: None,
        name: Some(file.to_string()),
        offline: true,
    };
    Ok(resolve_with(&req, catalog, cfg)?.path)
}

fn render_bench(r: &crate::llm::bench::BenchReport) -> String {
    let mut s = format!(
        "model        {}\narch         {}\ndevice       {}\nthreads      {}\nload         {:.0} ms\n\
         prefill      {:.1} tok/s ({} tokens)\ndecode       {:.1} tok/s ({} tokens)\n\
         first token  {:.0} ms\n",
        r.model.display(),
        r.arch,
        r.device,
        r.threads,
        r.load_ms,
        r.prefill_tok_s,
        r.prompt_tokens,
        r.decode_tok_s,
        r.gen_tokens,
        r.ttft_ms,
    );
    if let Some(mb) = r.peak_rss_mb {
        s.push_str(&format!("peak memory  {mb:.0} MiB\n"));
    }
    if r.requantized_tensors > 0 {
        s.push_str(&format!(
            "requantized  {} tensors to Q8_0 at load\n",
            r.requantized_tensors
        ));
    }
    for w in &r.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    s
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, ModelsError> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| ModelsError::io("<stdout>", std::io::Error::other(e)))
}
