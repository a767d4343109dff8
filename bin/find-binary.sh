# Sourced by the bin/ scripts: sets $bin to the flink-rs binary to run: $FLINK_RS_BIN, else
# target/release/flink-rs, else target/debug/flink-rs, else `flink-rs` on PATH; exits with a hint if none.
# Expects $here (the repository root) and $script (the caller's name, for the message).
bin="${FLINK_RS_BIN:-}"
if [ -z "$bin" ]; then
  for c in "$here/target/release/flink-rs" "$here/target/debug/flink-rs"; do
    [ -x "$c" ] && { bin="$c"; break; }
  done
fi
[ -n "$bin" ] || bin="$(command -v flink-rs || true)"
if [ -z "$bin" ]; then
  echo "$script: no flink-rs binary found; build it with 'cargo build --release' or set FLINK_RS_BIN" >&2
  exit 1
fi
