//! `cargo +nightly fuzz run rule_toml`: see [`pyward::fuzzing::load_rule`] and `docs/fuzzing.md`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pyward::fuzzing::load_rule(data));
