#!/usr/bin/env bash
# The cost of row-level security (issue 16), release build, ROUNDS alternating rounds (the
# order flips each round). Prints the medians, their ratio RLS / no RLS, and the median of
# the per-round ratios.
#
# - ingest and snapshots: both sides connect as the role the library runs as (amazcope_app,
#   made by scripts/test-db-roles: no superuser, no BYPASSRLS), back to back, each on a fresh
#   database it migrates; the control has row-level security switched off on every table
#   (AMAZCOPE_BENCH_NO_RLS=1: DISABLE and NO FORCE), so the same code sends the same
#   statements as the same role and only the policies differ. (A superuser is no control
#   here: ingest crosses users through SET LOCAL ROLE amazcope_service, held to the policies
#   whoever logged in.)
# - queries: as the superuser (no policy applies) and as amazcope_app, in one pgbench run
#   (below).
#
#   benches/rls_compare.sh [ROUNDS] [PRODUCTS DAYS]     (default 5, 300 20)
#
# - ingest: benches/ingest_compare.sh's ingest_rate (pages stored with alerts and
#   notifications for two users: batch, single, backfill);
# - snapshots: benches/pg_compare.sh's snapshot_rate (insert_snapshots; no tenant table);
# - queries: pgbench over the repositories' tenant reads (a user's tracked products with
#   their latest values, alert list, unread inbox and its count), 100 users x 100 tracked
#   products, 100,000 alerts and notifications, each transaction beginning as the library's
#   user_tx does (set_config('amazcope.user_id', ..., true)); one pgbench run per round
#   (2 clients, QUERY_SECS seconds, default 15) mixes the transaction as the superuser and
#   after SET LOCAL ROLE amazcope_app, so both see the same load; once in the simple protocol
#   (every statement parsed and planned each time) and once prepared (as sqlx runs the
#   library's queries); then the same with the policies as migrations 0019 and 0015 made
#   them (0023's and 0019's down and up applied in place), the befores of 0023 and 0019.
# Needs DATABASE_URL (a superuser's), psql and pgbench. SKIP_INGEST=1 measures the queries only,
# SKIP_QUERIES=1 the ingest and snapshots only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
rounds=${1:-5}; products=${2:-300}; days=${3:-20}
query_secs=${QUERY_SECS:-15}
: "${DATABASE_URL:?set DATABASE_URL to a superuser URL of a PostgreSQL server}"
admin=$DATABASE_URL
app=$("$root/scripts/test-db-roles" "$admin")
bindir=$(dirname "$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench | sort -V | tail -1)")
out=$(mktemp -d)
echo "== building (release): ingest_rate, snapshot_rate; amazcope (debug, for the migration)"
[ -n "${SKIP_INGEST:-}" ] || cargo build --release --quiet -p amazcope-benches --bin ingest_rate --bin snapshot_rate
# The test build's selection (every target of the workspace): after scripts/test nothing is
# compiled again; one package alone would get other dependency features and compile twice.
cargo build --quiet --workspace --all-targets

# The query database: owned by amazcope_app and migrated by it (its tables are held to the
# policies by FORCE), filled by the superuser.
qdb=amazcope_rlsq_$$
url_for() { python3 - "$1" "$2" <<'PY'
import sys
from urllib.parse import urlsplit, urlunsplit
u = urlsplit(sys.argv[1]); print(urlunsplit((u.scheme, u.netloc, "/" + sys.argv[2], u.query, "")))
PY
}
"$bindir/psql" "$admin" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE $qdb OWNER amazcope_app"
trap '"$bindir/psql" "$admin" -qAt -c "DROP DATABASE IF EXISTS $qdb WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$out"' EXIT
DATABASE_URL=$(url_for "$app" "$qdb") "$root/target/debug/amazcope" db upgrade --no-backup >/dev/null
"$bindir/psql" "$(url_for "$admin" "$qdb")" -qAt -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO users (email, username, hashed_password)
SELECT 'u' || i || '@example.invalid', 'u' || i, 'x' FROM generate_series(1, 100) i;
INSERT INTO products (asin, marketplace, title, url, current_price, current_bsr)
SELECT 'B' || lpad(i::text, 9, '0'), 'com', 'product ' || i, 'https://example.invalid/' || i, 10 + i % 90, i
FROM generate_series(1, 5000) i;
INSERT INTO user_products (user_id, product_id)
SELECT u.id, p.id FROM (SELECT id, row_number() OVER (ORDER BY username) AS n FROM users) u
JOIN (SELECT id, row_number() OVER (ORDER BY asin) AS n FROM products) p ON (p.n - u.n) % 50 = 0 AND p.n <= 5000;
INSERT INTO alerts (alert_type, title, message, product_id, user_id, created_at)
SELECT 'price_change', 'price moved', 'from 10 to 12', up.product_id, up.user_id, now() - g * interval '1 hour'
FROM user_products up CROSS JOIN generate_series(1, 10) g;
INSERT INTO notifications (user_id, product_id, alert_id, notification_type, title, message, status, created_at)
SELECT a.user_id, a.product_id, a.id, 'price_change', a.title, a.message,
       CASE WHEN random() < 0.8 THEN 'read' ELSE 'unread' END, a.created_at FROM alerts a;
