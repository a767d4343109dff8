//! Job and execution states, spelled as Flink spells them in its REST API.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Status of a job (Flink `JobStatus`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Debug)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    /// Accepted, not yet scheduled.
    Initializing,
    /// Job master created, waiting for resources.
    Created,
    /// Some tasks are scheduled or running.
    Running,
    /// A task failed; cancelling the others before restart or failure.
    Failing,
    /// Terminal: failed and not restarted.
    Failed,
    /// Cancellation requested.
    Cancelling,
    /// Terminal: cancelled.
    Canceled,
    /// Terminal: all tasks finished.
    Finished,
    /// Waiting for the restart delay.
    Restarting,
    /// Suspended because the JobManager lost leadership.
    Suspended,
    /// Recovering after a JobManager failover.
    Reconciling,
}

impl JobStatus {
    /// Whether the status is globally terminal (the job will never run again).
    pub fn is_globally_terminal(self) -> bool {
        matches!(self, Self::Failed | Self::Canceled | Self::Finished)
    }
    /// Flink's upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Initializing => "INITIALIZING",
            Self::Created => "CREATED",
            Self::Running => "RUNNING",
            Self::Failing => "FAILING",
            Self::Failed => "FAILED",
            Self::Cancelling => "CANCELLING",
            Self::Canceled => "CANCELED",
            Self::Finished => "FINISHED",
            Self::Restarting => "RESTARTING",
            Self::Suspended => "SUSPENDED",
            Self::Reconciling => "RECONCILING",
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// State of one execution attempt of a subtask (Flink `ExecutionState`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Debug)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionState {
    /// Created, not yet scheduled.
    Created,
    /// A slot is assigned.
    Scheduled,
    /// Sent to a TaskManager.
    Deploying,
    /// The TaskManager is restoring state and wiring channels.
    Initializing,
    /// Processing records.
    Running,
    /// Terminal: finished its input.
    Finished,
    /// Being cancelled.
    Canceling,
    /// Terminal: cancelled.
    Canceled,
    /// Terminal: failed.
    Failed,
}

impl ExecutionState {
    /// Whether the state is terminal.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Finished | Self::Canceled | Self::Failed)
    }
    /// Flink's upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "CREATED",
            Self::Scheduled => "SCHEDULED",
            Self::Deploying => "DEPLOYING",
            Self::Initializing => "INITIALIZING",
            Self::Running => "RUNNING",
            Self::Finished => "FINISHED",
            Self::Canceling => "CANCELING",
            Self::Canceled => "CANCELED",
            Self::Failed => "FAILED",
        }
    }
}

impl fmt::Display for ExecutionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a job runs as an unbounded stream or as a bounded batch job.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Debug, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuntimeMode {
    /// Continuous processing (the default).
    #[default]
    Streaming,
    /// Bounded inputs, staged execution.
    Batch,
}
