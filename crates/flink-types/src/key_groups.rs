//! Key groups: the unit of keyed-state partitioning and rescaling
//! (Flink `KeyGroupRangeAssignment`). A key hashes to one of
//! `max_parallelism` key groups; each operator subtask owns a contiguous
//! range of key groups, so restoring with another parallelism only moves
//! whole key groups.

use serde::{Deserialize, Serialize};

/// Default `pipeline.max-parallelism` when none is set, as in Flink for small jobs.
pub const DEFAULT_MAX_PARALLELISM: u32 = 128;

/// Flink's default max parallelism for an operator of the given parallelism:
/// `roundUpToPowerOfTwo(p + p/2)`, clamped to `[128, 32768]`.
pub fn default_max_parallelism(parallelism: u32) -> u32 {
    let p = parallelism as u64;
    let target = (p + p / 2).next_power_of_two();
    target.clamp(128, 32768) as u32
}

/// A contiguous, inclusive range of key groups.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Debug)]
pub struct KeyGroupRange {
    /// First key group (inclusive).
    pub start: u32,
    /// Last key group (inclusive); `end < start` means empty.
    pub end: u32,
}

impl KeyGroupRange {
    /// Whether `kg` is inside the range.
    pub fn contains(&self, kg: u32) -> bool {
        kg >= self.start && kg <= self.end
    }
    /// Number of key groups.
    pub fn len(&self) -> u32 {
        if self.end < self.start {
            0
        } else {
            self.end - self.start + 1
        }
    }
    /// Whether the range is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Iterates the key groups.
    pub fn iter(&self) -> impl Iterator<Item = u32> {
        self.start..self.start + self.len()
    }
}

/// Mixes a key's 64-bit hash into a well-distributed 32-bit value
/// (murmur3's finalizer, applied to both halves).
#[inline]
pub fn murmur_mix(hash: u64) -> u32 {
    let mut h = (hash as u32) ^ ((hash >> 32) as u32).rotate_left(16);
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// The key group of a key given its hash.
#[inline]
pub fn key_group_for_hash(hash: u64, max_parallelism: u32) -> u32 {
    murmur_mix(hash) % max_parallelism.max(1)
}

/// The operator subtask that owns `key_group`.
#[inline]
pub fn operator_index_for_key_group(max_parallelism: u32, parallelism: u32, key_group: u32) -> u32 {
    ((key_group as u64 * parallelism as u64) / max_parallelism.max(1) as u64) as u32
}

/// The key groups owned by subtask `index` of `parallelism`.
pub fn key_group_range_for_operator(
    max_parallelism: u32,
    parallelism: u32,
    index: u32,
) -> KeyGroupRange {
    let mp = max_parallelism as u64;
    let p = parallelism.max(1) as u64;
    let i = index as u64;
    let start = (i * mp).div_ceil(p);
    let end = ((i + 1) * mp).div_ceil(p);
    KeyGroupRange {
        start: start as u32,
        end: (end as u32).wrapping_sub(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_partition_key_groups_and_agree_with_index() {
        for mp in [1u32, 7, 128, 1000] {
            for p in 1..=mp.min(16) {
                let mut next = 0;
                for i in 0..p {
                    let r = key_group_range_for_operator(mp, p, i);
                    assert_eq!(r.start, next);
                    for kg in r.iter() {
                        assert_eq!(operator_index_for_key_group(mp, p, kg), i, "mp={mp} p={p}");
                    }
                    next = r.start + r.len();
                }
                assert_eq!(next, mp);
            }
        }
    }

    #[test]
    fn default_max_parallelism_matches_flink() {
        assert_eq!(default_max_parallelism(1), 128);
        assert_eq!(default_max_parallelism(100), 256);
        assert_eq!(default_max_parallelism(100_000), 32768);
    }
}
