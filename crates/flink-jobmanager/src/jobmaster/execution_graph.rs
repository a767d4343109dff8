//! From a job graph and allocated slots to deployment descriptors:
//! slot sharing and input/output wiring.

use flink_types::JobGraph;
use std::collections::BTreeMap;

/// Flink's upper bound for (max) parallelism.
pub const MAX_PARALLELISM: u32 = 32768;

/// Checks that a submitted job graph is consistent.
pub fn validate_job_graph(g: &JobGraph) -> Result<(), String> {
    if g.vertices.is_empty() {
        return Err("the job has no vertices".into());
    }
    for (i, v) in g.vertices.iter().enumerate() {
        if v.id.0 as usize != i {
            return Err(format!(
                "vertex '{}' has id {} but is at position {i}; ids must equal positions",
                v.name, v.id.0
            ));
        }
        if v.parallelism == 0 {
            return Err(format!(
                "vertex '{}' has parallelism 0; use at least 1",
                v.name
            ));
        }
        if v.max_parallelism > MAX_PARALLELISM {
            return Err(format!(
                "vertex '{}' has max parallelism {}; the upper bound is {MAX_PARALLELISM}",
                v.name, v.max_parallelism
            ));
        }
        if v.max_parallelism < v.parallelism {
            return Err(format!(
                "vertex '{}' has parallelism {} above its max parallelism {}",
                v.name, v.parallelism, v.max_parallelism
            ));
        }
    }
    for (i, e) in g.edges.iter().enumerate() {
        let (Some(s), Some(t)) = (g.vertex(e.source), g.vertex(e.target)) else {
            return Err(format!("edge {i} references an unknown vertex"));
        };
        if e.ship_strategy == flink_types::ShipStrategy::Forward && s.parallelism != t.parallelism {
            return Err(format!(
                "FORWARD edge {i} from '{}' (parallelism {}) to '{}' (parallelism {}) needs equal \
                 parallelism; use rebalance() or set the same parallelism",
                s.name, s.parallelism, t.name, t.parallelism
            ));
        }
    }
    Ok(())
}

/// Slot-sharing layout: per vertex, the index of the first slot of its
/// group; subtask `i` of the vertex runs in slot `offset + i`.
pub fn slot_offsets(g: &JobGraph) -> Vec<u32> {
    let mut group_width: Vec<(&str, u32)> = Vec::new();
    for v in &g.vertices {
        match group_width
            .iter_mut()
            .find(|(n, _)| *n == v.slot_sharing_group)
        {
            Some((_, w)) => *w = (*w).max(v.parallelism),
            None => group_width.push((&v.slot_sharing_group, v.parallelism)),
        }
    }
    let mut offsets = BTreeMap::new();
    let mut next = 0;
    for (name, w) in &group_width {
        offsets.insert(*name, next);
        next += w;
    }
    g.vertices
        .iter()
        .map(|v| {
            offsets
                .get(v.slot_sharing_group.as_str())
                .copied()
                .unwrap_or(0)
        })
        .collect()
}

