//! Registration at the JobManager (with retries and backoff) and the
//! heartbeat loop; detects a lost JobManager.

use crate::config::TaskManagerConfig;
use crate::error::TaskManagerExit;
use crate::state::{JmConnection, TmShared};
use flink_ha::LeaderInformation;
use flink_proto::pb;
use flink_proto::pb::job_manager_gateway_client::JobManagerGatewayClient;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tonic::transport::Endpoint;

/// Hardware facts reported at registration.
fn hardware() -> pb::HardwareDescription {
    let cpu_cores = std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(1);
    let physical_memory_bytes = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0);
    pb::HardwareDescription {
        cpu_cores,
        physical_memory_bytes,
    }
}

struct Registered {
    conn: JmConnection,
    interval: Duration,
    timeout: Duration,
}

async fn register_once(
    tm: &TmShared,
    config: &TaskManagerConfig,
    address: &str,
) -> Result<Registered, String> {
    let endpoint = Endpoint::from_shared(format!("http://{address}"))
        .map_err(|e| format!("invalid JobManager address '{address}': {e}"))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10));
    let channel = endpoint.connect().await.map_err(|e| e.to_string())?;
    let mut client = JobManagerGatewayClient::new(channel);
    // Tasks the JobManager submits from now on belong to this registration
    // (it may deploy before the response below arrives).
    let generation = tm.next_generation.fetch_add(1, Ordering::SeqCst) + 1;
    tm.current_generation.store(generation, Ordering::SeqCst);
    let resp = client
        .register_task_executor(pb::RegisterTaskExecutorRequest {
            resource_id: tm.resource_id.0.clone(),
            rpc_address: tm.location.rpc_address.clone(),
            data_address: tm.location.data_address.clone(),
            num_slots: config.num_task_slots,
            memory: Some(pb::MemoryConfiguration {
                total_process_memory_bytes: config.process_memory_mb * 1024 * 1024,
                ..Default::default()
            }),
            hardware: Some(hardware()),
        })
        .await
        .map_err(|s| flink_proto::status::from_status("RegisterTaskExecutor", address, &s).message)?
        .into_inner();
    let interval = match resp.heartbeat_interval_ms {
        0 => config.heartbeat_interval,
        ms => Duration::from_millis(ms),
    };
    let timeout = match resp.heartbeat_timeout_ms {
        0 => config.heartbeat_timeout,
        ms => Duration::from_millis(ms),
    };
    Ok(Registered {
        conn: JmConnection {
            client,
            registration_id: resp.registration_id,
            address: address.to_string(),
            generation,
        },
        interval,
        timeout,
    })
}

/// Registers, heartbeats, and registers again when the JobManager is lost
/// (or exits, per configuration). Returns when the TaskManager must exit.
/// Where the JobManager is: fixed from the configuration, or followed
/// through HA leader retrieval.
pub(crate) enum JobManagerAddress {
    Fixed(String),
    Leader(watch::Receiver<Option<LeaderInformation>>),
}

impl JobManagerAddress {
    fn current(&self) -> Option<String> {
        match self {
            Self::Fixed(a) => Some(a.clone()),
            Self::Leader(rx) => rx.borrow().as_ref().map(|l| l.address.clone()),
        }
    }

    /// Resolves when the leader address differs from `address`.
    async fn changed_from(&mut self, address: &str) {
        match self {
            Self::Fixed(_) => std::future::pending().await,
            Self::Leader(rx) => {
                let failed = rx
                    .wait_for(|l| l.as_ref().map(|l| l.address.as_str()) != Some(address))
                    .await
                    .is_err();
                if failed {
                    std::future::pending::<()>().await;
                }
            }
        }
    }
}

pub(crate) async fn run(tm: Arc<TmShared>, config: TaskManagerConfig, mut jm: JobManagerAddress) {
    loop {
        // ---- registration with exponential backoff ----
        let started = Instant::now();
        let mut backoff = Duration::from_millis(100);
        let mut address = String::from("<no leader known yet>");
        let registered = loop {
            let attempt = match jm.current() {
                Some(a) => {
                    address = a;
                    register_once(&tm, &config, &address).await
                }
                None => Err(
                    "no JobManager leader is known yet (high-availability leader retrieval)".into(),
                ),
            };
            match attempt {
                Ok(r) => break r,
                Err(e) => {
                    if started.elapsed() >= config.registration_timeout {
                        let msg = format!(
                            "could not register at the JobManager {address} within {} ms \
                             (taskmanager.registration.timeout): {e}",
                            config.registration_timeout.as_millis()
                        );
                        tracing::error!("{msg}");
                        tm.exit(TaskManagerExit::RegistrationTimeout(msg));
                        return;
                    }
                    tracing::warn!(
                        jobmanager = %address,
                        error = %e,
                        retry_ms = backoff.as_millis() as u64,
                        "cannot register at the JobManager {address}; retrying"
                    );
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        };
        tracing::info!(
            jobmanager = %address,
            resource_id = %tm.resource_id,
            "registered at the JobManager"
        );
        let Registered {
            conn,
            interval,
            timeout,
        } = registered;
        *tm.jm.lock() = Some(conn.clone());

        // ---- heartbeats ----
        let mut last_ok = Instant::now();
        let mut client = conn.client.clone();
        let lost_cause = loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = tm.reconnect.notified() => break "the JobManager disconnected this TaskManager".to_string(),
                _ = jm.changed_from(&address) => break format!("the JobManager leader changed from {address}"),
            }
            let req = pb::HeartbeatRequest {
                resource_id: tm.resource_id.0.clone(),
                registration_id: conn.registration_id.clone(),
                slots: tm.slot_report(),
                running_tasks: tm.running_tasks(),
            };
            let call = tokio::time::timeout(timeout, client.heartbeat(req)).await;
            match call {
                Ok(Ok(resp)) => {
                    if resp.into_inner().result == pb::HeartbeatResult::Unknown as i32 {
                        break "the JobManager no longer knows this TaskManager".to_string();
                    }
                    last_ok = Instant::now();
                }
                Ok(Err(e)) => tracing::debug!(error = %e, "heartbeat failed"),
                Err(_) => tracing::debug!("heartbeat timed out"),
            }
            if last_ok.elapsed() > timeout {
                break format!(
                    "no heartbeat response from the JobManager {address} for {} ms",
                    timeout.as_millis()
                );
            }
        };
        tracing::warn!(cause = %lost_cause, "lost the JobManager; cancelling all tasks and freeing slots");
        *tm.jm.lock() = None;
        tm.cancel_all_and_free_slots();
        // Let the tasks stop before offering the slots again (bounded).
        let deadline = Instant::now() + Duration::from_secs(5);
        while !tm.tasks.lock().is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if config.exit_on_jm_loss {
            tm.exit(TaskManagerExit::JobManagerLost(lost_cause));
            return;
        }
    }
}
