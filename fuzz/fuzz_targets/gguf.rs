//! `cargo +nightly fuzz run gguf`: see [`pyward::fuzzing::load_gguf`] and `docs/fuzzing.md`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pyward::fuzzing::load_gguf(data));
