//! One job master per job: schedules the job's tasks into slots, deploys
//! them, tracks their states and applies the restart strategy. The job
//! lifecycle is a typed state machine ([`Phase`]):
//!
//! ```text
//! Scheduling -> Running -> Done(FINISHED)
//!     |            |  \-> Cancelling -> Done(CANCELED)
//!     |            v
//!     +------> Failing -> Restarting -> Scheduling (attempt + 1)
//!                  \-> Done(FAILED)
//! ```

pub mod details;
pub mod execution_graph;

use crate::checkpoint::{CheckpointCoordinator, CheckpointTaskGateway, DeployedTask};
use crate::resource::{
    AllocatedSlot, ResourceManager, TaskExecutorClient, TaskManagerLost, now_ms,
};
use crate::restart::RestartBackoff;
use details::{ExceptionInfo, JobDetails, JobResult};
use execution_graph::{Placement, build_tdd, slot_offsets};
use flink_proto::{convert, pb};
use flink_types::{
    ExecutionAttemptId, ExecutionState, JobGraph, JobStatus, JobVertexId, ResourceId, TaskFailure,
    TaskStateSnapshot,
};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc};

/// Messages to a job master.
#[derive(Debug)]
pub(crate) enum JobMasterMessage {
    /// A task changed state (from its TaskManager).
    TaskState {
        attempt: ExecutionAttemptId,
        state: ExecutionState,
        failure: Option<TaskFailure>,
    },
    /// Cancel the job.
    Cancel,
    /// A task acknowledged a checkpoint.
    CheckpointAck {
        attempt: ExecutionAttemptId,
        checkpoint_id: u64,
        snapshot: TaskStateSnapshot,
    },
    /// A task declined a checkpoint.
    CheckpointDecline {
        attempt: ExecutionAttemptId,
        checkpoint_id: u64,
        reason: String,
    },
    /// The checkpoint coordinator fails the deployment (e.g. too many failed checkpoints).
    FailJob { cause: String },
    /// A stop/cancel-with-savepoint completed: end the job with `status`.
    EndAfterSavepoint { status: JobStatus },
}

/// Why a deployment fails.
#[derive(Debug)]
struct Failure {
    cause: String,
    task_name: Option<String>,
    location: Option<String>,
}

/// The slots and attempt number of one deployment of the whole job.
struct Deployment {
    attempt: u32,
    slots: Vec<AllocatedSlot>,
    /// Per vertex: index of the slot of subtask 0 (slot sharing offset).
    offsets: Vec<u32>,
    running_notified: bool,
}

impl Deployment {
    fn slot(&self, v: JobVertexId, subtask: u32) -> Option<&AllocatedSlot> {
        let off = *self.offsets.get(v.0 as usize)?;
        self.slots.get((off + subtask) as usize)
    }
}

/// The job lifecycle states.
enum Phase {
    Scheduling,
    Running(Deployment),
    Failing(Option<Deployment>, Failure),
    Cancelling(Option<Deployment>),
    Restarting(Duration),
    Done(JobStatus),
}

pub(crate) struct JobMaster {
    pub(crate) graph: Arc<JobGraph>,
    pub(crate) rm: Arc<ResourceManager>,
    pub(crate) details: Arc<Mutex<JobDetails>>,
    pub(crate) rx: mpsc::UnboundedReceiver<JobMasterMessage>,
    pub(crate) lost_rx: broadcast::Receiver<TaskManagerLost>,
    pub(crate) backoff: RestartBackoff,
    pub(crate) checkpoint: Option<Arc<dyn CheckpointCoordinator>>,
    /// How long to wait for tasks to confirm cancellation.
    pub(crate) cancel_timeout: Duration,
    pub(crate) cancel_requested: bool,
}

impl JobMaster {
    /// Runs the job to a terminal state.
    pub(crate) async fn run(mut self) -> JobResult {
        let mut phase = Phase::Scheduling;
        let status = loop {
            phase = match phase {
                Phase::Scheduling => self.schedule().await,
                Phase::Running(d) => self.run_deployment(d).await,
                Phase::Failing(d, f) => self.fail_over(d, f).await,
                Phase::Cancelling(d) => self.cancel(d).await,
                Phase::Restarting(delay) => self.restart_after(delay).await,
                Phase::Done(status) => break status,
            }
        };
        if let Some(cp) = &self.checkpoint {
            cp.job_terminated(status).await;
        }
        let now = now_ms();
        let mut d = self.details.lock();
        d.set_status(status, now);
        tracing::info!(job = %d.job_id, name = %d.name, %status, cause = ?d.failure_cause, "job reached a terminal state");
        JobResult {
            job_id: d.job_id,
            status,
            failure_cause: d.failure_cause.clone(),
            net_runtime_ms: d.duration(now),
        }
    }

