//! `ContainerManagementProtocol`: start, stop and query containers on NodeManagers, one
//! connection per NodeManager authenticated with that node's NMToken.

use std::collections::HashMap;

use hadoop_proto::yarn::*;
use hadoop_rpc::{AuthMethod, ConnectionOptions, RpcConnection, Token};
use tokio::sync::Mutex;

use crate::amrm::node_address;
use crate::error::{Result, YarnError};
use crate::ids::format_container_id;

/// Protocol name of the NodeManager's container management service.
pub const CONTAINER_MANAGEMENT_PROTOCOL: &str =
    "org.apache.hadoop.yarn.api.ContainerManagementProtocolPB";

/// Client for NodeManagers.
#[derive(Debug, Default)]
pub struct NmClient {
    options: ConnectionOptions,
    connections: Mutex<HashMap<String, RpcConnection>>,
}

impl NmClient {
    /// A client with the given connection options.
    pub fn new(options: ConnectionOptions) -> Self {
        NmClient {
            options,
            connections: Mutex::new(HashMap::new()),
        }
    }

    async fn connection(&self, node: &str, nm_token: &Token) -> Result<RpcConnection> {
        let mut conns = self.connections.lock().await;
        if let Some(c) = conns.get(node)
            && !c.is_closed()
        {
            return Ok(c.clone());
        }
        let c = RpcConnection::connect(
            node,
            CONTAINER_MANAGEMENT_PROTOCOL,
            &AuthMethod::Token(nm_token.clone()),
            self.options.clone(),
        )
        .await?;
        conns.insert(node.to_string(), c.clone());
        Ok(c)
    }

    async fn call<Req: prost::Message, Resp: prost::Message + Default>(
        &self,
        node: &str,
        nm_token: &Token,
        method: &str,
        req: &Req,
    ) -> Result<Resp> {
        let c = self.connection(node, nm_token).await?;
        match c.call(method, req).await {
            Err(e) if e.is_connection_error() => {
                // The NM closed an idle connection: reconnect once.
                self.connections.lock().await.remove(node);
                let c = self.connection(node, nm_token).await?;
                Ok(c.call(method, req).await?)
            }
            other => Ok(other?),
        }
    }

    /// Starts `container` (as allocated by the RM) with `launch_context`, authenticating with
    /// the node's `nm_token` and passing the container token.
    pub async fn start_container(
        &self,
        container: &ContainerProto,
        launch_context: ContainerLaunchContextProto,
        nm_token: &Token,
    ) -> Result<()> {
        let node = node_address(
            container
                .node_id
                .as_ref()
                .ok_or_else(|| YarnError::UnexpectedReply("container without node id".into()))?,
        );
        let cid = container
            .id
            .ok_or_else(|| YarnError::UnexpectedReply("container without id".into()))?;
        let req = StartContainersRequestProto {
            start_container_request: vec![StartContainerRequestProto {
                container_launch_context: Some(launch_context),
                container_token: container.container_token.clone(),
            }],
        };
        let r: StartContainersResponseProto =
            self.call(&node, nm_token, "startContainers", &req).await?;
        if let Some(f) = r.failed_requests.first() {
            let ex = f.exception.clone().unwrap_or_default();
            return Err(YarnError::ContainerRequestFailed {
                node,
                container: format_container_id(&cid),
                class: ex.class_name().to_string(),
                message: ex.message().to_string(),
            });
        }
        if !r.succeeded_requests.contains(&cid) {
            return Err(YarnError::UnexpectedReply(format!(
                "startContainers did not report {} as started",
                format_container_id(&cid)
            )));
        }
        Ok(())
    }

    /// Stops containers on one node (`host:port`).
    pub async fn stop_containers(
        &self,
        node: &str,
        ids: &[ContainerIdProto],
        nm_token: &Token,
    ) -> Result<StopContainersResponseProto> {
        self.call(
            node,
            nm_token,
            "stopContainers",
            &StopContainersRequestProto {
                container_id: ids.to_vec(),
            },
        )
        .await
    }

    /// Container statuses on one node.
    pub async fn container_statuses(
        &self,
        node: &str,
        ids: &[ContainerIdProto],
        nm_token: &Token,
    ) -> Result<GetContainerStatusesResponseProto> {
        self.call(
            node,
            nm_token,
            "getContainerStatuses",
            &GetContainerStatusesRequestProto {
                container_id: ids.to_vec(),
            },
        )
        .await
    }
}
