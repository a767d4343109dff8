//! `ApplicationMasterProtocol`: register, allocate (with `response_id` and full outstanding
//! asks), AMRMToken roll-over, NMToken caching, finish until unregistered.

use std::collections::HashMap;
use std::time::Duration;

use hadoop_proto::yarn::*;
use hadoop_rpc::credentials::AMRM_TOKEN_KIND;
use hadoop_rpc::{AuthMethod, ConnectionOptions, HadoopConf, RpcClient, Token};
use tokio::sync::Mutex;

use crate::error::{Result, YarnError};

/// Protocol name of the ResourceManager's scheduler (AM) service.
pub const APPLICATION_MASTER_PROTOCOL: &str =
    "org.apache.hadoop.yarn.api.ApplicationMasterProtocolPB";

/// `host:port` of a NodeId, as used for NMToken services and NM connections.
pub fn node_address(node: &NodeIdProto) -> String {
    format!("{}:{}", node.host(), node.port())
}

/// Client for `ApplicationMasterProtocol`, always authenticated with the AMRMToken
/// (TOKEN / DIGEST-MD5, which YARN enforces even on insecure clusters).
#[derive(Debug)]
pub struct AmRmClient {
    rpc: RpcClient,
    response_id: Mutex<i32>,
    nm_tokens: Mutex<HashMap<String, Token>>,
    amrm_token: Mutex<Token>,
}

impl AmRmClient {
    /// Connects (lazily) to the scheduler addresses from `conf` with `amrm_token`.
    pub fn from_conf(
        conf: &HadoopConf,
        amrm_token: Token,
        options: ConnectionOptions,
    ) -> Result<Self> {
        Self::new(conf.rm_scheduler_addresses()?, amrm_token, options)
    }

    /// Uses explicit scheduler addresses.
    pub fn new(
        addresses: Vec<String>,
        amrm_token: Token,
        options: ConnectionOptions,
    ) -> Result<Self> {
        if amrm_token.kind != AMRM_TOKEN_KIND {
            return Err(YarnError::InvalidArgument(format!(
                "token of kind '{}' given as AMRMToken: need a {AMRM_TOKEN_KIND} token (from HADOOP_TOKEN_FILE_LOCATION)",
                amrm_token.kind
            )));
        }
        let rpc = RpcClient::new(
            addresses,
            APPLICATION_MASTER_PROTOCOL,
            AuthMethod::Token(amrm_token.clone()),
            options,
        )?;
        Ok(AmRmClient {
            rpc,
            response_id: Mutex::new(0),
            nm_tokens: Mutex::new(HashMap::new()),
            amrm_token: Mutex::new(amrm_token),
        })
    }

    /// `registerApplicationMaster`. Caches NMTokens from previous attempts.
    pub async fn register(
        &self,
        host: &str,
        rpc_port: i32,
        tracking_url: &str,
    ) -> Result<RegisterApplicationMasterResponseProto> {
        let r: RegisterApplicationMasterResponseProto = self
            .rpc
            .call(
                "registerApplicationMaster",
                &RegisterApplicationMasterRequestProto {
                    host: Some(host.to_string()),
                    rpc_port: Some(rpc_port),
                    tracking_url: Some(tracking_url.to_string()),
                },
            )
            .await?;
        self.cache_nm_tokens(&r.nm_tokens_from_previous_attempts)
            .await;
        *self.response_id.lock().await = 0;
        Ok(r)
    }

    async fn cache_nm_tokens(&self, tokens: &[NmTokenProto]) {
        let mut cache = self.nm_tokens.lock().await;
        for t in tokens {
            if let (Some(node), Some(tok)) = (&t.node_id, &t.token) {
                cache.insert(node_address(node), tok.clone().into());
            }
        }
    }

    /// One `allocate` heartbeat. `asks` must state the TOTAL outstanding containers per
    /// priority/resource name (not increments). Keeps `response_id`, swaps in a rolled-over
    /// AMRMToken and caches new NMTokens. A RESYNC or SHUTDOWN command is returned in the
    /// response (`a_m_command`) for the caller to act on.
    pub async fn allocate(
        &self,
        asks: Vec<ResourceRequestProto>,
        release: Vec<ContainerIdProto>,
        progress: f32,
    ) -> Result<AllocateResponseProto> {
        let mut rid = self.response_id.lock().await;
        let req = AllocateRequestProto {
            ask: asks,
            release,
            blacklist_request: None,
            response_id: Some(*rid),
            progress: Some(progress),
        };
        let r: AllocateResponseProto = self.rpc.call("allocate", &req).await?;
        if let Some(id) = r.response_id {
            *rid = id;
        }
        drop(rid);
        self.cache_nm_tokens(&r.nm_tokens).await;
        if let Some(t) = &r.am_rm_token {
            let token: Token = t.clone().into();
            tracing::info!("AMRMToken rolled over by the ResourceManager");
            *self.amrm_token.lock().await = token.clone();
            self.rpc.set_auth(AuthMethod::Token(token)).await;
            // Hadoop's AMRMClient reconnects with the new token.
            self.rpc.disconnect().await;
        }
        Ok(r)
    }

    /// The NMToken for a node (`host:port`), if the RM has sent one.
    pub async fn nm_token(&self, node: &str) -> Option<Token> {
        self.nm_tokens.lock().await.get(node).cloned()
    }

    /// The current AMRMToken.
    pub async fn amrm_token(&self) -> Token {
        self.amrm_token.lock().await.clone()
    }

    /// `finishApplicationMaster`, repeated (every `poll`) until the RM reports the AM
    /// unregistered, at most `timeout`.
    pub async fn finish(
        &self,
        status: FinalApplicationStatusProto,
        diagnostics: &str,
        tracking_url: &str,
        timeout: Duration,
    ) -> Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let r: FinishApplicationMasterResponseProto = self
                .rpc
                .call(
                    "finishApplicationMaster",
                    &FinishApplicationMasterRequestProto {
                        diagnostics: Some(diagnostics.to_string()),
                        tracking_url: Some(tracking_url.to_string()),
                        final_application_status: Some(status as i32),
                    },
                )
                .await?;
            if r.is_unregistered() {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(YarnError::UnexpectedReply(format!(
                    "the ResourceManager did not confirm unregistration within {timeout:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A `ResourceRequestProto` for `count` containers anywhere (`*`).
pub fn any_host_request(
    priority: i32,
    memory_mb: i64,
    vcores: i32,
    count: i32,
) -> ResourceRequestProto {
    ResourceRequestProto {
        priority: Some(PriorityProto {
            priority: Some(priority),
        }),
        resource_name: Some("*".to_string()),
        capability: Some(ResourceProto {
            memory: Some(memory_mb),
            virtual_cores: Some(vcores),
        }),
        num_containers: Some(count),
        relax_locality: Some(true),
        ..Default::default()
    }
}
