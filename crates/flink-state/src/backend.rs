//! The heap keyed state backend: one hash table per registered state,
//! holding entries `(key, namespace) -> value`. The hash of the current
//! (key, namespace) pair is computed once when either changes and reused by
//! every state access until the next change.

use crate::descriptor::{
    ListStateDescriptor, MapStateDescriptor, StateDescriptor, StateKind, ValueStateDescriptor,
};
use crate::error::StateError;
use crate::{Namespace, StateKey, StateValue, codec, key_group_of, stable_hash};
use flink_types::KeyGroupRange;
use hashbrown::HashTable;
use rustc_hash::{FxHashMap, FxHasher};
use serde::Serialize;
use std::any::Any;
use std::collections::BTreeMap;
use std::hash::Hasher;

pub(crate) struct Entry<K, N, S> {
    hash: u64,
    key: K,
    ns: N,
    value: S,
}

/// One state: `(key, namespace) -> S`.
pub(crate) struct Table<K, N, S> {
    name: String,
    kind: StateKind,
    entries: HashTable<Entry<K, N, S>>,
}

#[inline]
fn entry_hash<N: std::hash::Hash>(key_hash: u64, ns: &N) -> u64 {
    let mut h = FxHasher::default();
    h.write_u64(key_hash);
    ns.hash(&mut h);
    // Final avalanche (murmur3 fmix64): hashbrown takes the bucket from the
    // low bits and the tag from the top bits, and Fx leaves structured
    // inputs (window bounds) poorly mixed.
    let mut x = h.finish();
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

impl<K: StateKey, N: Namespace, S: StateValue> Table<K, N, S> {
    fn new(name: &str, kind: StateKind) -> Self {
        Self {
            name: name.to_string(),
            kind,
            entries: HashTable::new(),
        }
    }

    #[inline]
    fn get(&self, hash: u64, key: &K, ns: &N) -> Option<&S> {
        self.entries
            .find(hash, |e| e.key == *key && e.ns == *ns)
            .map(|e| &e.value)
    }

    #[inline]
    fn get_mut(&mut self, hash: u64, key: &K, ns: &N) -> Option<&mut S> {
        self.entries
            .find_mut(hash, |e| e.key == *key && e.ns == *ns)
            .map(|e| &mut e.value)
    }

    #[inline]
    fn get_or_insert_with(&mut self, hash: u64, key: &K, ns: &N, f: impl FnOnce() -> S) -> &mut S {
        let e = self.entries.entry(
            hash,
            |e| e.key == *key && e.ns == *ns,
            |e: &Entry<K, N, S>| e.hash,
        );
        match e {
            hashbrown::hash_table::Entry::Occupied(o) => &mut o.into_mut().value,
            hashbrown::hash_table::Entry::Vacant(v) => {
                &mut v
                    .insert(Entry {
                        hash,
                        key: key.clone(),
                        ns: ns.clone(),
                        value: f(),
                    })
                    .into_mut()
                    .value
            }
        }
    }

    #[inline]
    fn put(&mut self, hash: u64, key: &K, ns: &N, value: S) {
        match self.get_mut(hash, key, ns) {
            Some(slot) => *slot = value,
            None => {
                self.entries.insert_unique(
                    hash,
                    Entry {
                        hash,
                        key: key.clone(),
                        ns: ns.clone(),
                        value,
                    },
                    |e| e.hash,
                );
            }
        }
    }

    #[inline]
    fn take(&mut self, hash: u64, key: &K, ns: &N) -> Option<S> {
        match self
            .entries
            .find_entry(hash, |e| e.key == *key && e.ns == *ns)
        {
            Ok(o) => Some(o.remove().0.value),
            Err(_) => None,
        }
    }
}

/// The type-erased side of a table: snapshot, restore, downcast.
pub(crate) trait ErasedTable<K, N>: Send {
    fn name(&self) -> &str;
    fn kind(&self) -> StateKind;
    fn len(&self) -> usize;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// Entries grouped by key group, each group bincode-encoded as `Vec<(K, N, S)>`.
    fn snapshot_chunks(&self, max_parallelism: u32) -> Result<Vec<(u32, Vec<u8>)>, StateError>;
    /// Adds the entries of one chunk written by `snapshot_chunks`.
    fn restore_chunk(&mut self, bytes: &[u8]) -> Result<(), StateError>;
}

impl<K: StateKey, N: Namespace, S: StateValue> ErasedTable<K, N> for Table<K, N, S> {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> StateKind {
        self.kind
    }
    fn len(&self) -> usize {
        self.entries.len()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn snapshot_chunks(&self, max_parallelism: u32) -> Result<Vec<(u32, Vec<u8>)>, StateError> {
        let mut groups: BTreeMap<u32, Vec<(&K, &N, &S)>> = BTreeMap::new();
        for e in &self.entries {
            groups
                .entry(key_group_of(&e.key, max_parallelism))
                .or_default()
                .push((&e.key, &e.ns, &e.value));
        }
        groups
            .into_iter()
            .map(|(kg, entries)| Ok((kg, encode(&entries, &self.name)?)))
            .collect()
    }
    fn restore_chunk(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let (entries, _): (Vec<(K, N, S)>, usize) =
            bincode::serde::decode_from_slice(bytes, codec()).map_err(|source| {
                StateError::Corrupt {
                    what: format!("entries of state '{}'", self.name),
                    source,
                }
            })?;
        for (key, ns, value) in entries {
            let hash = entry_hash(stable_hash(&key), &ns);
            self.entries
                .find_entry(hash, |e| e.key == key && e.ns == ns)
                .ok()
                .map(|o| o.remove());
            self.entries.insert_unique(
                hash,
                Entry {
                    hash,
                    key,
                    ns,
                    value,
                },
                |e| e.hash,
            );
        }
        Ok(())
    }
}

pub(crate) fn encode<T: Serialize + ?Sized>(value: &T, what: &str) -> Result<Vec<u8>, StateError> {
    bincode::serde::encode_to_vec(value, codec()).map_err(|source| StateError::Serialize {
        what: what.to_string(),
        source,
    })
}

/// A restored state chunk whose descriptor has not been registered yet.
pub(crate) struct PendingChunk {
    pub(crate) key_group: u32,
    pub(crate) name: String,
    pub(crate) kind: StateKind,
    pub(crate) bytes: Vec<u8>,
}

/// Keyed state of one operator instance, kept on the heap (Flink
/// `HeapKeyedStateBackend`). `K` is the key type, `N` the namespace type
/// ([`VoidNamespace`](crate::VoidNamespace) for plain keyed state, a window
/// type for window contents).
pub struct HeapKeyedStateBackend<K, N> {
    pub(crate) max_parallelism: u32,
    pub(crate) range: KeyGroupRange,
    current_key: Option<K>,
    current_key_hash: u64,
    namespace: N,
    hash: u64,
    pub(crate) tables: Vec<Box<dyn ErasedTable<K, N>>>,
    by_name: FxHashMap<String, usize>,
    by_descriptor: FxHashMap<u64, usize>,
    /// The last resolved (descriptor id, table index).
    last: (u64, usize),
    pub(crate) pending: Vec<PendingChunk>,
}

impl<K: StateKey, N: Namespace> HeapKeyedStateBackend<K, N> {
    /// A backend for a subtask owning the key groups `range` out of `max_parallelism`.
    pub fn new(max_parallelism: u32, range: KeyGroupRange) -> Self {
        let namespace = N::default();
        Self {
            max_parallelism: max_parallelism.max(1),
            range,
            current_key: None,
            current_key_hash: 0,
            hash: entry_hash(0, &namespace),
            namespace,
            tables: Vec::new(),
            by_name: FxHashMap::default(),
            by_descriptor: FxHashMap::default(),
            last: (0, 0),
            pending: Vec::new(),
        }
    }

    /// Number of key groups.
    pub fn max_parallelism(&self) -> u32 {
        self.max_parallelism
    }

    /// The key groups this backend owns.
    pub fn key_group_range(&self) -> KeyGroupRange {
        self.range
    }

    /// Sets the key that state accesses refer to.
    #[inline]
    pub fn set_current_key(&mut self, key: K) {
        self.current_key_hash = stable_hash(&key);
        self.current_key = Some(key);
        self.hash = entry_hash(self.current_key_hash, &self.namespace);
    }

    /// The current key.
    #[inline]
    pub fn current_key(&self) -> Option<&K> {
        self.current_key.as_ref()
    }

    /// Sets the namespace (e.g. window) that state accesses refer to.
    #[inline]
    pub fn set_current_namespace(&mut self, ns: N) {
        self.hash = entry_hash(self.current_key_hash, &ns);
        self.namespace = ns;
    }

    /// The current namespace.
    #[inline]
    pub fn current_namespace(&self) -> &N {
        &self.namespace
    }

    /// Names of the registered states.
    pub fn state_names(&self) -> Vec<String> {
        self.tables.iter().map(|t| t.name().to_string()).collect()
    }

    /// Number of (key, namespace) entries of the state `name` (0 if unknown).
    pub fn num_entries(&self, name: &str) -> usize {
        self.by_name
            .get(name)
            .and_then(|&i| self.tables.get(i))
            .map_or(0, |t| t.len())
    }

    #[inline]
    fn resolve<S: StateValue>(&mut self, d: &StateDescriptor) -> Result<usize, StateError> {
        if self.last.0 == d.id {
            return Ok(self.last.1);
        }
        if let Some(&i) = self.by_descriptor.get(&d.id) {
            self.last = (d.id, i);
            return Ok(i);
        }
        self.resolve_slow::<S>(d)
    }

    #[cold]
    fn resolve_slow<S: StateValue>(&mut self, d: &StateDescriptor) -> Result<usize, StateError> {
        let i = match self.by_name.get(&*d.name) {
            Some(&i) => {
                let t = &self.tables[i];
                if t.kind() != d.kind || !t.as_any().is::<Table<K, N, S>>() {
                    return Err(StateError::IncompatibleState {
                        name: d.name.to_string(),
                        registered: t.kind(),
                        requested: d.kind,
                    });
                }
                i
            }
            None => {
                let mut table: Box<dyn ErasedTable<K, N>> =
                    Box::new(Table::<K, N, S>::new(&d.name, d.kind));
                let mut rest = Vec::with_capacity(self.pending.len());
                for chunk in std::mem::take(&mut self.pending) {
                    if *chunk.name == *d.name {
                        if chunk.kind != d.kind {
                            return Err(StateError::IncompatibleState {
                                name: d.name.to_string(),
                                registered: chunk.kind,
                                requested: d.kind,
                            });
                        }
                        table.restore_chunk(&chunk.bytes)?;
                    } else {
                        rest.push(chunk);
                    }
                }
                self.pending = rest;
                self.tables.push(table);
                let i = self.tables.len() - 1;
                self.by_name.insert(d.name.to_string(), i);
                i
            }
        };
        self.by_descriptor.insert(d.id, i);
        self.last = (d.id, i);
        Ok(i)
    }

    #[inline]
    fn access<S: StateValue>(
        &mut self,
        d: &StateDescriptor,
    ) -> Result<Scope<'_, K, N, S>, StateError> {
        let i = self.resolve::<S>(d)?;
        let Self {
            tables,
            current_key,
            namespace,
            hash,
            ..
        } = self;
        let key = current_key
            .as_ref()
            .ok_or_else(|| StateError::NoCurrentKey {
                state: d.name.to_string(),
            })?;
        let table = tables[i]
            .as_any_mut()
            .downcast_mut::<Table<K, N, S>>()
            .ok_or_else(|| StateError::IncompatibleState {
                name: d.name.to_string(),
                registered: d.kind,
                requested: d.kind,
            })?;
        Ok(Scope {
            table,
            key,
            ns: namespace,
            hash: *hash,
        })
    }

    /// The state of descriptor `d` (value, list or map) for the current key and namespace.
    #[inline]
    pub fn state<D: KeyedStateAccess<K, N>>(&mut self, d: &D) -> Result<D::State<'_>, StateError> {
        d.bind(self)
    }

    /// Removes and returns every entry `(key, namespace, value)` of the value state `d`.
    pub fn drain_values<V: StateValue>(
        &mut self,
        d: &ValueStateDescriptor<V>,
    ) -> Result<Vec<(K, N, V)>, StateError> {
        let i = self.resolve::<V>(&d.desc)?;
        let table = self.tables[i]
            .as_any_mut()
            .downcast_mut::<Table<K, N, V>>()
            .ok_or_else(|| StateError::IncompatibleState {
                name: d.desc.name.to_string(),
                registered: d.desc.kind,
                requested: d.desc.kind,
            })?;
        Ok(table
            .entries
            .drain()
            .map(|e| (e.key, e.ns, e.value))
            .collect())
    }

    /// The value state of `d` for the current key and namespace.
    #[inline]
    pub fn value<V: StateValue>(
        &mut self,
        d: &ValueStateDescriptor<V>,
    ) -> Result<ValueState<'_, K, N, V>, StateError> {
        Ok(ValueState(self.access::<V>(&d.desc)?))
    }

    /// The list state of `d` for the current key and namespace.
    #[inline]
    pub fn list<V: StateValue>(
        &mut self,
        d: &ListStateDescriptor<V>,
    ) -> Result<ListState<'_, K, N, V>, StateError> {
        Ok(ListState(self.access::<Vec<V>>(&d.desc)?))
    }

    /// The map state of `d` for the current key and namespace.
    #[inline]
    pub fn map<UK, UV>(
        &mut self,
        d: &MapStateDescriptor<UK, UV>,
    ) -> Result<MapState<'_, K, N, UK, UV>, StateError>
    where
        UK: StateKey,
        UV: StateValue,
    {
        Ok(MapState(self.access::<FxHashMap<UK, UV>>(&d.desc)?))
    }
}

