//! The reusable YARN side of an ApplicationMaster: container requests with correct
//! "total outstanding" asks, allocation matching and surplus release, container launches on
//! NodeManagers, RESYNC / SHUTDOWN handling and unregistration. The shell AM uses it now; the
//! JobManager's YARN resource driver builds on it next.

use std::collections::HashMap;
use std::time::Duration;

use hadoop_proto::yarn::{
    AmCommandProto, ContainerIdProto, ContainerLaunchContextProto, ContainerProto,
    ContainerStatusProto, FinalApplicationStatusProto, RegisterApplicationMasterResponseProto,
    ResourceRequestProto,
};
use hadoop_rpc::ConnectionOptions;
use yarn_client::{AmRmClient, NmClient, YarnError, any_host_request, ids, node_address};

/// Errors of the AM driver.
#[derive(Debug, thiserror::Error)]
pub enum AmError {
    /// A YARN call failed.
    #[error(transparent)]
    Yarn(#[from] YarnError),
    /// The ResourceManager ordered a shutdown.
    #[error("the ResourceManager ordered the ApplicationMaster to shut down")]
    Shutdown,
    /// Bad option.
    #[error("{0}")]
    InvalidOption(String),
}

/// Result alias.
pub type Result<T, E = AmError> = std::result::Result<T, E>;

/// The container size and priority of one kind of request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContainerSpec {
    /// Memory in MiB.
    pub memory_mb: i64,
    /// Virtual cores.
    pub vcores: i32,
    /// Request priority (one priority per spec).
    pub priority: i32,
}

/// Tracks outstanding container requests per spec. YARN replaces its outstanding count with
/// each ask it receives, so an ask is (re)sent only when the local count changes, and
/// containers beyond what is wanted are released.
#[derive(Debug, Default)]
pub struct RequestTracker {
    /// Node label expression of every ask (`yarn.taskmanager.node-label`).
    pub node_label: Option<String>,
    outstanding: HashMap<ContainerSpec, i32>,
    last_sent: HashMap<ContainerSpec, i32>,
    releases: Vec<ContainerIdProto>,
}

impl RequestTracker {
    /// Wants `n` more containers of `spec`.
    pub fn request(&mut self, spec: ContainerSpec, n: i32) {
        *self.outstanding.entry(spec).or_insert(0) += n;
    }

    /// Outstanding containers over all specs.
    pub fn total_outstanding(&self) -> i32 {
        self.outstanding.values().sum()
    }

    /// Outstanding count for `spec`.
    pub fn outstanding(&self, spec: &ContainerSpec) -> i32 {
        self.outstanding.get(spec).copied().unwrap_or(0)
    }

    /// Asks to send in the next heartbeat (only those whose count changed).
    pub fn asks(&mut self) -> Vec<ResourceRequestProto> {
        let mut out = Vec::new();
        for (spec, n) in &self.outstanding {
            if self.last_sent.get(spec) != Some(n) {
                let mut ask = any_host_request(spec.priority, spec.memory_mb, spec.vcores, *n);
                if let Some(label) = &self.node_label {
                    ask.node_label_expression = Some(label.clone());
                }
                out.push(ask);
                self.last_sent.insert(*spec, *n);
            }
        }
        out
    }

    /// Forces every ask to be resent (after a RESYNC).
    pub fn resend_all(&mut self) {
        self.last_sent.clear();
    }

    /// Matches newly allocated containers against outstanding requests by priority. Returns
    /// the accepted ones; the surplus is queued for release.
    pub fn on_allocated(&mut self, containers: Vec<ContainerProto>) -> Vec<ContainerProto> {
        let mut accepted = Vec::new();
        for c in containers {
            let prio = c.priority.as_ref().map(|p| p.priority()).unwrap_or(0);
            let spec = self
                .outstanding
                .iter()
                .find(|(s, n)| s.priority == prio && **n > 0)
                .map(|(s, _)| *s);
            match spec {
                Some(s) => {
                    if let Some(n) = self.outstanding.get_mut(&s) {
                        *n -= 1;
                        // The RM decremented its own count when it allocated.
                        self.last_sent.insert(s, *n);
                    }
                    accepted.push(c);
                }
                None => {
                    if let Some(id) = c.id {
                        tracing::info!(container = %ids::format_container_id(&id), "releasing surplus container");
                        self.releases.push(id);
                    }
                }
            }
        }
        accepted
    }

    /// Queues a container for release.
    pub fn release(&mut self, id: ContainerIdProto) {
        self.releases.push(id);
    }

    /// Releases to send in the next heartbeat.
    pub fn take_releases(&mut self) -> Vec<ContainerIdProto> {
        std::mem::take(&mut self.releases)
    }
}

