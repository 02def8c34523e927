#!/usr/bin/env bash
# Load benchmark: a release build of `konqer serve` on SQLite and on PostgreSQL, and a bare axum
# "hello" server as the baseline, all on loopback, loaded by wrk from the same machine.
# Prints req/s and p50/p99 per target, /api/services as a share of the bare server's
# throughput, and konqer's idle RSS. For the generate pipeline, `konqer-load` adds the
# server's own account (`Server-Timing`) of the pipeline overhead — everything but the
# providers — with 32 clients flat out and at fixed offered rates (BENCH_RATES, default
# "1000 2000"). Also writes target/bench/report.txt.
#   BENCH_SECONDS   measured seconds per target (default 10)
#   BENCH_CONNECTIONS  concurrent connections (default 64)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${KONQER_TEST_PG_URL:-}" ]; then
  scripts/install-deps.sh bench
  cargo build --release -q -p konqer-server -p konqer-bench
  exec scripts/test-services.sh --no-redis -- "$0" "$@"
fi

seconds=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-64}
work=$(mktemp -d /tmp/konqer-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() { # url log
  for _ in $(seq 1 600); do
    curl -fs -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "bench: $1 did not come up; its log:" >&2
  cat "$2" >&2
  exit 1
}

failures=0
rows=()
loads=()
rates=${BENCH_RATES:-1000 2000}
# run LABEL URL [wrk options…] → appends "label req/s p50 p99" to rows; sets $rps.
# $c overrides the connection count for one target.
run() {
  local label=$1 url=$2 out
  shift 2
  local c=${c:-$conns}
  wrk -t2 -c"$c" -d2s "$@" "$url" >/dev/null 2>&1 || true
  out=$(wrk -t2 -c"$c" -d"${seconds}s" --latency "$@" "$url")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  local p50 p99 bad
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  bad=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
  if [ -n "$bad" ]; then
    echo "bench: $label got $bad non-2xx responses" >&2
    failures=$((failures + 1))
  fi
  rows+=("$(printf '%-30s %12s %9s %9s' "$label" "$rps" "$p50" "$p99")")
}

hello_port=$(free_port)
target/release/hello-axum "127.0.0.1:$hello_port" >"$work/hello.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$hello_port/" "$work/hello.log"
run "bare axum hello  GET /" "http://127.0.0.1:$hello_port/"
bare=$rps

rss=()
for backend in sqlite postgres; do
  port=$(free_port); admin=$(free_port)
  mkdir -p "$work/$backend"
  if [ "$backend" = sqlite ]; then url="sqlite://$work/$backend/konqer.db"; else url=$KONQER_TEST_PG_URL; fi
  KONQER_LISTEN="127.0.0.1:$port" KONQER_ADMIN_LISTEN="127.0.0.1:$admin" KONQER_DATA_DIR="$work/$backend" \
    KONQER_RATE_LIMIT_PER_MINUTE=0 KONQER_LOG_FORMAT=json KONQER_LOG=warn DATABASE_URL="$url" \
    KONQER_PUBLIC_URL="http://127.0.0.1:$port" KONQER_CATALOG_REFRESH_SECS=1 \
    target/release/konqer serve >"$work/$backend.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  wait_for "http://127.0.0.1:$port/health" "$work/$backend.log"
  sleep 2
  rss+=("$backend $(awk '/^VmRSS:/ {printf "%.1f MB", $2 / 1024}' "/proc/$pid/status")")
  run "$backend  GET /health" "http://127.0.0.1:$port/health"
  run "$backend  GET /api/services" "http://127.0.0.1:$port/api/services"
  # The share of bare axum, from interleaved 5 s pairs so that background load hits both
  # sides alike; the median of three pairs is the figure (decision 18).
  ratios=()
  for _ in 1 2 3; do
    b=$(wrk -t2 -c"$conns" -d5s "http://127.0.0.1:$hello_port/" | awk '/^Requests\/sec:/ {print $2}')
    k=$(wrk -t2 -c"$conns" -d5s "http://127.0.0.1:$port/api/services" | awk '/^Requests\/sec:/ {print $2}')
    ratios+=("$(awk -v a="$k" -v b="$b" 'BEGIN {printf "%.0f", 100 * a / b}')")
  done
  median=$(printf '%s\n' "${ratios[@]}" | sort -n | sed -n 2p)
  rows[-1]="${rows[-1]}   (${median}% of bare; pairs: ${ratios[*]}%)"
  # Signed-in traffic: token verification (RS256) plus one user lookup per request.
  body='{"email":"bench@example.com","password":"correct horse battery staple","name":"Bench"}'
  token=$(curl -fs -X POST "http://127.0.0.1:$port/auth/register" -H 'content-type: application/json' \
    -d "$body" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  run "$backend  GET /api/user/me" "http://127.0.0.1:$port/api/user/me" -H "Authorization: Bearer $token"
  # Login is argon2id-bound (m=19 MiB, t=2, p=1) by design; measured at 4 connections.
  cat >"$work/login.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"bench@example.com","password":"correct horse battery staple"}'
LUA
  c=4 run "$backend  POST /auth/login (c=4)" "http://127.0.0.1:$port/auth/login" -s "$work/login.lua"
  # The generate pipeline on the offline provider, after a founding purchase through the
  # local checkout. The daily limit is raised so the run measures the pipeline, not the quota.
  checkout=$(curl -fs -X POST "http://127.0.0.1:$port/api/checkout/founding" -H "Authorization: Bearer $token" \
    | sed 's/.*"checkout_url":"\([^"]*\)".*/\1/')
  curl -fs -o /dev/null -X POST "$checkout" -d card=4242424242424242
  if [ "$backend" = sqlite ]; then
    python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE service_configs SET rate_limit_daily=100000000 WHERE key='cold-dm'\"); c.commit()" "$work/$backend/konqer.db"
  else
    psql -q "$url" -c "UPDATE service_configs SET rate_limit_daily = 100000000 WHERE key = 'cold-dm'"
  fi
  sleep 2
  cat >"$work/generate.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
wrk.body = '{"prospect_name":"Maya Chen","company":"Northwind","role":"Head of Sales","offer":"We write the first message to every prospect in your CRM."}'
LUA
  generate="http://127.0.0.1:$port/api/services/cold-dm/generate"
  c=32 run "$backend  POST cold-dm/generate (c=32)" "$generate" -s "$work/generate.lua"
  input='{"prospect_name":"Maya Chen","company":"Northwind","role":"Head of Sales","offer":"We write the first message to every prospect in your CRM."}'
  for rate in "" $rates; do
    if out=$(target/release/konqer-load "$generate" "$token" "$input" --clients 32 --seconds "$seconds" ${rate:+--rate "$rate"}); then
      loads+=("$backend: $out")
    else
      loads+=("$backend: $out")
      echo "bench: konqer-load on $backend ${rate:+at $rate req/s }saw failures" >&2
      failures=$((failures + 1))
    fi
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
done

mkdir -p target/bench
{
  echo "konqer bench: wrk -t2 -c$conns, ${seconds}s per target, loopback, $(nproc) cores shared by load and server"
  printf '%-30s %12s %9s %9s\n' "target" "req/s" "p50" "p99"
  printf '%s\n' "${rows[@]}"
  echo "idle RSS of konqer serve: ${rss[*]}"
  echo
  echo "POST cold-dm/generate through konqer-load (offline provider; pipeline = Server-Timing)"
  printf '%s\n' "${loads[@]}"
} | tee target/bench/report.txt
[ "$failures" -eq 0 ] || { echo "bench: $failures target(s) answered with errors" >&2; exit 1; }
