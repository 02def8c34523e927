#!/usr/bin/env bash
# Browser tests: builds the site, starts `konqer serve` on a fresh SQLite database on a free
# loopback port, and runs Playwright in Debian's headless Chromium against it.
# Screenshots land in web/test-results/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/web.sh build
cargo build -q -p konqer-server

data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
admin=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
KONQER_DATA_DIR="$data" KONQER_LISTEN="127.0.0.1:$port" KONQER_ADMIN_LISTEN="127.0.0.1:$admin" \
  KONQER_PUBLIC_URL="$base" KONQER_WEB_DIR="$PWD/web/out" KONQER_RATE_LIMIT_PER_MINUTE=0 \
  KONQER_LOG=warn ./target/debug/konqer serve >"$data/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  curl -fsS "$base/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$base/health" >/dev/null || { cat "$data/server.log"; exit 1; }

rm -rf web/test-results
mkdir -p web/test-results/screenshots
status=0
(cd web && KONQER_BASE_URL="$base" KONQER_ADMIN_URL="http://127.0.0.1:$admin" KONQER_DATA_DIR="$data" npx --no-install playwright test "$@") || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log (last 50 lines) ---"
  tail -n 50 "$data/server.log"
fi
exit "$status"