/// A descriptor that can be bound to a backend, so that
/// `backend.state(&descriptor)` returns the matching state view.
pub trait KeyedStateAccess<K, N> {
    /// The view of the state for the current key and namespace.
    type State<'a>
    where
        Self: 'a,
        K: 'a,
        N: 'a;
    /// Binds the descriptor to `backend`.
    fn bind<'a>(
        &self,
        backend: &'a mut HeapKeyedStateBackend<K, N>,
    ) -> Result<Self::State<'a>, StateError>;
}

impl<K: StateKey, N: Namespace, V: StateValue> KeyedStateAccess<K, N> for ValueStateDescriptor<V> {
    type State<'a> = ValueState<'a, K, N, V>;
    #[inline]
    fn bind<'a>(
        &self,
        backend: &'a mut HeapKeyedStateBackend<K, N>,
    ) -> Result<ValueState<'a, K, N, V>, StateError> {
        backend.value(self)
    }
}

impl<K: StateKey, N: Namespace, V: StateValue> KeyedStateAccess<K, N> for ListStateDescriptor<V> {
    type State<'a> = ListState<'a, K, N, V>;
    #[inline]
    fn bind<'a>(
        &self,
        backend: &'a mut HeapKeyedStateBackend<K, N>,
    ) -> Result<ListState<'a, K, N, V>, StateError> {
        backend.list(self)
    }
}

