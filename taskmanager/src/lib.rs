//! # flink-taskmanager
//!
//! The TaskManager (Flink `TaskExecutor`) of flink-rs, as a library:
//!
//! * [`TaskManagerRunner::start`] starts the data plane
//!   ([`flink_network::NetworkEnvironment`]), builds the task spawner from
//!   it, binds the `TaskExecutorGateway` gRPC server and registers at the
//!   JobManager (`jobmanager.rpc.address:port`) with retries and backoff.
//! * It heartbeats the JobManager with a slot report; when the JobManager
//!   stays unreachable for `heartbeat.timeout` it cancels its tasks, frees
//!   its slots and registers again (or exits with
//!   `taskmanager.exit-on-jm-loss`, as YARN containers do).
//! * Slots are allocated by `RequestSlot`; `SubmitTask` hands the
//!   deployment descriptor to the [`flink_types::TaskSpawner`]; task state
//!   changes go back to the JobManager in order (`UpdateTaskExecutionState`);
//!   cancellation and checkpoint RPCs are forwarded to the task's
//!   [`flink_types::TaskControl`].

pub mod config;
mod connection;
pub mod error;
mod outbox;
mod service;
mod state;

pub use config::TaskManagerConfig;
pub use error::{TaskManagerError, TaskManagerExit};

use flink_network::{NetworkConfig, NetworkEnvironment};
use flink_proto::pb;
use flink_proto::pb::task_executor_gateway_server::TaskExecutorGatewayServer;
use flink_types::{ResourceId, TaskManagerLocation, TaskSpawner};
use parking_lot::Mutex;
use state::TmShared;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;

/// Builds the task spawner once the data plane is up.
pub type SpawnerFactory = Box<dyn FnOnce(Arc<NetworkEnvironment>) -> Arc<dyn TaskSpawner> + Send>;

/// Starts TaskManagers.
pub struct TaskManagerRunner;

impl TaskManagerRunner {
    /// Starts a TaskManager with the default network configuration.
    pub async fn start(
        config: TaskManagerConfig,
        spawner_factory: SpawnerFactory,
    ) -> Result<TaskManagerHandle, TaskManagerError> {
        Self::start_with_network(config, NetworkConfig::default(), spawner_factory).await
    }

    /// Starts a TaskManager with a custom network configuration.
    pub async fn start_with_network(
        config: TaskManagerConfig,
        network_config: NetworkConfig,
        spawner_factory: SpawnerFactory,
    ) -> Result<TaskManagerHandle, TaskManagerError> {
        Self::start_with_options(config, network_config, spawner_factory, None).await
    }

    /// Starts a TaskManager: data plane, RPC server, registration and
    /// heartbeats. With `leader_retrieval` (e.g. `HaServices::leader_retrieval(
    /// LeaderComponent::ResourceManager)`) the JobManager address is followed
    /// through HA instead of `jobmanager.rpc.address:port`, and a leader
    /// change makes the TaskManager register at the new leader.
    pub async fn start_with_options(
        config: TaskManagerConfig,
        network_config: NetworkConfig,
        spawner_factory: SpawnerFactory,
        leader_retrieval: Option<watch::Receiver<Option<flink_ha::LeaderInformation>>>,
    ) -> Result<TaskManagerHandle, TaskManagerError> {
        config.validate()?;
        let bind_host = config
            .bind_host
            .clone()
            .unwrap_or_else(|| config.host.clone());
        let network =
            NetworkEnvironment::start(&bind_host, config.data_port, &config.host, network_config)
                .await
                .map_err(|e| TaskManagerError::Network(e.to_string()))?;
        let spawner = spawner_factory(network.clone());

        let rpc_bind = format!("{bind_host}:{}", config.rpc_port);
        let listener =
            TcpListener::bind(&rpc_bind)
                .await
                .map_err(|source| TaskManagerError::Bind {
                    address: rpc_bind.clone(),
                    source,
                })?;
        let rpc_port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let rpc_address = format!("{}:{rpc_port}", config.host);
        let resource_id = ResourceId(
            config
                .resource_id
                .clone()
                .unwrap_or_else(|| ResourceId::generate(&rpc_address).0),
        );
        let location = TaskManagerLocation {
            resource_id: resource_id.clone(),
            rpc_address: rpc_address.clone(),
            data_address: network.data_address(),
        };
        let (outbox_tx, outbox_rx) = mpsc::unbounded_channel();
        let (exit_tx, exit_rx) = watch::channel(None);
        let shared = Arc::new(TmShared {
            resource_id: resource_id.clone(),
            location: location.clone(),
            slots: Mutex::new(vec![None; config.num_task_slots as usize]),
            tasks: Mutex::new(HashMap::new()),
            ended_early: Mutex::new(HashSet::new()),
            spawner,
            outbox: outbox_tx,
            jm: Mutex::new(None),
            next_generation: std::sync::atomic::AtomicU64::new(0),
            current_generation: std::sync::atomic::AtomicU64::new(0),
            stopped: std::sync::atomic::AtomicBool::new(false),
            reconnect: Notify::new(),
            exit: exit_tx,
        });

        let service = service::TaskExecutorService(shared.clone());
        // A stopped TaskManager answers nothing, also on connections that
        // were open before it stopped.
        let stopped = shared.clone();
        let gate = move |req: tonic::Request<()>| {
            if stopped.stopped.load(std::sync::atomic::Ordering::SeqCst) {
                Err(tonic::Status::unavailable("the TaskManager is stopped"))
            } else {
                Ok(req)
            }
        };
        let mut server_exit = exit_rx.clone();
        let server = tokio::spawn(async move {
            let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
            let r = tonic::transport::Server::builder()
                .add_service(tonic::service::interceptor::InterceptedService::new(
                    TaskExecutorGatewayServer::new(service)
                        .max_decoding_message_size(flink_proto::MAX_MESSAGE_SIZE),
                    gate,
                ))
                .serve_with_incoming_shutdown(incoming, async move {
                    let _ = server_exit.wait_for(|e| e.is_some()).await;
                })
                .await;
            if let Err(e) = r {
                tracing::error!(error = %e, "TaskManager RPC server failed");
            }
        });
        let outbox = tokio::spawn(outbox::run(Arc::downgrade(&shared), outbox_rx));
        let jm_address = match leader_retrieval {
            Some(rx) => connection::JobManagerAddress::Leader(rx),
            None => connection::JobManagerAddress::Fixed(config.jobmanager_rpc_address()),
        };
        let mut connection_exit = exit_rx.clone();
        let connection_loop = connection::run(shared.clone(), config.clone(), jm_address);
        // The connection loop ends with the TaskManager (no heartbeats after exit).
        let connection = tokio::spawn(async move {
            tokio::select! {
                _ = connection_loop => {}
                _ = connection_exit.wait_for(|e| e.is_some()) => {}
            }
        });
        tracing::info!(
            %resource_id,
            rpc = %rpc_address,
            data = %location.data_address,
            slots = config.num_task_slots,
            jobmanager = %config.jobmanager_rpc_address(),
            "TaskManager started"
        );
        Ok(TaskManagerHandle {
            shared,
            network,
            location,
            exit_rx,
            tasks: Mutex::new(vec![server, outbox, connection]),
        })
    }
}

