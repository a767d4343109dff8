//! Windows end to end on real stream tasks: tumbling, sliding and session
//! event-time windows over out-of-order input with answers computed
//! independently here, lateness, and processing-time windows.

mod common;

use flink_streaming::*;
use std::collections::BTreeMap;
use std::time::Duration;

/// (key, event timestamp ms, value)
type Ev = (u32, i64, u64);

const EVENTS: u64 = 12_000;
const BOUND_MS: i64 = 500;

/// Event `i`: keys 0..7, timestamps 10 ms apart shuffled by up to 490 ms.
fn ev(i: u64) -> Ev {
    let jitter = ((i * 7919) % 50) as i64 * 10;
    ((i % 7) as u32, 100_000 + i as i64 * 10 - jitter, i % 100)
}

fn sink(env: &StreamExecutionEnvironment, what: &str) -> String {
    format!("{}-{what}", env.arg("sink").unwrap_or_default())
}

fn timestamped(env: &StreamExecutionEnvironment) -> DataStream<Ev> {
    // 12k events at 12k/s: watermarks (every 200 ms) advance mid-stream, so
    // windows fire while later events still arrive out of order.
    env.from_generator(Some(EVENTS), Some(12_000.0), ev)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(BOUND_MS as u64))
                .with_timestamp_assigner(|e: &Ev| e.1),
        )
}

/// Count and sum per window, carrying the key and smallest timestamp.
#[derive(Clone)]
struct CountSum;

impl AggregateFunction<Ev, (u32, u64, u64, i64), (u32, i64, u64, u64)> for CountSum {
    fn create_accumulator(&self) -> (u32, u64, u64, i64) {
        (0, 0, 0, i64::MAX)
    }
    fn add(&self, e: Ev, acc: &mut (u32, u64, u64, i64)) {
        acc.0 = e.0;
        acc.1 += 1;
        acc.2 += e.2;
        acc.3 = acc.3.min(e.1);
    }
    fn get_result(&self, acc: &(u32, u64, u64, i64)) -> (u32, i64, u64, u64) {
        // Window start of 1 s tumbling windows, from the smallest timestamp.
        (acc.0, acc.3 - acc.3.rem_euclid(1000), acc.1, acc.2)
    }
    fn merge(&self, a: (u32, u64, u64, i64), b: (u32, u64, u64, i64)) -> (u32, u64, u64, i64) {
        (a.0, a.1 + b.1, a.2 + b.2, a.3.min(b.3))
    }
}

fn tumbling(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    let windowed = timestamped(env)
        .key_by(|e: &Ev| e.0)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(1)));
    windowed
        .aggregate(CountSum)
        .collect_into(&sink(env, "aggregate"));
    windowed
        .apply(
            |k: &u32,
             ctx: &WindowContext,
             els: &[Ev],
             out: &mut Collector<'_, (u32, i64, u64, u64)>| {
                assert_eq!(ctx.window.end - ctx.window.start, 1000);
                out.collect((
                    *k,
                    ctx.window.start,
                    els.len() as u64,
                    els.iter().map(|e| e.2).sum(),
                ));
                Ok(())
            },
        )
        .collect_into(&sink(env, "process"));
    // Reduce; then check that results carry the window's max timestamp.
    windowed
        .reduce(|a: Ev, b: Ev| (a.0, a.1.min(b.1), a.2 + b.2))
        .process(StampCheck)
        .collect_into(&sink(env, "reduce"));
    Ok(())
}

/// Emits (key, window start from the record timestamp, 0, sum) and checks
/// the timestamp is `window.end - 1`.
#[derive(Clone)]
struct StampCheck;

impl ProcessFunction<Ev, (u32, i64, u64, u64)> for StampCheck {
    fn process_element(
        &mut self,
        e: Ev,
        ctx: &ProcessContext,
        out: &mut Collector<'_, (u32, i64, u64, u64)>,
    ) -> OpResult {
        let ts = ctx.timestamp().unwrap_or(i64::MIN);
        let start = ts + 1 - 1000;
        if start.rem_euclid(1000) != 0 || e.1 < start || e.1 > ts {
            return Err(Box::new(OperatorError::Other(format!(
                "window result has timestamp {ts}, not a window end - 1 for min ts {}",
                e.1
            ))));
        }
        out.collect((e.0, start, 0, e.2));
        Ok(())
    }
}

