//! The crate's error type.

use hadoop_rpc::RpcError;

/// Errors of the YARN clients.
#[derive(Debug, thiserror::Error)]
pub enum YarnError {
    /// The IPC layer failed (includes remote YARN exceptions with their Java class).
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// A reply lacked a field YARN always sets.
    #[error("unexpected reply from YARN: {0}")]
    UnexpectedReply(String),
    /// A YARN id string could not be parsed.
    #[error("invalid {kind} '{value}': {hint}")]
    InvalidId {
        /// application / container / attempt id
        kind: &'static str,
        /// The input.
        value: String,
        /// Expected form.
        hint: &'static str,
    },
    /// The container environment lacks something the NodeManager always sets.
    #[error("container environment: {0}")]
    Environment(String),
    /// No NMToken is known for a node.
    #[error(
        "no NMToken for node {0}: the ResourceManager sends it once with the first container on that node"
    )]
    NoNmToken(String),
    /// The ResourceManager told the AM to resync or shut down.
    #[error("the ResourceManager sent AM command {0}")]
    AmCommand(String),
    /// A NodeManager rejected a container request.
    #[error("NodeManager {node} refused container {container}: {class}: {message}")]
    ContainerRequestFailed {
        /// Node address.
        node: String,
        /// Container id.
        container: String,
        /// Java exception class.
        class: String,
        /// Message.
        message: String,
    },
    /// Bad argument.
    #[error("{0}")]
    InvalidArgument(String),
}

/// Result alias.
pub type Result<T, E = YarnError> = std::result::Result<T, E>;
