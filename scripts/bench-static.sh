#!/usr/bin/env bash
# Times pyward's static engine against ruff's flake8-bandit rules (S) and Bandit on the same
# corpus: the standard library of this machine's python3 (and, with --django, a Django sdist).
#
#   scripts/bench-static.sh [--django] [--runs N] [--bandit-runs N] [--no-build] [--before BIN]
#
# --before BIN also times another pyward binary (say, main's build) in the same run, as
# `before`, and prints the speed-up.
#
# It also times `examples/parse_floor.rs` (row `ts-parse`): reading and parsing every file with
# tree-sitter and nothing else, the least any tree-sitter engine can take.
#
# Needs python3 with venv and pip (PyPI reachable the first time), cargo. Each tool runs RUNS
# times (after one warm-up for the fast ones); the script prints, per tool, the median wall time,
# the median CPU time (user + system, all threads), files/s, files per CPU-second and the peak
# RSS, then pyward's ratios to ruff and Bandit. On a shared machine the CPU time is the fairer
# measure of work done; the wall time is what a user waits. Everything goes in .bench/.
set -euo pipefail

RUFF_VERSION=0.17.5
BANDIT_VERSION=1.9.4
DJANGO_VERSION=6.1.3

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/.bench"
RUNS=5
BANDIT_RUNS=1
WITH_DJANGO=0
BUILD=1
BEFORE=
while [ $# -gt 0 ]; do
    case "$1" in
        --django) WITH_DJANGO=1 ;;
        --runs) RUNS=$2; shift ;;
        --bandit-runs) BANDIT_RUNS=$2; shift ;;
        --no-build) BUILD=0 ;;
        --before) BEFORE=$2; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "bench-static.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

mkdir -p "$BENCH"
VENV="$BENCH/venv"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/ruff" --version 2>/dev/null | grep -qx "ruff $RUFF_VERSION" \
    || ! "$VENV/bin/bandit" --version 2>/dev/null | grep -q "bandit $BANDIT_VERSION"; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "ruff==$RUFF_VERSION" "bandit==$BANDIT_VERSION"
fi

if [ "$BUILD" = 1 ]; then
    (cd "$ROOT" && cargo build --release --quiet --bin pyward --example parse_floor)
fi
PYWARD="${CARGO_TARGET_DIR:-$ROOT/target}/release/pyward"
FLOOR="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/parse_floor"
RUFF="$VENV/bin/ruff"
BANDIT="$VENV/bin/bandit"

# The corpus is a copy of the .py files only, without site-packages, so every tool sees exactly
# the same files (ruff would skip site-packages by default, the others would not).
make_corpus() { # SRC DEST
    local src=$1 dest=$2
    if [ ! -d "$dest" ]; then
        mkdir -p "$dest.tmp"
        (cd "$src" && find . -name site-packages -prune -o -name '*.py' -type f -print0 \
            | tar --null -T - -cf -) | (cd "$dest.tmp" && tar -xf -)
        mv "$dest.tmp" "$dest"
    fi
}

STDLIB=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
PYVER=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
CORPORA=("$BENCH/corpus/stdlib-$PYVER")
make_corpus "$STDLIB" "${CORPORA[0]}"

if [ "$WITH_DJANGO" = 1 ]; then
    DJ="$BENCH/corpus/django-$DJANGO_VERSION"
    if [ ! -d "$DJ" ]; then
        mkdir -p "$BENCH/dl"
        "$VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps \
            --no-binary :all: -d "$BENCH/dl" "django==$DJANGO_VERSION"
        mkdir -p "$BENCH/dl/django-src"
        tar -xzf "$BENCH"/dl/[Dd]jango-"$DJANGO_VERSION".tar.gz -C "$BENCH/dl/django-src"
        make_corpus "$BENCH/dl/django-src" "$DJ"
    fi
    CORPORA+=("$DJ")
fi

# Rule counts.
PYWARD_RULES=$("$PYWARD" rules --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
RUFF_RULES=$("$RUFF" rule --all --output-format json \
    | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r.get("linter") == "flake8-bandit" and not r.get("preview")))')
BANDIT_RULES=$("$BANDIT" --help | grep -cE '^[[:space:]]*B[0-9]{3}[[:space:]]' || true)

# time_cmd WARMUPS RUNS CMD... : prints "WALL CPU RSS": the median wall time and the median CPU
# time (user + system, all threads) in seconds, and the peak RSS in KiB (the largest of the runs),
# each run measured with wait4 on that one process.
time_cmd() {
    python3 - "$@" <<'PY'
import os, statistics, subprocess, sys, time
warmups, runs, cmd = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
def once():
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    return time.perf_counter() - t, ru.ru_utime + ru.ru_stime, ru.ru_maxrss
for _ in range(warmups):
    once()
walls, cpus, rss = [], [], []
for _ in range(runs):
    w, c, m = once()
    walls.append(w); cpus.append(c); rss.append(m)
print(statistics.median(walls), statistics.median(cpus), max(rss))
PY
}