    fn set_status(&self, status: JobStatus) {
        let mut d = self.details.lock();
        if d.status != status {
            tracing::info!(job = %d.job_id, from = %d.status, to = %status, "job status changed");
            d.set_status(status, now_ms());
        }
    }

    // ---- Scheduling -------------------------------------------------------

    async fn schedule(&mut self) -> Phase {
        self.set_status(JobStatus::Running);
        if let Some(cp) = &self.checkpoint
            && let Err(cause) = cp.prepare_restore().await
        {
            tracing::error!(job = %self.graph.job_id, %cause, "cannot restore the job's state");
            let mut d = self.details.lock();
            d.exceptions.push(ExceptionInfo {
                exception: cause.clone(),
                timestamp: now_ms(),
                task_name: None,
                location: None,
            });
            d.failure_cause = Some(cause);
            return Phase::Done(JobStatus::Failed);
        }
        let job_id = self.graph.job_id;
        let required = self.graph.required_slots();
        let rm = self.rm.clone();
        let allocation = rm.allocate_slots(job_id, required);
        tokio::pin!(allocation);
        let slots = loop {
            tokio::select! {
                r = &mut allocation => match r {
                    Ok(slots) => break slots,
                    Err(e) => {
                        return Phase::Failing(None, Failure {
                            cause: e.to_string(),
                            task_name: None,
                            location: None,
                        });
                    }
                },
                msg = self.rx.recv() => match msg {
                    Some(JobMasterMessage::Cancel) | None => return Phase::Cancelling(None),
                    Some(_) => {} // stale messages of an earlier attempt
                },
            }
        };
        let attempt = self.details.lock().attempt;
        let deployment = Deployment {
            attempt,
            slots,
            offsets: slot_offsets(&self.graph),
            running_notified: false,
        };
        self.deploy(deployment).await
    }

    async fn deploy(&mut self, dep: Deployment) -> Phase {
        let g = self.graph.clone();
        let place = |v: JobVertexId, i: u32| -> Placement {
            let s = dep.slot(v, i);
            Placement {
                allocation_id: s
                    .map(|s| s.allocation_id)
                    .unwrap_or_else(flink_types::AllocationId::generate),
                location: s.map(|s| s.location.clone()).unwrap_or_else(|| {
                    flink_types::TaskManagerLocation {
                        resource_id: flink_types::ResourceId(String::new()),
                        rpc_address: String::new(),
                        data_address: String::new(),
                    }
                }),
            }
        };
        let mut submissions = Vec::new();
        let now = now_ms();
        for v in &g.vertices {
            for i in 0..v.parallelism {
                let (Some(mut tdd), Some(slot)) = (
                    build_tdd(&g, v.id, i, dep.attempt, &place),
                    dep.slot(v.id, i),
                ) else {
                    return Phase::Failing(
                        Some(dep),
                        Failure {
                            cause: format!(
                                "internal error: no slot for {} ({}/{})",
                                v.name,
                                i + 1,
                                v.parallelism
                            ),
                            task_name: None,
                            location: None,
                        },
                    );
                };
                if let Some(cp) = &self.checkpoint {
                    tdd.restore = cp.restore_for(&tdd.attempt);
                }
                {
                    let mut d = self.details.lock();
                    if let Some(e) = d
                        .executions
                        .get_mut(v.id.0 as usize)
                        .and_then(|x| x.get_mut(i as usize))
                    {
                        e.state = ExecutionState::Deploying;
                        e.location = Some(slot.location.clone());
                        e.start_time = Some(now);
                    }
                }
                let mut gw = slot.gateway.clone();
                let name = tdd.task_name_with_subtask();
                let addr = slot.location.rpc_address.clone();
                let rid = slot.location.resource_id.clone();
                let req = pb::SubmitTaskRequest {
                    tdd: convert::encode_tdd(&tdd),
                };
                let attempt = tdd.attempt;
                let registration_id = slot.registration_id.clone();
                submissions.push(async move {
                    let r = gw.submit_task(req).await;
                    (attempt, name, addr, rid, registration_id, r)
                });
            }
        }
        tracing::info!(job = %g.job_id, attempt = dep.attempt, tasks = submissions.len(), "deploying tasks");
        for (attempt, name, addr, rid, registration_id, r) in
            futures::future::join_all(submissions).await
        {
            if let Err(status) = r {
                self.rm.report_rpc_failure(&rid, &registration_id, &status);
                let err = flink_proto::status::from_status("SubmitTask", &addr, &status);
                self.update_execution(&attempt, ExecutionState::Failed, None);
                return Phase::Failing(
                    Some(dep),
                    Failure {
                        cause: format!("Could not deploy {name} to TaskManager {rid}: {err}"),
                        task_name: Some(name),
                        location: Some(addr),
                    },
                );
            }
        }
        Phase::Running(dep)
    }