pub use flink_types::{Placement, build_tdd};

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use flink_types::*;

    /// source(p) -HASH-> sink(p), optionally with a FORWARD map in between.
    pub(crate) fn graph(parallelism: u32, groups: [&str; 3]) -> JobGraph {
        let vertex = |id: u32, name: &str, group: &str| JobVertex {
            id: JobVertexId(id),
            name: name.into(),
            parallelism,
            max_parallelism: 128,
            slot_sharing_group: group.into(),
            operators: vec![ChainedOperator {
                stream_node: id * 10,
                name: name.into(),
                uid: format!("uid-{id}"),
            }],
            is_source: id == 0,
        };
        let edge = |s: u32, t: u32, ship| JobEdge {
            source: JobVertexId(s),
            target: JobVertexId(t),
            ship_strategy: ship,
            target_input: 0,
            source_node: s * 10,
            target_node: t * 10,
        };
        JobGraph {
            job_id: JobId::generate(),
            name: "test".into(),
            program: ProgramRef {
                name: "p".into(),
                args: vec![],
                bundle: None,
            },
            vertices: vec![
                vertex(0, "Source", groups[0]),
                vertex(1, "Map", groups[1]),
                vertex(2, "Sink", groups[2]),
            ],
            edges: vec![
                edge(0, 1, ShipStrategy::Forward),
                edge(1, 2, ShipStrategy::Hash),
            ],
            runtime_mode: RuntimeMode::Streaming,
            config: Default::default(),
        }
    }

    fn loc(slot: u32) -> TaskManagerLocation {
        TaskManagerLocation {
            resource_id: ResourceId(format!("tm-{}", slot / 2)),
            rpc_address: format!("h:{}", slot / 2),
            data_address: format!("h:{}", 100 + slot / 2),
        }
    }

    #[test]
    fn slot_sharing_puts_subtask_columns_together() {
        let g = graph(4, ["default"; 3]);
        assert_eq!(g.required_slots(), 4);
        assert_eq!(slot_offsets(&g), vec![0, 0, 0]);
        let g = graph(4, ["a", "b", "a"]);
        assert_eq!(g.required_slots(), 8);
        assert_eq!(slot_offsets(&g), vec![0, 4, 0]);
    }

    #[test]
    fn tdds_wire_forward_and_hash_edges() {
        let g = graph(4, ["default"; 3]);
        let offsets = slot_offsets(&g);
        let allocs: Vec<AllocationId> = (0..4).map(|_| AllocationId::generate()).collect();
        let place = |v: JobVertexId, i: u32| {
            let slot = offsets[v.0 as usize] + i;
            Placement {
                allocation_id: allocs[slot as usize],
                location: loc(slot),
            }
        };
        // Map subtask 2: one FORWARD channel from source 2, HASH output to 4 sinks.
        let map = build_tdd(&g, JobVertexId(1), 2, 0, &place).unwrap();
        assert_eq!(map.inputs.len(), 1);
        assert_eq!(map.inputs[0].channels.len(), 1);
        let ch = &map.inputs[0].channels[0];
        assert_eq!(ch.partition.producer.subtask, 2);
        assert_eq!(ch.partition.producer.vertex, JobVertexId(0));
        assert_eq!(ch.subpartition, 0);
        assert_eq!(ch.producer_location, loc(2));
        assert_eq!(map.outputs.len(), 1);
        assert_eq!(map.outputs[0].consumer_subtasks, vec![0, 1, 2, 3]);
        assert_eq!(map.outputs[0].ship_strategy, ShipStrategy::Hash);
        assert_eq!(map.allocation_id, allocs[2]);
        // Sink subtask 3: 4 HASH channels, subpartition 3 of each map producer.
        let sink = build_tdd(&g, JobVertexId(2), 3, 1, &place).unwrap();
        assert_eq!(sink.inputs[0].channels.len(), 4);
        for (p, ch) in sink.inputs[0].channels.iter().enumerate() {
            assert_eq!(ch.partition.producer.subtask, p as u32);
            assert_eq!(ch.partition.producer.attempt, 1);
            assert_eq!(ch.partition.edge, 1);
            assert_eq!(ch.subpartition, 3);
            assert_eq!(ch.producer_location, loc(p as u32));
        }
        assert!(sink.outputs.is_empty());
        assert_eq!(sink.chained_nodes, vec![20]);
    }

    #[test]
    fn validation_names_the_problem() {
        let mut g = graph(2, ["default"; 3]);
        g.vertices[1].parallelism = 3;
        let e = validate_job_graph(&g).unwrap_err();
        assert!(e.contains("FORWARD edge 0"), "{e}");
        let mut g = graph(2, ["default"; 3]);
        g.vertices[0].parallelism = 0;
        assert!(
            validate_job_graph(&g)
                .unwrap_err()
                .contains("parallelism 0")
        );
        assert!(validate_job_graph(&graph(2, ["default"; 3])).is_ok());
    }
}
