#!/usr/bin/env bash
# The web site's toolchain, idempotently: `deps` installs the npm packages from the lockfile
# (only when it changed), `build` exports the static site into web/out (only when a source
# changed). Usage: scripts/web.sh deps|build
set -euo pipefail
cd "$(dirname "$0")/../web"
export NEXT_TELEMETRY_DISABLED=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

deps() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

build() {
  deps
  if [ -f out/index.html ] && [ -z "$(find src public package-lock.json next.config.mjs tailwind.config.ts -newer out/index.html -print -quit)" ]; then
    return 0
  fi
  npx --no-install next build
}

case "${1:-build}" in
  deps) deps ;;
  build) build ;;
  *) echo "usage: $0 deps|build" >&2; exit 2 ;;
esac
