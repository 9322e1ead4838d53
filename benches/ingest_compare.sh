#!/usr/bin/env bash
# Refresh-pipeline throughput beside the original's per-scrape write path, measured in the
# same run: ../shared/bench's a0_orm_per_scrape (SQLAlchemy ORM, one row and two commits per
# scrape) against our ingest_rate (parsed pages → product, snapshot, categories, alerts and
# notifications for two users; batch = one transaction per day of PRODUCTS pages, single =
# one transaction per page, backfill = five days of PRODUCTS pages per transaction into a
# fresh database). Prints pages/s and the ratios.
#
#   benches/ingest_compare.sh [PRODUCTS DAYS]      (default 500 40)
# Needs DATABASE_URL (ours) and PG_ANCHOR_DSN or the default anchors database (baseline).
#
#   benches/ingest_compare.sh rollups [ROUNDS [PRODUCTS DAYS]]   (default 5, 500 40)
# What the daily rollups cost the ingest (issue 15: batch ingest keeps >= 90% of its
# throughput): ingest_rate built twice in release, with the rollup statement
# (`write::rollups::merge`) and without it (feature bench-no-rollups, a benchmark-only
# build), then ROUNDS alternating runs of the two back to back; prints each run and the
# medians, and the ratio with/without per shape.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ "${1:-}" == rollups ]]; then
  rounds=${2:-5}; products=${3:-500}; days=${4:-40}
  : "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server}"
  out=$(mktemp -d)
  bin=target/release/ingest_rate
  echo "== building ingest_rate without rollups (bench-no-rollups), then with"
  cargo build --release --quiet -p amazcope-benches --bin ingest_rate --features bench-no-rollups
  cp "$bin" "$out/ingest_rate_without"
  cargo build --release --quiet -p amazcope-benches --bin ingest_rate
  cp "$bin" "$out/ingest_rate_with"
  echo "== $rounds alternating rounds of $products products x $days days; load: $(cut -d' ' -f1-3 /proc/loadavg)"
  for r in $(seq 1 "$rounds"); do
    for side in without with; do
      "$out/ingest_rate_$side" "$products" "$days" 1 > "$out/$side.$r.txt"
      printf 'round %s %-8s %s\n' "$r" "$side" "$(grep -E '^(batch|backfill|single)_pages_per_sec' "$out/$side.$r.txt" | tr '\n' ' ')"
    done
  done
  echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  python3 - "$out" "$rounds" <<'PY'
import re, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def runs(side, key):
    found = [re.search(rf"^{key} ([\d.]+)", open(f"{out}/{side}.{r}.txt").read(), re.M)
             for r in range(1, rounds + 1)]
    return [float(m.group(1)) for m in found] if all(found) else None
for key in ["batch_pages_per_sec", "backfill_pages_per_sec", "single_pages_per_sec",
            "batch_client_cpu_ms_per_day", "batch_server_cpu_ms_per_day"]:
    a, b = runs("without", key), runs("with", key)
    if a is None or b is None:
        continue  # CPU figures need the server's /proc (a server on this machine)
    # Per round (back to back), then the median of those ratios.
    ratios = [y / x for x, y in zip(a, b)]
    print(f"{key:30s} without {statistics.median(a):9.1f}  with {statistics.median(b):9.1f}  "
          f"with/without median of per-round ratios {statistics.median(ratios):.3f} "
          f"({', '.join(f'{r:.3f}' for r in ratios)})")
PY
  exit 0
fi

products=${1:-500}; days=${2:-40}
shared=$(cd ../shared && pwd)
out=$(mktemp -d)
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server for our side}"

echo "== baseline: ../shared/bench/run.sh pg --products $products --days $days --reps 1"
BENCH_OUT="$out" "$shared/bench/run.sh" pg --products "$products" --days "$days" --reps 1 \
  > "$out/anchor.log" 2>&1 || { cat "$out/anchor.log"; exit 1; }

echo "== ours: ingest_rate $products $days (release build)"
cargo run --release --quiet -p amazcope-benches --bin ingest_rate -- "$products" "$days" 1 | tee "$out/ours.txt"

python3 - "$out/pg_anchor_results.md" "$out/ours.txt" <<'PY'
import re, sys
md = open(sys.argv[1]).read()
ours = open(sys.argv[2]).read()
base = None
for line in md.splitlines():
    if line.startswith("| a0_orm_per_scrape |"):
        base = float(line.strip("|").split("|")[2].strip().replace(",", ""))
if base is None:
    raise SystemExit("a0_orm_per_scrape not in the baseline's results")
print(f"\nbaseline a0_orm_per_scrape: {base:,.0f} scrapes/s (snapshot row only, no alerts)")
for key, what in [("batch", "batch (1 txn per day of pages)"), ("backfill", "backfill (5 days of pages per txn)"),
                  ("single", "single (1 txn per page)"), ("parse_batch", "parse HTML + batch")]:
    v = float(re.search(rf"^{key}_pages_per_sec (\d+)", ours, re.M).group(1))
    print(f"{what:34s} {v:>9,.0f} pages/s  ratio {v/base:6.1f}x")
PY
