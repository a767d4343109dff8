//! Process functions (Flink `KeyedProcessFunction` / `ProcessFunction`) and
//! the operators that run them.
//!
//! A [`KeyedProcessFunction`] sees one element at a time with a
//! [`KeyedProcessContext`]: the current key, the element timestamp, keyed
//! state (`ctx.state(&descriptor)`) and a [`TimerService`]. Event-time
//! timers fire when the watermark reaches them (every timer with
//! `timestamp <= watermark`, so a timer at `i64::MAX` fires at the end of a
//! bounded input); processing-time timers fire on the task's processing-time
//! ticks. Processing-time timers still pending when the input ends fire once
//! at the end (so bounded jobs emit what they hold). State and timers are
//! snapshotted per key group.

use crate::api::Data;
use crate::element::CheckpointBarrier;
use crate::operators::basic::Collector;
use crate::operators::keyed::{Key, KeySelector};
use crate::runtime::operator::{RuntimeContext, StreamOperator};
use crate::runtime::output::{OpResult, OperatorError, Output};
use crate::runtime::snapshot::OperatorSnapshot;
use flink_state::{
    HeapKeyedStateBackend, InternalTimerService, KeyedStateAccess, Namespace, StateError,
    TimeDomain, VoidNamespace, restore_key_group, snapshot_key_groups,
};
use std::marker::PhantomData;

impl From<StateError> for Box<OperatorError> {
    fn from(e: StateError) -> Self {
        Box::new(OperatorError::Other(e.to_string()))
    }
}

/// Wall-clock time in milliseconds since the epoch.
#[inline]
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Restores keyed state and timers of operator `uid` from `ctx.restore`.
pub fn restore_keyed_state<K: Key, N: Namespace>(
    ctx: &RuntimeContext,
    uid: &str,
    state: &mut HeapKeyedStateBackend<K, N>,
    timers: &mut InternalTimerService<K, N>,
) -> OpResult {
    let Some(restore) = &ctx.restore else {
        return Ok(());
    };
    for handle in restore.operator_state.get(uid).into_iter().flatten() {
        match &handle.location {
            flink_types::StateLocation::Inline(bytes) => {
                restore_key_group(state, timers, bytes)?;
            }
            flink_types::StateLocation::File(path) => {
                return Err(Box::new(OperatorError::Other(format!(
                    "operator '{uid}': keyed state handle {path} must be read into memory \
                     before the operator opens (file state handles are resolved by the task)"
                ))));
            }
        }
    }
    Ok(())
}

/// Snapshots keyed state and timers as an [`OperatorSnapshot`].
pub fn snapshot_keyed_state<K: Key, N: Namespace>(
    uid: &str,
    state: &HeapKeyedStateBackend<K, N>,
    timers: &InternalTimerService<K, N>,
) -> Result<Option<OperatorSnapshot>, Box<OperatorError>> {
    Ok(Some(OperatorSnapshot {
        uid: uid.to_string(),
        key_groups: snapshot_key_groups(state, timers)?,
        operator_state: None,
    }))
}

/// Registers and deletes timers of the current key (Flink `TimerService`).
pub struct TimerService<'a, K> {
    key: Option<&'a K>,
    timers: &'a mut InternalTimerService<K, VoidNamespace>,
}

impl<K: Key> TimerService<'_, K> {
    /// The current event-time watermark (`i64::MIN` before the first).
    pub fn current_watermark(&self) -> i64 {
        self.timers.current_watermark()
    }
    /// The current processing time (ms since the epoch).
    pub fn current_processing_time(&self) -> i64 {
        now_ms()
    }
    /// Fires `on_timer` for the current key once the watermark reaches `ts`.
    pub fn register_event_time_timer(&mut self, ts: i64) {
        if let Some(k) = self.key {
            self.timers
                .register_event_time_timer(k.clone(), VoidNamespace, ts);
        }
    }
    /// Fires `on_timer` for the current key once the wall clock reaches `ts`.
    pub fn register_processing_time_timer(&mut self, ts: i64) {
        if let Some(k) = self.key {
            self.timers
                .register_processing_time_timer(k.clone(), VoidNamespace, ts);
        }
    }
    /// Deletes an event-time timer of the current key.
    pub fn delete_event_time_timer(&mut self, ts: i64) {
        if let Some(k) = self.key {
            self.timers.delete_event_time_timer(k, &VoidNamespace, ts);
        }
    }
    /// Deletes a processing-time timer of the current key.
    pub fn delete_processing_time_timer(&mut self, ts: i64) {
        if let Some(k) = self.key {
            self.timers
                .delete_processing_time_timer(k, &VoidNamespace, ts);
        }
    }
}

