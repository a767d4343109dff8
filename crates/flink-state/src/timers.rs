//! Keyed timers (Flink `InternalTimerService`): one queue for event time,
//! one for processing time. A timer is `(timestamp, key, namespace)`;
//! registering the same timer twice keeps one. Timers are ordered by
//! timestamp in a `BTreeMap`; the timers of one timestamp form a hash set,
//! so the common case (many keys sharing a window end) costs one set
//! insertion per timer.

use crate::{Namespace, StateKey};
use rustc_hash::FxHashSet;
use std::collections::BTreeMap;

/// Which clock a timer follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeDomain {
    /// Fires when the watermark reaches the timestamp.
    EventTime,
    /// Fires when the wall clock reaches the timestamp.
    ProcessingTime,
}

/// The timers of one timestamp.
enum Bucket<K, N> {
    /// Deduplicating.
    Set(FxHashSet<(K, N)>),
    /// Not deduplicating: the owner never registers a timer twice.
    List(Vec<(K, N)>),
}

/// Timers of one time domain, ordered by timestamp. By default a timer
/// registered twice exists once; a queue made with
/// [`without_dedup`](Self::without_dedup) skips that check (a plain vector
/// push per timer) for owners that never register the same timer twice.
pub struct TimerQueue<K, N> {
    by_time: BTreeMap<i64, Bucket<K, N>>,
    len: usize,
    dedup: bool,
}

impl<K, N> Default for TimerQueue<K, N> {
    fn default() -> Self {
        Self {
            by_time: BTreeMap::new(),
            len: 0,
            dedup: true,
        }
    }
}

impl<K: StateKey, N: Namespace> TimerQueue<K, N> {
    /// A deduplicating queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// A queue that does not check for duplicates: the caller guarantees it
    /// never registers a timer that is already registered.
    pub fn without_dedup() -> Self {
        Self {
            dedup: false,
            ..Self::default()
        }
    }

    /// Registers a timer; false if it already existed (deduplicating queues).
    #[inline]
    pub fn register(&mut self, ts: i64, key: K, ns: N) -> bool {
        let dedup = self.dedup;
        let bucket = self.by_time.entry(ts).or_insert_with(|| {
            if dedup {
                Bucket::Set(FxHashSet::default())
            } else {
                Bucket::List(Vec::new())
            }
        });
        let added = match bucket {
            Bucket::Set(s) => s.insert((key, ns)),
            Bucket::List(v) => {
                v.push((key, ns));
                true
            }
        };
        self.len += added as usize;
        added
    }

    /// Deletes a timer; false if there was none.
    pub fn delete(&mut self, ts: i64, key: &K, ns: &N) -> bool {
        let Some(bucket) = self.by_time.get_mut(&ts) else {
            return false;
        };
        let (removed, empty) = match bucket {
            Bucket::Set(s) => (s.remove(&(key.clone(), ns.clone())), s.is_empty()),
            Bucket::List(v) => match v.iter().position(|(k, n)| k == key && n == ns) {
                Some(i) => {
                    v.swap_remove(i);
                    (true, v.is_empty())
                }
                None => (false, v.is_empty()),
            },
        };
        if empty {
            self.by_time.remove(&ts);
        }
        self.len -= removed as usize;
        removed
    }

    /// Whether the timer exists.
    pub fn contains(&self, ts: i64, key: &K, ns: &N) -> bool {
        match self.by_time.get(&ts) {
            Some(Bucket::Set(s)) => s.contains(&(key.clone(), ns.clone())),
            Some(Bucket::List(v)) => v.iter().any(|(k, n)| k == key && n == ns),
            None => false,
        }
    }

    /// The earliest timestamp with a timer.
    pub fn next_timestamp(&self) -> Option<i64> {
        self.by_time.keys().next().copied()
    }

    /// Removes and returns all timers of the earliest timestamp, if it is
    /// `<= upto`. Timers registered for that timestamp while the returned
    /// batch is being fired come back in the next call.
    pub fn pop_batch(&mut self, upto: i64) -> Option<(i64, Vec<(K, N)>)> {
        let entry = self.by_time.first_entry()?;
        if *entry.key() > upto {
            return None;
        }
        let (ts, bucket) = entry.remove_entry();
        let batch: Vec<(K, N)> = match bucket {
            Bucket::Set(s) => s.into_iter().collect(),
            Bucket::List(v) => v,
        };
        self.len -= batch.len();
        Some((ts, batch))
    }

    /// Removes and returns every timer, in timestamp order.
    pub fn drain_all(&mut self) -> Vec<(i64, K, N)> {
        let mut out = Vec::with_capacity(self.len);
        while let Some((ts, batch)) = self.pop_batch(i64::MAX) {
            out.extend(batch.into_iter().map(|(k, n)| (ts, k, n)));
        }
        out
    }

    /// All timers (timestamp order; arbitrary order within a timestamp).
    pub fn iter(&self) -> impl Iterator<Item = (i64, &K, &N)> {
        self.by_time.iter().flat_map(|(ts, b)| {
            let (set, list) = match b {
                Bucket::Set(s) => (Some(s.iter()), None),
                Bucket::List(v) => (None, Some(v.iter())),
            };
            set.into_iter()
                .flatten()
                .chain(list.into_iter().flatten())
                .map(move |(k, n)| (*ts, k, n))
        })
    }

