//! Sends task events to the JobManager asynchronously and in order.

use crate::state::{Outgoing, TaskEvent, TmShared};
use flink_proto::{convert, pb};
use std::sync::Weak;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long one message is retried while the JobManager is unreachable.
const RETRY_FOR: Duration = Duration::from_secs(30);

pub(crate) async fn run(tm: Weak<TmShared>, mut rx: mpsc::UnboundedReceiver<Outgoing>) {
    while let Some(msg) = rx.recv().await {
        let deadline = tokio::time::Instant::now() + RETRY_FOR;
        let mut delay = Duration::from_millis(50);
        loop {
            let Some(shared) = tm.upgrade() else { return };
            if shared.stopped.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            let conn = shared.jm.lock().clone();
            drop(shared);
            let result = match conn {
                None => Err("not registered at a JobManager".to_string()),
                Some(c) if c.generation != msg.generation => {
                    // The task belongs to a JobManager this TaskManager left.
                    tracing::debug!(event = ?msg.event, "dropping an event of a previous JobManager's task");
                    break;
                }
                Some(mut c) => send(&mut c.client, &msg.event).await.map_err(|s| {
                    flink_proto::status::from_status(kind(&msg.event), &c.address, &s).message
                }),
            };
            match result {
                Ok(()) => break,
                Err(e) if tokio::time::Instant::now() < deadline => {
                    tracing::debug!(error = %e, "could not send task event; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
                Err(e) => {
                    tracing::warn!(error = %e, event = ?msg.event, "dropping task event: JobManager unreachable");
                    break;
                }
            }
        }
    }
}

fn kind(msg: &TaskEvent) -> &'static str {
    match msg {
        TaskEvent::State { .. } => "UpdateTaskExecutionState",
        TaskEvent::Ack { .. } => "AcknowledgeCheckpoint",
        TaskEvent::Decline { .. } => "DeclineCheckpoint",
    }
}

async fn send(
    client: &mut pb::job_manager_gateway_client::JobManagerGatewayClient<tonic::transport::Channel>,
    msg: &TaskEvent,
) -> Result<(), tonic::Status> {
    let r = match msg {
        TaskEvent::State {
            attempt,
            state,
            failure,
        } => {
            client
                .update_task_execution_state(pb::UpdateTaskExecutionStateRequest {
                    attempt: Some(convert::attempt_to_proto(attempt)),
                    state: convert::state_to_proto(*state) as i32,
                    failure_operator: failure
                        .as_ref()
                        .map(|f| f.operator.clone())
                        .unwrap_or_default(),
                    failure_message: failure
                        .as_ref()
                        .map(|f| f.message.clone())
                        .unwrap_or_default(),
                })
                .await
        }
        TaskEvent::Ack {
            attempt,
            checkpoint_id,
            snapshot,
        } => {
            client
                .acknowledge_checkpoint(pb::AcknowledgeCheckpointRequest {
                    attempt: Some(convert::attempt_to_proto(attempt)),
                    checkpoint_id: *checkpoint_id,
                    snapshot: convert::encode_snapshot(snapshot),
                })
                .await
        }
        TaskEvent::Decline {
            attempt,
            checkpoint_id,
            reason,
        } => {
            client
                .decline_checkpoint(pb::DeclineCheckpointRequest {
                    attempt: Some(convert::attempt_to_proto(attempt)),
                    checkpoint_id: *checkpoint_id,
                    reason: reason.clone(),
                })
                .await
        }
    };
    match r {
        Ok(_) => Ok(()),
        // The job is gone (finished/evicted): nothing to retry.
        Err(s) if s.code() == tonic::Code::NotFound => Ok(()),
        Err(s) => Err(s),
    }
}
