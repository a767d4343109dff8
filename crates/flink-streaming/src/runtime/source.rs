//! Sources: pull-based, so the task loop can interleave checkpoint
//! barriers, timers, flushing and cancellation between batches.

use crate::runtime::operator::RuntimeContext;
use crate::runtime::output::{OpResult, OperatorError, Output};
use std::time::Instant;

/// Paces a source subtask at up to a number of records per second: the
/// budget of a poll is what the rate allows since the first poll, minus what
/// was already emitted.
#[derive(Debug, Clone, Default)]
pub struct RateLimiter {
    rate: Option<f64>,
    started: Option<Instant>,
    emitted: u64,
}

impl RateLimiter {
    /// `rate` records/s over all subtasks (`None`: unlimited).
    pub fn new(rate: Option<f64>) -> Self {
        Self {
            rate,
            started: None,
            emitted: 0,
        }
    }

    /// Gives this subtask its share of the rate among `parallelism` subtasks.
    pub fn share(&mut self, parallelism: u32) {
        if let Some(r) = self.rate {
            self.rate = Some(r / parallelism.max(1) as f64);
        }
    }

    /// How many records may be emitted now, at most `max` (0: wait).
    #[inline]
    pub fn budget(&mut self, max: u64) -> u64 {
        let Some(rate) = self.rate else {
            return max;
        };
        let started = *self.started.get_or_insert_with(Instant::now);
        let allowed = (started.elapsed().as_secs_f64() * rate) as u64 + 1;
        max.min(allowed.saturating_sub(self.emitted))
    }

    /// Counts `n` emitted records.
    #[inline]
    pub fn emitted(&mut self, n: u64) {
        self.emitted += n;
    }
}

/// What a source reports after a poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceStatus {
    /// More records are ready; poll again soon.
    MoreAvailable,
    /// Nothing right now (e.g. rate limit, socket idle); the task waits a little.
    NothingAvailable,
    /// The (bounded) input is exhausted.
    Finished,
}

/// Where a source emits records.
pub struct SourceOutput<'a, T> {
    out: &'a mut dyn Output<T>,
}

impl<'a, T> SourceOutput<'a, T> {
    /// Wraps a chain input.
    pub fn new(out: &'a mut dyn Output<T>) -> Self {
        Self { out }
    }
    /// Emits a record without timestamp.
    #[inline]
    pub fn collect(&mut self, value: T) -> OpResult {
        self.out.record(value, None)
    }
    /// Emits a record with an event timestamp.
    #[inline]
    pub fn collect_with_timestamp(&mut self, value: T, ts: i64) -> OpResult {
        self.out.record(value, Some(ts))
    }
    /// Emits a watermark (sources that generate their own).
    pub fn emit_watermark(&mut self, wm: i64) -> OpResult {
        self.out.watermark(wm)
    }
}

/// A source function (Flink `Source`/`SourceFunction`), one instance per subtask.
pub trait Source<T>: Send {
    /// Called once before polling, after `restore_state`.
    fn open(&mut self, _ctx: &RuntimeContext) -> OpResult {
        Ok(())
    }
    /// Emits a bounded batch of records (a few hundred to a few thousand) and says what comes next.
    fn poll_next(
        &mut self,
        out: &mut SourceOutput<'_, T>,
    ) -> Result<SourceStatus, Box<OperatorError>>;
    /// The source's position for a checkpoint (replayable sources).
    fn snapshot_state(&mut self) -> Option<Vec<u8>> {
        None
    }
    /// Restores a position from a checkpoint taken at the same parallelism
    /// (this subtask's own state).
    fn restore_state(&mut self, _state: &[u8]) -> OpResult {
        Ok(())
    }
    /// Restores after a parallelism change: `states` are the positions of
    /// all former subtasks; this subtask (`subtask` of `parallelism`) keeps
    /// the part that is now its own. Sources that cannot re-split their
    /// input keep this default, an error saying so.
    fn restore_rescaled(
        &mut self,
        _states: &[Vec<u8>],
        _subtask: u32,
        _parallelism: u32,
    ) -> OpResult {
        Err(Box::new(OperatorError::Other(
            "this source does not support a change of parallelism; restore it with the \
             parallelism of the checkpoint"
                .into(),
        )))
    }
    /// A checkpoint completed.
    fn checkpoint_complete(&mut self, _id: u64) {}
}
