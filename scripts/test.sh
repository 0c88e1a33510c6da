#!/usr/bin/env bash
# Command 2: the whole test suite on a fresh clone.
#   lint + type-check → build (api + API document, beside the console) → migrations apply and match the entities → unit + integration
# against a throwaway PostgreSQL and Redis that this script starts and stops (by pid).
# Ends with one line "N passed, N failed[, N skipped]" and a non-zero exit on any failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Each step's heading says how long the one before took (where CI time goes).
step_started=$SECONDS
step() {
  if [ -n "${step_name:-}" ]; then printf '[time] %s: %ss\n' "$step_name" "$((SECONDS - step_started))"; fi
  step_name="$*" step_started=$SECONDS
  printf '\n==> %s\n' "$*"
}

# Runs the given commands at the same time (each one single-threaded for most of its run, and
# CI has 2 cores), each one's output kept apart and printed in order once all have ended, with
# how long each took; fails if any failed.
side_by_side() {
  local dir i rc secs failed=0
  local -a pids=()
  dir="$(mktemp -d)"
  i=0
  for cmd in "$@"; do
    (
      set +e
      started=$SECONDS
      bash -c "$cmd" >"$dir/$i.log" 2>&1
      echo "$? $((SECONDS - started))" >"$dir/$i.rc"
    ) &
    pids+=("$!")
    i=$((i + 1))
  done
  wait "${pids[@]}"
  i=0
  for cmd in "$@"; do
    read -r rc secs <"$dir/$i.rc"
    printf -- '--- %s (%ss%s)\n' "$cmd" "$secs" "$([ "$rc" -eq 0 ] || echo ", exit $rc")"
    cat "$dir/$i.log"
    [ "$rc" -eq 0 ] || failed=1
    i=$((i + 1))
  done
  rm -rf "$dir"
  return "$failed"
}

export XINYI_STATE_DIR="$ROOT/.local/test"
export XINYI_PG_PORT=0 XINYI_REDIS_PORT=0 XINYI_PG_FAST=1 XINYI_PG_DB=xinyi_test
# Services this script starts are its own: a developer's DATABASE_URL/REDIS_URL are not used.
unset DATABASE_URL REDIS_URL

step "dependencies"
bash scripts/ensure-deps.sh

step "browser for the printable-board and console tests (Debian chromium + a CJK font)"
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi 'wenquanyi\|wqy'; then
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
  else
    echo "chromium or the CJK font is missing; run: sudo apt-get install -y chromium fonts-wqy-microhei" >&2
    exit 1
  fi
fi

step "lint and type-check (side by side)"
side_by_side \
  "npx eslint --max-warnings 0 ." \
  "npx tsc -p tsconfig.json --noEmit"

# tsconfig.json, just checked, covers everything tsconfig.build.json builds (src/, migrations/,
# same options), so the api build only emits (build:no-check: same files, byte for byte).
step "build: the api, then its API document (committed openapi.json and schema.d.ts match the code; redocly lint); beside it the console (type-check + bundle)"
side_by_side \
  "npm run build:no-check --silent && bash scripts/openapi.sh --check --no-build && npx --no-install redocly lint web/src/api/openapi.json --format=stylish" \
  "npm --prefix web run build --silent"

step "PostgreSQL and Redis (throwaway, in .local/test)"
# Throwaway: destroy removes the data too, including PostgreSQL's copy in /var/tmp when the
# checkout is in a directory postgres cannot enter (a CI clone in a private temp dir).
env -u DATABASE_URL -u REDIS_URL bash scripts/services.sh destroy 2>/dev/null || true
# The env file is sourced below (DATABASE_URL, REDIS_URL); destroy stops both whatever is set.
cleanup() { env -u DATABASE_URL -u REDIS_URL bash scripts/services.sh destroy || true; }
trap cleanup EXIT
bash scripts/services.sh start
set -a
# shellcheck disable=SC1091
. "$XINYI_STATE_DIR/env"
set +a

step "migrations apply, and entities match them"
node dist/src/database/cli.js migrate
node dist/src/database/cli.js check-drift

step "unit and integration tests"
mkdir -p test-results
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json
vitest_status=$?
set -e
printf '[time] unit and integration tests: %ss\n' "$((SECONDS - step_started))"
node scripts/summarize-tests.mjs test-results/vitest.json
summary_status=$?
[ "$vitest_status" -eq 0 ] || exit "$vitest_status"
exit "$summary_status"
