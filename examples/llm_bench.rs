//! Measures prefill and decode speed of a GGUF model (used by `scripts/bench-llm.sh`).
//!
//! `cargo run --release --example llm_bench -- MODEL.gguf [--threads N] [--prompt 512]
//!  [--gen 128] [--requantize auto|never] [--repack full|decode|off] [--kv f16|f32] [--no-prefill-kernel]`
//!  prints one JSON line.

use pyward::llm::arch::Requantize;
use pyward::llm::bench::{bench, BenchOptions};
use pyward::llm::kernels::Repack;
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut opts = BenchOptions::default();
    let mut model: Option<PathBuf> = None;
    while let Some(a) = args.next() {
        let mut num = |name: &str| -> usize {
            args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
                eprintln!("{name} needs a number");
                std::process::exit(2)
            })
        };
        match a.as_str() {
            "--threads" => opts.threads = Some(num("--threads")),
            "--prompt" => opts.prompt_tokens = num("--prompt"),
            "--gen" => opts.gen_tokens = num("--gen"),
            "--no-prefill-kernel" => opts.load.prefill_kernel = false,
            "--repack" => {
                opts.load.repack = Some(match args.next().as_deref() {
                    Some("full") => Repack::Full,
                    Some("decode") => Repack::DecodeOnly,
                    Some("off") => Repack::Off,
                    other => {
                        eprintln!("--repack takes full, decode or off, got {other:?}");
                        std::process::exit(2)
                    }
                })
            }
            "--kv" => {
                opts.load.kv_cache = match args.next().map(|s| s.parse()) {
                    Some(Ok(p)) => p,
                    Some(Err(e)) => {
                        eprintln!("--kv: {e}");
                        std::process::exit(2)
                    }
                    None => {
                        eprintln!("--kv takes f16 or f32");
                        std::process::exit(2)
                    }
                }
            }
            "--requantize" => {
                opts.load.requantize = match args.next().as_deref() {
                    Some("auto") => Requantize::Auto,
                    Some("never") => Requantize::Never,
                    other => {
                        eprintln!("--requantize takes auto or never, got {other:?}");
                        std::process::exit(2)
                    }
                }
            }
            _ if model.is_none() && !a.starts_with("--") => model = Some(PathBuf::from(a)),
            _ => {
                eprintln!("unknown argument {a}");
                std::process::exit(2)
            }
        }
    }
    let Some(model) = model else {
        eprintln!("usage: llm_bench MODEL.gguf [--threads N] [--prompt N] [--gen N] [--requantize auto|never] [--repack full|decode|off] [--kv f16|f32] [--no-prefill-kernel]");
        std::process::exit(2)
    };
    match bench(&model, &opts) {
        Ok(report) => println!("{}", serde_json::to_string(&report).unwrap_or_default()),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1)
        }
    }
}
