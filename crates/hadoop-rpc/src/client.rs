//! [`RpcClient`]: a lazily connecting, reconnecting handle on one protocol across one or more
//! server addresses (HA failover, e.g. over `yarn.resourcemanager.ha.rm-ids`).

use std::time::Duration;

use prost::Message;
use tokio::sync::Mutex;

use crate::connection::{AuthMethod, ConnectionOptions, RpcConnection};
use crate::error::{Result, RpcError};

/// How often and how patiently [`RpcClient`] retries.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Passes over the whole address list before giving up.
    pub rounds: usize,
    /// Pause between passes.
    pub backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            rounds: 2,
            backoff: Duration::from_millis(500),
        }
    }
}

struct State {
    current: usize,
    conn: Option<RpcConnection>,
    auth: AuthMethod,
}

/// A failover-capable client for one Hadoop protocol.
pub struct RpcClient {
    addresses: Vec<String>,
    protocol: String,
    options: ConnectionOptions,
    retry: RetryPolicy,
    state: Mutex<State>,
}

impl std::fmt::Debug for RpcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcClient")
            .field("addresses", &self.addresses)
            .field("protocol", &self.protocol)
            .finish()
    }
}

impl RpcClient {
    /// A client for `protocol` over `addresses` (tried in order). Does not connect yet.
    pub fn new(
        addresses: Vec<String>,
        protocol: impl Into<String>,
        auth: AuthMethod,
        options: ConnectionOptions,
    ) -> Result<Self> {
        if addresses.is_empty() {
            return Err(RpcError::Config("no server address given".into()));
        }
        Ok(RpcClient {
            addresses,
            protocol: protocol.into(),
            options,
            retry: RetryPolicy::default(),
            state: Mutex::new(State {
                current: 0,
                conn: None,
                auth,
            }),
        })
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The addresses in failover order.
    pub fn addresses(&self) -> &[String] {
        &self.addresses
    }

    /// The address currently used (or to be tried next).
    pub async fn current_address(&self) -> String {
        let s = self.state.lock().await;
        self.addresses[s.current].clone()
    }

    /// Replaces the credentials used for new connections (e.g. a rolled-over AMRMToken). The
    /// open connection, already authenticated, is kept.
    pub async fn set_auth(&self, auth: AuthMethod) {
        self.state.lock().await.auth = auth;
    }

    /// Drops the current connection; the next call reconnects.
    pub async fn disconnect(&self) {
        self.state.lock().await.conn = None;
    }

    async fn connection(&self) -> Result<RpcConnection> {
        let mut s = self.state.lock().await;
        if let Some(c) = &s.conn
            && !c.is_closed()
        {
            return Ok(c.clone());
        }
        let addr = self.addresses[s.current].clone();
        let c =
            RpcConnection::connect(&addr, &self.protocol, &s.auth, self.options.clone()).await?;
        s.conn = Some(c.clone());
        Ok(c)
    }

    async fn fail_over(&self, failed: &str) {
        let mut s = self.state.lock().await;
        s.conn = None;
        if self.addresses[s.current] == failed {
            s.current = (s.current + 1) % self.addresses.len();
        }
    }

    /// Calls `method`, reconnecting / failing over on StandbyException and connection errors.
    pub async fn call<Req: Message, Resp: Message + Default>(
        &self,
        method: &str,
        req: &Req,
    ) -> Result<Resp> {
        let attempts = self.addresses.len() * self.retry.rounds.max(1);
        let mut last = None;
        for attempt in 0..attempts {
            if attempt > 0 && attempt % self.addresses.len() == 0 {
                tokio::time::sleep(self.retry.backoff).await;
            }
            let result = match self.connection().await {
                Ok(c) => c.call(method, req).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(r) => return Ok(r),
                Err(e) if e.is_standby() || e.is_connection_error() => {
                    let addr = self.current_address().await;
                    tracing::info!(%addr, method, error = %e, "Hadoop IPC call failed, trying the next address");
                    self.fail_over(&addr).await;
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        let last = last.unwrap_or_else(|| RpcError::Config("no attempt made".into()));
        if self.addresses.len() == 1 && attempts == 1 {
            return Err(last);
        }
        Err(RpcError::FailoverExhausted {
            addresses: self.addresses.clone(),
            last: Box::new(last),
        })
    }
}
