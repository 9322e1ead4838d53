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
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
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
