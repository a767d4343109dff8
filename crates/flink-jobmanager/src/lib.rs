//! # flink-jobmanager
//!
//! The JobManager: dispatcher, resource manager with slot manager, job master with scheduler and restart strategies, REST API.
