#!/usr/bin/env bash
# Starts the flink-rs minicluster (MiniDFSCluster + MiniYARNCluster with 2 NodeManagers, optionally MiniKdc) in the
# foreground. Ctrl-C, SIGTERM or closing stdin (EOF) stops it.
#
#   tests/minicluster/run.sh [--secure] --conf-dir DIR [--work-dir DIR] [--nodemanagers N] [--nn-port PORT]
#                            [--cleanup] [--set key=value]...
#
# Once up it prints one line "MINICLUSTER READY conf_dir=... fs=hdfs://... rm=... ..." and writes core-site.xml,
# hdfs-site.xml, yarn-site.xml and minicluster.properties (and in secure mode krb5.conf + minicluster.keytab) to
# the conf dir; use them with e.g. `export HADOOP_CONF_DIR=DIR`. Logs: <work-dir>/minicluster.log.
# The work dir defaults to tests/minicluster/target/run (wiped at each start).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

# Build if needed (first run, or the driver source changed since the last build).
main_class="$here/target/classes/org/flinkrs/minicluster/Main.class"
if [[ ! -s "$here/target/classpath.txt" || ! -f "$main_class" \
      || -n "$(find "$here/src" "$here/pom.xml" -newer "$main_class" -print -quit)" ]]; then
  echo "run.sh: building the minicluster driver (tests/minicluster/setup.sh)..." >&2
  "$here/setup.sh" >&2
fi

args=("$@")
work_dir=""
conf_dir=""
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --work-dir) work_dir="${args[$((i + 1))]:-}" ;;
    --conf-dir) conf_dir="${args[$((i + 1))]:-}" ;;
  esac
done
if [[ -z "$conf_dir" ]]; then
  echo "usage: $0 [--secure] --conf-dir DIR [--work-dir DIR] [--nodemanagers N] [--nn-port PORT] [--set k=v]..." >&2
  exit 2
fi
if [[ -z "$work_dir" ]]; then
  work_dir="$here/target/run"
  rm -rf "$work_dir"
  args+=(--work-dir "$work_dir")
fi
mkdir -p "$work_dir/jvm-tmp"
work_dir="$(cd "$work_dir" && pwd)"
cd "$work_dir" # MiniYARNCluster keeps its NodeManager dirs under ./target

# NodeManagers pass HADOOP_CONF_DIR (whitelisted) on to containers, as on a real cluster
mkdir -p "$conf_dir"
export HADOOP_CONF_DIR="$(cd "$conf_dir" && pwd)"

exec java @"$here/jvm.options" \
  -Dminicluster.log.file="$work_dir/minicluster.log" \
  -Djava.io.tmpdir="$work_dir/jvm-tmp" \
  -cp "$here/target/classes:$(cat "$here/target/classpath.txt")" \
  org.flinkrs.minicluster.Main "${args[@]}"