fn expected_tumbling() -> BTreeMap<(u32, i64), (u64, u64)> {
    let mut m: BTreeMap<(u32, i64), (u64, u64)> = BTreeMap::new();
    for i in 0..EVENTS {
        let (k, ts, v) = ev(i);
        let e = m.entry((k, ts - ts.rem_euclid(1000))).or_default();
        e.0 += 1;
        e.1 += v;
    }
    m
}

fn as_map(rows: Vec<(u32, i64, u64, u64)>) -> BTreeMap<(u32, i64), (u64, u64)> {
    let mut m = BTreeMap::new();
    for (k, w, c, s) in rows {
        assert!(
            m.insert((k, w), (c, s)).is_none(),
            "window ({k}, {w}) emitted twice"
        );
    }
    m
}

#[test]
fn tumbling_event_time_windows_over_out_of_order_input_at_parallelism_1_and_2() {
    let want = expected_tumbling();
    assert!(want.len() > 7 * 100, "enough windows: {}", want.len());
    for p in [1u32, 2] {
        let name = format!("tumbling-{p}");
        let mut reg = ProgramRegistry::new();
        reg.register("tumbling", "tumbling windows", tumbling);
        common::run(reg, "tumbling", &["--sink", &name], p).unwrap();
        let got = as_map(take_collected(&format!("{name}-aggregate")).unwrap());
        assert_eq!(got, want, "aggregate at parallelism {p}");
        let got = as_map(take_collected(&format!("{name}-process")).unwrap());
        assert_eq!(got, want, "process at parallelism {p}");
        let got = as_map(take_collected(&format!("{name}-reduce")).unwrap());
        let sums: BTreeMap<_, _> = want.iter().map(|(k, (_, s))| (*k, (0, *s))).collect();
        assert_eq!(got, sums, "reduce at parallelism {p}");
    }
}

fn sliding(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    timestamped(env)
        .key_by(|e: &Ev| e.0)
        .window(SlidingEventTimeWindows::of(
            Duration::from_secs(3),
            Duration::from_secs(1),
        ))
        .apply(
            |k: &u32,
             ctx: &WindowContext,
             els: &[Ev],
             out: &mut Collector<'_, (u32, i64, u64, u64)>| {
                out.collect((
                    *k,
                    ctx.window.start,
                    els.len() as u64,
                    els.iter().map(|e| e.2).sum(),
                ));
                Ok(())
            },
        )
        .collect_into(&sink(env, "sliding"));
    Ok(())
}

#[test]
fn sliding_event_time_windows_match_an_independent_computation() {
    let mut want: BTreeMap<(u32, i64), (u64, u64)> = BTreeMap::new();
    for i in 0..EVENTS {
        let (k, ts, v) = ev(i);
        // Windows [s, s + 3000) with s a multiple of 1000 containing ts.
        let mut s = ts - ts.rem_euclid(1000);
        while s > ts - 3000 {
            let e = want.entry((k, s)).or_default();
            e.0 += 1;
            e.1 += v;
            s -= 1000;
        }
    }
    let mut reg = ProgramRegistry::new();
    reg.register("sliding", "sliding windows", sliding);
    common::run(reg, "sliding", &["--sink", "sl"], 2).unwrap();
    let got = as_map(take_collected("sl-sliding").unwrap());
    assert_eq!(got, want);
}

/// Session input: per key 12 bursts 10 s apart; burst `b` has 5 + b % 3
/// events 300 ms apart, emitted in an order that creates separate sessions
/// first and bridges them later (so sessions must merge).
fn session_events() -> Vec<Ev> {
    let mut out = Vec::new();
    for b in 0..12i64 {
        for k in 0..3u32 {
            let n = 5 + (b % 3) as usize;
            let mut order: Vec<usize> = (0..n).collect();
            // 0, n-1, then the middle ones from the back: separate sessions first.
            order.sort_by_key(|&j| if j == 0 || j == n - 1 { 0 } else { n - j });
            for j in order {
                out.push((
                    k,
                    b * 10_000 + j as i64 * 300 + k as i64 * 7,
                    (b as u64) * 10 + j as u64,
                ));
            }
        }
    }
    out
}

