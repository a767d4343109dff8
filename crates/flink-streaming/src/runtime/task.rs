//! The stream task: runs one subtask (a chain of operators) on its own OS
//! thread. It instantiates the chain from the stream graph, wires network
//! inputs and outputs, and loops: read a buffer (or poll the source),
//! push its elements through the chain, tick processing time, obey
//! cancellation. A panic anywhere in user code fails the task with the
//! panic message and the operator's name.

use crate::element::CheckpointBarrier;
use crate::graph::{Built, GraphError, StreamGraph};
use crate::registry::{ProgramRegistry, panic_message, settings_from_config};
use crate::runtime::chain::{Decoded, InputDecoder, SourceDriver, WatermarkValve};
use crate::runtime::checkpointing::{BarrierAligner, BarrierOutcome, SnapshotUploader};
use crate::runtime::operator::{RuntimeContext, current_operator};
use crate::runtime::output::{OpResult, OperatorError};
use crate::runtime::snapshot::{
    SnapshotCollector, StateReader, StateWriter, inline_writer, materialize_restore,
};
use crate::runtime::source::SourceStatus;
use bytes::Bytes;
use flink_network::{Canceller, GateEvent, InputChannelSpec, InputGate, NetworkEnvironment};
use flink_types::{
    ExecutionAttemptId, ExecutionState, JobId, RuntimeMode, TaskControl, TaskDeploymentDescriptor,
    TaskEvents, TaskFailure, TaskSpawner, key_group_range_for_operator,
};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Runtime settings of stream tasks in one TaskManager.
#[derive(Clone, Debug)]
pub struct StreamTaskSettings {
    /// Network buffer size (`taskmanager.memory.segment-size`).
    pub segment_size: usize,
    /// Flush interval of partially filled buffers (`execution.buffer-timeout.interval`).
    pub buffer_timeout: Duration,
}

impl Default for StreamTaskSettings {
    fn default() -> Self {
        Self {
            segment_size: 32 * 1024,
            buffer_timeout: Duration::from_millis(100),
        }
    }
}

/// Implements [`TaskSpawner`] by running stream tasks from the programs in a registry.
pub struct StreamTaskSpawner {
    registry: Arc<ProgramRegistry>,
    network: Arc<NetworkEnvironment>,
    settings: StreamTaskSettings,
    graphs: Mutex<HashMap<JobId, Arc<StreamGraph>>>,
}

impl StreamTaskSpawner {
    /// A spawner over `registry`, using `network` for shuffles.
    pub fn new(
        registry: Arc<ProgramRegistry>,
        network: Arc<NetworkEnvironment>,
        settings: StreamTaskSettings,
    ) -> Self {
        Self {
            registry,
            network,
            settings,
            graphs: Mutex::new(HashMap::new()),
        }
    }

    fn graph_for(&self, tdd: &TaskDeploymentDescriptor) -> Result<Arc<StreamGraph>, TaskFailure> {
        if let Some(g) = self.graphs.lock().get(&tdd.job_id) {
            return Ok(g.clone());
        }
        let settings = settings_from_config(&tdd.config, &tdd.job_name);
        let graph = self
            .registry
            .build_graph(&tdd.program, settings)
            .map_err(|e| TaskFailure {
                operator: tdd.task_name_with_subtask(),
                message: e.to_string(),
            })?;
        let graph = Arc::new(graph);
        let mut graphs = self.graphs.lock();
        if graphs.len() > 64 {
            graphs.clear();
        }
        graphs.insert(tdd.job_id, graph.clone());
        Ok(graph)
    }
}

enum Command {
    TriggerCheckpoint {
        id: u64,
        timestamp: i64,
        is_savepoint: bool,
    },
    CheckpointComplete(u64),
    CheckpointAborted(u64),
}

struct StreamTaskControl {
    cancelled: AtomicBool,
    cancellers: Mutex<Vec<Canceller>>,
    commands: crossbeam_channel::Sender<Command>,
}

impl TaskControl for StreamTaskControl {
    fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        for c in self.cancellers.lock().iter() {
            c.cancel();
        }
    }
    fn trigger_checkpoint(&self, checkpoint_id: u64, timestamp_ms: i64, is_savepoint: bool) {
        let _ = self.commands.send(Command::TriggerCheckpoint {
            id: checkpoint_id,
            timestamp: timestamp_ms,
            is_savepoint,
        });
    }
    fn notify_checkpoint_complete(&self, checkpoint_id: u64) {
        let _ = self
            .commands
            .send(Command::CheckpointComplete(checkpoint_id));
    }
    fn notify_checkpoint_aborted(&self, checkpoint_id: u64) {
        let _ = self
            .commands
            .send(Command::CheckpointAborted(checkpoint_id));
    }
}

