//! # flink-taskmanager
//!
//! The TaskManager (TaskExecutor): registration, heartbeats, slots, task deployment and the data-plane server.
