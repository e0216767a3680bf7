//! `pyward models`: list, pull, import, verify, info, bench (arguments in `cli::models`).

use std::io::Write;
use std::path::PathBuf;

use crate::cli::models::{ModelsArgs, ModelsCommand};
use crate::models::config::ModelsConfig;
use crate::models::error::ModelsError;
use crate::models::hub::{pull, PullOptions};
use crate::models::import::{import, ImportLocation};
use crate::models::info::{human_bytes, inspect, render as render_info};
use crate::models::list::{list, render as render_list};
use crate::models::manifest::{Catalog, RecommendedDevice};
use crate::models::resolve::{resolve_with, ModelRequest};
use crate::models::verify::{verify, VerifyStatus};

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
    if r.gen_tokens > 0 {
        s.push_str(&format!(
            "weights read {:.1} MB per token, {:.1} GB/s\n",
            r.decode_weight_bytes as f64 / 1e6,
            r.decode_weight_gb_s
        ));
        s.push_str(&format!(
            "cache read   {:.1} MB per token; with the weights {:.1} GB/s\n",
            r.decode_kv_bytes as f64 / 1e6,
            r.decode_gb_s
        ));
    }
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
