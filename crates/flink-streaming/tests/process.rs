//! Process functions end to end: keyed state with event-time timers (emit
//! at the end of input), processing-time timers, and a non-keyed process
//! function.

mod common;

use flink_streaming::*;
use std::collections::BTreeMap;

/// (key, timestamp, value)
type Ev = (String, i64, u64);

fn ev(i: u64) -> Ev {
    (format!("k{}", i % 11), (i * 3) as i64, i)
}

/// Per key: count (ValueState), values seen (ListState, the 3 largest kept) and
/// distinct `value % 5` (MapState), all emitted by a timer at the end of
/// event time (`i64::MAX`); also counts early timers fired by the watermark.
#[derive(Clone)]
struct CountAtEnd {
    count: ValueStateDescriptor<u64>,
    last: ListStateDescriptor<u64>,
    residues: MapStateDescriptor<u64, u32>,
    early: ValueStateDescriptor<u32>,
}

impl CountAtEnd {
    fn new() -> Self {
        Self {
            count: ValueStateDescriptor::new("count"),
            last: ListStateDescriptor::new("last"),
            residues: MapStateDescriptor::new("residues"),
            early: ValueStateDescriptor::new("early"),
        }
    }
}

/// (key, count, three largest values, distinct residues, early timers fired)
type Summary = (String, u64, Vec<u64>, usize, u32);

impl KeyedProcessFunction<String, Ev, Summary> for CountAtEnd {
    fn process_element(
        &mut self,
        e: Ev,
        ctx: &mut KeyedProcessContext<'_, String>,
        _out: &mut Collector<'_, Summary>,
    ) -> OpResult {
        assert_eq!(ctx.current_key(), &e.0);
        assert_eq!(ctx.timestamp(), Some(e.1));
        *ctx.state(&self.count)?.get_or_insert_with(|| 0) += 1;
        let mut last = ctx.state(&self.last)?;
        let mut l = last.take();
        l.push(e.2);
        l.sort_unstable();
        if l.len() > 3 {
            l.remove(0);
        }
        last.update(l);
        let mut m = ctx.state(&self.residues)?;
        let n = m.get(&(e.2 % 5)).copied().unwrap_or(0);
        m.put(e.2 % 5, n + 1);
        let mut timers = ctx.timer_service();
        timers.register_event_time_timer(i64::MAX);
        // An early timer at 100, registered by every element of the key
        // until the watermark passes it: deduplicated, it fires once.
        if timers.current_watermark() < 100 {
            timers.register_event_time_timer(100);
        }
        Ok(())
    }

    fn on_timer(
        &mut self,
        ts: i64,
        ctx: &mut KeyedProcessContext<'_, String>,
        out: &mut Collector<'_, Summary>,
    ) -> OpResult {
        assert_eq!(ctx.time_domain(), Some(TimeDomain::EventTime));
        assert!(
            ctx.current_watermark() >= ts,
            "timer fired before the watermark"
        );
        if ts != i64::MAX {
            *ctx.state(&self.early)?.get_or_insert_with(|| 0) += 1;
            return Ok(());
        }
        let key = ctx.current_key().clone();
        let count = ctx.state(&self.count)?.value().copied().unwrap_or(0);
        let last = ctx.state(&self.last)?.get().to_vec();
        let distinct = ctx.state(&self.residues)?.len();
        let early = ctx.state(&self.early)?.value().copied().unwrap_or(0);
        out.collect((key, count, last, distinct, early));
        Ok(())
    }
}

const N: u64 = 20_000;

fn count_at_end(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    env.from_generator(Some(N), Some(40_000.0), ev)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e: &Ev| e.1),
        )
        .key_by(|e: &Ev| e.0.clone())
        .process(CountAtEnd::new())
        .collect_into(&env.arg("sink").unwrap_or_default());
    Ok(())
}

#[test]
fn keyed_state_with_an_event_time_timer_emits_per_key_counts_at_end_of_input() {
    let mut want: BTreeMap<String, Summary> = BTreeMap::new();
    for i in 0..N {
        let (k, _, v) = ev(i);
        let e = want
            .entry(k.clone())
            .or_insert_with(|| (k, 0, Vec::new(), 0, 1));
        e.1 += 1;
        e.2.push(v);
        e.2.sort_unstable();
        if e.2.len() > 3 {
            e.2.remove(0);
        }
        e.3 = e.1.min(5) as usize;
    }
    for p in [1u32, 2] {
        let sink = format!("count-at-end-{p}");
        let mut reg = ProgramRegistry::new();
        reg.register("c", "count at end", count_at_end);
        common::run(reg, "c", &["--sink", &sink], p).unwrap();
        let got: Vec<Summary> = take_collected(&sink).unwrap();
        assert_eq!(
            got.len(),
            want.len(),
            "one result per key at parallelism {p}"
        );
        let got: BTreeMap<String, Summary> = got.into_iter().map(|s| (s.0.clone(), s)).collect();
        assert_eq!(got, want, "parallelism {p}");
    }
}

