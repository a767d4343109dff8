#!/usr/bin/env bash
# Nexmark on the local runtime: one `flink-rs bench nexmark` process per query, printed as a markdown table.
# Usage: cargo build --release -p flink-rs && bench/nexmark.sh [events, default 10000000] [parallelism, default 2] [extra bench args...]
# Example with a throttled source for latency: bench/nexmark.sh 2000000 2 --rate 1000000 --event-rate 1000000
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${FLINK_RS_BIN:-${CARGO_TARGET_DIR:-$here/target}/release/flink-rs}"
events="${1:-10000000}"; p="${2:-2}"; shift $(( $# > 2 ? 2 : $# ))
echo "| query | events/s | events/s per core | CPU s | wall s | peak RSS MiB | latency p50 ms | latency p99 ms |"
echo "|---|---|---|---|---|---|---|---|"
for q in q0 q1 q2 q3 q4 q5 q7 q8; do
  "$bin" bench nexmark --query "$q" --events "$events" -p "$p" --json "$@" | python3 -c '
import json, sys
r = json.load(sys.stdin)
def f(v, d=1):
    return "n/a" if v is None else "%.*f" % (d, v)
print("| %s | %.2f M | %.2f M | %s | %s | %s | %s | %s |" % (r["query"], r["events_per_second"] / 1e6,
      r["events_per_second_per_core"] / 1e6, f(r["cpu_seconds"], 2), f(r["wall_seconds"], 2),
      f(r["peak_rss_mib"]), f(r["latency_p50_ms"]), f(r["latency_p99_ms"])))'
done
