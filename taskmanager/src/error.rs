//! Errors of the TaskManager.

/// Errors of the TaskManager.
#[derive(Debug, thiserror::Error)]
pub enum TaskManagerError {
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
    /// The RPC server could not bind.
    #[error(
        "cannot bind the TaskManager RPC server to {address}: {source} (set taskmanager.rpc.port to a free port or 0)"
    )]
    Bind {
        /// Address tried.
        address: String,
        /// OS error.
        #[source]
        source: std::io::Error,
    },
    /// The data plane could not start.
    #[error("cannot start the network environment: {0}")]
    Network(String),
}

/// Why a TaskManager stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskManagerExit {
    /// `shutdown()` was called.
    Shutdown,
    /// The JobManager asked the TaskManager to exit (e.g. idle release).
    ShutdownRequested(String),
    /// Could not register within `taskmanager.registration.timeout`.
    RegistrationTimeout(String),
    /// The JobManager was lost and `taskmanager.exit-on-jm-loss` is set.
    JobManagerLost(String),
}

impl std::fmt::Display for TaskManagerExit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Shutdown => f.write_str("shut down"),
            Self::ShutdownRequested(c) => write!(f, "shutdown requested by the JobManager: {c}"),
            Self::RegistrationTimeout(c) => write!(f, "registration timed out: {c}"),
            Self::JobManagerLost(c) => write!(f, "JobManager lost: {c}"),
        }
    }
}
