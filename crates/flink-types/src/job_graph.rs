//! The serializable job graph: what a client submits and what the
//! JobManager schedules. It carries no user code; TaskManagers rebuild
//! operator closures from the [`ProgramRef`] (see docs/user-jobs.md).

use crate::ids::{JobId, JobVertexId};
use crate::status::RuntimeMode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a job's user code lives, so every process can rebuild its operators.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct ProgramRef {
    /// Name of the program in the executing binary's program registry,
    /// e.g. `example:wordcount`, or `main` for a user bundle's program.
    pub name: String,
    /// Arguments the program was built with (the job args after the bundle).
    pub args: Vec<String>,
    /// File name of the bundle executable that contains the program, when it
    /// is not built into flink-rs (`None` for built-in examples).
    pub bundle: Option<String>,
}

/// How records move along a [`JobEdge`] (Flink `StreamPartitioner`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Debug)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShipStrategy {
    /// One-to-one to the subtask with the same index (same parallelism).
    Forward,
    /// Round-robin over all consumers.
    Rebalance,
    /// Round-robin over a local subset of consumers.
    Rescale,
    /// By key group of the record's key (`key_by`).
    Hash,
    /// Every record to every consumer.
    Broadcast,
    /// Everything to consumer 0.
    Global,
}

impl ShipStrategy {
    /// Flink's name as shown in plans ("FORWARD", "HASH", ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Forward => "FORWARD",
            Self::Rebalance => "REBALANCE",
            Self::Rescale => "RESCALE",
            Self::Hash => "HASH",
            Self::Broadcast => "BROADCAST",
            Self::Global => "GLOBAL",
        }
    }
    /// Whether the consumer subtask `c` reads from producer subtask `p`.
    pub fn connects(self, p: u32, producers: u32, c: u32, consumers: u32) -> bool {
        match self {
            Self::Forward => p == c,
            Self::Global => c == 0,
            Self::Rescale => rescale_targets(p, producers, consumers).contains(&c),
            Self::Rebalance | Self::Hash | Self::Broadcast => true,
        }
    }
    /// The consumer subtasks producer `p` writes to, in subpartition order.
    pub fn targets(self, p: u32, producers: u32, consumers: u32) -> Vec<u32> {
        match self {
            Self::Forward => vec![p],
            Self::Global => vec![0],
            Self::Rescale => rescale_targets(p, producers, consumers),
            Self::Rebalance | Self::Hash | Self::Broadcast => (0..consumers).collect(),
        }
    }
}

/// Consumers of producer `p` under RESCALE: a contiguous block of the
/// consumers (or the one consumer whose block contains `p`).
fn rescale_targets(p: u32, producers: u32, consumers: u32) -> Vec<u32> {
    if producers == 0 || consumers == 0 {
        return Vec::new();
    }
    if consumers >= producers {
        let start = (p as u64 * consumers as u64 / producers as u64) as u32;
        let end = ((p as u64 + 1) * consumers as u64 / producers as u64) as u32;
        (start..end.max(start + 1)).collect()
    } else {
        vec![(p as u64 * consumers as u64 / producers as u64) as u32]
    }
}

/// One chained operator inside a job vertex, for plans and the web UI.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct ChainedOperator {
    /// Index of the stream node in the program's stream graph.
    pub stream_node: u32,
    /// Operator name (e.g. "Map", "Window(TumblingEventTimeWindows(5000))").
    pub name: String,
    /// User-set uid (for state mapping across savepoints), else a generated one.
    pub uid: String,
}

/// One vertex of the job graph: a chain of operators run by one task per subtask.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct JobVertex {
    /// Position in [`JobGraph::vertices`].
    pub id: JobVertexId,
    /// Display name: the chained operator names joined by " -> ".
    pub name: String,
    /// Number of parallel subtasks.
    pub parallelism: u32,
    /// Upper bound for rescaling; the number of key groups.
    pub max_parallelism: u32,
    /// Vertices in the same group may share a slot.
    pub slot_sharing_group: String,
    /// The operators chained into this vertex, head first.
    pub operators: Vec<ChainedOperator>,
    /// Whether the head operator is a source.
    pub is_source: bool,
}

/// One edge of the job graph.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct JobEdge {
    /// Producing vertex.
    pub source: JobVertexId,
    /// Consuming vertex.
    pub target: JobVertexId,
    /// Partitioning of records along the edge.
    pub ship_strategy: ShipStrategy,
    /// Which logical input of the target this edge feeds (0, or 1 for the
    /// second input of a two-input operator).
    pub target_input: u32,
    /// Stream node in the source vertex whose output feeds this edge.
    pub source_node: u32,
    /// Stream node in the target vertex that consumes this edge.
    pub target_node: u32,
}

/// The job graph (Flink `JobGraph`).
#[derive(Clone, PartialEq, Serialize, Deserialize, Debug)]
pub struct JobGraph {
    /// The job id (fixed by the client; deterministic in HA application mode).
    pub job_id: JobId,
    /// Job name.
    pub name: String,
    /// Where the user code lives.
    pub program: ProgramRef,
    /// Vertices in topological order.
    pub vertices: Vec<JobVertex>,
    /// Edges; an edge's index identifies its result partitions.
    pub edges: Vec<JobEdge>,
    /// Streaming or batch.
    pub runtime_mode: RuntimeMode,
    /// Job-level configuration (effective `-D` values and config file entries
    /// that concern the job: restart strategy, checkpointing, ...).
    pub config: BTreeMap<String, String>,
}

impl JobGraph {
    /// The edges consumed by `vertex`, in edge order.
    pub fn inputs_of(&self, vertex: JobVertexId) -> impl Iterator<Item = (u32, &JobEdge)> {
        self.edges
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.target == vertex)
            .map(|(i, e)| (i as u32, e))
    }
    /// The edges produced by `vertex`, in edge order.
    pub fn outputs_of(&self, vertex: JobVertexId) -> impl Iterator<Item = (u32, &JobEdge)> {
        self.edges
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.source == vertex)
            .map(|(i, e)| (i as u32, e))
    }
    /// Looks up a vertex by id.
    pub fn vertex(&self, id: JobVertexId) -> Option<&JobVertex> {
        self.vertices.get(id.0 as usize).filter(|v| v.id == id)
    }
    /// Total number of subtasks over all vertices.
    pub fn num_subtasks(&self) -> u32 {
        self.vertices.iter().map(|v| v.parallelism).sum()
    }
    /// Number of slots the job needs with slot sharing: per sharing group the
    /// maximum parallelism of its vertices, summed over groups.
    pub fn required_slots(&self) -> u32 {
        let mut per_group: BTreeMap<&str, u32> = BTreeMap::new();
        for v in &self.vertices {
            let e = per_group.entry(v.slot_sharing_group.as_str()).or_default();
            *e = (*e).max(v.parallelism);
        }
        per_group.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescale_covers_every_consumer_exactly_once() {
        for (producers, consumers) in [(2, 4), (4, 2), (3, 7), (7, 3), (1, 5), (5, 1)] {
            let mut seen = vec![0; consumers as usize];
            for p in 0..producers {
                for c in ShipStrategy::Rescale.targets(p, producers, consumers) {
                    seen[c as usize] += 1;
                    assert!(ShipStrategy::Rescale.connects(p, producers, c, consumers));
                }
            }
            assert!(
                seen.iter().all(|&n| n >= 1),
                "{producers}->{consumers}: {seen:?}"
            );
        }
    }
}
