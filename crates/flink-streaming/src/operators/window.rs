//! The window operator (Flink `WindowOperator` with the default triggers).
//!
//! Window contents live in a keyed state backend with the window as
//! namespace, so they are snapshotted per key group like all keyed state.
//! `reduce` and `aggregate` keep one accumulator per (key, window) and
//! update it in place; `process` buffers the elements. A timer at
//! `window.max_timestamp()` fires the window (event time: when the
//! watermark reaches it; processing time: when the clock does), and a
//! cleanup timer at `max_timestamp + allowed_lateness` drops its state.
//! Timers are registered only when a window's state is created, so the
//! per-element cost of a tumbling window is one hash-table probe.
//!
//! Session windows merge: the active sessions of a key are kept in a
//! per-key list (under a reserved namespace); a new element's window
//! `[ts, ts + gap)` absorbs every session it touches, and their
//! accumulators are merged.

use crate::api::Data;
use crate::api::windowing::{
    AggregateFunction, ProcessWindowFunction, TimeWindow, WindowAssigner, WindowContext,
};
use crate::element::CheckpointBarrier;
use crate::operators::basic::Collector;
use crate::operators::keyed::{Key, KeySelector};
use crate::operators::process::{now_ms, restore_keyed_state, snapshot_keyed_state};
use crate::runtime::operator::{RuntimeContext, StreamOperator};
use crate::runtime::output::{OpResult, OperatorError, Output};
use crate::runtime::snapshot::OperatorSnapshot;
use flink_state::{
    HeapKeyedStateBackend, InternalTimerService, KeyMap, StateValue, TimeDomain,
    ValueStateDescriptor, key_map_hash,
};
use std::marker::PhantomData;

/// Namespace under which the active sessions of a key are stored (never a real window).
const SESSIONS_NAMESPACE: TimeWindow = TimeWindow::new(i64::MIN, i64::MIN);

/// How a window accumulates elements and what it emits.
pub trait WindowContents<K, T, O>: Send {
    /// Per-window accumulator.
    type Acc: StateValue;
    /// An empty accumulator.
    fn create(&mut self) -> Self::Acc;
    /// Adds one element.
    fn add(&mut self, acc: &mut Self::Acc, value: T);
    /// Merges two accumulators (session windows).
    fn merge(&mut self, a: Self::Acc, b: Self::Acc) -> Self::Acc;
    /// Emits the result of a window.
    fn emit(
        &mut self,
        key: &K,
        ctx: &WindowContext,
        acc: &Self::Acc,
        out: &mut Collector<'_, O>,
    ) -> OpResult;
}

/// `reduce`: the accumulator is the reduced element.
#[derive(Clone)]
pub struct ReduceContents<F>(F);

impl<F> ReduceContents<F> {
    /// Contents reduced with `f`.
    pub fn new(f: F) -> Self {
        Self(f)
    }
}

impl<K, T, F> WindowContents<K, T, T> for ReduceContents<F>
where
    T: Data,
    F: FnMut(T, T) -> T + Send,
{
    type Acc = Option<T>;
    fn create(&mut self) -> Option<T> {
        None
    }
    #[inline]
    fn add(&mut self, acc: &mut Option<T>, value: T) {
        *acc = Some(match acc.take() {
            Some(a) => (self.0)(a, value),
            None => value,
        });
    }
    fn merge(&mut self, a: Option<T>, b: Option<T>) -> Option<T> {
        match (a, b) {
            (Some(a), Some(b)) => Some((self.0)(a, b)),
            (a, b) => a.or(b),
        }
    }
    fn emit(
        &mut self,
        _key: &K,
        _ctx: &WindowContext,
        acc: &Option<T>,
        out: &mut Collector<'_, T>,
    ) -> OpResult {
        if let Some(v) = acc {
            out.collect(v.clone());
        }
        Ok(())
    }
}

/// `aggregate`: an [`AggregateFunction`] accumulator.
pub struct AggregateContents<G, Acc> {
    agg: G,
    _acc: PhantomData<fn() -> Acc>,
}

impl<G: Clone, Acc> Clone for AggregateContents<G, Acc> {
    fn clone(&self) -> Self {
        Self {
            agg: self.agg.clone(),
            _acc: PhantomData,
        }
    }
}

