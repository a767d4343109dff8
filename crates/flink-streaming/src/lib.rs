//! # flink-streaming
//!
//! The DataStream API, operators, windows and timers, operator chaining and the stream task that runs a chain.
