//! Registered TaskManagers, heartbeat monitoring and slot allocation
//! (Flink `ResourceManager` + `SlotManager`).

use super::driver::{ResourceDriver, ResourceEventHandler, WorkerResourceSpec};
use crate::error::JobManagerError;
use flink_proto::pb;
use flink_proto::pb::task_executor_gateway_client::TaskExecutorGatewayClient;
use flink_types::{AllocationId, JobId, ResourceId, TaskManagerLocation};
use parking_lot::Mutex;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, watch};
use tonic::transport::{Channel, Endpoint};

/// gRPC client of one TaskManager.
pub type TaskExecutorClient = TaskExecutorGatewayClient<Channel>;

/// Upper bound for the slots one TaskManager may offer.
pub const MAX_SLOTS_PER_TASK_MANAGER: u32 = 4096;

/// Timeout of a single JobManager -> TaskManager RPC.
pub(crate) const RPC_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects lazily to a TaskManager's gateway at `host:port`.
pub(crate) fn task_executor_client(rpc_address: &str) -> Result<TaskExecutorClient, String> {
    let endpoint = Endpoint::from_shared(format!("http://{rpc_address}"))
        .map_err(|e| format!("invalid TaskManager address '{rpc_address}': {e}"))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(RPC_TIMEOUT);
    Ok(TaskExecutorGatewayClient::new(endpoint.connect_lazy()))
}

/// A slot given to a job.
#[derive(Clone, Debug)]
pub struct AllocatedSlot {
    /// The allocation.
    pub allocation_id: AllocationId,
    /// Index of the slot in its TaskManager.
    pub slot_index: u32,
    /// The TaskManager.
    pub location: TaskManagerLocation,
    /// The TaskManager's registration the slot belongs to.
    pub registration_id: String,
    /// Its gateway.
    pub gateway: TaskExecutorClient,
}

/// A TaskManager that went away (heartbeat timeout, disconnect, worker terminated).
#[derive(Clone, Debug)]
pub struct TaskManagerLost {
    /// Which one.
    pub resource_id: ResourceId,
    /// Which registration of it (slots of later registrations are unaffected).
    pub registration_id: String,
    /// Why, for the job's failure cause.
    pub cause: String,
}

/// What a TaskManager tells about itself when registering.
#[derive(Clone, Debug)]
pub struct TaskManagerRegistration {
    /// Its resource id.
    pub resource_id: ResourceId,
    /// `host:port` of its gateway.
    pub rpc_address: String,
    /// `host:port` of its data server.
    pub data_address: String,
    /// Number of slots.
    pub num_slots: u32,
    /// CPU cores of its host.
    pub cpu_cores: u32,
    /// Physical memory of its host.
    pub physical_memory_bytes: u64,
    /// Memory it was configured with.
    pub total_process_memory_bytes: u64,
}

/// A TaskManager as the REST API shows it (`/taskmanagers`).
#[derive(Clone, Debug, Serialize)]
pub struct TaskManagerInfo {
    /// Resource id.
    pub id: String,
    /// RPC address.
    pub path: String,
    /// Data port.
    #[serde(rename = "dataPort")]
    pub data_port: u16,
    /// Last heartbeat (ms since epoch).
    #[serde(rename = "timeSinceLastHeartbeat")]
    pub last_heartbeat_ms: i64,
    /// Number of slots.
    #[serde(rename = "slotsNumber")]
    pub slots_number: u32,
    /// Free slots.
    #[serde(rename = "freeSlots")]
    pub free_slots: u32,
    /// Hardware.
    pub hardware: TaskManagerHardware,
}

/// Hardware part of [`TaskManagerInfo`].
#[derive(Clone, Debug, Serialize)]
pub struct TaskManagerHardware {
    /// CPU cores.
    #[serde(rename = "cpuCores")]
    pub cpu_cores: u32,
    /// Physical memory.
    #[serde(rename = "physicalMemory")]
    pub physical_memory: u64,
    /// Free memory (not tracked: total process memory).
    #[serde(rename = "freeMemory")]
    pub free_memory: u64,
    /// Managed memory (not tracked).
    #[serde(rename = "managedMemory")]
    pub managed_memory: u64,
}

