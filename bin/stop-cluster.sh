#!/usr/bin/env bash
# Stops the cluster started by bin/start-cluster.sh (TaskManagers first, then the JobManager).
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
log_dir="${FLINK_RS_LOG_DIR:-$here/log}"
shopt -s nullglob
for f in "$log_dir"/taskmanager-*.pid "$log_dir"/jobmanager.pid; do
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid" && echo "Stopping $(basename "$f" .pid) (pid $pid)"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$f"
done
