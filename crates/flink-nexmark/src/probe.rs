//! Measurements of a benchmark run inside one process (the local runtime):
//! when the sources generated which event time, and the latency of results
//! at the sink.
//!
//! **Latency** of a result with timestamp `T` (for windows: the window's
//! `end - 1`) is the wall-clock time at the sink when the result arrives
//! minus the wall-clock time at which *every* source subtask had generated
//! all its events with event time `<= T`, i.e. the moment the result's input
//! was complete. Sources log `(event time reached, wall clock)` after every
//! batch (1024 events) and before the next one, so the input-complete time
//! is exact to one batch; a result whose input is still in the batch being
//! generated counts from the start of that batch (an upper bound).
//! For windowed queries this is the time from the last event of a window to
//! its result (watermark delay, periodic watermark interval and processing
//! included); for record-at-a-time queries it is the source-to-sink time.
//! Latencies go into a histogram with 32 sub-buckets per power of two (at
//! most 3 % relative error).

use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

const SUB_BITS: u32 = 5;

/// A log-linear histogram of microsecond values.
#[derive(Clone, Debug, Default)]
pub struct Histogram {
    buckets: Vec<u64>,
    count: u64,
    max: u64,
}

fn bucket_of(v: u64) -> usize {
    if v < (1 << SUB_BITS) {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros();
    let shift = exp - SUB_BITS;
    let mantissa = (v >> shift) as usize & ((1 << SUB_BITS) - 1);
    ((shift as usize + 1) << SUB_BITS) + mantissa
}

fn bucket_low(b: usize) -> u64 {
    if b < (1 << SUB_BITS) {
        return b as u64;
    }
    let shift = (b >> SUB_BITS) - 1;
    let mantissa = (b & ((1 << SUB_BITS) - 1)) as u64;
    ((1u64 << SUB_BITS) | mantissa) << shift
}

impl Histogram {
    /// Adds one value.
    pub fn record(&mut self, v: u64) {
        let b = bucket_of(v);
        if self.buckets.len() <= b {
            self.buckets.resize(b + 1, 0);
        }
        self.buckets[b] += 1;
        self.count += 1;
        self.max = self.max.max(v);
    }
    /// Adds all values of another histogram.
    pub fn merge(&mut self, other: &Histogram) {
        if self.buckets.len() < other.buckets.len() {
            self.buckets.resize(other.buckets.len(), 0);
        }
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a += b;
        }
        self.count += other.count;
        self.max = self.max.max(other.max);
    }
    /// Number of values.
    pub fn count(&self) -> u64 {
        self.count
    }
    /// The `q` quantile (0..=1), as the lower bound of its bucket.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (b, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(bucket_low(b).min(self.max));
            }
        }
        Some(self.max)
    }
}

/// What one benchmark run records (see the module docs).
#[derive(Debug, Default)]
pub struct Probe {
    /// When the first source started generating.
    pub first_poll: Mutex<Option<Instant>>,
    /// Per source subtask: `(event time reached, µs since the probe's epoch)`,
    /// ascending; event time `i64::MAX` marks a finished subtask.
    generated: Mutex<HashMap<u32, Vec<(i64, u64)>>>,
    /// Number of source subtasks.
    sources: Mutex<u32>,
    latencies: Mutex<Histogram>,
    /// Results without a matching generation record.
    pub unmatched: Mutex<u64>,
    epoch: OnceLock<Instant>,
}

impl Probe {
    fn now_us(&self) -> u64 {
        self.epoch.get_or_init(Instant::now).elapsed().as_micros() as u64
    }

    /// A source subtask (of `parallelism`) starts.
    pub fn source_started(&self, parallelism: u32) {
        let _ = self.now_us();
        *self.sources.lock() = parallelism;
        self.first_poll.lock().get_or_insert_with(Instant::now);
    }

    /// Source `subtask` has generated every event with event time `< reached`.
    pub fn generated(&self, subtask: u32, reached: i64) {
        let now = self.now_us();
        self.generated
            .lock()
            .entry(subtask)
            .or_default()
            .push((reached, now));
    }

    /// When (µs since epoch) all sources had generated every event with time `<= ts`.
    fn input_complete_at(&self, ts: i64) -> Option<u64> {
        let g = self.generated.lock();
        if g.len() < *self.sources.lock() as usize {
            return None;
        }
        let mut at = 0;
        for log in g.values() {
            let i = log.partition_point(|(reached, _)| *reached <= ts);
            // Past the last entry: the event is in the batch being generated
            // (it started at the last entry), an upper bound on the latency.
            at = at.max(log.get(i).or(log.last())?.1);
        }
        Some(at)
    }

    /// A result with timestamp `ts` reached the sink now.
    pub fn result(&self, ts: i64) {
        let now = self.now_us();
        match self.input_complete_at(ts) {
            Some(at) => self.latencies.lock().record(now.saturating_sub(at)),
            None => *self.unmatched.lock() += 1,
        }
    }

    /// The latency histogram so far.
    pub fn latencies(&self) -> Histogram {
        self.latencies.lock().clone()
    }
}

/// The probe registered under `name` (created on first use).
pub fn probe(name: &str) -> Arc<Probe> {
    static PROBES: OnceLock<Mutex<HashMap<String, Arc<Probe>>>> = OnceLock::new();
    PROBES
        .get_or_init(Default::default)
        .lock()
        .entry(name.to_string())
        .or_default()
        .clone()
}

/// CPU time (user + system) this process used so far, in seconds.
pub fn process_cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    if rc != 0 {
        return 0.0;
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Peak resident set size of this process in bytes (`VmHWM`).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_within_three_percent() {
        let mut h = Histogram::default();
        for v in 1..=100_000u64 {
            h.record(v);
        }
        let p50 = h.quantile(0.5).unwrap() as f64;
        let p99 = h.quantile(0.99).unwrap() as f64;
        assert!((p50 / 50_000.0 - 1.0).abs() < 0.035, "{p50}");
        assert!((p99 / 99_000.0 - 1.0).abs() < 0.035, "{p99}");
        assert_eq!(h.quantile(0.0), Some(1));
        assert_eq!(Histogram::default().quantile(0.5), None);
        for v in [0u64, 1, 31, 32, 33, 1000, 1 << 40] {
            assert!(bucket_low(bucket_of(v)) <= v);
        }
    }

    #[test]
    fn latency_waits_for_every_source() {
        let p = Probe::default();
        p.source_started(2);
        p.generated(0, 100);
        p.result(60); // subtask 1 has not logged anything yet
        assert_eq!(*p.unmatched.lock(), 1);
        p.generated(1, 50);
        p.generated(1, 200);
        p.result(60);
        assert_eq!(p.latencies().count(), 1);
        // In the batch being generated: counted from the last entry.
        p.result(300);
        assert_eq!(p.latencies().count(), 2);
    }
}
