//! # flink-state
//!
//! Keyed state backend (heap), partitioned by key groups, with snapshot and restore.
