//! # flink-config
//!
//! Flink configuration: config.yaml / flink-conf.yaml loading, -D overrides, typed options with validation, memory sizes and durations.
