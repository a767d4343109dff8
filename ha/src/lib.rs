//! # flink-ha
//!
//! High-availability services of flink-rs (Flink `HighAvailabilityServices`):
//!
//! * **leader election** for the JobManager: a contender asks for
//!   leadership and gets a [`LeaderSession`] whose `revoked` signal fires if
//!   leadership is lost;
//! * **leader retrieval**: TaskManagers and clients find the current
//!   JobManager's RPC and REST addresses, and are told when they change;
//! * **[`JobGraphStore`]**: submitted job graphs that a new leader recovers.
//!
//! [`StandaloneHaServices`] is the "NONE" mode: the JobManager is always the
//! leader, addresses are fixed (or published by the JobManager after it
//! bound its ports), stores are in memory. The traits are async and keyed
//! by [`LeaderComponent`] so a ZooKeeper implementation can map them onto
//! `/leader/<component>/connection_info` nodes and keep blobs in HDFS
//! (docs: flink-on-yarn.md section 3).

use async_trait::async_trait;
use flink_types::{JobGraph, JobId, LeaderSessionId};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::watch;

/// Errors of the HA services.
#[derive(Debug, thiserror::Error)]
pub enum HaError {
    /// The backing store (ZooKeeper, HDFS) failed.
    #[error("high-availability store error: {0}")]
    Store(String),
    /// The HA services were closed.
    #[error("high-availability services are closed")]
    Closed,
    /// Nothing is known yet about the leader of a component.
    #[error("no leader known for {0}; is the JobManager running?")]
    NoLeader(LeaderComponent),
}

/// Components that elect a leader (one ZooKeeper node each).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum LeaderComponent {
    /// The ResourceManager (TaskManagers register here).
    ResourceManager,
    /// The Dispatcher (job submission).
    Dispatcher,
    /// The REST server.
    RestServer,
}

impl LeaderComponent {
    /// Node name as in Flink's ZooKeeper layout.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResourceManager => "resource_manager",
            Self::Dispatcher => "dispatcher",
            Self::RestServer => "rest_server",
        }
    }
}

impl std::fmt::Display for LeaderComponent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a leader publishes: where it is and under which session.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LeaderInformation {
    /// `host:port` for RPC components, `http://host:port` for the REST server.
    pub address: String,
    /// Leader session that fences stale leaders.
    pub session_id: LeaderSessionId,
}

/// Leadership granted to a contender.
#[derive(Debug)]
pub struct LeaderSession {
    /// The session id of this leadership.
    pub session_id: LeaderSessionId,
    /// Becomes `true` when leadership is lost.
    pub revoked: watch::Receiver<bool>,
}

/// The HA services a JobManager and TaskManagers use.
#[async_trait]
pub trait HaServices: Send + Sync {
    /// Competes for leadership of the JobManager; resolves once granted.
    async fn elect_leader(&self) -> Result<LeaderSession, HaError>;
    /// Publishes the leader's address for `component` (only while leader).
    async fn publish_leader(
        &self,
        component: LeaderComponent,
        info: LeaderInformation,
    ) -> Result<(), HaError>;
    /// Watches the leader of `component`; `None` while unknown.
    fn leader_retrieval(
        &self,
        component: LeaderComponent,
    ) -> watch::Receiver<Option<LeaderInformation>>;
    /// The store of submitted job graphs.
    fn job_graph_store(&self) -> Arc<dyn JobGraphStore>;
    /// Deletes all HA data (on global termination of the cluster).
    async fn close_and_cleanup_all_data(&self) -> Result<(), HaError>;
}

/// Submitted job graphs, recovered by a new leader (Flink `JobGraphStore`).
#[async_trait]
pub trait JobGraphStore: Send + Sync {
    /// Adds or replaces a job graph.
    async fn put(&self, graph: &JobGraph) -> Result<(), HaError>;
    /// Removes a job graph (after the job reached a globally terminal state).
    async fn remove(&self, job_id: JobId) -> Result<(), HaError>;
    /// Ids of all stored job graphs.
    async fn job_ids(&self) -> Result<Vec<JobId>, HaError>;
    /// One job graph.
    async fn get(&self, job_id: JobId) -> Result<Option<JobGraph>, HaError>;
}

/// In-memory [`JobGraphStore`].
#[derive(Default)]
pub struct InMemoryJobGraphStore {
    graphs: Mutex<BTreeMap<JobId, JobGraph>>,
}

#[async_trait]
impl JobGraphStore for InMemoryJobGraphStore {
    async fn put(&self, graph: &JobGraph) -> Result<(), HaError> {
        self.graphs.lock().insert(graph.job_id, graph.clone());
        Ok(())
    }
    async fn remove(&self, job_id: JobId) -> Result<(), HaError> {
        self.graphs.lock().remove(&job_id);
        Ok(())
    }
    async fn job_ids(&self) -> Result<Vec<JobId>, HaError> {
        Ok(self.graphs.lock().keys().copied().collect())
    }
    async fn get(&self, job_id: JobId) -> Result<Option<JobGraph>, HaError> {
        Ok(self.graphs.lock().get(&job_id).cloned())
    }
}

