#!/usr/bin/env bash
# Issue 5's comparison: `pyward bench` on tests/bench_data with the static engine, local SmolLM2,
# local Gemma-3-270M and SmolLM2 behind a llama.cpp server on 127.0.0.1 (the OpenAI-compatible
# backend). Writes target/bench-backends/{bench.md,bench.json,bench.svg}.
#
# usage: scripts/bench-backends.sh
#   env: SHARD (e.g. 1/4: measure that share of the dataset; default all 95 files)
#        THREADS (model threads for every backend, default 1), TIER (--model-tier, default 1: the
#        tier SmolLM2 has locally, so the server row weighs the same model the same way),
#        PROFILE (release (default) or dev), PYWARD_BIN (a built pyward; no cargo build),
#        LLAMA_SERVER (an existing llama-server binary; else
#        scripts/build-llama.sh builds one under target/llama.cpp)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
THREADS=${THREADS:-1}
TIER=${TIER:-1}
PROFILE=${PROFILE:-release}
OUT=target/bench-backends
mkdir -p "$OUT"
scripts/fetch-models.sh >/dev/null
SMOL=.models/SmolLM2-135M-Instruct.Q4_1.gguf
GEMMA=.models/gemma-3-270m-q4_k_m.gguf

if [ -n "${PYWARD_BIN:-}" ]; then
    PYWARD=$PYWARD_BIN
elif [ "$PROFILE" = dev ]; then
    cargo build --locked --quiet --bin pyward
    PYWARD=${CARGO_TARGET_DIR:-target}/debug/pyward
else
    cargo build --locked --quiet --release --bin pyward
    PYWARD=${CARGO_TARGET_DIR:-target}/release/pyward
fi
LLAMA_SERVER=${LLAMA_SERVER:-$(scripts/build-llama.sh llama-server)}

# A free port, then the server with the same thread count; stopped on exit.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$LLAMA_SERVER" -m "$SMOL" --host 127.0.0.1 --port "$PORT" -c 4096 -t "$THREADS" -tb "$THREADS" \
    -np 1 --no-webui -a smollm2 >"$OUT/llama-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
    kill -0 $SERVER 2>/dev/null || { tail -n 20 "$OUT/llama-server.log" >&2; exit 1; }
    sleep 0.5
done

args=(bench --dataset tests/bench_data --static-only
      --backend "local:$SMOL" --backend "local:$GEMMA" --backend "openai:http://127.0.0.1:$PORT/v1#smollm2"
      --model-tier "$TIER" --threads "$THREADS" --plot "$OUT/bench.svg"
      --chat-template tests/fixtures/llm/gemma3-chat.jinja)
[ -n "${SHARD:-}" ] && args+=(--shard "$SHARD")
# The loopback server needs no key; the client sends none when the variable is unset.
env -u OPENAI_API_KEY CANDLE_NUM_THREADS="$THREADS" RAYON_NUM_THREADS="$THREADS" \
    "$PYWARD" "${args[@]}" --json-file "$OUT/bench.json" | tee "$OUT/bench.md"
