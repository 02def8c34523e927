#!/usr/bin/env bash
# Konqer as a fleet on one machine: a throwaway PostgreSQL and Redis (scripts/test-services.sh)
# and three `konqer serve` replicas on free loopback ports, sharing the database, Redis, the
# issuer URL and the webhook and unsubscribe secrets, as pods behind Kong do. Then, in order
# (deploy/tools/fleet.py holds each check):
#   shared_rate_limit        60/min per address and per user holds across the replicas (Redis)
#   exact_quota              an operator sets a daily limit of 5 (admin API); 30 concurrent
#                            generations over 3 replicas give exactly 5
#   unlock_and_emails_once   an operator moves a release; 3 racing unlock sweeps grant it once,
#                            and every email is queued and sent once
#   sigterm_loses_nothing    SIGTERM one replica under load: every request it accepted is
#                            answered, and it exits 0 within its grace period
# Exits non-zero on any failure, keeping the replicas' logs and data under /tmp.
#   FLEET_CHECKS="exact_quota"  run a subset (sigterm_loses_nothing stops a replica: keep it last)
#   FLEET_KEEP=1                keep logs and data on success too
set -euo pipefail
cd "$(dirname "$0")/.."

read -ra CHECKS <<<"${FLEET_CHECKS:-shared_rate_limit exact_quota unlock_and_emails_once sigterm_loses_nothing}"

if [ -z "${KONQER_TEST_PG_URL:-}" ] || [ -z "${KONQER_TEST_REDIS_URL:-}" ]; then
  scripts/install-deps.sh test
  cargo build -q -p konqer-server --bin konqer
  exec scripts/test-services.sh -- "$0" "$@"
fi

bin=${CARGO_TARGET_DIR:-target}/debug/konqer
[ -x "$bin" ] || { echo "fleet: $bin is missing; run cargo build -p konqer-server" >&2; exit 1; }
started=$(date +%s)
work=$(mktemp -d /tmp/konqer-fleet.XXXXXX)
pids=()
cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${FLEET_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    echo "fleet: logs and data kept in $work" >&2
  else
    rm -rf "$work"
  fi
  exit $rc
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# A database of its own, so the three replicas migrate an empty schema concurrently at start.
db_url="${KONQER_TEST_PG_URL%/*}/konqer_fleet"
psql -q "$KONQER_TEST_PG_URL" -c "CREATE DATABASE konqer_fleet"
# What every replica shares, as the ConfigMap and the ExternalSecret give every pod.
shared=(
  DATABASE_URL="$db_url" REDIS_URL="$KONQER_TEST_REDIS_URL"
  STRIPE_WEBHOOK_SECRET=whsec_fleet_0123456789abcdef
  KONQER_UNSUBSCRIBE_SECRET=fleet-unsubscribe-0123456789abcdef
  KONQER_RATE_LIMIT_PER_MINUTE=60 KONQER_TRUSTED_PROXIES=127.0.0.1/32
  KONQER_CATALOG_REFRESH_SECS=1 KONQER_SHUTDOWN_GRACE_SECS=10
  KONQER_WEB_DIR=/nonexistent KONQER_LOG_FORMAT=json "KONQER_LOG=info,sqlx=warn"
)
urls=() admins=() dirs=() logs=()
for i in 0 1 2; do
  port=$(free_port) admin_port=$(free_port)
  urls+=("http://127.0.0.1:$port")
  admins+=("http://127.0.0.1:$admin_port")
  dirs+=("$work/replica$i")
  logs+=("$work/replica$i.log")
done
for i in 0 1 2; do
  mkdir -p "${dirs[$i]}"
  env -i PATH="$PATH" HOME="$HOME" "${shared[@]}" \
    KONQER_LISTEN="${urls[$i]#http://}" KONQER_ADMIN_LISTEN="${admins[$i]#http://}" \
    KONQER_PUBLIC_URL="${urls[0]}" KONQER_DATA_DIR="${dirs[$i]}" \
    "$bin" serve >"${logs[$i]}" 2>&1 &
  pids+=($!)
done
for i in 0 1 2; do
  for _ in $(seq 1 300); do
    curl -fs -o /dev/null "${urls[$i]}/ready" && break
    kill -0 "${pids[$i]}" 2>/dev/null || { echo "fleet: replica $i exited:" >&2; cat "${logs[$i]}" >&2; exit 1; }
    sleep 0.1
  done
  curl -fs -o /dev/null "${urls[$i]}/ready" || { echo "fleet: replica $i is not ready" >&2; cat "${logs[$i]}" >&2; exit 1; }
done
echo "fleet: 3 replicas up in $(($(date +%s) - started)) s (${urls[*]})"

join() { local IFS=,; echo "$*"; }
export FLEET_URLS FLEET_ADMIN_URLS FLEET_DATA_DIRS FLEET_PIDS FLEET_LOGS FLEET_DB="$db_url" FLEET_BIN="$bin"
FLEET_URLS=$(join "${urls[@]}")
FLEET_ADMIN_URLS=$(join "${admins[@]}")
FLEET_DATA_DIRS=$(join "${dirs[@]}")
FLEET_PIDS=$(join "${pids[@]}")
FLEET_LOGS=$(join "${logs[@]}")

failed=()
for check in "${CHECKS[@]}"; do
  t0=$(date +%s%N)
  echo "fleet: $check"
  if python3 deploy/tools/fleet.py "$check"; then result=ok; else result=FAILED; failed+=("$check"); fi
  echo "fleet: $check $result ($((($(date +%s%N) - t0) / 1000000)) ms)"
  if [ "$check" = sigterm_loses_nothing ]; then
    # The stopped replica must have drained and exited 0 within its grace period.
    for _ in $(seq 1 150); do kill -0 "${pids[2]}" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "${pids[2]}" 2>/dev/null; then code=timeout
    elif wait "${pids[2]}"; then code=0; else code=$?; fi
    if [ "$code" != 0 ] || ! grep -q '"stopped"' "${logs[2]}"; then
      echo "fleet: the SIGTERMed replica exited with $code; its log ends:" >&2
      tail -n 20 "${logs[2]}" >&2
      failed+=("$check:exit")
    else
      echo "fleet: the SIGTERMed replica drained and exited 0"
    fi
  fi
done

for i in 0 1 2; do
  if grep -q '"level":"ERROR"' "${logs[$i]}"; then
    echo "fleet: replica $i logged errors:" >&2
    grep '"level":"ERROR"' "${logs[$i]}" | head -n 5 >&2
    failed+=("replica$i-errors")
  fi
done

echo "fleet: $((${#CHECKS[@]} - ${#failed[@]}))/${#CHECKS[@]} checks passed in $(($(date +%s) - started)) s"
[ ${#failed[@]} -eq 0 ] || { echo "fleet: FAILED: ${failed[*]}" >&2; exit 1; }
