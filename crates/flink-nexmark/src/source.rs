//! [`NexmarkSource`]: the generator as a flink-rs source.
//!
//! Subtask `i` of `p` generates event numbers `i, i + p, i + 2p, ...` below
//! the event count, so subtasks never overlap and all walk the same
//! event-time line together (watermarks of parallel subtasks stay close).
//! Records carry their event time as timestamp. The checkpointed state is
//! the next event number, so a restored source continues exactly where the
//! checkpoint was taken.

use crate::generator::Generator;
use crate::model::Event;
use crate::probe::Probe;
use flink_streaming::{
    OpResult, OperatorError, RateLimiter, RuntimeContext, Source, SourceOutput, SourceStatus,
};
use std::sync::Arc;

const BATCH: u64 = 1024;

/// Generates Nexmark events (see the module docs).
pub struct NexmarkSource {
    generator: Arc<Generator>,
    count: Option<u64>,
    limiter: RateLimiter,
    next: u64,
    stride: u64,
    subtask: u32,
    restored: bool,
    probe: Option<Arc<Probe>>,
}

impl NexmarkSource {
    /// A source of `count` events (`None`: unbounded) at up to `rate`
    /// events/s over all subtasks (`None`: as fast as possible).
    pub fn new(generator: Arc<Generator>, count: Option<u64>, rate: Option<f64>) -> Self {
        Self {
            generator,
            count,
            limiter: RateLimiter::new(rate),
            next: 0,
            stride: 1,
            subtask: 0,
            restored: false,
            probe: None,
        }
    }

    /// Logs generation progress into `probe` (benchmark latency).
    pub fn with_probe(mut self, probe: Option<Arc<Probe>>) -> Self {
        self.probe = probe;
        self
    }

    /// The next event number this subtask generates.
    pub fn next_event_number(&self) -> u64 {
        self.next
    }

    fn finished(&self) -> bool {
        self.count.is_some_and(|c| self.next >= c)
    }
}

impl Source<Event> for NexmarkSource {
    fn open(&mut self, ctx: &RuntimeContext) -> OpResult {
        self.stride = ctx.parallelism.max(1) as u64;
        self.subtask = ctx.subtask;
        if !self.restored {
            self.next = ctx.subtask as u64;
        }
        self.limiter.share(ctx.parallelism);
        if let Some(p) = &self.probe {
            p.source_started(ctx.parallelism.max(1));
        }
        Ok(())
    }

    fn poll_next(
        &mut self,
        out: &mut SourceOutput<'_, Event>,
    ) -> Result<SourceStatus, Box<OperatorError>> {
        let budget = self.limiter.budget(BATCH);
        if budget == 0 {
            return Ok(SourceStatus::NothingAvailable);
        }
        if let Some(p) = &self.probe
            && !self.finished()
        {
            p.generated(self.subtask, self.generator.event_timestamp(self.next));
        }
        for _ in 0..budget {
            if self.finished() {
                break;
            }
            let event = self.generator.event(self.next);
            let ts = event.date_time();
            self.next += self.stride;
            self.limiter.emitted(1);
            out.collect_with_timestamp(event, ts)?;
        }
        let done = self.finished();
        if let Some(p) = &self.probe {
            let reached = if done {
                i64::MAX
            } else {
                self.generator.event_timestamp(self.next)
            };
            p.generated(self.subtask, reached);
        }
        Ok(if done {
            SourceStatus::Finished
        } else {
            SourceStatus::MoreAvailable
        })
    }

    fn snapshot_state(&mut self) -> Option<Vec<u8>> {
        Some(self.next.to_le_bytes().to_vec())
    }

    fn restore_state(&mut self, state: &[u8]) -> OpResult {
        let bytes: [u8; 8] = state.try_into().map_err(|_| {
            Box::new(OperatorError::Other(format!(
                "corrupt Nexmark source state in checkpoint: expected 8 bytes (next event number), got {}",
                state.len()
            )))
        })?;
        self.next = u64::from_le_bytes(bytes);
        self.restored = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::NexmarkConfig;
    use flink_streaming::VecOutput;

    fn ctx(subtask: u32, parallelism: u32) -> RuntimeContext {
        RuntimeContext {
            subtask,
            parallelism,
            ..RuntimeContext::standalone("Nexmark Source")
        }
    }

    fn drain(s: &mut NexmarkSource, polls: usize) -> Vec<(Event, Option<i64>)> {
        let mut out = VecOutput::default();
        for _ in 0..polls {
            let status = s.poll_next(&mut SourceOutput::new(&mut out)).unwrap();
            if status == SourceStatus::Finished {
                break;
            }
        }
        out.records
    }

    #[test]
    fn subtasks_split_events_without_overlap() {
        let g = Arc::new(Generator::new(NexmarkConfig::default()));
        let mut all = Vec::new();
        for i in 0..3 {
            let mut s = NexmarkSource::new(g.clone(), Some(5000), None);
            s.open(&ctx(i, 3)).unwrap();
            all.extend(drain(&mut s, 100));
        }
        assert_eq!(all.len(), 5000);
        let mut want: Vec<Event> = (0..5000).map(|n| g.event(n)).collect();
        let mut got: Vec<Event> = all
            .into_iter()
            .map(|(e, ts)| {
                assert_eq!(ts, Some(e.date_time()));
                e
            })
            .collect();
        let key = |e: &Event| (e.date_time(), format!("{e:?}"));
        want.sort_by_key(key);
        got.sort_by_key(key);
        assert_eq!(got, want);
    }

    #[test]
    fn restored_source_continues_where_the_snapshot_was_taken() {
        let g = Arc::new(Generator::new(NexmarkConfig::default()));
        let mut a = NexmarkSource::new(g.clone(), Some(10_000), None);
        a.open(&ctx(1, 2)).unwrap();
        drain(&mut a, 2);
        let state = a.snapshot_state().unwrap();
        let rest_a = drain(&mut a, 100);

        let mut b = NexmarkSource::new(g, Some(10_000), None);
        b.restore_state(&state).unwrap();
        b.open(&ctx(1, 2)).unwrap();
        let rest_b = drain(&mut b, 100);
        assert!(!rest_b.is_empty());
        assert_eq!(rest_a, rest_b);
        assert!(b.restore_state(&[1, 2, 3]).is_err());
    }
}
