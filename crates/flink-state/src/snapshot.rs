//! Snapshot and restore of keyed state and timers, one blob per key group.
//!
//! A blob is the bincode encoding of [`KeyGroupBlob`]: format version, max
//! parallelism, key group, then one chunk per state (`Vec<(K, N, S)>`) and
//! the timers (`Vec<(i64, K, N)>` per time domain). A subtask restores the
//! blobs of all subtasks of the previous run and keeps those whose key group
//! it owns now, which is how parallelism changes across a restore. States
//! whose descriptor has not been used yet stay as bytes until first use
//! (and are written back unchanged by the next snapshot).

use crate::backend::{HeapKeyedStateBackend, PendingChunk, encode};
use crate::descriptor::StateKind;
use crate::error::StateError;
use crate::timers::InternalTimerService;
use crate::{Namespace, StateKey, StateValue, codec, key_group_of};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Format version of [`KeyGroupBlob`].
pub const FORMAT_VERSION: u32 = 1;

/// The serialized state of one key group.
#[derive(Serialize, Deserialize, Debug, Default)]
pub struct KeyGroupBlob {
    /// [`FORMAT_VERSION`].
    pub version: u32,
    /// Max parallelism the key group belongs to.
    pub max_parallelism: u32,
    /// The key group.
    pub key_group: u32,
    /// One chunk per state with entries in this key group.
    pub states: Vec<StateChunk>,
    /// Event-time timers, bincode `Vec<(i64, K, N)>` (empty: none).
    pub event_timers: Vec<u8>,
    /// Processing-time timers, bincode `Vec<(i64, K, N)>` (empty: none).
    pub processing_timers: Vec<u8>,
}

/// The entries of one state in one key group.
#[derive(Serialize, Deserialize, Debug)]
pub struct StateChunk {
    /// State name.
    pub name: String,
    /// State kind.
    pub kind: StateKind,
    /// bincode `Vec<(K, N, S)>`.
    pub entries: Vec<u8>,
}

fn encode_timers<'a, K: StateKey, N: Namespace>(
    timers: impl Iterator<Item = (i64, &'a K, &'a N)>,
    mp: u32,
    what: &str,
) -> Result<BTreeMap<u32, Vec<u8>>, StateError> {
    let mut groups: BTreeMap<u32, Vec<(i64, &K, &N)>> = BTreeMap::new();
    for (ts, k, n) in timers {
        groups
            .entry(key_group_of(k, mp))
            .or_default()
            .push((ts, k, n));
    }
    groups
        .into_iter()
        .map(|(kg, t)| Ok((kg, encode(&t, what)?)))
        .collect()
}

/// Serializes all keyed state and timers of an operator instance into one
/// blob per non-empty key group, ordered by key group.
pub fn snapshot_key_groups<K: StateKey, N: Namespace>(
    backend: &HeapKeyedStateBackend<K, N>,
    timers: &InternalTimerService<K, N>,
) -> Result<Vec<(u32, Vec<u8>)>, StateError> {
    let mp = backend.max_parallelism;
    let mut blobs: BTreeMap<u32, KeyGroupBlob> = BTreeMap::new();
    fn blob(blobs: &mut BTreeMap<u32, KeyGroupBlob>, mp: u32, kg: u32) -> &mut KeyGroupBlob {
        blobs.entry(kg).or_insert_with(|| KeyGroupBlob {
            version: FORMAT_VERSION,
            max_parallelism: mp,
            key_group: kg,
            ..KeyGroupBlob::default()
        })
    }
    for t in &backend.tables {
        for (kg, entries) in t.snapshot_chunks(mp)? {
            blob(&mut blobs, mp, kg).states.push(StateChunk {
                name: t.name().to_string(),
                kind: t.kind(),
                entries,
            });
        }
    }
    for p in &backend.pending {
        blob(&mut blobs, mp, p.key_group).states.push(StateChunk {
            name: p.name.clone(),
            kind: p.kind,
            entries: p.bytes.clone(),
        });
    }
    for (kg, bytes) in encode_timers(timers.event_time.iter(), mp, "event-time timers")? {
        blob(&mut blobs, mp, kg).event_timers = bytes;
    }
    for (kg, bytes) in encode_timers(timers.processing_time.iter(), mp, "processing-time timers")? {
        blob(&mut blobs, mp, kg).processing_timers = bytes;
    }
    blobs
        .into_iter()
        .map(|(kg, b)| Ok((kg, encode(&b, "key group blob")?)))
        .collect()
}

