//! The checkpoint coordinator (Flink `CheckpointCoordinator`): triggers
//! periodic checkpoints on the source tasks, collects acknowledgements,
//! writes `_metadata` (via `flink-checkpoint`) and only then notifies the
//! tasks; aborts checkpoints on timeout, decline or failover; counts
//! consecutive failures against `tolerable-failed-checkpoints`; takes
//! savepoints; and decides what every subtask restores on (re)deployment.
//!
//! Checkpoint ids come from one counter per job that survives restarts; a
//! coordinator created for a job that already has `chk-<n>` directories
//! (JobManager failover) continues after the highest `n`.

use crate::checkpoint::{
    CheckpointCoordinator, CheckpointCoordinatorFactory, CheckpointStats, CheckpointStatsEntry,
    CheckpointTaskGateway, DeployedTask, JobMasterActions, RestoredCheckpoint, SavepointMode,
    SavepointResult,
};
use crate::error::JobManagerError;
use crate::resource::now_ms;
use async_trait::async_trait;
use flink_checkpoint::{
    CheckpointMetadata, CheckpointStorage, OperatorState, assign_subtask_state, load_restore_path,
    write_savepoint,
};
use flink_config::options::{self, ExternalizedCheckpointRetention};
use flink_config::{CheckpointingConfig, ConfigSource, Configuration};
use flink_fs::HadoopSettings;
use flink_types::{
    ExecutionAttemptId, JobGraph, JobId, JobStatus, JobVertexId, RuntimeMode, StateLocation,
    TaskRestore, TaskStateSnapshot,
};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How many recent checkpoints the statistics keep.
const HISTORY_SIZE: usize = 10;
/// How often a periodic trigger that had to wait (too many concurrent
/// checkpoints) looks again.
const RETRY_DELAY: Duration = Duration::from_millis(100);

/// The checkpointing settings of one job.
#[derive(Clone, Debug)]
pub struct CoordinatorSettings {
    /// `execution.checkpointing.*` values.
    pub checkpointing: CheckpointingConfig,
    /// `execution.savepoint.path` (`-s`).
    pub restore_path: Option<String>,
    /// `execution.savepoint.ignore-unclaimed-state` (`-n`).
    pub allow_non_restored_state: bool,
}

