//! The JobManager's [`ResourceDriver`] on YARN (Flink's
//! `YarnResourceManagerDriver`): asks the ResourceManager for TaskManager
//! containers sized from the configuration, matches allocations to requests
//! and releases the surplus, starts `flink-rs taskmanager` in each container
//! with the staged binary and configuration, reports completed containers to
//! the JobManager's ResourceManager (which replaces them when still needed),
//! and unregisters the application with its final status.
//!
//! All YARN traffic happens in one background task that owns the
//! [`YarnAmDriver`]; the trait methods send it commands. It heartbeats every
//! `yarn.heartbeat.container-request-interval` while requests are pending and
//! every `yarn.heartbeat.interval` otherwise.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use flink_jobmanager::{
    ApplicationStatus, ResourceDriver, ResourceDriverError, ResourceEventHandler,
    WorkerResourceSpec,
};
use flink_types::ResourceId;
use hadoop_proto::yarn::{
    ContainerIdProto, ContainerLaunchContextProto, ContainerStatusProto,
    FinalApplicationStatusProto, StringStringMapProto,
};
use tokio::sync::{mpsc, oneshot};
use yarn_client::ids;

use crate::contract::{BINARY, StagedResource};
use crate::driver::{ContainerSpec, YarnAmDriver};

/// Settings of the YARN resource driver.
#[derive(Clone, Debug)]
pub struct YarnDriverSettings {
    /// Files localized into every TaskManager container.
    pub resources: Vec<StagedResource>,
    /// Environment of every TaskManager container (values are expanded by
    /// the NodeManager's launch script: `$PWD` works).
    pub environment: Vec<(String, String)>,
    /// `-D` options added to every TaskManager command line.
    pub dynamic_properties: Vec<(String, String)>,
    /// `yarn.containers.vcores` (-1: number of slots).
    pub containers_vcores: i32,
    /// `yarn.heartbeat.interval`.
    pub heartbeat_interval: Duration,
    /// `yarn.heartbeat.container-request-interval`.
    pub container_request_interval: Duration,
    /// `yarn.taskmanager.node-label`.
    pub node_label: Option<String>,
    /// `resourcemanager.start-worker.max-failure-rate` (failures per minute).
    pub max_start_failures_per_minute: f64,
    /// `resourcemanager.start-worker.retry-interval`.
    pub start_retry_interval: Duration,
    /// The application directory to delete when the application ends.
    pub staging_dir: Option<String>,
}

/// What the AM tells YARN when it registers.
#[derive(Clone, Debug)]
pub struct AmRegistration {
    /// The AM's host (`NM_HOST`).
    pub host: String,
    /// The REST port (Flink registers its REST port as the AM's RPC port,
    /// which is how clients find the JobManager).
    pub rest_port: u16,
    /// Tracking URL (the web UI).
    pub tracking_url: String,
    /// `host:port` TaskManagers register with.
    pub jobmanager_rpc_address: String,
}

enum Command {
    Register(AmRegistration, oneshot::Sender<Result<(), String>>),
    Request(u32, WorkerResourceSpec),
    Release(ResourceId),
    Deregister(
        FinalApplicationStatusProto,
        String,
        oneshot::Sender<Result<(), String>>,
    ),
    Stop,
}

/// The YARN resource driver. Cheap to clone; clones share the background task.
#[derive(Clone)]
pub struct YarnResourceDriver {
    tx: mpsc::UnboundedSender<Command>,
    events: Arc<OnceLock<Arc<dyn ResourceEventHandler>>>,
    progress: Arc<AtomicU32>,
}

impl std::fmt::Debug for YarnResourceDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YarnResourceDriver").finish_non_exhaustive()
    }
}

