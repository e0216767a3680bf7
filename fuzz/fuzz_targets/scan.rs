//! `cargo +nightly fuzz run scan`: see [`pyward::fuzzing::scan_and_render`] and `docs/fuzzing.md`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pyward::fuzzing::scan_and_render(data));
