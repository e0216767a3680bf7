//! The CPU thread count, and the one worker pool every CPU kernel runs on.
//!
//! candle 0.11 runs its quantized matmuls on a barrier pool of `threads - 1` workers that spin
//! between calls, with the calling thread as the last worker. pyward's kernels (decode
//! products, attention heads, prefill tiles) run on that same pool rather than on a second
//! one: two pools on the same cores make each pool's idle spinners steal time from the other
//! pool's workers (measured on 2 cores: a quarter of the decode time went to candle's spinning
//! workers while pyward's rayon pool computed).

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

static REQUESTED: AtomicUsize = AtomicUsize::new(0);
/// The thread count of the worker pool, once pyward has started it.
static STARTED: OnceLock<usize> = OnceLock::new();

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
    if let Some(&started) = STARTED.get() {
        if started != n {
            return Err(ThreadsError::AlreadyStarted(started));
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
    if let Some(&n) = STARTED.get() {
        return n;
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

/// candle's worker pool, started on first use with the configured thread count.
fn pool() -> &'static candle_core::utils::BarrierPool {
    let pool = candle_core::utils::barrier_pool();
    STARTED.get_or_init(|| pool.n_workers() + 1);
    pool
}

/// Calls `f(range)` for ranges covering `0..n`, on the worker pool: the calling thread takes
/// part, and threads that finish early take the next range. Runs inline when called from a
/// worker of the pool (nested use).
pub(crate) fn for_each_range(n: usize, f: impl Fn(Range<usize>) + Sync) {
    pool().execute_chunked(n, f)
}

/// Splits `dst` into pieces of `chunk` elements (the last one may be shorter) and calls
/// `f(piece_index, piece)` for each, on the worker pool.
pub(crate) fn for_each_chunk_mut<T: Send>(
    dst: &mut [T],
    chunk: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    let chunk = chunk.max(1);
    let (len, pieces) = (dst.len(), dst.len().div_ceil(chunk));
    let base = SendPtr(dst.as_mut_ptr());
    for_each_range(pieces, |range| {
        let base = &base;
        for i in range {
            let start = i * chunk;
            let end = len.min(start + chunk);
            // SAFETY: the ranges handed out cover each piece index exactly once, so the pieces
            // are disjoint sub-slices of `dst`, which outlives this call.
            let piece = unsafe { std::slice::from_raw_parts_mut(base.0.add(start), end - start) };
            f(i, piece);
        }
    });
}

/// A pointer the pool's workers may share; only disjoint pieces are made from it.
struct SendPtr<T>(*mut T);
// SAFETY: used only by `for_each_chunk_mut`, which hands each worker disjoint elements of a
// slice whose elements are `Send`.
unsafe impl<T: Send> Sync for SendPtr<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_element_once() {
        for (len, chunk) in [(0, 4), (1, 4), (37, 4), (64, 16), (1000, 7)] {
            let mut v = vec![0u32; len];
            for_each_chunk_mut(&mut v, chunk, |i, piece| {
                assert!(piece.len() <= chunk);
                for (j, x) in piece.iter_mut().enumerate() {
                    *x += (i * chunk + j) as u32 + 1;
                }
            });
            assert!(
                v.iter().enumerate().all(|(j, &x)| x == j as u32 + 1),
                "len {len} chunk {chunk}"
            );
        }
    }

    #[test]
    fn ranges_cover_zero_to_n() {
        let hits: Vec<AtomicUsize> = (0..333).map(|_| AtomicUsize::new(0)).collect();
        for_each_range(hits.len(), |r| {
            r.for_each(|i| {
                hits[i].fetch_add(1, Ordering::Relaxed);
            })
        });
        assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
    }
}
