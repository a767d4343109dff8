//! Timestamps and watermarks: [`WatermarkStrategy`] and the operator that
//! applies it (Flink `TimestampsAndWatermarksOperator`). Watermarks are
//! emitted periodically (`pipeline.auto-watermark-interval`, 200 ms) on
//! processing-time ticks, and the final `i64::MAX` watermark passes
//! through at the end of a bounded input so every timer and window fires.

use crate::runtime::operator::{RuntimeContext, StreamOperator};
use crate::runtime::output::{OpResult, Output};
use std::sync::Arc;
use std::time::Duration;

/// Extracts an event timestamp (ms) from a record.
pub type TimestampAssigner<T> = Arc<dyn Fn(&T) -> i64 + Send + Sync>;

/// How to derive timestamps and watermarks.
pub struct WatermarkStrategy<T> {
    pub(crate) out_of_orderness: Duration,
    pub(crate) assigner: Option<TimestampAssigner<T>>,
    pub(crate) idleness: Option<Duration>,
}

impl<T> Clone for WatermarkStrategy<T> {
    fn clone(&self) -> Self {
        Self {
            out_of_orderness: self.out_of_orderness,
            assigner: self.assigner.clone(),
            idleness: self.idleness,
        }
    }
}

impl<T> WatermarkStrategy<T> {
    /// Watermarks trail the largest seen timestamp by `max_out_of_orderness`.
    pub fn for_bounded_out_of_orderness(max_out_of_orderness: Duration) -> Self {
        Self {
            out_of_orderness: max_out_of_orderness,
            assigner: None,
            idleness: None,
        }
    }
    /// Timestamps only ever increase.
    pub fn for_monotonous_timestamps() -> Self {
        Self::for_bounded_out_of_orderness(Duration::ZERO)
    }
    /// Takes event timestamps from the records (else the records' existing timestamps are used).
    pub fn with_timestamp_assigner(
        mut self,
        f: impl Fn(&T) -> i64 + Send + Sync + 'static,
    ) -> Self {
        self.assigner = Some(Arc::new(f));
        self
    }
    /// Marks the input idle when no record arrived for `timeout`.
    pub fn with_idleness(mut self, timeout: Duration) -> Self {
        self.idleness = Some(timeout);
        self
    }
}

/// Applies a [`WatermarkStrategy`].
pub struct TimestampsAndWatermarksOperator<T> {
    strategy: WatermarkStrategy<T>,
    max_ts: i64,
    last_emitted: i64,
    interval_ms: i64,
    last_tick: i64,
    last_record_ms: i64,
    idle: bool,
    saw_record_since_tick: bool,
}

impl<T> TimestampsAndWatermarksOperator<T> {
    /// The operator for `strategy`.
    pub fn new(strategy: WatermarkStrategy<T>, ctx: &RuntimeContext) -> Self {
        let interval_ms = ctx
            .config_value("pipeline.auto-watermark-interval")
            .and_then(|v| flink_config::parse_duration(v).ok())
            .map(|d| d.as_millis() as i64)
            .unwrap_or(200);
        Self {
            strategy,
            max_ts: i64::MIN,
            last_emitted: i64::MIN,
            interval_ms,
            last_tick: 0,
            last_record_ms: 0,
            idle: false,
            saw_record_since_tick: false,
        }
    }

    fn current(&self) -> i64 {
        if self.max_ts == i64::MIN {
            i64::MIN
        } else {
            self.max_ts
                .saturating_sub(self.strategy.out_of_orderness.as_millis() as i64)
                .saturating_sub(1)
        }
    }
}

impl<T: Send> StreamOperator<T, T> for TimestampsAndWatermarksOperator<T> {
    #[inline]
    fn process(&mut self, value: T, ts: Option<i64>, out: &mut dyn Output<T>) -> OpResult {
        let ts = match &self.strategy.assigner {
            Some(f) => Some(f(&value)),
            None => ts,
        };
        if let Some(t) = ts
            && t > self.max_ts
        {
            self.max_ts = t;
        }
        self.saw_record_since_tick = true;
        if self.idle {
            self.idle = false;
            out.watermark_status(false)?;
        }
        out.record(value, ts)
    }

    fn watermark(&mut self, wm: i64, out: &mut dyn Output<T>) -> OpResult {
        // Only the end-of-input watermark passes from upstream.
        if wm == i64::MAX {
            self.last_emitted = i64::MAX;
            out.watermark(wm)?;
        }
        Ok(())
    }

    fn processing_time(&mut self, now_ms: i64, out: &mut dyn Output<T>) -> OpResult {
        if self.saw_record_since_tick {
            self.last_record_ms = now_ms;
            self.saw_record_since_tick = false;
        }
        if now_ms - self.last_tick >= self.interval_ms {
            self.last_tick = now_ms;
            let wm = self.current();
            if wm > self.last_emitted {
                self.last_emitted = wm;
                out.watermark(wm)?;
            }
            if let Some(idle) = self.strategy.idleness
                && !self.idle
                && self.last_record_ms > 0
                && now_ms - self.last_record_ms >= idle.as_millis() as i64
            {
                self.idle = true;
                out.watermark_status(true)?;
            }
        }
        out.processing_time(now_ms)
    }

    fn end_input(&mut self, out: &mut dyn Output<T>) -> OpResult {
        let wm = self.current();
        if wm > self.last_emitted {
            self.last_emitted = wm;
            out.watermark(wm)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watermark_interval_accepts_flink_durations() {
        for (value, ms) in [("1 s", 1000), ("50 ms", 50), ("300", 300)] {
            let mut ctx = RuntimeContext::standalone("Timestamps/Watermarks");
            let mut config = std::collections::BTreeMap::new();
            config.insert(
                "pipeline.auto-watermark-interval".to_string(),
                value.to_string(),
            );
            ctx.config = Arc::new(config);
            let op = TimestampsAndWatermarksOperator::<u64>::new(
                WatermarkStrategy::for_monotonous_timestamps(),
                &ctx,
            );
            assert_eq!(op.interval_ms, ms, "{value}");
        }
    }
}
