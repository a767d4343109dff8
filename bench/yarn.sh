#!/usr/bin/env bash
# YARN application-mode benchmark (issue: YARN application mode), on the release binary and the Hadoop
# mini cluster (started here unless HADOOP_CONF_DIR points at a running cluster):
#  - time from the command to RUNNING and to FINISHED for a small word count, by phase (the client's own
#    timed progress lines), with the binary uploaded and with it pre-staged (yarn.provided.lib.dirs);
#  - bytes uploaded;
#  - peak RSS of the ApplicationMaster (JobManager) and of a TaskManager container process.
# Usage: cargo build --release -p flink-rs && bench/yarn.sh [runs, default 3]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${FLINK_RS_BIN:-$here/target/release/flink-rs}"
runs="${1:-3}"
work="$(mktemp -d)"
cleanup() {
  [ -n "${mc_pid:-}" ] && kill "$mc_pid" 2>/dev/null || true
  [ -n "${sampler:-}" ] && kill "$sampler" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${HADOOP_CONF_DIR:-}" ]; then
  mkdir -p "$work/conf"
  mkfifo "$work/stdin"
  (sleep 100000 > "$work/stdin" &) # keeps the mini cluster's stdin open
  "$here/tests/minicluster/run.sh" --conf-dir "$work/conf" < "$work/stdin" > "$work/mc.out" 2> "$work/mc.err" &
  mc_pid=$!
  for _ in $(seq 1 120); do grep -q "MINICLUSTER READY" "$work/mc.out" 2>/dev/null && break; sleep 1; done
  grep -q "MINICLUSTER READY" "$work/mc.out" || { echo "mini cluster did not start"; cat "$work/mc.err"; exit 1; }
  export HADOOP_CONF_DIR="$work/conf"
fi
nn_http="http://$(grep -o 'dfs.namenode.http-address</name><value>[^<]*' "$HADOOP_CONF_DIR/hdfs-site.xml" | sed 's/.*<value>//')"
user=$(id -un)
put() { curl -sS -L -X PUT -T "$1" "$nn_http/webhdfs/v1$2?op=CREATE&overwrite=true&user.name=$user" >/dev/null; }
mkd() { curl -sS -X PUT "$nn_http/webhdfs/v1$1?op=MKDIRS&permission=755&user.name=$user" >/dev/null; }

python3 -c "
import random; random.seed(3)
w=['w%d'%i for i in range(2000)]
print('\n'.join(' '.join(random.choice(w) for _ in range(10)) for _ in range(20000)))" > "$work/in.txt"
put "$work/in.txt" /bench/in.txt
mkd /bench/lib && put "$bin" /bench/lib/flink-rs

# Samples the RSS (VmHWM) of the AM and TaskManager processes of flink-rs while they run.
sample_rss() {
  while true; do
    for p in /proc/[0-9]*; do
      cmd=$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null || true)
      case "$cmd" in
        *"flink-rs yarn-application-am"*) r=$(awk '/VmHWM/{print $2}' "$p/status" 2>/dev/null); [ -n "$r" ] && echo "am $r" ;;
        *"flink-rs taskmanager"*"container_"*) r=$(awk '/VmHWM/{print $2}' "$p/status" 2>/dev/null); [ -n "$r" ] && echo "tm $r" ;;
      esac
    done
    sleep 0.2
  done
}

common=(-p 2 -Dtaskmanager.numberOfTaskSlots=2 -Djobmanager.memory.process.size=256m -Dtaskmanager.memory.process.size=256m
        -Dyarn.heartbeat.container-request-interval=200ms)
for mode in upload provided; do
  for i in $(seq 1 "$runs"); do
    extra=()
    [ "$mode" = provided ] && extra=(-Dyarn.provided.lib.dirs=hdfs:///bench/lib)
    sample_rss > "$work/rss-$mode-$i.txt" & sampler=$!
    start=$(date +%s.%N)
    "$bin" run-application "${common[@]}" "${extra[@]}" example:wordcount \
      --input hdfs:///bench/in.txt --output "hdfs:///bench/out-$mode-$i" > "$work/run.txt" 2>&1
    end=$(date +%s.%N)
    kill "$sampler" 2>/dev/null || true; sampler=
    am=$(awk '$1=="am"{if($2>m)m=$2}END{print m/1024}' "$work/rss-$mode-$i.txt")
    tm=$(awk '$1=="tm"{if($2>m)m=$2}END{print m/1024}' "$work/rss-$mode-$i.txt")
    staged=$(sed -n 's/^Staged [0-9]* files (\([^)]*\)).* in \([0-9.]* s\)$/\1 in \2/p' "$work/run.txt")
    running=$(sed -n 's/.*(deployed in \([0-9.]*\) s).*/\1/p' "$work/run.txt")
    accepted=$(sed -n 's/.* is ACCEPTED (\([0-9.]*\) s after submission).*/\1/p' "$work/run.txt")
    am_up=$(sed -n 's/.* is RUNNING (\([0-9.]*\) s after submission).*/\1/p' "$work/run.txt")
    total=$(python3 -c "print(round($end-$start,2))")
    echo "$mode run $i: staged $staged; ACCEPTED +${accepted}s, RUNNING +${am_up}s after submit; command->RUNNING ${running}s; command->FINISHED ${total}s; peak RSS AM ${am} MiB, TaskManager ${tm} MiB"
  done
done
