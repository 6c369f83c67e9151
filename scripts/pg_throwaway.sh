#!/usr/bin/env bash
# Start (or reuse) a throw-away PostgreSQL + PostGIS server for the tests.
# Prints the connection URL on stdout. Data lives under $TOWNBRAIN_PG_DIR
# (default .pgtest/), port $TOWNBRAIN_PG_PORT (default 55432).
# usage: scripts/pg_throwaway.sh start|stop|url
set -euo pipefail
cmd=${1:-start}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${TOWNBRAIN_PG_DIR:-$root/.pgtest}
port=${TOWNBRAIN_PG_PORT:-55432}
url="postgresql://townbrain@127.0.0.1:${port}/townbrain_test"
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bindir" ] && command -v pg_ctl >/dev/null; then bindir=$(dirname "$(command -v pg_ctl)"); fi
[ -n "$bindir" ] || { echo "PostgreSQL server binaries not found (install postgresql-15 and postgresql-15-postgis-3)" >&2; exit 1; }

as_owner() {  # initdb refuses to run as root: run the server as 'postgres' then
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  url) echo "$url" ;;
  stop) [ -d "$dir/data" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true ;;
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bindir/initdb" -D "$dir/data" -U townbrain --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if ! as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200 -c shared_buffers=512MB" start >/dev/null \
        || { tail -20 "$dir/server.log" >&2; exit 1; }
    fi
    psql="$bindir/psql -h 127.0.0.1 -p $port -U townbrain -v ON_ERROR_STOP=1 -q"
    $psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='townbrain_test'" | grep -q 1 \
      || $psql -d postgres -c "CREATE DATABASE townbrain_test"
    $psql -d townbrain_test -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
    echo "$url"
    ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
