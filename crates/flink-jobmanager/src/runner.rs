//! Starts the JobManager's components and servers and hands out a handle.

use crate::checkpoint::CheckpointCoordinatorFactory;
use crate::config::JobManagerConfig;
use crate::dispatcher::Dispatcher;
use crate::error::JobManagerError;
use crate::jobmaster::details::{JobDetails, JobResult};
use crate::resource::{
    ApplicationStatus, ResourceDriver, ResourceManager, ResourceManagerSettings, TaskManagerInfo,
    WorkerResourceSpec,
};
use crate::rest::{RestState, router};
use crate::rpc::JobManagerGatewayService;
use flink_ha::{HaServices, LeaderComponent, LeaderInformation};
use flink_proto::pb::job_manager_gateway_server::JobManagerGatewayServer;
use flink_types::{JobGraph, JobId, JobStatus};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

/// Starts a JobManager.
pub struct JobManagerRunner;

impl JobManagerRunner {
    /// Binds the gRPC server (`jobmanager.rpc.address:port`) and the REST
    /// server (`rest.bind-address:rest.port`), becomes leader through `ha`,
    /// and starts the ResourceManager with `driver` and the Dispatcher.
    /// Streaming jobs get the default checkpoint coordinator (checkpoints,
    /// savepoints, restore from `execution.savepoint.path`).
    pub async fn start(
        config: JobManagerConfig,
        driver: Box<dyn ResourceDriver>,
        ha: Arc<dyn HaServices>,
    ) -> Result<JobManagerHandle, JobManagerError> {
        Self::start_with_checkpointing(
            config,
            driver,
            ha,
            Some(Arc::new(
                crate::checkpoint_coordinator::DefaultCheckpointCoordinatorFactory::default(),
            )),
        )
        .await
    }

    /// Like [`Self::start`], with a checkpoint coordinator per job.
    pub async fn start_with_checkpointing(
        config: JobManagerConfig,
        driver: Box<dyn ResourceDriver>,
        ha: Arc<dyn HaServices>,
        checkpoint_factory: Option<Arc<dyn CheckpointCoordinatorFactory>>,
    ) -> Result<JobManagerHandle, JobManagerError> {
        config.validate()?;
        let session = ha.elect_leader().await?;

        let rpc_bind = format!("{}:{}", config.rpc_address, config.rpc_port);
        let rpc_listener =
            TcpListener::bind(&rpc_bind)
                .await
                .map_err(|source| JobManagerError::Bind {
                    what: "JobManager RPC server",
                    address: rpc_bind.clone(),
                    key: "jobmanager.rpc.port",
                    source,
                })?;
        let rest_host = config
            .rest_bind_address
            .clone()
            .unwrap_or_else(|| config.rest_address.clone());
        let rest_bind = format!("{rest_host}:{}", config.rest_port);
        let rest_listener =
            TcpListener::bind(&rest_bind)
                .await
                .map_err(|source| JobManagerError::Bind {
                    what: "REST server",
                    address: rest_bind.clone(),
                    key: "rest.port",
                    source,
                })?;
        let rpc_port = local_port(&rpc_listener);
        let rest_port = local_port(&rest_listener);
        let rpc_address = format!("{}:{rpc_port}", config.rpc_address);
        let rest_address = format!("{}:{rest_port}", config.rest_address);

        let settings = ResourceManagerSettings {
            heartbeat_interval: config.heartbeat_interval,
            heartbeat_timeout: config.heartbeat_timeout,
            rpc_failure_threshold: config.rpc_failure_threshold,
            slot_request_timeout: config.slot_request_timeout,
            taskmanager_timeout: config.taskmanager_timeout,
            worker_registration_timeout: config.worker_registration_timeout,
            worker_spec: WorkerResourceSpec {
                cpu_cores: config.slots_per_task_manager,
                total_process_memory_mb: config.task_manager_process_memory_mb,
                num_slots: config.slots_per_task_manager,
            },
        };
        let rm = ResourceManager::start(settings, Arc::from(driver)).await?;
        rm.set_jobmanager_address(rpc_address.clone());
        let dispatcher = Dispatcher::new(
            rm.clone(),
            ha.clone(),
            checkpoint_factory,
            config.job_store_max_capacity,
            config.heartbeat_timeout + config.heartbeat_interval,
        );

        let (rpc_stop_tx, rpc_stop_rx) = oneshot::channel::<()>();
        let service = JobManagerGatewayService {
            rm: rm.clone(),
            dispatcher: dispatcher.clone(),
            resource_id: format!("jobmanager@{rpc_address}"),
        };
        let rpc_task = tokio::spawn(async move {
            let incoming = tokio_stream::wrappers::TcpListenerStream::new(rpc_listener);
            let r = tonic::transport::Server::builder()
                .add_service(
                    JobManagerGatewayServer::new(service)
                        .max_decoding_message_size(flink_proto::MAX_MESSAGE_SIZE),
                )
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = rpc_stop_rx.await;
                })
                .await;
            if let Err(e) = r {
                tracing::error!(error = %e, "JobManager RPC server failed");
            }
        });

        let shutdown_requested = Arc::new(Notify::new());
        let (rest_stop_tx, rest_stop_rx) = oneshot::channel::<()>();
        let app = router(RestState {
            dispatcher: dispatcher.clone(),
            rm: rm.clone(),
            shutdown_requested: shutdown_requested.clone(),
            savepoints: Default::default(),
        });
        let rest_task = tokio::spawn(async move {
            let r = axum::serve(rest_listener, app)
                .with_graceful_shutdown(async {
                    let _ = rest_stop_rx.await;
                })
                .await;
            if let Err(e) = r {
                tracing::error!(error = %e, "REST server failed");
            }
        });

        for (component, address) in [
            (LeaderComponent::ResourceManager, rpc_address.clone()),
            (LeaderComponent::Dispatcher, rpc_address.clone()),
            (
                LeaderComponent::RestServer,
                format!("http://{rest_address}"),
            ),
        ] {
            ha.publish_leader(
                component,
                LeaderInformation {
                    address,
                    session_id: session.session_id,
                },
            )
            .await?;
        }
        // Recover the jobs a previous leader accepted but did not finish.
        let store = ha.job_graph_store();
        for job_id in store.job_ids().await? {
            match store.get(job_id).await? {
                Some(graph) => {
                    tracing::info!(job = %job_id, name = %graph.name, "recovering job from the HA job graph store");
                    if let Err(e) = dispatcher.submit(graph).await {
                        tracing::error!(job = %job_id, error = %e, "could not recover job");
                    }
                }
                None => tracing::warn!(job = %job_id, "job graph vanished from the HA store"),
            }
        }
        tracing::info!(rpc = %rpc_address, rest = %rest_address, "JobManager started");
        Ok(JobManagerHandle {
            rpc_address,
            rest_address,
            dispatcher,
            rm,
            ha,
            shutdown_requested,
            stops: parking_lot::Mutex::new(Some((rpc_stop_tx, rest_stop_tx, rpc_task, rest_task))),
        })
    }
}