impl YarnResourceDriver {
    /// Starts the background task over `am` (not registered yet: call
    /// [`Self::register`] once the JobManager's addresses are known; requests
    /// made before are queued).
    pub fn start(am: YarnAmDriver, settings: YarnDriverSettings) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let events: Arc<OnceLock<Arc<dyn ResourceEventHandler>>> = Arc::new(OnceLock::new());
        let progress = Arc::new(AtomicU32::new(0f32.to_bits()));
        let task = DriverTask {
            am,
            settings,
            events: events.clone(),
            progress: progress.clone(),
            registration: None,
            specs: HashMap::new(),
            pending: HashMap::new(),
            containers: HashMap::new(),
            deferred: VecDeque::new(),
            start_failures: VecDeque::new(),
        };
        tokio::spawn(task.run(rx));
        YarnResourceDriver {
            tx,
            events,
            progress,
        }
    }

    /// Registers the ApplicationMaster with the ResourceManager.
    pub async fn register(&self, registration: AmRegistration) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Command::Register(registration, tx))
            .map_err(|_| "the YARN driver task has stopped".to_string())?;
        rx.await
            .map_err(|_| "the YARN driver task has stopped".to_string())?
    }

    /// Progress reported in heartbeats (0.0 to 1.0).
    pub fn set_progress(&self, progress: f32) {
        self.progress
            .store(progress.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
    }
}

/// Maps Flink's application status to YARN's final status.
pub fn final_status(status: ApplicationStatus) -> FinalApplicationStatusProto {
    match status {
        ApplicationStatus::Succeeded => FinalApplicationStatusProto::AppSucceeded,
        ApplicationStatus::Failed => FinalApplicationStatusProto::AppFailed,
        ApplicationStatus::Canceled => FinalApplicationStatusProto::AppKilled,
        ApplicationStatus::Unknown => FinalApplicationStatusProto::AppUndefined,
    }
}

#[async_trait]
impl ResourceDriver for YarnResourceDriver {
    async fn initialize(
        &self,
        events: Arc<dyn ResourceEventHandler>,
    ) -> Result<(), ResourceDriverError> {
        let _ = self.events.set(events);
        Ok(())
    }

    async fn request_workers(
        &self,
        count: u32,
        spec: &WorkerResourceSpec,
    ) -> Result<(), ResourceDriverError> {
        self.tx
            .send(Command::Request(count, spec.clone()))
            .map_err(|_| ResourceDriverError("the YARN driver task has stopped".into()))
    }

    async fn release_worker(&self, resource_id: &ResourceId) -> Result<(), ResourceDriverError> {
        self.tx
            .send(Command::Release(resource_id.clone()))
            .map_err(|_| ResourceDriverError("the YARN driver task has stopped".into()))
    }

    async fn deregister_application(
        &self,
        status: ApplicationStatus,
        diagnostics: Option<String>,
    ) -> Result<(), ResourceDriverError> {
        let (tx, rx) = oneshot::channel();
        let diag = diagnostics.unwrap_or_else(|| format!("application {}", status.as_str()));
        self.tx
            .send(Command::Deregister(final_status(status), diag, tx))
            .map_err(|_| ResourceDriverError("the YARN driver task has stopped".into()))?;
        rx.await
            .map_err(|_| ResourceDriverError("the YARN driver task has stopped".into()))?
            .map_err(ResourceDriverError)
    }

    async fn terminate(&self) -> Result<(), ResourceDriverError> {
        let _ = self.tx.send(Command::Stop);
        Ok(())
    }
}

/// A container we accepted and started (or are starting).
struct Worker {
    id: ContainerIdProto,
}

struct DriverTask {
    am: YarnAmDriver,
    settings: YarnDriverSettings,
    events: Arc<OnceLock<Arc<dyn ResourceEventHandler>>>,
    progress: Arc<AtomicU32>,
    registration: Option<AmRegistration>,
    /// Priority per distinct worker spec (from 1, as in Flink).
    specs: HashMap<WorkerResourceSpec, ContainerSpec>,
    /// Container spec → the worker spec it was requested for.
    pending: HashMap<ContainerSpec, WorkerResourceSpec>,
    /// Started containers by container id.
    containers: HashMap<String, Worker>,
    /// Requests held back by the start-failure rate limit: (not before, count, spec).
    deferred: VecDeque<(Instant, u32, WorkerResourceSpec)>,
    /// Times of recent failed worker starts.
    start_failures: VecDeque<Instant>,
}