echo "pyward $("$PYWARD" --version | cut -d' ' -f2) ($PYWARD_RULES rules), ruff $RUFF_VERSION (S: $RUFF_RULES stable rules), bandit $BANDIT_VERSION ($BANDIT_RULES tests)"
echo "cpu: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), cores: $(nproc), load avg at start: $(cut -d' ' -f1-3 /proc/loadavg), runs: $RUNS (bandit: $BANDIT_RUNS), medians"
for corpus in "${CORPORA[@]}"; do
    files=$(find "$corpus" -name '*.py' -type f | wc -l)
    lines=$(find "$corpus" -name '*.py' -type f -print0 | xargs -0 cat | wc -l)
    echo
    echo "corpus: ${corpus#"$ROOT"/} ($files files, $lines lines)"
    # One warm-up for the fast tools (the first run also warms the page cache); none for
    # Bandit, which is slow enough for the cache state not to matter.
    t_pyward=$(time_cmd 1 "$RUNS" "$PYWARD" scan --static-only --no-cache --quiet --format json "$corpus")
    echo "  pyward: $t_pyward (wall s, cpu s, peak KiB)"
    t_before="0 0 0"
    if [ -n "$BEFORE" ]; then
        t_before=$(time_cmd 1 "$RUNS" "$BEFORE" scan --static-only --no-cache --quiet --format json "$corpus")
        echo "  before: $t_before (wall s, cpu s, peak KiB)"
    fi
    t_ruff=$(time_cmd 1 "$RUNS" "$RUFF" check --select S --no-cache --isolated --exit-zero --quiet "$corpus")
    echo "  ruff:   $t_ruff (wall s, cpu s, peak KiB)"
    t_bandit=$(time_cmd 0 "$BANDIT_RUNS" "$BANDIT" -r -q -f json "$corpus")
    echo "  bandit: $t_bandit (wall s, cpu s, peak KiB)"
    t_floor="0 0 0"
    if [ -x "$FLOOR" ]; then
        t_floor=$(time_cmd 1 "$RUNS" "$FLOOR" "$corpus")
        echo "  ts-parse: $t_floor (wall s, cpu s, peak KiB)"
    fi
    # shellcheck disable=SC2086 # each t_* is "WALL CPU": split on purpose
    python3 - "$files" $t_pyward $t_ruff $t_bandit $t_before $t_floor <<'PY'
import sys
files = int(sys.argv[1])
v = list(map(float, sys.argv[2:]))
tools = ["pyward", "ruff", "bandit", "before", "ts-parse"]
wall = dict(zip(tools, v[0::3]))
cpu = dict(zip(tools, v[1::3]))
rss = dict(zip(tools, v[2::3]))
for optional in ("before", "ts-parse"):
    if wall[optional] == 0:
        tools.remove(optional)
fps = {k: files / wall[k] for k in tools}
fpc = {k: files / max(cpu[k], 1e-9) for k in tools}
print(f"  {'tool':<8} {'wall s':>8} {'cpu s':>8} {'files/s':>9} {'files/cpu-s':>12} {'peak RSS MiB':>13}")
for k in tools:
    print(f"  {k:<8} {wall[k]:>8.2f} {cpu[k]:>8.2f} {fps[k]:>9.0f} {fpc[k]:>12.0f} {rss[k] / 1024:>13.1f}")
# Targets (issue 13): files/s >= 1.0x ruff, files/cpu-s >= 0.5x ruff, files/s >= 20x Bandit,
# peak RSS <= ruff's.
for other, t_wall, t_cpu in (("ruff", 1.0, 0.5), ("bandit", 20.0, None)):
    line = (f"  pyward/{other:<7} {fps['pyward'] / fps[other]:6.2f}x files/s (target >= {t_wall:g}), "
            f"{fpc['pyward'] / fpc[other]:6.2f}x files/cpu-s")
    if t_cpu is not None:
        line += f" (target >= {t_cpu:g})"
    line += f", {rss['pyward'] / rss[other]:5.2f}x peak RSS"
    if other == "ruff":
        line += " (target <= 1)"
    print(line)
if "ts-parse" in tools:
    print(f"  ts-parse/ruff  {cpu['ts-parse'] / cpu['ruff']:6.2f}x cpu s, {wall['ts-parse'] / wall['ruff']:6.2f}x wall s "
          f"(tree-sitter parsing alone); pyward spends {cpu['pyward'] / cpu['ts-parse']:.2f}x its cpu s")
if "before" in tools:
    print(f"  pyward/before  {fps['pyward'] / fps['before']:6.2f}x files/s, "
          f"{fpc['pyward'] / fpc['before']:6.2f}x files/cpu-s, {rss['pyward'] / rss['before']:5.2f}x peak RSS")
PY
done
