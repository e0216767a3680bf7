#!/usr/bin/env bash
# Runs pyward's CUDA build on a machine with an NVIDIA GPU and prints what it measured:
# correctness against the CPU (tests/llm_cuda.rs), `models bench` on the GPU and on the CPU, and a
# real scan of the bundled examples on the GPU. The binaries are built elsewhere (a GPU machine
# need not have Rust): see `scripts/gpu-check.sh --pack`.
#
#   scripts/gpu-check.sh --pack DIR     on the build machine: build the cuda binaries, write them to DIR
#   scripts/gpu-check.sh DIR [STEP...]  on the GPU machine; steps (default all): smi tiny bench-qwen real scan
#
# DIR holds pyward (cuda build), llm_cuda (the test binary, cuda build) and random_gguf (any
# build), each optionally .xz-compressed, and optionally SmolLM2-135M-Instruct.Q4_1.gguf. The
# steps:
#   smi         nvidia-smi and the CUDA libraries found
#   tiny        tests/llm_cuda.rs: random tiny models of every architecture, CPU vs GPU logits
#   bench-qwen  random-weight GGUFs with Qwen2.5-Coder 1.5B and 7B shapes (Q4_K), `models bench`
#               on the GPU and on the CPU (all cores), prompt 512 and 2048
#   real        with SmolLM2 in DIR: the model tests of tests/llm_cuda.rs, `models bench` on both
#               devices, and the error for a GPU ordinal that does not exist
#   scan        with SmolLM2 in DIR: `scan examples/vulnerable_app` on the GPU and on the CPU,
#               timed, and their findings compared
# Environment: WORK (scratch folder for the random models, default /tmp/pyward-gpu), OUT (copies
# of the reports, if set).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

if [ "${1:-}" = "--pack" ]; then
  dest="${2:?usage: gpu-check.sh --pack DIR}"
  mkdir -p "$dest"
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/cuda}"
  "$root/scripts/build-cuda.sh" --bin pyward --example random_gguf || exit 2
  eval "$("$root/scripts/build-cuda.sh" --setup-only 2>/dev/null)"
  test_bin="$(cd "$root" && cargo test --release --features cuda --test llm_cuda --no-run --message-format=json 2>/dev/null \
    | sed -n 's/.*"executable":"\([^"]*llm_cuda[^"]*\)".*/\1/p' | tail -1)"
  [ -x "$test_bin" ] || { echo "gpu-check: could not build tests/llm_cuda.rs" >&2; exit 2; }
  for b in "$CARGO_TARGET_DIR/release/pyward" "$test_bin" "$CARGO_TARGET_DIR/release/examples/random_gguf"; do
    name="$(basename "$b")"; name="${name%%-*}"
    strip -o "$dest/$name" "$b" && xz -6 -T2 -f "$dest/$name"
  done
  ls -la "$dest"
  exit 0
fi

dir="$(cd "${1:?usage: gpu-check.sh DIR [STEP...]}" && pwd)"; shift
steps="${*:-smi tiny bench-qwen real scan}"
work="${WORK:-/tmp/pyward-gpu}"
mkdir -p "$work/bin"
for name in pyward llm_cuda random_gguf; do
  if [ -f "$dir/$name.xz" ]; then
    xz -dc "$dir/$name.xz" > "$work/bin/$name" 2>/dev/null \
      || python3 -c 'import lzma,sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())' "$dir/$name.xz" > "$work/bin/$name"
  elif [ -f "$dir/$name" ]; then
    cp "$dir/$name" "$work/bin/$name"
  fi
  [ -f "$work/bin/$name" ] && chmod +x "$work/bin/$name"
done
pyward="$work/bin/pyward"

