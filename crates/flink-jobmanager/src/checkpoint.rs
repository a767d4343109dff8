//! The checkpoint coordinator's interface to the job master. The job master
//! creates one coordinator per job through a [`CheckpointCoordinatorFactory`]
//! (the default is [`crate::checkpoint_coordinator::DefaultCheckpointCoordinatorFactory`]),
//! tells it when all tasks run and when they stop, forwards task acks and
//! declines, and asks it for the state to restore when (re)deploying.

use async_trait::async_trait;
use flink_types::{
    ExecutionAttemptId, JobGraph, JobStatus, TaskManagerLocation, TaskRestore, TaskStateSnapshot,
};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::oneshot;

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

/// What the coordinator may ask of its job master.
pub trait JobMasterActions: Send + Sync {
    /// Fail the current deployment (e.g. too many failed checkpoints); the
    /// restart strategy decides what happens next.
    fn fail_job(&self, cause: String);
    /// A savepoint taken to stop or cancel the job completed: end the job
    /// with `status` (FINISHED for stop, CANCELED for cancel).
    fn end_job_after_savepoint(&self, status: JobStatus);
}

/// What happens to the job after a savepoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SavepointMode {
    /// The job keeps running (`flink-rs savepoint`).
    Continue,
    /// Stop with savepoint: the job ends FINISHED (`flink-rs stop`).
    Stop,
    /// Cancel with savepoint: the job ends CANCELED.
    Cancel,
}

/// Result of a savepoint: its directory, or why it failed.
pub type SavepointResult = Result<String, String>;

/// Checkpoint statistics in Flink's REST shape (`GET /jobs/:id/checkpoints`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct CheckpointStats {
    /// Counters.
    pub counts: CheckpointCounts,
    /// Latest completed / savepoint / failed / restored.
    pub latest: LatestCheckpoints,
    /// Recent checkpoints, newest first.
    pub history: Vec<CheckpointStatsEntry>,
}

/// `counts` of [`CheckpointStats`].
#[derive(Clone, Debug, Default, Serialize)]
pub struct CheckpointCounts {
    /// Restores from a checkpoint or savepoint.
    pub restored: u64,
    /// Triggered checkpoints and savepoints.
    pub total: u64,
    /// In progress.
    pub in_progress: u64,
    /// Completed.
    pub completed: u64,
    /// Failed or aborted.
    pub failed: u64,
}

/// `latest` of [`CheckpointStats`].
#[derive(Clone, Debug, Default, Serialize)]
pub struct LatestCheckpoints {
    /// Latest completed checkpoint.
    pub completed: Option<CheckpointStatsEntry>,
    /// Latest completed savepoint.
    pub savepoint: Option<CheckpointStatsEntry>,
    /// Latest failed checkpoint.
    pub failed: Option<CheckpointStatsEntry>,
    /// Latest restore.
    pub restored: Option<RestoredCheckpoint>,
}

/// One checkpoint in [`CheckpointStats`].
#[derive(Clone, Debug, Default, Serialize)]
pub struct CheckpointStatsEntry {
    /// Id.
    pub id: u64,
    /// `IN_PROGRESS`, `COMPLETED` or `FAILED`.
    pub status: String,
    /// Savepoint or checkpoint.
    pub is_savepoint: bool,
    /// Trigger time (ms since epoch).
    pub trigger_timestamp: i64,
    /// Time of the last acknowledgement (ms since epoch).
    pub latest_ack_timestamp: i64,
    /// Bytes of state.
    pub state_size: u64,
    /// Trigger to completion (ms).
    pub end_to_end_duration: i64,
    /// Subtasks that must acknowledge.
    pub num_subtasks: u64,
    /// Subtasks that did.
    pub num_acknowledged_subtasks: u64,
    /// Where it is stored (`<dir>/<job>/chk-<n>`, savepoint dir, or `<inline>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_path: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
}

/// `latest.restored` of [`CheckpointStats`].
#[derive(Clone, Debug, Default, Serialize)]
pub struct RestoredCheckpoint {
    /// Checkpoint id restored.
    pub id: u64,
    /// When (ms since epoch).
    pub restore_timestamp: i64,
    /// From a savepoint.
    pub is_savepoint: bool,
    /// Where it was read from.
    pub external_path: String,
}

/// The per-job checkpoint coordinator (Flink `CheckpointCoordinator`).
#[async_trait]
pub trait CheckpointCoordinator: Send + Sync {
    /// Gives the coordinator a way to act on the job (called once, before
    /// the first deployment).
    fn set_job_actions(&self, _actions: Arc<dyn JobMasterActions>) {}
    /// Called before every deployment: finds the checkpoint or savepoint the
    /// tasks restore from. An error fails the job for good (e.g. savepoint
    /// state that matches no operator, or no readable checkpoint left).
    async fn prepare_restore(&self) -> Result<(), String> {
        Ok(())
    }
    /// All tasks of a deployment are running; periodic triggering may start.
    fn job_running(&self, tasks: Vec<DeployedTask>, gateway: Arc<dyn CheckpointTaskGateway>);
    /// A task finished (bounded input): it takes part in no more checkpoints.
    fn task_finished(&self, _attempt: ExecutionAttemptId) {}
    /// The deployment stops (failover, cancel, finish): stop triggering and
    /// abort pending checkpoints.
    fn job_stopped(&self);
    /// The job reached a terminal (or SUSPENDED) status: clean up storage as
    /// `externalized-checkpoint-retention` says.
    async fn job_terminated(&self, _status: JobStatus) {}
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
    /// Triggers a savepoint into `target_dir` (default:
    /// `execution.checkpointing.savepoint-dir`); the receiver gets its path.
    fn trigger_savepoint(
        &self,
        target_dir: Option<String>,
        mode: SavepointMode,
    ) -> oneshot::Receiver<SavepointResult> {
        let _ = (target_dir, mode);
        let (tx, rx) = oneshot::channel();
        let _ = tx.send(Err("this job has no checkpoint coordinator".into()));
        rx
    }
    /// Statistics for the REST API.
    fn stats(&self) -> CheckpointStats {
        CheckpointStats::default()
    }
}

/// Creates a coordinator for a job, or `None` when checkpointing is off.
pub trait CheckpointCoordinatorFactory: Send + Sync {
    /// Called once per submitted job.
    fn create(&self, graph: &JobGraph) -> Option<Arc<dyn CheckpointCoordinator>>;
}
