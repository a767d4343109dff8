//! Windows, process functions and the API calls that add them:
//! [`KeyedStream::window`], [`KeyedStream::process`],
//! [`DataStream::window_all`], [`DataStream::process`], and the
//! [`WindowedStream`] they return.
//!
//! Window assigners follow Flink: tumbling, sliding and session windows in
//! event time or processing time. Event-time windows fire when the
//! watermark passes `window.max_timestamp()` (`end - 1`); processing-time
//! windows when the wall clock does. Results carry the timestamp
//! `window.max_timestamp()`.

use crate::api::{Data, DataStream, KeyedStream};
use crate::operators::basic::Collector;
use crate::operators::keyed::Key;
use crate::operators::process::{
    KeyedProcessFunction, KeyedProcessOperator, ProcessFunction, ProcessOperator,
};
use crate::operators::window::{
    AggregateContents, AggregateWindowContents, AlignedWindowOperator, ProcessContents,
    ReduceContents, WindowContents, WindowOperator,
};
use crate::runtime::output::OpResult;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A time window `[start, end)` in milliseconds (Flink `TimeWindow`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct TimeWindow {
    /// First timestamp in the window.
    pub start: i64,
    /// First timestamp after the window.
    pub end: i64,
}

impl TimeWindow {
    /// The window `[start, end)`.
    pub const fn new(start: i64, end: i64) -> Self {
        Self { start, end }
    }
    /// The largest timestamp in the window (`end - 1`): results carry it,
    /// and event-time windows fire when the watermark reaches it.
    #[inline]
    pub const fn max_timestamp(&self) -> i64 {
        self.end.saturating_sub(1)
    }
    /// Whether the windows overlap or touch (session windows merge then).
    #[inline]
    pub fn intersects(&self, other: &TimeWindow) -> bool {
        self.start <= other.end && self.end >= other.start
    }
    /// The smallest window containing both.
    #[inline]
    pub fn cover(&self, other: &TimeWindow) -> TimeWindow {
        TimeWindow::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// Start of the window of size `size` (offset `offset`) containing `ts`.
#[inline]
pub fn window_start_with_offset(ts: i64, offset: i64, size: i64) -> i64 {
    ts - (ts.wrapping_sub(offset)).rem_euclid(size.max(1))
}

/// Assigns elements to windows (Flink `WindowAssigner`).
pub trait WindowAssigner: Clone + Send + Sync + 'static {
    /// The windows of an element with timestamp `ts` (its event time, or the
    /// current processing time for processing-time assigners).
    fn assign_windows(&self, ts: i64, out: &mut Vec<TimeWindow>);
    /// Event time (watermark-driven) or processing time.
    fn is_event_time(&self) -> bool;
    /// For merging (session) assigners: the gap.
    fn session_gap(&self) -> Option<i64> {
        None
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)
}

macro_rules! tumbling {
    ($(#[$doc:meta])* $name:ident, $event:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name {
            size: i64,
            offset: i64,
        }
        impl $name {
            /// Windows of `size` aligned to the epoch.
            pub fn of(size: Duration) -> Self {
                Self { size: ms(size), offset: 0 }
            }
            /// Shifts window starts by `offset` (e.g. for time zones).
            pub fn with_offset(mut self, offset: Duration) -> Self {
                self.offset = ms(offset) % self.size;
                self
            }
        }
        impl WindowAssigner for $name {
            #[inline]
            fn assign_windows(&self, ts: i64, out: &mut Vec<TimeWindow>) {
                let start = window_start_with_offset(ts, self.offset, self.size);
                out.push(TimeWindow::new(start, start.saturating_add(self.size)));
            }
            fn is_event_time(&self) -> bool {
                $event
            }
        }
    };
}

macro_rules! sliding {
    ($(#[$doc:meta])* $name:ident, $event:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name {
            size: i64,
            slide: i64,
            offset: i64,
        }
        impl $name {
            /// Windows of `size` starting every `slide`.
            pub fn of(size: Duration, slide: Duration) -> Self {
                Self { size: ms(size), slide: ms(slide), offset: 0 }
            }
            /// Shifts window starts by `offset`.
            pub fn with_offset(mut self, offset: Duration) -> Self {
                self.offset = ms(offset) % self.slide;
                self
            }
        }
        impl WindowAssigner for $name {
            #[inline]
            fn assign_windows(&self, ts: i64, out: &mut Vec<TimeWindow>) {
                let last = window_start_with_offset(ts, self.offset, self.slide);
                let mut start = last;
                while start > ts - self.size {
                    out.push(TimeWindow::new(start, start.saturating_add(self.size)));
                    start -= self.slide;
                }
            }
            fn is_event_time(&self) -> bool {
                $event
            }
        }
    };
}

macro_rules! session {
    ($(#[$doc:meta])* $name:ident, $event:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name {
            gap: i64,
        }
        impl $name {
            /// Sessions that close after `gap` without elements.
            pub fn with_gap(gap: Duration) -> Self {
                Self { gap: ms(gap) }
            }
        }
        impl WindowAssigner for $name {
            #[inline]
            fn assign_windows(&self, ts: i64, out: &mut Vec<TimeWindow>) {
                out.push(TimeWindow::new(ts, ts.saturating_add(self.gap)));
            }
            fn is_event_time(&self) -> bool {
                $event
            }
            fn session_gap(&self) -> Option<i64> {
                Some(self.gap)
            }
        }
    };
}

tumbling!(
    /// Fixed-size, non-overlapping event-time windows.
    TumblingEventTimeWindows,
    true
);
tumbling!(
    /// Fixed-size, non-overlapping processing-time windows.
    TumblingProcessingTimeWindows,
    false
);
sliding!(
    /// Fixed-size event-time windows starting every `slide` (overlapping when `slide < size`).
    SlidingEventTimeWindows,
    true
);
sliding!(
    /// Fixed-size processing-time windows starting every `slide`.
    SlidingProcessingTimeWindows,
    false
);
session!(
    /// Event-time sessions: an element opens `[ts, ts + gap)`; overlapping sessions merge.
    EventTimeSessionWindows,
    true
);
session!(
    /// Processing-time sessions.
    ProcessingTimeSessionWindows,
    false
);

/// Incremental aggregation (Flink `AggregateFunction`). `add` updates the
/// accumulator in place (Flink returns a new one).
pub trait AggregateFunction<I, Acc, O>: Send {
    /// A new, empty accumulator.
    fn create_accumulator(&self) -> Acc;
    /// Adds one element.
    fn add(&self, value: I, acc: &mut Acc);
    /// The result of an accumulator.
    fn get_result(&self, acc: &Acc) -> O;
    /// Merges two accumulators (session windows).
    fn merge(&self, a: Acc, b: Acc) -> Acc;
}

/// What a window function sees besides the elements.
#[derive(Clone, Copy, Debug)]
pub struct WindowContext {
    /// The window being evaluated.
    pub window: TimeWindow,
    /// The current event-time watermark.
    pub current_watermark: i64,
    /// The current processing time (ms since the epoch).
    pub current_processing_time: i64,
}

/// A function over all elements of a window (Flink `ProcessWindowFunction`).
pub trait ProcessWindowFunction<K, I, O>: Send {
    /// Evaluates the window `ctx.window` of `key`.
    fn process(
        &mut self,
        key: &K,
        ctx: &WindowContext,
        elements: &[I],
        out: &mut Collector<'_, O>,
    ) -> OpResult;
}

/// A closure as a [`ProcessWindowFunction`] (see [`WindowedStream::apply`]).
#[derive(Clone)]
pub struct FnWindowFunction<F>(pub F);

impl<K, I, O, F> ProcessWindowFunction<K, I, O> for FnWindowFunction<F>
where
    F: FnMut(&K, &WindowContext, &[I], &mut Collector<'_, O>) -> OpResult + Send,
{
    fn process(
        &mut self,
        key: &K,
        ctx: &WindowContext,
        elements: &[I],
        out: &mut Collector<'_, O>,
    ) -> OpResult {
        (self.0)(key, ctx, elements, out)
    }
}

/// A keyed stream with a window assigner (Flink `WindowedStream`); finish
/// with [`reduce`](Self::reduce), [`aggregate`](Self::aggregate),
/// [`process`](Self::process) or [`apply`](Self::apply).
pub struct WindowedStream<T, K, A> {
    keyed: KeyedStream<T, K>,
    assigner: A,
    allowed_lateness: i64,
    all: bool,
}

impl<T: Data, K: Key, A: WindowAssigner> WindowedStream<T, K, A> {
    /// Keeps window state for `lateness` after a window fired: late elements
    /// within it update the window and fire it again; later ones are
    /// dropped (and counted). Default 0. Event time only.
    pub fn allowed_lateness(mut self, lateness: Duration) -> Self {
        self.allowed_lateness = i64::try_from(lateness.as_millis()).unwrap_or(i64::MAX);
        self
    }

    fn build<O: Data, C>(&self, name: &str, contents: C) -> DataStream<O>
    where
        C: WindowContents<K, T, O> + Clone + Sync + 'static,
    {
        let key = self.keyed.key.clone();
        let assigner = self.assigner.clone();
        let lateness = self.allowed_lateness;
        let s = if assigner.session_gap().is_some() {
            self.keyed.transform(name, move |ctx| {
                WindowOperator::new(
                    key.clone(),
                    assigner.clone(),
                    contents.clone(),
                    lateness,
                    ctx,
                )
            })
        } else {
            self.keyed.transform(name, move |ctx| {
                AlignedWindowOperator::new(
                    key.clone(),
                    assigner.clone(),
                    contents.clone(),
                    lateness,
                    ctx,
                )
            })
        };
        if self.all { s.set_parallelism(1) } else { s }
    }

    /// Incremental reduce per window: one result per key and window.
    pub fn reduce<F>(&self, f: F) -> DataStream<T>
    where
        F: FnMut(T, T) -> T + Clone + Send + Sync + 'static,
    {
        self.build("Window(Reduce)", ReduceContents::new(f))
    }

    /// Incremental aggregation per window with an [`AggregateFunction`].
    pub fn aggregate<Acc, O, G>(&self, agg: G) -> DataStream<O>
    where
        Acc: Data,
        O: Data,
        G: AggregateFunction<T, Acc, O> + Clone + Sync + 'static,
    {
        self.build("Window(Aggregate)", AggregateContents::new(agg))
    }

    /// Incremental aggregation, then `f(key, ctx, result, out)` once per
    /// window: the result with its key and window bounds, without buffering
    /// elements (Flink `aggregate(AggregateFunction, ProcessWindowFunction)`).
    pub fn aggregate_with_window<Acc, R, O, G, F>(&self, agg: G, f: F) -> DataStream<O>
    where
        Acc: Data,
        O: Data,
        G: AggregateFunction<T, Acc, R> + Clone + Sync + 'static,
        F: FnMut(&K, &WindowContext, R, &mut Collector<'_, O>) -> OpResult
            + Clone
            + Send
            + Sync
            + 'static,
        R: 'static,
    {
        self.build("Window(Aggregate)", AggregateWindowContents::new(agg, f))
    }

    /// Evaluates all elements of a window at once (elements are buffered).
    pub fn process<O, P>(&self, f: P) -> DataStream<O>
    where
        O: Data,
        P: ProcessWindowFunction<K, T, O> + Clone + Sync + 'static,
    {
        self.build("Window(Process)", ProcessContents::new(f))
    }

    /// [`process`](Self::process) with a closure `(key, ctx, elements, out)`.
    pub fn apply<O, F>(&self, f: F) -> DataStream<O>
    where
        O: Data,
        F: FnMut(&K, &WindowContext, &[T], &mut Collector<'_, O>) -> OpResult
            + Clone
            + Send
            + Sync
            + 'static,
    {
        self.process(FnWindowFunction(f))
    }
}

impl<T: Data, K: Key> KeyedStream<T, K> {
    /// Groups the elements of each key into windows.
    pub fn window<A: WindowAssigner>(&self, assigner: A) -> WindowedStream<T, K, A> {
        WindowedStream {
            keyed: KeyedStream {
                stream: self.stream.clone(),
                key: self.key.clone(),
            },
            assigner,
            allowed_lateness: 0,
            all: false,
        }
    }

    /// Applies a [`KeyedProcessFunction`] (state and timers per key).
    pub fn process<O, F>(&self, f: F) -> DataStream<O>
    where
        O: Data,
        F: KeyedProcessFunction<K, T, O> + Clone + Sync + 'static,
    {
        let key = self.key.clone();
        self.transform("KeyedProcess", move |ctx| {
            KeyedProcessOperator::new(key.clone(), f.clone(), ctx)
        })
    }
}

impl<T: Data> DataStream<T> {
    /// Windows over the whole stream (Flink `windowAll`); runs with parallelism 1.
    pub fn window_all<A: WindowAssigner>(&self, assigner: A) -> WindowedStream<T, (), A> {
        let mut w = self.key_by(|_: &T| ()).window(assigner);
        w.all = true;
        w
    }

    /// Applies a [`ProcessFunction`] to every element.
    pub fn process<O, F>(&self, f: F) -> DataStream<O>
    where
        O: Data,
        F: ProcessFunction<T, O> + Clone + Sync + 'static,
    {
        self.transform("Process", move |_| ProcessOperator::new(f.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assign<A: WindowAssigner>(a: &A, ts: i64) -> Vec<(i64, i64)> {
        let mut v = Vec::new();
        a.assign_windows(ts, &mut v);
        let mut r: Vec<_> = v.into_iter().map(|w| (w.start, w.end)).collect();
        r.sort();
        r
    }

    #[test]
    fn assigners_follow_flink() {
        let t = TumblingEventTimeWindows::of(Duration::from_secs(5));
        assert_eq!(assign(&t, 0), [(0, 5000)]);
        assert_eq!(assign(&t, 4999), [(0, 5000)]);
        assert_eq!(assign(&t, 5000), [(5000, 10000)]);
        assert_eq!(assign(&t, -1), [(-5000, 0)]);
        let t = t.with_offset(Duration::from_secs(1));
        assert_eq!(assign(&t, 500), [(-4000, 1000)]);
        let s = SlidingEventTimeWindows::of(Duration::from_secs(10), Duration::from_secs(5));
        assert_eq!(assign(&s, 7000), [(0, 10000), (5000, 15000)]);
        assert_eq!(assign(&s, 5000), [(0, 10000), (5000, 15000)]);
        assert_eq!(assign(&s, 4999), [(-5000, 5000), (0, 10000)]);
        let s = SlidingEventTimeWindows::of(Duration::from_secs(3), Duration::from_secs(1));
        assert_eq!(assign(&s, 2500).len(), 3);
        let g = EventTimeSessionWindows::with_gap(Duration::from_millis(100));
        assert_eq!(assign(&g, 42), [(42, 142)]);
        assert_eq!(g.session_gap(), Some(100));
        assert!(!TumblingProcessingTimeWindows::of(Duration::from_secs(1)).is_event_time());
    }

    #[test]
    fn time_window_math() {
        let w = TimeWindow::new(0, 10);
        assert_eq!(w.max_timestamp(), 9);
        assert!(w.intersects(&TimeWindow::new(10, 20)));
        assert!(!w.intersects(&TimeWindow::new(11, 20)));
        assert_eq!(w.cover(&TimeWindow::new(5, 30)), TimeWindow::new(0, 30));
    }
}
