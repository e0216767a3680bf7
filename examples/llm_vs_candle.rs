//! Times pyward's llama implementation against candle-transformers' quantized_llama on the same
//! GGUF, same process, alternating runs: `cargo run --example llm_vs_candle -- MODEL.gguf`.

use candle_core::{Device, Tensor};
use pyward::llm::arch::Requantize;
use pyward::llm::load::{load_transformer, open_gguf, LoadOptions};
use pyward::llm::model::CausalLm;
use std::time::Instant;

fn main() {
    let path = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: llm_vs_candle MODEL.gguf"),
    );
    let prompt: Vec<u32> = (0..128u32).map(|i| 100 + i * 37 % 5000).collect();
    let gen = 32;
    for round in 0..2 {
        let (_, content) = open_gguf(&path).unwrap();
        let mut file = std::fs::File::open(&path).unwrap();
        let mut reference = candle_transformers::models::quantized_llama::ModelWeights::from_gguf(
            content,
            &mut file,
            &Device::Cpu,
        )
        .unwrap();
        let t = Instant::now();
        let input = Tensor::new(prompt.as_slice(), &Device::Cpu)
            .unwrap()
            .unsqueeze(0)
            .unwrap();
        reference.forward(&input, 0).unwrap();
        let pre = t.elapsed().as_secs_f64();
        let t = Instant::now();
        for i in 0..gen {
            let input = Tensor::new(&[prompt[i]], &Device::Cpu)
                .unwrap()
                .unsqueeze(0)
                .unwrap();
            reference.forward(&input, prompt.len() + i).unwrap();
        }
        let dec = t.elapsed().as_secs_f64();
        println!(
            "round {round} candle: prefill {:.1} tok/s, decode {:.1} tok/s",
            prompt.len() as f64 / pre,
            gen as f64 / dec
        );
        for kernel in [false, true] {
            let opts = LoadOptions {
                requantize: Requantize::Never,
                prefill_kernel: kernel,
                ..LoadOptions::default()
            };
            let mut mine = load_transformer(&path, &Device::Cpu, &opts).unwrap().0;
            let t = Instant::now();
            mine.forward(&prompt).unwrap();
            let pre = t.elapsed().as_secs_f64();
            let t = Instant::now();
            for &tok in &prompt[..gen] {
                mine.forward(&[tok]).unwrap();
            }
            let dec = t.elapsed().as_secs_f64();
            println!(
                "round {round} pyward (prefill kernel {kernel}): prefill {:.1} tok/s, decode {:.1} tok/s",
                prompt.len() as f64 / pre,
                gen as f64 / dec
            );
        }
    }
}