impl<G, Acc> AggregateContents<G, Acc> {
    /// Contents aggregated by `agg`.
    pub fn new(agg: G) -> Self {
        Self {
            agg,
            _acc: PhantomData,
        }
    }
}

impl<K, T, Acc, O, G> WindowContents<K, T, O> for AggregateContents<G, Acc>
where
    Acc: Data,
    G: AggregateFunction<T, Acc, O>,
{
    type Acc = Acc;
    fn create(&mut self) -> Acc {
        self.agg.create_accumulator()
    }
    #[inline]
    fn add(&mut self, acc: &mut Acc, value: T) {
        self.agg.add(value, acc)
    }
    fn merge(&mut self, a: Acc, b: Acc) -> Acc {
        self.agg.merge(a, b)
    }
    fn emit(
        &mut self,
        _key: &K,
        _ctx: &WindowContext,
        acc: &Acc,
        out: &mut Collector<'_, O>,
    ) -> OpResult {
        out.collect(self.agg.get_result(acc));
        Ok(())
    }
}

/// `aggregate` followed by a window function that sees the key, the window
/// and the aggregate result (Flink `aggregate(AggregateFunction, WindowFunction)`).
pub struct AggregateWindowContents<G, Acc, R, F> {
    agg: G,
    f: F,
    _t: PhantomData<fn() -> (Acc, R)>,
}

impl<G: Clone, Acc, R, F: Clone> Clone for AggregateWindowContents<G, Acc, R, F> {
    fn clone(&self) -> Self {
        Self {
            agg: self.agg.clone(),
            f: self.f.clone(),
            _t: PhantomData,
        }
    }
}

impl<G, Acc, R, F> AggregateWindowContents<G, Acc, R, F> {
    /// Contents aggregated by `agg`, results passed to `f`.
    pub fn new(agg: G, f: F) -> Self {
        Self {
            agg,
            f,
            _t: PhantomData,
        }
    }
}