    /// Number of timers.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no timers.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Event-time and processing-time timers of one keyed operator instance,
/// plus the operator's current watermark.
pub struct InternalTimerService<K, N> {
    /// Event-time timers.
    pub event_time: TimerQueue<K, N>,
    /// Processing-time timers.
    pub processing_time: TimerQueue<K, N>,
    watermark: i64,
}

impl<K, N> Default for InternalTimerService<K, N> {
    fn default() -> Self {
        Self {
            event_time: TimerQueue::default(),
            processing_time: TimerQueue::default(),
            watermark: i64::MIN,
        }
    }
}

impl<K: StateKey, N: Namespace> InternalTimerService<K, N> {
    /// An empty service with watermark `i64::MIN`; registering a timer twice keeps one.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty service whose owner never registers a timer that is already
    /// registered (see [`TimerQueue::without_dedup`]); cheaper per timer.
    pub fn without_dedup() -> Self {
        Self {
            event_time: TimerQueue::without_dedup(),
            processing_time: TimerQueue::without_dedup(),
            watermark: i64::MIN,
        }
    }

    /// The current event-time watermark.
    #[inline]
    pub fn current_watermark(&self) -> i64 {
        self.watermark
    }

    /// Advances the watermark (it never goes back).
    #[inline]
    pub fn advance_watermark(&mut self, wm: i64) {
        if wm > self.watermark {
            self.watermark = wm;
        }
    }

    /// Registers an event-time timer.
    #[inline]
    pub fn register_event_time_timer(&mut self, key: K, ns: N, ts: i64) -> bool {
        self.event_time.register(ts, key, ns)
    }

    /// Registers a processing-time timer.
    #[inline]
    pub fn register_processing_time_timer(&mut self, key: K, ns: N, ts: i64) -> bool {
        self.processing_time.register(ts, key, ns)
    }

    /// Deletes an event-time timer.
    pub fn delete_event_time_timer(&mut self, key: &K, ns: &N, ts: i64) -> bool {
        self.event_time.delete(ts, key, ns)
    }

    /// Deletes a processing-time timer.
    pub fn delete_processing_time_timer(&mut self, key: &K, ns: &N, ts: i64) -> bool {
        self.processing_time.delete(ts, key, ns)
    }

    /// The queue of `domain`.
    pub fn queue_mut(&mut self, domain: TimeDomain) -> &mut TimerQueue<K, N> {
        match domain {
            TimeDomain::EventTime => &mut self.event_time,
            TimeDomain::ProcessingTime => &mut self.processing_time,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::VoidNamespace;

    #[test]
    fn timers_are_deduplicated_and_fire_in_timestamp_order() {
        let mut q: TimerQueue<u32, VoidNamespace> = TimerQueue::default();
        assert!(q.register(30, 1, VoidNamespace));
        assert!(q.register(10, 2, VoidNamespace));
        assert!(!q.register(10, 2, VoidNamespace), "duplicate");
        assert!(q.register(10, 3, VoidNamespace));
        assert!(q.register(20, 1, VoidNamespace));
        assert!(q.register(i64::MAX, 9, VoidNamespace));
        assert_eq!(q.len(), 5);
        assert!(q.delete(20, &1, &VoidNamespace));
        assert!(!q.delete(20, &1, &VoidNamespace));
        assert_eq!(q.next_timestamp(), Some(10));
        assert!(q.pop_batch(9).is_none(), "nothing due before 10");
        let (ts, mut batch) = q.pop_batch(30).unwrap();
        batch.sort_by_key(|(k, _)| *k);
        assert_eq!((ts, batch.len()), (10, 2));
        assert_eq!(batch[0].0, 2);
        let (ts, batch) = q.pop_batch(30).unwrap();
        assert_eq!((ts, batch[0].0), (30, 1));
        assert!(q.pop_batch(30).is_none());
        let (ts, _) = q.pop_batch(i64::MAX).unwrap();
        assert_eq!(ts, i64::MAX, "a timer at MAX fires at the final watermark");
        assert!(q.is_empty());
    }

    #[test]
    fn queue_without_dedup_keeps_order_and_deletes() {
        let mut q: TimerQueue<u32, VoidNamespace> = TimerQueue::without_dedup();
        for (ts, k) in [(5, 1), (3, 2), (5, 3), (1, 4)] {
            assert!(q.register(ts, k, VoidNamespace));
        }
        assert!(q.contains(5, &3, &VoidNamespace));
        assert!(q.delete(5, &1, &VoidNamespace));
        assert!(!q.delete(5, &1, &VoidNamespace));
        let all: Vec<(i64, u32)> = q.iter().map(|(t, k, _)| (t, *k)).collect();
        assert_eq!(all, [(1, 4), (3, 2), (5, 3)]);
        let drained: Vec<(i64, u32)> = q.drain_all().into_iter().map(|(t, k, _)| (t, k)).collect();
        assert_eq!(drained, [(1, 4), (3, 2), (5, 3)]);
        assert!(q.is_empty());
    }

    #[test]
    fn watermark_only_advances() {
        let mut s: InternalTimerService<u8, VoidNamespace> = InternalTimerService::new();
        assert_eq!(s.current_watermark(), i64::MIN);
        s.advance_watermark(10);
        s.advance_watermark(5);
        assert_eq!(s.current_watermark(), 10);
    }
}
