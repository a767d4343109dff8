//! The crate's error type.

use flink_types::ResultPartitionId;
use std::sync::Arc;

/// Everything that can go wrong in the data plane. Cloneable, because one
/// failure (e.g. a dropped connection) is reported to every gate that used it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum NetworkError {
    /// The task was cancelled through its [`crate::Canceller`].
    #[error("cancelled")]
    Cancelled,
    /// The partition was released (cancel/failover, `release_job`, shutdown,
    /// or its consumer went away) while it was still being written or read.
    #[error("result partition {partition} was released: {reason}")]
    Released {
        /// The released partition.
        partition: ResultPartitionId,
        /// Why it was released.
        reason: String,
    },
    /// The producer never registered the partition within
    /// `partition_request_timeout`.
    #[error(
        "result partition {partition} was not found at {address} within the partition request \
         timeout; check that the producer task was deployed there, or raise \
         partition_request_timeout"
    )]
    PartitionNotFound {
        /// The partition requested.
        partition: ResultPartitionId,
        /// The producer's data address that was asked.
        address: String,
    },
    /// Could not connect to a producer's data server.
    #[error("cannot connect to the data server at {address}: {source}")]
    Connect {
        /// The address dialled.
        address: String,
        /// The underlying I/O error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The TCP connection to a producer was lost before all data arrived.
    #[error("connection to the data server at {address} was lost: {reason}")]
    ConnectionLost {
        /// The producer's data address.
        address: String,
        /// What happened (EOF, reset, protocol error ...).
        reason: String,
    },
    /// The producer side reported an error for one of our channels.
    #[error("data server at {address} reported an error for partition {partition}: {message}")]
    Remote {
        /// The producer's data address.
        address: String,
        /// The partition concerned.
        partition: ResultPartitionId,
        /// The error text sent by the server.
        message: String,
    },
    /// A peer violated the wire protocol (bad frame, bad length, unknown type, ...).
    #[error("network protocol violation: {0}")]
    Protocol(String),
    /// The caller used the API wrongly (bad subpartition index, write after finish, ...).
    #[error("invalid use of the network API: {0}")]
    InvalidArgument(String),
    /// Invalid [`crate::NetworkConfig`].
    #[error("invalid network configuration: {0}")]
    Config(String),
    /// The environment was shut down.
    #[error("the network environment was shut down")]
    Shutdown,
    /// Other I/O errors (binding the server socket, ...).
    #[error("network I/O error while {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying I/O error.
        #[source]
        source: Arc<std::io::Error>,
    },
}

impl NetworkError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        NetworkError::Io {
            context: context.into(),
            source: Arc::new(source),
        }
    }
}
