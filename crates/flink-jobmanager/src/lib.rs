//! # flink-jobmanager
//!
//! The JobManager of flink-rs, as a library (the process entry lives in the
//! `flink-rs` binary, the YARN AM and local mode build on it):
//!
//! * [`JobManagerRunner::start`] binds the gRPC endpoint TaskManagers talk
//!   to (`JobManagerGateway`, see `flink-proto`) and the REST API, and
//!   returns a [`JobManagerHandle`] to submit, query and cancel jobs
//!   in-process.
//! * [`dispatcher`]: accepts jobs and runs one job master per job; keeps a
//!   bounded history of finished jobs.
//! * [`resource`]: the ResourceManager/SlotManager (TaskManager
//!   registrations, heartbeats, slots) and the [`ResourceDriver`] trait that
//!   YARN and local mode implement to start TaskManagers.
//! * [`jobmaster`]: scheduling with slot sharing, deployment descriptors,
//!   task state tracking and failover with [`restart`] strategies.
//! * [`checkpoint`]: the checkpoint coordinator interface;
//!   [`checkpoint_coordinator`]: Flink's coordinator (periodic checkpoints,
//!   savepoints, restore assignment) on `flink-checkpoint` storage.
//! * [`rest`]: Flink's REST paths and JSON shapes (axum).
//!
//! The JobManager never depends on the data plane: it only builds
//! deployment descriptors and talks to TaskManagers over gRPC.

pub mod checkpoint;
pub mod checkpoint_coordinator;
mod checkpoint_rest;
pub mod config;
pub mod dispatcher;
pub mod error;
pub mod jobmaster;
pub mod resource;
pub mod rest;
pub mod restart;
mod rpc;
mod runner;

pub use checkpoint::{CheckpointCoordinator, CheckpointCoordinatorFactory};
pub use checkpoint_coordinator::DefaultCheckpointCoordinatorFactory;
pub use config::JobManagerConfig;
pub use error::JobManagerError;
pub use jobmaster::details::{JobDetails, JobResult};
pub use resource::{
    ApplicationStatus, ResourceDriver, ResourceDriverError, ResourceEventHandler,
    StandaloneResourceDriver, WorkerResourceSpec,
};
pub use restart::RestartStrategy;
pub use runner::{JobManagerHandle, JobManagerRunner};
