//! # flink-client
//!
//! The flink-rs command line: run, run-application, list, cancel, info; REST client of the JobManager.