impl CoordinatorSettings {
    /// Reads and validates the settings from a job configuration.
    pub fn from_config(config: &BTreeMap<String, String>) -> Result<Self, JobManagerError> {
        let mut c = Configuration::new();
        for (k, v) in config {
            c.set_string(k, v, ConfigSource::Set("the job configuration".into()));
        }
        let err = |e: flink_config::ConfigError| JobManagerError::Config {
            key: "execution.checkpointing".into(),
            value: String::new(),
            reason: e.to_string(),
        };
        let checkpointing = CheckpointingConfig::from_configuration(&c).map_err(err)?;
        flink_checkpoint::memory_threshold(config).map_err(|e| JobManagerError::Config {
            key: "state.storage.fs.memory-threshold".into(),
            value: String::new(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            checkpointing,
            restore_path: c.get_optional(&options::SAVEPOINT_PATH).map_err(err)?,
            allow_non_restored_state: c
                .get(&options::SAVEPOINT_IGNORE_UNCLAIMED_STATE)
                .map_err(err)?,
        })
    }
}

/// Checks a job's checkpoint configuration at submission (clear errors
/// instead of a job that fails later).
pub fn validate_checkpoint_config(graph: &JobGraph) -> Result<(), JobManagerError> {
    CoordinatorSettings::from_config(&graph.config)?;
    flink_checkpoint::CheckpointStorage::from_config(&graph.config, graph.job_id).map_err(|e| {
        JobManagerError::Config {
            key: "execution.checkpointing.dir".into(),
            value: String::new(),
            reason: e.to_string(),
        }
    })?;
    Ok(())
}

/// Creates a [`DefaultCheckpointCoordinator`] for every streaming job.
/// [`crate::JobManagerRunner::start`] uses it.
#[derive(Clone, Debug, Default)]
pub struct DefaultCheckpointCoordinatorFactory {
    /// How HDFS is reached (default: `HADOOP_CONF_DIR`).
    pub hadoop: HadoopSettings,
}

impl CheckpointCoordinatorFactory for DefaultCheckpointCoordinatorFactory {
    fn create(&self, graph: &JobGraph) -> Option<Arc<dyn CheckpointCoordinator>> {
        if graph.runtime_mode == RuntimeMode::Batch {
            return None;
        }
        match DefaultCheckpointCoordinator::new(graph, self.hadoop.clone()) {
            Ok(c) => Some(Arc::new(c)),
            Err(e) => {
                // Submission validated the configuration already.
                tracing::error!(job = %graph.job_id, error = %e, "no checkpoint coordinator");
                None
            }
        }
    }
}

/// The coordinator of one job.
pub struct DefaultCheckpointCoordinator {
    shared: Arc<Shared>,
}

struct Shared {
    job_id: JobId,
    /// Per vertex: parallelism, max parallelism, operator uids.
    vertices: HashMap<JobVertexId, (u32, u32, Vec<String>)>,
    settings: CoordinatorSettings,
    storage: Option<CheckpointStorage>,
    hadoop: HadoopSettings,
    state: Mutex<State>,
}

struct Running {
    tasks: Vec<DeployedTask>,
    finished: HashSet<ExecutionAttemptId>,
    gateway: Arc<dyn CheckpointTaskGateway>,
    /// The newest acknowledged snapshot of each task, by checkpoint id. A
    /// task that has finished contributes its last one to later checkpoints
    /// (Flink's FLIP-147): restored from them it has nothing left to do
    /// instead of starting over.
    last_acked: HashMap<ExecutionAttemptId, (u64, TaskStateSnapshot)>,
}

impl Running {
    fn live(&self) -> impl Iterator<Item = &DeployedTask> {
        self.tasks
            .iter()
            .filter(|t| !self.finished.contains(&t.attempt))
    }
    fn notify_complete(&self, id: u64) {
        for t in self.live() {
            self.gateway.notify_checkpoint_complete(t.attempt, id);
        }
    }
    fn notify_aborted(&self, id: u64) {
        for t in self.live() {
            self.gateway.notify_checkpoint_aborted(t.attempt, id);
        }
    }
}

struct SavepointRequest {
    target: String,
    mode: SavepointMode,
    reply: oneshot::Sender<SavepointResult>,
}

struct Pending {
    generation: u64,
    timestamp_ms: i64,
    started: Instant,
    savepoint: Option<SavepointRequest>,
    awaiting: HashSet<ExecutionAttemptId>,
    num_subtasks: u64,
    operators: BTreeMap<String, OperatorState>,
    latest_ack_ms: i64,
}

struct Restore {
    metadata: CheckpointMetadata,
    source: String,
}

#[derive(Default)]
struct State {
    next_id: u64,
    generation: u64,
    running: Option<Running>,
    pending: BTreeMap<u64, Pending>,
    /// Retained completed checkpoints, oldest first.
    completed: VecDeque<CheckpointMetadata>,
    last_completion: Option<Instant>,
    consecutive_failures: u32,
    restore: Option<Restore>,
    first_deployment_done: bool,
    actions: Option<Arc<dyn JobMasterActions>>,
    stats: CheckpointStats,
}

impl State {
    fn record(&mut self, e: CheckpointStatsEntry) {
        if let Some(old) = self.stats.history.iter_mut().find(|h| h.id == e.id) {
            *old = e;
        } else {
            self.stats.history.insert(0, e);
            self.stats.history.truncate(HISTORY_SIZE);
        }
    }
}

enum Trigger {
    Triggered,
    WaitUntil(tokio::time::Instant),
    Stop,
}

impl DefaultCheckpointCoordinator {
    /// A coordinator for `graph` (reads the job configuration).
    pub fn new(graph: &JobGraph, hadoop: HadoopSettings) -> Result<Self, JobManagerError> {
        let settings = CoordinatorSettings::from_config(&graph.config)?;
        let storage =
            CheckpointStorage::from_config_with(&graph.config, graph.job_id, hadoop.clone())
                .map_err(|e| JobManagerError::Config {
                    key: "execution.checkpointing.dir".into(),
                    value: String::new(),
                    reason: e.to_string(),
                })?;
        let vertices = graph
            .vertices
            .iter()
            .map(|v| {
                (
                    v.id,
                    (
                        v.parallelism,
                        v.max_parallelism,
                        v.operators.iter().map(|o| o.uid.clone()).collect(),
                    ),
                )
            })
            .collect();
        Ok(Self {
            shared: Arc::new(Shared {
                job_id: graph.job_id,
                vertices,
                settings,
                storage,
                hadoop,
                state: Mutex::new(State {
                    next_id: 1,
                    ..State::default()
                }),
            }),
        })
    }
}

impl Shared {
    fn uid_info(&self, vertex: JobVertexId) -> Option<&(u32, u32, Vec<String>)> {
        self.vertices.get(&vertex)
    }

