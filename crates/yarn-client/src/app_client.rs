//! `ApplicationClientProtocol`: the submitting client's view of the ResourceManager.

use hadoop_proto::yarn::*;
use hadoop_rpc::{AuthMethod, ConnectionOptions, HadoopConf, RpcClient};

use crate::error::{Result, YarnError};

/// Protocol name of the ResourceManager's client service.
pub const APPLICATION_CLIENT_PROTOCOL: &str =
    "org.apache.hadoop.yarn.api.ApplicationClientProtocolPB";

/// Client for the ResourceManager's `ApplicationClientProtocol`, failing over across the
/// configured RMs (`yarn.resourcemanager.ha.rm-ids`) on StandbyException and connect errors.
#[derive(Debug)]
pub struct ApplicationClient {
    rpc: RpcClient,
}

impl ApplicationClient {
    /// Uses the RM addresses from `conf` (`yarn.resourcemanager.address[.<rm-id>]`).
    pub fn from_conf(
        conf: &HadoopConf,
        auth: AuthMethod,
        options: ConnectionOptions,
    ) -> Result<Self> {
        Self::new(conf.rm_addresses()?, auth, options)
    }

    /// Uses explicit RM addresses (failover order).
    pub fn new(
        addresses: Vec<String>,
        auth: AuthMethod,
        options: ConnectionOptions,
    ) -> Result<Self> {
        Ok(ApplicationClient {
            rpc: RpcClient::new(addresses, APPLICATION_CLIENT_PROTOCOL, auth, options)?,
        })
    }

    /// The underlying IPC client.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// `getNewApplication`: a fresh application id and the largest container the RM grants.
    pub async fn new_application(&self) -> Result<GetNewApplicationResponseProto> {
        let r: GetNewApplicationResponseProto = self
            .rpc
            .call("getNewApplication", &GetNewApplicationRequestProto {})
            .await?;
        if r.application_id.is_none() {
            return Err(YarnError::UnexpectedReply(
                "getNewApplication returned no application id".into(),
            ));
        }
        Ok(r)
    }

    /// `submitApplication`.
    pub async fn submit_application(
        &self,
        context: ApplicationSubmissionContextProto,
    ) -> Result<()> {
        let _: SubmitApplicationResponseProto = self
            .rpc
            .call(
                "submitApplication",
                &SubmitApplicationRequestProto {
                    application_submission_context: Some(context),
                },
            )
            .await?;
        Ok(())
    }

    /// `getApplicationReport`.
    pub async fn application_report(
        &self,
        id: &ApplicationIdProto,
    ) -> Result<ApplicationReportProto> {
        let r: GetApplicationReportResponseProto = self
            .rpc
            .call(
                "getApplicationReport",
                &GetApplicationReportRequestProto {
                    application_id: Some(*id),
                },
            )
            .await?;
        r.application_report.ok_or_else(|| {
            YarnError::UnexpectedReply("getApplicationReport returned no report".into())
        })
    }

    /// `forceKillApplication`; returns whether the kill has completed.
    pub async fn kill_application(
        &self,
        id: &ApplicationIdProto,
        diagnostics: Option<&str>,
    ) -> Result<bool> {
        let r: KillApplicationResponseProto = self
            .rpc
            .call(
                "forceKillApplication",
                &KillApplicationRequestProto {
                    application_id: Some(*id),
                    diagnostics: diagnostics.map(String::from),
                },
            )
            .await?;
        Ok(r.is_kill_completed())
    }

    /// `getClusterMetrics`.
    pub async fn cluster_metrics(&self) -> Result<YarnClusterMetricsProto> {
        let r: GetClusterMetricsResponseProto = self
            .rpc
            .call("getClusterMetrics", &GetClusterMetricsRequestProto {})
            .await?;
        r.cluster_metrics.ok_or_else(|| {
            YarnError::UnexpectedReply("getClusterMetrics returned no metrics".into())
        })
    }

    /// `getClusterNodes` (all nodes in the given states; empty = all states).
    pub async fn cluster_nodes(&self, states: &[NodeStateProto]) -> Result<Vec<NodeReportProto>> {
        let r: GetClusterNodesResponseProto = self
            .rpc
            .call(
                "getClusterNodes",
                &GetClusterNodesRequestProto {
                    node_states: states.iter().map(|s| *s as i32).collect(),
                },
            )
            .await?;
        Ok(r.node_reports)
    }

    /// `getQueueInfo`.
    pub async fn queue_info(&self, queue: &str) -> Result<QueueInfoProto> {
        let r: GetQueueInfoResponseProto = self
            .rpc
            .call(
                "getQueueInfo",
                &GetQueueInfoRequestProto {
                    queue_name: Some(queue.to_string()),
                    include_applications: Some(false),
                    include_child_queues: Some(false),
                    recursive: Some(false),
                },
            )
            .await?;
        r.queue_info
            .ok_or_else(|| YarnError::UnexpectedReply("getQueueInfo returned no queue".into()))
    }
}
