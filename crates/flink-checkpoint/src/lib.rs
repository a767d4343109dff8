//! # flink-checkpoint
//!
//! Checkpoint and savepoint storage, shared by the JobManager's checkpoint
//! coordinator (control plane) and the stream tasks (data plane):
//!
//! * [`CheckpointStorage`] is `<execution.checkpointing.dir>/<jobId>/chk-<n>/`
//!   on `file://` or `hdfs://` (Flink's layout). Tasks persist state blobs
//!   with [`CheckpointStorage::write_state`] (small blobs stay inline,
//!   `state.storage.fs.memory-threshold`); anyone reads them back with
//!   [`read_state`]. Blocking variants serve tasks on plain threads; all I/O
//!   runs on one shared runtime ([`io_handle`], [`block_on`]).
//! * [`metadata`]: the versioned, checksummed `_metadata` format; files are
//!   written last and atomically (`_metadata.inprogress`, then rename), and
//!   the reader rejects damaged files with an error naming the file.
//! * Retention and recovery ([`CheckpointStorage::subsume`],
//!   [`CheckpointStorage::latest_valid`] with fallback to older checkpoints),
//!   savepoints that are self-contained and relocatable ([`write_savepoint`],
//!   state referenced relative to `_metadata`), and [`load_restore_path`]
//!   for `-s <savepoint dir | chk-<n> dir | _metadata file>`.
//! * [`assign_subtask_state`]: which handles a subtask restores, also when the
//!   parallelism changed (keyed state moves by key group).

mod assign;
mod error;
mod io;
pub mod metadata;
mod storage;
mod store;

pub use assign::assign_subtask_state;
pub use error::{CheckpointError, Result};
pub use io::{block_on, io_handle, run_io};
pub use metadata::{CheckpointMetadata, OperatorState};
pub use storage::{
    CHECKPOINT_DIR_PREFIX, CheckpointStorage, DEFAULT_MEMORY_THRESHOLD, METADATA_FILE,
    METADATA_INPROGRESS_FILE, memory_threshold, read_state, read_state_blocking,
};
pub use store::{CompletedCheckpoint, load_restore_path, read_metadata, write_savepoint};