/// Settings of the ResourceManager.
#[derive(Clone, Debug)]
pub struct ResourceManagerSettings {
    /// `heartbeat.interval`.
    pub heartbeat_interval: Duration,
    /// `heartbeat.timeout`.
    pub heartbeat_timeout: Duration,
    /// `heartbeat.rpc-failure-threshold`: consecutive failed RPCs (the one
    /// reported plus probes) after which a TaskManager is lost; 0 disables.
    pub rpc_failure_threshold: u32,
    /// `slot.request.timeout`.
    pub slot_request_timeout: Duration,
    /// `resourcemanager.taskmanager-timeout`.
    pub taskmanager_timeout: Duration,
    /// Spec of requested workers.
    pub worker_spec: WorkerResourceSpec,
    /// `taskmanager.registration.timeout`: a requested worker that has not
    /// registered after this no longer counts as coming (another one is
    /// requested if still needed).
    pub worker_registration_timeout: Duration,
}

struct SlotState {
    allocation: Option<(AllocationId, JobId)>,
}

struct RegisteredTaskManager {
    registration: TaskManagerRegistration,
    registration_id: String,
    location: TaskManagerLocation,
    gateway: TaskExecutorClient,
    slots: Vec<SlotState>,
    last_heartbeat: Instant,
    last_heartbeat_wall_ms: i64,
    idle_since: Option<Instant>,
    /// Being released: no new slots are allocated on it.
    releasing: bool,
    /// A reachability probe is running (see [`ResourceManager::report_rpc_failure`]).
    probing: bool,
}

impl RegisteredTaskManager {
    fn free_slots(&self) -> u32 {
        if self.releasing {
            return 0;
        }
        self.slots.iter().filter(|s| s.allocation.is_none()).count() as u32
    }
    fn update_idle(&mut self, now: Instant) {
        if self.free_slots() as usize == self.slots.len() {
            self.idle_since.get_or_insert(now);
        } else {
            self.idle_since = None;
        }
    }
}

#[derive(Default)]
struct RmState {
    task_managers: BTreeMap<ResourceId, RegisteredTaskManager>,
    /// Workers requested from the driver that have not registered yet.
    pending_workers: std::collections::VecDeque<Instant>,
    /// Slot requests waiting for resources.
    pending_requests: u32,
    closed: bool,
}

/// Tracks TaskManagers and slots and allocates slots to jobs.
pub struct ResourceManager {
    settings: ResourceManagerSettings,
    driver: Arc<dyn ResourceDriver>,
    state: Mutex<RmState>,
    version: watch::Sender<u64>,
    lost_tx: broadcast::Sender<TaskManagerLost>,
    jm_address: Mutex<String>,
    monitor: Mutex<Option<tokio::task::JoinHandle<()>>>,
    fatal_error: watch::Sender<Option<String>>,
}

struct DriverEvents(Weak<ResourceManager>);

impl ResourceEventHandler for DriverEvents {
    fn on_worker_terminated(&self, resource_id: ResourceId, diagnostics: String) {
        if let Some(rm) = self.0.upgrade() {
            rm.worker_terminated(resource_id, diagnostics);
        }
    }
    fn on_error(&self, error: String) {
        tracing::error!(%error, "resource driver reported a fatal error");
        if let Some(rm) = self.0.upgrade() {
            rm.fatal_error.send_replace(Some(error));
        }
    }
}

impl ResourceManager {
    /// Creates the ResourceManager, initializes the driver and starts the
    /// heartbeat/idle monitor.
    pub async fn start(
        settings: ResourceManagerSettings,
        driver: Arc<dyn ResourceDriver>,
    ) -> Result<Arc<Self>, JobManagerError> {
        let (lost_tx, _) = broadcast::channel(256);
        let rm = Arc::new(Self {
            settings,
            driver,
            state: Mutex::new(RmState::default()),
            version: watch::channel(0).0,
            lost_tx,
            jm_address: Mutex::new(String::new()),
            monitor: Mutex::new(None),
            fatal_error: watch::channel(None).0,
        });
        rm.driver
            .initialize(Arc::new(DriverEvents(Arc::downgrade(&rm))))
            .await
            .map_err(|e| JobManagerError::ResourceDriver(e.0))?;
        let weak = Arc::downgrade(&rm);
        let tick = (rm.settings.heartbeat_interval / 2).max(Duration::from_millis(10));
        let handle = tokio::spawn(async move {
            let mut interval = tokio::time::interval(tick);
            loop {
                interval.tick().await;
                let Some(rm) = weak.upgrade() else { break };
                rm.check_heartbeats_and_idle();
            }
        });
        *rm.monitor.lock() = Some(handle);
        Ok(rm)
    }