/// Writes key group blobs from state kept outside a
/// [`HeapKeyedStateBackend`] (e.g. an operator's own layout), in the same
/// format as [`snapshot_key_groups`], so [`restore_key_group`] reads them.
pub struct KeyGroupBlobWriter {
    max_parallelism: u32,
    blobs: BTreeMap<u32, KeyGroupBlob>,
}

impl KeyGroupBlobWriter {
    /// A writer for `max_parallelism` key groups.
    pub fn new(max_parallelism: u32) -> Self {
        Self {
            max_parallelism: max_parallelism.max(1),
            blobs: BTreeMap::new(),
        }
    }

    fn blob(&mut self, kg: u32) -> &mut KeyGroupBlob {
        let mp = self.max_parallelism;
        self.blobs.entry(kg).or_insert_with(|| KeyGroupBlob {
            version: FORMAT_VERSION,
            max_parallelism: mp,
            key_group: kg,
            ..KeyGroupBlob::default()
        })
    }

    /// Adds the entries `(key, namespace, value)` of the value state `name`.
    pub fn add_value_state<'a, K: StateKey, N: Namespace, V: StateValue>(
        &mut self,
        name: &str,
        entries: impl Iterator<Item = (&'a K, &'a N, &'a V)>,
    ) -> Result<(), StateError> {
        let mut groups: BTreeMap<u32, Vec<(&K, &N, &V)>> = BTreeMap::new();
        for e in entries {
            groups
                .entry(key_group_of(e.0, self.max_parallelism))
                .or_default()
                .push(e);
        }
        for (kg, entries) in groups {
            let bytes = encode(&entries, name)?;
            self.blob(kg).states.push(StateChunk {
                name: name.to_string(),
                kind: StateKind::Value,
                entries: bytes,
            });
        }
        Ok(())
    }

    /// Sets the timers of `domain` (replacing earlier ones of that domain).
    pub fn set_timers<'a, K: StateKey, N: Namespace>(
        &mut self,
        domain: crate::TimeDomain,
        timers: impl Iterator<Item = (i64, &'a K, &'a N)>,
    ) -> Result<(), StateError> {
        for (kg, bytes) in encode_timers(timers, self.max_parallelism, "timers")? {
            let b = self.blob(kg);
            match domain {
                crate::TimeDomain::EventTime => b.event_timers = bytes,
                crate::TimeDomain::ProcessingTime => b.processing_timers = bytes,
            }
        }
        Ok(())
    }

    /// The blobs, ordered by key group.
    pub fn finish(self) -> Result<Vec<(u32, Vec<u8>)>, StateError> {
        self.blobs
            .into_iter()
            .map(|(kg, b)| Ok((kg, encode(&b, "key group blob")?)))
            .collect()
    }
}

fn decode_timers<K: StateKey, N: Namespace>(
    bytes: &[u8],
    what: &str,
) -> Result<Vec<(i64, K, N)>, StateError> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    bincode::serde::decode_from_slice(bytes, codec())
        .map(|(t, _)| t)
        .map_err(|source| StateError::Corrupt {
            what: what.to_string(),
            source,
        })
}

