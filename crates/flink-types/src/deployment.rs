//! What the JobManager sends to a TaskManager to run one subtask
//! (Flink `TaskDeploymentDescriptor`), and where producers live.

use crate::ids::{
    AllocationId, ExecutionAttemptId, JobId, JobVertexId, ResourceId, ResultPartitionId,
};
use crate::job_graph::{JobGraph, ProgramRef, ShipStrategy};
use crate::status::RuntimeMode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a TaskManager can be reached.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Debug)]
pub struct TaskManagerLocation {
    /// The TaskManager's id.
    pub resource_id: ResourceId,
    /// `host:port` of its gRPC control endpoint.
    pub rpc_address: String,
    /// `host:port` of its data-plane (shuffle) server.
    pub data_address: String,
}

/// One upstream partition a consumer reads, with the producer's location.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct InputChannelDescriptor {
    /// The producer's result partition.
    pub partition: ResultPartitionId,
    /// Which subpartition of it this consumer reads.
    pub subpartition: u32,
    /// Where the producer runs.
    pub producer_location: TaskManagerLocation,
}

/// All channels of one logical input of a subtask (Flink `InputGate`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct InputGateDescriptor {
    /// Index of the job edge this gate consumes.
    pub edge: u32,
    /// Logical input of the head operator (0 or 1).
    pub target_input: u32,
    /// Stream node that consumes the gate.
    pub target_node: u32,
    /// One channel per connected producer subtask, in producer-subtask order.
    pub channels: Vec<InputChannelDescriptor>,
}

/// One output of a subtask: a result partition with one subpartition per
/// connected consumer subtask.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct ResultPartitionDescriptor {
    /// The partition id.
    pub partition: ResultPartitionId,
    /// Stream node whose output feeds this partition.
    pub source_node: u32,
    /// Stream node (in the consumer vertex) that consumes this partition
    /// (the job edge's `target_node`); identifies the stream edge, e.g. to
    /// find the key selector of a HASH edge.
    pub target_node: u32,
    /// Logical input of the consumer (the job edge's `target_input`).
    pub target_input: u32,
    /// Partitioning.
    pub ship_strategy: ShipStrategy,
    /// Consumer parallelism.
    pub num_consumers: u32,
    /// Consumer subtask of each subpartition, in subpartition order.
    pub consumer_subtasks: Vec<u32>,
    /// Consumer max parallelism (for HASH: the number of key groups).
    pub consumer_max_parallelism: u32,
}

/// State handed to a subtask when it starts from a checkpoint or savepoint.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug, Default)]
pub struct TaskRestore {
    /// Checkpoint id restored from.
    pub checkpoint_id: u64,
    /// Per operator uid: the state files this subtask must read.
    pub operator_state: BTreeMap<String, Vec<StateHandle>>,
}

/// A pointer to one piece of snapshotted state.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct StateHandle {
    /// Location (`file://...`, `hdfs://...`), or inline bytes if small.
    pub location: StateLocation,
    /// Key groups covered and each group's byte offset in the file
    /// (empty for operator, non-keyed, state).
    pub key_group_offsets: Vec<(u32, u64)>,
    /// Size in bytes.
    pub size: u64,
}

/// Where the bytes of a [`StateHandle`] live.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub enum StateLocation {
    /// A file in checkpoint storage.
    File(String),
    /// Small state kept inline in the checkpoint metadata.
    Inline(Vec<u8>),
}

/// Everything a TaskManager needs to run one subtask.
#[derive(Clone, PartialEq, Serialize, Deserialize, Debug)]
pub struct TaskDeploymentDescriptor {
    /// The job.
    pub job_id: JobId,
    /// Job name (for logs and thread names).
    pub job_name: String,
    /// Where the user code lives.
    pub program: ProgramRef,
    /// Streaming or batch.
    pub runtime_mode: RuntimeMode,
    /// The attempt to run.
    pub attempt: ExecutionAttemptId,
    /// The slot it runs in.
    pub allocation_id: AllocationId,
    /// Vertex name.
    pub vertex_name: String,
    /// Stream nodes chained in this vertex, head first.
    pub chained_nodes: Vec<u32>,
    /// Vertex parallelism.
    pub parallelism: u32,
    /// Vertex max parallelism (number of key groups).
    pub max_parallelism: u32,
    /// Inputs, one per consumed edge.
    pub inputs: Vec<InputGateDescriptor>,
    /// Outputs, one per produced edge.
    pub outputs: Vec<ResultPartitionDescriptor>,
    /// State to restore, if any.
    pub restore: Option<TaskRestore>,
    /// Job configuration.
    pub config: BTreeMap<String, String>,
}

