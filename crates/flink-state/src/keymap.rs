//! [`KeyMap`]: a hash map from key to value with caller-computed hashes, for
//! operators that keep their own state layout (e.g. one map per window) and
//! want to hash a key once for several lookups.

use hashbrown::HashTable;
use std::hash::Hash;

/// The hash [`KeyMap`] expects: the key's [`stable_hash`](crate::stable_hash)
/// with a final avalanche step (hashbrown takes buckets from the low bits).
#[inline]
pub fn key_map_hash<K: Hash + ?Sized>(key: &K) -> u64 {
    let mut x = crate::stable_hash(key);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^ (x >> 33)
}

struct Slot<K, V> {
    hash: u64,
    key: K,
    value: V,
}

/// Key to value, probed with a hash from [`key_map_hash`].
pub struct KeyMap<K, V> {
    slots: HashTable<Slot<K, V>>,
}

impl<K, V> Default for KeyMap<K, V> {
    fn default() -> Self {
        Self {
            slots: HashTable::new(),
        }
    }
}

impl<K: Eq + Clone, V> KeyMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `key` (`hash` = `key_map_hash(key)`).
    #[inline]
    pub fn get_mut(&mut self, hash: u64, key: &K) -> Option<&mut V> {
        self.slots
            .find_mut(hash, |s| s.key == *key)
            .map(|s| &mut s.value)
    }

    /// The key and value of `key`, inserting `(key.clone(), f())` if absent;
    /// the flag says whether it was inserted.
    #[inline]
    pub fn get_or_insert_with(
        &mut self,
        hash: u64,
        key: &K,
        f: impl FnOnce() -> V,
    ) -> (&K, &mut V, bool) {
        match self
            .slots
            .entry(hash, |s| s.key == *key, |s: &Slot<K, V>| s.hash)
        {
            hashbrown::hash_table::Entry::Occupied(o) => {
                let s = o.into_mut();
                (&s.key, &mut s.value, false)
            }
            hashbrown::hash_table::Entry::Vacant(v) => {
                let s = v
                    .insert(Slot {
                        hash,
                        key: key.clone(),
                        value: f(),
                    })
                    .into_mut();
                (&s.key, &mut s.value, true)
            }
        }
    }

    /// Inserts or replaces.
    pub fn insert(&mut self, hash: u64, key: K, value: V) {
        match self.get_mut(hash, &key) {
            Some(v) => *v = value,
            None => {
                self.slots
                    .insert_unique(hash, Slot { hash, key, value }, |s| s.hash);
            }
        }
    }

    /// All entries (arbitrary order).
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.slots.iter().map(|s| (&s.key, &s.value))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_find_and_iterate() {
        let mut m: KeyMap<String, u32> = KeyMap::new();
        for i in 0..1000u32 {
            let k = format!("k{}", i % 100);
            let (_, v, _) = m.get_or_insert_with(key_map_hash(&k), &k, || 0);
            *v += 1;
        }
        assert_eq!(m.len(), 100);
        assert!(m.iter().all(|(_, v)| *v == 10));
        let k = "k7".to_string();
        m.insert(key_map_hash(&k), k.clone(), 99);
        assert_eq!(m.get_mut(key_map_hash(&k), &k), Some(&mut 99));
        let (_, _, inserted) = m.get_or_insert_with(key_map_hash(&k), &k, || 0);
        assert!(!inserted);
        assert_eq!(m.len(), 100);
    }
}
