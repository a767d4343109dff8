//! Runs a job on stream tasks in this process and plays the checkpoint
//! coordinator's part: triggers checkpoints on the source tasks, collects
//! acknowledgements, notifies completion, "kills" the job (cancels every task
//! at once, mid-stream) and redeploys it from a completed checkpoint, with the
//! same or another parallelism (key groups by range, operator state of the
//! same subtask or the union after a parallelism change, as the JobManager
//! assigns them).

use flink_network::{NetworkConfig, NetworkEnvironment};
use flink_streaming::ProgramRegistry;
use flink_streaming::registry::settings_from_config;
use flink_streaming::runtime::task::{StreamTaskSettings, StreamTaskSpawner};
use flink_types::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

/// What tasks report.
#[derive(Debug)]
pub enum Ev {
    State(ExecutionAttemptId, ExecutionState, Option<TaskFailure>),
    Ack(ExecutionAttemptId, u64, TaskStateSnapshot),
    Decline(ExecutionAttemptId, u64, String),
}

struct Events(mpsc::Sender<Ev>);

impl TaskEvents for Events {
    fn state_changed(&self, a: ExecutionAttemptId, s: ExecutionState, f: Option<TaskFailure>) {
        let _ = self.0.send(Ev::State(a, s, f));
    }
    fn checkpoint_acknowledged(&self, a: ExecutionAttemptId, id: u64, s: TaskStateSnapshot) {
        let _ = self.0.send(Ev::Ack(a, id, s));
    }
    fn checkpoint_declined(&self, a: ExecutionAttemptId, id: u64, r: String) {
        let _ = self.0.send(Ev::Decline(a, id, r));
    }
}

/// A checkpoint every running task acknowledged.
#[derive(Clone, Debug)]
pub struct CompletedCheckpoint {
    pub id: u64,
    /// Per acknowledging task: its attempt, its vertex parallelism, its state.
    pub acks: Vec<(ExecutionAttemptId, u32, TaskStateSnapshot)>,
}

impl CompletedCheckpoint {
    /// The state handles of operator `uid`, with the writing subtask.
    pub fn handles_of(&self, uid: &str) -> Vec<(u32, StateHandle)> {
        self.acks
            .iter()
            .flat_map(|(a, _, s)| {
                s.get(uid)
                    .into_iter()
                    .flatten()
                    .map(move |h| (a.subtask, h.clone()))
            })
            .collect()
    }

    /// What subtask `subtask` of a vertex at `parallelism`/`max_parallelism` restores.
    fn restore_for(&self, parallelism: u32, max_parallelism: u32, subtask: u32) -> TaskRestore {
        let range = key_group_range_for_operator(max_parallelism, parallelism, subtask);
        let mut operator_state: BTreeMap<String, Vec<StateHandle>> = BTreeMap::new();
        for (attempt, old_parallelism, snapshot) in &self.acks {
            for (uid, handles) in snapshot {
                for h in handles {
                    let take = if h.key_group_offsets.is_empty() {
                        *old_parallelism != parallelism || attempt.subtask == subtask
                    } else {
                        h.key_group_offsets
                            .iter()
                            .any(|(kg, _)| range.contains(*kg))
                    };
                    if take {
                        operator_state
                            .entry(uid.clone())
                            .or_default()
                            .push(h.clone());
                    }
                }
            }
        }
        TaskRestore {
            checkpoint_id: self.id,
            operator_state,
        }
    }
}

/// One process-local "cluster": a network environment and a task spawner.
pub struct Harness {
    rt: tokio::runtime::Runtime,
    registry: ProgramRegistry,
    config: Vec<(String, String)>,
}

