#!/usr/bin/env bash
# Load on `amazcope serve` (issue 19): 50 concurrent clients on the product list and history
# endpoints for 30 s, 500 products x 90 days (the last 90) stored. Prints requests/s and p50/p90/p99 per
# endpoint (target p99 < 50 ms on 2 cores). Release build.
#
#   benches/serve_load.sh [SECONDS CLIENTS PRODUCTS DAYS]   (default 30 50 500 90)
# Needs DATABASE_URL of an administrator (a throwaway database is created on that server and
# dropped). The service runs as amazcope_app, a role held to row-level security that
# scripts/test-db-roles makes, as a deployment's login role is; SERVE_LOAD_AS_ADMIN=1 runs it
# as DATABASE_URL's own role instead (a superuser passes around every policy).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server}"
url=$DATABASE_URL
[ -n "${SERVE_LOAD_AS_ADMIN:-}" ] || url=$(scripts/test-db-roles "$DATABASE_URL")
# Build first, so the load figures below are not taken while the compiler runs.
cargo build --release --quiet -p amazcope-benches --bin serve_load
# The machine may be shared: its load before and after the run goes with the figures.
echo "before: $(nproc) cores, uptime: $(uptime)"
echo "service's role: $(sed -E 's|^[a-z]+://([^:@/]*).*|\1|' <<<"$url")"
DATABASE_URL=$url "${CARGO_TARGET_DIR:-target}/release/serve_load" "${1:-30}" "${2:-50}" "${3:-500}" "${4:-90}"
echo "after: uptime: $(uptime)"
