#!/usr/bin/env bash
# Webhook deliveries per second through the outbox (claim, send with 64 in flight, record)
# beside ../shared/bench's Apprise and aiohttp, all posting to the same loopback receiver
# (`run.sh deliver --serve PORT`, a Python ThreadingHTTPServer), measured in the same run;
# then the time from an alert's commit to its webhook's arrival with a running delivery
# loop (as in `amazcope worker`), median and p99.
#
#   benches/deliver_compare.sh [MESSAGES] [LATENCY_SAMPLES]     (default 2000 100)
# Needs DATABASE_URL (a PostgreSQL server; a bench database is created and dropped).
# BENCH_PROFILE=dev uses the dev build (dependencies at opt-level 1) instead of release.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:-2000}; k=${2:-100}
shared=$(cd ../shared && pwd)
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server}"
out=$(mktemp -d)
if [ "${BENCH_PROFILE:-release}" = dev ]; then
  cargo build --quiet --workspace --all-targets; bin=target/debug/deliver_rate
else
  cargo build --release --quiet -p amazcope-benches --bin deliver_rate; bin=target/release/deliver_rate
fi

echo "== baseline: ../shared/bench/run.sh deliver --messages $n --reps 2"
"$shared/bench/run.sh" deliver --messages "$n" --reps 2 | tee "$out/anchor.txt"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "== ours to the same receiver: run.sh deliver --serve $port"
"$shared/bench/run.sh" deliver --serve "$port" --seconds 600 > "$out/serve.txt" 2>&1 &
serve=$!
trap 'kill $serve 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break
  sleep 0.2
done
"$bin" "$n" "http://127.0.0.1:$port/hook" "$k" | tee "$out/ours.txt"

python3 - "$out/anchor.txt" "$out/ours.txt" <<'PY'
import re, sys
anchor = open(sys.argv[1]).read(); ours = open(sys.argv[2]).read()
rate = lambda name: float(re.search(rf"^{name}\s.*?([\d.]+) msgs/s", anchor, re.M).group(1))
v = float(re.search(r"^rate_deliveries_per_sec (\d+)", ours, re.M).group(1))
print()
for name in ["apprise_json", "aiohttp_c64"]:
    b = rate(name)
    print(f"amazcope outbox {v:8,.0f} deliveries/s  vs {name:13s} {b:8,.0f} msgs/s  ratio {v/b:5.2f}x")
med = re.search(r"^latency_median_ms (\d+)", ours, re.M).group(1)
p99 = re.search(r"^latency_p99_ms (\d+)", ours, re.M).group(1)
print(f"commit -> webhook arrival with a running delivery loop: median {med} ms, p99 {p99} ms")
PY