impl Harness {
    pub fn new(registry: ProgramRegistry) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        Self {
            rt,
            registry,
            config: Vec::new(),
        }
    }

    /// Adds a job configuration entry (e.g. `execution.checkpointing.dir`).
    pub fn with_config(mut self, key: &str, value: &str) -> Self {
        self.config.push((key.to_string(), value.to_string()));
        self
    }

    /// Deploys `program` at `parallelism` (attempt number `attempt`),
    /// restoring from `restore` if given.
    pub fn start(
        &self,
        program: &str,
        args: &[&str],
        parallelism: u32,
        attempt: u32,
        restore: Option<&CompletedCheckpoint>,
    ) -> RunningJob {
        let net = self
            .rt
            .block_on(NetworkEnvironment::start(
                "127.0.0.1",
                0,
                "127.0.0.1",
                NetworkConfig::default(),
            ))
            .unwrap();
        let mut config = BTreeMap::new();
        config.insert("parallelism.default".to_string(), parallelism.to_string());
        for (k, v) in &self.config {
            config.insert(k.clone(), v.clone());
        }
        let program = ProgramRef {
            name: program.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            bundle: None,
        };
        let graph = self
            .registry
            .build_graph(&program, settings_from_config(&config, "test"))
            .unwrap();
        let mut job = graph.to_job_graph(JobId::generate(), program).unwrap();
        job.config.extend(config);
        let location = TaskManagerLocation {
            resource_id: ResourceId("tm".into()),
            rpc_address: "-".into(),
            data_address: net.data_address(),
        };
        let spawner = StreamTaskSpawner::new(
            Arc::new(self.registry.clone()),
            net.clone(),
            StreamTaskSettings {
                buffer_timeout: Duration::from_millis(5),
                ..StreamTaskSettings::default()
            },
        );
        let (tx, rx) = mpsc::channel();
        let events: Arc<dyn TaskEvents> = Arc::new(Events(tx));
        let place = |_: JobVertexId, _: u32| Placement {
            allocation_id: AllocationId::generate(),
            location: location.clone(),
        };
        let sources: BTreeSet<JobVertexId> = job
            .vertices
            .iter()
            .filter(|v| job.inputs_of(v.id).next().is_none())
            .map(|v| v.id)
            .collect();
        let mut tasks = Vec::new();
        for v in &job.vertices {
            for s in 0..v.parallelism {
                let mut tdd = build_tdd(&job, v.id, s, attempt, &place).unwrap();
                tdd.restore = restore.map(|c| c.restore_for(v.parallelism, v.max_parallelism, s));
                let control = TaskSpawner::spawn(&spawner, tdd, events.clone()).unwrap();
                tasks.push(Task {
                    attempt: ExecutionAttemptId {
                        job_id: job.job_id,
                        vertex: v.id,
                        subtask: s,
                        attempt,
                    },
                    parallelism: v.parallelism,
                    source: sources.contains(&v.id),
                    control,
                });
            }
        }
        RunningJob {
            _net: net,
            tasks,
            rx,
            states: HashMap::new(),
            acks: BTreeMap::new(),
            declined: BTreeMap::new(),
            failure: None,
            last_acks: HashMap::new(),
            durations: Vec::new(),
        }
    }
}

struct Task {
    attempt: ExecutionAttemptId,
    parallelism: u32,
    source: bool,
    control: Arc<dyn TaskControl>,
}

/// A deployed job.
pub struct RunningJob {
    _net: Arc<NetworkEnvironment>,
    tasks: Vec<Task>,
    rx: mpsc::Receiver<Ev>,
    states: HashMap<ExecutionAttemptId, ExecutionState>,
    acks: BTreeMap<u64, Vec<(ExecutionAttemptId, TaskStateSnapshot)>>,
    pub declined: BTreeMap<u64, Vec<String>>,
    pub failure: Option<TaskFailure>,
    /// The last state each task acknowledged: a finished task's state is
    /// carried into later checkpoints (it no longer changes).
    last_acks: HashMap<ExecutionAttemptId, TaskStateSnapshot>,
    /// Trigger-to-last-acknowledgement time of every completed checkpoint.
    pub durations: Vec<Duration>,
}