impl TaskDeploymentDescriptor {
    /// Readable name of the subtask, as Flink prints it: `Name (2/4)#0`.
    pub fn task_name_with_subtask(&self) -> String {
        format!(
            "{} ({}/{})#{}",
            self.vertex_name,
            self.attempt.subtask + 1,
            self.parallelism,
            self.attempt.attempt
        )
    }
}

/// Where one subtask of the current deployment runs.
#[derive(Clone, Debug)]
pub struct Placement {
    /// Its slot.
    pub allocation_id: AllocationId,
    /// Its TaskManager.
    pub location: TaskManagerLocation,
}

/// Builds the deployment descriptor of subtask `subtask` of `vertex` for
/// attempt number `attempt`; `placement(v, i)` gives where subtask `i` of
/// vertex `v` runs.
pub fn build_tdd(
    g: &JobGraph,
    vertex: JobVertexId,
    subtask: u32,
    attempt: u32,
    placement: &dyn Fn(JobVertexId, u32) -> Placement,
) -> Option<TaskDeploymentDescriptor> {
    let v = g.vertex(vertex)?;
    let attempt_id = |vx: JobVertexId, st: u32| ExecutionAttemptId {
        job_id: g.job_id,
        vertex: vx,
        subtask: st,
        attempt,
    };
    let mut inputs = Vec::new();
    for (edge_idx, e) in g.inputs_of(vertex) {
        let producer = g.vertex(e.source)?;
        let (pp, cp) = (producer.parallelism, v.parallelism);
        let mut channels = Vec::new();
        for ps in 0..pp {
            if !e.ship_strategy.connects(ps, pp, subtask, cp) {
                continue;
            }
            let targets = e.ship_strategy.targets(ps, pp, cp);
            let Some(sub) = targets.iter().position(|&c| c == subtask) else {
                continue;
            };
            channels.push(InputChannelDescriptor {
                partition: ResultPartitionId {
                    producer: attempt_id(e.source, ps),
                    edge: edge_idx,
                },
                subpartition: sub as u32,
                producer_location: placement(e.source, ps).location,
            });
        }
        inputs.push(InputGateDescriptor {
            edge: edge_idx,
            target_input: e.target_input,
            target_node: e.target_node,
            channels,
        });
    }
    let mut outputs = Vec::new();
    for (edge_idx, e) in g.outputs_of(vertex) {
        let consumer = g.vertex(e.target)?;
        outputs.push(ResultPartitionDescriptor {
            partition: ResultPartitionId {
                producer: attempt_id(vertex, subtask),
                edge: edge_idx,
            },
            source_node: e.source_node,
            target_node: e.target_node,
            target_input: e.target_input,
            ship_strategy: e.ship_strategy,
            num_consumers: consumer.parallelism,
            consumer_subtasks: e.ship_strategy.targets(
                subtask,
                v.parallelism,
                consumer.parallelism,
            ),
            consumer_max_parallelism: consumer.max_parallelism,
        });
    }
    let here = placement(vertex, subtask);
    Some(TaskDeploymentDescriptor {
        job_id: g.job_id,
        job_name: g.name.clone(),
        program: g.program.clone(),
        runtime_mode: g.runtime_mode,
        attempt: attempt_id(vertex, subtask),
        allocation_id: here.allocation_id,
        vertex_name: v.name.clone(),
        chained_nodes: v.operators.iter().map(|o| o.stream_node).collect(),
        parallelism: v.parallelism,
        max_parallelism: v.max_parallelism,
        inputs,
        outputs,
        restore: None,
        config: g.config.clone(),
    })
}
