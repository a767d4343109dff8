//! The stream task: runs one subtask (a chain of operators) on its own OS
//! thread. It instantiates the chain from the stream graph, wires network
//! inputs and outputs, and loops: read a buffer (or poll the source),
//! push its elements through the chain, tick processing time, obey
//! cancellation. A panic anywhere in user code fails the task with the
//! panic message and the operator's name.

use crate::graph::{Built, GraphError, StreamGraph};
use crate::registry::{ProgramRegistry, panic_message, settings_from_config};
use crate::runtime::chain::{Decoded, InputDecoder, SourceDriver, WatermarkValve};
use crate::runtime::operator::{RuntimeContext, current_operator};
use crate::runtime::output::{OpResult, OperatorError};
use crate::runtime::source::SourceStatus;
use flink_network::{Canceller, GateEvent, InputChannelSpec, InputGate, NetworkEnvironment};
use flink_types::{
    ExecutionState, JobId, RuntimeMode, TaskControl, TaskDeploymentDescriptor, TaskEvents,
    TaskFailure, TaskSpawner,
};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
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
        #[allow(dead_code)]
        timestamp: i64,
        #[allow(dead_code)]
        is_savepoint: bool,
    },
    CheckpointComplete(u64),
    CheckpointAborted(#[allow(dead_code)] u64),
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
    Source(Box<dyn SourceDriver>),
    Input(Box<dyn InputDecoder>, Vec<GateState>),
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
        let mut inst = instantiate(&tdd, &graph, &network, &settings, &control)?;
        *names2.lock() = inst.operator_names.clone();
        events.state_changed(attempt, ExecutionState::Running, None);
        tracing::debug!("running");
        drive(&mut inst, &control, &commands)
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

fn instantiate(
    tdd: &TaskDeploymentDescriptor,
    graph: &StreamGraph,
    network: &Arc<NetworkEnvironment>,
    settings: &StreamTaskSettings,
    control: &StreamTaskControl,
) -> Result<Instance, Box<OperatorError>> {
    let nodes = &tdd.chained_nodes;
    let config = Arc::new(tdd.config.clone());
    let restore = tdd.restore.clone().map(Arc::new);
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
                if let Some(state) = restore
                    .as_ref()
                    .and_then(|r| r.operator_state.get(&ctx.operator_uid))
                    .and_then(|h| h.first())
                    && let flink_types::StateLocation::Inline(bytes) = &state.location
                {
                    driver.restore(bytes)?;
                }
                driver.open(&ctx)?;
                head = Some(Head::Source(driver));
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
        Head::Source(_) => 0,
    };
    Ok(Instance {
        head,
        operator_names,
        valve: WatermarkValve::new(channels),
    })
}

const TICK: Duration = Duration::from_millis(10);

fn handle_commands(
    commands: &crossbeam_channel::Receiver<Command>,
    inst: &mut Instance,
) -> OpResult {
    while let Ok(cmd) = commands.try_recv() {
        match cmd {
            Command::TriggerCheckpoint { id, .. } => {
                tracing::debug!(
                    checkpoint = id,
                    "checkpoint trigger ignored: checkpointing is not available yet"
                );
            }
            Command::CheckpointComplete(id) => match &mut inst.head {
                Head::Source(d) => d.checkpoint_complete(id)?,
                Head::Input(dec, _) => dec.chain().checkpoint_complete(id)?,
            },
            Command::CheckpointAborted(_) => {}
        }
    }
    Ok(())
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
                Head::Source(d) => d.chain().processing_time(now_ms())?,
                Head::Input(dec, _) => dec.chain().processing_time(now_ms())?,
            }
        }
        match &mut inst.head {
            Head::Source(driver) => match driver.poll()? {
                SourceStatus::MoreAvailable => {}
                SourceStatus::NothingAvailable => std::thread::sleep(Duration::from_millis(1)),
                SourceStatus::Finished => {
                    // The end of a bounded input is the end of event time:
                    // every timer and window fires (streaming and batch alike).
                    driver.chain().watermark(i64::MAX)?;
                    driver.chain().end_input()?;
                    return Ok(Outcome::Finished);
                }
            },
            Head::Input(decoder, gates) => {
                let single = gates.len() == 1;
                let mut all_finished = true;
                let mut progressed = false;
                for g in gates.iter_mut() {
                    if g.finished {
                        continue;
                    }
                    all_finished = false;
                    let wait = next_tick.saturating_duration_since(Instant::now());
                    let ev = if single {
                        g.gate.next_timeout(Some(wait))?
                    } else {
                        g.gate.poll()?
                    };
                    match ev {
                        GateEvent::Buffer { channel, data } => {
                            progressed = true;
                            let ch = g.channel_offset + channel;
                            let mut pos = 0;
                            loop {
                                match decoder.process(
                                    g.target_input,
                                    ch,
                                    &data,
                                    pos,
                                    &mut inst.valve,
                                )? {
                                    Decoded::Done => break,
                                    Decoded::Barrier { next_pos, .. } => pos = next_pos,
                                }
                            }
                        }
                        GateEvent::ChannelFinished { channel } => {
                            progressed = true;
                            if let Some(wm) =
                                inst.valve.channel_finished(g.channel_offset + channel)
                            {
                                decoder.chain().watermark(wm)?;
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
