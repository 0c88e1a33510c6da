#!/usr/bin/env bash
# bench/adapters/run.sh: what Nest's HTTP adapter costs per request on this machine, Express
# (the api's) against Fastify, on a bare app (app.cjs) with no code of ours: the measurement
# behind docs/PERFORMANCE.md "Express or Fastify: the adapter's own cost". Installs the two adapters, at the
# app's Nest version, into .local/adapters (not the app's dependencies), then runs compare.cjs.
#
#   ADAPTER_ROUNDS (3), ADAPTER_SECONDS (8)
# Writes bench/results/<UTC timestamp>-adapters.jsonl and prints the medians.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIR="$ROOT/.local/adapters"
mkdir -p "$DIR"
cp "$ROOT/bench/adapters/package.json" "$ROOT/bench/adapters/app.cjs" "$ROOT/bench/adapters/compare.cjs" "$DIR/"
(cd "$DIR" && npm install --no-audit --no-fund --silent)
OUT="$ROOT/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-adapters.jsonl"
node "$DIR/compare.cjs" "$OUT"
echo "rows: ${OUT#"$ROOT"/}"
