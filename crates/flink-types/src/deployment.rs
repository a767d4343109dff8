//! What the JobManager sends to a TaskManager to run one subtask
//! (Flink `TaskDeploymentDescriptor`), and where producers live.

use crate::ids::{AllocationId, ExecutionAttemptId, JobId, ResourceId, ResultPartitionId};
use crate::job_graph::{ProgramRef, ShipStrategy};
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