/// What a [`KeyedProcessFunction`] sees besides the element.
pub struct KeyedProcessContext<'a, K> {
    state: &'a mut HeapKeyedStateBackend<K, VoidNamespace>,
    timers: &'a mut InternalTimerService<K, VoidNamespace>,
    timestamp: Option<i64>,
    domain: Option<TimeDomain>,
}

impl<K: Key> KeyedProcessContext<'_, K> {
    /// The key of the element or timer being processed.
    pub fn current_key(&self) -> &K {
        match self.state.current_key() {
            Some(k) => k,
            // The operator sets the key before every call.
            None => unreachable!("a keyed process context always has a current key"),
        }
    }
    /// The element's timestamp (the timer's timestamp in an event-time `on_timer`).
    pub fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }
    /// In `on_timer`: which kind of timer fired (`None` in `process_element`).
    pub fn time_domain(&self) -> Option<TimeDomain> {
        self.domain
    }
    /// The state of `descriptor` (a `ValueStateDescriptor`, `ListStateDescriptor`
    /// or `MapStateDescriptor`) for the current key.
    #[inline]
    pub fn state<D: KeyedStateAccess<K, VoidNamespace>>(
        &mut self,
        descriptor: &D,
    ) -> Result<D::State<'_>, StateError> {
        self.state.state(descriptor)
    }
    /// Timers of the current key.
    pub fn timer_service(&mut self) -> TimerService<'_, K> {
        TimerService {
            key: self.state.current_key(),
            timers: self.timers,
        }
    }
    /// The current event-time watermark.
    pub fn current_watermark(&self) -> i64 {
        self.timers.current_watermark()
    }
}

/// A function over a keyed stream with state and timers (Flink `KeyedProcessFunction`).
pub trait KeyedProcessFunction<K, I, O>: Send {
    /// Called once per subtask before the first element (after restore).
    fn open(&mut self, _ctx: &RuntimeContext) -> OpResult {
        Ok(())
    }
    /// One element; results go to `out` (stamped with the element's timestamp).
    fn process_element(
        &mut self,
        value: I,
        ctx: &mut KeyedProcessContext<'_, K>,
        out: &mut Collector<'_, O>,
    ) -> OpResult;
    /// A timer of `ctx.current_key()` fired. Results of event-time timers
    /// carry the timer's timestamp; those of processing-time timers none.
    fn on_timer(
        &mut self,
        _timestamp: i64,
        _ctx: &mut KeyedProcessContext<'_, K>,
        _out: &mut Collector<'_, O>,
    ) -> OpResult {
        Ok(())
    }
}

/// Runs a [`KeyedProcessFunction`] (Flink `KeyedProcessOperator`).
pub struct KeyedProcessOperator<T, K, O, F> {
    key: KeySelector<T, K>,
    f: F,
    state: HeapKeyedStateBackend<K, VoidNamespace>,
    timers: InternalTimerService<K, VoidNamespace>,
    uid: String,
    _o: PhantomData<fn() -> O>,
}

impl<T, K: Key, O, F> KeyedProcessOperator<T, K, O, F> {
    /// The operator for one subtask.
    pub fn new(key: KeySelector<T, K>, f: F, ctx: &RuntimeContext) -> Self {
        Self {
            key,
            f,
            state: HeapKeyedStateBackend::new(ctx.max_parallelism, ctx.key_group_range()),
            timers: InternalTimerService::new(),
            uid: ctx.operator_uid.clone(),
            _o: PhantomData,
        }
    }
}

impl<T, K, O, F> KeyedProcessOperator<T, K, O, F>
where
    T: Data,
    K: Key,
    O: Data,
    F: KeyedProcessFunction<K, T, O>,
{
    fn fire(&mut self, ts: i64, key: K, domain: TimeDomain, out: &mut dyn Output<O>) -> OpResult {
        self.state.set_current_key(key);
        let out_ts = (domain == TimeDomain::EventTime).then_some(ts);
        let mut c = Collector::new(out, out_ts);
        let mut ctx = KeyedProcessContext {
            state: &mut self.state,
            timers: &mut self.timers,
            timestamp: out_ts,
            domain: Some(domain),
        };
        self.f.on_timer(ts, &mut ctx, &mut c)?;
        c.finish()
    }
}

