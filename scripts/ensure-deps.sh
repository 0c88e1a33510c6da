#!/usr/bin/env bash
# Installs npm dependencies (the api's at the root, the console's in web/) when node_modules is
# missing or older than the lockfile.
# (`npm ci` fails on these machines: the registry lacks some other-platform optional binaries.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
install_in() {
  local dir="$1"
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "[deps] npm install in $dir" >&2
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error 2>&1 | grep -v 'Unknown user config "nodedir"' >&2 || true)
    [ -f "$dir/node_modules/.package-lock.json" ] || { echo "[deps] npm install in $dir failed" >&2; exit 1; }
    touch "$dir/node_modules/.package-lock.json"
  fi
}
install_in .
install_in web