    // ---- Running ----------------------------------------------------------

    /// Applies a state update of the current attempt; returns false if stale.
    fn update_execution(
        &self,
        attempt: &ExecutionAttemptId,
        state: ExecutionState,
        failure: Option<TaskFailure>,
    ) -> bool {
        let mut d = self.details.lock();
        if attempt.attempt != d.attempt {
            return false;
        }
        let Some(e) = d
            .executions
            .get_mut(attempt.vertex.0 as usize)
            .and_then(|x| x.get_mut(attempt.subtask as usize))
        else {
            return false;
        };
        if e.state.is_terminal() {
            return false;
        }
        e.state = state;
        if state.is_terminal() {
            e.end_time = Some(now_ms());
        }
        if failure.is_some() {
            e.failure = failure;
        }
        d.last_modification = now_ms();
        true
    }

    fn task_name(&self, attempt: &ExecutionAttemptId) -> String {
        match self.graph.vertex(attempt.vertex) {
            Some(v) => format!("{} ({}/{})", v.name, attempt.subtask + 1, v.parallelism),
            None => attempt.to_string(),
        }
    }

    fn failure_of(
        &self,
        attempt: &ExecutionAttemptId,
        failure: Option<&TaskFailure>,
        dep: &Deployment,
    ) -> Failure {
        let v = self.graph.vertex(attempt.vertex);
        let par = v.map(|v| v.parallelism).unwrap_or(0);
        let op = match failure {
            Some(f) if !f.operator.is_empty() => f.operator.clone(),
            _ => v.map(|v| v.name.clone()).unwrap_or_default(),
        };
        let message = failure
            .map(|f| f.message.clone())
            .unwrap_or_else(|| "the task failed without a message".into());
        Failure {
            cause: root_cause(&op, attempt.subtask, par, &message),
            task_name: Some(self.task_name(attempt)),
            location: dep
                .slot(attempt.vertex, attempt.subtask)
                .map(|s| s.location.rpc_address.clone()),
        }
    }

    fn all_in(&self, state: ExecutionState) -> bool {
        self.details
            .lock()
            .executions
            .iter()
            .flatten()
            .all(|e| e.state == state)
    }

    async fn run_deployment(&mut self, mut dep: Deployment) -> Phase {
        loop {
            tokio::select! {
                msg = self.rx.recv() => match msg {
                    None | Some(JobMasterMessage::Cancel) => return Phase::Cancelling(Some(dep)),
                    Some(JobMasterMessage::TaskState { attempt, state, failure }) => {
                        if !self.update_execution(&attempt, state, failure.clone()) {
                            continue;
                        }
                        match state {
                            ExecutionState::Failed => {
                                let f = self.failure_of(&attempt, failure.as_ref(), &dep);
                                return Phase::Failing(Some(dep), f);
                            }
                            ExecutionState::Canceled => {
                                let name = self.task_name(&attempt);
                                return Phase::Failing(Some(dep), Failure {
                                    cause: format!("{name}: the task was canceled unexpectedly"),
                                    task_name: Some(name),
                                    location: None,
                                });
                            }
                            ExecutionState::Finished if self.all_in(ExecutionState::Finished) => {
                                self.stop_checkpointing();
                                self.rm.release_slots(&dep.slots, "job finished");
                                return Phase::Done(JobStatus::Finished);
                            }
                            ExecutionState::Running | ExecutionState::Finished => {
                                // Checkpointing starts once every task runs or
                                // has finished (bounded or split-less sources).
                                if !dep.running_notified && self.all_running_or_finished() {
                                    dep.running_notified = true;
                                    self.start_checkpointing(&dep);
                                } else if state == ExecutionState::Finished
                                    && dep.running_notified
                                    && let Some(cp) = &self.checkpoint
                                {
                                    cp.task_finished(attempt);
                                }
                            }
                            _ => {}
                        }
                    }
                    Some(JobMasterMessage::CheckpointAck { attempt, checkpoint_id, snapshot }) => {
                        if let Some(cp) = &self.checkpoint {
                            cp.acknowledge(attempt, checkpoint_id, snapshot);
                        }
                    }
                    Some(JobMasterMessage::CheckpointDecline { attempt, checkpoint_id, reason }) => {
                        if let Some(cp) = &self.checkpoint {
                            cp.decline(attempt, checkpoint_id, reason);
                        }
                    }
                    Some(JobMasterMessage::FailJob { cause }) => {
                        return Phase::Failing(Some(dep), Failure { cause, task_name: None, location: None });
                    }
                    Some(JobMasterMessage::EndAfterSavepoint { status }) => {
                        self.cancel_and_wait(&dep).await;
                        return Phase::Done(status);
                    }
                },
                lost = self.lost_rx.recv() => {
                    let Ok(lost) = lost else { continue };
                    if let Some(f) = self.on_task_manager_lost(&lost, &dep) {
                        return Phase::Failing(Some(dep), f);
                    }
                }
            }
        }
    }

