#!/usr/bin/env bash
# Installs npm dependencies when node_modules is missing or older than the lockfile.
# (`npm ci` fails on these machines: the registry lacks some other-platform optional binaries.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[deps] npm install" >&2
  npm install --no-audit --no-fund --loglevel=error 2>&1 | grep -v 'Unknown user config "nodedir"' >&2 || true
  [ -f node_modules/.package-lock.json ] || { echo "[deps] npm install failed" >&2; exit 1; }
  touch node_modules/.package-lock.json
fi
