//! The contract between a TaskManager (control plane) and the code that
//! runs subtasks (the stream-task runtime in `flink-streaming`).
//!
//! The TaskManager receives a [`TaskDeploymentDescriptor`] from the
//! JobManager and hands it to a [`TaskSpawner`]; the spawned task reports
//! back through [`TaskEvents`] and is steered through [`TaskControl`].
//! Keeping the traits here lets the TaskManager be tested with a fake
//! spawner, and keeps the JobManager free of any data-plane dependency.

use crate::deployment::{StateHandle, TaskDeploymentDescriptor};
use crate::ids::ExecutionAttemptId;
use crate::status::ExecutionState;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A snapshot of one subtask's state for one checkpoint: per operator uid,
/// the handles written.
pub type TaskStateSnapshot = BTreeMap<String, Vec<StateHandle>>;

/// Why a task failed, for diagnostics (shown in `flink-rs list`, REST and
/// YARN's final diagnostics).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskFailure {
    /// Operator (or chain) name where the failure happened.
    pub operator: String,
    /// Human-readable cause, e.g. the panic message.
    pub message: String,
}

impl std::fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.operator, self.message)
    }
}

/// Callbacks from a running task to its TaskManager. Implementations must
/// be cheap and non-blocking (they forward to the JobManager asynchronously).
pub trait TaskEvents: Send + Sync + 'static {
    /// The task moved to `state`; `failure` is set for `Failed`.
    fn state_changed(
        &self,
        attempt: ExecutionAttemptId,
        state: ExecutionState,
        failure: Option<TaskFailure>,
    );
    /// The task completed its part of checkpoint `checkpoint_id`.
    fn checkpoint_acknowledged(
        &self,
        attempt: ExecutionAttemptId,
        checkpoint_id: u64,
        snapshot: TaskStateSnapshot,
    );
    /// The task could not take checkpoint `checkpoint_id`.
    fn checkpoint_declined(&self, attempt: ExecutionAttemptId, checkpoint_id: u64, reason: String);
}

/// Steering handle of a running task. All methods return immediately.
pub trait TaskControl: Send + Sync {
    /// Asks the task to stop; it reports `Canceled` when it has.
    fn cancel(&self);
    /// Asks a source task to inject barrier `checkpoint_id` (timestamp in ms).
    fn trigger_checkpoint(&self, checkpoint_id: u64, timestamp_ms: i64, is_savepoint: bool);
    /// Checkpoint `checkpoint_id` is durable: commit side effects.
    fn notify_checkpoint_complete(&self, checkpoint_id: u64);
    /// Checkpoint `checkpoint_id` was aborted: drop what was prepared for it.
    fn notify_checkpoint_aborted(&self, checkpoint_id: u64);
}

/// Starts subtasks. Implemented by the stream-task runtime.
pub trait TaskSpawner: Send + Sync {
    /// Starts the subtask described by `tdd` on its own thread and returns
    /// its control handle. An `Err` means the task could not even start
    /// (e.g. unknown program); the caller reports it as `Failed`.
    fn spawn(
        &self,
        tdd: TaskDeploymentDescriptor,
        events: Arc<dyn TaskEvents>,
    ) -> Result<Arc<dyn TaskControl>, TaskFailure>;
}
