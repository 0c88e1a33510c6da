#!/usr/bin/env bash
# npm run bench: the whole benchmark, end to end, on services of its own.
#
#   build (app + harness, into .local/bench-build) → fresh PostgreSQL + Redis in .local/bench
#   (durable defaults, free ports) → migrate → generate the town → api + worker as real processes
#   → scenarios → bench/results/<UTC timestamp>.json + bench/results/latest.md → stop everything.
#
# Settings (environment):
#   BENCH_SIZE=county            add 10 M history postings instead of 1 M (see bench/generate.ts)
#   BENCH_HISTORY_POSTINGS=N     history postings for the read scenarios (default 1,000,000)
#   BENCH_SEED, BENCH_VILLAGES, BENCH_RESIDENTS, BENCH_ENTRIES_PER_RESIDENT   the town
#   BENCH_REDEEM_SECONDS (15), BENCH_READ_SECONDS (10)                         run lengths
#   BENCH_ONLY=finalize,redeem,upload,read,replica,verify,console,dashboard    a subset (replica: the reads, then again with a standby)
#   BENCH_ENTRY_SECONDS (10), BENCH_TILL_SALES (40), BENCH_CONSOLE_LOAD_SAMPLES (10)  console group
#   DATABASE_POOL_SIZE, WORKER_CONCURRENCY                                     passed to api/worker
#   BENCH_API_NODE_OPTIONS     NODE_OPTIONS of the api alone (default: the deployed heap cap, scripts/api-node-options.sh)
#   BENCH_KEEP_BODIES=1        autocannon as shipped, keeping every response body (default: error bodies only, bench/http.ts)
#   CHROMIUM                   the browser of the console group (default /usr/bin/chromium; checked before the run)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export XINYI_STATE_DIR="$ROOT/.local/bench" XINYI_PG_PORT=0 XINYI_REDIS_PORT=0 XINYI_PG_DB=xinyi
# Durable defaults, and only services of our own.
unset XINYI_PG_FAST DATABASE_URL REDIS_URL
STATE="$XINYI_STATE_DIR"
BUILD="$ROOT/.local/bench-build"
RESULTS="$ROOT/bench/results"
export BENCH_STATE="$STATE" BENCH_BUILD="$BUILD" BENCH_RESULTS="$RESULTS"
export BENCH_LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
export PGBENCH="${PGBENCH:-$(ls -d /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -n 1)}"
[ -x "$PGBENCH" ] || { echo "pgbench not found (apt-get install postgresql-client)" >&2; exit 1; }

step() { printf '\n==> %s\n' "$*" >&2; }

