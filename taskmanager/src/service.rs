//! The TaskManager's gRPC endpoint (`TaskExecutorGateway`), used by the JobManager.

use crate::error::TaskManagerExit;
use crate::state::{RunningTask, SlotAllocation, TaskEventSink, TmShared};
use flink_proto::pb::task_executor_gateway_server::TaskExecutorGateway;
use flink_proto::{convert, pb, status};
use flink_types::{ExecutionState, TaskEvents};
use std::sync::Arc;
use tonic::{Request, Response, Status};

pub(crate) struct TaskExecutorService(pub(crate) Arc<TmShared>);

fn ack() -> Result<Response<pb::Ack>, Status> {
    Ok(Response::new(pb::Ack {}))
}

#[tonic::async_trait]
impl TaskExecutorGateway for TaskExecutorService {
    async fn request_slot(
        &self,
        request: Request<pb::RequestSlotRequest>,
    ) -> Result<Response<pb::RequestSlotResponse>, Status> {
        const M: &str = "RequestSlotRequest";
        let r = request.into_inner();
        let allocation_id = convert::parse_allocation_id(M, &r.allocation_id)?;
        let job_id = convert::parse_job_id(M, &r.job_id)?;
        let mut slots = self.0.slots.lock();
        let index = match r.slot_index {
            Some(i) => i as usize,
            None => slots
                .iter()
                .position(|s| s.is_none())
                .ok_or_else(|| status::precondition("no free slot on this TaskManager"))?,
        };
        let Some(slot) = slots.get_mut(index) else {
            return Err(status::invalid(format!(
                "slot index {index} out of range: this TaskManager has {} slots",
                slots.len()
            )));
        };
        match slot {
            Some(a) if a.allocation_id == allocation_id => {}
            Some(a) => {
                return Err(status::precondition(format!(
                    "slot {index} is already allocated to {} (job {})",
                    a.allocation_id, a.job_id
                )));
            }
            None => {
                *slot = Some(SlotAllocation {
                    allocation_id,
                    job_id,
                })
            }
        }
        tracing::debug!(slot = index, %allocation_id, %job_id, jm = %r.jobmanager_address, "slot allocated");
        Ok(Response::new(pb::RequestSlotResponse {
            slot_index: index as u32,
        }))
    }

    async fn submit_task(
        &self,
        request: Request<pb::SubmitTaskRequest>,
    ) -> Result<Response<pb::Ack>, Status> {
        let tdd = convert::decode_tdd(&request.into_inner().tdd)?;
        let allocated = self.0.slots.lock().iter().any(|s| {
            s.as_ref()
                .is_some_and(|a| a.allocation_id == tdd.allocation_id && a.job_id == tdd.job_id)
        });
        if !allocated {
            return Err(status::precondition(format!(
                "cannot run {}: slot {} is not allocated to job {} on this TaskManager",
                tdd.task_name_with_subtask(),
                tdd.allocation_id,
                tdd.job_id
            )));
        }
        let attempt = tdd.attempt;
        let allocation_id = tdd.allocation_id;
        let name = tdd.task_name_with_subtask();
        let generation = self
            .0
            .current_generation
            .load(std::sync::atomic::Ordering::SeqCst);
        if self.0.tasks.lock().contains_key(&attempt) {
            return Err(status::precondition(format!(
                "{name} ({attempt}) is still running here (deployed by an earlier JobManager); retry when it stopped"
            )));
        }
        tracing::info!(task = %name, %attempt, "starting task");
        let events = Arc::new(TaskEventSink {
            tm: Arc::downgrade(&self.0),
            generation,
        });
        match self.0.spawner.spawn(tdd, events.clone()) {
            Ok(control) => {
                if self.0.ended_early.lock().remove(&(attempt, generation)) {
                    return ack();
                }
                self.0.tasks.lock().insert(
                    attempt,
                    RunningTask {
                        control,
                        allocation_id,
                        generation,
                    },
                );
            }
            Err(failure) => {
                tracing::warn!(task = %name, %failure, "task could not start");
                events.state_changed(attempt, ExecutionState::Failed, Some(failure));
            }
        }
        ack()
    }

    async fn cancel_task(
        &self,
        request: Request<pb::CancelTaskRequest>,
    ) -> Result<Response<pb::Ack>, Status> {
        let attempt = convert::attempt_from_proto(
            "CancelTaskRequest",
            request.into_inner().attempt.as_ref(),
        )?;
        match self.0.task_control(&attempt) {
            Some(c) => c.cancel(),
            None => tracing::debug!(%attempt, "cancel for a task that is not running"),
        }
        ack()
    }

    async fn heartbeat_from_resource_manager(
        &self,
        _request: Request<pb::HeartbeatFromResourceManagerRequest>,
    ) -> Result<Response<pb::Ack>, Status> {
        ack()
    }

    async fn free_slot(
        &self,
        request: Request<pb::FreeSlotRequest>,
    ) -> Result<Response<pb::Ack>, Status> {
        let r = request.into_inner();
        let allocation_id = convert::parse_allocation_id("FreeSlotRequest", &r.allocation_id)?;
        if self.0.free_slot(allocation_id) {
            tracing::debug!(%allocation_id, cause = %r.cause, "slot freed");
        }
        ack()
    }

    async fn trigger_checkpoint(
        &self,
        request: Request<pb::TriggerCheckpointRequest>,
    ) -> Result<Response<pb::Ack>, Status> {
        let r = request.into_inner();
        let attempt = convert::attempt_from_proto("TriggerCheckpointRequest", r.attempt.as_ref())?;
        let c = self
            .0
            .task_control(&attempt)
            .ok_or_else(|| status::not_found(format!("task {attempt} is not running here")))?;
        c.trigger_checkpoint(r.checkpoint_id, r.timestamp_ms, r.is_savepoint);
        ack()
    }

    async fn notify_checkpoint_complete(
        &self,
        request: Request<pb::NotifyCheckpointRequest>,
    ) -> Result<Response<pb::Ack>, Status> {
        let r = request.into_inner();
        let attempt = convert::attempt_from_proto("NotifyCheckpointRequest", r.attempt.as_ref())?;
        if let Some(c) = self.0.task_control(&attempt) {
            c.notify_checkpoint_complete(r.checkpoint_id);
        }
        ack()
    }

    async fn notify_checkpoint_aborted(
        &self,
        request: Request<pb::NotifyCheckpointRequest>,
    ) -> Result<Response<pb::Ack>, Status> {
        let r = request.into_inner();
        let attempt = convert::attempt_from_proto("NotifyCheckpointRequest", r.attempt.as_ref())?;
        if let Some(c) = self.0.task_control(&attempt) {
            c.notify_checkpoint_aborted(r.checkpoint_id);
        }
        ack()
    }

    async fn disconnect_job_manager(
        &self,
        request: Request<pb::DisconnectJobManagerRequest>,
    ) -> Result<Response<pb::Ack>, Status> {
        let cause = request.into_inner().cause;
        tracing::warn!(%cause, "JobManager disconnected this TaskManager; registering again");
        self.0.cancel_all_and_free_slots();
        self.0.reconnect.notify_one();
        ack()
    }

    async fn shutdown(
        &self,
        request: Request<pb::ShutdownRequest>,
    ) -> Result<Response<pb::Ack>, Status> {
        let cause = request.into_inner().cause;
        tracing::info!(%cause, "JobManager asked this TaskManager to shut down");
        self.0.cancel_all_tasks();
        self.0.exit(TaskManagerExit::ShutdownRequested(cause));
        ack()
    }
}
