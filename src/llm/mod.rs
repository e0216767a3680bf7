//! The local inference runtime: GGUF models through candle, constrained to JSON.
pub mod arch;
pub mod bench;
pub mod kernels;
pub mod load;
pub mod model;
pub mod testing;

pub use kernels::set_threads;
