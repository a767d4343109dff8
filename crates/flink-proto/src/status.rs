//! The one place where control-plane errors become `tonic::Status` and
//! where a `tonic::Status` becomes a readable error again.

use crate::convert::ProtoError;
use tonic::{Code, Status};

/// What went wrong on the remote side of an RPC, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteErrorKind {
    /// The request was malformed.
    InvalidArgument,
    /// The addressed job, task, slot or TaskManager is not known.
    NotFound,
    /// The request conflicts with the current state (e.g. slot taken).
    FailedPrecondition,
    /// The peer could not be reached or went away.
    Unavailable,
    /// A deadline elapsed.
    Timeout,
    /// Anything else.
    Internal,
}

/// A remote failure with its kind and message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct RemoteError {
    /// Kind of failure.
    pub kind: RemoteErrorKind,
    /// Message (includes the peer's own message).
    pub message: String,
}

impl RemoteError {
    /// Whether retrying later can help (connection problems, timeouts).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            RemoteErrorKind::Unavailable | RemoteErrorKind::Timeout
        )
    }
}

/// Builds a status for a malformed request.
pub fn invalid(err: impl std::fmt::Display) -> Status {
    Status::invalid_argument(err.to_string())
}

/// Builds a status for an unknown entity.
pub fn not_found(what: impl std::fmt::Display) -> Status {
    Status::not_found(what.to_string())
}

/// Builds a status for a request that conflicts with current state.
pub fn precondition(what: impl std::fmt::Display) -> Status {
    Status::failed_precondition(what.to_string())
}

/// Builds a status for an internal error.
pub fn internal(what: impl std::fmt::Display) -> Status {
    Status::internal(what.to_string())
}

impl From<ProtoError> for Status {
    fn from(e: ProtoError) -> Self {
        invalid(e)
    }
}

/// Turns a status received from a peer into a [`RemoteError`]; `rpc` names
/// the call and `peer` its address, for the message.
pub fn from_status(rpc: &str, peer: &str, status: &Status) -> RemoteError {
    let kind = match status.code() {
        Code::InvalidArgument | Code::OutOfRange => RemoteErrorKind::InvalidArgument,
        Code::NotFound => RemoteErrorKind::NotFound,
        Code::FailedPrecondition | Code::AlreadyExists | Code::Aborted => {
            RemoteErrorKind::FailedPrecondition
        }
        Code::Unavailable | Code::Cancelled | Code::Unknown => RemoteErrorKind::Unavailable,
        Code::DeadlineExceeded => RemoteErrorKind::Timeout,
        _ => RemoteErrorKind::Internal,
    };
    RemoteError {
        kind,
        message: format!("{rpc} to {peer} failed: {}", status.message()),
    }
}

/// Error for a peer that cannot be connected to at all.
pub fn connect_error(peer: &str, err: impl std::fmt::Display) -> RemoteError {
    RemoteError {
        kind: RemoteErrorKind::Unavailable,
        message: format!("cannot connect to {peer}: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_kinds_map_and_keep_messages() {
        let e = from_status("SubmitTask", "tm:1", &not_found("unknown slot x"));
        assert_eq!(e.kind, RemoteErrorKind::NotFound);
        assert!(e.message.contains("SubmitTask to tm:1"));
        assert!(e.message.contains("unknown slot x"));
        assert!(!e.is_retryable());
        let e = from_status("Heartbeat", "jm:1", &Status::unavailable("down"));
        assert!(e.is_retryable());
        let p: Status = ProtoError::MissingField {
            message: "M",
            field: "f",
        }
        .into();
        assert_eq!(p.code(), Code::InvalidArgument);
    }
}