    fn all_uids(&self) -> HashSet<&str> {
        self.vertices
            .values()
            .flat_map(|(_, _, uids)| uids.iter().map(String::as_str))
            .collect()
    }

    /// Starts checkpoint (or savepoint) `next_id` on the running deployment.
    fn trigger(
        self: &Arc<Self>,
        st: &mut State,
        savepoint: Option<SavepointRequest>,
    ) -> Result<u64, (String, Option<SavepointRequest>)> {
        let Some(running) = &st.running else {
            return Err((
                "not all tasks of the job are running (it is deploying, restarting or \
                 stopping); try again once they run"
                    .into(),
                savepoint,
            ));
        };
        let sources: Vec<ExecutionAttemptId> = running
            .live()
            .filter(|t| t.is_source)
            .map(|t| t.attempt)
            .collect();
        if sources.is_empty() {
            return Err((
                "all source tasks have finished; no more checkpoints can be taken".into(),
                savepoint,
            ));
        }
        let awaiting: HashSet<ExecutionAttemptId> = running.live().map(|t| t.attempt).collect();
        let id = st.next_id;
        st.next_id += 1;
        let timestamp_ms = now_ms();
        let is_savepoint = savepoint.is_some();
        for a in &sources {
            running
                .gateway
                .trigger_checkpoint(*a, id, timestamp_ms, is_savepoint);
        }
        let mut operators = BTreeMap::new();
        let mut num_subtasks = awaiting.len() as u64;
        for t in &running.tasks {
            if !running.finished.contains(&t.attempt) {
                continue;
            }
            let Some((acked_in, snapshot)) = running.last_acked.get(&t.attempt) else {
                continue;
            };
            // Inline state lives in the metadata and can be carried over; a
            // file belongs to the older checkpoint's directory, which
            // retention deletes.
            let inline = snapshot
                .values()
                .flatten()
                .all(|h| matches!(h.location, StateLocation::Inline(_)));
            if inline {
                self.merge_snapshot(&mut operators, t.attempt, snapshot.clone());
                num_subtasks += 1;
            } else {
                tracing::warn!(
                    task = %t.attempt,
                    checkpoint = id,
                    from = acked_in,
                    "the finished task's state is in files of an older checkpoint and is not \
                     carried over; restored from this checkpoint it starts from its beginning"
                );
            }
        }
        st.pending.insert(
            id,
            Pending {
                generation: st.generation,
                timestamp_ms,
                started: Instant::now(),
                savepoint,
                awaiting,
                num_subtasks,
                operators,
                latest_ack_ms: timestamp_ms,
            },
        );
        st.stats.counts.total += 1;
        st.stats.counts.in_progress += 1;
        st.record(CheckpointStatsEntry {
            id,
            status: "IN_PROGRESS".into(),
            is_savepoint,
            trigger_timestamp: timestamp_ms,
            latest_ack_timestamp: timestamp_ms,
            num_subtasks,
            ..CheckpointStatsEntry::default()
        });
        tracing::info!(job = %self.job_id, checkpoint = id, savepoint = is_savepoint, "triggering checkpoint");
        let this = Arc::clone(self);
        let timeout = self.settings.checkpointing.timeout;
        tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            this.abort(
                id,
                format!(
                    "Checkpoint expired before completing (execution.checkpointing.timeout = {} ms)",
                    timeout.as_millis()
                ),
                true,
            );
        });
        Ok(id)
    }

    /// The periodic trigger's decision.
    fn try_trigger_periodic(self: &Arc<Self>, generation: u64) -> Trigger {
        let mut st = self.state.lock();
        if st.generation != generation || st.running.is_none() {
            return Trigger::Stop;
        }
        let cfg = &self.settings.checkpointing;
        let now = Instant::now();
        let periodic_pending = st
            .pending
            .values()
            .filter(|p| p.savepoint.is_none())
            .count();
        if periodic_pending >= cfg.max_concurrent.max(1) as usize {
            return Trigger::WaitUntil(tokio::time::Instant::now() + RETRY_DELAY);
        }
        if let Some(last) = st.last_completion {
            let earliest = last + cfg.min_pause;
            if now < earliest {
                return Trigger::WaitUntil(tokio::time::Instant::from_std(earliest));
            }
        }
        match self.trigger(&mut st, None) {
            Ok(_) => Trigger::Triggered,
            Err((reason, _)) => {
                tracing::info!(job = %self.job_id, %reason, "periodic checkpoints stop");
                Trigger::Stop
            }
        }
    }

    async fn periodic(self: Arc<Self>, generation: u64, interval: Duration) {
        let mut next = tokio::time::Instant::now() + interval;
        loop {
            tokio::time::sleep_until(next).await;
            match self.try_trigger_periodic(generation) {
                Trigger::Triggered => next = tokio::time::Instant::now() + interval,
                Trigger::WaitUntil(t) => next = t,
                Trigger::Stop => return,
            }
        }
    }

    /// Aborts pending checkpoint `id` (no-op if it is not pending).
    fn abort(self: &Arc<Self>, id: u64, reason: String, counts_as_failure: bool) {
        let fail_job = {
            let mut st = self.state.lock();
            let Some(p) = st.pending.remove(&id) else {
                return;
            };
            self.aborted(&mut st, id, p, &reason, counts_as_failure)
        };
        if let Some((actions, cause)) = fail_job {
            actions.fail_job(cause);
        }
    }

    /// Book-keeping of an aborted checkpoint; returns the job failure to
    /// report if the tolerable failures are exceeded.
    fn aborted(
        self: &Arc<Self>,
        st: &mut State,
        id: u64,
        p: Pending,
        reason: &str,
        counts_as_failure: bool,
    ) -> Option<(Arc<dyn JobMasterActions>, String)> {
        tracing::warn!(job = %self.job_id, checkpoint = id, %reason, "checkpoint aborted");
        st.stats.counts.in_progress = st.stats.counts.in_progress.saturating_sub(1);
        st.stats.counts.failed += 1;
        let entry = CheckpointStatsEntry {
            id,
            status: "FAILED".into(),
            is_savepoint: p.savepoint.is_some(),
            trigger_timestamp: p.timestamp_ms,
            latest_ack_timestamp: p.latest_ack_ms,
            end_to_end_duration: p.started.elapsed().as_millis() as i64,
            num_subtasks: p.num_subtasks,
            num_acknowledged_subtasks: p.num_subtasks - p.awaiting.len() as u64,
            failure_message: Some(reason.to_string()),
            ..CheckpointStatsEntry::default()
        };
        st.stats.latest.failed = Some(entry.clone());
        st.record(entry);
        if let Some(r) = &st.running
            && p.generation == st.generation
        {
            r.notify_aborted(id);
        }
        self.discard_in_background(id);
        let is_savepoint = p.savepoint.is_some();
        if let Some(sp) = p.savepoint {
            let _ = sp
                .reply
                .send(Err(format!("Savepoint {id} failed: {reason}")));
        }
        if !counts_as_failure || is_savepoint {
            return None;
        }
        st.consecutive_failures += 1;
        let tolerable = self.settings.checkpointing.tolerable_failures;
        if st.consecutive_failures <= tolerable {
            return None;
        }
        st.consecutive_failures = 0;
        let actions = st.actions.clone()?;
        Some((
            actions,
            format!(
                "Exceeded checkpoint tolerable failure threshold \
                 (execution.checkpointing.tolerable-failed-checkpoints = {tolerable}); \
                 the latest checkpoint {id} failed: {reason}"
            ),
        ))
    }

    fn discard_in_background(&self, id: u64) {
        if let Some(storage) = self.storage.clone() {
            tokio::spawn(async move {
                if let Err(e) = storage.discard_checkpoint(id).await {
                    tracing::debug!(checkpoint = id, error = %e, "could not delete aborted checkpoint");
                }
            });
        }
    }

    fn acknowledge(
        self: &Arc<Self>,
        attempt: ExecutionAttemptId,
        id: u64,
        snapshot: TaskStateSnapshot,
    ) {
        let done = {
            let mut st = self.state.lock();
            let Some(p) = st.pending.get_mut(&id) else {
                tracing::debug!(%attempt, checkpoint = id, "late or unknown checkpoint acknowledgement");
                return;
            };
            if !p.awaiting.remove(&attempt) {
                tracing::debug!(%attempt, checkpoint = id, "acknowledgement of a task that is not part of the checkpoint");
                return;
            }
            p.latest_ack_ms = now_ms();
            let mut operators = std::mem::take(&mut p.operators);
            self.merge_snapshot(&mut operators, attempt, snapshot.clone());
            p.operators = operators;
            let complete = p.awaiting.is_empty();
            if let Some(r) = st.running.as_mut()
                && r.last_acked
                    .get(&attempt)
                    .is_none_or(|(prev, _)| *prev < id)
            {
                r.last_acked.insert(attempt, (id, snapshot));
            }
            if complete {
                st.pending.remove(&id)
            } else {
                None
            }
        };
        if let Some(p) = done {
            let this = Arc::clone(self);
            tokio::spawn(async move { this.finalize(id, p).await });
        }
    }

    /// Adds a task's snapshot to a checkpoint's operator states.
    fn merge_snapshot(
        &self,
        operators: &mut BTreeMap<String, OperatorState>,
        attempt: ExecutionAttemptId,
        snapshot: TaskStateSnapshot,
    ) {
        let (par, max_par) = self
            .uid_info(attempt.vertex)
            .map(|(p, m, _)| (*p, *m))
            .unwrap_or((1, 1));
        for (uid, handles) in snapshot {
            let op = operators.entry(uid).or_insert_with(|| OperatorState {
                parallelism: par,
                max_parallelism: max_par,
                subtasks: BTreeMap::new(),
            });
            op.subtasks
                .entry(attempt.subtask)
                .or_default()
                .extend(handles);
        }
    }

    /// All tasks acknowledged: write the metadata, then notify.
    async fn finalize(self: Arc<Self>, id: u64, mut p: Pending) {
        let metadata = CheckpointMetadata {
            job_id: self.job_id,
            checkpoint_id: id,
            timestamp_ms: p.timestamp_ms,
            is_savepoint: p.savepoint.is_some(),
            operators: std::mem::take(&mut p.operators),
        };
        let size = metadata.state_size();
        let written = match &p.savepoint {
            Some(sp) => {
                let r = write_savepoint(self.storage.as_ref(), &sp.target, &metadata, &self.hadoop)
                    .await;
                if r.is_ok() {
                    self.discard_in_background(id);
                }
                r.map(Some)
            }
            None => match &self.storage {
                Some(s) => s.finalize_checkpoint(&metadata).await.map(Some),
                None => Ok(None),
            },
        };
        let path = match written {
            Ok(path) => path,
            Err(e) => {
                let fail = {
                    let mut st = self.state.lock();
                    self.aborted(
                        &mut st,
                        id,
                        p,
                        &format!("could not write the checkpoint metadata: {e}"),
                        true,
                    )
                };
                if let Some((actions, cause)) = fail {
                    actions.fail_job(cause);
                }
                return;
            }
        };
        let duration = p.started.elapsed().as_millis() as i64;
        let entry = CheckpointStatsEntry {
            id,
            status: "COMPLETED".into(),
            is_savepoint: p.savepoint.is_some(),
            trigger_timestamp: p.timestamp_ms,
            latest_ack_timestamp: p.latest_ack_ms,
            state_size: size,
            end_to_end_duration: duration,
            num_subtasks: p.num_subtasks,
            num_acknowledged_subtasks: p.num_subtasks,
            external_path: Some(
                path.clone()
                    .unwrap_or_else(|| "<checkpoint-not-externally-addressable>".into()),
            ),
            failure_message: None,
        };
        tracing::info!(
            job = %self.job_id, checkpoint = id, savepoint = p.savepoint.is_some(),
            bytes = size, duration_ms = duration, path = ?path, "checkpoint completed"
        );
        let mut end_job = None;
        let mut subsume = None;
        {
            let mut st = self.state.lock();
            st.stats.counts.in_progress = st.stats.counts.in_progress.saturating_sub(1);
            st.stats.counts.completed += 1;
            st.record(entry.clone());
            let current = p.generation == st.generation;
            match p.savepoint.take() {
                Some(sp) => {
                    st.stats.latest.savepoint = Some(entry);
                    // Intermediate savepoints commit no side effects (as in
                    // Flink): only a savepoint that ends the job notifies.
                    if sp.mode != SavepointMode::Continue && current {
                        if let Some(r) = &st.running {
                            r.notify_complete(id);
                        }
                        let status = if sp.mode == SavepointMode::Stop {
                            JobStatus::Finished
                        } else {
                            JobStatus::Canceled
                        };
                        end_job = st.actions.clone().map(|a| (a, status));
                    }
                    let _ = sp.reply.send(match (&path, sp.mode, current) {
                        (Some(path), SavepointMode::Continue, _) | (Some(path), _, true) => {
                            Ok(path.clone())
                        }
                        (Some(path), _, false) => Err(format!(
                            "Savepoint {path} was written but the job failed over meanwhile and \
                             keeps running"
                        )),
                        (None, _, _) => Err("savepoint has no path".into()),
                    });
                }
                None => {
                    st.stats.latest.completed = Some(entry);
                    st.consecutive_failures = 0;
                    st.last_completion = Some(Instant::now());
                    st.completed.push_back(metadata);
                    let keep = self.settings.checkpointing.num_retained.max(1) as usize;
                    while st.completed.len() > keep {
                        st.completed.pop_front();
                    }
                    let retained: Vec<u64> = st.completed.iter().map(|m| m.checkpoint_id).collect();
                    subsume = Some(retained);
                    // Older pending checkpoints are subsumed.
                    let older: Vec<u64> = st
                        .pending
                        .iter()
                        .filter(|(pid, q)| **pid < id && q.savepoint.is_none())
                        .map(|(pid, _)| *pid)
                        .collect();
                    for pid in older {
                        if let Some(q) = st.pending.remove(&pid) {
                            self.aborted(&mut st, pid, q, "subsumed by a newer checkpoint", false);
                        }
                    }
                    if current && let Some(r) = &st.running {
                        r.notify_complete(id);
                    }
                }
            }
        }
        if let (Some(storage), Some(retained)) = (self.storage.clone(), subsume)
            && let Err(e) = storage.subsume(id, &retained).await
        {
            tracing::warn!(job = %self.job_id, error = %e, "could not delete subsumed checkpoints");
        }
        if let Some((actions, status)) = end_job {
            actions.end_job_after_savepoint(status);
        }
    }

    async fn prepare_restore(&self) -> Result<(), String> {
        let (first, known): (bool, Vec<u64>) = {
            let mut st = self.state.lock();
            let first = !st.first_deployment_done;
            st.first_deployment_done = true;
            (
                first,
                st.completed.iter().map(|m| m.checkpoint_id).collect(),
            )
        };
        let mut found: Option<Restore> = None;
        let mut max_listed = 0;
        if let Some(storage) = &self.storage {
            if let Some(&m) = storage
                .list_checkpoint_ids()
                .await
                .map_err(|e| e.to_string())?
                .last()
            {
                max_listed = m;
            }
            if let Some(c) = storage
                .latest_valid(&known)
                .await
                .map_err(|e| e.to_string())?
            {
                found = Some(Restore {
                    metadata: c.metadata,
                    source: c.external_path,
                });
            }
        } else if let Some(m) = self.state.lock().completed.back() {
            found = Some(Restore {
                metadata: m.clone(),
                source: format!("checkpoint {} (kept in JobManager memory)", m.checkpoint_id),
            });
        }
        if found.is_none()
            && first
            && let Some(path) = &self.settings.restore_path
        {
            let c = load_restore_path(path, &self.hadoop)
                .await
                .map_err(|e| e.to_string())?;
            let uids = self.all_uids();
            let unclaimed: Vec<String> = c
                .metadata
                .operators
                .keys()
                .filter(|u| !uids.contains(u.as_str()))
                .cloned()
                .collect();
            if !unclaimed.is_empty() {
                if !self.settings.allow_non_restored_state {
                    return Err(flink_checkpoint::CheckpointError::UnclaimedState {
                        path: c.external_path,
                        uids: unclaimed,
                    }
                    .to_string());
                }
                tracing::warn!(job = %self.job_id, uids = ?unclaimed, path = %c.external_path, "dropping savepoint state that maps to no operator (allowNonRestoredState)");
            }
            tracing::info!(job = %self.job_id, path = %c.external_path, checkpoint = c.metadata.checkpoint_id, "restoring from savepoint");
            found = Some(Restore {
                metadata: c.metadata,
                source: c.external_path,
            });
        }
        if let Some(r) = &found {
            // Rescaling checks up front: a bad restore fails the job clearly.
            for (par, max_par, uids) in self.vertices.values() {
                for uid in uids {
                    if let Some(op) = r.metadata.operators.get(uid) {
                        assign_subtask_state(uid, op, *par, *max_par, 0, &r.source)
                            .map_err(|e| e.to_string())?;
                    }
                }
            }
        }
        let mut st = self.state.lock();
        st.next_id = st.next_id.max(max_listed + 1);
        if let Some(r) = &found {
            st.next_id = st.next_id.max(r.metadata.checkpoint_id + 1);
            st.stats.counts.restored += 1;
            st.stats.latest.restored = Some(RestoredCheckpoint {
                id: r.metadata.checkpoint_id,
                restore_timestamp: now_ms(),
                is_savepoint: r.metadata.is_savepoint,
                external_path: r.source.clone(),
            });
            tracing::info!(job = %self.job_id, checkpoint = r.metadata.checkpoint_id, from = %r.source, "tasks restore from checkpoint");
        }
        st.restore = found;
        Ok(())
    }

    fn restore_for(&self, attempt: &ExecutionAttemptId) -> Option<TaskRestore> {
        let st = self.state.lock();
        let r = st.restore.as_ref()?;
        let (par, max_par, uids) = self.uid_info(attempt.vertex)?;
        let mut operator_state = BTreeMap::new();
        for uid in uids {
            let Some(op) = r.metadata.operators.get(uid) else {
                continue;
            };
            match assign_subtask_state(uid, op, *par, *max_par, attempt.subtask, &r.source) {
                Ok(handles) => {
                    operator_state.insert(uid.clone(), handles);
                }
                Err(e) => tracing::error!(%attempt, error = %e, "state not restored"),
            }
        }
        Some(TaskRestore {
            checkpoint_id: r.metadata.checkpoint_id,
            operator_state,
        })
    }

    fn job_stopped(self: &Arc<Self>) {
        let mut st = self.state.lock();
        let pending: Vec<(u64, Pending)> = std::mem::take(&mut st.pending).into_iter().collect();
        for (id, p) in pending {
            // Tasks are being cancelled: the abort is not a checkpoint failure.
            self.aborted(&mut st, id, p, "the job is failing over or stopping", false);
        }
        st.generation += 1;
        st.running = None;
    }

    async fn job_terminated(&self, status: JobStatus) {
        let Some(storage) = &self.storage else {
            return;
        };
        use ExternalizedCheckpointRetention::*;
        let retention = self.settings.checkpointing.externalized_retention;
        let delete = match status {
            JobStatus::Finished | JobStatus::Canceled => retention != RetainOnCancellation,
            JobStatus::Failed => retention == NoExternalizedCheckpoints,
            _ => false,
        };
        if delete {
            match storage.delete_job_dir().await {
                Ok(()) => {
                    tracing::info!(job = %self.job_id, %status, dir = %storage.job_dir(), "deleted the job's checkpoints")
                }
                Err(e) => {
                    tracing::warn!(job = %self.job_id, error = %e, "could not delete the job's checkpoints")
                }
            }
        } else {
            tracing::info!(job = %self.job_id, %status, dir = %storage.job_dir(), "checkpoints retained");
        }
    }
}

