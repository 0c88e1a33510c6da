#!/usr/bin/env bash
# Command 1: bring the whole service up on this machine, in the foreground.
#   installs npm dependencies, starts PostgreSQL and Redis (project-local, 127.0.0.1),
#   builds the api and the staff console (web/), migrates (the migration seeds the catalogue), seeds a demo town, and runs the api
#   and one worker. Ctrl-C stops everything this script started, by pid.
# Uses DATABASE_URL / REDIS_URL instead of local services when they are set.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export XINYI_STATE_DIR="${XINYI_STATE_DIR:-$ROOT/.local/dev}"

bash scripts/ensure-deps.sh
echo "[dev] building the api and the console"
npm run build --silent
npm --prefix web run build --silent

was_running="$(bash scripts/services.sh status 2>/dev/null | grep -c running || true)"
bash scripts/services.sh start
set -a
# shellcheck disable=SC1091
. "$XINYI_STATE_DIR/env"
set +a

node dist/src/database/cli.js migrate
node dist/src/database/cli.js seed-demo

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "[dev] stopping api and worker"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # services.sh stop stops only what its state dir records (ours), by pid.
  if [ "$was_running" = "0" ]; then bash scripts/services.sh stop; else echo "[dev] PostgreSQL/Redis were running before: left running"; fi
}
trap cleanup INT TERM EXIT

export PORT="${PORT:-3000}" HOST="${HOST:-127.0.0.1}"
# API_PROCESSES=N: N api processes share the port (a supervisor replaces one that exits).
export API_PROCESSES="${API_PROCESSES:-1}"
# Human-readable logs here (pino-pretty); JSON, the default, everywhere else.
export LOG_FORMAT="${LOG_FORMAT:-pretty}"
# The api's heap cap and malloc setting (scripts/api-node-options.sh); NODE_OPTIONS or
# GLIBC_TUNABLES set by the caller win.
# shellcheck source=scripts/api-node-options.sh
. scripts/api-node-options.sh
GLIBC_TUNABLES="${GLIBC_TUNABLES:-$XINYI_API_GLIBC_TUNABLES}" NODE_OPTIONS="${NODE_OPTIONS:-$XINYI_API_NODE_OPTIONS}" node dist/src/main.js &
pids+=($!)
node dist/src/worker.js &
pids+=($!)

for _ in $(seq 1 100); do
  curl -fsS "http://$HOST:$PORT/health" >/dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "[dev] api exited"; exit 1; }
  sleep 0.2
done
cat <<MSG

  信义积分 ledger service is up
    API       http://$HOST:$PORT/api/v1
    OpenAPI   http://$HOST:$PORT/docs   (JSON: /docs-json)
    Health    http://$HOST:$PORT/health
    Console   http://$HOST:$PORT/console/   (demo staff: clerk.dongcun, reviewer.dongcun; password xinyi-demo-2026)
    Database  $DATABASE_URL
    Redis     $REDIS_URL
  Ctrl-C stops everything this command started.

MSG
wait -n "${pids[@]}" || true
echo "[dev] a process exited; shutting down"
