//! `cargo +nightly fuzz run suppression`: see [`pyward::fuzzing::suppression`] and `docs/fuzzing.md`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pyward::fuzzing::suppression(data));
