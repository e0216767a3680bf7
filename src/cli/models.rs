//! The arguments of `pyward models` (list, pull, import, verify, info, bench); the command
//! itself is `commands::models`.

use std::path::PathBuf;

use super::parse::parse_device;

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
        #[arg(long, default_value = "cpu", value_parser = parse_device)]
        device: crate::device::DeviceSpec,
        /// Which of candle's repacked weight tiles to keep on the CPU: auto (decode tiles if they
        /// fit in memory, else none), full (also the prompt tiles), decode or off.
        #[arg(long, value_enum, default_value_t = RepackChoice::Auto)]
        repack: RepackChoice,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
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
    /// The repack mode to force, or `None` for the automatic choice.
    pub fn mode(self) -> Option<crate::llm::kernels::Repack> {
        use crate::llm::kernels::Repack;
        match self {
            RepackChoice::Auto => None,
            RepackChoice::Full => Some(Repack::Full),
            RepackChoice::Decode => Some(Repack::DecodeOnly),
            RepackChoice::Off => Some(Repack::Off),
        }
    }
}
