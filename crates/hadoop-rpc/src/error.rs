//! The crate's error type.

use std::time::Duration;

/// Java exception class the ResourceManager / NameNode throw when they are not the active one.
pub const STANDBY_EXCEPTION: &str = "org.apache.hadoop.ipc.StandbyException";

/// Errors of the Hadoop IPC client.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// The server ran the call and it threw a Java exception (a RemoteException).
    #[error("remote exception {class}: {message}")]
    Remote {
        /// Java class name, e.g. `org.apache.hadoop.ipc.StandbyException`.
        class: String,
        /// The exception message (may contain a stack trace).
        message: String,
    },
    /// The server rejected the connection or call at the IPC layer (status FATAL).
    #[error("fatal IPC error from {address}: {class}: {message}")]
    Fatal {
        /// Server address.
        address: String,
        /// Java class name.
        class: String,
        /// Message.
        message: String,
    },
    /// TCP connect failed.
    #[error(
        "cannot connect to {address}: {source}. Check that the server is running and the address in the Hadoop configuration is right"
    )]
    Connect {
        /// Address that was tried.
        address: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Connecting or a call did not finish in time.
    #[error("{what} to {address} timed out after {after:?}")]
    Timeout {
        /// What timed out (connect, call `method`).
        what: String,
        /// Address.
        address: String,
        /// Limit that was exceeded.
        after: Duration,
    },
    /// The connection broke (I/O error or closed by the server); calls in flight fail with this.
    #[error("connection to {address} closed: {reason}")]
    ConnectionClosed {
        /// Address.
        address: String,
        /// Why.
        reason: String,
    },
    /// The server sent bytes that are not a valid Hadoop IPC message.
    #[error("malformed reply from {address}: {reason}")]
    Protocol {
        /// Address.
        address: String,
        /// What was wrong.
        reason: String,
    },
    /// SASL negotiation failed.
    #[error("SASL authentication with {address} failed: {reason}")]
    Sasl {
        /// Address.
        address: String,
        /// What failed.
        reason: String,
    },
    /// A credentials (HDTS token storage) file could not be read or written.
    #[error("credentials: {0}")]
    Credentials(String),
    /// Hadoop configuration problem.
    #[error("Hadoop configuration: {0}")]
    Config(String),
    /// Local I/O error with context.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// All failover targets failed.
    #[error("all {} addresses failed ({}); last error: {last}", addresses.len(), addresses.join(", "))]
    FailoverExhausted {
        /// Addresses tried.
        addresses: Vec<String>,
        /// Last error.
        last: Box<RpcError>,
    },
}

impl RpcError {
    /// Whether this is a Java `StandbyException` (the server is not the active RM / NN).
    pub fn is_standby(&self) -> bool {
        match self {
            RpcError::Remote { class, .. } | RpcError::Fatal { class, .. } => {
                class == STANDBY_EXCEPTION
            }
            RpcError::FailoverExhausted { last, .. } => last.is_standby(),
            _ => false,
        }
    }

    /// Whether the connection itself failed (connect error, timeout, closed), so that a new
    /// connection, possibly to another server, may succeed.
    pub fn is_connection_error(&self) -> bool {
        matches!(
            self,
            RpcError::Connect { .. } | RpcError::ConnectionClosed { .. } | RpcError::Timeout { .. }
        )
    }

    /// Whether retrying (on a new connection or the next failover target) may succeed.
    pub fn retryable(&self) -> bool {
        if self.is_standby() || self.is_connection_error() {
            return true;
        }
        match self {
            RpcError::Remote { class, .. } => matches!(
                class.as_str(),
                "org.apache.hadoop.ipc.RetriableException"
                    | "org.apache.hadoop.ipc.RpcServerException"
                    | "org.apache.hadoop.ipc.ObserverRetryOnActiveException"
            ),
            _ => false,
        }
    }

    /// The Java class name of a remote exception, if this is one.
    pub fn remote_class(&self) -> Option<&str> {
        match self {
            RpcError::Remote { class, .. } | RpcError::Fatal { class, .. } => Some(class),
            RpcError::FailoverExhausted { last, .. } => last.remote_class(),
            _ => None,
        }
    }

    pub(crate) fn protocol(address: &str, reason: impl Into<String>) -> Self {
        RpcError::Protocol {
            address: address.to_string(),
            reason: reason.into(),
        }
    }

    pub(crate) fn sasl(address: &str, reason: impl Into<String>) -> Self {
        RpcError::Sasl {
            address: address.to_string(),
            reason: reason.into(),
        }
    }
}

/// Result alias.
pub type Result<T, E = RpcError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standby_is_retryable() {
        let e = RpcError::Remote {
            class: STANDBY_EXCEPTION.into(),
            message: "not active".into(),
        };
        assert!(e.is_standby());
        assert!(e.retryable());
        let e = RpcError::Remote {
            class: "org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException".into(),
            message: "x".into(),
        };
        assert!(!e.is_standby());
        assert!(!e.retryable());
        assert_eq!(
            e.remote_class(),
            Some("org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException")
        );
    }
}
