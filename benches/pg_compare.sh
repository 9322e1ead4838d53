#!/usr/bin/env bash
# Batch snapshot ingest, ours beside the ../shared/bench baselines measured in the same run:
# asyncpg binary COPY of all rows (c2_copy_binary_all) and SQLAlchemy Core executemany
# (b2_core_executemany_b10k), plain and partitioned tables. Prints rows/s and ratios.
#
#   benches/pg_compare.sh [PRODUCTS DAYS REPS]     (default 2000 100 3, as the anchors)
# Needs a PostgreSQL server: DATABASE_URL for ours, PG_ANCHOR_DSN (default
# postgresql://postgres@127.0.0.1:5432/anchors) for the baselines.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
products=${1:-2000}; days=${2:-100}; reps=${3:-3}
shared=$(cd ../shared && pwd)
out=$(mktemp -d)
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server for our side}"

echo "== baselines (../shared/bench/run.sh pg), $products products x $days days, $reps reps"
BENCH_OUT="$out" "$shared/bench/run.sh" pg --products "$products" --days "$days" --reps "$reps" \
  --query-runs 1 --per-scrape 50 --skip a_orm_add_commit_b100,b1_core_executemany_b100,c1_copy_binary_b100 \
  > "$out/anchor.log" 2>&1 || { cat "$out/anchor.log"; exit 1; }

echo "== ours (insert_snapshots, release build)"
cargo run --release --quiet -p amazcope-benches --bin snapshot_rate -- "$products" "$days" "$reps" | tee "$out/ours.txt"

python3 - "$out/pg_anchor_results.md" "$out/ours.txt" <<'PY'
import re, sys
md = open(sys.argv[1]).read()
ours = float(re.search(r"median_rows_per_sec (\d+)", open(sys.argv[2]).read()).group(1))
def rate(key, col):
    for line in md.splitlines():
        if line.startswith(f"| {key} |"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            return float(cells[col].replace(",", ""))
    raise SystemExit(f"{key} not in the anchors' results")
rows = [("c2_copy_binary_all", "asyncpg binary COPY, one COPY"), ("b2_core_executemany_b10k", "SQLAlchemy Core executemany 10k")]
print(f"\nours: insert_snapshots (partitioned, idempotent, one transaction): {ours:,.0f} rows/s")
for key, what in rows:
    plain, part = rate(key, 2), rate(key, 5)
    print(f"{what:38s} plain {plain:>9,.0f} rows/s  ratio {ours/plain:5.2f}x | partitioned {part:>9,.0f} rows/s  ratio {ours/part:5.2f}x")
PY