fn local_port(l: &TcpListener) -> u16 {
    l.local_addr().map(|a: SocketAddr| a.port()).unwrap_or(0)
}

type Stops = (
    oneshot::Sender<()>,
    oneshot::Sender<()>,
    JoinHandle<()>,
    JoinHandle<()>,
);

/// A running JobManager.
pub struct JobManagerHandle {
    rpc_address: String,
    rest_address: String,
    dispatcher: Arc<Dispatcher>,
    rm: Arc<ResourceManager>,
    ha: Arc<dyn HaServices>,
    shutdown_requested: Arc<Notify>,
    stops: parking_lot::Mutex<Option<Stops>>,
}

impl JobManagerHandle {
    /// `host:port` of the gRPC endpoint TaskManagers register with.
    pub fn rpc_address(&self) -> &str {
        &self.rpc_address
    }
    /// `host:port` of the REST endpoint.
    pub fn rest_address(&self) -> &str {
        &self.rest_address
    }
    /// `http://host:port` of the REST endpoint.
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.rest_address)
    }
    /// Submits a job.
    pub async fn submit_job(&self, graph: JobGraph) -> Result<JobId, JobManagerError> {
        self.dispatcher.submit(graph).await
    }
    /// Requests cancellation of a job.
    pub fn cancel_job(&self, job_id: JobId) -> Result<(), JobManagerError> {
        self.dispatcher.cancel(job_id)
    }
    /// The job's current status.
    pub fn job_status(&self, job_id: JobId) -> Result<JobStatus, JobManagerError> {
        Ok(self.dispatcher.job_details(job_id)?.status)
    }
    /// A snapshot of the job's details.
    pub fn job_details(&self, job_id: JobId) -> Result<JobDetails, JobManagerError> {
        self.dispatcher.job_details(job_id)
    }
    /// All known jobs (running and the finished history), newest first.
    pub fn list_jobs(&self) -> Vec<JobDetails> {
        self.dispatcher.list_jobs()
    }
    /// Waits for a job to reach a terminal state.
    pub async fn wait_job_result(&self, job_id: JobId) -> Result<JobResult, JobManagerError> {
        self.dispatcher.wait_job_result(job_id).await
    }
    /// Registered TaskManagers.
    pub fn task_managers(&self) -> Vec<TaskManagerInfo> {
        self.rm.task_managers()
    }
    /// (total, free) slots.
    pub fn slot_counts(&self) -> (u32, u32) {
        self.rm.slot_counts()
    }
    /// The ResourceManager (e.g. for a driver to look at registrations).
    pub fn resource_manager(&self) -> &Arc<ResourceManager> {
        &self.rm
    }
    /// Resolves when the resource driver reports a fatal error (e.g. YARN
    /// asked the application master to shut down); the process should exit.
    pub async fn wait_fatal_error(&self) -> String {
        self.rm.wait_fatal_error().await
    }
    /// Resolves when a client asked to shut the cluster down (`DELETE /cluster`).
    pub async fn cluster_shutdown_requested(&self) {
        self.shutdown_requested.notified().await
    }
    /// Stops servers and job masters (running jobs become SUSPENDED). The
    /// application stays registered with the cluster manager.
    pub async fn shutdown(&self) {
        self.dispatcher.close();
        self.rm.close().await;
        let stops = self.stops.lock().take();
        if let Some((rpc_tx, rest_tx, rpc_task, rest_task)) = stops {
            let _ = rpc_tx.send(());
            let _ = rest_tx.send(());
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), async {
                let _ = rpc_task.await;
                let _ = rest_task.await;
            })
            .await;
        }
        tracing::info!(rpc = %self.rpc_address, "JobManager stopped");
    }
    /// Ends the application: deregisters from the cluster manager with
    /// `status`, deletes HA data, then shuts down.
    pub async fn shutdown_cluster(
        &self,
        status: ApplicationStatus,
        diagnostics: Option<String>,
    ) -> Result<(), JobManagerError> {
        let r = self
            .rm
            .driver()
            .deregister_application(status, diagnostics)
            .await
            .map_err(|e| JobManagerError::ResourceDriver(e.0));
        if let Err(e) = self.ha.close_and_cleanup_all_data().await {
            tracing::warn!(error = %e, "could not clean up HA data");
        }
        self.shutdown().await;
        r
    }
}
