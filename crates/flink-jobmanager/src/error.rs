//! Errors of the JobManager library.

use flink_types::JobId;

/// Errors of the JobManager.
#[derive(Debug, thiserror::Error)]
pub enum JobManagerError {
    /// A configuration value is invalid.
    #[error("invalid configuration '{key}' = '{value}': {reason}")]
    Config {
        /// Config key.
        key: String,
        /// Offending value.
        value: String,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// A server could not bind its address.
    #[error(
        "cannot bind the {what} to {address}: {source} (is the port in use? set {key} to another port or 0)"
    )]
    Bind {
        /// Which server.
        what: &'static str,
        /// Address tried.
        address: String,
        /// Config key to change.
        key: &'static str,
        /// OS error.
        #[source]
        source: std::io::Error,
    },
    /// The job is not known (never submitted or evicted from the history).
    #[error("Job {0} not found")]
    JobNotFound(JobId),
    /// A job with this id was already submitted.
    #[error("Job {0} has already been submitted")]
    DuplicateJob(JobId),
    /// The job graph is invalid.
    #[error("invalid job graph: {0}")]
    InvalidJobGraph(String),
    /// The slots a job needs could not be acquired in time.
    #[error(
        "could not acquire {required} slots within {timeout_ms} ms; {available} available \
         (registered TaskManagers: {task_managers}); start more TaskManagers or lower the \
         parallelism (slot.request.timeout)"
    )]
    NotEnoughSlots {
        /// Slots the job needs.
        required: u32,
        /// Free slots when the request timed out.
        available: u32,
        /// Registered TaskManagers.
        task_managers: u32,
        /// The timeout.
        timeout_ms: u64,
    },
    /// A TaskManager call failed.
    #[error(transparent)]
    Remote(#[from] flink_proto::status::RemoteError),
    /// The resource driver failed.
    #[error("resource driver: {0}")]
    ResourceDriver(String),
    /// High-availability services failed.
    #[error(transparent)]
    Ha(#[from] flink_ha::HaError),
    /// The JobManager is shutting down.
    #[error("the JobManager is shutting down")]
    ShuttingDown,
}
