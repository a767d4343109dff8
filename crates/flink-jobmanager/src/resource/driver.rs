//! How the ResourceManager gets TaskManagers (Flink `ResourceManagerDriver`).

use async_trait::async_trait;
use flink_types::ResourceId;
use std::sync::Arc;

/// Error of a resource driver.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ResourceDriverError(pub String);

/// Resources of one requested worker (Flink `WorkerResourceSpec`); on YARN
/// it maps to one container `Resource(memory, vcores)` and priority.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WorkerResourceSpec {
    /// CPU cores (YARN vcores).
    pub cpu_cores: u32,
    /// Total process memory in MiB (YARN container memory).
    pub total_process_memory_mb: u64,
    /// Task slots the worker will offer.
    pub num_slots: u32,
}

/// Final status of the application, reported when deregistering
/// (YARN `FinalApplicationStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplicationStatus {
    /// All jobs finished.
    Succeeded,
    /// A job failed.
    Failed,
    /// Cancelled (YARN: KILLED).
    Canceled,
    /// Not known (e.g. JobManager shut down from outside).
    Unknown,
}

impl ApplicationStatus {
    /// Flink's name (as in `/jobs/:id/execution-result` `application-status`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::Canceled => "CANCELED",
            Self::Unknown => "UNKNOWN",
        }
    }
}

/// Events a driver reports back to the ResourceManager.
pub trait ResourceEventHandler: Send + Sync {
    /// A worker (requested or registered) terminated, e.g. its YARN container
    /// completed; `diagnostics` says why (exit status, preempted, ...).
    /// A requested worker that terminates before registering counts as a
    /// failed request: the ResourceManager requests again if still needed.
    fn on_worker_terminated(&self, resource_id: ResourceId, diagnostics: String);
    /// The driver hit an error it cannot recover from (e.g. the YARN RM
    /// asked the AM to shut down).
    fn on_error(&self, error: String);
}

/// How the ResourceManager obtains and releases TaskManagers.
///
/// Workers are identified by their [`ResourceId`]: a driver that starts a
/// TaskManager must pass it as `taskmanager.resource-id` (on YARN: the
/// container id) so that the registration can be matched to the worker.
#[async_trait]
pub trait ResourceDriver: Send + Sync {
    /// Called once when the ResourceManager starts, before any request.
    async fn initialize(
        &self,
        events: Arc<dyn ResourceEventHandler>,
    ) -> Result<(), ResourceDriverError> {
        let _ = events;
        Ok(())
    }
    /// Asks for `count` more workers with `spec`. Returns once the request
    /// is placed (workers show up later by registering).
    async fn request_workers(
        &self,
        count: u32,
        spec: &WorkerResourceSpec,
    ) -> Result<(), ResourceDriverError>;
    /// Stops a worker (an idle one, or one whose heartbeat timed out).
    async fn release_worker(&self, resource_id: &ResourceId) -> Result<(), ResourceDriverError>;
    /// Whether idle workers should be released after
    /// `resourcemanager.taskmanager-timeout` (false for standalone clusters).
    fn releases_idle_workers(&self) -> bool {
        true
    }
    /// Whether [`Self::request_workers`] can actually start workers
    /// (false for standalone: TaskManagers come by themselves).
    fn can_request_workers(&self) -> bool {
        true
    }
    /// The application ends: unregister from the cluster manager with the
    /// final status (YARN `finishApplicationMaster`).
    async fn deregister_application(
        &self,
        status: ApplicationStatus,
        diagnostics: Option<String>,
    ) -> Result<(), ResourceDriverError>;
    /// The ResourceManager stops; release driver resources.
    async fn terminate(&self) -> Result<(), ResourceDriverError> {
        Ok(())
    }
}

/// Standalone clusters: TaskManagers are started by hand and register
/// themselves; nothing is requested or released.
#[derive(Default, Debug)]
pub struct StandaloneResourceDriver;

#[async_trait]
impl ResourceDriver for StandaloneResourceDriver {
    async fn request_workers(
        &self,
        count: u32,
        _spec: &WorkerResourceSpec,
    ) -> Result<(), ResourceDriverError> {
        tracing::info!(
            count,
            "standalone cluster: cannot start TaskManagers; waiting for {count} more to register"
        );
        Ok(())
    }
    async fn release_worker(&self, _resource_id: &ResourceId) -> Result<(), ResourceDriverError> {
        Ok(())
    }
    fn releases_idle_workers(&self) -> bool {
        false
    }
    fn can_request_workers(&self) -> bool {
        false
    }
    async fn deregister_application(
        &self,
        _status: ApplicationStatus,
        _diagnostics: Option<String>,
    ) -> Result<(), ResourceDriverError> {
        Ok(())
    }
}