fn sessions(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    let s = env
        .from_collection(session_events())
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_secs(2))
                .with_timestamp_assigner(|e: &Ev| e.1),
        )
        .key_by(|e: &Ev| e.0)
        .window(EventTimeSessionWindows::with_gap(Duration::from_millis(
            1000,
        )));
    s.apply(
        |k: &u32,
         ctx: &WindowContext,
         els: &[Ev],
         out: &mut Collector<'_, (u32, i64, i64, u64, u64)>| {
            out.collect((
                *k,
                ctx.window.start,
                ctx.window.end,
                els.len() as u64,
                els.iter().map(|e| e.2).sum(),
            ));
            Ok(())
        },
    )
    .collect_into(&sink(env, "process"));
    s.reduce(|a: Ev, b: Ev| (a.0, a.1.min(b.1), a.2 + b.2))
        .collect_into(&sink(env, "reduce"));
    Ok(())
}

#[test]
fn session_windows_merge_out_of_order_events() {
    let mut want = Vec::new();
    for b in 0..12i64 {
        for k in 0..3u32 {
            let n = 5 + b % 3;
            let first = b * 10_000 + k as i64 * 7;
            let last = first + (n - 1) * 300;
            let sum: u64 = (0..n as u64).map(|j| b as u64 * 10 + j).sum();
            want.push((k, first, last + 1000, n as u64, sum));
        }
    }
    want.sort();
    let mut reg = ProgramRegistry::new();
    reg.register("sessions", "session windows", sessions);
    common::run(reg, "sessions", &["--sink", "se"], 2).unwrap();
    let mut got: Vec<(u32, i64, i64, u64, u64)> = take_collected("se-process").unwrap();
    got.sort();
    assert_eq!(got, want);
    let mut got: Vec<(u32, u64)> = take_collected::<Ev>("se-reduce")
        .unwrap()
        .into_iter()
        .map(|e| (e.0, e.2))
        .collect();
    got.sort();
    let mut want: Vec<(u32, u64)> = want.iter().map(|w| (w.0, w.4)).collect();
    want.sort();
    assert_eq!(got, want);
}

/// What the scripted source emits.
#[derive(Clone, Copy)]
enum Step {
    Record(i64),
    Watermark(i64),
}

/// Emits a fixed script of records (key "a", value = timestamp) and watermarks.
struct Script(Vec<Step>, usize);

impl Source<(String, i64)> for Script {
    fn poll_next(
        &mut self,
        out: &mut SourceOutput<'_, (String, i64)>,
    ) -> Result<SourceStatus, Box<OperatorError>> {
        match self.0.get(self.1) {
            None => Ok(SourceStatus::Finished),
            Some(step) => {
                self.1 += 1;
                match *step {
                    Step::Record(ts) => out.collect_with_timestamp(("a".into(), ts), ts)?,
                    Step::Watermark(wm) => out.emit_watermark(wm)?,
                }
                Ok(SourceStatus::MoreAvailable)
            }
        }
    }
}

fn script() -> Vec<Step> {
    use Step::*;
    vec![
        Record(100),
        Record(900),
        Watermark(1200), // [0, 1000) fires with 2
        Record(300),     // late: dropped without lateness, re-fires [0, 1000) with lateness 500
        Record(1500),
        Watermark(1600), // [0, 1000) cleaned up (cleanup time 1499)
        Record(200),     // late beyond any lateness: dropped
        Record(1999),
        // end of input: [1000, 2000) fires with 2
    ]
}

fn lateness_job(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    let lateness_ms: u64 = env.arg("lateness").unwrap_or_default().parse()?;
    env.add_source("Script", |_| Script(script(), 0))
        .key_by(|e: &(String, i64)| e.0.clone())
        .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
        .allowed_lateness(Duration::from_millis(lateness_ms))
        .apply(
            |k: &String,
             ctx: &WindowContext,
             els: &[(String, i64)],
             out: &mut Collector<'_, (String, i64, usize)>| {
                out.collect((k.clone(), ctx.window.start, els.len()));
                Ok(())
            },
        )
        .collect_into(&format!("late-{lateness_ms}"));
    Ok(())
}

#[test]
fn late_elements_beyond_allowed_lateness_are_dropped() {
    for (lateness, want) in [
        ("0", vec![(0, 2), (1000, 2)]),
        ("500", vec![(0, 2), (0, 3), (1000, 2)]),
    ] {
        let mut reg = ProgramRegistry::new();
        reg.register("late", "lateness", lateness_job);
        common::run(reg, "late", &["--lateness", lateness], 1).unwrap();
        let got: Vec<(String, i64, usize)> = take_collected(&format!("late-{lateness}")).unwrap();
        let got: Vec<(i64, usize)> = got.into_iter().map(|(_, w, n)| (w, n)).collect();
        assert_eq!(got, want, "allowed lateness {lateness} ms");
    }
}

