//! # flink-types
//!
//! The vocabulary every flink-rs role shares: identifiers (`JobId`,
//! `ExecutionAttemptId`, `ResourceId`, ...), job and task statuses with
//! Flink's names, the serializable [`JobGraph`](job_graph::JobGraph) a
//! client submits, the [`TaskDeploymentDescriptor`](deployment::TaskDeploymentDescriptor)
//! the JobManager sends to a TaskManager, and key-group arithmetic.
//!
//! This crate is the root of the dependency graph: it depends on nothing
//! of flink-rs and holds no behaviour beyond small pure functions.

pub mod deployment;
pub mod ids;
pub mod job_graph;
pub mod key_groups;
pub mod status;
pub mod task;

pub use deployment::*;
pub use ids::*;
pub use job_graph::*;
pub use key_groups::*;
pub use status::*;
pub use task::*;