#[async_trait]
impl CheckpointCoordinator for DefaultCheckpointCoordinator {
    fn set_job_actions(&self, actions: Arc<dyn JobMasterActions>) {
        self.shared.state.lock().actions = Some(actions);
    }

    async fn prepare_restore(&self) -> Result<(), String> {
        self.shared.prepare_restore().await
    }

    fn job_running(&self, tasks: Vec<DeployedTask>, gateway: Arc<dyn CheckpointTaskGateway>) {
        let generation = {
            let mut st = self.shared.state.lock();
            st.generation += 1;
            st.running = Some(Running {
                tasks,
                finished: HashSet::new(),
                gateway,
                last_acked: HashMap::new(),
            });
            st.generation
        };
        if let Some(interval) = self.shared.settings.checkpointing.interval {
            tokio::spawn(Arc::clone(&self.shared).periodic(generation, interval));
        }
    }

    fn task_finished(&self, attempt: ExecutionAttemptId) {
        let done: Vec<(u64, Pending)> = {
            let mut st = self.shared.state.lock();
            let Some(r) = st.running.as_mut() else {
                return;
            };
            if !r.tasks.iter().any(|t| t.attempt == attempt) {
                return;
            }
            r.finished.insert(attempt);
            let ids: Vec<u64> = st
                .pending
                .iter_mut()
                .filter_map(|(id, p)| {
                    (p.awaiting.remove(&attempt) && p.awaiting.is_empty()).then_some(*id)
                })
                .collect();
            ids.into_iter()
                .filter_map(|id| st.pending.remove(&id).map(|p| (id, p)))
                .collect()
        };
        for (id, p) in done {
            tokio::spawn(Arc::clone(&self.shared).finalize(id, p));
        }
    }

