#!/usr/bin/env bash
# Foundation benchmarks (issue: foundation), on the release binary:
#  1. WordCount throughput on the local runtime at parallelism 2: words/s and words/s per CPU-core-second.
#  2. Idle RSS of a standalone TaskManager.
#  3. Time from `flink-rs run -t remote -d` to the job RUNNING on a warm standalone cluster.
# Usage: cargo build --release -p flink-rs && bench/foundation.sh [MB of text, default 64]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${FLINK_RS_BIN:-$here/target/release/flink-rs}"
mb="${1:-64}"
work="$(mktemp -d)"; trap 'rm -rf "$work"; [ -n "${jm:-}" ] && kill $jm $tm 2>/dev/null || true' EXIT
cd "$work"

# 1. WordCount
python3 - "$mb" > input.txt <<'PY'
import sys, random
random.seed(7)
words = [w.strip() for w in open('/usr/share/dict/words')] if False else None
vocab = ["w%d" % i for i in range(50000)]
target = int(sys.argv[1]) * 1024 * 1024
out, n = [], 0
while n < target:
    line = " ".join(random.choice(vocab) if random.random() < .5 else vocab[int(random.paretovariate(1.2)) % 100] for _ in range(12))
    out.append(line); n += len(line) + 1
    if len(out) >= 10000:
        sys.stdout.write("\n".join(out) + "\n"); out = []
sys.stdout.write("\n".join(out) + "\n")
PY
words=$(wc -w < input.txt)
/usr/bin/time -f "%e %U %S %M" -o time.txt "$bin" run -t local -p 2 example:wordcount --input input.txt --output out >/dev/null
read -r wall user sys maxrss < time.txt
cpu=$(python3 -c "print($user + $sys)")
echo "wordcount p=2: ${mb} MiB, ${words} words in ${wall} s wall, ${cpu} s CPU, peak RSS $((maxrss/1024)) MiB"
python3 -c "print('  throughput: %.2f M words/s; %.2f M words/s per core (CPU-seconds)' % ($words/$wall/1e6, $words/$cpu/1e6))"

# 2 + 3. Standalone cluster
rpc=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
rest=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
D=(-D jobmanager.rpc.address=127.0.0.1 -D jobmanager.rpc.port=$rpc -D rest.address=127.0.0.1 -D rest.port=$rest -D taskmanager.host=127.0.0.1 -D taskmanager.numberOfTaskSlots=2)
"$bin" jobmanager "${D[@]}" > jm.log 2>&1 & jm=$!
until curl -sf "http://127.0.0.1:$rest/overview" >/dev/null; do sleep 0.05; done
"$bin" taskmanager "${D[@]}" > tm.log 2>&1 & tm=$!
until curl -sf "http://127.0.0.1:$rest/overview" | grep -q '"slots-total":2'; do sleep 0.05; done
sleep 2
echo "standalone TaskManager idle RSS: $(awk '/VmRSS/{print $2/1024 " MiB"}' /proc/$tm/status)"
echo "standalone JobManager idle RSS: $(awk '/VmRSS/{print $2/1024 " MiB"}' /proc/$jm/status)"
"$bin" run -d -m 127.0.0.1:$rest example:wordcount >/dev/null   # warm-up
for i in 1 2 3 4 5; do
  start=$(date +%s%N)
  # a job that stays up: the generator-based windowed example with a rate limit
  id=$("$bin" run -d -m 127.0.0.1:$rest example:windowed --events 100000000 --rate 1000 | awk '/JobID/{print $NF}')
  until curl -sf "http://127.0.0.1:$rest/jobs/$id" | grep -q '"state":"RUNNING"'; do sleep 0.005; done
  end=$(date +%s%N)
  echo "  run -t remote -> RUNNING: $(( (end-start)/1000000 )) ms"
  "$bin" cancel -m 127.0.0.1:$rest "$id" >/dev/null
  sleep 0.5
done
