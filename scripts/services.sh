#!/usr/bin/env bash
# Project-local PostgreSQL and Redis on 127.0.0.1, started and stopped by pid.
#
#   scripts/services.sh start   create (first time) and start both; write $XINYI_STATE_DIR/env
#   scripts/services.sh stop    stop what start started (by the pids it recorded); `stop postgres`
#                               or `stop redis` stops that one alone
#   scripts/services.sh status  say what runs
#   scripts/services.sh destroy stop both and delete their data (state dir, and /var/tmp copy)
#   scripts/services.sh start-replica  a streaming standby of the local primary (pg_basebackup as
#                       the server's user, loopback only); adds DATABASE_REPLICA_URL to the env file
#   scripts/services.sh stop-replica   stop the standby (stop and destroy stop it too)
#
# Settings (environment):
#   XINYI_STATE_DIR   where data, logs, pids and the env file live (default .local/dev, git-ignored)
#   XINYI_PG_PORT     preferred PostgreSQL port (default 55432; 0 = any free port)
#   XINYI_REDIS_PORT  preferred Redis port (default 56379; 0 = any free port)
#   XINYI_PG_REPLICA_PORT preferred standby port (default 55433; 0 = any free port)
#   XINYI_PG_FAST=1   fsync/synchronous_commit off: for throwaway test clusters only
#   DATABASE_URL / REDIS_URL  when set, start uses that service as given and starts none (stop
#                    still stops only what this state dir started)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${XINYI_STATE_DIR:-$ROOT/.local/dev}"
mkdir -p "$STATE_DIR"
STATE_DIR="$(cd "$STATE_DIR" && pwd)"
ENV_FILE="$STATE_DIR/env"
PG_DB="${XINYI_PG_DB:-xinyi}"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# A free TCP port on 127.0.0.1: the preferred one if nothing listens there, else any.
free_port() {
  node -e '
    const net = require("node:net");
    const want = Number(process.argv[1]);
    const tryPort = (p, fallback) => {
      const s = net.createServer();
      s.once("error", () => fallback ? tryPort(0, false) : process.exit(1));
      s.listen(p, "127.0.0.1", () => { const port = s.address().port; s.close(() => console.log(port)); });
    };
    tryPort(want, want !== 0);
  ' "$1"
}

pg_bin() {
  local name="$1"
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1 || true)"
  [ -n "$found" ] || die "PostgreSQL server binaries ($name) not found; install them: apt-get install -y postgresql"
  echo "$found"
}