    /// Marks the non-terminal executions on a lost TaskManager as failed;
    /// returns the failure if any was affected.
    fn on_task_manager_lost(&self, lost: &TaskManagerLost, dep: &Deployment) -> Option<Failure> {
        let mut affected = Vec::new();
        {
            let d = self.details.lock();
            for (v, subtasks) in d.executions.iter().enumerate() {
                for (i, e) in subtasks.iter().enumerate() {
                    // Only slots of the lost registration: a TaskManager that
                    // registered again may already host this deployment.
                    let here = dep.slot(JobVertexId(v as u32), i as u32).is_some_and(|s| {
                        s.location.resource_id == lost.resource_id
                            && s.registration_id == lost.registration_id
                    });
                    if here && !e.state.is_terminal() {
                        affected.push(ExecutionAttemptId {
                            job_id: self.graph.job_id,
                            vertex: JobVertexId(v as u32),
                            subtask: i as u32,
                            attempt: dep.attempt,
                        });
                    }
                }
            }
        }
        let first = *affected.first()?;
        let message = format!("TaskManager {} was lost: {}", lost.resource_id, lost.cause);
        for a in &affected {
            self.update_execution(
                a,
                ExecutionState::Failed,
                Some(TaskFailure {
                    operator: String::new(),
                    message: message.clone(),
                }),
            );
        }
        let name = self.task_name(&first);
        Some(Failure {
            cause: format!("{name}: {message}"),
            task_name: Some(name),
            location: dep
                .slot(first.vertex, first.subtask)
                .map(|s| s.location.rpc_address.clone()),
        })
    }

    fn all_running_or_finished(&self) -> bool {
        self.details
            .lock()
            .executions
            .iter()
            .flatten()
            .all(|e| matches!(e.state, ExecutionState::Running | ExecutionState::Finished))
    }

    fn start_checkpointing(&self, dep: &Deployment) {
        let Some(cp) = &self.checkpoint else { return };
        let mut tasks = Vec::new();
        let mut finished = Vec::new();
        let mut gateways = HashMap::new();
        for v in &self.graph.vertices {
            for i in 0..v.parallelism {
                let Some(slot) = dep.slot(v.id, i) else {
                    continue;
                };
                let attempt = ExecutionAttemptId {
                    job_id: self.graph.job_id,
                    vertex: v.id,
                    subtask: i,
                    attempt: dep.attempt,
                };
                let done = self
                    .details
                    .lock()
                    .executions
                    .get(v.id.0 as usize)
                    .and_then(|x| x.get(i as usize))
                    .is_some_and(|e| e.state == ExecutionState::Finished);
                if done {
                    finished.push(attempt);
                }
                gateways.insert(
                    attempt,
                    (
                        slot.gateway.clone(),
                        slot.location.resource_id.clone(),
                        slot.registration_id.clone(),
                    ),
                );
                tasks.push(DeployedTask {
                    attempt,
                    is_source: v.is_source,
                    location: slot.location.clone(),
                });
            }
        }
        cp.job_running(
            tasks,
            Arc::new(TaskGateways {
                gateways,
                rm: self.rm.clone(),
            }),
        );
        for a in finished {
            cp.task_finished(a);
        }
    }