impl<K: StateKey, N: Namespace, UK: StateKey, UV: StateValue> KeyedStateAccess<K, N>
    for MapStateDescriptor<UK, UV>
{
    type State<'a> = MapState<'a, K, N, UK, UV>;
    #[inline]
    fn bind<'a>(
        &self,
        backend: &'a mut HeapKeyedStateBackend<K, N>,
    ) -> Result<MapState<'a, K, N, UK, UV>, StateError> {
        backend.map(self)
    }
}

/// A table scoped to the current key and namespace.
struct Scope<'a, K, N, S> {
    table: &'a mut Table<K, N, S>,
    key: &'a K,
    ns: &'a N,
    hash: u64,
}

impl<K: StateKey, N: Namespace, S: StateValue> Scope<'_, K, N, S> {
    #[inline]
    fn get(&self) -> Option<&S> {
        self.table.get(self.hash, self.key, self.ns)
    }
    #[inline]
    fn get_mut(&mut self) -> Option<&mut S> {
        self.table.get_mut(self.hash, self.key, self.ns)
    }
    #[inline]
    fn get_or_insert_with(&mut self, f: impl FnOnce() -> S) -> &mut S {
        self.table
            .get_or_insert_with(self.hash, self.key, self.ns, f)
    }
    #[inline]
    fn put(&mut self, v: S) {
        self.table.put(self.hash, self.key, self.ns, v)
    }
    #[inline]
    fn take(&mut self) -> Option<S> {
        self.table.take(self.hash, self.key, self.ns)
    }
}