CREATE TABLE bench_users AS SELECT row_number() OVER (ORDER BY username) AS n, id FROM users;
GRANT SELECT ON bench_users TO PUBLIC;
ANALYZE;
SQL
# Two scripts run side by side by one pgbench (so the machine's load falls on both alike):
# the same transaction as the superuser (no policy applies) and after SET LOCAL ROLE
# amazcope_app (every policy applies, as for the library's login role). pgbench reports the
# mean latency of each. Both say SET LOCAL ROLE (NONE: stay the superuser), so they send the
# same statements and differ only in the policies; before, the RLS side alone had the extra
# round trip, which the library, logged in as its role, never makes.
cat > "$out/norls.sql" <<'SQL'
\set n random(1, 100)
SELECT id AS uid FROM bench_users WHERE n = :n \gset
BEGIN;
SET LOCAL ROLE NONE;
SELECT set_config('amazcope.user_id', ':uid', true);
SELECT up.id, p.asin, p.title, p.current_price, p.current_bsr FROM user_products up
  JOIN products p ON p.id = up.product_id WHERE up.user_id = ':uid' AND up.is_active ORDER BY p.asin LIMIT 100;
SELECT a.*, p.asin, p.marketplace, p.title FROM alerts a JOIN products p ON p.id = a.product_id
  WHERE a.user_id = ':uid' ORDER BY a.created_at DESC, a.id LIMIT 100;
SELECT * FROM notifications WHERE user_id = ':uid' AND status = 'unread' ORDER BY created_at DESC, id LIMIT 50;
SELECT count(*) FROM notifications WHERE user_id = ':uid' AND status = 'unread';
COMMIT;
SQL
sed 's/^SET LOCAL ROLE NONE;$/SET LOCAL ROLE amazcope_app;/' "$out/norls.sql" > "$out/rls.sql"
grep -q '^SET LOCAL ROLE amazcope_app;$' "$out/rls.sql" || { echo "rls.sql: no SET LOCAL ROLE" >&2; exit 1; }
# The same transaction as prepared statements (pgbench -M prepared), as the library runs its
# queries (sqlx prepares each statement once per connection): the user id becomes a parameter.
mkdir "$out/prepared"
for f in norls rls; do sed "s/':uid'/:uid/g" "$out/$f.sql" > "$out/prepared/$f.sql"; done
echo "query database: $(( $("$bindir/psql" "$(url_for "$admin" "$qdb")" -qAt -c 'SELECT count(*) FROM alerts') )) alerts"