fn processing_time(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    env.from_generator(Some(3000), Some(5000.0), |i| ((i % 4) as u32, 0i64, i))
        .key_by(|e: &Ev| e.0)
        .window(TumblingProcessingTimeWindows::of(Duration::from_millis(
            100,
        )))
        .aggregate(CountSum)
        .collect_into("proc-windows");
    Ok(())
}

#[test]
fn processing_time_windows_fire_while_running_and_lose_nothing() {
    let mut reg = ProgramRegistry::new();
    reg.register("proc", "processing-time windows", processing_time);
    common::run(reg, "proc", &[], 2).unwrap();
    let got: Vec<(u32, i64, u64, u64)> = take_collected("proc-windows").unwrap();
    let mut per_key: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
    for (k, _, c, s) in &got {
        let e = per_key.entry(*k).or_default();
        e.0 += c;
        e.1 += s;
    }
    let mut want: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
    for i in 0..3000u64 {
        let e = want.entry((i % 4) as u32).or_default();
        e.0 += 1;
        e.1 += i;
    }
    assert_eq!(per_key, want);
    // 0.6 s of input in 100 ms windows: several windows per key.
    assert!(got.len() >= 4 * 3, "only {} windows fired", got.len());
}

fn window_all(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    timestamped(env)
        .window_all(TumblingEventTimeWindows::of(Duration::from_secs(10)))
        .apply(
            |_: &(), ctx: &WindowContext, els: &[Ev], out: &mut Collector<'_, (i64, u64)>| {
                out.collect((ctx.window.start, els.len() as u64));
                Ok(())
            },
        )
        .collect_into("window-all");
    Ok(())
}

#[test]
fn window_all_counts_the_whole_stream_per_window() {
    let mut reg = ProgramRegistry::new();
    reg.register("all", "window all", window_all);
    let job = common::run(reg, "all", &[], 2).unwrap();
    let mut want: BTreeMap<i64, u64> = BTreeMap::new();
    for i in 0..EVENTS {
        let ts = ev(i).1;
        *want.entry(ts - ts.rem_euclid(10_000)).or_default() += 1;
    }
    let got: Vec<(i64, u64)> = take_collected("window-all").unwrap();
    let got_map: BTreeMap<i64, u64> = got.iter().copied().collect();
    assert_eq!(got.len(), got_map.len(), "each window once");
    assert_eq!(got_map, want);
    assert!(
        job.vertices.iter().any(|v| v.parallelism == 1),
        "window_all runs with parallelism 1"
    );
}

/// The built-in `example:windowed` program (compiled here from its source
/// file so its output can be checked end to end).
#[path = "../../flink-examples/src/windowed.rs"]
#[allow(dead_code)]
mod windowed;

#[test]
fn windowed_example_writes_one_line_per_sensor_window() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut reg = ProgramRegistry::new();
    reg.register(
        "example:windowed",
        "windowed",
        windowed::windowed_event_time,
    );
    common::run(
        reg,
        "example:windowed",
        &[
            "--events",
            "6000",
            "--rate",
            "20000",
            "--output",
            out.to_str().unwrap(),
        ],
        2,
    )
    .unwrap();
    let mut got = Vec::new();
    for f in std::fs::read_dir(&out).unwrap() {
        let f = f.unwrap();
        let name = f.file_name().to_string_lossy().to_string();
        assert!(name.starts_with("part-"), "uncommitted file {name}");
        got.extend(
            std::fs::read_to_string(f.path())
                .unwrap()
                .lines()
                .map(str::to_string),
        );
    }
    got.sort();
    let mut stats: BTreeMap<(u32, i64), windowed::TemperatureStats> = BTreeMap::new();
    for i in 0..6000 {
        let r = windowed::reading(i);
        let start = r.timestamp - r.timestamp.rem_euclid(5000);
        let s = stats
            .entry((r.sensor, start))
            .or_insert(windowed::TemperatureStats {
                count: 0,
                sum: 0,
                min: i64::MAX,
                max: i64::MIN,
            });
        s.count += 1;
        s.sum += r.deci_celsius;
        s.min = s.min.min(r.deci_celsius);
        s.max = s.max.max(r.deci_celsius);
    }
    let mut want: Vec<String> = stats
        .iter()
        .map(|((k, start), s)| windowed::format_window(*k, *start, start + 5000, s))
        .collect();
    want.sort();
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
}

