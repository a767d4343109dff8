#!/usr/bin/env bash
# Runs the whole flink-rs test suite on this machine, installing what it needs first:
# a JDK 17 and Maven (Debian packages) for the real Hadoop mini cluster, and the mini cluster's
# Maven artifacts (tests/minicluster/setup.sh). Then builds the flink-rs binary (the standalone and
# YARN tests start it as separate processes) and runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
command -v kinit >/dev/null 2>&1 || need_apt+=(krb5-user)   # kinit + libgssapi-krb5 for the secure mini cluster
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "run-all: installing ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

echo "run-all: preparing the Hadoop mini cluster (tests/minicluster/setup.sh)"
bash tests/minicluster/setup.sh

echo "run-all: building flink-rs"
cargo build -p flink-rs

echo "run-all: running the tests"
cargo test --workspace --no-fail-fast
