#!/usr/bin/env bash
# Pre-downloads everything the flink-rs minicluster needs from Maven Central, compiles the driver and writes
# target/classpath.txt. After this, tests (crates/hadoop-minicluster) and run.sh work offline: they run `java`
# directly with target/classes + target/classpath.txt, no Maven at test time.
#
# Needs: a JDK 17 (`java`, `javac`) and Maven 3.8+ (`mvn`) on PATH, and Maven Central reachable (first run only).
set -euo pipefail
cd "$(dirname "$0")"

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "setup.sh: '$tool' not found on PATH; install a JDK 17 and Maven 3.8+ (Debian: apt-get install openjdk-17-jdk-headless maven)" >&2
    exit 1
  fi
done

start=$(date +%s)
mkdir -p target
log=target/setup.log
: > "$log"
mvn_quiet() {
  # Maven's output (and the stray colour codes Debian's Maven prints even with -q -B) goes to the log
  if ! mvn -B -q -Dstyle.color=never "$@" >> "$log" 2>&1; then
    echo "setup.sh: mvn $* failed; last lines of tests/minicluster/$log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}
# resolve + compile, then the runtime classpath of the driver (one line, ':'-separated jar paths)
mvn_quiet dependency:resolve dependency:resolve-plugins compile
mvn_quiet dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
test -s target/classpath.txt
test -f target/classes/org/flinkrs/minicluster/Main.class
echo "setup.sh: minicluster ready to run ($(tr ':' '\n' < target/classpath.txt | wc -l) jars, $(( $(date +%s) - start )) s)"
