//! The TaskManager's shared state: slot table, running tasks, the
//! JobManager connection and the ordered outbox to the JobManager.

use crate::error::TaskManagerExit;
use flink_proto::pb;
use flink_proto::pb::job_manager_gateway_client::JobManagerGatewayClient;
use flink_types::{
    AllocationId, ExecutionAttemptId, ExecutionState, JobId, ResourceId, TaskControl, TaskEvents,
    TaskFailure, TaskManagerLocation, TaskSpawner, TaskStateSnapshot,
};
use parking_lot::Mutex;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Weak};
use tokio::sync::{Notify, mpsc, watch};
use tonic::transport::Channel;

/// One allocated slot.
#[derive(Clone, Debug)]
pub(crate) struct SlotAllocation {
    pub(crate) allocation_id: AllocationId,
    pub(crate) job_id: JobId,
}

pub(crate) struct RunningTask {
    pub(crate) control: Arc<dyn TaskControl>,
    pub(crate) allocation_id: AllocationId,
    /// The JobManager connection that deployed it.
    pub(crate) generation: u64,
}

/// The current registration at the JobManager.
#[derive(Clone)]
pub(crate) struct JmConnection {
    pub(crate) client: JobManagerGatewayClient<Channel>,
    pub(crate) registration_id: String,
    pub(crate) address: String,
    /// Increases with every registration; tasks and their events belong
    /// to the connection that deployed them.
    pub(crate) generation: u64,
}

/// A message to the JobManager, sent in order.
#[derive(Debug)]
pub(crate) struct Outgoing {
    /// Connection generation of the task that sent it.
    pub(crate) generation: u64,
    pub(crate) event: TaskEvent,
}

/// A task event.
#[derive(Debug)]
pub(crate) enum TaskEvent {
    State {
        attempt: ExecutionAttemptId,
        state: ExecutionState,
        failure: Option<TaskFailure>,
    },
    Ack {
        attempt: ExecutionAttemptId,
        checkpoint_id: u64,
        snapshot: TaskStateSnapshot,
    },
    Decline {
        attempt: ExecutionAttemptId,
        checkpoint_id: u64,
        reason: String,
    },
}

pub(crate) struct TmShared {
    pub(crate) resource_id: ResourceId,
    pub(crate) location: TaskManagerLocation,
    pub(crate) slots: Mutex<Vec<Option<SlotAllocation>>>,
    pub(crate) tasks: Mutex<HashMap<ExecutionAttemptId, RunningTask>>,
    /// Attempts that reported a terminal state before `spawn` returned.
    pub(crate) ended_early: Mutex<HashSet<(ExecutionAttemptId, u64)>>,
    pub(crate) spawner: Arc<dyn TaskSpawner>,
    pub(crate) outbox: mpsc::UnboundedSender<Outgoing>,
    pub(crate) jm: Mutex<Option<JmConnection>>,
    /// Last connection generation handed out.
    pub(crate) next_generation: std::sync::atomic::AtomicU64,
    /// Generation of the current (or pending) registration.
    pub(crate) current_generation: std::sync::atomic::AtomicU64,
    /// Set when the TaskManager stops (or is killed): nothing is sent any more.
    pub(crate) stopped: std::sync::atomic::AtomicBool,
    /// Wakes the connection loop to drop the JobManager and register again.
    pub(crate) reconnect: Notify,
    pub(crate) exit: watch::Sender<Option<TaskManagerExit>>,
}

impl TmShared {
    /// Asks every task to cancel.
    pub(crate) fn cancel_all_tasks(&self) {
        let controls: Vec<Arc<dyn TaskControl>> = self
            .tasks
            .lock()
            .values()
            .map(|t| t.control.clone())
            .collect();
        for c in controls {
            c.cancel();
        }
    }

    /// Cancels all tasks and frees all slots (JobManager lost).
    pub(crate) fn cancel_all_and_free_slots(&self) {
        self.cancel_all_tasks();
        for s in self.slots.lock().iter_mut() {
            *s = None;
        }
    }