/// Counts per key and flushes the count 20 ms (processing time) after the
/// first element since the last flush.
#[derive(Clone)]
struct FlushEvery20ms {
    pending: ValueStateDescriptor<u64>,
    timer: ValueStateDescriptor<i64>,
}

impl KeyedProcessFunction<String, Ev, (String, u64)> for FlushEvery20ms {
    fn process_element(
        &mut self,
        _e: Ev,
        ctx: &mut KeyedProcessContext<'_, String>,
        _out: &mut Collector<'_, (String, u64)>,
    ) -> OpResult {
        *ctx.state(&self.pending)?.get_or_insert_with(|| 0) += 1;
        if ctx.state(&self.timer)?.value().is_none() {
            let mut t = ctx.timer_service();
            let at = t.current_processing_time() + 20;
            t.register_processing_time_timer(at);
            ctx.state(&self.timer)?.update(at);
        }
        Ok(())
    }

    fn on_timer(
        &mut self,
        ts: i64,
        ctx: &mut KeyedProcessContext<'_, String>,
        out: &mut Collector<'_, (String, u64)>,
    ) -> OpResult {
        assert_eq!(ctx.time_domain(), Some(TimeDomain::ProcessingTime));
        assert_eq!(ctx.state(&self.timer)?.take(), Some(ts));
        let n = ctx.state(&self.pending)?.take().unwrap_or(0);
        out.collect((ctx.current_key().clone(), n));
        Ok(())
    }
}

fn flushes(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    env.from_generator(Some(4000), Some(8000.0), ev)
        .key_by(|e: &Ev| e.0.clone())
        .process(FlushEvery20ms {
            pending: ValueStateDescriptor::new("pending"),
            timer: ValueStateDescriptor::new("timer"),
        })
        .collect_into("flushes");
    Ok(())
}

#[test]
fn processing_time_timers_fire_while_running_and_pending_ones_at_the_end() {
    let mut reg = ProgramRegistry::new();
    reg.register("f", "flushes", flushes);
    common::run(reg, "f", &[], 2).unwrap();
    let got: Vec<(String, u64)> = take_collected("flushes").unwrap();
    let mut per_key: BTreeMap<String, u64> = BTreeMap::new();
    for (k, n) in &got {
        assert!(*n > 0);
        *per_key.entry(k.clone()).or_default() += n;
    }
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for i in 0..4000 {
        *want.entry(ev(i).0).or_default() += 1;
    }
    assert_eq!(per_key, want);
    // 0.5 s of input, flushes every 20 ms: many flushes per key.
    assert!(got.len() >= 11 * 5, "only {} flushes", got.len());
}

/// Non-keyed: tags each element with its timestamp and the watermark.
#[derive(Clone)]
struct Tag;

impl ProcessFunction<u64, (u64, i64, bool)> for Tag {
    fn process_element(
        &mut self,
        v: u64,
        ctx: &ProcessContext,
        out: &mut Collector<'_, (u64, i64, bool)>,
    ) -> OpResult {
        let ts = ctx.timestamp().unwrap_or(-1);
        out.collect((v, ts, ctx.current_watermark() < ts));
        if v.is_multiple_of(10) {
            out.collect_with_timestamp((v, -ts, true), ts);
        }
        Ok(())
    }
}

fn tag(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    env.from_sequence(1, 100)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps()
                .with_timestamp_assigner(|v: &u64| *v as i64 * 1000),
        )
        .process(Tag)
        .collect_into("tagged");
    Ok(())
}

#[test]
fn non_keyed_process_function_sees_timestamps() {
    let mut reg = ProgramRegistry::new();
    reg.register("t", "tag", tag);
    common::run(reg, "t", &[], 1).unwrap();
    let mut got: Vec<(u64, i64, bool)> = take_collected("tagged").unwrap();
    got.sort();
    let mut want: Vec<(u64, i64, bool)> = (1..=100u64)
        .map(|v| (v, v as i64 * 1000, true))
        .chain((1..=10u64).map(|j| (j * 10, -(j as i64) * 10_000, true)))
        .collect();
    want.sort();
    assert_eq!(got, want);
}
