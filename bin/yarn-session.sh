#!/usr/bin/env bash
# Starts a flink-rs session cluster on YARN (Flink's yarn-session.sh), or attaches to one:
#   bin/yarn-session.sh [-jm 1024m] [-tm 1728m] [-s 2] [-d] [-nm name] [-qu queue] [-at type] [-nl label]
#                       [-t shipFile]... [-j binaryOrBundle] [-id applicationId] [-D key=value]...
# Attached (no -d): type 'stop' to stop the session. Stop a detached one: echo stop | bin/yarn-session.sh -id <appId>
# Needs HADOOP_CONF_DIR (or YARN_CONF_DIR). The session runs -j (default: this flink-rs binary); give a job
# bundle to run its programs in the session.
# The binary is $FLINK_RS_BIN, else target/release/flink-rs, else target/debug/flink-rs, else `flink-rs` on PATH.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
script=yarn-session.sh
. "$here/bin/find-binary.sh"
export FLINK_CONF_DIR="${FLINK_CONF_DIR:-$here/conf}"
exec "$bin" yarn-session "$@"