# The binary links libcublas, libcublasLt, libcurand and libnvrtc of CUDA 13 (libcuda is the
# driver's). Use the first folder that holds each.
libdirs=""
for lib in libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libnvrtc.so.13; do
  d="$(find / -xdev \( -path /proc -o -path /sys \) -prune -o -name "$lib" -print 2>/dev/null | head -1)"
  [ -n "$d" ] && case ":$libdirs:" in *":$(dirname "$d"):"*) ;; *) libdirs="$libdirs:$(dirname "$d")" ;; esac
done
export LD_LIBRARY_PATH="${libdirs#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
cores="$(nproc)"
smol="$dir/SmolLM2-135M-Instruct.Q4_1.gguf"
failed=0
run() { echo "+ $*"; "$@"; local rc=$?; [ $rc -eq 0 ] || { echo "exit $rc: $*"; failed=1; }; return 0; }
save() { [ -n "${OUT:-}" ] && cp "$1" "$OUT/" ; return 0; }

for step in $steps; do
  echo "=== $step"
  case "$step" in
    smi)
      nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
      echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
      ldd "$pyward" | grep -E 'cuda|cublas|curand|nvrtc|not found'
      ;;
    tiny)
      PYWARD_SKIP_MODEL_TESTS=1 run "$work/bin/llm_cuda" --test-threads 1 --nocapture tiny_models
      ;;
    bench-qwen)
      for preset in qwen2.5-coder-1.5b qwen2.5-coder-7b; do
        m="$work/$preset-random-q4k.gguf"
        [ -f "$m" ] || run "$work/bin/random_gguf" "$preset" "$m" --dtype q4k
        for p in 512 2048; do
          run "$pyward" models bench "$m" --device cuda --prompt-tokens $p --gen-tokens 128 --json > "$work/bench-$preset-cuda-$p.json"
          cat "$work/bench-$preset-cuda-$p.json"; echo
        done
        run "$pyward" models bench "$m" --device cpu --threads "$cores" --prompt-tokens 512 --gen-tokens 32 --json > "$work/bench-$preset-cpu.json"
        cat "$work/bench-$preset-cpu.json"; echo
      done
      ;;
    real)
      [ -f "$smol" ] || { echo "no $smol: skipped"; continue; }
      PYWARD_MODELS_DIR="$dir" run "$work/bin/llm_cuda" --test-threads 1 --nocapture smollm2
      for dev in cuda cpu; do
        run "$pyward" models bench "$smol" --device $dev --threads "$cores" --json
        echo
      done
      "$pyward" models bench "$smol" --device cuda:7
      rc=$?
      echo "a GPU that does not exist: exit $rc (2 expected)"
      [ $rc -eq 2 ] || failed=1
      ;;
    scan)
      [ -f "$smol" ] || { echo "no $smol: skipped"; continue; }
      (cd "$root" && for dev in cuda cpu; do
        start=$(date +%s%N)
        "$pyward" scan examples/vulnerable_app --model "$smol" --device $dev --threads "$cores" --no-cache \
          --format json -o "$work/scan-$dev.json"
        echo "scan on $dev: exit $? in $(( ($(date +%s%N) - start) / 1000000 )) ms"
        save "$work/scan-$dev.json"
      done)
      python3 - "$work/scan-cuda.json" "$work/scan-cpu.json" <<'EOF'
import json, sys
def findings(p):
    r = json.load(open(p))
    out = []
    for x in r.get("findings", []):
        verdict = x.get("verdict") or {}
        out.append((x.get("path"), x.get("rule_id"), x.get("span", {}).get("start_line"), x.get("origin"),
                    verdict.get("status") if isinstance(verdict, dict) else verdict))
    return sorted(map(str, out))
g, c = findings(sys.argv[1]), findings(sys.argv[2])
print(f"findings: cuda {len(g)}, cpu {len(c)}, identical lists: {g == c}")
for x in sorted(set(g) ^ set(c)):
    print("  differs:", x)
EOF
      ;;
    *) echo "unknown step $step"; failed=1 ;;
  esac
done
exit $failed
