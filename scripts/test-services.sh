#!/usr/bin/env bash
# Starts a throwaway PostgreSQL and Redis on free loopback ports, runs the given command with
#   KONQER_TEST_PG_URL     postgres://postgres@127.0.0.1:<port>/postgres
#   KONQER_TEST_REDIS_URL  redis://127.0.0.1:<port>/
# in its environment, and stops both servers (and deletes their data) when it exits.
# Usage: scripts/test-services.sh [--no-redis] -- <command> [args…]
set -euo pipefail

use_redis=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-redis) use_redis=0; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--no-redis] -- <command> [args…]" >&2; exit 2; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n1)" 2>/dev/null || true)
[ -x "$pg_bin/initdb" ] || pg_bin=$(dirname "$(command -v initdb)")
tmp=$(mktemp -d /tmp/konqer-services.XXXXXX)
chmod 755 "$tmp"
pg_pid="" redis_pid=""

# initdb refuses to run as root: as root, the cluster belongs to the `postgres` user.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
  local rc=$?
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
  if [ -n "$pg_pid" ]; then
    as_pg "$pg_bin/pg_ctl" -D "$tmp/pg" -m immediate -w stop >/dev/null 2>&1 || kill "$pg_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT INT TERM

if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi
mkdir -p "$tmp/pg" "$tmp/sock"
[ "$(id -u)" -eq 0 ] && chown postgres "$tmp/pg" "$tmp/sock"
as_pg "$pg_bin/initdb" -D "$tmp/pg" -U postgres --auth=trust -E UTF8 --no-instructions >"$tmp/initdb.log" 2>&1 \
  || { cat "$tmp/initdb.log" >&2; exit 1; }
pg_port=$(free_port)
as_pg "$pg_bin/pg_ctl" -D "$tmp/pg" -l "$tmp/sock/pg.log" -w -t 60 start -o \
  "-h 127.0.0.1 -p $pg_port -k $tmp/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 -c shared_buffers=128MB" \
  >/dev/null || { cat "$tmp/sock/pg.log" >&2; exit 1; }
pg_pid=$(head -n1 "$tmp/pg/postmaster.pid")
export KONQER_TEST_PG_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
echo "test PostgreSQL: $KONQER_TEST_PG_URL" >&2

if [ "$use_redis" -eq 1 ]; then
  redis_port=$(free_port)
  redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
    --dir "$tmp" --logfile "$tmp/redis.log" &
  redis_pid=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && break
    sleep 0.05
  done
  export KONQER_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/"
  echo "test Redis: $KONQER_TEST_REDIS_URL" >&2
fi

"$@"
