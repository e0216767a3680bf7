//! Timing shared by the plain-`main` benches: the median of repeated runs after one warm-up.

use std::time::Instant;

/// Runs `f` once to warm up, then `reps` times; returns the median wall time in seconds.
pub fn median_secs(mut f: impl FnMut(), reps: usize) -> f64 {
    f();
    let mut times: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2]
}