/// Restores one blob written by [`snapshot_key_groups`]. Returns `Ok(false)`
/// (and changes nothing) if its key group is not owned by `backend`.
pub fn restore_key_group<K: StateKey, N: Namespace>(
    backend: &mut HeapKeyedStateBackend<K, N>,
    timers: &mut InternalTimerService<K, N>,
    bytes: &[u8],
) -> Result<bool, StateError> {
    let (blob, _): (KeyGroupBlob, usize) = bincode::serde::decode_from_slice(bytes, codec())
        .map_err(|source| StateError::Corrupt {
            what: "key group blob header".into(),
            source,
        })?;
    if blob.version != FORMAT_VERSION {
        return Err(StateError::UnsupportedFormat {
            found: blob.version,
            supported: FORMAT_VERSION,
        });
    }
    if blob.max_parallelism != backend.max_parallelism {
        return Err(StateError::MaxParallelismMismatch {
            snapshot: blob.max_parallelism,
            current: backend.max_parallelism,
        });
    }
    if !backend.range.contains(blob.key_group) {
        return Ok(false);
    }
    for chunk in blob.states {
        let registered = backend.tables.iter_mut().find(|t| t.name() == chunk.name);
        match registered {
            Some(t) if t.kind() == chunk.kind => t.restore_chunk(&chunk.entries)?,
            Some(t) => {
                return Err(StateError::IncompatibleState {
                    name: chunk.name,
                    registered: t.kind(),
                    requested: chunk.kind,
                });
            }
            None => backend.pending.push(PendingChunk {
                key_group: blob.key_group,
                name: chunk.name,
                kind: chunk.kind,
                bytes: chunk.entries,
            }),
        }
    }
    for (ts, k, n) in decode_timers::<K, N>(&blob.event_timers, "event-time timers")? {
        timers.register_event_time_timer(k, n, ts);
    }
    for (ts, k, n) in decode_timers::<K, N>(&blob.processing_timers, "processing-time timers")? {
        timers.register_processing_time_timer(k, n, ts);
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ListStateDescriptor, ValueStateDescriptor, VoidNamespace};
    use flink_types::key_group_range_for_operator;
    use std::collections::BTreeSet;

    type Backend = HeapKeyedStateBackend<String, VoidNamespace>;
    type Timers = InternalTimerService<String, VoidNamespace>;

    const MP: u32 = 128;

    fn subtask(p: u32, i: u32) -> (Backend, Timers) {
        (
            HeapKeyedStateBackend::new(MP, key_group_range_for_operator(MP, p, i)),
            InternalTimerService::new(),
        )
    }

    /// Which subtask of `p` owns `key`.
    fn owner(key: &str, p: u32) -> u32 {
        flink_types::operator_index_for_key_group(MP, p, key_group_of(&key.to_string(), MP))
    }

    #[test]
    fn snapshot_at_parallelism_2_restores_into_4_with_every_key_exactly_once() {
        let count = ValueStateDescriptor::<u64>::new("count");
        let seen = ListStateDescriptor::<u32>::new("seen");
        let keys: Vec<String> = (0..1000).map(|i| format!("key-{i}")).collect();
        // Run at parallelism 2: each key lives in the subtask that owns its key group.
        let mut old: Vec<(Backend, Timers)> = (0..2).map(|i| subtask(2, i)).collect();
        for (i, k) in keys.iter().enumerate() {
            let (b, t) = &mut old[owner(k, 2) as usize];
            b.set_current_key(k.clone());
            b.value(&count).unwrap().update(i as u64);
            b.list(&seen).unwrap().add_all([i as u32, 7]);
            t.register_event_time_timer(k.clone(), VoidNamespace, 1000 + i as i64);
            if i % 3 == 0 {
                t.register_processing_time_timer(k.clone(), VoidNamespace, 5);
            }
        }
        let mut blobs = Vec::new();
        for (b, t) in &old {
            let s = snapshot_key_groups(b, t).unwrap();
            assert!(
                s.windows(2).all(|w| w[0].0 < w[1].0),
                "one blob per key group"
            );
            blobs.extend(s);
        }
        // Restore at parallelism 4: every subtask is offered every blob.
        let mut restored_keys = BTreeSet::new();
        let mut total_timers = 0;
        for i in 0..4 {
            let (mut b, mut t) = subtask(4, i);
            let mut kept = 0;
            for (_, bytes) in &blobs {
                kept += restore_key_group(&mut b, &mut t, bytes).unwrap() as usize;
            }
            assert!(kept > 0);
            // The list state is restored lazily on first use.
            for k in &keys {
                b.set_current_key(k.clone());
                let v = b.value(&count).unwrap().value().copied();
                let l = b.list(&seen).unwrap().get().to_vec();
                if owner(k, 4) == i {
                    let idx: u64 = k[4..].parse().unwrap();
                    assert_eq!(v, Some(idx), "{k}");
                    assert_eq!(l, vec![idx as u32, 7]);
                    assert!(t.event_time.contains(1000 + idx as i64, k, &VoidNamespace));
                    assert!(restored_keys.insert(k.clone()), "{k} restored twice");
                } else {
                    assert_eq!(v, None, "{k} restored into the wrong subtask {i}");
                    assert!(l.is_empty());
                }
            }
            assert_eq!(b.num_entries("count"), b.num_entries("seen"));
            total_timers += t.event_time.len();
            assert!(t.event_time.iter().all(|(_, k, _)| owner(k, 4) == i));
            assert!(t.processing_time.iter().all(|(_, k, _)| owner(k, 4) == i));
        }
        assert_eq!(
            restored_keys.len(),
            keys.len(),
            "every key lands exactly once"
        );
        assert_eq!(total_timers, keys.len());
    }

    #[test]
    fn unused_restored_state_survives_the_next_snapshot() {
        let d = ValueStateDescriptor::<u64>::new("v");
        let (mut b, t) = subtask(1, 0);
        b.set_current_key("k".into());
        b.value(&d).unwrap().update(42);
        let blobs = snapshot_key_groups(&b, &t).unwrap();
        let (mut b2, mut t2) = subtask(1, 0);
        for (_, bytes) in &blobs {
            restore_key_group(&mut b2, &mut t2, bytes).unwrap();
        }
        // Never touched "v"; snapshot again and restore a third time.
        let blobs2 = snapshot_key_groups(&b2, &t2).unwrap();
        let (mut b3, mut t3) = subtask(1, 0);
        for (_, bytes) in &blobs2 {
            restore_key_group(&mut b3, &mut t3, bytes).unwrap();
        }
        b3.set_current_key("k".into());
        assert_eq!(b3.value(&d).unwrap().value(), Some(&42));
    }

    #[test]
    fn blob_writer_output_restores_like_a_backend_snapshot() {
        let d = ValueStateDescriptor::<u64>::new("acc");
        let entries: Vec<(String, (i64, i64), u64)> = (0..50)
            .map(|i| (format!("k{i}"), (i, i + 10), i as u64 * 3))
            .collect();
        let mut w = KeyGroupBlobWriter::new(MP);
        w.add_value_state("acc", entries.iter().map(|(k, n, v)| (k, n, v)))
            .unwrap();
        w.set_timers(
            crate::TimeDomain::EventTime,
            entries.iter().map(|(k, n, _)| (n.1 - 1, k, n)),
        )
        .unwrap();
        let blobs = w.finish().unwrap();
        let mut got = Vec::new();
        let mut timers = 0;
        for i in 0..3 {
            let mut b: HeapKeyedStateBackend<String, (i64, i64)> =
                HeapKeyedStateBackend::new(MP, key_group_range_for_operator(MP, 3, i));
            let mut t = InternalTimerService::new();
            for (_, bytes) in &blobs {
                restore_key_group(&mut b, &mut t, bytes).unwrap();
            }
            got.extend(b.drain_values(&d).unwrap());
            timers += t.event_time.len();
            assert_eq!(b.num_entries("acc"), 0, "drained");
        }
        got.sort();
        let mut want = entries.clone();
        want.sort();
        assert_eq!(got, want);
        assert_eq!(timers, 50);
    }

    #[test]
    fn bad_blobs_are_clear_errors() {
        let (mut b, mut t) = subtask(1, 0);
        let e = restore_key_group(&mut b, &mut t, &[1, 2, 3]).unwrap_err();
        assert!(matches!(e, StateError::Corrupt { .. }), "{e}");
        let other: HeapKeyedStateBackend<String, VoidNamespace> =
            HeapKeyedStateBackend::new(64, key_group_range_for_operator(64, 1, 0));
        let mut other = other;
        other.set_current_key("x".into());
        other
            .value(&ValueStateDescriptor::<u8>::new("v"))
            .unwrap()
            .update(1);
        let blobs = snapshot_key_groups(&other, &InternalTimerService::new()).unwrap();
        let e = restore_key_group(&mut b, &mut t, &blobs[0].1).unwrap_err();
        assert!(e.to_string().contains("max parallelism 64"), "{e}");
        let mut bad = KeyGroupBlob {
            version: 99,
            ..Default::default()
        };
        bad.max_parallelism = MP;
        let bytes = encode(&bad, "x").unwrap();
        let e = restore_key_group(&mut b, &mut t, &bytes).unwrap_err();
        assert!(matches!(e, StateError::UnsupportedFormat { found: 99, .. }));
    }
}
