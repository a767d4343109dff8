//! What operators write when they snapshot for a checkpoint.

/// State of one operator in one subtask for one checkpoint.
#[derive(Debug, Default, Clone)]
pub struct OperatorSnapshot {
    /// The operator uid.
    pub uid: String,
    /// Keyed state, one serialized blob per key group.
    pub key_groups: Vec<(u32, Vec<u8>)>,
    /// Non-keyed (operator) state, e.g. a source offset or a sink's pending files.
    pub operator_state: Option<Vec<u8>>,
}

/// Collects the operator snapshots of one subtask while a barrier walks the chain.
#[derive(Debug, Default)]
pub struct SnapshotCollector {
    /// Snapshots in chain order.
    pub operators: Vec<OperatorSnapshot>,
}

impl SnapshotCollector {
    /// Adds an operator's snapshot.
    pub fn add(&mut self, snapshot: OperatorSnapshot) {
        self.operators.push(snapshot);
    }
}