/// One value for the current key and namespace (Flink `ValueState`).
pub struct ValueState<'a, K, N, V>(Scope<'a, K, N, V>);

impl<K: StateKey, N: Namespace, V: StateValue> ValueState<'_, K, N, V> {
    /// The value, if set.
    #[inline]
    pub fn value(&self) -> Option<&V> {
        self.0.get()
    }
    /// The value for in-place update, if set.
    #[inline]
    pub fn get_mut(&mut self) -> Option<&mut V> {
        self.0.get_mut()
    }
    /// The value, set to `f()` first if absent.
    #[inline]
    pub fn get_or_insert_with(&mut self, f: impl FnOnce() -> V) -> &mut V {
        self.0.get_or_insert_with(f)
    }
    /// Sets the value.
    #[inline]
    pub fn update(&mut self, v: V) {
        self.0.put(v)
    }
    /// Removes and returns the value.
    #[inline]
    pub fn take(&mut self) -> Option<V> {
        self.0.take()
    }
    /// Removes the value.
    #[inline]
    pub fn clear(&mut self) {
        self.0.take();
    }
}

/// A list for the current key and namespace (Flink `ListState`).
pub struct ListState<'a, K, N, V>(Scope<'a, K, N, Vec<V>>);

impl<K: StateKey, N: Namespace, V: StateValue> ListState<'_, K, N, V> {
    /// The elements (empty if none).
    #[inline]
    pub fn get(&self) -> &[V] {
        self.0.get().map_or(&[], Vec::as_slice)
    }
    /// Appends an element.
    #[inline]
    pub fn add(&mut self, v: V) {
        self.0.get_or_insert_with(Vec::new).push(v)
    }
    /// Appends elements.
    pub fn add_all(&mut self, vs: impl IntoIterator<Item = V>) {
        self.0.get_or_insert_with(Vec::new).extend(vs)
    }
    /// Replaces the list (an empty list clears the state).
    pub fn update(&mut self, vs: Vec<V>) {
        if vs.is_empty() {
            self.0.take();
        } else {
            self.0.put(vs)
        }
    }
    /// Removes and returns the list.
    #[inline]
    pub fn take(&mut self) -> Vec<V> {
        self.0.take().unwrap_or_default()
    }
    /// Removes the list.
    pub fn clear(&mut self) {
        self.0.take();
    }
}

