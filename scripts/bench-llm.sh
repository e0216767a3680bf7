#!/usr/bin/env bash
# Compare pyward's CPU inference speed with llama.cpp's llama-bench on the same GGUF files.
#
# usage: scripts/bench-llm.sh [MODELS_DIR]
#   env: THREADS (default 1), PROMPT (512), GEN (128), REPS (3),
#        WORK (build/cache dir, default target/bench-llm), LLAMA_BENCH (use an existing binary)
#
# llama.cpp comes from the llama-cpp-python sdist on PyPI, which vendors it; only the
# llama-bench target is built, CPU only. cmake comes from PyPI when it is not installed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODELS=${1:-${PYWARD_MODELS_DIR:-$ROOT/.models}}
THREADS=${THREADS:-1}
PROMPT=${PROMPT:-512}
GEN=${GEN:-128}
REPS=${REPS:-3}
WORK=${WORK:-$ROOT/target/bench-llm}
MODEL_FILES=(SmolLM2-135M-Instruct.Q4_1.gguf gemma-3-270m-q4_k_m.gguf)
mkdir -p "$WORK"

# -march=native would also enable AMX where the CPU has it, and ggml's AMX path crashes in VMs
# that do not grant AMX tile state; pick the SIMD levels explicitly instead.
cpu_flags() {
    local f=/proc/cpuinfo
    if ! grep -q -w amx_tile "$f" 2>/dev/null; then
        echo "-DGGML_NATIVE=ON"
        return
    fi
    local flags="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
    grep -q -w avx512f "$f" && flags="$flags -DGGML_AVX512=ON"
    grep -q -w avx512_vnni "$f" && flags="$flags -DGGML_AVX512_VNNI=ON"
    grep -q -w avx512vbmi "$f" && flags="$flags -DGGML_AVX512_VBMI=ON"
    grep -q -w avx512_bf16 "$f" && flags="$flags -DGGML_AVX512_BF16=ON"
    grep -q -w avx_vnni "$f" && flags="$flags -DGGML_AVX_VNNI=ON"
    echo "$flags"
}

build_llama_bench() {
    local venv="$WORK/venv"
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv"
    fi
    local cmake_bin
    if command -v cmake >/dev/null 2>&1; then
        cmake_bin=$(command -v cmake)
    else
        "$venv/bin/pip" install --quiet cmake
        cmake_bin="$venv/bin/cmake"
    fi
    if ! ls "$WORK"/sdist/llama_cpp_python-*.tar.gz >/dev/null 2>&1; then
        "$venv/bin/pip" download --quiet --no-binary llama-cpp-python --no-deps llama-cpp-python -d "$WORK/sdist"
    fi
    local tarball
    tarball=$(ls "$WORK"/sdist/llama_cpp_python-*.tar.gz | head -n1)
    rm -rf "$WORK/src" && mkdir -p "$WORK/src"
    tar xzf "$tarball" -C "$WORK/src"
    local src
    src=$(ls -d "$WORK"/src/llama_cpp_python-*/vendor/llama.cpp | head -n1)
    "$cmake_bin" -S "$src" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release \
        $(cpu_flags) -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF \
        -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
        -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TOOLS=ON -DBUILD_SHARED_LIBS=OFF >/dev/null
    "$cmake_bin" --build "$WORK/build" --target llama-bench -j "$(nproc)" >/dev/null
}

LLAMA_BENCH=${LLAMA_BENCH:-$WORK/build/bin/llama-bench}
if [ ! -x "$LLAMA_BENCH" ]; then
    echo "building llama-bench (once) in $WORK ..." >&2
    build_llama_bench
fi

(cd "$ROOT" && cargo build --release --quiet --example llm_bench)
PYWARD_BENCH="$ROOT/target/release/examples/llm_bench"

printf '%-34s %7s %14s %14s %8s\n' "model (threads=$THREADS)" "phase" "llama.cpp t/s" "pyward t/s" "ratio"
for file in "${MODEL_FILES[@]}"; do
    model="$MODELS/$file"
    if [ ! -f "$model" ]; then
        echo "missing $model (run scripts/fetch-models.sh)" >&2
        exit 1
    fi
    llama_json=$("$LLAMA_BENCH" -m "$model" -p "$PROMPT" -n "$GEN" -t "$THREADS" -r "$REPS" -o json 2>/dev/null)
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
        ("tg%d" % gen, llama_ts(0, gen), ours["decode_tok_s"])]
for phase, l, p in rows:
    print("%-34s %7s %14.1f %14.1f %7.2fx" % (name, phase, l, p, p / l if l else float("nan")))
PY
done