# Run a PostgreSQL server binary: initdb refuses root, so as root we run it as `postgres`.
# From /: a clone under a private temp dir is not a directory `postgres` may enter, and
# pg_ctl says so on every call ("could not change directory").
as_pg() {
  if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# The data directory must be reachable by the user the server runs as. A clone under a
# private temp dir is not reachable by `postgres`, so then the data lives in /var/tmp and the
# state dir holds a link to it.
pg_data_dir() {
  local dir="$STATE_DIR/pg"
  if [ -L "$dir" ]; then readlink "$dir"; return; fi
  if is_root && ! runuser -u postgres -- test -x "$STATE_DIR"; then
    local real
    real="/var/tmp/xinyi-pg-$(printf '%s' "$STATE_DIR" | sha1sum | cut -c1-12)"
    ln -sfn "$real" "$dir"
    echo "$real"
    return
  fi
  echo "$dir"
}

start_pg() {
  local data port pid_file
  data="$(pg_data_dir)"
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    if is_root; then chown postgres:postgres "$data"; fi
    chmod 700 "$data"
    log "initdb $data"
    as_pg "$(pg_bin initdb)" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$STATE_DIR/initdb.log" 2>&1 \
      || { cat "$STATE_DIR/initdb.log" >&2; die "initdb failed"; }
  fi
  pid_file="$data/postmaster.pid"
  if [ -f "$pid_file" ] && kill -0 "$(head -n 1 "$pid_file")" 2>/dev/null; then
    port="$(sed -n 4p "$pid_file")"
    log "PostgreSQL already running (pid $(head -n 1 "$pid_file"), port $port)"
  else
    port="$(free_port "${XINYI_PG_PORT:-55432}")"
    local opts="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='' -c max_connections=300"
    opts="$opts -c shared_buffers=256MB -c max_wal_size=2GB -c log_min_messages=warning -c timezone=UTC"
    if [ "${XINYI_PG_FAST:-0}" = "1" ]; then
      opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    log "starting PostgreSQL on 127.0.0.1:$port"
    as_pg "$(pg_bin pg_ctl)" -D "$data" -l "$data/server.log" -o "$opts" -w -t 60 start >/dev/null \
      || { tail -n 20 "$data/server.log" >&2 || true; die "PostgreSQL did not start"; }
  fi
  psql "postgres://postgres@127.0.0.1:$port/postgres" -qAtX -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1 \
    || psql "postgres://postgres@127.0.0.1:$port/postgres" -qAtX -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
  echo "postgres://postgres@127.0.0.1:$port/$PG_DB"
}

stop_pg() {
  local data
  data="$(pg_data_dir)"
  if [ -f "$data/postmaster.pid" ] && kill -0 "$(head -n 1 "$data/postmaster.pid")" 2>/dev/null; then
    log "stopping PostgreSQL (pid $(head -n 1 "$data/postmaster.pid"))"
    as_pg "$(pg_bin pg_ctl)" -D "$data" -m fast -w -t 60 stop >/dev/null
  fi
}

replica_data_dir() { echo "$(pg_data_dir)-replica"; }

primary_port() {
  local pid_file
  pid_file="$(pg_data_dir)/postmaster.pid"
  [ -f "$pid_file" ] && kill -0 "$(head -n 1 "$pid_file")" 2>/dev/null || die "start the primary first (scripts/services.sh start)"
  sed -n 4p "$pid_file"
}

# A hot standby fed by streaming replication from the local primary. initdb's pg_hba (trust)
# already admits replication connections from 127.0.0.1, and wal_level=replica is the default.
start_replica() {
  local data pport port pid_file
  data="$(replica_data_dir)"
  pport="$(primary_port)"
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    if is_root; then chown postgres:postgres "$data"; fi
    chmod 700 "$data"
    log "pg_basebackup from 127.0.0.1:$pport into $data"
    as_pg "$(pg_bin pg_basebackup)" -h 127.0.0.1 -p "$pport" -U postgres -D "$data" -R -X stream -c fast >"$STATE_DIR/basebackup.log" 2>&1 \
      || { cat "$STATE_DIR/basebackup.log" >&2; die "pg_basebackup failed"; }
  fi
  pid_file="$data/postmaster.pid"
  if [ -f "$pid_file" ] && kill -0 "$(head -n 1 "$pid_file")" 2>/dev/null; then
    port="$(sed -n 4p "$pid_file")"
    log "standby already running (pid $(head -n 1 "$pid_file"), port $port)"
  else
    port="$(free_port "${XINYI_PG_REPLICA_PORT:-55433}")"
    local opts="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='' -c max_connections=300"
    opts="$opts -c hot_standby=on -c log_min_messages=warning -c timezone=UTC -c primary_conninfo='host=127.0.0.1 port=$pport user=postgres'"
    log "starting the standby on 127.0.0.1:$port (primary 127.0.0.1:$pport)"
    as_pg "$(pg_bin pg_ctl)" -D "$data" -l "$data/server.log" -o "$opts" -w -t 60 start >/dev/null \
      || { tail -n 20 "$data/server.log" >&2 || true; die "the standby did not start"; }
  fi
  echo "postgres://postgres@127.0.0.1:$port/$PG_DB"
}

stop_replica() {
  local data
  data="$(replica_data_dir)"
  if [ -f "$data/postmaster.pid" ] && kill -0 "$(head -n 1 "$data/postmaster.pid")" 2>/dev/null; then
    log "stopping the standby (pid $(head -n 1 "$data/postmaster.pid"))"
    as_pg "$(pg_bin pg_ctl)" -D "$data" -m fast -w -t 60 stop >/dev/null
  fi
}

ensure_redis_installed() {
  if command -v redis-server >/dev/null 2>&1; then return; fi
  if is_root; then
    log "installing redis-server from Debian (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    die "redis-server is not installed; run: sudo apt-get install -y redis-server"
  fi
}

start_redis() {
  ensure_redis_installed
  local pid_file="$STATE_DIR/redis.pid" port
  if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    port="$(cat "$STATE_DIR/redis.port")"
    log "Redis already running (pid $(cat "$pid_file"), port $port)"
  else
    port="$(free_port "${XINYI_REDIS_PORT:-56379}")"
    log "starting Redis on 127.0.0.1:$port"
    # No persistence: Redis only carries jobs, and PostgreSQL can re-create every due job.
    redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --pidfile "$pid_file" \
      --dir "$STATE_DIR" --logfile "$STATE_DIR/redis.log" --save '' --appendonly no \
      --maxmemory-policy noeviction >/dev/null
    echo "$port" >"$STATE_DIR/redis.port"
    for _ in $(seq 1 50); do
      redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG && break
      sleep 0.1
    done
    redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG || die "Redis did not start; see $STATE_DIR/redis.log"
  fi
  echo "redis://127.0.0.1:$port/0"
}

stop_redis() {
  local pid_file="$STATE_DIR/redis.pid"
  if [ -f "$pid_file" ]; then
    local pid
    pid="$(cat "$pid_file")"
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping Redis (pid $pid)"
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      # A stop that returns while Redis still serves would mislead whoever relies on it (the
      # outage tests): after 5 s, SIGKILL, and wait for it to be gone.
      if kill -0 "$pid" 2>/dev/null; then
        log "Redis (pid $pid) still running after 5 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      fi
    fi
    rm -f "$pid_file"
  fi
}

cmd="${1:-}"
case "$cmd" in
  start)
    db_url="${DATABASE_URL:-}"
    redis_url="${REDIS_URL:-}"
    if [ -z "$db_url" ]; then db_url="$(start_pg)"; else log "using DATABASE_URL as given"; fi
    if [ -z "$redis_url" ]; then redis_url="$(start_redis)"; else log "using REDIS_URL as given"; fi
    printf 'DATABASE_URL=%s\nREDIS_URL=%s\n' "$db_url" "$redis_url" >"$ENV_FILE"
    log "env written to $ENV_FILE"
    ;;
  start-replica)
    replica_url="$(start_replica)"
    touch "$ENV_FILE"
    { grep -v '^DATABASE_REPLICA_URL=' "$ENV_FILE" || true; printf 'DATABASE_REPLICA_URL=%s\n' "$replica_url"; } >"$ENV_FILE.new"
    mv "$ENV_FILE.new" "$ENV_FILE"
    log "DATABASE_REPLICA_URL added to $ENV_FILE"
    ;;
  stop-replica)
    stop_replica
    ;;
  stop)
    # What this state dir started, by the pids it recorded, whatever DATABASE_URL / REDIS_URL say:
    # with the env file sourced both are set, and a service given by URL has no pid here.
    # `stop postgres` / `stop redis`: that one alone (the outage tests).
    case "${2:-}" in
      postgres) stop_replica; stop_pg ;;
      redis) stop_redis ;;
      "") stop_replica; stop_pg; stop_redis ;;
      *) die "usage: scripts/services.sh stop [postgres|redis]" ;;
    esac
    ;;
  destroy)
    # Stop both and delete their data: the state dir, and the data directory in /var/tmp that
    # stands in for it when the state dir is private (see pg_data_dir).
    stop_replica
    stop_pg
    stop_redis
    data="$(pg_data_dir)"
    case "$data" in /var/tmp/xinyi-pg-*) rm -rf "$data" "$data-replica" ;; esac
    rm -rf "$STATE_DIR"
    ;;
  status)
    data="$(pg_data_dir)"
    if [ -f "$data/postmaster.pid" ] && kill -0 "$(head -n 1 "$data/postmaster.pid")" 2>/dev/null; then
      echo "postgres: running, pid $(head -n 1 "$data/postmaster.pid"), port $(sed -n 4p "$data/postmaster.pid")"
    else echo "postgres: stopped"; fi
    rdata="$(replica_data_dir)"
    if [ -f "$rdata/postmaster.pid" ] && kill -0 "$(head -n 1 "$rdata/postmaster.pid")" 2>/dev/null; then
      echo "postgres standby: running, pid $(head -n 1 "$rdata/postmaster.pid"), port $(sed -n 4p "$rdata/postmaster.pid")"
    fi
    if [ -f "$STATE_DIR/redis.pid" ] && kill -0 "$(cat "$STATE_DIR/redis.pid")" 2>/dev/null; then
      echo "redis: running, pid $(cat "$STATE_DIR/redis.pid"), port $(cat "$STATE_DIR/redis.port")"
    else echo "redis: stopped"; fi
    ;;
  *)
    die "usage: scripts/services.sh start|stop|status|destroy|start-replica|stop-replica"
    ;;
esac
