//! Hooks for a checkpoint coordinator (built in a later step). The job
//! master creates one per job through a [`CheckpointCoordinatorFactory`],
//! tells it when all tasks run and when they stop, forwards task acks and
//! declines, and asks it for the state to restore when (re)deploying.

use flink_types::{
    ExecutionAttemptId, JobGraph, TaskManagerLocation, TaskRestore, TaskStateSnapshot,
};
use std::sync::Arc;

/// A running task, as the coordinator sees it.
#[derive(Clone, Debug)]
pub struct DeployedTask {
    /// The attempt.
    pub attempt: ExecutionAttemptId,
    /// Whether the task's head operator is a source (checkpoints are
    /// triggered on sources).
    pub is_source: bool,
    /// Where it runs.
    pub location: TaskManagerLocation,
}

/// Sends checkpoint RPCs to the TaskManagers running a job's tasks. All
/// methods return immediately; delivery happens in the background.
pub trait CheckpointTaskGateway: Send + Sync {
    /// Asks a source task to start checkpoint `checkpoint_id`.
    fn trigger_checkpoint(
        &self,
        attempt: ExecutionAttemptId,
        checkpoint_id: u64,
        timestamp_ms: i64,
        is_savepoint: bool,
    );
    /// Checkpoint `checkpoint_id` is complete.
    fn notify_checkpoint_complete(&self, attempt: ExecutionAttemptId, checkpoint_id: u64);
    /// Checkpoint `checkpoint_id` was aborted.
    fn notify_checkpoint_aborted(&self, attempt: ExecutionAttemptId, checkpoint_id: u64);
}

/// The per-job checkpoint coordinator (Flink `CheckpointCoordinator`).
pub trait CheckpointCoordinator: Send + Sync {
    /// All tasks of a deployment are running; periodic triggering may start.
    fn job_running(&self, tasks: Vec<DeployedTask>, gateway: Arc<dyn CheckpointTaskGateway>);
    /// The deployment stops (failover, cancel, finish): stop triggering and
    /// abort pending checkpoints.
    fn job_stopped(&self);
    /// A task acknowledged a checkpoint with its state snapshot.
    fn acknowledge(
        &self,
        attempt: ExecutionAttemptId,
        checkpoint_id: u64,
        snapshot: TaskStateSnapshot,
    );
    /// A task declined a checkpoint.
    fn decline(&self, attempt: ExecutionAttemptId, checkpoint_id: u64, reason: String);
    /// The state a subtask attempt restores from (latest completed checkpoint).
    fn restore_for(&self, attempt: &ExecutionAttemptId) -> Option<TaskRestore>;
}

/// Creates a coordinator for a job, or `None` when checkpointing is off.
pub trait CheckpointCoordinatorFactory: Send + Sync {
    /// Called once per submitted job.
    fn create(&self, graph: &JobGraph) -> Option<Arc<dyn CheckpointCoordinator>>;
}