    fn stop_checkpointing(&self) {
        if let Some(cp) = &self.checkpoint {
            cp.job_stopped();
        }
    }

    // ---- Failing / Cancelling --------------------------------------------

    /// Cancels every non-terminal task of the deployment, waits until all
    /// are terminal (or `cancel_timeout`), then gives the slots back.
    async fn cancel_and_wait(&mut self, dep: &Deployment) {
        self.stop_checkpointing();
        let mut to_cancel = Vec::new();
        {
            let mut d = self.details.lock();
            let now = now_ms();
            for (v, subtasks) in d.executions.iter_mut().enumerate() {
                for (i, e) in subtasks.iter_mut().enumerate() {
                    match e.state {
                        s if s.is_terminal() => {}
                        ExecutionState::Created | ExecutionState::Scheduled => {
                            e.state = ExecutionState::Canceled;
                            e.end_time = Some(now);
                        }
                        _ => {
                            e.state = ExecutionState::Canceling;
                            to_cancel.push(ExecutionAttemptId {
                                job_id: self.graph.job_id,
                                vertex: JobVertexId(v as u32),
                                subtask: i as u32,
                                attempt: dep.attempt,
                            });
                        }
                    }
                }
            }
        }
        for a in &to_cancel {
            if let Some(slot) = dep.slot(a.vertex, a.subtask) {
                let mut gw = slot.gateway.clone();
                let req = pb::CancelTaskRequest {
                    attempt: Some(convert::attempt_to_proto(a)),
                };
                // A TaskManager that cannot be reached is probed and, if gone,
                // removed: its tasks then count as failed without waiting for
                // the cancel timeout or the heartbeat timeout.
                let rm = self.rm.clone();
                let rid = slot.location.resource_id.clone();
                let registration_id = slot.registration_id.clone();
                tokio::spawn(async move {
                    if let Err(status) = gw.cancel_task(req).await {
                        rm.report_rpc_failure(&rid, &registration_id, &status);
                    }
                });
            }
        }
        let deadline = tokio::time::Instant::now() + self.cancel_timeout;
        while !self
            .details
            .lock()
            .executions
            .iter()
            .flatten()
            .all(|e| e.state.is_terminal())
        {
            tokio::select! {
                msg = self.rx.recv() => match msg {
                    Some(JobMasterMessage::TaskState { attempt, state, failure }) => {
                        self.update_execution(&attempt, state, failure);
                    }
                    Some(JobMasterMessage::Cancel) => self.cancel_requested = true,
                    Some(_) => {}
                    None => break,
                },
                lost = self.lost_rx.recv() => {
                    if let Ok(lost) = lost {
                        self.on_task_manager_lost(&lost, dep);
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    tracing::warn!(job = %self.graph.job_id, "tasks did not confirm cancellation in time; going on");
                    let mut d = self.details.lock();
                    let now = now_ms();
                    for e in d.executions.iter_mut().flatten() {
                        if !e.state.is_terminal() {
                            e.state = ExecutionState::Canceled;
                            e.end_time = Some(now);
                        }
                    }
                    break;
                }
            }
        }
        self.rm
            .release_slots(&dep.slots, "tasks of the job were cancelled");
    }

    async fn fail_over(&mut self, dep: Option<Deployment>, failure: Failure) -> Phase {
        tracing::warn!(job = %self.graph.job_id, cause = %failure.cause, "job failure");
        self.set_status(JobStatus::Failing);
        {
            let mut d = self.details.lock();
            d.exceptions.push(ExceptionInfo {
                exception: failure.cause.clone(),
                timestamp: now_ms(),
                task_name: failure.task_name.clone(),
                location: failure.location.clone(),
            });
        }
        if let Some(dep) = &dep {
            self.cancel_and_wait(dep).await;
        }
        if self.cancel_requested {
            return Phase::Done(JobStatus::Canceled);
        }
        match self.backoff.on_failure(Instant::now()) {
            Some(delay) => Phase::Restarting(delay),
            None => {
                self.details.lock().failure_cause = Some(failure.cause);
                Phase::Done(JobStatus::Failed)
            }
        }
    }

    async fn cancel(&mut self, dep: Option<Deployment>) -> Phase {
        self.set_status(JobStatus::Cancelling);
        if let Some(dep) = &dep {
            self.cancel_and_wait(dep).await;
        }
        Phase::Done(JobStatus::Canceled)
    }

    // ---- Restarting -------------------------------------------------------

    async fn restart_after(&mut self, delay: Duration) -> Phase {
        self.set_status(JobStatus::Restarting);
        tracing::info!(job = %self.graph.job_id, delay_ms = delay.as_millis() as u64, "restarting job");
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => break,
                msg = self.rx.recv() => match msg {
                    Some(JobMasterMessage::Cancel) | None => return Phase::Done(JobStatus::Canceled),
                    Some(_) => {}
                },
            }
        }
        let mut d = self.details.lock();
        let next = d.attempt + 1;
        d.reset_executions(next);
        Phase::Scheduling
    }
}

