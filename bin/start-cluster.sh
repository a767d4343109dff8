#!/usr/bin/env bash
# Starts a standalone flink-rs cluster on this host: one JobManager and N TaskManagers
# (N = number of lines in conf/workers, else $FLINK_RS_TASKMANAGERS, else 1).
# Extra arguments (e.g. -D taskmanager.numberOfTaskSlots=4) go to every process.
# The binary is $FLINK_RS_BIN, else target/release/flink-rs, else target/debug/flink-rs, else `flink-rs` on PATH.
# To run your own job bundle's code on the cluster, set FLINK_RS_BIN to the bundle executable.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
script=start-cluster.sh
. "$here/bin/find-binary.sh"
export FLINK_CONF_DIR="${FLINK_CONF_DIR:-$here/conf}"
log_dir="${FLINK_RS_LOG_DIR:-$here/log}"
mkdir -p "$log_dir"
n="${FLINK_RS_TASKMANAGERS:-}"
if [ -z "$n" ] && [ -f "$FLINK_CONF_DIR/workers" ]; then
  n="$(grep -cv '^\s*\(#\|$\)' "$FLINK_CONF_DIR/workers" || true)"
fi
n="${n:-1}"; [ "$n" -ge 1 ] 2>/dev/null || n=1

nohup "$bin" jobmanager "$@" >"$log_dir/jobmanager.log" 2>&1 &
echo $! >"$log_dir/jobmanager.pid"
echo "Starting JobManager (pid $!), log $log_dir/jobmanager.log"
for i in $(seq 1 "$n"); do
  nohup "$bin" taskmanager "$@" >"$log_dir/taskmanager-$i.log" 2>&1 &
  echo $! >"$log_dir/taskmanager-$i.pid"
  echo "Starting TaskManager $i (pid $!), log $log_dir/taskmanager-$i.log"
done