impl RunningJob {
    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::State(a, s, f) => {
                if s == ExecutionState::Failed && self.failure.is_none() {
                    self.failure = f;
                }
                self.states.insert(a, s);
            }
            Ev::Ack(a, id, s) => {
                self.last_acks.insert(a, s.clone());
                self.acks.entry(id).or_default().push((a, s));
            }
            Ev::Decline(_, id, r) => self.declined.entry(id).or_default().push(r),
        }
    }

    /// Handles events for up to `d`.
    pub fn pump(&mut self, d: Duration) {
        let deadline = Instant::now() + d;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.rx.recv_timeout(left) {
                Ok(ev) => self.handle(ev),
                Err(_) => break,
            }
        }
        assert!(self.failure.is_none(), "task failed: {:?}", self.failure);
    }

    fn state(&self, a: &ExecutionAttemptId) -> Option<ExecutionState> {
        self.states.get(a).copied()
    }

    /// Whether every task reached a terminal state.
    pub fn all_terminal(&self) -> bool {
        self.tasks
            .iter()
            .all(|t| self.state(&t.attempt).is_some_and(|s| s.is_terminal()))
    }

    /// Whether every task runs or has finished (checkpoints can be triggered then).
    pub fn all_running(&self) -> bool {
        self.tasks.iter().all(|t| {
            matches!(
                self.state(&t.attempt),
                Some(ExecutionState::Running | ExecutionState::Finished)
            )
        }) && !self.all_terminal()
    }

    /// Number of tasks that finished.
    pub fn finished_tasks(&self) -> usize {
        self.tasks
            .iter()
            .filter(|t| self.state(&t.attempt) == Some(ExecutionState::Finished))
            .count()
    }

    fn finished_with_state(&self, a: &ExecutionAttemptId) -> bool {
        self.state(a) == Some(ExecutionState::Finished) && self.last_acks.contains_key(a)
    }

    /// Checkpoint `id`: triggers it on the sources and waits up to `timeout`
    /// for every task's acknowledgement; then, if `notify`, sends
    /// notify_checkpoint_complete. `None` when a task finished or declined first.
    pub fn checkpoint(
        &mut self,
        id: u64,
        timeout: Duration,
        notify: bool,
    ) -> Option<CompletedCheckpoint> {
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        if !self
            .tasks
            .iter()
            .any(|t| t.source && self.state(&t.attempt) == Some(ExecutionState::Running))
        {
            return None; // all sources finished: nothing can start a checkpoint
        }
        for t in self.tasks.iter().filter(|t| t.source) {
            if self.state(&t.attempt) == Some(ExecutionState::Running) {
                t.control.trigger_checkpoint(id, ts, false);
            }
        }
        let deadline = Instant::now() + timeout;
        loop {
            let acked: BTreeSet<ExecutionAttemptId> = self
                .acks
                .get(&id)
                .into_iter()
                .flatten()
                .map(|(a, _)| *a)
                .collect();
            if self
                .tasks
                .iter()
                .all(|t| acked.contains(&t.attempt) || self.finished_with_state(&t.attempt))
            {
                break;
            }
            if self.declined.contains_key(&id)
                || self.tasks.iter().any(|t| {
                    !acked.contains(&t.attempt)
                        && !self.finished_with_state(&t.attempt)
                        && self.state(&t.attempt).is_some_and(|s| s.is_terminal())
                })
                || Instant::now() >= deadline
            {
                for t in &self.tasks {
                    t.control.notify_checkpoint_aborted(id);
                }
                return None;
            }
            self.pump(Duration::from_millis(5));
        }
        let mut acks = self.acks.remove(&id).unwrap_or_default();
        for t in &self.tasks {
            if !acks.iter().any(|(a, _)| *a == t.attempt) && self.finished_with_state(&t.attempt) {
                acks.push((t.attempt, self.last_acks[&t.attempt].clone()));
            }
        }
        let parallelism: HashMap<ExecutionAttemptId, u32> = self
            .tasks
            .iter()
            .map(|t| (t.attempt, t.parallelism))
            .collect();
        if notify {
            for t in &self.tasks {
                if self.state(&t.attempt) == Some(ExecutionState::Running) {
                    t.control.notify_checkpoint_complete(id);
                }
            }
        }
        Some(CompletedCheckpoint {
            id,
            acks: acks
                .into_iter()
                .map(|(a, s)| (a, parallelism[&a], s))
                .collect(),
        })
    }

    /// Takes a checkpoint every `interval` (ids from `*next_id`) until
    /// `completed` checkpoints completed or the job ended; returns them.
    pub fn checkpoints_until(
        &mut self,
        next_id: &mut u64,
        interval: Duration,
        completed: usize,
    ) -> Vec<CompletedCheckpoint> {
        let mut done = Vec::new();
        while done.len() < completed && !self.all_terminal() {
            self.pump(interval);
            if !self.all_running() {
                continue;
            }
            let id = *next_id;
            *next_id += 1;
            let started = Instant::now();
            let c = self.checkpoint(id, Duration::from_secs(10), true);
            if c.is_some() {
                self.durations.push(started.elapsed());
            }
            done.extend(c);
        }
        done
    }

    /// Cancels every task at once (the job "fails") and waits until all stopped.
    pub fn kill(mut self) {
        for t in &self.tasks {
            t.control.cancel();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.all_terminal() {
            assert!(Instant::now() < deadline, "tasks did not stop");
            match self.rx.recv_timeout(Duration::from_millis(50)) {
                Ok(ev) => self.handle(ev),
                Err(_) => continue,
            }
        }
    }

    /// Waits until the job finished (taking no more checkpoints).
    pub fn wait_finished(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !self.all_terminal() {
            assert!(Instant::now() < deadline, "job did not finish");
            self.pump(Duration::from_millis(50));
        }
        for t in &self.tasks {
            assert_eq!(self.state(&t.attempt), Some(ExecutionState::Finished));
        }
    }
}