    /// Sets the JobManager address sent along with slot requests.
    pub fn set_jobmanager_address(&self, address: String) {
        *self.jm_address.lock() = address;
    }

    /// The settings.
    pub fn settings(&self) -> &ResourceManagerSettings {
        &self.settings
    }

    /// The driver.
    pub fn driver(&self) -> &Arc<dyn ResourceDriver> {
        &self.driver
    }

    /// Resolves with the driver's fatal error, if it reports one.
    pub async fn wait_fatal_error(&self) -> String {
        let mut rx = self.fatal_error.subscribe();
        match rx.wait_for(|e| e.is_some()).await {
            Ok(e) => e.clone().unwrap_or_default(),
            Err(_) => std::future::pending().await,
        }
    }

    /// Subscribes to lost TaskManagers.
    pub fn subscribe_lost(&self) -> broadcast::Receiver<TaskManagerLost> {
        self.lost_tx.subscribe()
    }

    fn bump(&self) {
        self.version.send_modify(|v| *v += 1);
    }

    /// Registers (or re-registers) a TaskManager; returns the registration id.
    pub fn register(&self, reg: TaskManagerRegistration) -> Result<String, String> {
        if reg.num_slots > MAX_SLOTS_PER_TASK_MANAGER {
            return Err(format!(
                "TaskManager {} offers {} slots; at most {MAX_SLOTS_PER_TASK_MANAGER} are supported \
                 (taskmanager.numberOfTaskSlots)",
                reg.resource_id, reg.num_slots
            ));
        }
        if reg.num_slots == 0 {
            return Err(format!(
                "TaskManager {} offers 0 slots; set taskmanager.numberOfTaskSlots >= 1",
                reg.resource_id
            ));
        }
        let gateway = task_executor_client(&reg.rpc_address)?;
        let registration_id = uuid::Uuid::new_v4().simple().to_string();
        let location = TaskManagerLocation {
            resource_id: reg.resource_id.clone(),
            rpc_address: reg.rpc_address.clone(),
            data_address: reg.data_address.clone(),
        };
        let now = Instant::now();
        let previous = {
            let mut st = self.state.lock();
            if st.closed {
                return Err("the JobManager is shutting down".into());
            }
            let tm = RegisteredTaskManager {
                slots: (0..reg.num_slots)
                    .map(|_| SlotState { allocation: None })
                    .collect(),
                registration: reg.clone(),
                registration_id: registration_id.clone(),
                location,
                gateway,
                last_heartbeat: now,
                last_heartbeat_wall_ms: now_ms(),
                idle_since: Some(now),
                releasing: false,
                probing: false,
            };
            let previous = st.task_managers.insert(reg.resource_id.clone(), tm);
            if previous.is_none() {
                st.pending_workers.pop_front();
            }
            previous
        };
        if let Some(previous) = previous {
            // The TaskManager restarted or lost us: whatever ran there is gone.
            let _ = self.lost_tx.send(TaskManagerLost {
                resource_id: reg.resource_id.clone(),
                registration_id: previous.registration_id,
                cause: format!(
                    "TaskManager {} registered again; its previous tasks are gone",
                    reg.resource_id
                ),
            });
        }
        tracing::info!(
            resource_id = %reg.resource_id,
            rpc = %reg.rpc_address,
            slots = reg.num_slots,
            "registered TaskManager"
        );
        self.bump();
        Ok(registration_id)
    }