/// YARN diagnostics are shown in one line of the UI; keep them readable.
const MAX_DIAGNOSTICS: usize = 8 * 1024;

impl DriverTask {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Command>) {
        loop {
            let interval = if self.am.requests.total_outstanding() > 0 || !self.deferred.is_empty()
            {
                self.settings.container_request_interval
            } else {
                self.settings.heartbeat_interval
            };
            let cmd = if self.registration.is_some() {
                tokio::select! {
                    c = rx.recv() => Some(c),
                    _ = tokio::time::sleep(interval) => None,
                }
            } else {
                Some(rx.recv().await)
            };
            match cmd {
                Some(None) | Some(Some(Command::Stop)) => return,
                Some(Some(c)) => {
                    if self.handle(c).await {
                        return;
                    }
                    // Heartbeat right away after a request or release so it
                    // reaches the RM without waiting a full interval.
                    while let Ok(c) = rx.try_recv() {
                        if matches!(c, Command::Stop) {
                            return;
                        }
                        if self.handle(c).await {
                            return;
                        }
                    }
                }
                None => {}
            }
            if self.registration.is_some()
                && let Err(e) = self.heartbeat().await
            {
                let fatal = matches!(e, crate::AmError::Shutdown);
                tracing::error!(error = %e, "YARN heartbeat failed");
                if fatal {
                    if let Some(ev) = self.events.get() {
                        ev.on_error(e.to_string());
                    }
                    return;
                }
            }
        }
    }

    /// Handles one command; returns true when the task should end.
    async fn handle(&mut self, cmd: Command) -> bool {
        match cmd {
            Command::Register(reg, reply) => {
                let r = self
                    .am
                    .register(&reg.host, i32::from(reg.rest_port), &reg.tracking_url)
                    .await;
                match r {
                    Ok(resp) => {
                        if let Some(max) = resp.maximum_capability {
                            tracing::info!(
                                max_memory_mb = max.memory(),
                                max_vcores = max.virtual_cores(),
                                "ApplicationMaster registered"
                            );
                        }
                        self.registration = Some(reg);
                        let _ = reply.send(Ok(()));
                    }
                    Err(e) => {
                        let _ = reply.send(Err(format!(
                            "could not register the ApplicationMaster with the ResourceManager: {e}"
                        )));
                    }
                }
                false
            }
            Command::Request(count, spec) => {
                if self.start_rate_exceeded() {
                    let at = Instant::now() + self.settings.start_retry_interval;
                    tracing::warn!(
                        count,
                        retry_in = ?self.settings.start_retry_interval,
                        "TaskManager start failures exceed resourcemanager.start-worker.max-failure-rate; delaying the request"
                    );
                    self.deferred.push_back((at, count, spec));
                } else {
                    self.add_request(count, &spec);
                }
                false
            }
            Command::Release(resource_id) => {
                if let Some(w) = self.containers.remove(resource_id.0.as_str()) {
                    tracing::info!(container = %resource_id, "releasing TaskManager container");
                    self.am.requests.release(w.id);
                }
                false
            }
            Command::Deregister(status, diag, reply) => {
                let mut diag = diag;
                if diag.len() > MAX_DIAGNOSTICS {
                    let mut cut = MAX_DIAGNOSTICS;
                    while !diag.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    diag.truncate(cut);
                    diag.push_str(" ...");
                }
                // As Flink does: the staging directory goes first, so that once
                // YARN reports the application as ended, nothing of it is left.
                if let Some(dir) = &self.settings.staging_dir {
                    delete_staging_dir(dir).await;
                }
                tracing::info!(?status, diagnostics = %diag, "unregistering the ApplicationMaster");
                let r = if self.registration.is_some() {
                    self.am
                        .finish(status, &diag)
                        .await
                        .map_err(|e| format!("could not unregister the ApplicationMaster: {e}"))
                } else {
                    Ok(())
                };
                let _ = reply.send(r);
                true
            }
            Command::Stop => true,
        }
    }

    fn container_spec(&mut self, spec: &WorkerResourceSpec) -> ContainerSpec {
        let next = self.specs.len() as i32 + 1;
        let vcores = if self.settings.containers_vcores > 0 {
            self.settings.containers_vcores
        } else {
            spec.num_slots.max(1) as i32
        };
        let c = *self.specs.entry(spec.clone()).or_insert(ContainerSpec {
            memory_mb: spec.total_process_memory_mb as i64,
            vcores,
            priority: next,
        });
        self.pending.insert(c, spec.clone());
        c
    }

    fn add_request(&mut self, count: u32, spec: &WorkerResourceSpec) {
        let c = self.container_spec(spec);
        self.am.requests.node_label = self.settings.node_label.clone();
        self.am.requests.request(c, count as i32);
        tracing::info!(
            count,
            memory_mb = c.memory_mb,
            vcores = c.vcores,
            priority = c.priority,
            "requesting TaskManager containers"
        );
    }

    fn start_rate_exceeded(&mut self) -> bool {
        let window = Duration::from_secs(60);
        while self
            .start_failures
            .front()
            .is_some_and(|t| t.elapsed() > window)
        {
            self.start_failures.pop_front();
        }
        self.start_failures.len() as f64 >= self.settings.max_start_failures_per_minute
    }

    async fn heartbeat(&mut self) -> crate::driver::Result<()> {
        // Release deferred requests whose time has come.
        while self
            .deferred
            .front()
            .is_some_and(|(at, _, _)| *at <= Instant::now())
        {
            if let Some((_, count, spec)) = self.deferred.pop_front() {
                self.add_request(count, &spec);
            }
        }
        let progress = f32::from_bits(self.progress.load(Ordering::Relaxed));
        let hb = self.am.heartbeat(progress).await?;
        for c in hb.allocated {
            let Some(cid) = c.id else { continue };
            let name = ids::format_container_id(&cid);
            let host = c
                .node_id
                .as_ref()
                .and_then(|n| n.host.clone())
                .unwrap_or_default();
            let ctx = match self.launch_context(&name) {
                Ok(ctx) => ctx,
                Err(e) => {
                    tracing::error!(container = %name, error = %e, "cannot build the TaskManager launch context");
                    self.am.requests.release(cid);
                    self.worker_failed(&name, e);
                    continue;
                }
            };
            tracing::info!(container = %name, host = %host, "starting TaskManager in container");
            match self.am.launch(&c, ctx).await {
                Ok(()) => {
                    self.containers.insert(name, Worker { id: cid });
                }
                Err(e) => {
                    tracing::warn!(container = %name, error = %e, "could not start the TaskManager container");
                    self.am.requests.release(cid);
                    self.worker_failed(&name, format!("could not start container {name}: {e}"));
                }
            }
        }
        for status in hb.completed {
            self.on_completed(status);
        }
        Ok(())
    }

    fn worker_failed(&mut self, name: &str, diagnostics: String) {
        self.start_failures.push_back(Instant::now());
        if let Some(ev) = self.events.get() {
            ev.on_worker_terminated(ResourceId(name.to_string()), diagnostics);
        }
    }

    fn on_completed(&mut self, status: ContainerStatusProto) {
        let name = status
            .container_id
            .as_ref()
            .map(ids::format_container_id)
            .unwrap_or_default();
        if self.containers.remove(&name).is_none() {
            // A surplus or released container.
            return;
        }
        let diagnostics = container_diagnostics(&status);
        tracing::warn!(container = %name, %diagnostics, "TaskManager container completed");
        if status.exit_status() != 0 {
            self.start_failures.push_back(Instant::now());
        }
        if let Some(ev) = self.events.get() {
            ev.on_worker_terminated(ResourceId(name.clone()), diagnostics);
        }
    }

    fn launch_context(&self, container: &str) -> Result<ContainerLaunchContextProto, String> {
        let reg = self
            .registration
            .as_ref()
            .ok_or("the ApplicationMaster is not registered")?;
        let (jm_host, jm_port) = reg
            .jobmanager_rpc_address
            .rsplit_once(':')
            .ok_or("the JobManager RPC address has no port")?;
        let local_resources =
            StagedResource::to_launch_map(&self.settings.resources).map_err(|e| e.to_string())?;
        let environment = self
            .settings
            .environment
            .iter()
            .map(|(k, v)| StringStringMapProto {
                key: Some(k.clone()),
                value: Some(v.clone()),
            })
            .collect();
        let mut props: Vec<(String, String)> = vec![
            ("taskmanager.resource-id".into(), container.to_string()),
            ("jobmanager.rpc.address".into(), jm_host.to_string()),
            ("jobmanager.rpc.port".into(), jm_port.to_string()),
            ("taskmanager.exit-on-jm-loss".into(), "true".into()),
        ];
        props.extend(self.settings.dynamic_properties.iter().cloned());
        let mut cmd = format!("exec ./{BINARY} taskmanager --configDir .");
        for (k, v) in &props {
            cmd.push_str(&format!(" -D {}", shell_quote(&format!("{k}={v}"))));
        }
        // The container's host, as the NodeManager knows it.
        cmd.push_str(" -D taskmanager.host=$NM_HOST");
        cmd.push_str(" 1><LOG_DIR>/taskmanager.out 2><LOG_DIR>/taskmanager.log");
        Ok(ContainerLaunchContextProto {
            local_resources,
            environment,
            command: vec![cmd],
            ..Default::default()
        })
    }
}

