#!/usr/bin/env bash
# Build llama.cpp tools (CPU only) from the llama-cpp-python sdist on PyPI, which vendors llama.cpp.
#
# usage: scripts/build-llama.sh [TARGET...]      default target: llama-server
#   prints the absolute path of each built binary on stdout, one per line (progress on stderr)
#   env: LLAMA_DIR   work dir (default target/llama.cpp): venv/, sdist/, src/, build/
#        LLAMA_CPP_PYTHON_VERSION   the sdist to build (default 0.3.36)
#        JOBS        parallel compile jobs (default 2)
#
# Idempotent: binaries already built are printed without rebuilding; the sdist is downloaded
# and configured once. cmake comes from PyPI (into LLAMA_DIR/venv) when it is not installed.
# Used by scripts/bench-llm.sh (llama-bench) and scripts/test.sh (llama-server, the real
# OpenAI-compatible server of tests/backend_openai.rs).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${LLAMA_DIR:-$ROOT/target/llama.cpp}
VERSION=${LLAMA_CPP_PYTHON_VERSION:-0.3.36}
JOBS=${JOBS:-2}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(llama-server)

missing=()
for t in "${TARGETS[@]}"; do
    [ -x "$DIR/build/bin/$t" ] || missing+=("$t")
done

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

if [ ${#missing[@]} -gt 0 ]; then
    echo "build-llama: building ${missing[*]} (llama-cpp-python $VERSION sdist, -j$JOBS) in $DIR ..." >&2
    start=$(date +%s)
    mkdir -p "$DIR"
    # A work dir copied or moved from elsewhere keeps a venv whose scripts point at the old
    # path and a CMake cache bound to the old source dir: both are rebuilt, not reused.
    runs() { [ -n "$1" ] && "$1" --version >/dev/null 2>&1; }
    cmake_bin=$(command -v cmake || true)
    if [ -z "$cmake_bin" ] && runs "$DIR/venv/bin/cmake"; then
        cmake_bin="$DIR/venv/bin/cmake"
    fi
    if [ -z "$cmake_bin" ] && [ -d "$DIR/pytools" ]; then
        cmake_bin=$(find "$DIR/pytools" -path '*/data/bin/cmake' -type f | head -n1)
        runs "$cmake_bin" || cmake_bin=
    fi
    if [ -f "$DIR/build/CMakeCache.txt" ] \
        && ! grep -qx "CMAKE_CACHEFILE_DIR:INTERNAL=$DIR/build" "$DIR/build/CMakeCache.txt"; then
        echo "build-llama: $DIR/build was configured elsewhere; configuring it again" >&2
        rm -rf "$DIR/build"
    fi
    if [ -z "$cmake_bin" ]; then
        # A venv when python3-venv is there; else a --target install (cmake's wheel carries
        # the real binary under cmake/data/bin).
        rm -rf "$DIR/venv" "$DIR/pytools"
        if python3 -m venv "$DIR/venv" >/dev/null 2>&1 && [ -x "$DIR/venv/bin/pip" ]; then
            "$DIR/venv/bin/pip" install --quiet cmake
            cmake_bin="$DIR/venv/bin/cmake"
        else
            rm -rf "$DIR/venv"
            python3 -m pip install --quiet --target "$DIR/pytools" cmake
            cmake_bin=$(find "$DIR/pytools" -path '*/data/bin/cmake' -type f | head -n1)
        fi
        [ -x "$cmake_bin" ] || { echo "build-llama: could not install cmake from PyPI" >&2; exit 1; }
    fi
    tarball="$DIR/sdist/llama_cpp_python-$VERSION.tar.gz"
    if [ ! -f "$tarball" ]; then
        python3 -m pip download --quiet --no-binary llama-cpp-python --no-deps \
            "llama-cpp-python==$VERSION" -d "$DIR/sdist"
    fi
    src="$DIR/src/llama_cpp_python-$VERSION/vendor/llama.cpp"
    if [ ! -f "$src/CMakeLists.txt" ]; then
        rm -rf "$DIR/src" && mkdir -p "$DIR/src"
        tar xzf "$tarball" -C "$DIR/src"
        # A build configured from another version's sources cannot be reused.
        rm -rf "$DIR/build"
    fi
    if [ ! -f "$DIR/build/CMakeCache.txt" ]; then
        # shellcheck disable=SC2046  # cpu_flags is a list of words
        "$cmake_bin" -S "$src" -B "$DIR/build" -DCMAKE_BUILD_TYPE=Release \
            $(cpu_flags) -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF \
            -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
            -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF >"$DIR/configure.log" 2>&1 \
            || { tail -n 30 "$DIR/configure.log" >&2; echo "build-llama: cmake configure failed (log: $DIR/configure.log)" >&2; exit 1; }
    fi
    "$cmake_bin" --build "$DIR/build" --target "${missing[@]}" -j "$JOBS" >"$DIR/build.log" 2>&1 \
        || { tail -n 30 "$DIR/build.log" >&2; echo "build-llama: build failed (log: $DIR/build.log)" >&2; exit 1; }
    echo "build-llama: built ${missing[*]} in $(( $(date +%s) - start )) s" >&2
fi

for t in "${TARGETS[@]}"; do
    [ -x "$DIR/build/bin/$t" ] || { echo "build-llama: $t was not produced in $DIR/build/bin" >&2; exit 1; }
    echo "$DIR/build/bin/$t"
done