    /// Records a heartbeat; `false` means the TaskManager is unknown and
    /// must register again. `slot_report` is `(slot index, allocation id)`
    /// of the slots the TaskManager holds: allocations the ResourceManager
    /// does not know (e.g. a lost `FreeSlot`) are freed on the TaskManager.
    pub fn heartbeat(
        &self,
        resource_id: &ResourceId,
        registration_id: &str,
        slot_report: &[(u32, AllocationId)],
    ) -> bool {
        let mut stale = Vec::new();
        let gateway = {
            let mut st = self.state.lock();
            match st.task_managers.get_mut(resource_id) {
                Some(tm) if tm.registration_id == registration_id => {
                    tm.last_heartbeat = Instant::now();
                    tm.last_heartbeat_wall_ms = now_ms();
                    for (index, allocation) in slot_report {
                        let known = tm
                            .slots
                            .get(*index as usize)
                            .and_then(|s| s.allocation)
                            .is_some_and(|(a, _)| a == *allocation);
                        if !known {
                            stale.push(*allocation);
                        }
                    }
                    tm.gateway.clone()
                }
                _ => return false,
            }
        };
        for allocation_id in stale {
            tracing::info!(%resource_id, %allocation_id, "freeing a slot allocation the ResourceManager does not know");
            let mut g = gateway.clone();
            tokio::spawn(async move {
                let _ = g
                    .free_slot(pb::FreeSlotRequest {
                        allocation_id: allocation_id.to_hex(),
                        cause:
                            "slot report reconciliation: allocation unknown to the ResourceManager"
                                .into(),
                    })
                    .await;
            });
        }
        true
    }

    /// Removes a TaskManager and tells the jobs that used it.
    pub fn remove_task_manager(&self, resource_id: &ResourceId, cause: String) -> bool {
        let removed = self.state.lock().task_managers.remove(resource_id);
        match removed {
            Some(tm) => {
                if cause.contains("shutting down") {
                    tracing::info!(%resource_id, %cause, "TaskManager removed");
                } else {
                    tracing::warn!(%resource_id, %cause, "TaskManager removed");
                }
                let _ = self.lost_tx.send(TaskManagerLost {
                    resource_id: resource_id.clone(),
                    registration_id: tm.registration_id,
                    cause,
                });
                self.bump();
                true
            }
            None => false,
        }
    }

    /// Reports that an RPC to a TaskManager failed. A transport failure
    /// (connection refused or reset: the process is gone) starts a probe that
    /// sends `heartbeat.rpc-failure-threshold - 1` more heartbeats, 200 ms
    /// apart; if all fail, the TaskManager is removed at once instead of after
    /// `heartbeat.timeout` (Flink's `heartbeat.rpc-failure-threshold`). Other
    /// errors (the TaskManager answered) are ignored here.
    pub fn report_rpc_failure(
        self: &Arc<Self>,
        resource_id: &ResourceId,
        registration_id: &str,
        status: &tonic::Status,
    ) {
        let threshold = self.settings.rpc_failure_threshold;
        if threshold == 0 || !is_unreachable(status) {
            return;
        }
        let (mut gateway, address) = {
            let mut st = self.state.lock();
            let Some(tm) = st.task_managers.get_mut(resource_id) else {
                return;
            };
            if tm.probing || tm.registration_id != registration_id {
                return;
            }
            tm.probing = true;
            (tm.gateway.clone(), tm.location.rpc_address.clone())
        };
        let first_error = status.message().to_string();
        let rm = Arc::downgrade(self);
        let resource_id = resource_id.clone();
        let registration_id = registration_id.to_string();
        tracing::info!(%resource_id, %address, error = %first_error, "RPC to TaskManager failed; probing it");
        tokio::spawn(async move {
            let mut failures = 1;
            let mut last_error = first_error;
            while failures < threshold {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let mut req = tonic::Request::new(pb::HeartbeatFromResourceManagerRequest {});
                req.set_timeout(Duration::from_secs(2));
                match gateway.heartbeat_from_resource_manager(req).await {
                    Err(s) if is_unreachable(&s) || s.code() == tonic::Code::DeadlineExceeded => {
                        failures += 1;
                        last_error = s.message().to_string();
                    }
                    _ => break,
                }
            }
            let Some(rm) = rm.upgrade() else { return };
            if failures >= threshold {
                let same = rm
                    .state
                    .lock()
                    .task_managers
                    .get(&resource_id)
                    .is_some_and(|tm| tm.registration_id == registration_id);
                if same {
                    rm.remove_task_manager(
                        &resource_id,
                        format!(
                            "TaskManager at {address} is unreachable ({failures} RPCs failed in a row, \
                             heartbeat.rpc-failure-threshold={threshold}): {last_error}"
                        ),
                    );
                }
            } else if let Some(tm) = rm.state.lock().task_managers.get_mut(&resource_id) {
                tm.probing = false;
            }
        });
    }

