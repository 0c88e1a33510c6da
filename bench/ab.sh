#!/usr/bin/env bash
# bench/ab.sh: two or more api builds side by side on the database of an earlier `npm run bench`
# (any BENCH_SIZE; .local/bench is kept after a run), in interleaved rounds (bench/ab.ts).
#
#   bash bench/ab.sh <ref> <ref> ...        a ref: a git commit (built in .local/ab/<sha>) or '.' (the
#                                           working tree); '<ref>|<node flags>' runs it with other flags
#   AB_ROUNDS=4 AB_SECONDS=10 AB_CONNECTIONS=16 AB_READS=statement,search
#
# Writes bench/results/<UTC timestamp>-ab.jsonl (one line per build, read and round) and prints a
# table. Starts PostgreSQL and Redis of .local/bench if they are not running, and stops what it
# started, by pid (scripts/services.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
[ "$#" -ge 2 ] || { echo "usage: bash bench/ab.sh <ref> <ref> ... ('.' = the working tree)" >&2; exit 2; }
STATE="$ROOT/.local/bench"
[ -f "$STATE/town.json" ] || { echo "no bench database in .local/bench: run npm run bench first (BENCH_ONLY=read is enough)" >&2; exit 2; }
export XINYI_STATE_DIR="$STATE" XINYI_PG_PORT=0 XINYI_REDIS_PORT=0 XINYI_PG_DB=xinyi BENCH_STATE="$STATE"
unset XINYI_PG_FAST DATABASE_URL REDIS_URL

build() { # <source dir>: app + harness into <source dir>/.local/bench-build, as bench/run.sh builds them
  (cd "$1" && rm -rf .local/bench-build && npx --no-install tsc -p bench/tsconfig.json && npx --no-install tsc-alias -p bench/tsconfig.json)
}

args=()
for spec in "$@"; do
  ref="${spec%%|*}"
  flags=""
  [ "$ref" != "$spec" ] && flags="|${spec#*|}"
  if [ "$ref" = "." ]; then
    build "$ROOT"
    args+=("worktree=$ROOT/.local/bench-build$flags")
  else
    sha="$(git rev-parse --short "$ref^{commit}")"
    src="$ROOT/.local/ab/$sha"
    if [ ! -d "$src" ]; then
      git worktree add --detach -f "$src" "$sha" >/dev/null
      # The working tree's packages when the ref has the same lock file; else its own (an
      # Express-era commit needs Express, which the working tree no longer has).
      if cmp -s "$src/package-lock.json" "$ROOT/package-lock.json"; then
        ln -sfn "$ROOT/node_modules" "$src/node_modules"
      else
        (cd "$src" && npm ci --no-audit --no-fund >/dev/null)
      fi
    fi
    [ -f "$src/.local/bench-build/src/main.js" ] || build "$src"
    args+=("$sha=$src/.local/bench-build$flags")
  fi
done
# The harness itself is always the working tree's.
[ -f "$ROOT/.local/bench-build/bench/ab.js" ] || build "$ROOT"

started=0
status="$(bash scripts/services.sh status)"
if ! grep -q '^postgres: running' <<<"$status" || ! grep -q '^redis: running' <<<"$status"; then
  bash scripts/services.sh start
  started=1
fi
stop() { [ "$started" = 1 ] && bash scripts/services.sh stop || true; }
trap stop EXIT
set -a
# shellcheck disable=SC1091
. "$STATE/env"
set +a
# shellcheck source=scripts/api-node-options.sh
. scripts/api-node-options.sh
export XINYI_API_NODE_OPTIONS XINYI_API_GLIBC_TUNABLES
PG_PID="$(head -n 1 "$(readlink -f "$STATE/pg")/postmaster.pid")"
export PG_PID AB_OUT="$ROOT/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-ab.jsonl"
node "$ROOT/.local/bench-build/bench/ab.js" "${args[@]}"
echo "rows: ${AB_OUT#"$ROOT"/}"
