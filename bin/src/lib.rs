//! # flink-rs
//!
//! The flink-rs multi-call binary and library: every role (client, JobManager, TaskManager, YARN AM, local) in one executable; user job bundles link it.
