//! # flink-examples
//!
//! The example programs built into flink-rs, run as `example:<name>`:
//!
//! | name | what it does |
//! |---|---|
//! | `example:wordcount` | counts words of `--input` (or a bundled text) into `--output` |
//! | `example:windowed` | event-time tumbling windows over out-of-order generated events |
//! | `example:socket-window-wordcount` | word counts per 5 s processing-time window over `--hostname`/`--port` |
//! | `example:nexmark-q0` ... `example:nexmark-q8` | the Nexmark queries (see `flink-nexmark`) with a blackhole sink |
//!
//! Each is an ordinary program against the public DataStream API, the same
//! way a user writes a job bundle.

pub mod nexmark;
pub mod socket;
pub mod windowed;
pub mod wordcount;

use flink_streaming::ProgramRegistry;

/// Registers every built-in example under `example:<name>`.
pub fn register_examples(registry: &mut ProgramRegistry) {
    registry.register(
        "example:wordcount",
        "counts words of --input (default: a bundled text) into --output (default: print)",
        wordcount::wordcount,
    );
    registry.register(
        "example:windowed",
        "event-time tumbling windows over out-of-order events (--events N, --output DIR)",
        windowed::windowed_event_time,
    );
    registry.register(
        "example:socket-window-wordcount",
        "word counts per 5 s window of lines from --hostname/--port",
        socket::socket_window_wordcount,
    );
    nexmark::register(registry);
}
