#!/usr/bin/env bash
# Archive figures (issue 15): bytes per snapshot in PostgreSQL (heap, and with indexes and
# TOAST) against bytes per snapshot in the archive's Parquet (zstd), and archive throughput
# (rows/s of `amazcope db partitions --archive`, which writes, reads back and checks).
#   N            snapshots to generate in March 2025 (default 200000)
#   DATABASE_URL a server to create a scratch database on (default the local test server)
# Uses target/debug/amazcope unless AMAZCOPE_BIN is set (a release build archives faster).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n="${N:-200000}"
server="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
bin="${AMAZCOPE_BIN:-target/debug/amazcope}"
db="amazcope_archive_figures_$$"
base="${server%/*}"
admin="$base/postgres"
psql -q "$admin" -c "CREATE DATABASE $db"
trap 'psql -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"; rm -rf "$dir"' EXIT
dir=$(mktemp -d)
url="$base/$db"
DATABASE_URL="$url" "$bin" db upgrade --no-backup >/dev/null
# 100 products, snapshots spread over March 2025, values like a scraped page's.
psql -q "$url" <<SQL
INSERT INTO products (asin, marketplace, title, url, currency)
SELECT 'B0ARCH' || lpad(i::text, 4, '0'), 'com', 'Product ' || i, 'https://www.amazon.com/dp/B0ARCH' || lpad(i::text, 4, '0'), 'USD'
FROM generate_series(1, 100) i;
INSERT INTO product_snapshots (product_id, scraped_at, price, original_price, currency, discount_percentage,
    bsr_main_category, main_category_name, rating, review_count, in_stock, stock_status, seller_name,
    is_amazon_seller, is_fba, is_prime, amazons_choice_keywords, has_amazons_choice, delivery_message,
    price_quality, list_price_quality, bsr_quality, rating_quality, review_count_quality, stock_quality)
SELECT p.id, timestamptz '2025-03-01' + (g * interval '1 second' * (2678400 / ($n / 100))),
    round((10 + random() * 90)::numeric, 2), 129.99, 'USD', 12.5, (1000 + random() * 50000)::int,
    'Kitchen & Dining', 4.5, 1000 + g, true, 'In Stock', 'Amazon.com', true, true, true,
    '["kettle"]'::jsonb, g % 10 = 0, 'FREE delivery Tuesday, March 4', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'
FROM products p, generate_series(1, $n / 100) g;
ANALYZE product_snapshots_2025_03;
SQL
rows=$(psql -tA "$url" -c "SELECT count(*) FROM product_snapshots_2025_03")
heap=$(psql -tA "$url" -c "SELECT pg_relation_size('product_snapshots_2025_03')")
total=$(psql -tA "$url" -c "SELECT pg_total_relation_size('product_snapshots_2025_03')")
start=$(date +%s.%N)
DATABASE_URL="$url" "$bin" db partitions --retention-days 90 --archive "$dir" >/dev/null
end=$(date +%s.%N)
bytes=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['bytes'])" "$dir/product_snapshots_2025_03.manifest.json")
python3 - "$rows" "$heap" "$total" "$bytes" "$start" "$end" <<'PY'
import sys
rows, heap, total, pq = map(int, sys.argv[1:5])
secs = float(sys.argv[6]) - float(sys.argv[5])
print(f"rows                 {rows}")
print(f"postgres heap        {heap / rows:8.1f} bytes/snapshot")
print(f"postgres with index  {total / rows:8.1f} bytes/snapshot")
print(f"parquet (zstd)       {pq / rows:8.1f} bytes/snapshot  ({total / pq:.1f}x smaller than heap+indexes)")
print(f"archive run          {secs:8.2f} s for every expired month ({rows / secs:,.0f} rows/s incl. read-back)")
PY