impl TaskSpawner for StreamTaskSpawner {
    fn spawn(
        &self,
        tdd: TaskDeploymentDescriptor,
        events: Arc<dyn TaskEvents>,
    ) -> Result<Arc<dyn TaskControl>, TaskFailure> {
        let graph = self.graph_for(&tdd)?;
        let (tx, rx) = crossbeam_channel::unbounded();
        let control = Arc::new(StreamTaskControl {
            cancelled: AtomicBool::new(false),
            cancellers: Mutex::new(Vec::new()),
            commands: tx,
        });
        let network = self.network.clone();
        let settings = self.settings.clone();
        let ctl = control.clone();
        let name = tdd.task_name_with_subtask();
        std::thread::Builder::new()
            .name(name.chars().take(60).collect())
            .spawn(move || run_task(tdd, graph, network, settings, ctl, rx, events))
            .map_err(|e| TaskFailure {
                operator: name,
                message: format!("cannot start task thread: {e}"),
            })?;
        Ok(control)
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

enum Head {
    /// A source and the context of the source operator.
    Source(Box<dyn SourceDriver>, Box<RuntimeContext>),
    Input(Box<dyn InputDecoder>, Vec<GateState>),
}

/// The rest of a buffer after a barrier, waiting while its channel is
/// blocked for alignment.
struct Held {
    gate: usize,
    channel: usize,
    data: Bytes,
    pos: usize,
}

/// Checkpoint state of a task.
struct Checkpoints {
    attempt: ExecutionAttemptId,
    events: Arc<dyn TaskEvents>,
    aligner: BarrierAligner,
    uploader: SnapshotUploader,
    /// Remainders of buffers of blocked channels.
    held: Vec<Held>,
    /// Remainders to process, in order, before reading the gates again.
    ready: VecDeque<Held>,
}

struct GateState {
    gate: InputGate,
    target_input: u32,
    channel_offset: usize,
    finished: bool,
}

struct Instance {
    head: Head,
    operator_names: Vec<String>,
    valve: WatermarkValve,
    checkpoints: Checkpoints,
    /// Whether the job takes periodic checkpoints.
    checkpointing: bool,
    /// Set when a source has no more input while checkpoints are on: the
    /// task waits for a final checkpoint before it ends.
    finishing: Option<FinalCheckpoint>,
}

/// A source task that has emitted all its input waits, like Flink's tasks
/// after FLIP-147, until a checkpoint taken after its last record completes
/// (its snapshot then says "nothing left"). Only then does it end its
/// output and report FINISHED: a restore from any later checkpoint must not
/// replay it from an older position.
#[derive(Debug, Default)]
struct FinalCheckpoint {
    /// The first checkpoint triggered since the input ended.
    triggered: Option<u64>,
    /// Whether it completed.
    done: bool,
}

enum Outcome {
    Finished,
    Canceled,
}

fn run_task(
    tdd: TaskDeploymentDescriptor,
    graph: Arc<StreamGraph>,
    network: Arc<NetworkEnvironment>,
    settings: StreamTaskSettings,
    control: Arc<StreamTaskControl>,
    commands: crossbeam_channel::Receiver<Command>,
    events: Arc<dyn TaskEvents>,
) {
    let attempt = tdd.attempt;
    let task_name = tdd.task_name_with_subtask();
    let span = tracing::info_span!("task", name = %task_name);
    let _enter = span.enter();
    events.state_changed(attempt, ExecutionState::Initializing, None);
    let names: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let names2 = names.clone();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut inst = instantiate(&tdd, &graph, &network, &settings, &control, &events)?;
        *names2.lock() = inst.operator_names.clone();
        events.state_changed(attempt, ExecutionState::Running, None);
        tracing::debug!("running");
        let outcome = drive(&mut inst, &control, &commands);
        match outcome {
            // Acknowledge what was snapshotted before reporting the end.
            Ok(Outcome::Finished) => inst.checkpoints.uploader.finish(),
            _ => inst.checkpoints.uploader.abandon(),
        }
        outcome
    }));
    if let Ok(Err(e)) = &result
        && is_collateral(e)
    {
        // The channel broke because another task failed: give the JobManager
        // time to cancel us, so that the other task's failure is the root cause.
        let deadline = Instant::now() + COLLATERAL_GRACE;
        while Instant::now() < deadline && !control.cancelled.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let cancelled = control.cancelled.load(Ordering::SeqCst);
    let subtask_suffix = format!(" ({}/{})", tdd.attempt.subtask + 1, tdd.parallelism);
    let (state, failure) = match result {
        Ok(Ok(Outcome::Finished)) => (ExecutionState::Finished, None),
        Ok(Ok(Outcome::Canceled)) => (ExecutionState::Canceled, None),
        Ok(Err(_)) if cancelled => (ExecutionState::Canceled, None),
        Ok(Err(e)) => {
            let op = current_operator()
                .and_then(|i| names.lock().get(i).cloned())
                .unwrap_or_else(|| tdd.vertex_name.clone());
            (
                ExecutionState::Failed,
                Some(TaskFailure {
                    operator: format!("{op}{subtask_suffix}"),
                    message: e.to_string(),
                }),
            )
        }
        Err(payload) => {
            let op = current_operator()
                .and_then(|i| names.lock().get(i).cloned())
                .unwrap_or_else(|| tdd.vertex_name.clone());
            (
                ExecutionState::Failed,
                Some(TaskFailure {
                    operator: format!("{op}{subtask_suffix}"),
                    message: format!("panicked: {}", panic_message(&*payload)),
                }),
            )
        }
    };
    match &failure {
        Some(f) => tracing::warn!(%f, "task failed"),
        None => tracing::debug!(%state, "task ended"),
    }
    if state != ExecutionState::Finished {
        // A finished producer's partitions stay until consumers have read them
        // (the network layer releases them then); others are dropped now.
        network.release_partitions_of(attempt);
    }
    events.state_changed(attempt, state, failure);
}