    fn worker_terminated(&self, resource_id: ResourceId, diagnostics: String) {
        let cause = format!("worker {resource_id} terminated: {diagnostics}");
        if !self.remove_task_manager(&resource_id, cause) {
            let mut st = self.state.lock();
            st.pending_workers.pop_front();
            drop(st);
            self.bump();
        }
    }

    fn check_heartbeats_and_idle(self: &Arc<Self>) {
        let now = Instant::now();
        let timeout = self.settings.heartbeat_timeout;
        let mut timed_out = Vec::new();
        let mut idle = Vec::new();
        {
            let mut st = self.state.lock();
            let mut expired = 0;
            while st
                .pending_workers
                .front()
                .is_some_and(|t| now.duration_since(*t) > self.settings.worker_registration_timeout)
            {
                st.pending_workers.pop_front();
                expired += 1;
            }
            if expired > 0 {
                tracing::warn!(
                    expired,
                    timeout_ms = self.settings.worker_registration_timeout.as_millis() as u64,
                    "requested workers did not register in time (taskmanager.registration.timeout); \
                     requesting others if still needed"
                );
                self.version.send_modify(|v| *v += 1);
            }
            let pending_requests = st.pending_requests;
            for (id, tm) in st.task_managers.iter_mut() {
                if now.duration_since(tm.last_heartbeat) > timeout {
                    timed_out.push(id.clone());
                } else if self.driver.releases_idle_workers()
                    && pending_requests == 0
                    && !tm.releasing
                    && tm
                        .idle_since
                        .is_some_and(|t| now.duration_since(t) > self.settings.taskmanager_timeout)
                {
                    tm.releasing = true;
                    idle.push((id.clone(), tm.gateway.clone(), tm.registration_id.clone()));
                }
            }
        }
        for id in timed_out {
            let cause = format!(
                "Heartbeat of TaskManager with id {id} timed out after {} ms",
                timeout.as_millis()
            );
            if self.remove_task_manager(&id, cause) {
                let driver = self.driver.clone();
                tokio::spawn(async move {
                    if let Err(e) = driver.release_worker(&id).await {
                        tracing::warn!(resource_id = %id, error = %e, "could not release worker");
                    }
                });
            }
        }
        for (id, mut gateway, registration_id) in idle {
            tracing::info!(resource_id = %id, "releasing idle TaskManager");
            self.bump();
            let rm = Arc::clone(self);
            tokio::spawn(async move {
                // Tell the TaskManager first so it stops heartbeating, then forget it.
                let _ = gateway
                    .shutdown(pb::ShutdownRequest {
                        cause: "idle TaskManager released (resourcemanager.taskmanager-timeout)"
                            .into(),
                    })
                    .await;
                {
                    let mut st = rm.state.lock();
                    if st
                        .task_managers
                        .get(&id)
                        .is_some_and(|tm| tm.registration_id == registration_id)
                    {
                        st.task_managers.remove(&id);
                    }
                }
                rm.bump();
                if let Err(e) = rm.driver.release_worker(&id).await {
                    tracing::warn!(resource_id = %id, error = %e, "could not release worker");
                }
            });
        }
    }

    /// Total and free slots over all registered TaskManagers.
    pub fn slot_counts(&self) -> (u32, u32) {
        let st = self.state.lock();
        let total = st
            .task_managers
            .values()
            .map(|t| t.slots.len() as u32)
            .sum();
        let free = st.task_managers.values().map(|t| t.free_slots()).sum();
        (total, free)
    }