# The console group drives Debian's chromium (bench/console.ts): without it the run would fail at
# its very end, after every other group, and write no results. Check first.
if [ -z "${BENCH_ONLY:-}" ] || [[ ",$BENCH_ONLY," == *",console,"* ]]; then
  [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || {
    echo "${CHROMIUM:-/usr/bin/chromium} not found (the console group needs it): apt-get install -y chromium fonts-wqy-microhei, or BENCH_ONLY without console" >&2
    exit 1
  }
fi
step "benchmark (load average at start: $BENCH_LOAD_START; $(nproc) cores)"

API_PID=""
WORKER_PID=""
stop_node() {
  local pid="$1"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  local status=$?
  stop_node "$API_PID"
  stop_node "$WORKER_PID"
  # Ours: services.sh stops them by the pids it recorded.
  bash scripts/services.sh stop || true
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "fresh state in .local/bench"
bash scripts/services.sh stop 2>/dev/null || true
# services.sh may keep PostgreSQL's data in /var/tmp behind a link (root, unreachable state dir).
if [ -L "$STATE/pg" ]; then rm -rf "$(readlink "$STATE/pg")"; fi
rm -rf "$STATE"
mkdir -p "$STATE" "$RESULTS/tmp"

step "build (app + harness into .local/bench-build; dist/ is left to npm run build / npm test)"
t0=$(date +%s.%N)
rm -rf "$BUILD"
npx --no-install tsc -p bench/tsconfig.json
npx --no-install tsc-alias -p bench/tsconfig.json
export BENCH_BUILD_SECONDS="$(echo "$(date +%s.%N) - $t0" | bc)"

# The api serves the staff console from web/dist at /console/ (the console scenarios load it).
if [ ! -f web/dist/index.html ]; then
  step "build the console (web/dist was not built)"
  npm --prefix web run build
fi
# The built api looks for web/dist beside its src/ (src/console/serve-console.ts): link it there.
mkdir -p "$BUILD/web"
ln -sfn "$ROOT/web/dist" "$BUILD/web/dist"

step "PostgreSQL and Redis (durable defaults)"
bash scripts/services.sh start
set -a
# shellcheck disable=SC1091
. "$STATE/env"
set +a
PGDATA="$(readlink -f "$STATE/pg")"
export PGDATA PG_PID="$(head -n 1 "$PGDATA/postmaster.pid")" REDIS_PID="$(cat "$STATE/redis.pid")"

step "migrate"
node "$BUILD/src/database/cli.js" migrate

step "generate the town (BENCH_SIZE=${BENCH_SIZE:-town})"
node "$BUILD/bench/generate.js"

# From here on PostgreSQL logs statements slower than 250 ms, with their plans (auto_explain,
# no ANALYZE: plans only, no per-row timing overhead). Parameters are not logged (10k-row arrays).
psql "$DATABASE_URL" -qAtX -v ON_ERROR_STOP=1 \
  -c "ALTER SYSTEM SET log_min_duration_statement = '250ms'" \
  -c "ALTER SYSTEM SET log_line_prefix = '%m [%p] %a: '" \
  -c "ALTER SYSTEM SET log_parameter_max_length = 0" \
  -c "ALTER SYSTEM SET session_preload_libraries = 'auto_explain'" \
  -c "LOAD 'auto_explain'" \
  -c "ALTER SYSTEM SET auto_explain.log_min_duration = '250ms'" \
  -c "SELECT pg_reload_conf()" >/dev/null

step "api and worker (NODE_ENV=production, LOG_LEVEL=warn)"
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
API_PORT="$(free_port)"
secret() { node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))'; }
export NODE_ENV=production LOG_LEVEL=warn HOST=127.0.0.1 QUEUE_PREFIX="${QUEUE_PREFIX:-xinyi}"
export JWT_SECRET="$(secret)" ID_HASH_SECRET="$(secret)" CREDIT_EXPORT_SECRET="$(secret)"
# BENCH_PROFILE=1: V8 CPU profiles of both processes (written when they exit), summarized below.
PROFILE_DIR="$RESULTS/tmp/profiles"
API_PROF=()
WORKER_PROF=()
if [ "${BENCH_PROFILE:-0}" = "1" ]; then
  rm -rf "$PROFILE_DIR"
  mkdir -p "$PROFILE_DIR"
  API_PROF=(--cpu-prof --cpu-prof-dir="$PROFILE_DIR" --cpu-prof-name=api.cpuprofile)
  WORKER_PROF=(--cpu-prof --cpu-prof-dir="$PROFILE_DIR" --cpu-prof-name=worker.cpuprofile)
fi
# BENCH_API_NODE_OPTIONS: NODE_OPTIONS for the api only; by default the deployment's heap cap.
# shellcheck source=scripts/api-node-options.sh
. scripts/api-node-options.sh
export BENCH_API_NODE_OPTIONS="${BENCH_API_NODE_OPTIONS-$XINYI_API_NODE_OPTIONS}"
PORT="$API_PORT" GLIBC_TUNABLES="$XINYI_API_GLIBC_TUNABLES" NODE_OPTIONS="$BENCH_API_NODE_OPTIONS" node "${API_PROF[@]}" "$BUILD/src/main.js" >"$STATE/api.log" 2>&1 &
API_PID=$!
node "${WORKER_PROF[@]}" "$BUILD/src/worker.js" >"$STATE/worker.log" 2>&1 &
WORKER_PID=$!
export API_URL="http://127.0.0.1:$API_PORT" API_PID WORKER_PID
for _ in $(seq 1 120); do
  curl -fsS "$API_URL/health" >/dev/null 2>&1 && break
  kill -0 "$API_PID" 2>/dev/null || { cat "$STATE/api.log" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "$API_URL/health" >/dev/null || { echo "api did not become healthy" >&2; cat "$STATE/api.log" >&2; exit 1; }
kill -0 "$WORKER_PID" 2>/dev/null || { echo "worker died" >&2; cat "$STATE/worker.log" >&2; exit 1; }
sleep 2

step "scenarios"
node "$BUILD/bench/scenarios.js"

if [ "${BENCH_PROFILE:-0}" = "1" ]; then
  stop_node "$API_PID"
  stop_node "$WORKER_PID"
  for p in "$PROFILE_DIR"/*.cpuprofile; do
    [ -f "$p" ] && node "$BUILD/bench/profile.js" "$p" >"${p%.cpuprofile}.txt" && echo "profile summary: ${p%.cpuprofile}.txt" >&2
  done
fi

# The PostgreSQL log (slow statements with plans) and the process logs, for reading (git-ignored).
cp "$PGDATA/server.log" "$RESULTS/tmp/postgres-latest.log" 2>/dev/null || true
cp "$STATE/api.log" "$RESULTS/tmp/api-latest.log" 2>/dev/null || true
cp "$STATE/worker.log" "$RESULTS/tmp/worker-latest.log" 2>/dev/null || true
step "done (load average at end: $(cut -d' ' -f1-3 /proc/loadavg)); results in bench/results/"
