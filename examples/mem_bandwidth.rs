//! Measures one core's memory read bandwidth: the bound a memory-bound decode step is compared
//! with (`decode_gb_s` in `llm_bench` / `pyward models bench --json`).
//!
//! `cargo run --release --example mem_bandwidth [-- MIB]` sums a buffer of MIB mebibytes
//! (default 1024, far larger than any cache) on one thread, reading it as 1, 2, 4 and 8
//! interleaved streams (a core reaches its bandwidth only with several misses in flight), five
//! times each, and prints the best rate of each in GB/s (10⁹ bytes per second), then the best
//! of all.

use std::time::Instant;

fn main() {
    let mib: usize = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 1024,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: mem_bandwidth [MIB]");
            std::process::exit(2)
        }
    };
    let n = mib * (1 << 20) / 8;
    let buf: Vec<u64> = (0..n as u64).collect();
    let mut best_all = 0f64;
    for streams in [1usize, 2, 4, 8] {
        let part = n / streams / 8 * 8;
        let parts: Vec<&[u64]> = buf.chunks_exact(part).take(streams).collect();
        let mut best = 0f64;
        for _ in 0..5 {
            let t = Instant::now();
            let mut acc = [0u64; 8];
            for i in (0..part).step_by(8) {
                for p in &parts {
                    for (a, x) in acc.iter_mut().zip(&p[i..i + 8]) {
                        *a = a.wrapping_add(*x);
                    }
                }
            }
            let secs = t.elapsed().as_secs_f64();
            std::hint::black_box(acc);
            best = best.max((part * streams * 8) as f64 / secs / 1e9);
        }
        println!("{streams} stream(s): {best:.2} GB/s");
        best_all = best_all.max(best);
    }
    println!("best: {best_all:.2} GB/s");
}