/// Quotes a word for the container's bash (single quotes).
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// One line about why a container ended (Flink derives the same from the exit status).
fn container_diagnostics(s: &ContainerStatusProto) -> String {
    let code = s.exit_status();
    let why = match code {
        0 => "exited normally".to_string(),
        -100 => "was released or aborted by YARN (ABORTED)".to_string(),
        -101 => "failed because a disk failed (DISKS_FAILED)".to_string(),
        -102 => "was preempted by YARN (PREEMPTED)".to_string(),
        -104 | -103 => "exceeded its memory limit".to_string(),
        -105 | -106 => "was killed by the ApplicationMaster or YARN".to_string(),
        137 => "was killed (SIGKILL, exit 137)".to_string(),
        143 => "was terminated (SIGTERM, exit 143)".to_string(),
        n => format!("exited with status {n}"),
    };
    let d = s.diagnostics().trim();
    if d.is_empty() {
        format!("container {why}")
    } else {
        format!("container {why}: {}", d.lines().next().unwrap_or(d))
    }
}

/// Deletes the staging directory; bounded so that an unreachable NameNode
/// cannot keep the ApplicationMaster from unregistering.
async fn delete_staging_dir(dir: &str) {
    let settings = flink_fs::HadoopSettings::default();
    match flink_fs::resolve(dir, &settings) {
        Ok((fs, path)) => {
            match tokio::time::timeout(Duration::from_secs(30), fs.delete(&path, true)).await {
                Ok(Ok(_)) => tracing::info!(dir, "deleted the application's staging directory"),
                Ok(Err(e)) => {
                    tracing::warn!(dir, error = %e, "could not delete the staging directory")
                }
                Err(_) => tracing::warn!(dir, "deleting the staging directory timed out (30 s)"),
            }
        }
        Err(e) => tracing::warn!(dir, error = %e, "could not delete the staging directory"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_quotes() {
        assert_eq!(shell_quote("a=b c"), "'a=b c'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn diagnostics_name_the_cause() {
        let s = ContainerStatusProto {
            exit_status: Some(137),
            diagnostics: Some("Container killed on request\nmore".into()),
            ..Default::default()
        };
        assert_eq!(
            container_diagnostics(&s),
            "container was killed (SIGKILL, exit 137): Container killed on request"
        );
    }

    #[test]
    fn statuses_map_to_yarn() {
        assert_eq!(
            final_status(ApplicationStatus::Canceled),
            FinalApplicationStatusProto::AppKilled
        );
        assert_eq!(
            final_status(ApplicationStatus::Failed),
            FinalApplicationStatusProto::AppFailed
        );
    }
}
