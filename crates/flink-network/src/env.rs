//! [`NetworkEnvironment`]: the per-TaskManager network stack (partition
//! registry, data server, client connections, statistics).

use crate::client::{ChannelRef, ClientConnection};
use crate::gate::{GateShared, InputGate};
use crate::partition::{ResultPartition, ResultPartitionWriter};
use crate::{InputChannelSpec, NetworkConfig, NetworkError};
use flink_types::{ExecutionAttemptId, JobId, ResultPartitionId};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Counters updated on the data path (a few relaxed atomics per buffer).
#[derive(Default)]
pub(crate) struct Counters {
    queued: AtomicI64,
    received_not_taken: AtomicI64,
    buffers_written: AtomicU64,
    bytes_written: AtomicU64,
    buffers_sent: AtomicU64,
    bytes_sent: AtomicU64,
    buffers_received: AtomicU64,
    bytes_received: AtomicU64,
    buffers_taken: AtomicU64,
    connections: AtomicUsize,
}

impl Counters {
    pub(crate) fn on_written(&self, len: usize) {
        self.queued.fetch_add(1, Ordering::Relaxed);
        self.buffers_written.fetch_add(1, Ordering::Relaxed);
        self.bytes_written.fetch_add(len as u64, Ordering::Relaxed);
    }
    pub(crate) fn on_dequeued(&self) {
        self.queued.fetch_sub(1, Ordering::Relaxed);
    }
    pub(crate) fn on_dropped(&self, n: usize) {
        self.queued.fetch_sub(n as i64, Ordering::Relaxed);
    }
    pub(crate) fn on_sent(&self, len: usize) {
        self.buffers_sent.fetch_add(1, Ordering::Relaxed);
        self.bytes_sent.fetch_add(len as u64, Ordering::Relaxed);
    }
    pub(crate) fn on_bytes_received(&self, len: usize) {
        self.bytes_received.fetch_add(len as u64, Ordering::Relaxed);
    }
    pub(crate) fn on_received(&self) {
        self.received_not_taken.fetch_add(1, Ordering::Relaxed);
        self.buffers_received.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn on_taken(&self) {
        self.buffers_taken.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn on_taken_remote(&self) {
        self.received_not_taken.fetch_sub(1, Ordering::Relaxed);
        self.buffers_taken.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn connection_opened(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn connection_closed(&self) {
        self.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A snapshot of the environment's counters (for metrics and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkStats {
    /// Result partitions currently registered.
    pub registered_partitions: usize,
    /// Buffers written and not yet taken off their subpartition queue (producer side).
    pub queued_buffers: u64,
    /// Buffers received over TCP and not yet taken by a task (consumer side).
    pub received_buffers_not_taken: u64,
    /// Buffers written by producers of this environment since start.
    pub buffers_written: u64,
    /// Payload bytes written by producers since start.
    pub bytes_written: u64,
    /// Buffers sent to remote consumers since start.
    pub buffers_sent: u64,
    /// Payload bytes sent to remote consumers since start.
    pub bytes_sent: u64,
    /// Buffers received from remote producers since start.
    pub buffers_received: u64,
    /// Payload bytes received from remote producers since start.
    pub bytes_received: u64,
    /// Buffers taken out of input gates by tasks since start.
    pub buffers_taken: u64,
    /// Open TCP data connections (both directions).
    pub open_connections: usize,
}

struct PendingLocal {
    gate: Weak<GateShared>,
    channel: usize,
}

#[derive(Default)]
struct Registry {
    partitions: HashMap<ResultPartitionId, Arc<ResultPartition>>,
    pending_local: HashMap<ResultPartitionId, Vec<PendingLocal>>,
    gates: Vec<Weak<GateShared>>,
    shut_down: bool,
}

/// State shared by the environment handle, its tasks, partitions and gates.
pub(crate) struct Core {
    pub(crate) config: NetworkConfig,
    pub(crate) handle: tokio::runtime::Handle,
    pub(crate) shutdown: CancellationToken,
    pub(crate) stats: Arc<Counters>,
    data_address: String,
    registry: Mutex<Registry>,
    connections: Mutex<HashMap<String, Arc<ClientConnection>>>,
    next_receiver: AtomicU64,
}

impl Core {
    pub(crate) fn lookup_partition(&self, id: &ResultPartitionId) -> Option<Arc<ResultPartition>> {
        self.registry.lock().partitions.get(id).cloned()
    }

    pub(crate) fn unregister_partition(&self, p: &ResultPartition) {
        let mut reg = self.registry.lock();
        if reg
            .partitions
            .get(&p.id)
            .is_some_and(|q| std::ptr::eq(Arc::as_ptr(q), p))
        {
            reg.partitions.remove(&p.id);
        }
    }

    pub(crate) fn forget_gate(&self, gate: &Arc<GateShared>) {
        let mut reg = self.registry.lock();
        let me = Arc::downgrade(gate);
        reg.gates.retain(|g| g.strong_count() > 0 && !g.ptr_eq(&me));
        for list in reg.pending_local.values_mut() {
            list.retain(|p| !p.gate.ptr_eq(&me));
        }
        reg.pending_local.retain(|_, l| !l.is_empty());
    }

    pub(crate) fn forget_connection(&self, conn: &Arc<ClientConnection>) {
        let mut conns = self.connections.lock();
        if conns
            .get(&conn.address)
            .is_some_and(|c| Arc::ptr_eq(c, conn))
        {
            conns.remove(&conn.address);
        }
    }

    fn connection(self: &Arc<Self>, address: &str) -> Arc<ClientConnection> {
        let mut conns = self.connections.lock();
        if let Some(c) = conns.get(address)
            && !c.is_closed()
        {
            return c.clone();
        }
        let c = ClientConnection::open(self, address.to_string());
        conns.insert(address.to_string(), c.clone());
        c
    }

    fn shutdown(&self) {
        self.shutdown.cancel();
        let (partitions, gates) = {
            let mut reg = self.registry.lock();
            reg.shut_down = true;
            reg.pending_local.clear();
            let parts: Vec<_> = reg.partitions.drain().map(|(_, p)| p).collect();
            (parts, std::mem::take(&mut reg.gates))
        };
        for p in partitions {
            p.release("the network environment was shut down");
        }
        for g in gates.iter().filter_map(Weak::upgrade) {
            g.fail(NetworkError::Shutdown);
        }
        let conns: Vec<_> = self.connections.lock().drain().map(|(_, c)| c).collect();
        for c in conns {
            c.fail_all(NetworkError::Shutdown);
        }
    }
}

/// One per TaskManager process: registers produced partitions, serves them
/// to remote consumers over TCP, and creates input gates. `Send + Sync`.
///
/// Dropping the last handle shuts the environment down.
pub struct NetworkEnvironment {
    core: Arc<Core>,
}

impl NetworkEnvironment {
    /// Binds the data server on `bind_host:port` (port 0 = ephemeral) and
    /// starts serving on the current tokio runtime. Others connect to
    /// `advertised_host:<bound port>`.
    pub async fn start(
        bind_host: &str,
        port: u16,
        advertised_host: &str,
        config: NetworkConfig,
    ) -> Result<Arc<Self>, NetworkError> {
        config.validate()?;
        let listener = TcpListener::bind((bind_host, port)).await.map_err(|e| {
            NetworkError::io(format!("binding the data server to {bind_host}:{port}"), e)
        })?;
        let local = listener
            .local_addr()
            .map_err(|e| NetworkError::io("reading the data server address", e))?;
        let data_address = format!("{advertised_host}:{}", local.port());
        tracing::info!(bind = %local, advertised = %data_address, "network environment started");
        let core = Arc::new(Core {
            config,
            handle: tokio::runtime::Handle::current(),
            shutdown: CancellationToken::new(),
            stats: Arc::new(Counters::default()),
            data_address,
            registry: Mutex::new(Registry::default()),
            connections: Mutex::new(HashMap::new()),
            next_receiver: AtomicU64::new(1),
        });
        tokio::spawn(crate::server::accept_loop(core.clone(), listener));
        Ok(Arc::new(NetworkEnvironment { core }))
    }

    /// The configuration in use.
    pub fn config(&self) -> &NetworkConfig {
        &self.core.config
    }

    /// `host:port` that other TaskManagers connect to (and that local
    /// consumers pass as `producer_data_address`).
    pub fn data_address(&self) -> String {
        self.core.data_address.clone()
    }

    /// Producer side: registers the partition so that consumers (local or
    /// remote) can request its subpartitions.
    pub fn create_result_partition(
        self: &Arc<Self>,
        id: ResultPartitionId,
        num_subpartitions: u32,
    ) -> Result<ResultPartitionWriter, NetworkError> {
        if num_subpartitions == 0 {
            return Err(NetworkError::InvalidArgument(format!(
                "result partition {id} needs at least one subpartition"
            )));
        }
        let partition = Arc::new(ResultPartition::new(
            id,
            num_subpartitions,
            self.core.config.max_queued_buffers_per_subpartition,
            Arc::downgrade(&self.core),
            self.core.stats.clone(),
        ));
        let pending = {
            let mut reg = self.core.registry.lock();
            if reg.shut_down {
                return Err(NetworkError::Shutdown);
            }
            if reg.partitions.contains_key(&id) {
                return Err(NetworkError::InvalidArgument(format!(
                    "result partition {id} is already registered"
                )));
            }
            reg.partitions.insert(id, partition.clone());
            reg.pending_local.remove(&id).unwrap_or_default()
        };
        for p in pending {
            if let Some(gate) = p.gate.upgrade()
                && let Err(e) = gate.attach_local(p.channel, partition.clone())
            {
                gate.fail(e);
            }
        }
        tracing::debug!(partition = %id, num_subpartitions, "result partition registered");
        Ok(ResultPartitionWriter::new(partition))
    }

    /// Consumer side: one gate over `channels`. Channels whose
    /// `producer_data_address` equals [`Self::data_address`] read the
    /// producer's queue directly; the others go over TCP with credits.
    /// Never blocks: connecting and requesting happen in the background and
    /// failures surface from [`InputGate::next_timeout`].
    pub fn create_input_gate(
        self: &Arc<Self>,
        channels: Vec<InputChannelSpec>,
    ) -> Result<InputGate, NetworkError> {
        if channels.is_empty() {
            return Err(NetworkError::InvalidArgument(
                "an input gate needs at least one channel".into(),
            ));
        }
        if self.core.shutdown.is_cancelled() {
            return Err(NetworkError::Shutdown);
        }
        let cfg = &self.core.config;
        let credit = cfg.buffers_per_channel as u32;
        let job = channels.first().map(|c| c.partition.producer.job_id);
        let n = channels.len();
        let mut slots = Vec::with_capacity(n);
        let mut remote = Vec::new();
        for (i, spec) in channels.into_iter().enumerate() {
            if spec.producer_data_address == self.core.data_address {
                slots.push(GateShared::local_channel(spec));
            } else {
                let receiver = self.core.next_receiver.fetch_add(1, Ordering::Relaxed);
                let conn = self.core.connection(&spec.producer_data_address);
                remote.push((i, receiver, conn.clone(), spec.partition, spec.subpartition));
                slots.push(GateShared::remote_channel(spec, receiver, conn, credit));
            }
        }
        let shared = Arc::new(GateShared::new(
            slots,
            cfg.floating_buffers_per_gate as u32,
            job,
            self.core.stats.clone(),
        ));
        let gate = InputGate::new(shared.clone(), self.core.clone(), n);

        // Local channels: attach now, or wait for the producer to register.
        let mut attach = Vec::new();
        let mut any_pending = false;
        {
            let mut reg = self.core.registry.lock();
            if reg.shut_down {
                return Err(NetworkError::Shutdown);
            }
            reg.gates.retain(|g| g.strong_count() > 0);
            reg.gates.push(Arc::downgrade(&shared));
            for i in 0..n {
                let Some(spec) = shared.spec(i) else { continue };
                if spec.producer_data_address != self.core.data_address {
                    continue;
                }
                match reg.partitions.get(&spec.partition) {
                    Some(p) => attach.push((i, p.clone())),
                    None => {
                        any_pending = true;
                        reg.pending_local
                            .entry(spec.partition)
                            .or_default()
                            .push(PendingLocal {
                                gate: Arc::downgrade(&shared),
                                channel: i,
                            });
                    }
                }
            }
        }
        for (i, p) in attach {
            shared.attach_local(i, p)?;
        }
        if any_pending {
            let core = Arc::downgrade(&self.core);
            let weak_gate = Arc::downgrade(&shared);
            let timeout = cfg.partition_request_timeout;
            self.core.handle.spawn(async move {
                tokio::time::sleep(timeout).await;
                let (Some(core), Some(gate)) = (core.upgrade(), weak_gate.upgrade()) else {
                    return;
                };
                let mut missing = Vec::new();
                {
                    let mut reg = core.registry.lock();
                    for (pid, list) in reg.pending_local.iter_mut() {
                        list.retain(|p| {
                            let mine = p.gate.ptr_eq(&weak_gate);
                            if mine {
                                missing.push(*pid);
                            }
                            !mine
                        });
                    }
                    reg.pending_local.retain(|_, l| !l.is_empty());
                }
                if let Some(partition) = missing.first() {
                    gate.fail(NetworkError::PartitionNotFound {
                        partition: *partition,
                        address: core.data_address.clone(),
                    });
                }
            });
        }

        // Remote channels: register with their connection and send the request.
        for (i, receiver, conn, partition, subpartition) in remote {
            let ch = ChannelRef::new(
                Arc::downgrade(&shared),
                i,
                partition,
                subpartition,
                credit,
                cfg.partition_request_timeout,
            );
            if let Err(e) = conn.request(receiver, ch) {
                shared.fail(e);
            }
        }
        Ok(gate)
    }

    /// Releases every partition produced by `producer` (cancel/failover);
    /// its blocked writer and its readers get `Released`.
    pub fn release_partitions_of(&self, producer: ExecutionAttemptId) {
        let released: Vec<_> = {
            let mut reg = self.core.registry.lock();
            let ids: Vec<_> = reg
                .partitions
                .keys()
                .filter(|id| id.producer == producer)
                .copied()
                .collect();
            ids.iter()
                .filter_map(|id| reg.partitions.remove(id))
                .collect()
        };
        for p in released {
            tracing::debug!(partition = %p.id, "releasing result partition");
            p.release(&format!("partitions of {producer} were released"));
        }
    }

    /// Releases every partition of `job` and fails every input gate reading
    /// from it (after job cancel/failure).
    pub fn release_job(&self, job: JobId) {
        let (released, gates) = {
            let mut reg = self.core.registry.lock();
            let ids: Vec<_> = reg
                .partitions
                .keys()
                .filter(|id| id.producer.job_id == job)
                .copied()
                .collect();
            let parts: Vec<_> = ids
                .iter()
                .filter_map(|id| reg.partitions.remove(id))
                .collect();
            reg.pending_local.retain(|id, _| id.producer.job_id != job);
            let gates: Vec<_> = reg
                .gates
                .iter()
                .filter_map(Weak::upgrade)
                .filter(|g| g.job == Some(job))
                .collect();
            (parts, gates)
        };
        let reason = format!("job {job} was released");
        for p in released {
            p.release(&reason);
        }
        for g in gates {
            if let Some(spec) = g.spec(0) {
                g.fail(NetworkError::Released {
                    partition: spec.partition,
                    reason: reason.clone(),
                });
            }
        }
    }

    /// Stops the data server, closes all connections, releases all
    /// partitions and fails all gates. Idempotent.
    pub fn shutdown(&self) {
        if !self.core.shutdown.is_cancelled() {
            tracing::info!(address = %self.core.data_address, "network environment shutting down");
        }
        self.core.shutdown();
    }

    /// Current counters.
    pub fn stats(&self) -> NetworkStats {
        let c = &self.core.stats;
        let reg = self.core.registry.lock();
        NetworkStats {
            registered_partitions: reg.partitions.len(),
            queued_buffers: c.queued.load(Ordering::Relaxed).max(0) as u64,
            received_buffers_not_taken: c.received_not_taken.load(Ordering::Relaxed).max(0) as u64,
            buffers_written: c.buffers_written.load(Ordering::Relaxed),
            bytes_written: c.bytes_written.load(Ordering::Relaxed),
            buffers_sent: c.buffers_sent.load(Ordering::Relaxed),
            bytes_sent: c.bytes_sent.load(Ordering::Relaxed),
            buffers_received: c.buffers_received.load(Ordering::Relaxed),
            bytes_received: c.bytes_received.load(Ordering::Relaxed),
            buffers_taken: c.buffers_taken.load(Ordering::Relaxed),
            open_connections: c.connections.load(Ordering::Relaxed),
        }
    }
}

impl Drop for NetworkEnvironment {
    fn drop(&mut self) {
        self.core.shutdown();
    }
}

impl std::fmt::Debug for NetworkEnvironment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkEnvironment")
            .field("data_address", &self.core.data_address)
            .finish()
    }
}
