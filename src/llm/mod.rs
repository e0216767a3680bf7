//! The local inference runtime: GGUF models through candle, constrained to JSON.
pub mod model;