/// What one heartbeat brought.
#[derive(Debug, Default)]
pub struct Heartbeat {
    /// Newly allocated containers that match requests.
    pub allocated: Vec<ContainerProto>,
    /// Containers that completed.
    pub completed: Vec<ContainerStatusProto>,
}

/// AMRM + NM clients plus the request tracker.
#[derive(Debug)]
pub struct YarnAmDriver {
    amrm: AmRmClient,
    nm: NmClient,
    /// Outstanding requests.
    pub requests: RequestTracker,
    registration: (String, i32, String),
}

impl YarnAmDriver {
    /// Creates the driver (does not register yet).
    pub fn new(amrm: AmRmClient, options: ConnectionOptions) -> Self {
        YarnAmDriver {
            amrm,
            nm: NmClient::new(options),
            requests: RequestTracker::default(),
            registration: Default::default(),
        }
    }

    /// The AMRM client.
    pub fn amrm(&self) -> &AmRmClient {
        &self.amrm
    }

    /// Registers the AM.
    pub async fn register(
        &mut self,
        host: &str,
        rpc_port: i32,
        tracking_url: &str,
    ) -> Result<RegisterApplicationMasterResponseProto> {
        self.registration = (host.to_string(), rpc_port, tracking_url.to_string());
        Ok(self.amrm.register(host, rpc_port, tracking_url).await?)
    }

    /// One allocate heartbeat with the current asks and releases. Handles RESYNC by
    /// re-registering and resending all asks; SHUTDOWN becomes [`AmError::Shutdown`].
    pub async fn heartbeat(&mut self, progress: f32) -> Result<Heartbeat> {
        let asks = self.requests.asks();
        let releases = self.requests.take_releases();
        let resp = self.amrm.allocate(asks, releases, progress).await?;
        match resp
            .a_m_command
            .and_then(|c| AmCommandProto::try_from(c).ok())
        {
            Some(AmCommandProto::AmShutdown) => return Err(AmError::Shutdown),
            Some(AmCommandProto::AmResync) => {
                tracing::warn!(
                    "ResourceManager asked for RESYNC: re-registering and resending asks"
                );
                let (h, p, u) = self.registration.clone();
                self.amrm.register(&h, p, &u).await?;
                self.requests.resend_all();
                return Ok(Heartbeat::default());
            }
            None => {}
        }
        let allocated = self.requests.on_allocated(resp.allocated_containers);
        Ok(Heartbeat {
            allocated,
            completed: resp.completed_container_statuses,
        })
    }

    /// Starts a container with its node's NMToken.
    pub async fn launch(
        &self,
        container: &ContainerProto,
        ctx: ContainerLaunchContextProto,
    ) -> Result<()> {
        let node = container
            .node_id
            .as_ref()
            .map(node_address)
            .ok_or_else(|| {
                AmError::Yarn(YarnError::UnexpectedReply(
                    "allocated container without node".into(),
                ))
            })?;
        let token = self
            .amrm
            .nm_token(&node)
            .await
            .ok_or_else(|| AmError::Yarn(YarnError::NoNmToken(node.clone())))?;
        Ok(self.nm.start_container(container, ctx, &token).await?)
    }

    /// Unregisters with the final status and waits until the RM confirms.
    pub async fn finish(
        &self,
        status: FinalApplicationStatusProto,
        diagnostics: &str,
    ) -> Result<()> {
        Ok(self
            .amrm
            .finish(status, diagnostics, "", Duration::from_secs(60))
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hadoop_proto::yarn::PriorityProto;

    fn container(prio: i32, seq: i64) -> ContainerProto {
        ContainerProto {
            id: Some(ContainerIdProto {
                id: Some(seq),
                ..Default::default()
            }),
            priority: Some(PriorityProto {
                priority: Some(prio),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn asks_only_on_change_and_surplus_released() {
        let spec = ContainerSpec {
            memory_mb: 128,
            vcores: 1,
            priority: 1,
        };
        let mut t = RequestTracker::default();
        t.request(spec, 2);
        let a = t.asks();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].num_containers(), 2);
        assert!(t.asks().is_empty(), "unchanged count is not resent");
        let acc = t.on_allocated(vec![
            container(1, 1),
            container(1, 2),
            container(1, 3),
            container(5, 4),
        ]);
        assert_eq!(acc.len(), 2);
        assert_eq!(t.outstanding(&spec), 0);
        assert_eq!(t.take_releases().len(), 2);
        assert!(t.asks().is_empty(), "RM already decremented its count");
        t.request(spec, 1);
        assert_eq!(t.asks()[0].num_containers(), 1);
        t.resend_all();
        assert_eq!(t.asks().len(), 1);
    }
}
