//! Cluster wiring: the in-process local cluster behind `run -t local`, and
//! the standalone `jobmanager` / `taskmanager` processes. The JobManager
//! never sees the data plane; TaskManagers get a `StreamTaskSpawner` over
//! the programs this binary contains.

use async_trait::async_trait;
use flink_client::BoxError;
use flink_client::commands::{ClusterLauncher, RunningCluster};
use flink_config::Configuration;
use flink_config::options::DeploymentTarget;
use flink_ha::StandaloneHaServices;
use flink_jobmanager::{
    JobManagerConfig, JobManagerHandle, JobManagerRunner, StandaloneResourceDriver,
};
use flink_network::NetworkEnvironment;
use flink_streaming::ProgramRegistry;
use flink_streaming::runtime::task::{StreamTaskSettings, StreamTaskSpawner};
use flink_taskmanager::{TaskManagerConfig, TaskManagerHandle, TaskManagerRunner};
use flink_types::TaskSpawner;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

fn stream_task_settings(map: &BTreeMap<String, String>) -> Result<StreamTaskSettings, BoxError> {
    let mut s = StreamTaskSettings::default();
    if let Some(v) = map.get("taskmanager.memory.segment-size") {
        s.segment_size = flink_config::MemorySize::parse(v)
            .map_err(|e| format!("invalid taskmanager.memory.segment-size '{v}': {e}"))?
            .bytes() as usize;
    }
    if let Some(v) = map.get("execution.buffer-timeout.interval") {
        s.buffer_timeout = flink_config::parse_duration(v)
            .map_err(|e| format!("invalid execution.buffer-timeout.interval '{v}': {e}"))?;
    }
    Ok(s)
}

/// Starts a TaskManager in this process that runs the programs in `registry`.
pub async fn start_task_manager(
    map: &BTreeMap<String, String>,
    registry: Arc<ProgramRegistry>,
) -> Result<TaskManagerHandle, BoxError> {
    let settings = stream_task_settings(map)?;
    let config = TaskManagerConfig::from_flat(map)?;
    let factory = Box::new(move |network: Arc<NetworkEnvironment>| {
        Arc::new(StreamTaskSpawner::new(registry, network, settings)) as Arc<dyn TaskSpawner>
    });
    Ok(TaskManagerRunner::start(config, factory).await?)
}

/// An in-process JobManager with TaskManagers.
pub struct LocalCluster {
    /// The JobManager.
    pub job_manager: JobManagerHandle,
    /// The TaskManagers.
    pub task_managers: Vec<TaskManagerHandle>,
}

/// Starts a local cluster: one JobManager on loopback with ephemeral ports
/// and `num_task_managers` TaskManagers with `slots` slots each.
pub async fn start_local_cluster(
    config: &Configuration,
    registry: Arc<ProgramRegistry>,
    num_task_managers: u32,
    slots: u32,
) -> Result<LocalCluster, BoxError> {
    let mut map = config.to_map();
    for (k, v) in [
        ("jobmanager.rpc.address", "127.0.0.1"),
        ("jobmanager.rpc.port", "0"),
        ("rest.address", "127.0.0.1"),
        ("rest.bind-address", "127.0.0.1"),
        ("rest.port", "0"),
    ] {
        map.insert(k.into(), v.into());
    }
    let jm_config = JobManagerConfig::from_flat(&map)?;
    let job_manager = JobManagerRunner::start(
        jm_config,
        Box::new(StandaloneResourceDriver),
        Arc::new(StandaloneHaServices::new()),
    )
    .await?;
    let (host, port) = job_manager
        .rpc_address()
        .rsplit_once(':')
        .map(|(h, p)| (h.to_string(), p.to_string()))
        .ok_or("JobManager reported no RPC address")?;
    let mut tm_map = map.clone();
    tm_map.insert("jobmanager.rpc.address".into(), host);
    tm_map.insert("jobmanager.rpc.port".into(), port);
    tm_map.insert("taskmanager.host".into(), "127.0.0.1".into());
    tm_map.insert(
        "taskmanager.numberOfTaskSlots".into(),
        slots.max(1).to_string(),
    );
    let mut task_managers = Vec::new();
    for _ in 0..num_task_managers.max(1) {
        task_managers.push(start_task_manager(&tm_map, registry.clone()).await?);
    }
    // Wait until the slots are registered, so the job is not scheduled early.
    let want = slots.max(1) * num_task_managers.max(1);
    for _ in 0..200 {
        if job_manager.slot_counts().0 >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(LocalCluster {
        job_manager,
        task_managers,
    })
}

#[async_trait]
impl RunningCluster for LocalCluster {
    fn rest_url(&self) -> String {
        self.job_manager.rest_url()
    }
    async fn shutdown(self: Box<Self>) -> Result<(), BoxError> {
        for tm in &self.task_managers {
            tm.shutdown().await;
        }
        self.job_manager.shutdown().await;
        Ok(())
    }
}

/// Starts the local cluster for `run -t local`, sized for the job the
/// loader built last (its required slots).
pub struct LocalLauncher {
    /// Programs the TaskManagers can run.
    pub registry: Arc<ProgramRegistry>,
    /// Slots the job needs (set by the loader).
    pub required_slots: Arc<AtomicU32>,
}

#[async_trait]
impl ClusterLauncher for LocalLauncher {
    async fn launch(
        &self,
        target: DeploymentTarget,
        config: &Configuration,
    ) -> Result<Box<dyn RunningCluster>, BoxError> {
        match target {
            DeploymentTarget::Local => {
                let configured = config
                    .to_map()
                    .get("taskmanager.numberOfTaskSlots")
                    .and_then(|v| v.parse::<u32>().ok())
                    .unwrap_or(1);
                let slots = self.required_slots.load(Ordering::SeqCst).max(configured);
                Ok(Box::new(start_local_cluster(config, self.registry.clone(), 1, slots).await?))
            }
            other => Err(format!(
                "deployment target '{other}' is not available in this build yet; use -t local or -t remote -m host:port"
            )
            .into()),
        }
    }
}

async fn wait_for_shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

/// `flink-rs jobmanager`: a standalone JobManager until SIGINT.
pub async fn run_standalone_jobmanager(config: &Configuration) -> Result<(), BoxError> {
    let jm_config = JobManagerConfig::from_flat(&config.to_map())?;
    let jm = JobManagerRunner::start(
        jm_config,
        Box::new(StandaloneResourceDriver),
        Arc::new(StandaloneHaServices::new()),
    )
    .await?;
    tracing::info!(rpc = jm.rpc_address(), rest = %jm.rest_url(), "JobManager started");
    eprintln!(
        "JobManager started: RPC {}, REST {}",
        jm.rpc_address(),
        jm.rest_url()
    );
    wait_for_shutdown_signal().await;
    jm.shutdown().await;
    Ok(())
}

/// `flink-rs taskmanager`: a standalone TaskManager until SIGINT.
pub async fn run_standalone_taskmanager(
    config: &Configuration,
    registry: Arc<ProgramRegistry>,
) -> Result<(), BoxError> {
    let tm = start_task_manager(&config.to_map(), registry).await?;
    tracing::info!("TaskManager started");
    tokio::select! {
        _ = wait_for_shutdown_signal() => {}
        _ = tm.wait_terminated() => {}
    }
    tm.shutdown().await;
    Ok(())
}
