//! The JobManager's gRPC endpoint (`JobManagerGateway`), used by TaskManagers.

use crate::dispatcher::Dispatcher;
use crate::jobmaster::JobMasterMessage;
use crate::resource::{ResourceManager, TaskManagerRegistration};
use flink_proto::pb::job_manager_gateway_server::JobManagerGateway;
use flink_proto::{convert, pb, status};
use flink_types::{ResourceId, TaskFailure};
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// Implements `JobManagerGateway` over the ResourceManager and Dispatcher.
pub(crate) struct JobManagerGatewayService {
    pub(crate) rm: Arc<ResourceManager>,
    pub(crate) dispatcher: Arc<Dispatcher>,
    pub(crate) resource_id: String,
}

fn job_error(e: crate::JobManagerError) -> Status {
    match e {
        crate::JobManagerError::JobNotFound(_) => status::not_found(e),
        other => status::internal(other),
    }
}

#[tonic::async_trait]
impl JobManagerGateway for JobManagerGatewayService {
    async fn register_task_executor(
        &self,
        request: Request<pb::RegisterTaskExecutorRequest>,
    ) -> Result<Response<pb::RegisterTaskExecutorResponse>, Status> {
        let r = request.into_inner();
        if r.resource_id.is_empty() || r.rpc_address.is_empty() {
            return Err(status::invalid(
                "RegisterTaskExecutorRequest needs resource_id and rpc_address",
            ));
        }
        let hw = r.hardware.unwrap_or_default();
        let mem = r.memory.unwrap_or_default();
        let registration_id = self
            .rm
            .register(TaskManagerRegistration {
                resource_id: ResourceId(r.resource_id),
                rpc_address: r.rpc_address,
                data_address: r.data_address,
                num_slots: r.num_slots,
                cpu_cores: hw.cpu_cores,
                physical_memory_bytes: hw.physical_memory_bytes,
                total_process_memory_bytes: mem.total_process_memory_bytes,
            })
            .map_err(status::precondition)?;
        let s = self.rm.settings();
        Ok(Response::new(pb::RegisterTaskExecutorResponse {
            registration_id,
            heartbeat_interval_ms: s.heartbeat_interval.as_millis() as u64,
            heartbeat_timeout_ms: s.heartbeat_timeout.as_millis() as u64,
            jobmanager_resource_id: self.resource_id.clone(),
        }))
    }

    async fn heartbeat(
        &self,
        request: Request<pb::HeartbeatRequest>,
    ) -> Result<Response<pb::HeartbeatResponse>, Status> {
        let r = request.into_inner();
        let mut report = Vec::new();
        for slot in &r.slots {
            if !slot.allocation_id.is_empty() {
                let a = convert::parse_allocation_id("HeartbeatRequest", &slot.allocation_id)?;
                report.push((slot.slot_index, a));
            }
        }
        let known = self
            .rm
            .heartbeat(&ResourceId(r.resource_id), &r.registration_id, &report);
        let result = if known {
            pb::HeartbeatResult::Ok
        } else {
            pb::HeartbeatResult::Unknown
        };
        Ok(Response::new(pb::HeartbeatResponse {
            result: result as i32,
        }))
    }

    async fn update_task_execution_state(
        &self,
        request: Request<pb::UpdateTaskExecutionStateRequest>,
    ) -> Result<Response<pb::Ack>, Status> {
        const M: &str = "UpdateTaskExecutionStateRequest";
        let r = request.into_inner();
        let attempt = convert::attempt_from_proto(M, r.attempt.as_ref())?;
        let state = convert::state_from_proto(M, r.state)?;
        let failure = (state == flink_types::ExecutionState::Failed
            || !r.failure_message.is_empty())
        .then_some(TaskFailure {
            operator: r.failure_operator,
            message: r.failure_message,
        });
        self.dispatcher
            .task_state(attempt, state, failure)
            .map_err(job_error)?;
        Ok(Response::new(pb::Ack {}))
    }

    async fn acknowledge_checkpoint(
        &self,
        request: Request<pb::AcknowledgeCheckpointRequest>,
    ) -> Result<Response<pb::Ack>, Status> {
        const M: &str = "AcknowledgeCheckpointRequest";
        let r = request.into_inner();
        let attempt = convert::attempt_from_proto(M, r.attempt.as_ref())?;
        let snapshot = convert::decode_snapshot(&r.snapshot)?;
        self.dispatcher
            .route(
                attempt.job_id,
                JobMasterMessage::CheckpointAck {
                    attempt,
                    checkpoint_id: r.checkpoint_id,
                    snapshot,
                },
            )
            .map_err(job_error)?;
        Ok(Response::new(pb::Ack {}))
    }

    async fn decline_checkpoint(
        &self,
        request: Request<pb::DeclineCheckpointRequest>,
    ) -> Result<Response<pb::Ack>, Status> {
        const M: &str = "DeclineCheckpointRequest";
        let r = request.into_inner();
        let attempt = convert::attempt_from_proto(M, r.attempt.as_ref())?;
        self.dispatcher
            .route(
                attempt.job_id,
                JobMasterMessage::CheckpointDecline {
                    attempt,
                    checkpoint_id: r.checkpoint_id,
                    reason: r.reason,
                },
            )
            .map_err(job_error)?;
        Ok(Response::new(pb::Ack {}))
    }

    async fn disconnect_task_manager(
        &self,
        request: Request<pb::DisconnectTaskManagerRequest>,
    ) -> Result<Response<pb::Ack>, Status> {
        let r = request.into_inner();
        let id = ResourceId(r.resource_id);
        self.rm
            .remove_task_manager(&id, format!("TaskManager {id} disconnected: {}", r.cause));
        Ok(Response::new(pb::Ack {}))
    }
}