    /// The registered TaskManagers.
    pub fn task_managers(&self) -> Vec<TaskManagerInfo> {
        let st = self.state.lock();
        st.task_managers
            .values()
            .map(|tm| TaskManagerInfo {
                id: tm.registration.resource_id.0.clone(),
                path: tm.registration.rpc_address.clone(),
                data_port: tm
                    .registration
                    .data_address
                    .rsplit(':')
                    .next()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(0),
                last_heartbeat_ms: tm.last_heartbeat_wall_ms,
                slots_number: tm.slots.len() as u32,
                free_slots: tm.free_slots(),
                hardware: TaskManagerHardware {
                    cpu_cores: tm.registration.cpu_cores,
                    physical_memory: tm.registration.physical_memory_bytes,
                    free_memory: tm.registration.total_process_memory_bytes,
                    managed_memory: 0,
                },
            })
            .collect()
    }

    /// Reserves `n` free slots for `job` if available (fills TaskManagers
    /// in resource-id order).
    fn try_reserve(&self, job: JobId, n: u32) -> Option<Vec<AllocatedSlot>> {
        let mut st = self.state.lock();
        let free: u32 = st.task_managers.values().map(|t| t.free_slots()).sum();
        if free < n {
            return None;
        }
        let mut picked = Vec::with_capacity(n as usize);
        let now = Instant::now();
        'outer: for tm in st.task_managers.values_mut() {
            if tm.releasing {
                continue;
            }
            for (i, slot) in tm.slots.iter_mut().enumerate() {
                if picked.len() as u32 == n {
                    break 'outer;
                }
                if slot.allocation.is_none() {
                    let allocation_id = AllocationId::generate();
                    slot.allocation = Some((allocation_id, job));
                    picked.push(AllocatedSlot {
                        allocation_id,
                        slot_index: i as u32,
                        location: tm.location.clone(),
                        registration_id: tm.registration_id.clone(),
                        gateway: tm.gateway.clone(),
                    });
                }
            }
            tm.update_idle(now);
        }
        Some(picked)
    }

    fn unreserve(&self, slots: &[AllocatedSlot]) {
        let mut st = self.state.lock();
        let now = Instant::now();
        for s in slots {
            if let Some(tm) = st.task_managers.get_mut(&s.location.resource_id)
                && let Some(slot) = tm.slots.get_mut(s.slot_index as usize)
                && slot.allocation.is_some_and(|(a, _)| a == s.allocation_id)
            {
                slot.allocation = None;
                tm.update_idle(now);
            }
        }
        drop(st);
        self.bump();
    }

    /// Allocates `n` slots for `job`, all or nothing, asking the driver for
    /// workers if needed; fails after `slot.request.timeout`.
    pub async fn allocate_slots(
        &self,
        job: JobId,
        n: u32,
    ) -> Result<Vec<AllocatedSlot>, JobManagerError> {
        let deadline = tokio::time::Instant::now() + self.settings.slot_request_timeout;
        let mut version = self.version.subscribe();
        self.state.lock().pending_requests += 1;
        let _pending = PendingRequest(self);
        self.allocate_loop(job, n, deadline, &mut version).await
    }

    async fn allocate_loop(
        &self,
        job: JobId,
        n: u32,
        deadline: tokio::time::Instant,
        version: &mut watch::Receiver<u64>,
    ) -> Result<Vec<AllocatedSlot>, JobManagerError> {
        loop {
            version.borrow_and_update();
            if self.state.lock().closed {
                return Err(JobManagerError::ShuttingDown);
            }
            if let Some(slots) = self.try_reserve(job, n) {
                // Released again if this future is dropped before it completes.
                let mut reservation = Reservation {
                    rm: self,
                    slots: Some(slots),
                };
                let confirmed = match &reservation.slots {
                    Some(slots) => self.confirm_slots(job, slots).await,
                    None => Err("internal error: empty reservation".into()),
                };
                match confirmed {
                    Ok(()) => return Ok(reservation.slots.take().unwrap_or_default()),
                    Err(e) => {
                        tracing::warn!(%job, error = %e, "slot request to a TaskManager failed; retrying");
                        drop(reservation);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                }
            }
            self.request_workers_if_needed(n).await;
            tokio::select! {
                _ = version.changed() => {}
                _ = tokio::time::sleep_until(deadline) => {
                    let (_, available) = self.slot_counts();
                    let task_managers = self.state.lock().task_managers.len() as u32;
                    return Err(JobManagerError::NotEnoughSlots {
                        required: n,
                        available,
                        task_managers,
                        timeout_ms: self.settings.slot_request_timeout.as_millis() as u64,
                    });
                }
            }
        }
    }

    async fn request_workers_if_needed(&self, needed: u32) {
        if !self.driver.can_request_workers() {
            return;
        }
        let per_worker = self.settings.worker_spec.num_slots.max(1);
        let count = {
            let mut st = self.state.lock();
            let free: u32 = st.task_managers.values().map(|t| t.free_slots()).sum();
            let coming = st.pending_workers.len() as u32 * per_worker;
            let missing = needed.saturating_sub(free + coming);
            let count = missing.div_ceil(per_worker);
            let now = Instant::now();
            st.pending_workers.extend((0..count).map(|_| now));
            count
        };
        if count > 0 {
            tracing::info!(count, "requesting new workers");
            if let Err(e) = self
                .driver
                .request_workers(count, &self.settings.worker_spec)
                .await
            {
                tracing::warn!(error = %e, "requesting workers failed");
                let mut st = self.state.lock();
                for _ in 0..count {
                    st.pending_workers.pop_back();
                }
            }
        }
    }

    async fn confirm_slots(&self, job: JobId, slots: &[AllocatedSlot]) -> Result<(), String> {
        let jm = self.jm_address.lock().clone();
        let calls = slots.iter().map(|s| {
            let mut g = s.gateway.clone();
            let req = pb::RequestSlotRequest {
                slot_index: Some(s.slot_index),
                allocation_id: s.allocation_id.to_hex(),
                job_id: job.to_hex(),
                jobmanager_address: jm.clone(),
            };
            let addr = s.location.rpc_address.clone();
            async move {
                g.request_slot(req).await.map(|_| ()).map_err(|st| {
                    flink_proto::status::from_status("RequestSlot", &addr, &st).message
                })
            }
        });
        for r in futures::future::join_all(calls).await {
            r?;
        }
        Ok(())
    }

    /// Gives slots back (after the job or before a restart) and tells the
    /// TaskManagers to free them.
    pub fn release_slots(&self, slots: &[AllocatedSlot], cause: &str) {
        self.unreserve(slots);
        for s in slots {
            let mut g = s.gateway.clone();
            let req = pb::FreeSlotRequest {
                allocation_id: s.allocation_id.to_hex(),
                cause: cause.to_string(),
            };
            tokio::spawn(async move {
                let _ = g.free_slot(req).await;
            });
        }
    }

    /// Stops the monitor and rejects further allocations.
    pub async fn close(&self) {
        self.state.lock().closed = true;
        self.bump();
        if let Some(h) = self.monitor.lock().take() {
            h.abort();
        }
        if let Err(e) = self.driver.terminate().await {
            tracing::warn!(error = %e, "resource driver did not terminate cleanly");
        }
    }
}

/// Counts a waiting slot request while alive.
struct PendingRequest<'a>(&'a ResourceManager);

impl Drop for PendingRequest<'_> {
    fn drop(&mut self) {
        let mut st = self.0.state.lock();
        st.pending_requests = st.pending_requests.saturating_sub(1);
    }
}

/// Slots reserved but not yet handed out; released on drop.
struct Reservation<'a> {
    rm: &'a ResourceManager,
    slots: Option<Vec<AllocatedSlot>>,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if let Some(slots) = self.slots.take() {
            self.rm.release_slots(&slots, "slot request abandoned");
        }
    }
}

/// Milliseconds since the Unix epoch.
/// A transport failure: the peer could not be reached or the connection
/// broke, as opposed to an error the peer answered with.
fn is_unreachable(status: &tonic::Status) -> bool {
    status.code() == tonic::Code::Unavailable
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