/// A running TaskManager. Dropping it kills the TaskManager abruptly
/// (no goodbye to the JobManager), like a crashed process.
pub struct TaskManagerHandle {
    shared: Arc<TmShared>,
    network: Arc<NetworkEnvironment>,
    location: TaskManagerLocation,
    exit_rx: watch::Receiver<Option<TaskManagerExit>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl TaskManagerHandle {
    /// The TaskManager's resource id.
    pub fn resource_id(&self) -> &ResourceId {
        &self.location.resource_id
    }
    /// `host:port` of its gRPC endpoint.
    pub fn rpc_address(&self) -> &str {
        &self.location.rpc_address
    }
    /// `host:port` of its data server.
    pub fn data_address(&self) -> &str {
        &self.location.data_address
    }
    /// Its location as put into deployment descriptors.
    pub fn location(&self) -> &TaskManagerLocation {
        &self.location
    }
    /// The data plane.
    pub fn network(&self) -> &Arc<NetworkEnvironment> {
        &self.network
    }
    /// Whether it is currently registered at a JobManager.
    pub fn is_registered(&self) -> bool {
        self.shared.jm.lock().is_some()
    }
    /// Number of allocated slots.
    pub fn allocated_slots(&self) -> usize {
        self.shared
            .slots
            .lock()
            .iter()
            .filter(|s| s.is_some())
            .count()
    }
    /// Number of tasks currently running.
    pub fn running_tasks(&self) -> usize {
        self.shared.tasks.lock().len()
    }
    /// Resolves when the TaskManager stops (shutdown, registration timeout,
    /// JobManager loss with `taskmanager.exit-on-jm-loss`, or asked by the
    /// JobManager); the binary exits then.
    pub async fn wait_terminated(&self) -> TaskManagerExit {
        let mut rx = self.exit_rx.clone();
        match rx.wait_for(|e| e.is_some()).await {
            Ok(e) => e.clone().unwrap_or(TaskManagerExit::Shutdown),
            Err(_) => TaskManagerExit::Shutdown,
        }
    }
    /// Clean shutdown: tells the JobManager (so it fails over at once),
    /// cancels the tasks and waits up to 2 s for them, then stops the
    /// servers and the data plane.
    pub async fn shutdown(&self) {
        let conn = self.shared.jm.lock().clone();
        if let Some(mut c) = conn {
            let _ = tokio::time::timeout(
                Duration::from_secs(2),
                c.client
                    .disconnect_task_manager(pb::DisconnectTaskManagerRequest {
                        resource_id: self.location.resource_id.0.clone(),
                        cause: "TaskManager is shutting down".into(),
                    }),
            )
            .await;
        }
        self.shared.cancel_all_tasks();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while self.running_tasks() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.shared.exit(TaskManagerExit::Shutdown);
        self.stop();
        tracing::info!(resource_id = %self.location.resource_id, "TaskManager stopped");
    }
    /// Stops everything at once without telling anyone (a simulated crash).
    pub fn kill(&self) {
        self.stop();
        self.shared.cancel_all_tasks();
    }
    fn stop(&self) {
        // From here on no event leaves and no RPC is served.
        self.shared
            .stopped
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.shared.exit(TaskManagerExit::Shutdown);
        for t in self.tasks.lock().drain(..) {
            t.abort();
        }
        *self.shared.jm.lock() = None;
        self.network.shutdown();
    }
}

impl Drop for TaskManagerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}
