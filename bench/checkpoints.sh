#!/usr/bin/env bash
# Checkpoint benchmarks (issue: checkpoints), on a release build of the integration-test bundle:
#  1. Checkpoint duration (trigger -> _metadata written) and size for keyed state at parallelism 2
#     on a standalone cluster of two TaskManagers. By default keyed running counts over KEYS keys
#     (default 9.5 M, ~11 bytes each, ~100 MB), every update also written by the exactly-once file
#     sink. With VALUE_BYTES=B, the `large-state` program instead keeps the latest B-byte value
#     for each of KEYS keys (e.g. KEYS=9000000 VALUE_BYTES=100 for ~1 GB), emitting nothing.
#  2. Time from `kill -9` of a TaskManager to the job running again from the latest checkpoint
#     (heartbeat.timeout=10 s here).
# Environment: CKDIR (checkpoint directory; default file://<tmp>/ck, e.g. hdfs://host:port/ck with
# HADOOP_CONF_DIR set), INTERVAL (5s), TARGET_MB (100), RATE (records/s, 300000).
# Usage: cargo build --release -p flink-it --bin flink-it-bundle && bench/checkpoints.sh [KEYS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${FLINK_IT_BUNDLE:-${CARGO_TARGET_DIR:-$here/target}/release/flink-it-bundle}"
keys="${1:-9500000}"
events=$((keys * 2))
work="$(mktemp -d)"
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
cd "$work"
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
rpc=$(port); rest=$(port)
D=(-D jobmanager.rpc.address=127.0.0.1 -D jobmanager.rpc.port=$rpc -D rest.address=127.0.0.1
   -D rest.port=$rest -D taskmanager.host=127.0.0.1 -D taskmanager.numberOfTaskSlots=1
   -D heartbeat.interval=1s -D heartbeat.timeout=10s)
get() { curl -sf "http://127.0.0.1:$rest$1" || true; }
"$bin" jobmanager "${D[@]}" > jm.log 2>&1 & pids+=($!)
until get /overview >/dev/null && [ -n "$(get /overview)" ]; do sleep 0.2; done
start_tm() { "$bin" taskmanager "${D[@]}" > "tm-$1.log" 2>&1 & pids+=($!); tms[$1]=$!; }
declare -a tms
start_tm 0; start_tm 1
until [ "$(get /overview | python3 -c 'import json,sys;print(json.load(sys.stdin)["slots-total"])' 2>/dev/null)" = 2 ]; do sleep 0.2; done

ckdir="${CKDIR:-file://$work/ck}"
interval="${INTERVAL:-5s}"
common=(-d -m "127.0.0.1:$rest" -p 2 -D "execution.checkpointing.interval=$interval"
  -D "execution.checkpointing.dir=$ckdir" -D execution.checkpointing.timeout=10min
  -D execution.checkpointing.externalized-checkpoint-retention=RETAIN_ON_CANCELLATION)
if [ -n "${VALUE_BYTES:-}" ]; then
  out=$("$bin" run "${common[@]}" large-state --keys "$keys" --value-bytes "$VALUE_BYTES" \
    --events $((keys * 100)) --rate "${RATE:-300000}")
  what="$keys keys x $VALUE_BYTES-byte values"
else
  out=$("$bin" run "${common[@]}" exactly-once-counts --events "$events" --keys "$keys" \
    --rate "${RATE:-300000}" --output "$work/out")
  what="$keys keys, running counts (each update also written by the exactly-once file sink)"
fi
job=$(sed -n 's/.*submitted with JobID \([0-9a-f]*\).*/\1/p' <<<"$out")
echo "job $job: $what at parallelism 2, checkpoint every $interval to $ckdir"

ckjson() { get "/jobs/$job/checkpoints"; }
completed() { ckjson | python3 -c 'import json,sys;print(json.load(sys.stdin)["counts"]["completed"])' 2>/dev/null || echo 0; }
latest_mb() { ckjson | python3 -c 'import json,sys;c=json.load(sys.stdin)["latest"]["completed"];print(int((c or {}).get("state_size",0)/1e6))' 2>/dev/null || echo 0; }
# Wait until a completed checkpoint holds >= TARGET_MB (default 100) of state.
target="${TARGET_MB:-100}"
deadline=$((SECONDS + 600))
until [ "$(latest_mb)" -ge "$target" ]; do
  [ $SECONDS -lt $deadline ] || { echo "state did not reach $target MB"; break; }
  sleep 0.5
done
ckjson | python3 -c '
import json, sys
c = json.load(sys.stdin)
for h in sorted(c["history"], key=lambda h: h["id"]):
    if h["status"] == "COMPLETED":
        print("  checkpoint %3d: %7.1f MB state, %5d ms trigger -> _metadata written" % (h["id"], h["state_size"] / 1e6, h["end_to_end_duration"]))
'
if [ -z "${CKDIR:-}" ]; then
  latest=$(ls -d "$work/ck/$job"/chk-* | sort -t- -k2 -n | tail -1)
  echo "  on disk: $(du -sh "$latest" | cut -f1) in $latest ($(ls "$latest" | wc -l) files)"
fi

# 2. Kill a TaskManager: time until every task runs again, restored from the latest checkpoint.
t0=$(date +%s.%N)
kill -9 "${tms[1]}"; start_tm 2
python3 - "$rest" "$job" "$t0" <<'PY'
import json, sys, time, urllib.request
rest, job, t0 = sys.argv[1], sys.argv[2], float(sys.argv[3])
def get(p):
    try:
        return json.load(urllib.request.urlopen("http://127.0.0.1:%s%s" % (rest, p), timeout=2))
    except Exception:
        return {}
seen_fail = False
while time.time() - t0 < 180:
    j = get("/jobs/" + job)
    if j.get("state") in ("RESTARTING", "FAILING"):
        seen_fail = True
    c = get("/jobs/%s/checkpoints" % job)
    restored = c.get("counts", {}).get("restored", 0)
    vs = j.get("vertices", [])
    if restored >= 1 and vs and all(v["status"] == "RUNNING" for v in vs):
        r = c["latest"]["restored"]
        print("  TaskManager kill -> all tasks RUNNING from checkpoint %d: %.2f s" % (r["id"], time.time() - t0))
        break
    time.sleep(0.05)
else:
    print("  job did not recover within 180 s")
PY
