//! Errors of the state backend.

use crate::descriptor::StateKind;

/// An error accessing, snapshotting or restoring keyed state.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// State was accessed outside of a keyed context.
    #[error(
        "state '{state}' accessed without a current key: keyed state can only be used while \
         processing an element or a timer of a keyed stream"
    )]
    NoCurrentKey {
        /// The state name.
        state: String,
    },
    /// Two descriptors with the same name but different kinds or types.
    #[error(
        "state '{name}' is already registered as {registered:?} state with another type; \
         requested {requested:?} state: give each state descriptor a unique name"
    )]
    IncompatibleState {
        /// The state name.
        name: String,
        /// What is registered.
        registered: StateKind,
        /// What was requested.
        requested: StateKind,
    },
    /// A state value could not be serialized.
    #[error("cannot serialize {what}: {source}")]
    Serialize {
        /// What was being serialized.
        what: String,
        /// The bincode error.
        source: bincode::error::EncodeError,
    },
    /// A snapshot blob could not be decoded.
    #[error(
        "corrupt keyed state snapshot ({what}): {source}; the checkpoint was written by an \
         incompatible program version or is damaged"
    )]
    Corrupt {
        /// What was being decoded.
        what: String,
        /// The bincode error.
        source: bincode::error::DecodeError,
    },
    /// A snapshot blob has an unknown format version.
    #[error(
        "keyed state snapshot has format version {found}, this build reads version {supported}: \
         restore with the flink-rs version that wrote the checkpoint"
    )]
    UnsupportedFormat {
        /// Version in the blob.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// The snapshot was taken with another number of key groups.
    #[error(
        "keyed state snapshot was taken with max parallelism {snapshot}, the job now has \
         {current}: max parallelism cannot change across a restore; set it back to {snapshot}"
    )]
    MaxParallelismMismatch {
        /// Max parallelism of the snapshot.
        snapshot: u32,
        /// Max parallelism of the restoring job.
        current: u32,
    },
}
