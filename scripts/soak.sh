#!/usr/bin/env bash
# 10 minutes (SOAK_MINUTES) of mixed traffic — redemptions, entries, board reads — at a
# steady rate (SOAK_RATE/s) against a real api + worker on servers of its own (.local/soak),
# then the ledger is verified: nothing lost, nothing doubled. Not part of CI.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export XINYI_STATE_DIR="$ROOT/.local/soak" XINYI_PG_PORT=0 XINYI_REDIS_PORT=0
unset DATABASE_URL REDIS_URL
bash scripts/ensure-deps.sh
npm run build --silent
bash scripts/services.sh stop 2>/dev/null || true
rm -rf "$XINYI_STATE_DIR"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # Ours: services.sh stops them by the pids it recorded.
  bash scripts/services.sh stop || true
}
trap cleanup EXIT
bash scripts/services.sh start
set -a; . "$XINYI_STATE_DIR/env"; set +a
node dist/src/database/cli.js migrate
node dist/src/database/cli.js seed-demo >/dev/null
PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
export PORT HOST=127.0.0.1 LOG_LEVEL=warn LOGIN_RATE_LIMIT_PER_MINUTE=1000
node dist/src/main.js & pids+=($!)
node dist/src/worker.js & pids+=($!)
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.2; done
API_URL="http://127.0.0.1:$PORT" node scripts/soak.mjs