/// How long a task whose channel broke waits for cancellation before it
/// reports its own failure.
const COLLATERAL_GRACE: Duration = Duration::from_secs(2);

/// Whether an error is a consequence of another task's failure (a released
/// partition or a lost connection) rather than a cause.
fn is_collateral(e: &OperatorError) -> bool {
    matches!(
        e,
        OperatorError::Network(
            flink_network::NetworkError::Released { .. }
                | flink_network::NetworkError::ConnectionLost { .. }
        )
    )
}

fn op_err(e: impl std::fmt::Display) -> Box<OperatorError> {
    Box::new(OperatorError::Other(e.to_string()))
}

/// Where a task's checkpoint state goes: checkpoint storage when the job
/// configures a checkpoint directory, else inline in the acknowledgement.
fn state_writer(tdd: &TaskDeploymentDescriptor) -> Result<StateWriter, Box<OperatorError>> {
    match flink_checkpoint::CheckpointStorage::from_config(&tdd.config, tdd.job_id) {
        Ok(Some(storage)) => Ok(Arc::new(move |id, name, bytes| {
            storage
                .write_state_blocking(id, name, bytes)
                .map_err(|e| e.to_string())
        })),
        Ok(None) => Ok(inline_writer()),
        Err(e) => Err(op_err(format!("checkpoint storage: {e}"))),
    }
}

/// Reads restored state: inline bytes, or `file://` / `hdfs://` files.
fn state_reader(tdd: &TaskDeploymentDescriptor) -> StateReader {
    let config = tdd.config.clone();
    Arc::new(move |location| match location {
        flink_types::StateLocation::Inline(b) => Ok(b.clone()),
        flink_types::StateLocation::File(uri) => {
            let (fs, path) =
                crate::operators::files::resolve(uri, &config).map_err(|e| e.to_string())?;
            crate::operators::files::block_on(fs.read(&path))
                .map(|b| b.to_vec())
                .map_err(|e| e.to_string())
        }
    })
}

