#!/usr/bin/env bash
# What each model stage adds, per tier (issue 12's stage plan): `pyward bench` on the labelled set
# with the static engine, then each reachable local model with all stages and with calibration
# only, at tiers 1 and 2. The difference between the two rows of a model and tier is what the
# analyzer (and the guardrail) add; the difference from the static row is what calibration adds.
# Writes target/bench-stages/{bench.md,bench.json} and prints the tables.
#
# usage: scripts/bench-stages.sh
#   env: THREADS (model threads, default 2), SHARD (e.g. 1/4), MODELS (default "smollm2 gemma"),
#        TIERS (default "1 2"), STAGE_SETS (default "all calibration"), PYWARD_BIN (a built pyward)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
THREADS=${THREADS:-2}
OUT=target/bench-stages
mkdir -p "$OUT"
scripts/fetch-models.sh >/dev/null
if [ -z "${PYWARD_BIN:-}" ]; then
    cargo build --locked --quiet --release --bin pyward
    PYWARD_BIN=${CARGO_TARGET_DIR:-target}/release/pyward
fi
declare -A PATHS=([smollm2]=.models/SmolLM2-135M-Instruct.Q4_1.gguf [gemma]=.models/gemma-3-270m-q4_k_m.gguf)
echo "# pyward bench-stages: $(date -u +%F), $(lscpu | sed -n 's/^Model name: *//p'), $THREADS threads"
common=(bench --dataset tests/bench_data --threads "$THREADS" --chat-template tests/fixtures/llm/gemma3-chat.jinja)
[ -n "${SHARD:-}" ] && common+=(--shard "$SHARD")
"$PYWARD_BIN" "${common[@]}" --static-only --json-file "$OUT/static.json" | tee "$OUT/static.md"
for model in ${MODELS:-smollm2 gemma}; do
    for tier in ${TIERS:-1 2}; do
        for stages in ${STAGE_SETS:-all calibration}; do
            name="$model-tier$tier-$stages"
            echo
            echo "## $model, tier $tier, --stages $stages"
            CANDLE_NUM_THREADS="$THREADS" RAYON_NUM_THREADS="$THREADS" "$PYWARD_BIN" "${common[@]}" \
                --backend "local:${PATHS[$model]}" --model-tier "$tier" --stages "$stages" \
                --json-file "$OUT/$name.json" | tee "$OUT/$name.md"
        done
    done
done