/// The job's failure cause for a task failure: `<operator> (<i>/<p>): <message>`.
/// An operator name that already carries the subtask (`Map (2/4)`, as the
/// stream task reports it) is kept as is.
fn root_cause(operator: &str, subtask: u32, parallelism: u32, message: &str) -> String {
    let suffix = format!("({}/{parallelism})", subtask + 1);
    if operator.contains(&suffix) {
        format!("{operator}: {message}")
    } else {
        format!("{operator} {suffix}: {message}")
    }
}

/// Lets the checkpoint coordinator act on its job master.
pub(crate) struct MasterActions(pub(crate) mpsc::UnboundedSender<JobMasterMessage>);

impl crate::checkpoint::JobMasterActions for MasterActions {
    fn fail_job(&self, cause: String) {
        let _ = self.0.send(JobMasterMessage::FailJob { cause });
    }
    fn end_job_after_savepoint(&self, status: JobStatus) {
        let _ = self.0.send(JobMasterMessage::EndAfterSavepoint { status });
    }
}

/// Sends checkpoint RPCs to the gateways of a deployment's tasks.
struct TaskGateways {
    /// Gateway, TaskManager and its registration, per task.
    gateways: HashMap<ExecutionAttemptId, (TaskExecutorClient, ResourceId, String)>,
    rm: Arc<ResourceManager>,
}

impl TaskGateways {
    fn send<F, Fut>(&self, attempt: ExecutionAttemptId, call: F)
    where
        F: FnOnce(TaskExecutorClient) -> Fut,
        Fut: std::future::Future<Output = Result<tonic::Response<pb::Ack>, tonic::Status>>
            + Send
            + 'static,
    {
        if let Some((gw, rid, registration_id)) = self.gateways.get(&attempt) {
            let fut = call(gw.clone());
            let (rm, rid, registration_id) =
                (self.rm.clone(), rid.clone(), registration_id.clone());
            tokio::spawn(async move {
                if let Err(e) = fut.await {
                    tracing::debug!(%attempt, error = %e, "checkpoint RPC failed");
                    rm.report_rpc_failure(&rid, &registration_id, &e);
                }
            });
        }
    }
}

impl CheckpointTaskGateway for TaskGateways {
    fn trigger_checkpoint(
        &self,
        attempt: ExecutionAttemptId,
        checkpoint_id: u64,
        timestamp_ms: i64,
        is_savepoint: bool,
    ) {
        let req = pb::TriggerCheckpointRequest {
            attempt: Some(convert::attempt_to_proto(&attempt)),
            checkpoint_id,
            timestamp_ms,
            is_savepoint,
        };
        self.send(attempt, move |mut g| async move {
            g.trigger_checkpoint(req).await
        });
    }
    fn notify_checkpoint_complete(&self, attempt: ExecutionAttemptId, checkpoint_id: u64) {
        let req = pb::NotifyCheckpointRequest {
            attempt: Some(convert::attempt_to_proto(&attempt)),
            checkpoint_id,
        };
        self.send(attempt, move |mut g| async move {
            g.notify_checkpoint_complete(req).await
        });
    }
    fn notify_checkpoint_aborted(&self, attempt: ExecutionAttemptId, checkpoint_id: u64) {
        let req = pb::NotifyCheckpointRequest {
            attempt: Some(convert::attempt_to_proto(&attempt)),
            checkpoint_id,
        };
        self.send(attempt, move |mut g| async move {
            g.notify_checkpoint_aborted(req).await
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn root_cause_names_operator_and_subtask_once() {
        assert_eq!(
            super::root_cause("Map -> Filter", 1, 4, "panicked at 'boom'"),
            "Map -> Filter (2/4): panicked at 'boom'"
        );
        assert_eq!(
            super::root_cause("Filter (2/4)", 1, 4, "panicked: boom"),
            "Filter (2/4): panicked: boom"
        );
    }
}