impl<K, T, Acc, R, O, G, F> WindowContents<K, T, O> for AggregateWindowContents<G, Acc, R, F>
where
    Acc: Data,
    G: AggregateFunction<T, Acc, R>,
    F: FnMut(&K, &WindowContext, R, &mut Collector<'_, O>) -> OpResult + Send,
{
    type Acc = Acc;
    fn create(&mut self) -> Acc {
        self.agg.create_accumulator()
    }
    #[inline]
    fn add(&mut self, acc: &mut Acc, value: T) {
        self.agg.add(value, acc)
    }
    fn merge(&mut self, a: Acc, b: Acc) -> Acc {
        self.agg.merge(a, b)
    }
    fn emit(
        &mut self,
        key: &K,
        ctx: &WindowContext,
        acc: &Acc,
        out: &mut Collector<'_, O>,
    ) -> OpResult {
        let r = self.agg.get_result(acc);
        (self.f)(key, ctx, r, out)
    }
}

/// `process`: all elements, evaluated by a [`ProcessWindowFunction`].
#[derive(Clone)]
pub struct ProcessContents<P>(P);

impl<P> ProcessContents<P> {
    /// Contents evaluated by `f`.
    pub fn new(f: P) -> Self {
        Self(f)
    }
}

impl<K, T, O, P> WindowContents<K, T, O> for ProcessContents<P>
where
    T: Data,
    P: ProcessWindowFunction<K, T, O>,
{
    type Acc = Vec<T>;
    fn create(&mut self) -> Vec<T> {
        Vec::new()
    }
    #[inline]
    fn add(&mut self, acc: &mut Vec<T>, value: T) {
        acc.push(value)
    }
    fn merge(&mut self, mut a: Vec<T>, b: Vec<T>) -> Vec<T> {
        a.extend(b);
        a
    }
    fn emit(
        &mut self,
        key: &K,
        ctx: &WindowContext,
        acc: &Vec<T>,
        out: &mut Collector<'_, O>,
    ) -> OpResult {
        self.0.process(key, ctx, acc, out)
    }
}

/// Windows per key with the default trigger of the assigner's time domain.
pub struct WindowOperator<T, K, O, A, C: WindowContents<K, T, O>> {
    key: KeySelector<T, K>,
    assigner: A,
    contents: C,
    lateness: i64,
    event_time: bool,
    gap: Option<i64>,
    state: HeapKeyedStateBackend<K, TimeWindow>,
    timers: InternalTimerService<K, TimeWindow>,
    acc: ValueStateDescriptor<C::Acc>,
    sessions: ValueStateDescriptor<Vec<TimeWindow>>,
    scratch: Vec<TimeWindow>,
    uid: String,
    name: String,
    late_dropped: u64,
    _o: PhantomData<fn() -> O>,
}

impl<T, K, O, A, C> WindowOperator<T, K, O, A, C>
where
    T: Data,
    K: Key,
    O: Data,
    A: WindowAssigner,
    C: WindowContents<K, T, O>,
{
    /// The operator of one subtask; `lateness` in ms.
    pub fn new(
        key: KeySelector<T, K>,
        assigner: A,
        contents: C,
        lateness: i64,
        ctx: &RuntimeContext,
    ) -> Self {
        let event_time = assigner.is_event_time();
        Self {
            key,
            gap: assigner.session_gap(),
            assigner,
            contents,
            lateness: if event_time { lateness.max(0) } else { 0 },
            event_time,
            state: HeapKeyedStateBackend::new(ctx.max_parallelism, ctx.key_group_range()),
            // Timers are registered only when a window's state is created
            // (and never for a window that still has timers), so the timer
            // queues need no duplicate check.
            timers: InternalTimerService::without_dedup(),
            acc: ValueStateDescriptor::new("window-contents"),
            sessions: ValueStateDescriptor::new("merging-window-set"),
            scratch: Vec::new(),
            uid: ctx.operator_uid.clone(),
            name: ctx.operator_name.clone(),
            late_dropped: 0,
            _o: PhantomData,
        }
    }

    /// Records dropped because all their windows were past the allowed lateness.
    pub fn num_late_records_dropped(&self) -> u64 {
        self.late_dropped
    }

    #[inline]
    fn cleanup_time(&self, w: &TimeWindow) -> i64 {
        if self.event_time {
            w.max_timestamp().saturating_add(self.lateness)
        } else {
            w.max_timestamp()
        }
    }

    #[inline]
    fn is_late(&self, w: &TimeWindow, wm: i64) -> bool {
        self.event_time && self.cleanup_time(w) <= wm
    }

    fn register_timers(&mut self, w: TimeWindow, wm: i64) {
        let cleanup = self.cleanup_time(&w);
        let Some(k) = self.state.current_key() else {
            return;
        };
        if self.event_time {
            if w.max_timestamp() > wm {
                self.timers
                    .register_event_time_timer(k.clone(), w, w.max_timestamp());
            }
            if cleanup != w.max_timestamp() {
                self.timers.register_event_time_timer(k.clone(), w, cleanup);
            }
        } else {
            self.timers
                .register_processing_time_timer(k.clone(), w, w.max_timestamp());
        }
    }

    fn delete_timers(&mut self, w: TimeWindow) {
        let cleanup = self.cleanup_time(&w);
        let Some(k) = self.state.current_key() else {
            return;
        };
        if self.event_time {
            self.timers
                .delete_event_time_timer(k, &w, w.max_timestamp());
            self.timers.delete_event_time_timer(k, &w, cleanup);
        } else {
            self.timers
                .delete_processing_time_timer(k, &w, w.max_timestamp());
        }
    }

    /// Emits window `w` of the current key `k` (if it has contents); with
    /// `purge` its contents are removed at the same time.
    fn emit(
        &mut self,
        k: &K,
        w: TimeWindow,
        now: i64,
        purge: bool,
        out: &mut dyn Output<O>,
    ) -> OpResult {
        self.state.set_current_namespace(w);
        let ctx = WindowContext {
            window: w,
            current_watermark: self.timers.current_watermark(),
            current_processing_time: now,
        };
        let mut st = self.state.value(&self.acc)?;
        let mut c = Collector::new(out, Some(w.max_timestamp()));
        if purge {
            if let Some(acc) = st.take() {
                self.contents.emit(k, &ctx, &acc, &mut c)?;
            }
        } else if let Some(acc) = st.value() {
            self.contents.emit(k, &ctx, acc, &mut c)?;
        }
        c.finish()
    }

    fn emit_current(&mut self, w: TimeWindow, out: &mut dyn Output<O>) -> OpResult {
        if let Some(k) = self.state.current_key().cloned() {
            self.emit(&k, w, now_ms(), false, out)?;
        }
        Ok(())
    }

    fn clear_window(&mut self, w: TimeWindow, contents_cleared: bool) -> OpResult {
        if !contents_cleared {
            self.state.set_current_namespace(w);
            self.state.value(&self.acc)?.clear();
        }
        if self.gap.is_some() {
            self.state.set_current_namespace(SESSIONS_NAMESPACE);
            let mut st = self.state.value(&self.sessions)?;
            let now_empty = match st.get_mut() {
                Some(list) => {
                    list.retain(|x| *x != w);
                    list.is_empty()
                }
                None => false,
            };
            if now_empty {
                st.clear();
            }
        }
        Ok(())
    }

    fn on_timer(
        &mut self,
        ts: i64,
        k: K,
        w: TimeWindow,
        now: i64,
        out: &mut dyn Output<O>,
    ) -> OpResult {
        self.state.set_current_key(k.clone());
        let cleanup = ts == self.cleanup_time(&w);
        if ts == w.max_timestamp() {
            self.emit(&k, w, now, cleanup, out)?;
        }
        if cleanup {
            self.clear_window(w, ts == w.max_timestamp())?;
        }
        Ok(())
    }

    fn add_to_window(
        &mut self,
        w: TimeWindow,
        value: T,
        wm: i64,
        out: &mut dyn Output<O>,
    ) -> OpResult {
        self.state.set_current_namespace(w);
        let created = {
            let mut st = self.state.value(&self.acc)?;
            match st.get_mut() {
                Some(acc) => {
                    self.contents.add(acc, value);
                    false
                }
                None => {
                    let mut acc = self.contents.create();
                    self.contents.add(&mut acc, value);
                    st.update(acc);
                    true
                }
            }
        };
        if created {
            self.register_timers(w, wm);
        }
        if self.event_time && w.max_timestamp() <= wm {
            // A late element within the allowed lateness fires the window again.
            self.emit_current(w, out)?;
        }
        Ok(())
    }

    fn add_to_session(&mut self, value: T, t: i64, gap: i64, out: &mut dyn Output<O>) -> OpResult {
        let wm = self.timers.current_watermark();
        let new_window = TimeWindow::new(t, t.saturating_add(gap));
        self.state.set_current_namespace(SESSIONS_NAMESPACE);
        let mut sessions = self.state.value(&self.sessions)?.take().unwrap_or_default();
        let mut absorbed = Vec::new();
        sessions.retain(|w| {
            if w.intersects(&new_window) {
                absorbed.push(*w);
                false
            } else {
                true
            }
        });
        let merged = absorbed.iter().fold(new_window, |m, w| m.cover(w));
        if self.is_late(&merged, wm) {
            self.late_dropped += 1;
            if !sessions.is_empty() {
                self.state.value(&self.sessions)?.update(sessions);
            }
            return Ok(());
        }
        let mut acc: Option<C::Acc> = None;
        let unchanged = absorbed.contains(&merged);
        for w in &absorbed {
            if *w != merged {
                self.delete_timers(*w);
            }
            self.state.set_current_namespace(*w);
            if let Some(a) = self.state.value(&self.acc)?.take() {
                acc = Some(match acc {
                    Some(x) => self.contents.merge(x, a),
                    None => a,
                });
            }
        }
        let mut acc = match acc {
            Some(a) => a,
            None => self.contents.create(),
        };
        self.contents.add(&mut acc, value);
        self.state.set_current_namespace(merged);
        self.state.value(&self.acc)?.update(acc);
        if !unchanged {
            self.register_timers(merged, wm);
        }
        sessions.push(merged);
        self.state.set_current_namespace(SESSIONS_NAMESPACE);
        self.state.value(&self.sessions)?.update(sessions);
        if self.event_time && merged.max_timestamp() <= wm {
            self.emit_current(merged, out)?;
        }
        Ok(())
    }

    fn fire_due(&mut self, domain: TimeDomain, upto: i64, out: &mut dyn Output<O>) -> OpResult {
        let now = now_ms();
        while let Some((ts, batch)) = self.timers.queue_mut(domain).pop_batch(upto) {
            for (k, w) in batch {
                self.on_timer(ts, k, w, now, out)?;
            }
        }
        Ok(())
    }
}

impl<T, K, O, A, C> StreamOperator<T, O> for WindowOperator<T, K, O, A, C>
where
    T: Data,
    K: Key,
    O: Data,
    A: WindowAssigner,
    C: WindowContents<K, T, O>,
{
    fn open(&mut self, ctx: &RuntimeContext) -> OpResult {
        restore_keyed_state(ctx, &self.uid, &mut self.state, &mut self.timers)
    }

    #[inline]
    fn process(&mut self, value: T, ts: Option<i64>, out: &mut dyn Output<O>) -> OpResult {
        let t = if self.event_time {
            match ts {
                Some(t) => t,
                None => {
                    return Err(Box::new(OperatorError::Other(format!(
                        "{}: a record has no timestamp, but event-time windows need one; call \
                         assign_timestamps_and_watermarks(...) before the window or use a \
                         processing-time window assigner",
                        self.name
                    ))));
                }
            }
        } else {
            now_ms()
        };
        self.state.set_current_key((self.key)(&value));
        if let Some(gap) = self.gap {
            return self.add_to_session(value, t, gap, out);
        }
        let wm = self.timers.current_watermark();
        let mut windows = std::mem::take(&mut self.scratch);
        windows.clear();
        self.assigner.assign_windows(t, &mut windows);
        windows.retain(|w| !self.is_late(w, wm));
        if windows.is_empty() {
            self.late_dropped += 1;
            self.scratch = windows;
            return Ok(());
        }
        let mut value = Some(value);
        let n = windows.len();
        let mut result = Ok(());
        for (i, w) in windows.iter().enumerate() {
            let v = if i + 1 == n {
                value.take()
            } else {
                value.clone()
            };
            if let Some(v) = v {
                result = self.add_to_window(*w, v, wm, out);
                if result.is_err() {
                    break;
                }
            }
        }
        self.scratch = windows;
        result
    }

    fn watermark(&mut self, wm: i64, out: &mut dyn Output<O>) -> OpResult {
        self.timers.advance_watermark(wm);
        self.fire_due(TimeDomain::EventTime, wm, out)?;
        out.watermark(wm)
    }

    fn processing_time(&mut self, now: i64, out: &mut dyn Output<O>) -> OpResult {
        self.fire_due(TimeDomain::ProcessingTime, now, out)?;
        out.processing_time(now)
    }

    fn snapshot(
        &mut self,
        _barrier: &CheckpointBarrier,
    ) -> Result<Option<OperatorSnapshot>, Box<OperatorError>> {
        snapshot_keyed_state(&self.uid, &self.state, &self.timers)
    }

    fn end_input(&mut self, out: &mut dyn Output<O>) -> OpResult {
        // Processing-time windows still open at the end of the input fire now.
        self.fire_due(TimeDomain::ProcessingTime, i64::MAX, out)?;
        if self.late_dropped > 0 {
            tracing::info!(
                operator = %self.name,
                dropped = self.late_dropped,
                "late records dropped (numLateRecordsDropped)"
            );
        }
        Ok(())
    }
}

/// All accumulators of one window.
struct WindowBucket<K, A> {
    slots: KeyMap<K, A>,
    fired: bool,
}

/// Non-merging windows (tumbling, sliding) laid out per window: each window
/// holds a hash table `key -> accumulator`, and windows are ordered by end.
/// Firing a window walks its table sequentially, and no per-key timers are
/// needed (a window fires when the watermark or clock passes its end).
/// Semantics are those of [`WindowOperator`]; snapshots use the same
/// key-group format (state `window-contents` with the window as namespace,
/// plus the equivalent timers), so either operator can restore them.
pub struct AlignedWindowOperator<T, K, O, A, C: WindowContents<K, T, O>> {
    key: KeySelector<T, K>,
    assigner: A,
    contents: C,
    lateness: i64,
    event_time: bool,
    /// Windows by (end, start).
    buckets: std::collections::BTreeMap<(i64, i64), WindowBucket<K, C::Acc>>,
    watermark: i64,
    scratch: Vec<TimeWindow>,
    uid: String,
    name: String,
    max_parallelism: u32,
    late_dropped: u64,
    _o: PhantomData<fn() -> O>,
}

const CONTENTS_STATE: &str = "window-contents";

impl<T, K, O, A, C> AlignedWindowOperator<T, K, O, A, C>
where
    T: Data,
    K: Key,
    O: Data,
    A: WindowAssigner,
    C: WindowContents<K, T, O>,
{
    /// The operator of one subtask; `lateness` in ms.
    pub fn new(
        key: KeySelector<T, K>,
        assigner: A,
        contents: C,
        lateness: i64,
        ctx: &RuntimeContext,
    ) -> Self {
        let event_time = assigner.is_event_time();
        Self {
            key,
            assigner,
            contents,
            lateness: if event_time { lateness.max(0) } else { 0 },
            event_time,
            buckets: std::collections::BTreeMap::new(),
            watermark: i64::MIN,
            scratch: Vec::new(),
            uid: ctx.operator_uid.clone(),
            name: ctx.operator_name.clone(),
            max_parallelism: ctx.max_parallelism,
            late_dropped: 0,
            _o: PhantomData,
        }
    }

    /// Records dropped because all their windows were past the allowed lateness.
    pub fn num_late_records_dropped(&self) -> u64 {
        self.late_dropped
    }

    #[inline]
    fn cleanup_time(&self, w: &TimeWindow) -> i64 {
        if self.event_time {
            w.max_timestamp().saturating_add(self.lateness)
        } else {
            w.max_timestamp()
        }
    }

    fn insert_acc(&mut self, w: TimeWindow, key: K, acc: C::Acc, fired: bool) {
        let h = key_map_hash(&key);
        let b = self
            .buckets
            .entry((w.end, w.start))
            .or_insert_with(|| WindowBucket {
                slots: KeyMap::new(),
                fired,
            });
        b.slots.insert(h, key, acc);
    }

    /// Fires every window with `max_timestamp <= time` and drops those past cleanup.
    fn fire_until(&mut self, time: i64, out: &mut dyn Output<O>) -> OpResult {
        let now = now_ms();
        let mut done = Vec::new();
        let wm = if self.event_time {
            time
        } else {
            self.watermark
        };
        for (&(end, start), b) in self.buckets.iter_mut() {
            let w = TimeWindow::new(start, end);
            if w.max_timestamp() > time {
                break;
            }
            if !b.fired {
                b.fired = true;
                let ctx = WindowContext {
                    window: w,
                    current_watermark: wm,
                    current_processing_time: now,
                };
                let mut c = Collector::new(&mut *out, Some(w.max_timestamp()));
                for (k, acc) in b.slots.iter() {
                    self.contents.emit(k, &ctx, acc, &mut c)?;
                }
                c.finish()?;
            }
            let cleanup = if self.event_time {
                w.max_timestamp().saturating_add(self.lateness)
            } else {
                w.max_timestamp()
            };
            if cleanup <= time {
                done.push((end, start));
            }
        }
        for k in done {
            self.buckets.remove(&k);
        }
        Ok(())
    }
}

impl<T, K, O, A, C> StreamOperator<T, O> for AlignedWindowOperator<T, K, O, A, C>
where
    T: Data,
    K: Key,
    O: Data,
    A: WindowAssigner,
    C: WindowContents<K, T, O>,
{
    fn open(&mut self, ctx: &RuntimeContext) -> OpResult {
        let mut state: HeapKeyedStateBackend<K, TimeWindow> =
            HeapKeyedStateBackend::new(ctx.max_parallelism, ctx.key_group_range());
        let mut timers = InternalTimerService::new();
        restore_keyed_state(ctx, &self.uid, &mut state, &mut timers)?;
        let d = ValueStateDescriptor::<C::Acc>::new(CONTENTS_STATE);
        for (k, w, acc) in state.drain_values(&d)? {
            // A window whose firing timer is gone has fired already.
            let fired = self.event_time && !timers.event_time.contains(w.max_timestamp(), &k, &w);
            self.insert_acc(w, k, acc, fired);
        }
        Ok(())
    }

    #[inline]
    fn process(&mut self, value: T, ts: Option<i64>, out: &mut dyn Output<O>) -> OpResult {
        let t = if self.event_time {
            match ts {
                Some(t) => t,
                None => {
                    return Err(Box::new(OperatorError::Other(format!(
                        "{}: a record has no timestamp, but event-time windows need one; call \
                         assign_timestamps_and_watermarks(...) before the window or use a \
                         processing-time window assigner",
                        self.name
                    ))));
                }
            }
        } else {
            now_ms()
        };
        let key = (self.key)(&value);
        let h = key_map_hash(&key);
        let wm = self.watermark;
        let mut windows = std::mem::take(&mut self.scratch);
        windows.clear();
        self.assigner.assign_windows(t, &mut windows);
        if self.event_time {
            windows.retain(|w| self.cleanup_time(w) > wm);
        }
        if windows.is_empty() {
            self.late_dropped += 1;
            self.scratch = windows;
            return Ok(());
        }
        let mut value = Some(value);
        let n = windows.len();
        let mut result = Ok(());
        for (i, w) in windows.iter().enumerate() {
            let v = if i + 1 == n {
                value.take()
            } else {
                value.clone()
            };
            let Some(v) = v else { break };
            let b = self
                .buckets
                .entry((w.end, w.start))
                .or_insert_with(|| WindowBucket {
                    slots: KeyMap::new(),
                    fired: false,
                });
            let contents = &mut self.contents;
            let (slot_key, acc, _) = b.slots.get_or_insert_with(h, &key, || contents.create());
            contents.add(acc, v);
            if b.fired {
                // A late element within the allowed lateness fires the window again.
                let ctx = WindowContext {
                    window: *w,
                    current_watermark: wm,
                    current_processing_time: now_ms(),
                };
                let mut c = Collector::new(&mut *out, Some(w.max_timestamp()));
                result = contents.emit(slot_key, &ctx, acc, &mut c);
                if result.is_ok() {
                    result = c.finish();
                }
                if result.is_err() {
                    break;
                }
            }
        }
        self.scratch = windows;
        result
    }

    fn watermark(&mut self, wm: i64, out: &mut dyn Output<O>) -> OpResult {
        if wm > self.watermark {
            self.watermark = wm;
            if self.event_time {
                self.fire_until(wm, out)?;
            }
        }
        out.watermark(wm)
    }

    fn processing_time(&mut self, now: i64, out: &mut dyn Output<O>) -> OpResult {
        if !self.event_time {
            self.fire_until(now, out)?;
        }
        out.processing_time(now)
    }

    fn snapshot(
        &mut self,
        _barrier: &CheckpointBarrier,
    ) -> Result<Option<OperatorSnapshot>, Box<OperatorError>> {
        let windows: Vec<TimeWindow> = self
            .buckets
            .keys()
            .map(|&(end, start)| TimeWindow::new(start, end))
            .collect();
        let mut w = flink_state::KeyGroupBlobWriter::new(self.max_parallelism);
        w.add_value_state(
            CONTENTS_STATE,
            self.buckets
                .values()
                .zip(&windows)
                .flat_map(|(b, w)| b.slots.iter().map(move |(k, acc)| (k, w, acc))),
        )?;
        // The timers the generic window operator would hold.
        let mut timers: Vec<(i64, &K, &TimeWindow)> = Vec::new();
        for (b, w) in self.buckets.values().zip(&windows) {
            let cleanup = self.cleanup_time(w);
            for (k, _) in b.slots.iter() {
                if !b.fired {
                    timers.push((w.max_timestamp(), k, w));
                }
                if cleanup != w.max_timestamp() {
                    timers.push((cleanup, k, w));
                }
            }
        }
        let domain = if self.event_time {
            TimeDomain::EventTime
        } else {
            TimeDomain::ProcessingTime
        };
        w.set_timers(domain, timers.into_iter())?;
        Ok(Some(OperatorSnapshot {
            uid: self.uid.clone(),
            key_groups: w.finish()?,
            operator_state: None,
        }))
    }

    fn end_input(&mut self, out: &mut dyn Output<O>) -> OpResult {
        // Processing-time windows still open at the end of the input fire now.
        if !self.event_time {
            self.fire_until(i64::MAX, out)?;
        }
        if self.late_dropped > 0 {
            tracing::info!(
                operator = %self.name,
                dropped = self.late_dropped,
                "late records dropped (numLateRecordsDropped)"
            );
        }
        Ok(())
    }
}
