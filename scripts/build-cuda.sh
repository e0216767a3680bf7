#!/usr/bin/env bash
# Builds pyward with the `cuda` feature, using a CUDA 13.0 toolchain installed from PyPI into
# .cuda/ (git-ignored), so no system CUDA install is needed. Works on a machine without a GPU:
# kernels are compiled for CUDA_COMPUTE_CAP (default 90 = Hopper: H100/H200).
#
#   scripts/build-cuda.sh [extra cargo args]      e.g. scripts/build-cuda.sh --bin pyward
#   scripts/build-cuda.sh --setup-only            install the toolchain, print the exports, do not build
#
# Environment: PYTHON (default python3), CUDA_COMPUTE_CAP (default 90), CARGO_TARGET_DIR,
# CUDA_BUILD_PROFILE (default `release`; `dev` reuses an existing debug target/ and only checks
# that the cuda build compiles and links, which is much faster on a small machine).
#
# What it sets up, and why:
# - nvidia-cuda-nvcc (nvcc, ptxas, fatbinary), nvidia-nvvm (cicc), nvidia-cuda-crt and
#   nvidia-cuda-cccl (headers), nvidia-cuda-runtime (cudart headers and library): candle-kernels
#   compiles its kernels with nvcc at build time (PTX, plus a static library of quantized-matmul
#   kernels that links against libcudart).
# - nvidia-cublas, nvidia-curand, nvidia-cuda-nvrtc: candle-core enables cudarc's
#   `dynamic-linking`, so the binary links against libcuda, libcublas, libcublasLt, libcurand and
#   libnvrtc. The wheels ship only versioned names (libcublas.so.13); unversioned links are added.
# - libcuda.so is the NVIDIA *driver* and is on no PyPI package. For linking, a stub with the
#   driver API's symbols (taken from cudarc's bindings) and soname libcuda.so.1 is generated into
#   lib/stubs, as the CUDA toolkit's own stubs/libcuda.so does. At run time the real driver's
#   libcuda.so.1 is used.
# - cudarc reads the CUDA version from `nvcc --version` (feature cuda-version-from-build-system);
#   CUDARC_CUDA_VERSION=13000 pins it explicitly anyway.
#
# Running the result needs an NVIDIA driver (libcuda.so.1) and the CUDA 13 libraries on the
# library path: `export LD_LIBRARY_PATH=$PWD/.cuda/site/nvidia/cu13/lib` (printed at the end).
# Because of the dynamic linking above, a cuda build does not start at all on a machine without
# the driver; keep a CPU build for those.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
setup_only=0
if [ "${1:-}" = "--setup-only" ]; then setup_only=1; shift; fi
PY="${PYTHON:-python3}"
prefix="$root/.cuda"
site="$prefix/site"
cuda="$site/nvidia/cu13"

# CUDA 13.0 component versions on PyPI (one release; `pip index versions nvidia-cuda-nvcc`).
pkgs=(
  nvidia-cuda-nvcc==13.0.88
  nvidia-nvvm==13.0.88
  nvidia-cuda-crt==13.0.88
  nvidia-cuda-cccl==13.0.85
  nvidia-cuda-runtime==13.0.96
  nvidia-cuda-nvrtc==13.0.88
  nvidia-cublas==13.0.2.14
  nvidia-curand==10.4.0.35
)
stamp="$prefix/installed.txt"
want="$(printf '%s\n' "${pkgs[@]}")"
if [ ! -x "$cuda/bin/nvcc" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "build-cuda: installing the CUDA 13.0 toolchain from PyPI into $site" >&2
  rm -rf "$site"
  mkdir -p "$site"
  "$PY" -m pip install --quiet --no-deps --disable-pip-version-check --target "$site" "${pkgs[@]}"
  printf '%s\n' "$want" > "$stamp"
fi
[ -x "$cuda/bin/nvcc" ] || { echo "build-cuda: $cuda/bin/nvcc missing after install" >&2; exit 1; }

# nvcc finds cicc through nvcc.profile as $(TOP)/nvvm/bin; the nvvm wheel installs it there.
[ -x "$cuda/nvvm/bin/cicc" ] || { echo "build-cuda: $cuda/nvvm/bin/cicc missing" >&2; exit 1; }

# Unversioned names for the linker.
for so in "$cuda"/lib/lib*.so.*; do
  base="$(basename "$so")"
  case "$base" in *.alt.so.*|libnvrtc-builtins*) continue ;; esac
  link="$cuda/lib/${base%%.so.*}.so"
  [ -e "$link" ] || ln -s "$base" "$link"
done

# The driver stub.
stubs="$cuda/lib/stubs"
if [ ! -e "$stubs/libcuda.so" ]; then
  cudarc_src="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cudarc-0.19.* 2>/dev/null | sort -V | tail -1)"
  if [ -z "$cudarc_src" ]; then
    (cd "$root" && cargo fetch --quiet)
    cudarc_src="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cudarc-0.19.* | sort -V | tail -1)"
  fi
  mkdir -p "$stubs"
  grep -o 'pub unsafe fn cu[A-Za-z0-9_]*' "$cudarc_src/src/driver/sys/mod.rs" | awk '{print $4}' | sort -u \
    | awk '{ printf "int %s(void) { return 999; /* CUDA_ERROR_UNKNOWN */ }\n", $1 }' > "$stubs/libcuda_stub.c"
  cc -shared -fPIC -O0 -Wl,-soname,libcuda.so.1 -o "$stubs/libcuda.so" "$stubs/libcuda_stub.c"
  echo "build-cuda: generated $stubs/libcuda.so ($(grep -c '^int' "$stubs/libcuda_stub.c") driver symbols)" >&2
fi

export CUDA_ROOT="$cuda" CUDA_PATH="$cuda" CUDA_HOME="$cuda"
export NVCC="$cuda/bin/nvcc"
export PATH="$cuda/bin:$PATH"
export CUDA_COMPUTE_CAP="${CUDA_COMPUTE_CAP:-90}"
export CUDARC_CUDA_VERSION=13000
export LIBRARY_PATH="$cuda/lib:$stubs${LIBRARY_PATH:+:$LIBRARY_PATH}"

"$NVCC" --version | tail -2 >&2
echo "build-cuda: CUDA_ROOT=$CUDA_ROOT CUDA_COMPUTE_CAP=$CUDA_COMPUTE_CAP" >&2
if [ "$setup_only" = 1 ]; then
  printf 'export CUDA_ROOT=%q CUDA_PATH=%q CUDA_HOME=%q NVCC=%q CUDA_COMPUTE_CAP=%q CUDARC_CUDA_VERSION=13000\n' \
    "$CUDA_ROOT" "$CUDA_ROOT" "$CUDA_ROOT" "$NVCC" "$CUDA_COMPUTE_CAP"
  printf 'export PATH=%q LIBRARY_PATH=%q\n' "$PATH" "$LIBRARY_PATH"
  exit 0
fi
cd "$root"
profile="${CUDA_BUILD_PROFILE:-release}"
cargo build --profile "$profile" --features cuda "$@"
echo "build-cuda: built. To run: export LD_LIBRARY_PATH=$cuda/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" >&2
