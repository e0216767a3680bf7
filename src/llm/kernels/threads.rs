//! The CPU thread count used by candle's quantized kernels and by pyward's prefill kernel.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

static REQUESTED: AtomicUsize = AtomicUsize::new(0);
static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();

/// Error from [`set_threads`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ThreadsError {
    #[error("thread count must be at least 1")]
    Zero,
    #[error("the CPU thread pool is already running with {0} threads; set the thread count before loading a model")]
    AlreadyStarted(usize),
}

/// Sets the number of CPU threads for inference. Must be called before the first forward pass
/// (candle reads `CANDLE_NUM_THREADS` / `RAYON_NUM_THREADS` once, when its pools start).
pub fn set_threads(n: usize) -> Result<(), ThreadsError> {
    if n == 0 {
        return Err(ThreadsError::Zero);
    }
    if let Some(pool) = POOL.get() {
        if pool.current_num_threads() != n {
            return Err(ThreadsError::AlreadyStarted(pool.current_num_threads()));
        }
        return Ok(());
    }
    REQUESTED.store(n, Ordering::SeqCst);
    // Safe in edition 2021; done before any pool starts, from the thread configuring the run.
    std::env::set_var("CANDLE_NUM_THREADS", n.to_string());
    std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    Ok(())
}

/// The thread count in effect: [`set_threads`], else `CANDLE_NUM_THREADS`, else
/// `RAYON_NUM_THREADS`, else the number of available CPUs.
pub fn threads() -> usize {
    if let Some(pool) = POOL.get() {
        return pool.current_num_threads();
    }
    let n = REQUESTED.load(Ordering::SeqCst);
    if n > 0 {
        return n;
    }
    for var in ["CANDLE_NUM_THREADS", "RAYON_NUM_THREADS"] {
        if let Some(n) = std::env::var(var)
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
        {
            if n > 0 {
                return n;
            }
        }
    }
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// The rayon pool the prefill kernel runs on (started on first use).
pub(crate) fn pool() -> &'static rayon::ThreadPool {
    POOL.get_or_init(|| {
        let n = threads();
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("pyward-prefill-{i}"))
            .build()
            .or_else(|_| rayon::ThreadPoolBuilder::new().num_threads(1).build())
            .expect("a one-thread rayon pool can always be built")
    })
}