    fn job_stopped(&self) {
        self.shared.job_stopped();
    }

    async fn job_terminated(&self, status: JobStatus) {
        self.shared.job_terminated(status).await;
    }

    fn acknowledge(
        &self,
        attempt: ExecutionAttemptId,
        checkpoint_id: u64,
        snapshot: TaskStateSnapshot,
    ) {
        self.shared.acknowledge(attempt, checkpoint_id, snapshot);
    }

    fn decline(&self, attempt: ExecutionAttemptId, checkpoint_id: u64, reason: String) {
        let part_of_it = self
            .shared
            .state
            .lock()
            .pending
            .get(&checkpoint_id)
            .is_some_and(|p| p.awaiting.contains(&attempt));
        if part_of_it {
            self.shared.abort(
                checkpoint_id,
                format!("declined by task {attempt}: {reason}"),
                true,
            );
        }
    }

    fn restore_for(&self, attempt: &ExecutionAttemptId) -> Option<TaskRestore> {
        self.shared.restore_for(attempt)
    }

    fn trigger_savepoint(
        &self,
        target_dir: Option<String>,
        mode: SavepointMode,
    ) -> oneshot::Receiver<SavepointResult> {
        let (tx, rx) = oneshot::channel();
        let Some(target) =
            target_dir.or_else(|| self.shared.settings.checkpointing.savepoint_dir.clone())
        else {
            let _ = tx.send(Err(
                "No savepoint directory given and execution.checkpointing.savepoint-dir \
                 (state.savepoints.dir) is not set; pass a target directory"
                    .into(),
            ));
            return rx;
        };
        let mut st = self.shared.state.lock();
        let req = SavepointRequest {
            target,
            mode,
            reply: tx,
        };
        if let Err((reason, req)) = self.shared.trigger(&mut st, Some(req))
            && let Some(req) = req
        {
            let _ = req
                .reply
                .send(Err(format!("Cannot trigger a savepoint: {reason}")));
        }
        rx
    }

    fn stats(&self) -> CheckpointStats {
        self.shared.state.lock().stats.clone()
    }
}

#[cfg(test)]
#[path = "checkpoint_coordinator_tests.rs"]
mod tests;
