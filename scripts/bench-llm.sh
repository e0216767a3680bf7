#!/usr/bin/env bash
# Compare pyward's CPU inference speed with llama.cpp's llama-bench on the same GGUF files.
#
# usage: scripts/bench-llm.sh [MODELS_DIR]
#   env: THREADS (default 1), PROMPT (512), GEN (128), REPS (3),
#        LLAMA_BENCH (use an existing binary; else scripts/build-llama.sh builds one under target/llama.cpp),
#        PROFILE (cargo profile for pyward: release (default) or dev),
#        LLAMA_ARGS (extra llama-bench arguments, e.g. "--repack 0"),
#        MODEL_FILES (space-separated file names under MODELS_DIR; default: the two real models and
#        the random stand-in below), RANDOM_DIR (where the stand-in is written: target/random-models)
#
# The default model, Qwen2.5-Coder-1.5B Q4_K_M, cannot be downloaded here: a random-weight file of
# its exact shapes and quantization mix (examples/random_gguf.rs, with SmolLM2's vocabulary padded
# to Qwen's 151936 tokens so llama.cpp loads it) stands in; it is written on first use (1.1 GB).
#
# llama.cpp comes from the llama-cpp-python sdist on PyPI, which vendors it (scripts/build-llama.sh:
# only the llama-bench target, CPU only, cmake from PyPI when it is not installed).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODELS=${1:-${PYWARD_MODELS_DIR:-$ROOT/.models}}
THREADS=${THREADS:-1}
PROMPT=${PROMPT:-512}
GEN=${GEN:-128}
REPS=${REPS:-3}
STANDIN=random-qwen2.5-coder-1.5b-q4_k_m.gguf
read -r -a MODEL_FILES <<<"${MODEL_FILES:-SmolLM2-135M-Instruct.Q4_1.gguf gemma-3-270m-q4_k_m.gguf $STANDIN}"
RANDOM_DIR=${RANDOM_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/random-models}

if [ -z "${LLAMA_BENCH:-}" ]; then
    LLAMA_BENCH=$("$ROOT/scripts/build-llama.sh" llama-bench)
fi

PROFILE=${PROFILE:-release}
if [ "$PROFILE" = dev ]; then
    (cd "$ROOT" && cargo build --quiet --example llm_bench)
    PYWARD_BENCH="${CARGO_TARGET_DIR:-$ROOT/target}/debug/examples/llm_bench"
else
    (cd "$ROOT" && cargo build --release --quiet --example llm_bench)
    PYWARD_BENCH="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/llm_bench"
fi

printf '%-34s %10s %14s %14s %8s\n' "model (threads=$THREADS)" "phase" "llama.cpp t/s" "pyward t/s" "ratio"
for file in "${MODEL_FILES[@]}"; do
    model="$MODELS/$file"
    if [ "$file" = "$STANDIN" ]; then
        model="$RANDOM_DIR/$file"
        if [ ! -f "$model" ]; then
            mkdir -p "$RANDOM_DIR"
            (cd "$ROOT" && PYWARD_MODELS_DIR="$MODELS" cargo run --release --quiet --example random_gguf -- \
                qwen2.5-coder-1.5b "$model" --dtype q4_k_m --tokenizer "$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf")
        fi
    fi
    if [ ! -f "$model" ]; then
        echo "missing $model (run scripts/fetch-models.sh)" >&2
        exit 1
    fi
    # pyward's decode runs after the prompt (cache depth PROMPT); llama-bench's generation test
    # starts from an empty cache unless given that depth (-d), which must not apply to prefill.
    llama_pp=$("$LLAMA_BENCH" -m "$model" -p "$PROMPT" -n 0 -t "$THREADS" -r "$REPS" -o json ${LLAMA_ARGS:-} 2>/dev/null)
    llama_tg=$("$LLAMA_BENCH" -m "$model" -p 0 -n "$GEN" -d "$PROMPT" -t "$THREADS" -r "$REPS" -o json ${LLAMA_ARGS:-} 2>/dev/null)
    llama_json=$(python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1]) + json.loads(sys.argv[2])))' "$llama_pp" "$llama_tg")
    pyward_json=$("$PYWARD_BENCH" "$model" --threads "$THREADS" --prompt "$PROMPT" --gen "$GEN")
    python3 - "$file" "$PROMPT" "$GEN" "$llama_json" "$pyward_json" <<'PY'
import json, sys
name, prompt, gen = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
llama = json.loads(sys.argv[4])
ours = json.loads(sys.argv[5])
def llama_ts(n_prompt, n_gen):
    for row in llama:
        if row.get("n_prompt") == n_prompt and row.get("n_gen") == n_gen:
            return row["avg_ts"]
    return float("nan")
rows = [("pp%d" % prompt, llama_ts(prompt, 0), ours["prefill_tok_s"]),
        ("tg%d@%d" % (gen, prompt), llama_ts(0, gen), ours["decode_tok_s"])]
for phase, l, p in rows:
    print("%-34s %10s %14.1f %14.1f %7.2fx" % (name, phase, l, p, p / l if l else float("nan")))
PY
done
