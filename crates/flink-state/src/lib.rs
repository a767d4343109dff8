//! # flink-state
//!
//! The heap keyed state backend of one operator instance (Flink
//! `HeapKeyedStateBackend`) and its keyed timer service (Flink
//! `InternalTimerService`).
//!
//! * [`HeapKeyedStateBackend`]: named states declared by descriptors
//!   ([`ValueStateDescriptor`], [`ListStateDescriptor`],
//!   [`MapStateDescriptor`]). Every access is scoped to the current key
//!   ([`HeapKeyedStateBackend::set_current_key`]) and the current namespace
//!   (a window, or [`VoidNamespace`] for plain keyed state). A descriptor is
//!   resolved to a table index once; after that an access costs one integer
//!   map lookup plus one hash-table probe with a hash computed once per key.
//! * [`InternalTimerService`]: event-time and processing-time timers per
//!   (key, namespace, timestamp), deduplicated and fired in timestamp order.
//! * [`snapshot`]: state and timers serialized into one blob per key group
//!   (`flink_types::key_group_for_hash(stable_hash(key), max_parallelism)`),
//!   and restored keeping only the key groups of the restoring subtask, so a
//!   job can be restored with another parallelism.

mod backend;
mod descriptor;
mod error;
mod keymap;
pub mod snapshot;
mod timers;

pub use backend::{HeapKeyedStateBackend, KeyedStateAccess, ListState, MapState, ValueState};
pub use descriptor::{
    ListStateDescriptor, MapStateDescriptor, StateDescriptor, StateKind, ValueStateDescriptor,
};
pub use error::StateError;
pub use keymap::{KeyMap, key_map_hash};
pub use snapshot::{KeyGroupBlobWriter, restore_key_group, snapshot_key_groups};
pub use timers::{InternalTimerService, TimeDomain, TimerQueue};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};

/// Stable 64-bit hash of a key: the same in every process running the same
/// binary (FxHash has no random seed). Key groups and HASH partitioning
/// both derive from it, so they must use this same function.
#[inline]
pub fn stable_hash<K: Hash + ?Sized>(key: &K) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    key.hash(&mut h);
    h.finish()
}

/// The key group of `key` for `max_parallelism` key groups.
#[inline]
pub fn key_group_of<K: Hash + ?Sized>(key: &K, max_parallelism: u32) -> u32 {
    flink_types::key_group_for_hash(stable_hash(key), max_parallelism)
}

/// What a key of keyed state must be.
pub trait StateKey: Hash + Eq + Clone + Serialize + DeserializeOwned + Send + 'static {}
impl<K: Hash + Eq + Clone + Serialize + DeserializeOwned + Send + 'static> StateKey for K {}

/// What a namespace (e.g. a window) must be. The default value is the
/// namespace in effect before any is set.
pub trait Namespace:
    Hash + Eq + Clone + Default + Serialize + DeserializeOwned + Send + 'static
{
}
impl<N: Hash + Eq + Clone + Default + Serialize + DeserializeOwned + Send + 'static> Namespace
    for N
{
}

/// What a state value must be.
pub trait StateValue: Serialize + DeserializeOwned + Send + 'static {}
impl<V: Serialize + DeserializeOwned + Send + 'static> StateValue for V {}

/// The namespace of plain keyed state (Flink `VoidNamespace`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VoidNamespace;

/// bincode configuration of all state blobs (the same as stream elements).
pub(crate) fn codec() -> bincode::config::Configuration {
    bincode::config::standard()
}