run_side() { # side: both as amazcope_app; norls with row-level security switched off
  local side=$1 url=$app no_rls=
  [ "$side" = norls ] && no_rls=1
  AMAZCOPE_BENCH_NO_RLS=$no_rls DATABASE_URL=$url "$root/target/release/ingest_rate" "$products" "$days" 1 > "$out/ingest.txt"
  for k in batch single backfill; do
    echo "$side ingest_$k $(sed -n "s/^${k}_pages_per_sec \([0-9]*\).*/\1/p" "$out/ingest.txt")" >> "$out/all.txt"
  done
  # The server's CPU time as pages per CPU-second of the backends (ingest_rate reads /proc,
  # so only when the server runs on this machine): steadier than wall time on a busy
  # machine, and the policies run in the server.
  local ms us
  ms=$(sed -n 's/^batch_server_cpu_ms_per_day \([0-9.]*\).*/\1/p' "$out/ingest.txt")
  us=$(sed -n 's/^single_server_cpu_us_per_page \([0-9.]*\).*/\1/p' "$out/ingest.txt")
  [ -n "$ms" ] && echo "$side ingest_batch_server_cpu $(python3 -c "print($products * 1000 / $ms)")" >> "$out/all.txt"
  [ -n "$us" ] && echo "$side ingest_single_server_cpu $(python3 -c "print(1e6 / $us)")" >> "$out/all.txt"
  AMAZCOPE_BENCH_NO_RLS=$no_rls DATABASE_URL=$url "$root/target/release/snapshot_rate" "$products" "$days" 1 > "$out/snap.txt"
  echo "$side snapshots $(sed -n 's/^median_rows_per_sec \([0-9]*\).*/\1/p' "$out/snap.txt")" >> "$out/all.txt"
}
queries() { # one paired pgbench run: mean latency (ms) of each script; $1: key suffix, $2: protocol
  local key=queries${1:-} mode=${2:-simple} dir=$out
  [ "$mode" = prepared ] && dir=$out/prepared
  "$bindir/pgbench" -n -M "$mode" -c 2 -j 2 -T "$query_secs" -f "$dir/norls.sql@1" -f "$dir/rls.sql@1" \
    "$(url_for "$admin" "$qdb")" > "$out/pgbench.txt" 2>&1 || { cat "$out/pgbench.txt"; exit 1; }
  grep -q "number of failed transactions: 0 " "$out/pgbench.txt" || { cat "$out/pgbench.txt"; exit 1; }
  mapfile -t lat < <(sed -n 's/^ - latency average = \([0-9.]*\) ms/\1/p' "$out/pgbench.txt")
  # Latency: lower is better; stored as transactions per second of one client for the table.
  echo "norls $key $(python3 -c "print(1000 / ${lat[0]})")" >> "$out/all.txt"
  echo "rls $key $(python3 -c "print(1000 / ${lat[1]})")" >> "$out/all.txt"
}
: > "$out/all.txt"
psql_q() { "$bindir/psql" "$(url_for "$admin" "$qdb")" -qAt -v ON_ERROR_STOP=1 "$@"; }
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then order="rls norls"; else order="norls rls"; fi
  for side in $order; do
    [ -n "${SKIP_INGEST:-}" ] && continue
    run_side "$side"
  done
  [ -n "${SKIP_QUERIES:-}" ] && { echo "round $r/$rounds done ($order)"; continue; }
  queries
  queries _prepared prepared
  # The same with the policies as earlier migrations made them, switched in place: 0019's
  # (before 0023 wrote the setting out) and 0015's (before 0019 made the checks InitPlans).
  psql_q -f "$root"/migrations/0023_*.down.sql
  queries _0019_policies
  psql_q -f "$root"/migrations/0019_*.down.sql
  queries _0015_policies
  psql_q -f "$root"/migrations/0019_*.up.sql
  psql_q -f "$root"/migrations/0023_*.up.sql
  echo "round $r/$rounds done ($order)"
done
python3 - "$out/all.txt" <<'PY'
import statistics, sys
from collections import defaultdict
v = defaultdict(list)
for line in open(sys.argv[1]):
    side, key, val = line.split()
    v[(side, key)].append(float(val))
# The two sides of a round run at once (queries: one pgbench run) or back to back (ingest,
# snapshots), so the median of the per-round ratios is shown as well ("paired"): it cancels
# the load that moves both sides of a round.
print(f"\n{'benchmark':26s} {'no RLS':>20s} {'RLS (amazcope_app)':>20s} {'RLS / no RLS':>13s} {'paired':>7s}")
for key, unit in [k for k in [("ingest_batch", "pages/s"), ("ingest_single", "pages/s"), ("ingest_backfill", "pages/s"),
                  ("ingest_batch_server_cpu", "pages/cpu-s"), ("ingest_single_server_cpu", "pages/cpu-s"),
                  ("snapshots", "rows/s"), ("queries", "txn/s/client"), ("queries_prepared", "txn/s/client"),
                  ("queries_0019_policies", "txn/s/client"), ("queries_0015_policies", "txn/s/client")] if v[("rls", k[0])]]:
    a, b = statistics.median(v[("norls", key)]), statistics.median(v[("rls", key)])
    paired = f"{statistics.median(y / x for x, y in zip(v[('norls', key)], v[('rls', key)])):7.3f}"
    print(f"{key:26s} {a:>12,.1f} {unit:7s} {b:>12,.1f} {unit:7s} {b / a:>12.3f} {paired:>7s}")
print("\nruns:", {f"{s}/{k}": vals for (s, k), vals in sorted(v.items())})
PY