fn instantiate(
    tdd: &TaskDeploymentDescriptor,
    graph: &StreamGraph,
    network: &Arc<NetworkEnvironment>,
    settings: &StreamTaskSettings,
    control: &StreamTaskControl,
    events: &Arc<dyn TaskEvents>,
) -> Result<Instance, Box<OperatorError>> {
    let nodes = &tdd.chained_nodes;
    let config = Arc::new(tdd.config.clone());
    let restore = match &tdd.restore {
        Some(r) => {
            let range = key_group_range_for_operator(
                tdd.max_parallelism,
                tdd.parallelism,
                tdd.attempt.subtask,
            );
            let r = materialize_restore(r, range, &state_reader(tdd)).map_err(|e| {
                op_err(format!(
                    "cannot restore from checkpoint {}: {e}",
                    r.checkpoint_id
                ))
            })?;
            Some(Arc::new(r))
        }
        None => None,
    };
    let mut operator_names = Vec::with_capacity(nodes.len());
    for &n in nodes {
        let node = graph
            .nodes
            .get(n as usize)
            .ok_or_else(|| op_err(GraphError::TypeMismatch(format!("stream node {n}"))))?;
        operator_names.push(node.name.clone());
    }
    let mut built_inputs: BTreeMap<u32, crate::graph::AnyOutput> = BTreeMap::new();
    let mut head: Option<Head> = None;
    for (index, &n) in nodes.iter().enumerate().rev() {
        let node = &graph.nodes[n as usize];
        let mut outs = Vec::new();
        for e in graph
            .edges
            .iter()
            .filter(|e| e.source == n && nodes.contains(&e.target))
        {
            let input = built_inputs
                .remove(&e.target)
                .ok_or_else(|| op_err(GraphError::TypeMismatch(node.name.clone())))?;
            outs.push(input);
        }
        for out in tdd.outputs.iter().filter(|o| o.source_node == n) {
            let writer = network
                .create_result_partition(out.partition, out.consumer_subtasks.len() as u32)?;
            control.cancellers.lock().push(writer.canceller());
            let edge = graph.edge(n, out.target_node, out.target_input);
            let key_hash = edge.and_then(|e| e.key_hash.as_deref());
            outs.push(node.ops.out().network_output(
                writer,
                out.ship_strategy,
                key_hash,
                out.consumer_max_parallelism,
                out.num_consumers,
                tdd.attempt.subtask,
                settings.segment_size,
                settings.buffer_timeout,
            ));
        }
        let output = node.ops.out().fanout(outs).map_err(op_err)?;
        let ctx = RuntimeContext {
            task_name: tdd.task_name_with_subtask(),
            operator_name: node.name.clone(),
            operator_uid: graph.uid_of(node),
            operator_index: index,
            subtask: tdd.attempt.subtask,
            parallelism: tdd.parallelism,
            max_parallelism: tdd.max_parallelism,
            attempt: tdd.attempt.attempt,
            config: config.clone(),
            restore: restore.clone(),
            batch_mode: tdd.runtime_mode == RuntimeMode::Batch,
        };
        match node.ops.build(&ctx, output)? {
            Built::Source(mut driver) => {
                if let Some(handles) = restore
                    .as_ref()
                    .and_then(|r| r.operator_state.get(&ctx.operator_uid))
                {
                    let states: Vec<Vec<u8>> = handles
                        .iter()
                        .filter_map(|h| match &h.location {
                            flink_types::StateLocation::Inline(b) => Some(b.clone()),
                            flink_types::StateLocation::File(_) => None,
                        })
                        .collect();
                    driver.restore(&states, &ctx)?;
                }
                driver.open(&ctx)?;
                head = Some(Head::Source(driver, Box::new(ctx)));
            }
            Built::Input(input) if index == 0 => {
                let decoder = node.ops.decoder(input).map_err(op_err)?;
                let mut gates = Vec::new();
                let mut offset = 0;
                for g in &tdd.inputs {
                    let specs = g
                        .channels
                        .iter()
                        .map(|c| InputChannelSpec {
                            partition: c.partition,
                            subpartition: c.subpartition,
                            producer_data_address: c.producer_location.data_address.clone(),
                        })
                        .collect::<Vec<_>>();
                    let n_channels = specs.len();
                    let gate = network.create_input_gate(specs)?;
                    control.cancellers.lock().push(gate.canceller());
                    gates.push(GateState {
                        gate,
                        target_input: g.target_input,
                        channel_offset: offset,
                        finished: n_channels == 0,
                    });
                    offset += n_channels;
                }
                head = Some(Head::Input(decoder, gates));
            }
            Built::Input(input) => {
                built_inputs.insert(n, input);
            }
        }
    }
    // Open operators: done by factories; open() of StreamOperators is called below via a first tick.
    let head = head.ok_or_else(|| op_err("task has no head operator"))?;
    let channels = match &head {
        Head::Input(_, gates) => gates.iter().map(|g| g.gate.num_channels()).sum(),
        Head::Source(..) => 0,
    };
    let mut aligner = BarrierAligner::new(channels);
    if let Head::Input(_, gates) = &head {
        // Channels of empty gates never deliver anything.
        for g in gates.iter().filter(|g| g.finished) {
            for c in 0..g.gate.num_channels() {
                aligner.on_channel_finished(g.channel_offset + c);
            }
        }
    }
    let uploader = SnapshotUploader::new(tdd.attempt, events.clone(), state_writer(tdd)?);
    let checkpointing = tdd
        .config
        .get("execution.checkpointing.interval")
        .and_then(|v| flink_config::value::parse_duration(v).ok())
        .is_some_and(|d| !d.is_zero());
    Ok(Instance {
        head,
        operator_names,
        valve: WatermarkValve::new(channels),
        checkpointing,
        finishing: None,
        checkpoints: Checkpoints {
            attempt: tdd.attempt,
            events: events.clone(),
            aligner,
            uploader,
            held: Vec::new(),
            ready: VecDeque::new(),
        },
    })
}