    /// Frees one slot and cancels the tasks in it; false if unknown.
    pub(crate) fn free_slot(&self, allocation_id: AllocationId) -> bool {
        let mut found = false;
        for s in self.slots.lock().iter_mut() {
            if s.as_ref().is_some_and(|a| a.allocation_id == allocation_id) {
                *s = None;
                found = true;
            }
        }
        let controls: Vec<Arc<dyn TaskControl>> = self
            .tasks
            .lock()
            .values()
            .filter(|t| t.allocation_id == allocation_id)
            .map(|t| t.control.clone())
            .collect();
        for c in controls {
            c.cancel();
        }
        found
    }

    pub(crate) fn task_control(
        &self,
        attempt: &ExecutionAttemptId,
    ) -> Option<Arc<dyn TaskControl>> {
        self.tasks.lock().get(attempt).map(|t| t.control.clone())
    }

    /// The slot report for heartbeats.
    pub(crate) fn slot_report(&self) -> Vec<pb::SlotStatus> {
        self.slots
            .lock()
            .iter()
            .enumerate()
            .map(|(i, s)| pb::SlotStatus {
                slot_index: i as u32,
                allocation_id: s
                    .as_ref()
                    .map(|a| a.allocation_id.to_hex())
                    .unwrap_or_default(),
                job_id: s.as_ref().map(|a| a.job_id.to_hex()).unwrap_or_default(),
            })
            .collect()
    }

    pub(crate) fn running_tasks(&self) -> Vec<pb::ExecutionAttempt> {
        self.tasks
            .lock()
            .keys()
            .map(flink_proto::convert::attempt_to_proto)
            .collect()
    }

    pub(crate) fn exit(&self, reason: TaskManagerExit) {
        self.exit.send_if_modified(|e| {
            if e.is_none() {
                *e = Some(reason);
                true
            } else {
                false
            }
        });
    }
}

/// The [`TaskEvents`] handed to one spawned task: forwards to the outbox,
/// tagged with the JobManager connection that deployed the task.
pub(crate) struct TaskEventSink {
    pub(crate) tm: Weak<TmShared>,
    pub(crate) generation: u64,
}

impl TaskEventSink {
    fn send(&self, tm: &TmShared, event: TaskEvent) {
        if tm.stopped.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let _ = tm.outbox.send(Outgoing {
            generation: self.generation,
            event,
        });
    }
}

impl TaskEvents for TaskEventSink {
    fn state_changed(
        &self,
        attempt: ExecutionAttemptId,
        state: ExecutionState,
        failure: Option<TaskFailure>,
    ) {
        let Some(tm) = self.tm.upgrade() else { return };
        if state.is_terminal() {
            let mut tasks = tm.tasks.lock();
            let mine = tasks
                .get(&attempt)
                .is_some_and(|t| t.generation == self.generation);
            if mine {
                tasks.remove(&attempt);
            } else {
                tm.ended_early.lock().insert((attempt, self.generation));
            }
        }
        self.send(
            &tm,
            TaskEvent::State {
                attempt,
                state,
                failure,
            },
        );
    }
    fn checkpoint_acknowledged(
        &self,
        attempt: ExecutionAttemptId,
        checkpoint_id: u64,
        snapshot: TaskStateSnapshot,
    ) {
        if let Some(tm) = self.tm.upgrade() {
            self.send(
                &tm,
                TaskEvent::Ack {
                    attempt,
                    checkpoint_id,
                    snapshot,
                },
            );
        }
    }
    fn checkpoint_declined(&self, attempt: ExecutionAttemptId, checkpoint_id: u64, reason: String) {
        if let Some(tm) = self.tm.upgrade() {
            self.send(
                &tm,
                TaskEvent::Decline {
                    attempt,
                    checkpoint_id,
                    reason,
                },
            );
        }
    }
}