/// A map for the current key and namespace (Flink `MapState`).
pub struct MapState<'a, K, N, UK, UV>(Scope<'a, K, N, FxHashMap<UK, UV>>);

impl<K: StateKey, N: Namespace, UK: StateKey, UV: StateValue> MapState<'_, K, N, UK, UV> {
    /// The value of `uk`.
    #[inline]
    pub fn get(&self, uk: &UK) -> Option<&UV> {
        self.0.get().and_then(|m| m.get(uk))
    }
    /// The value of `uk` for in-place update.
    #[inline]
    pub fn get_mut(&mut self, uk: &UK) -> Option<&mut UV> {
        self.0.get_mut().and_then(|m| m.get_mut(uk))
    }
    /// Whether `uk` is present.
    pub fn contains(&self, uk: &UK) -> bool {
        self.get(uk).is_some()
    }
    /// Sets `uk` to `uv`, returning the old value.
    #[inline]
    pub fn put(&mut self, uk: UK, uv: UV) -> Option<UV> {
        self.0.get_or_insert_with(FxHashMap::default).insert(uk, uv)
    }
    /// Removes `uk` (the state is cleared when the map becomes empty).
    pub fn remove(&mut self, uk: &UK) -> Option<UV> {
        let m = self.0.get_mut()?;
        let old = m.remove(uk);
        if m.is_empty() {
            self.0.take();
        }
        old
    }
    /// All entries (arbitrary order).
    pub fn iter(&self) -> impl Iterator<Item = (&UK, &UV)> {
        self.0.get().into_iter().flat_map(|m| m.iter())
    }
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.get().map_or(0, |m| m.len())
    }
    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Removes all entries.
    pub fn clear(&mut self) {
        self.0.take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::VoidNamespace;
    use flink_types::key_group_range_for_operator;

    fn backend<K: StateKey>() -> HeapKeyedStateBackend<K, VoidNamespace> {
        HeapKeyedStateBackend::new(128, key_group_range_for_operator(128, 1, 0))
    }

    #[test]
    fn value_state_is_scoped_to_the_current_key() {
        let mut b = backend::<String>();
        let d = ValueStateDescriptor::<u64>::new("count");
        for (k, n) in [("a", 3), ("b", 5), ("a", 1)] {
            b.set_current_key(k.to_string());
            for _ in 0..n {
                *b.value(&d).unwrap().get_or_insert_with(|| 0) += 1;
            }
        }
        b.set_current_key("a".into());
        assert_eq!(b.value(&d).unwrap().value(), Some(&4));
        b.set_current_key("b".into());
        assert_eq!(b.value(&d).unwrap().take(), Some(5));
        assert_eq!(b.value(&d).unwrap().value(), None);
        b.set_current_key("c".into());
        assert_eq!(b.value(&d).unwrap().value(), None);
        assert_eq!(b.num_entries("count"), 1);
    }

    #[test]
    fn list_and_map_state() {
        let mut b = backend::<u32>();
        let l = ListStateDescriptor::<String>::new("l");
        let m = MapStateDescriptor::<String, i64>::new("m");
        b.set_current_key(7);
        b.state(&l).unwrap().add("w".into());
        b.state(&l).unwrap().clear();
        b.list(&l).unwrap().add("x".into());
        b.list(&l)
            .unwrap()
            .add_all(["y".to_string(), "z".to_string()]);
        assert_eq!(b.list(&l).unwrap().get(), ["x", "y", "z"]);
        b.map(&m).unwrap().put("p".into(), 1);
        *b.map(&m).unwrap().get_mut(&"p".to_string()).unwrap() += 10;
        b.map(&m).unwrap().put("q".into(), 2);
        b.set_current_key(8);
        assert!(b.list(&l).unwrap().get().is_empty());
        assert!(b.map(&m).unwrap().is_empty());
        b.set_current_key(7);
        let mm = b.map(&m).unwrap();
        assert_eq!(mm.get(&"p".to_string()), Some(&11));
        assert_eq!(mm.len(), 2);
        let mut mm = b.map(&m).unwrap();
        mm.remove(&"p".to_string());
        mm.remove(&"q".to_string());
        assert_eq!(b.num_entries("m"), 0, "empty map clears the entry");
    }

    #[test]
    fn namespaces_separate_values_of_one_key() {
        let mut b: HeapKeyedStateBackend<u8, (i64, i64)> =
            HeapKeyedStateBackend::new(16, key_group_range_for_operator(16, 1, 0));
        let d = ValueStateDescriptor::<i64>::new("sum");
        b.set_current_key(1);
        for w in 0..3i64 {
            b.set_current_namespace((w, w + 10));
            b.value(&d).unwrap().update(w * 100);
        }
        b.set_current_namespace((1, 11));
        assert_eq!(b.value(&d).unwrap().value(), Some(&100));
        b.set_current_key(2);
        assert_eq!(b.value(&d).unwrap().value(), None);
    }

    #[test]
    fn same_name_with_another_type_is_an_error_and_no_key_is_an_error() {
        let mut b = backend::<u32>();
        let a = ValueStateDescriptor::<u64>::new("s");
        let c = ValueStateDescriptor::<String>::new("s");
        let l = ListStateDescriptor::<u64>::new("s");
        assert!(matches!(b.value(&a), Err(StateError::NoCurrentKey { .. })));
        b.set_current_key(1);
        b.value(&a).unwrap().update(1);
        assert!(matches!(
            b.value(&c),
            Err(StateError::IncompatibleState { .. })
        ));
        let e = b.list(&l).err().unwrap();
        assert!(e.to_string().contains("unique name"), "{e}");
        // A second descriptor with the same name and type shares the state.
        let a2 = ValueStateDescriptor::<u64>::new("s");
        assert_eq!(b.value(&a2).unwrap().value(), Some(&1));
    }
}
