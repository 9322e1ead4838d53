#!/usr/bin/env bash
# The cost of row-level security on ingest as PostgreSQL's own statement time (issue 16):
# wall-clock pages/s on a shared 2-core machine moves ~10% round to round
# (benches/rls_compare.sh), more than the policies cost; the time the server spends planning
# and executing statements moves less, and the statements on tenant tables, where the
# policies apply, can be told apart from the rest.
#
#   benches/rls_server_time.sh [ROUNDS] [PRODUCTS DAYS]     (default 3, 300 20)
#
# Starts a throwaway cluster (port 5499 unless PGPORT_BENCH is set; as the `postgres` system
# user when run as root) with pg_stat_statements (track_planning on), makes the library's
# role (scripts/test-db-roles), and runs benches/ingest_compare.sh's ingest_rate as that
# role ROUNDS times with row-level security and without (AMAZCOPE_BENCH_NO_RLS=1, the same
# database and role with the policies switched off). Prints per run the planning + execution
# milliseconds of every statement, and of the statements on tenant tables, and the ratios of
# the medians. Needs the PostgreSQL server binaries (initdb, pg_ctl) and psql.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
rounds=${1:-3}; products=${2:-300}; days=${3:-20}
port=${PGPORT_BENCH:-5499}
bindir=$(dirname "$(readlink -f "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")")
cargo build --release --quiet -p amazcope-benches --bin ingest_rate

dir=$(mktemp -d /tmp/amazcope-rls-time.XXXXXX)
chmod 755 "$dir"
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$dir"
cleanup() { as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
as_owner "$bindir/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w start -o "-p $port -k $dir -c listen_addresses=127.0.0.1 \
  -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on" >/dev/null
admin="postgres://postgres@127.0.0.1:$port/postgres"
psql() { "$bindir/psql" "$admin" -qAt -v ON_ERROR_STOP=1 "$@"; }
psql -c "CREATE EXTENSION pg_stat_statements"
app=$("$root/scripts/test-db-roles" "$admin")

# Statements on tenant tables: those that name one (the schema's DDL left out).
tenant='(user_products|alerts|notifications|user_settings|suggestions|suggestion_actions|notification_channels|notification_deliveries)'
: > "$dir/runs.txt"
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then order="rls norls"; else order="norls rls"; fi
  for side in $order; do
    no_rls=; [ "$side" = norls ] && no_rls=1
    psql -c "SELECT pg_stat_statements_reset()" >/dev/null
    AMAZCOPE_BENCH_NO_RLS=$no_rls DATABASE_URL=$app "$root/target/release/ingest_rate" "$products" "$days" 1 >/dev/null
    all=$(psql -c "SELECT sum(total_exec_time + total_plan_time) FROM pg_stat_statements
                   WHERE query !~* '(pg_stat_statements|CREATE |ALTER |DROP |COMMENT )'")
    ten=$(psql -c "SELECT sum(total_exec_time + total_plan_time) FROM pg_stat_statements
                   WHERE query ~* '$tenant' AND query !~* '(CREATE |ALTER |DROP |COMMENT )'")
    echo "$side $all $ten" >> "$dir/runs.txt"
    printf '%-6s all statements %8.1f ms   on tenant tables %7.1f ms\n' "$side" "$all" "$ten"
  done
done
python3 - "$dir/runs.txt" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = lambda side, i: statistics.median(float(r[i]) for r in rows if r[0] == side)
a, t = med("rls", 1) - med("norls", 1), med("rls", 2) - med("norls", 2)
print(f"\nmedians: all statements RLS / no RLS {med('rls', 1) / med('norls', 1):.3f}; "
      f"tenant-table statements {med('rls', 2) / med('norls', 2):.3f} "
      f"({t:+.1f} ms, {100 * t / med('norls', 1):+.2f}% of all statement time)")
PY
