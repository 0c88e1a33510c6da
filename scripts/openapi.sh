#!/usr/bin/env bash
# The API document and the console's client types, generated from the code:
#   web/src/api/openapi.json  (the document, as /docs-json serves it; paths and schemas sorted)
#   web/src/api/schema.d.ts   (openapi-typescript; the console's openapi-fetch client uses it)
# --check: generate into a temp dir and fail when the committed files differ (npm test), and
#          fail when an operation lacks a typed 2xx response or a security declaration.
# --no-build: use dist/ as it is (the caller has just built).
# Needs no PostgreSQL or Redis: the app is created in Nest's preview mode.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

OUT=web/src/api
check=0 build=1
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    --no-build) build=0 ;;
    *) echo "usage: scripts/openapi.sh [--check] [--no-build]" >&2; exit 2 ;;
  esac
done

[ "$build" -eq 1 ] && npm run build --silent

target="$OUT"
if [ "$check" -eq 1 ]; then
  target="$(mktemp -d)"
  trap 'rm -rf "$target"' EXIT
fi
XINYI_PROCESS=openapi LOG_LEVEL=silent node dist/src/openapi/cli.js write "$target"
# openapi-typescript lints with redocly.yaml too and prints the one ignored finding: keep its
# output for a failure only.
log="$(mktemp)"
npx --no-install openapi-typescript "$target/openapi.json" --output "$target/schema.d.ts" >"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; exit 1; }
rm -f "$log"

if [ "$check" -eq 1 ]; then
  node dist/src/openapi/cli.js check >/dev/null || { node dist/src/openapi/cli.js check >&2; exit 1; }
  for f in openapi.json schema.d.ts; do
    if ! diff -u "$OUT/$f" "$target/$f" >"$target/$f.diff" 2>&1; then
      head -n 40 "$target/$f.diff" >&2
      echo "$OUT/$f is not what the code generates: run 'npm run openapi' and commit it" >&2
      exit 1
    fi
  done
  echo "$OUT/openapi.json and schema.d.ts match the code"
else
  echo "wrote $OUT/openapi.json and $OUT/schema.d.ts"
fi
