//! Which state handles a subtask restores (Flink `StateAssignmentOperation`).
//!
//! * **Keyed state** (handles with key groups): every handle whose key
//!   groups overlap the subtask's key-group range. The task reads only its
//!   own key groups from them (the offsets say where each group starts).
//!   This is what makes rescaling work: key groups never split.
//! * **Operator state** (handles without key groups): with unchanged
//!   parallelism, the handles of the same subtask index; with another
//!   parallelism, the union of all subtasks' operator-state handles goes to
//!   every subtask and the operator decides what it keeps (e.g. a source
//!   keeps the splits `split % parallelism == subtask`).

use crate::error::{CheckpointError, Result};
use crate::metadata::OperatorState;
use flink_types::{StateHandle, key_group_range_for_operator};

/// The handles subtask `subtask` of an operator now running with
/// `parallelism` / `max_parallelism` restores from `state`.
/// `source` names the checkpoint for errors.
pub fn assign_subtask_state(
    uid: &str,
    state: &OperatorState,
    parallelism: u32,
    max_parallelism: u32,
    subtask: u32,
    source: &str,
) -> Result<Vec<StateHandle>> {
    let keyed = state
        .subtasks
        .values()
        .flatten()
        .any(|h| !h.key_group_offsets.is_empty());
    if keyed && state.max_parallelism != max_parallelism {
        return Err(CheckpointError::MaxParallelismMismatch {
            uid: uid.to_string(),
            job: max_parallelism,
            state: state.max_parallelism,
            path: source.to_string(),
        });
    }
    let range = key_group_range_for_operator(max_parallelism, parallelism, subtask);
    let mut out = Vec::new();
    for (&i, handles) in &state.subtasks {
        for h in handles {
            let take = if h.key_group_offsets.is_empty() {
                state.parallelism != parallelism || i == subtask
            } else {
                h.key_group_offsets
                    .iter()
                    .any(|(kg, _)| range.contains(*kg))
            };
            if take {
                out.push(h.clone());
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flink_types::StateLocation;
    use std::collections::BTreeMap;

    fn keyed(groups: std::ops::Range<u32>) -> StateHandle {
        StateHandle {
            location: StateLocation::File(format!("file:///k{}", groups.start)),
            key_group_offsets: groups.map(|g| (g, g as u64 * 10)).collect(),
            size: 1,
        }
    }
    fn op(i: u32) -> StateHandle {
        StateHandle {
            location: StateLocation::Inline(vec![i as u8]),
            key_group_offsets: vec![],
            size: 1,
        }
    }
    fn state_p2() -> OperatorState {
        // max parallelism 8 at p=2: subtask 0 has 0..4, subtask 1 has 4..8.
        OperatorState {
            parallelism: 2,
            max_parallelism: 8,
            subtasks: BTreeMap::from([
                (0, vec![keyed(0..4), op(0)]),
                (1, vec![keyed(4..8), op(1)]),
            ]),
        }
    }

    #[test]
    fn same_parallelism_gets_its_own_state() {
        let s = state_p2();
        assert_eq!(
            assign_subtask_state("u", &s, 2, 8, 1, "x").unwrap(),
            vec![keyed(4..8), op(1)]
        );
    }

    #[test]
    fn scale_out_and_in_by_key_group() {
        let s = state_p2();
        // p=4: subtask 1 owns 2..4 (from old 0), subtask 2 owns 4..6 (old 1).
        let a1 = assign_subtask_state("u", &s, 4, 8, 1, "x").unwrap();
        assert_eq!(a1, vec![keyed(0..4), op(0), op(1)]);
        let a2 = assign_subtask_state("u", &s, 4, 8, 2, "x").unwrap();
        assert_eq!(a2, vec![op(0), keyed(4..8), op(1)]);
        // p=1: everything.
        let all = assign_subtask_state("u", &s, 1, 8, 0, "x").unwrap();
        assert_eq!(all.len(), 4);
    }

    #[test]
    fn max_parallelism_cannot_change_for_keyed_state() {
        let e = assign_subtask_state("u", &state_p2(), 2, 16, 0, "sp")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("max parallelism 16") && e.contains("max parallelism 8"),
            "{e}"
        );
    }
}