impl<T, K, O, F> StreamOperator<T, O> for KeyedProcessOperator<T, K, O, F>
where
    T: Data,
    K: Key,
    O: Data,
    F: KeyedProcessFunction<K, T, O>,
{
    fn open(&mut self, ctx: &RuntimeContext) -> OpResult {
        restore_keyed_state(ctx, &self.uid, &mut self.state, &mut self.timers)?;
        self.f.open(ctx)
    }

    #[inline]
    fn process(&mut self, value: T, ts: Option<i64>, out: &mut dyn Output<O>) -> OpResult {
        self.state.set_current_key((self.key)(&value));
        let mut c = Collector::new(out, ts);
        let mut ctx = KeyedProcessContext {
            state: &mut self.state,
            timers: &mut self.timers,
            timestamp: ts,
            domain: None,
        };
        self.f.process_element(value, &mut ctx, &mut c)?;
        c.finish()
    }

    fn watermark(&mut self, wm: i64, out: &mut dyn Output<O>) -> OpResult {
        self.timers.advance_watermark(wm);
        while let Some((ts, batch)) = self.timers.event_time.pop_batch(wm) {
            for (k, _) in batch {
                self.fire(ts, k, TimeDomain::EventTime, out)?;
            }
        }
        out.watermark(wm)
    }

    fn processing_time(&mut self, now: i64, out: &mut dyn Output<O>) -> OpResult {
        while let Some((ts, batch)) = self.timers.processing_time.pop_batch(now) {
            for (k, _) in batch {
                self.fire(ts, k, TimeDomain::ProcessingTime, out)?;
            }
        }
        out.processing_time(now)
    }

    fn snapshot(
        &mut self,
        _barrier: &CheckpointBarrier,
    ) -> Result<Option<OperatorSnapshot>, Box<OperatorError>> {
        snapshot_keyed_state(&self.uid, &self.state, &self.timers)
    }

    fn end_input(&mut self, out: &mut dyn Output<O>) -> OpResult {
        // Pending processing-time timers fire once; timers they register are dropped.
        for (ts, k, _) in self.timers.processing_time.drain_all() {
            self.fire(ts, k, TimeDomain::ProcessingTime, out)?;
        }
        self.timers.processing_time.drain_all();
        Ok(())
    }
}

/// What a [`ProcessFunction`] sees besides the element.
pub struct ProcessContext {
    timestamp: Option<i64>,
    watermark: i64,
}

impl ProcessContext {
    /// The element's timestamp.
    pub fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }
    /// The current event-time watermark.
    pub fn current_watermark(&self) -> i64 {
        self.watermark
    }
    /// The current processing time (ms since the epoch).
    pub fn current_processing_time(&self) -> i64 {
        now_ms()
    }
}

/// A function over a non-keyed stream (Flink `ProcessFunction`; no state or timers).
pub trait ProcessFunction<I, O>: Send {
    /// Called once per subtask before the first element.
    fn open(&mut self, _ctx: &RuntimeContext) -> OpResult {
        Ok(())
    }
    /// One element; results go to `out` (stamped with the element's timestamp).
    fn process_element(
        &mut self,
        value: I,
        ctx: &ProcessContext,
        out: &mut Collector<'_, O>,
    ) -> OpResult;
}

/// Runs a [`ProcessFunction`] (Flink `ProcessOperator`).
pub struct ProcessOperator<F> {
    f: F,
    watermark: i64,
}

impl<F> ProcessOperator<F> {
    /// The operator for one subtask.
    pub fn new(f: F) -> Self {
        Self {
            f,
            watermark: i64::MIN,
        }
    }
}

impl<I, O, F> StreamOperator<I, O> for ProcessOperator<F>
where
    F: ProcessFunction<I, O>,
{
    fn open(&mut self, ctx: &RuntimeContext) -> OpResult {
        self.f.open(ctx)
    }

    #[inline]
    fn process(&mut self, value: I, ts: Option<i64>, out: &mut dyn Output<O>) -> OpResult {
        let ctx = ProcessContext {
            timestamp: ts,
            watermark: self.watermark,
        };
        let mut c = Collector::new(out, ts);
        self.f.process_element(value, &ctx, &mut c)?;
        c.finish()
    }

    fn watermark(&mut self, wm: i64, out: &mut dyn Output<O>) -> OpResult {
        self.watermark = self.watermark.max(wm);
        out.watermark(wm)
    }
}
