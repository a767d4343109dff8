//! Keyed operators on a [`KeyedStream`](crate::api::KeyedStream): rolling
//! `reduce` and `sum`. Per-key state lives in a hash map and is snapshotted
//! by key group, so a restore can change parallelism.

use crate::element::{CheckpointBarrier, codec};
use crate::runtime::operator::{RuntimeContext, StreamOperator};
use crate::runtime::output::{OpResult, OperatorError, Output};
use crate::runtime::snapshot::OperatorSnapshot;
use rustc_hash::FxHashMap;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::hash::Hash;
use std::sync::Arc;

/// Extracts the key of a record.
pub type KeySelector<T, K> = Arc<dyn Fn(&T) -> K + Send + Sync>;

/// Stable 64-bit hash of a key, shared with the state backend: the same in
/// every process running the same binary (FxHash has no random seed).
pub use flink_state::stable_hash;

/// Trait bound shorthand for keys.
pub trait Key: Hash + Eq + Clone + Serialize + DeserializeOwned + Send + 'static {}
impl<K: Hash + Eq + Clone + Serialize + DeserializeOwned + Send + 'static> Key for K {}

/// Serializes a keyed map grouped by key group.
pub fn snapshot_keyed_map<K: Key, V: Serialize>(
    uid: &str,
    map: &FxHashMap<K, V>,
    max_parallelism: u32,
) -> Result<OperatorSnapshot, Box<OperatorError>> {
    let mut groups: BTreeMap<u32, Vec<(&K, &V)>> = BTreeMap::new();
    for (k, v) in map {
        let kg = flink_types::key_group_for_hash(stable_hash(k), max_parallelism);
        groups.entry(kg).or_default().push((k, v));
    }
    let mut key_groups = Vec::with_capacity(groups.len());
    for (kg, entries) in groups {
        let bytes = bincode::serde::encode_to_vec(&entries, codec())
            .map_err(|e| Box::new(OperatorError::Element(e.into())))?;
        key_groups.push((kg, bytes));
    }
    Ok(OperatorSnapshot {
        uid: uid.to_string(),
        key_groups,
        operator_state: None,
    })
}

/// Restores entries of a keyed map from one key group's blob.
pub fn restore_keyed_map<K: Key, V: DeserializeOwned>(
    map: &mut FxHashMap<K, V>,
    bytes: &[u8],
) -> OpResult {
    let (entries, _): (Vec<(K, V)>, usize) = bincode::serde::decode_from_slice(bytes, codec())
        .map_err(|e| Box::new(OperatorError::Other(format!("corrupt keyed state: {e}"))))?;
    map.extend(entries);
    Ok(())
}

/// Rolling reduce: emits the new aggregate for every input record.
pub struct ReduceOperator<T, K, F> {
    key: KeySelector<T, K>,
    f: F,
    state: FxHashMap<K, T>,
    uid: String,
    max_parallelism: u32,
}

impl<T, K, F> ReduceOperator<T, K, F> {
    /// A reduce with key selector and reduce function.
    pub fn new(key: KeySelector<T, K>, f: F, ctx: &RuntimeContext) -> Self {
        Self {
            key,
            f,
            state: FxHashMap::default(),
            uid: ctx.operator_uid.clone(),
            max_parallelism: ctx.max_parallelism,
        }
    }
}

impl<T, K, F> StreamOperator<T, T> for ReduceOperator<T, K, F>
where
    T: Clone + Serialize + DeserializeOwned + Send + 'static,
    K: Key,
    F: FnMut(T, T) -> T + Send,
{
    fn open(&mut self, ctx: &RuntimeContext) -> OpResult {
        if let Some(restore) = &ctx.restore {
            for handle in restore.operator_state.get(&self.uid).into_iter().flatten() {
                if let flink_types::StateLocation::Inline(bytes) = &handle.location {
                    restore_keyed_map(&mut self.state, bytes)?;
                }
            }
            let range = ctx.key_group_range();
            let mp = self.max_parallelism;
            self.state
                .retain(|k, _| range.contains(flink_types::key_group_for_hash(stable_hash(k), mp)));
        }
        Ok(())
    }

    #[inline]
    fn process(&mut self, value: T, ts: Option<i64>, out: &mut dyn Output<T>) -> OpResult {
        let k = (self.key)(&value);
        let next = match self.state.remove(&k) {
            Some(acc) => (self.f)(acc, value),
            None => value,
        };
        self.state.insert(k, next.clone());
        out.record(next, ts)
    }

    fn snapshot(
        &mut self,
        _b: &CheckpointBarrier,
    ) -> Result<Option<OperatorSnapshot>, Box<OperatorError>> {
        snapshot_keyed_map(&self.uid, &self.state, self.max_parallelism).map(Some)
    }
}
