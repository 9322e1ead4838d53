#!/usr/bin/env bash
# Parse throughput of amazcope beside the Python baselines, in the same run, over the same
# product pages (those naming `productTitle`, as ../shared/bench/parse_anchor.py selects).
#   benches/parse_compare.sh [PAGES_DIR]
# Prints each tool's pages/s and MB/s, then the ratios amazcope / baseline.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pages="${1:-$root/../shared/fixtures/pages}"
cd "$root"
cargo build --release -q -p amazcope-scrape --example parse_timing
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
"$root/../shared/bench/run.sh" parse "$pages" | tee "$out"
"$root/target/release/examples/parse_timing" --product-only --repeat 5 "$pages" | tee -a "$out"
python3 - "$out" <<'PY'
import re, sys
rates = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\S+)\s+(\d+) pages .* ([\d.]+) pages/s\s+([\d.]+) MB/s", line)
    if m:
        rates[m.group(1)] = float(m.group(3))
ours = rates.get("amazcope")
if not ours:
    sys.exit("no amazcope figure")
for name, r in rates.items():
    if name != "amazcope":
        print(f"amazcope / {name}: {ours / r:.1f}x")
PY