/// Counts what reaches the end of a chain.
#[test]
fn window_state_snapshot_restores_at_another_parallelism_into_either_operator() {
    use flink_streaming::operators::keyed::KeySelector;
    use flink_streaming::operators::window::{
        AlignedWindowOperator, ReduceContents, WindowOperator,
    };
    use flink_types::{StateHandle, StateLocation, TaskRestore};
    use std::sync::Arc;
    type E = (u32, u64);
    let key: KeySelector<E, u32> = Arc::new(|e: &E| e.0);
    let assigner = SlidingEventTimeWindows::of(Duration::from_secs(2), Duration::from_secs(1));
    let sum = |a: E, b: E| (a.0, a.1 + b.1);
    let barrier = flink_streaming::element::CheckpointBarrier {
        id: 1,
        timestamp: 0,
        is_savepoint: false,
    };
    // Before the snapshot: events at 0..4000 ms, watermark 1500 (window [0,1000) and
    // [-1000,1000) fired, [0,2000) not yet). After: events at 4000..6000 ms.
    let event = |i: u64| -> (E, i64) { (((i % 13) as u32, i), (i * 4) as i64) };
    let mut want: BTreeMap<(u32, i64), u64> = BTreeMap::new();
    for i in 0..1500u64 {
        let ((k, v), ts) = event(i);
        let mut s = ts - ts.rem_euclid(1000);
        while s > ts - 2000 {
            *want.entry((k, s)).or_default() += v;
            s -= 1000;
        }
    }
    let mut ctx = RuntimeContext::standalone("Window");
    ctx.parallelism = 2;
    let mut before = VecOutput::default();
    let mut blobs = Vec::new();
    for sub in 0..2u32 {
        ctx.subtask = sub;
        let range = ctx.key_group_range();
        let mut op =
            AlignedWindowOperator::new(key.clone(), assigner, ReduceContents::new(sum), 0, &ctx);
        for i in 0..1000u64 {
            let (e, ts) = event(i);
            let kg = flink_types::key_group_for_hash(flink_state::stable_hash(&e.0), 128);
            if range.contains(kg) {
                op.process(e, Some(ts), &mut before).unwrap();
            }
        }
        op.watermark(1500, &mut before).unwrap();
        let snap = op.snapshot(&barrier).unwrap().unwrap();
        blobs.extend(snap.key_groups.into_iter().map(|(_, b)| b));
    }
    let restore = Arc::new(TaskRestore {
        checkpoint_id: 1,
        operator_state: [(
            "window".to_string(),
            blobs
                .iter()
                .map(|b| StateHandle {
                    location: StateLocation::Inline(b.clone()),
                    key_group_offsets: vec![],
                    size: b.len() as u64,
                })
                .collect(),
        )]
        .into_iter()
        .collect(),
    });
    for generic in [false, true] {
        let mut out = VecOutput::default();
        ctx.parallelism = 3;
        ctx.restore = Some(restore.clone());
        for sub in 0..3u32 {
            ctx.subtask = sub;
            let range = ctx.key_group_range();
            let mut op: Box<dyn StreamOperator<E, E>> = if generic {
                Box::new(WindowOperator::new(
                    key.clone(),
                    assigner,
                    ReduceContents::new(sum),
                    0,
                    &ctx,
                ))
            } else {
                Box::new(AlignedWindowOperator::new(
                    key.clone(),
                    assigner,
                    ReduceContents::new(sum),
                    0,
                    &ctx,
                ))
            };
            op.open(&ctx).unwrap();
            op.watermark(1500, &mut out).unwrap();
            for i in 1000..1500u64 {
                let (e, ts) = event(i);
                let kg = flink_types::key_group_for_hash(flink_state::stable_hash(&e.0), 128);
                if range.contains(kg) {
                    op.process(e, Some(ts), &mut out).unwrap();
                }
            }
            op.watermark(i64::MAX, &mut out).unwrap();
        }
        // Windows fired before the snapshot plus those fired after restore: each once.
        let mut got: BTreeMap<(u32, i64), u64> = BTreeMap::new();
        for ((k, v), ts) in before.records.iter().chain(out.records.iter()) {
            let start = ts.unwrap() + 1 - 2000;
            assert!(
                got.insert((*k, start), *v).is_none(),
                "window ({k}, {start}) fired twice (generic: {generic})"
            );
        }
        assert_eq!(got, want, "generic operator: {generic}");
    }
}
