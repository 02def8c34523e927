#!/usr/bin/env bash
# Installs the system packages the project's commands need, idempotently: nothing is
# downloaded when everything is already there. Usage: scripts/install-deps.sh [test|bench]
set -euo pipefail

want=()
have_pg() { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null; }
case "${1:-test}" in
  test)
    command -v curl >/dev/null || want+=(curl)
    have_pg || want+=(postgresql)
    command -v redis-server >/dev/null || want+=(redis-server)
    [ -x /usr/bin/chromium ] || want+=(chromium)
    ;;
  bench)
    have_pg || want+=(postgresql)
    command -v wrk >/dev/null || want+=(wrk)
    ;;
  *) echo "usage: $0 [test|bench]" >&2; exit 2 ;;
esac

if [ ${#want[@]} -gt 0 ]; then
  echo "installing: ${want[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
fi
