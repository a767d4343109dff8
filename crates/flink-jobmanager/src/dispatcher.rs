//! The Dispatcher: accepts jobs, runs one job master per job, answers
//! queries and keeps a bounded history of finished jobs.

use crate::checkpoint::{CheckpointCoordinator, CheckpointCoordinatorFactory};
use crate::error::JobManagerError;
use crate::jobmaster::details::{JobDetails, JobResult};
use crate::jobmaster::execution_graph::validate_job_graph;
use crate::jobmaster::{JobMaster, JobMasterMessage};
use crate::resource::{ResourceManager, now_ms};
use crate::restart::RestartStrategy;
use flink_ha::HaServices;
use flink_types::{ExecutionAttemptId, JobGraph, JobId, JobStatus};
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

struct JobEntry {
    details: Arc<Mutex<JobDetails>>,
    checkpoint: Option<Arc<dyn CheckpointCoordinator>>,
    tx: mpsc::UnboundedSender<JobMasterMessage>,
    result: watch::Receiver<Option<JobResult>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

#[derive(Default)]
struct DispatcherState {
    jobs: HashMap<JobId, JobEntry>,
    /// Finished jobs, oldest first (evicted beyond capacity).
    finished: VecDeque<JobId>,
    closed: bool,
}

/// Accepts and tracks jobs.
pub struct Dispatcher {
    rm: Arc<ResourceManager>,
    ha: Arc<dyn HaServices>,
    checkpoint_factory: Option<Arc<dyn CheckpointCoordinatorFactory>>,
    state: Mutex<DispatcherState>,
    capacity: usize,
    cancel_timeout: Duration,
}

impl Dispatcher {
    pub(crate) fn new(
        rm: Arc<ResourceManager>,
        ha: Arc<dyn HaServices>,
        checkpoint_factory: Option<Arc<dyn CheckpointCoordinatorFactory>>,
        capacity: usize,
        cancel_timeout: Duration,
    ) -> Arc<Self> {
        Arc::new(Self {
            rm,
            ha,
            checkpoint_factory,
            state: Mutex::new(DispatcherState::default()),
            capacity: capacity.max(1),
            cancel_timeout,
        })
    }

    /// Submits a job; returns once its job master runs.
    pub async fn submit(self: &Arc<Self>, graph: JobGraph) -> Result<JobId, JobManagerError> {
        validate_job_graph(&graph).map_err(JobManagerError::InvalidJobGraph)?;
        let restart = RestartStrategy::from_config(&graph.config)?;
        crate::checkpoint_coordinator::validate_checkpoint_config(&graph)?;
        let job_id = graph.job_id;
        {
            let st = self.state.lock();
            if st.closed {
                return Err(JobManagerError::ShuttingDown);
            }
            if st.jobs.contains_key(&job_id) {
                return Err(JobManagerError::DuplicateJob(job_id));
            }
        }
        self.ha.job_graph_store().put(&graph).await?;
        let graph = Arc::new(graph);
        let details = Arc::new(Mutex::new(JobDetails::new(graph.clone(), now_ms())));
        let (tx, rx) = mpsc::unbounded_channel();
        let (result_tx, result_rx) = watch::channel(None);
        let checkpoint = self
            .checkpoint_factory
            .as_ref()
            .and_then(|f| f.create(&graph));
        if let Some(cp) = &checkpoint {
            cp.set_job_actions(Arc::new(crate::jobmaster::MasterActions(tx.clone())));
        }
        let master = JobMaster {
            graph: graph.clone(),
            rm: self.rm.clone(),
            details: details.clone(),
            rx,
            lost_rx: self.rm.subscribe_lost(),
            backoff: restart.backoff(),
            checkpoint: checkpoint.clone(),
            cancel_timeout: self.cancel_timeout,
            cancel_requested: false,
        };
        {
            let mut st = self.state.lock();
            if st.jobs.contains_key(&job_id) {
                return Err(JobManagerError::DuplicateJob(job_id));
            }
            st.jobs.insert(
                job_id,
                JobEntry {
                    details,
                    checkpoint,
                    tx,
                    result: result_rx,
                    task: None,
                },
            );
        }
        tracing::info!(job = %job_id, name = %graph.name, slots = graph.required_slots(), "job submitted");
        let this = Arc::clone(self);
        let task = tokio::spawn(async move {
            let result = master.run().await;
            if let Err(e) = this.ha.job_graph_store().remove(result.job_id).await {
                tracing::warn!(job = %result.job_id, error = %e, "could not remove the job graph from the HA store");
            }
            result_tx.send_replace(Some(result));
            this.job_terminated(job_id);
        });
        if let Some(e) = self.state.lock().jobs.get_mut(&job_id) {
            e.task = Some(task);
        }
        Ok(job_id)
    }

