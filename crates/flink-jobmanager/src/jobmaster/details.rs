//! The observable state of a job, shared between its job master and the
//! REST API / in-process handle.

use flink_types::{ExecutionState, JobGraph, JobId, JobStatus, TaskFailure, TaskManagerLocation};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One subtask's current execution.
#[derive(Clone, Debug)]
pub struct ExecutionInfo {
    /// Attempt number.
    pub attempt: u32,
    /// State.
    pub state: ExecutionState,
    /// Where it runs, once deployed.
    pub location: Option<TaskManagerLocation>,
    /// When it was deployed (ms since epoch).
    pub start_time: Option<i64>,
    /// When it reached a terminal state.
    pub end_time: Option<i64>,
    /// Why it failed.
    pub failure: Option<TaskFailure>,
}

impl ExecutionInfo {
    fn new(attempt: u32) -> Self {
        Self {
            attempt,
            state: ExecutionState::Created,
            location: None,
            start_time: None,
            end_time: None,
            failure: None,
        }
    }
}

/// One entry of the job's exception history.
#[derive(Clone, Debug)]
pub struct ExceptionInfo {
    /// The failure, root cause first.
    pub exception: String,
    /// When (ms since epoch).
    pub timestamp: i64,
    /// The failed task, e.g. `Map (2/4)`.
    pub task_name: Option<String>,
    /// The TaskManager it ran on.
    pub location: Option<String>,
}

/// The job as seen from outside.
#[derive(Clone, Debug)]
pub struct JobDetails {
    /// Job id.
    pub job_id: JobId,
    /// Job name.
    pub name: String,
    /// Current status.
    pub status: JobStatus,
    /// Submission time (ms since epoch).
    pub start_time: i64,
    /// Time it reached a terminal state.
    pub end_time: Option<i64>,
    /// Last time each status was entered.
    pub timestamps: BTreeMap<&'static str, i64>,
    /// Current attempt number (number of restarts so far).
    pub attempt: u32,
    /// Per vertex, per subtask: the current execution.
    pub executions: Vec<Vec<ExecutionInfo>>,
    /// Failures, oldest first.
    pub exceptions: Vec<ExceptionInfo>,
    /// The cause that failed the job for good.
    pub failure_cause: Option<String>,
    /// Last change (ms since epoch).
    pub last_modification: i64,
    /// The submitted graph.
    pub graph: Arc<JobGraph>,
}

impl JobDetails {
    pub(crate) fn new(graph: Arc<JobGraph>, now: i64) -> Self {
        let mut d = Self {
            job_id: graph.job_id,
            name: graph.name.clone(),
            status: JobStatus::Initializing,
            start_time: now,
            end_time: None,
            timestamps: BTreeMap::new(),
            attempt: 0,
            executions: Vec::new(),
            exceptions: Vec::new(),
            failure_cause: None,
            last_modification: now,
            graph,
        };
        d.reset_executions(0);
        d.set_status(JobStatus::Initializing, now);
        d
    }

    pub(crate) fn reset_executions(&mut self, attempt: u32) {
        self.attempt = attempt;
        self.executions = self
            .graph
            .vertices
            .iter()
            .map(|v| {
                (0..v.parallelism)
                    .map(|_| ExecutionInfo::new(attempt))
                    .collect()
            })
            .collect();
    }

    pub(crate) fn set_status(&mut self, status: JobStatus, now: i64) {
        self.status = status;
        self.timestamps.insert(status.as_str(), now);
        self.last_modification = now;
        if status.is_globally_terminal() {
            self.end_time = Some(now);
        }
    }

    /// Duration so far or in total (ms).
    pub fn duration(&self, now: i64) -> i64 {
        self.end_time.unwrap_or(now) - self.start_time
    }

    /// Count of executions per state over the whole job.
    pub fn state_counts(&self) -> BTreeMap<&'static str, u32> {
        let mut m = all_states();
        for e in self.executions.iter().flatten() {
            *m.entry(e.state.as_str()).or_default() += 1;
        }
        m
    }
}

/// Every execution state name mapped to 0.
pub fn all_states() -> BTreeMap<&'static str, u32> {
    use ExecutionState::*;
    [
        Created,
        Scheduled,
        Deploying,
        Initializing,
        Running,
        Finished,
        Canceling,
        Canceled,
        Failed,
    ]
    .into_iter()
    .map(|s| (s.as_str(), 0))
    .collect()
}

/// The final outcome of a job.
#[derive(Clone, Debug, PartialEq)]
pub struct JobResult {
    /// Job id.
    pub job_id: JobId,
    /// Terminal status (FINISHED, FAILED or CANCELED).
    pub status: JobStatus,
    /// Root cause when FAILED.
    pub failure_cause: Option<String>,
    /// Runtime in ms.
    pub net_runtime_ms: i64,
}

impl JobResult {
    /// Flink's `application-status` for this result.
    pub fn application_status(&self) -> crate::ApplicationStatus {
        match self.status {
            JobStatus::Finished => crate::ApplicationStatus::Succeeded,
            JobStatus::Canceled => crate::ApplicationStatus::Canceled,
            JobStatus::Failed => crate::ApplicationStatus::Failed,
            _ => crate::ApplicationStatus::Unknown,
        }
    }
}
