//! Errors of checkpoint storage.

use flink_fs::FsError;

/// What can go wrong storing or reading checkpoints. Messages name the path
/// and, where there is one, the fix.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// A configuration value is invalid.
    #[error("invalid configuration '{key}' = '{value}': {reason}")]
    Config {
        /// The key.
        key: String,
        /// The offending value.
        value: String,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// A file system operation failed.
    #[error("{operation} {path} failed: {source}")]
    Fs {
        /// What was being done (`write state`, `read _metadata`, ...).
        operation: &'static str,
        /// The path.
        path: String,
        /// The file system error.
        #[source]
        source: Box<FsError>,
    },
    /// A `_metadata` file that cannot be used.
    #[error("corrupt checkpoint metadata {path}: {reason}")]
    CorruptMetadata {
        /// The `_metadata` file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A path given to restore from holds no checkpoint or savepoint.
    #[error("cannot restore from '{path}': {reason}")]
    InvalidRestorePath {
        /// The path given (`-s`, `execution.savepoint.path`).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Checkpoint directories exist but none has a readable `_metadata`.
    #[error(
        "no valid checkpoint left in {dir}: {}. The job cannot restore its state; \
         restore from a savepoint with -s, or start without state",
        .problems.join("; ")
    )]
    NoValidCheckpoint {
        /// The job's checkpoint directory.
        dir: String,
        /// Per checkpoint tried, why it was rejected.
        problems: Vec<String>,
    },
    /// Savepoint state that maps to no operator of the job.
    #[error(
        "the savepoint {path} has state for operator(s) {} that are not in the job. \
         Give them their uid back, or allow dropping that state with \
         --allowNonRestoredState (-n, execution.savepoint.ignore-unclaimed-state)",
        .uids.join(", ")
    )]
    UnclaimedState {
        /// The savepoint.
        path: String,
        /// Operator uids without a matching operator.
        uids: Vec<String>,
    },
    /// State whose max parallelism differs from the operator's.
    #[error(
        "operator '{uid}' has max parallelism {job} but the state in {path} was taken with \
         max parallelism {state}; the max parallelism (number of key groups) cannot change \
         across a restore"
    )]
    MaxParallelismMismatch {
        /// The operator.
        uid: String,
        /// The job's max parallelism.
        job: u32,
        /// The state's max parallelism.
        state: u32,
        /// The checkpoint or savepoint.
        path: String,
    },
    /// Serializing metadata failed (should not happen).
    #[error("cannot serialize checkpoint metadata: {0}")]
    Serialize(String),
    /// The background I/O runtime is gone (process shutting down).
    #[error("checkpoint I/O runtime unavailable: {0}")]
    Runtime(String),
}

impl CheckpointError {
    pub(crate) fn fs(operation: &'static str, path: impl ToString, source: FsError) -> Self {
        CheckpointError::Fs {
            operation,
            path: path.to_string(),
            source: Box::new(source),
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = CheckpointError> = std::result::Result<T, E>;