/// HA mode NONE: always leader, fixed or self-published addresses, memory stores.
pub struct StandaloneHaServices {
    session_id: LeaderSessionId,
    leaders: Mutex<BTreeMap<LeaderComponent, watch::Sender<Option<LeaderInformation>>>>,
    job_graphs: Arc<InMemoryJobGraphStore>,
    // Keeps the "never revoked" channel open.
    revoked_tx: watch::Sender<bool>,
}

impl StandaloneHaServices {
    /// Services with no known addresses; the JobManager publishes its own
    /// after binding (the in-process and test setup).
    pub fn new() -> Self {
        let (revoked_tx, _) = watch::channel(false);
        Self {
            // Flink's standalone mode uses the fixed DEFAULT_LEADER_ID (all zeros).
            session_id: LeaderSessionId([0; 16]),
            leaders: Mutex::new(BTreeMap::new()),
            job_graphs: Arc::new(InMemoryJobGraphStore::default()),
            revoked_tx,
        }
    }

    /// Services that know the JobManager's configured addresses
    /// (`jobmanager.rpc.address:port` and the REST URL), as TaskManagers and
    /// clients without HA do.
    pub fn with_addresses(rpc_address: &str, rest_url: &str) -> Self {
        let s = Self::new();
        for (c, a) in [
            (LeaderComponent::ResourceManager, rpc_address),
            (LeaderComponent::Dispatcher, rpc_address),
            (LeaderComponent::RestServer, rest_url),
        ] {
            s.sender(c).send_replace(Some(LeaderInformation {
                address: a.to_string(),
                session_id: s.session_id,
            }));
        }
        s
    }

    fn sender(&self, c: LeaderComponent) -> watch::Sender<Option<LeaderInformation>> {
        self.leaders
            .lock()
            .entry(c)
            .or_insert_with(|| watch::channel(None).0)
            .clone()
    }
}

impl Default for StandaloneHaServices {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl HaServices for StandaloneHaServices {
    async fn elect_leader(&self) -> Result<LeaderSession, HaError> {
        Ok(LeaderSession {
            session_id: self.session_id,
            revoked: self.revoked_tx.subscribe(),
        })
    }
    async fn publish_leader(
        &self,
        component: LeaderComponent,
        info: LeaderInformation,
    ) -> Result<(), HaError> {
        self.sender(component).send_replace(Some(info));
        Ok(())
    }
    fn leader_retrieval(
        &self,
        component: LeaderComponent,
    ) -> watch::Receiver<Option<LeaderInformation>> {
        self.sender(component).subscribe()
    }
    fn job_graph_store(&self) -> Arc<dyn JobGraphStore> {
        self.job_graphs.clone()
    }
    async fn close_and_cleanup_all_data(&self) -> Result<(), HaError> {
        for id in self.job_graphs.job_ids().await? {
            self.job_graphs.remove(id).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn standalone_is_leader_and_publishes_addresses() {
        let ha = StandaloneHaServices::new();
        let mut rx = ha.leader_retrieval(LeaderComponent::ResourceManager);
        assert!(rx.borrow().is_none());
        let session = ha.elect_leader().await.unwrap();
        assert!(!*session.revoked.borrow());
        ha.publish_leader(
            LeaderComponent::ResourceManager,
            LeaderInformation {
                address: "127.0.0.1:6123".into(),
                session_id: session.session_id,
            },
        )
        .await
        .unwrap();
        rx.changed().await.unwrap();
        assert_eq!(rx.borrow().as_ref().unwrap().address, "127.0.0.1:6123");

        let fixed = StandaloneHaServices::with_addresses("h:1", "http://h:2");
        let rest = fixed.leader_retrieval(LeaderComponent::RestServer);
        assert_eq!(rest.borrow().as_ref().unwrap().address, "http://h:2");
    }

    #[tokio::test]
    async fn job_graph_store_keeps_and_removes_graphs() {
        let ha = StandaloneHaServices::new();
        let store = ha.job_graph_store();
        let g = JobGraph {
            job_id: JobId::generate(),
            name: "j".into(),
            program: flink_types::ProgramRef {
                name: "p".into(),
                args: vec![],
                bundle: None,
            },
            vertices: vec![],
            edges: vec![],
            runtime_mode: Default::default(),
            config: Default::default(),
        };
        store.put(&g).await.unwrap();
        assert_eq!(store.job_ids().await.unwrap(), vec![g.job_id]);
        assert_eq!(store.get(g.job_id).await.unwrap().unwrap(), g);
        ha.close_and_cleanup_all_data().await.unwrap();
        assert!(store.job_ids().await.unwrap().is_empty());
    }
}
