//! # flink-examples
//!
//! Built-in example programs: wordcount, event-time windows, socket window word count, Nexmark.