const TICK: Duration = Duration::from_millis(10);

fn handle_commands(
    commands: &crossbeam_channel::Receiver<Command>,
    inst: &mut Instance,
) -> OpResult {
    while let Ok(cmd) = commands.try_recv() {
        match cmd {
            Command::TriggerCheckpoint {
                id,
                timestamp,
                is_savepoint,
            } => match &mut inst.head {
                Head::Source(driver, ctx) => {
                    // Between two polls: the barrier follows every record
                    // emitted so far and precedes the next one.
                    let barrier = CheckpointBarrier {
                        id,
                        timestamp,
                        is_savepoint,
                    };
                    let mut collector = SnapshotCollector::default();
                    if let Some(s) = driver.snapshot(ctx)? {
                        collector.add(s);
                    }
                    driver.chain().checkpoint(&barrier, &mut collector)?;
                    inst.checkpoints.uploader.submit(id, collector);
                    if let Some(f) = inst.finishing.as_mut()
                        && f.triggered.is_none()
                    {
                        f.triggered = Some(id);
                    }
                }
                Head::Input(..) => {
                    tracing::debug!(
                        checkpoint = id,
                        "checkpoint trigger ignored: only source tasks start checkpoints"
                    );
                }
            },
            Command::CheckpointComplete(id) => match &mut inst.head {
                Head::Source(d, _) => {
                    d.checkpoint_complete(id)?;
                    if let Some(f) = inst.finishing.as_mut()
                        && f.triggered.is_some_and(|t| id >= t)
                    {
                        f.done = true;
                    }
                }
                Head::Input(dec, _) => dec.chain().checkpoint_complete(id)?,
            },
            Command::CheckpointAborted(id) => match &mut inst.head {
                Head::Source(d, _) => {
                    if let Some(f) = inst.finishing.as_mut()
                        && f.triggered == Some(id)
                    {
                        // Wait for the next one.
                        f.triggered = None;
                    }
                    d.chain().checkpoint_aborted(id)?
                }
                Head::Input(dec, gates) => {
                    if inst.checkpoints.aligner.abort(id) {
                        release_alignment(gates, &mut inst.checkpoints);
                    }
                    dec.chain().checkpoint_aborted(id)?;
                }
            },
        }
    }
    Ok(())
}

/// Unblocks every channel; the held remainders are processed next, before
/// any newer buffer of their channels.
fn release_alignment(gates: &mut [GateState], ck: &mut Checkpoints) {
    for g in gates.iter_mut() {
        g.gate.unblock_all();
    }
    ck.ready.extend(ck.held.drain(..));
}

/// All barriers of a checkpoint arrived: snapshot the chain, forward the
/// barrier, hand the snapshot to the uploader, unblock.
fn complete_alignment(
    decoder: &mut dyn InputDecoder,
    gates: &mut [GateState],
    ck: &mut Checkpoints,
    barrier: CheckpointBarrier,
) -> OpResult {
    let mut collector = SnapshotCollector::default();
    decoder.chain().checkpoint(&barrier, &mut collector)?;
    ck.uploader.submit(barrier.id, collector);
    release_alignment(gates, ck);
    Ok(())
}