    fn job_terminated(&self, job_id: JobId) {
        let mut st = self.state.lock();
        if let Some(e) = st.jobs.get_mut(&job_id) {
            e.task = None;
        }
        st.finished.push_back(job_id);
        while st.finished.len() > self.capacity {
            if let Some(old) = st.finished.pop_front() {
                st.jobs.remove(&old);
            }
        }
    }

    /// Requests cancellation of a job.
    pub fn cancel(&self, job_id: JobId) -> Result<(), JobManagerError> {
        let st = self.state.lock();
        let e = st
            .jobs
            .get(&job_id)
            .ok_or(JobManagerError::JobNotFound(job_id))?;
        // A finished job ignores the request (its master is gone).
        let _ = e.tx.send(JobMasterMessage::Cancel);
        Ok(())
    }

    /// A snapshot of a job's details.
    pub fn job_details(&self, job_id: JobId) -> Result<JobDetails, JobManagerError> {
        let st = self.state.lock();
        let e = st
            .jobs
            .get(&job_id)
            .ok_or(JobManagerError::JobNotFound(job_id))?;
        Ok(e.details.lock().clone())
    }

    /// The checkpoint coordinator of a job (`None`: batch job or no
    /// coordinator factory).
    pub fn checkpoint_coordinator(
        &self,
        job_id: JobId,
    ) -> Result<Option<Arc<dyn CheckpointCoordinator>>, JobManagerError> {
        let st = self.state.lock();
        let e = st
            .jobs
            .get(&job_id)
            .ok_or(JobManagerError::JobNotFound(job_id))?;
        Ok(e.checkpoint.clone())
    }

    /// Snapshots of all known jobs, newest first.
    pub fn list_jobs(&self) -> Vec<JobDetails> {
        let st = self.state.lock();
        let mut v: Vec<JobDetails> = st.jobs.values().map(|e| e.details.lock().clone()).collect();
        v.sort_by_key(|d| std::cmp::Reverse(d.start_time));
        v
    }

    /// The job's result if it is terminal.
    pub fn job_result(&self, job_id: JobId) -> Result<Option<JobResult>, JobManagerError> {
        let st = self.state.lock();
        let e = st
            .jobs
            .get(&job_id)
            .ok_or(JobManagerError::JobNotFound(job_id))?;
        Ok(e.result.borrow().clone())
    }

    /// Waits until the job is terminal.
    pub async fn wait_job_result(&self, job_id: JobId) -> Result<JobResult, JobManagerError> {
        let mut rx = {
            let st = self.state.lock();
            st.jobs
                .get(&job_id)
                .ok_or(JobManagerError::JobNotFound(job_id))?
                .result
                .clone()
        };
        let r = rx
            .wait_for(|r| r.is_some())
            .await
            .map_err(|_| JobManagerError::ShuttingDown)?;
        r.clone().ok_or(JobManagerError::ShuttingDown)
    }

    /// Routes a message from a TaskManager to the job's master.
    pub(crate) fn route(
        &self,
        job_id: JobId,
        msg: JobMasterMessage,
    ) -> Result<(), JobManagerError> {
        let st = self.state.lock();
        let e = st
            .jobs
            .get(&job_id)
            .ok_or(JobManagerError::JobNotFound(job_id))?;
        let _ = e.tx.send(msg);
        Ok(())
    }

    /// Routes a task state update.
    pub(crate) fn task_state(
        &self,
        attempt: ExecutionAttemptId,
        state: flink_types::ExecutionState,
        failure: Option<flink_types::TaskFailure>,
    ) -> Result<(), JobManagerError> {
        self.route(
            attempt.job_id,
            JobMasterMessage::TaskState {
                attempt,
                state,
                failure,
            },
        )
    }

    /// Number of jobs per status (for `/overview`).
    pub fn status_counts(&self) -> HashMap<JobStatus, u32> {
        let mut m = HashMap::new();
        for d in self.list_jobs() {
            *m.entry(d.status).or_default() += 1;
        }
        m
    }

    /// Stops all job masters (jobs become SUSPENDED) and rejects new jobs.
    pub(crate) fn close(&self) {
        let mut st = self.state.lock();
        st.closed = true;
        for e in st.jobs.values_mut() {
            if let Some(t) = e.task.take() {
                t.abort();
                let mut d = e.details.lock();
                if !d.status.is_globally_terminal() {
                    d.set_status(JobStatus::Suspended, now_ms());
                }
            }
        }
    }
}