/// Processes (the rest of) a buffer of `gate`/`channel` from `pos`,
/// reacting to barriers in it.
fn process_buffer(
    decoder: &mut dyn InputDecoder,
    gates: &mut [GateState],
    valve: &mut WatermarkValve,
    ck: &mut Checkpoints,
    held: Held,
) -> OpResult {
    let Held {
        gate,
        channel,
        data,
        mut pos,
    } = held;
    let (input, ch) = match gates.get(gate) {
        Some(g) => (g.target_input, g.channel_offset + channel),
        None => return Ok(()),
    };
    loop {
        match decoder.process(input, ch, &data, pos, valve)? {
            Decoded::Done => return Ok(()),
            Decoded::Barrier { barrier, next_pos } => {
                pos = next_pos;
                let (outcome, aborted) = ck.aligner.on_barrier(ch, barrier);
                if let Some(old) = aborted {
                    ck.events.checkpoint_declined(
                        ck.attempt,
                        old,
                        format!(
                            "barrier alignment of checkpoint {old} aborted by barrier {} of a \
                             newer checkpoint",
                            barrier.id
                        ),
                    );
                    release_alignment(gates, ck);
                }
                match outcome {
                    BarrierOutcome::Stale => {}
                    BarrierOutcome::Aligned(b) => complete_alignment(decoder, gates, ck, b)?,
                    BarrierOutcome::Block => {
                        gates[gate].gate.block_channel(channel);
                        if pos < data.len() {
                            ck.held.push(Held {
                                gate,
                                channel,
                                data,
                                pos,
                            });
                        }
                        return Ok(());
                    }
                }
            }
        }
    }
}

fn drive(
    inst: &mut Instance,
    control: &StreamTaskControl,
    commands: &crossbeam_channel::Receiver<Command>,
) -> Result<Outcome, Box<OperatorError>> {
    let mut next_tick = Instant::now();
    loop {
        if control.cancelled.load(Ordering::Relaxed) {
            return Ok(Outcome::Canceled);
        }
        handle_commands(commands, inst)?;
        let now = Instant::now();
        if now >= next_tick {
            next_tick = now + TICK;
            match &mut inst.head {
                Head::Source(d, _) => d.chain().processing_time(now_ms())?,
                Head::Input(dec, _) => dec.chain().processing_time(now_ms())?,
            }
        }
        match &mut inst.head {
            Head::Source(driver, _) => {
                if let Some(f) = &inst.finishing {
                    if f.done {
                        driver.chain().end_input()?;
                        return Ok(Outcome::Finished);
                    }
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                }
                match driver.poll()? {
                    SourceStatus::MoreAvailable => {}
                    SourceStatus::NothingAvailable => std::thread::sleep(Duration::from_millis(1)),
                    SourceStatus::Finished => {
                        // The end of a bounded input is the end of event time:
                        // every timer and window fires (streaming and batch alike).
                        driver.chain().watermark(i64::MAX)?;
                        if inst.checkpointing {
                            tracing::debug!("input ended; waiting for a final checkpoint");
                            inst.finishing = Some(FinalCheckpoint::default());
                        } else {
                            driver.chain().end_input()?;
                            return Ok(Outcome::Finished);
                        }
                    }
                }
            }
            Head::Input(decoder, gates) => {
                let ck = &mut inst.checkpoints;
                // Data held back during an alignment goes first.
                while let Some(h) = ck.ready.pop_front() {
                    process_buffer(&mut **decoder, gates, &mut inst.valve, ck, h)?;
                }
                let single = gates.len() == 1;
                let mut all_finished = true;
                let mut progressed = false;
                for gi in 0..gates.len() {
                    if gates[gi].finished {
                        continue;
                    }
                    all_finished = false;
                    let wait = next_tick.saturating_duration_since(Instant::now());
                    let g = &mut gates[gi];
                    let ev = if single {
                        g.gate.next_timeout(Some(wait))?
                    } else {
                        g.gate.poll()?
                    };
                    match ev {
                        GateEvent::Buffer { channel, data } => {
                            progressed = true;
                            let held = Held {
                                gate: gi,
                                channel,
                                data,
                                pos: 0,
                            };
                            process_buffer(&mut **decoder, gates, &mut inst.valve, ck, held)?;
                            if !ck.ready.is_empty() {
                                // An alignment ended: its held data first.
                                break;
                            }
                        }
                        GateEvent::ChannelFinished { channel } => {
                            progressed = true;
                            let ch = g.channel_offset + channel;
                            if let Some(wm) = inst.valve.channel_finished(ch) {
                                decoder.chain().watermark(wm)?;
                            }
                            if let Some(b) = ck.aligner.on_channel_finished(ch) {
                                complete_alignment(&mut **decoder, gates, ck, b)?;
                                break;
                            }
                        }
                        GateEvent::AllFinished => {
                            progressed = true;
                            g.finished = true;
                        }
                        GateEvent::Timeout => {}
                    }
                }
                if all_finished {
                    decoder.chain().end_input()?;
                    return Ok(Outcome::Finished);
                }
                if !single && !progressed {
                    std::thread::sleep(Duration::from_micros(200));
                }
            }
        }
    }
}
