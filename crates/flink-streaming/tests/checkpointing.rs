//! Checkpoints on the stream-task runtime (no JobManager: tests/common plays
//! the coordinator): barrier alignment over two inputs with skewed
//! channels, failure and restore with exactly-once file output, and
//! rescaling keyed state and sources across restores.

mod common;

use common::checkpoints::{CompletedCheckpoint, Harness};
use flink_streaming::operators::sources::GeneratorState;
use flink_streaming::runtime::chain::SourceStateEnvelope;
use flink_streaming::runtime::snapshot::OperatorSnapshot;
use flink_streaming::*;
use flink_types::StateLocation;
use std::collections::BTreeMap;
use std::time::Duration;

fn inline(loc: &StateLocation) -> &[u8] {
    match loc {
        StateLocation::Inline(b) => b,
        StateLocation::File(f) => panic!("no checkpoint storage configured, got file {f}"),
    }
}

fn decode<T: serde::de::DeserializeOwned>(b: &[u8]) -> T {
    bincode::serde::decode_from_slice(b, flink_streaming::element::codec())
        .unwrap()
        .0
}

// ---------------------------------------------------------------- alignment

const NA: u64 = 30_000;
const NB: u64 = 3_000;

/// Counts the records of each (input, source subtask); its operator state is
/// that table (JSON).
struct SideCounter {
    uid: String,
    counts: BTreeMap<(u8, u64), u64>,
}

impl StreamOperator<Either<u64, u64>, u64> for SideCounter {
    fn process(
        &mut self,
        v: Either<u64, u64>,
        _ts: Option<i64>,
        out: &mut dyn Output<u64>,
    ) -> OpResult {
        let key = match v {
            Either::Left(i) => (0, i % 2),
            Either::Right(i) => (1, i % 3),
        };
        *self.counts.entry(key).or_insert(0) += 1;
        out.record(key.1, None)
    }
    fn snapshot(
        &mut self,
        _b: &flink_streaming::element::CheckpointBarrier,
    ) -> Result<Option<OperatorSnapshot>, Box<OperatorError>> {
        let table: Vec<((u8, u64), u64)> = self.counts.clone().into_iter().collect();
        Ok(Some(OperatorSnapshot {
            uid: self.uid.clone(),
            key_groups: vec![],
            operator_state: Some(serde_json::to_vec(&table).unwrap()),
        }))
    }
}

/// Two sources at different rates and parallelisms (2 and 3) feed a
/// two-input operator at parallelism 2 over rebalancing edges: every
/// subtask reads two gates with 2 and 3 channels whose barriers arrive at
/// different times.
fn two_inputs(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    let a = env
        .from_generator(Some(NA), Some(15_000.0), |i| i)
        .uid("src-a")
        .set_parallelism(2)
        .rebalance();
    let b = env
        .from_generator(Some(NB), Some(1_500.0), |i| i)
        .uid("src-b")
        .set_parallelism(3)
        .rebalance();
    a.connect_with(&b, "Side Counter", |ctx: &RuntimeContext| SideCounter {
        uid: ctx.operator_uid.clone(),
        counts: BTreeMap::new(),
    })
    .uid("counter")
    .set_parallelism(2)
    .discard();
    Ok(())
}

/// Records each source subtask emitted before its barrier, from its snapshot.
fn emitted_before_barrier(c: &CompletedCheckpoint, uid: &str) -> BTreeMap<u64, u64> {
    let mut m = BTreeMap::new();
    for (_, h) in c.handles_of(uid) {
        let env: SourceStateEnvelope = decode(inline(&h.location));
        let st: GeneratorState = decode(&env.state);
        for s in st.splits {
            m.insert(s.id as u64, (s.next - s.id as u64) / s.stride);
        }
    }
    m
}

#[test]
fn aligned_snapshots_hold_exactly_the_records_before_the_barrier() {
    let mut reg = ProgramRegistry::new();
    reg.register("two-inputs", "two inputs", two_inputs);
    let h = Harness::new(reg);
    let mut job = h.start("two-inputs", &[], 2, 0, None);
    let mut next_id = 1;
    let completed = job.checkpoints_until(&mut next_id, Duration::from_millis(40), 12);
    assert!(
        completed.len() >= 5,
        "only {} checkpoints completed (declined: {:?})",
        completed.len(),
        job.declined
    );
    let mut partial = 0;
    for c in &completed {
        let a = emitted_before_barrier(c, "src-a");
        let b = emitted_before_barrier(c, "src-b");
        assert_eq!(a.len(), 2, "checkpoint {}: {a:?}", c.id);
        assert_eq!(b.len(), 3, "checkpoint {}: {b:?}", c.id);
        let mut counted: BTreeMap<(u8, u64), u64> = BTreeMap::new();
        let handles = c.handles_of("counter");
        assert_eq!(handles.len(), 2, "one state per counter subtask");
        for (_, h) in handles {
            let table: Vec<((u8, u64), u64)> = serde_json::from_slice(inline(&h.location)).unwrap();
            for (k, n) in table {
                *counted.entry(k).or_insert(0) += n;
            }
        }
        for (j, n) in &a {
            assert_eq!(
                counted.get(&(0, *j)).copied().unwrap_or(0),
                *n,
                "checkpoint {}: input 1, source subtask {j}",
                c.id
            );
            if *n > 0 && *n < NA / 2 {
                partial += 1;
            }
        }
        for (j, n) in &b {
            assert_eq!(
                counted.get(&(1, *j)).copied().unwrap_or(0),
                *n,
                "checkpoint {}: input 2, source subtask {j}",
                c.id
            );
        }
    }
    assert!(partial > 0, "no checkpoint was taken mid-stream");
    job.wait_finished();
}

// ------------------------------------------------- exactly once, rescaling

/// `--n` numbers from a generator at `--rate` records/s, keyed by `i % 8`,
/// rolling sum per key, written as `key,sum` lines to `--out` (exactly
/// once). The source runs at `--src-p`, the rest at the default parallelism.
/// Each key's numbers come from one generator split (stride 1, 2 or 4
/// divides 8), in order, so the output lines are the same in every run.
fn keyed_sum(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    let n: u64 = env.arg("n").unwrap_or_default().parse()?;
    let rate: f64 = env.arg("rate").unwrap_or_default().parse()?;
    let src_p: u32 = env.arg("src-p").unwrap_or_default().parse()?;
    let out = env.arg("out").unwrap_or_default();
    env.from_generator(Some(n), Some(rate), |i| (i % 8, i))
        .uid("gen")
        .set_parallelism(src_p)
        .key_by(|t: &(u64, u64)| t.0)
        .reduce(|a: (u64, u64), b: (u64, u64)| (a.0, a.1 + b.1))
        .uid("sum")
        .map(|(k, s): (u64, u64)| format!("{k},{s}"))
        .write_as_text(&out)
        .uid("sink");
    Ok(())
}

fn expected_lines(n: u64) -> Vec<String> {
    let mut sums = [0u64; 8];
    let mut lines: Vec<String> = (0..n)
        .map(|i| {
            let k = (i % 8) as usize;
            sums[k] += i;
            format!("{k},{}", sums[k])
        })
        .collect();
    lines.sort();
    lines
}

/// Committed lines under `dir`; fails on leftover in-progress files.
fn committed_lines(dir: &std::path::Path) -> Vec<String> {
    let mut lines = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(name.starts_with("part-"), "left over: {name}");
        let text = std::fs::read_to_string(e.path()).unwrap();
        lines.extend(text.lines().map(str::to_string));
    }
    lines.sort();
    lines
}

fn keyed_sum_harness() -> Harness {
    let mut reg = ProgramRegistry::new();
    reg.register("keyed-sum", "keyed rolling sum", keyed_sum);
    Harness::new(reg)
}

/// The harness with every state blob in its own file below `dir`.
fn keyed_sum_harness_with_storage(dir: &str) -> Harness {
    keyed_sum_harness()
        .with_config("execution.checkpointing.dir", dir)
        .with_config("state.storage.fs.memory-threshold", "0")
}

#[test]
fn failure_and_restore_give_exactly_the_failure_free_output() {
    const N: u64 = 40_000;
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().display().to_string();
    let args = [
        "--n", "40000", "--rate", "20000", "--src-p", "2", "--out", &dir,
    ];
    let h = keyed_sum_harness();
    let mut next_id = 1;

    // Run 1: three checkpoints, then a fourth that completes but whose
    // notification never arrives (the job dies first).
    let mut job = h.start("keyed-sum", &args, 2, 0, None);
    let done = job.checkpoints_until(&mut next_id, Duration::from_millis(50), 3);
    assert_eq!(done.len(), 3, "declined: {:?}", job.declined);
    let mut last = None;
    while last.is_none() {
        job.pump(Duration::from_millis(50));
        last = job.checkpoint(next_id, Duration::from_secs(10), false);
        next_id += 1;
    }
    job.pump(Duration::from_millis(100));
    job.kill();
    let last = last.unwrap();

    // Run 2: restored from the un-notified checkpoint; dies after three more.
    let mut job = h.start("keyed-sum", &args, 2, 1, Some(&last));
    let done = job.checkpoints_until(&mut next_id, Duration::from_millis(50), 3);
    assert_eq!(done.len(), 3, "declined: {:?}", job.declined);
    job.pump(Duration::from_millis(120));
    job.kill();
    let last = done.last().unwrap().clone();

    // Run 3: to the end.
    let mut job = h.start("keyed-sum", &args, 2, 2, Some(&last));
    let _ = job.checkpoints_until(&mut next_id, Duration::from_millis(50), 2);
    job.wait_finished();

    let got = committed_lines(out.path());
    let want = expected_lines(N);
    assert_eq!(got.len(), want.len(), "lost or duplicated records");
    assert!(got == want, "output differs from the failure-free run");
}

#[test]
fn keyed_state_and_sources_rescale_across_restores() {
    const N: u64 = 48_000;
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().display().to_string();
    let checkpoints = tempfile::tempdir().unwrap();
    let h = keyed_sum_harness_with_storage(&format!("file://{}", checkpoints.path().display()));
    let mut next_id = 1;
    // (source parallelism, keyed parallelism) per run: keyed state 2 -> 4 -> 1,
    // source splits 4 -> 2 -> 1.
    let runs = [(4u32, 2u32), (2, 4), (1, 1)];
    let mut restore: Option<CompletedCheckpoint> = None;
    for (attempt, (src_p, p)) in runs.into_iter().enumerate() {
        let src_p = src_p.to_string();
        let args = [
            "--n", "48000", "--rate", "16000", "--src-p", &src_p, "--out", &dir,
        ];
        let mut job = h.start("keyed-sum", &args, p, attempt as u32, restore.as_ref());
        if attempt + 1 == runs.len() {
            job.wait_finished();
            break;
        }
        let done = job.checkpoints_until(&mut next_id, Duration::from_millis(50), 4);
        assert_eq!(done.len(), 4, "run {attempt}: declined {:?}", job.declined);
        let last = done.last().unwrap().clone();
        // the keyed state really is split by key group over the subtasks
        let keyed = last.handles_of("sum");
        assert!(
            keyed.iter().all(|(_, h)| !h.key_group_offsets.is_empty()),
            "{keyed:?}"
        );
        // ... in files of checkpoint storage: <dir>/<jobId>/chk-<n>/<uid>-<subtask>-<attempt>-...
        for (s, h) in &keyed {
            let StateLocation::File(f) = &h.location else {
                panic!("state not in a file: {h:?}");
            };
            assert!(
                f.contains(&format!("/chk-{}/sum-{s}-{attempt}-keyed", last.id)),
                "{f}"
            );
            let local = f.strip_prefix("file://").unwrap();
            assert_eq!(std::fs::metadata(local).unwrap().len(), h.size);
        }
        assert_eq!(
            keyed
                .iter()
                .map(|(s, _)| *s)
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            p as usize
        );
        job.pump(Duration::from_millis(100));
        job.kill();
        restore = Some(last);
    }
    let got = committed_lines(out.path());
    let want = expected_lines(N);
    assert_eq!(got.len(), want.len(), "lost or duplicated records");
    assert!(got == want, "output differs from the failure-free run");
}

#[test]
fn a_source_that_cannot_rescale_says_so() {
    fn collection(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
        // A socket-less, non-rescalable source: the test's own.
        env.add_source("Fixed", |_| Fixed { n: 0 })
            .uid("fixed")
            .discard();
        Ok(())
    }
    struct Fixed {
        n: u64,
    }
    impl Source<u64> for Fixed {
        fn poll_next(
            &mut self,
            out: &mut SourceOutput<'_, u64>,
        ) -> Result<SourceStatus, Box<OperatorError>> {
            self.n += 1;
            out.collect(self.n)?;
            std::thread::sleep(Duration::from_millis(1));
            Ok(if self.n > 5_000 {
                SourceStatus::Finished
            } else {
                SourceStatus::MoreAvailable
            })
        }
        fn snapshot_state(&mut self) -> Option<Vec<u8>> {
            Some(self.n.to_le_bytes().to_vec())
        }
        fn restore_state(&mut self, s: &[u8]) -> OpResult {
            self.n = u64::from_le_bytes(s.try_into().unwrap());
            Ok(())
        }
    }
    let mut reg = ProgramRegistry::new();
    reg.register("fixed", "fixed", collection);
    let h = Harness::new(reg);
    let mut next_id = 1;
    let mut job = h.start("fixed", &[], 2, 0, None);
    let done = job.checkpoints_until(&mut next_id, Duration::from_millis(30), 1);
    job.kill();
    let mut job = h.start("fixed", &[], 3, 1, Some(&done[0]));
    let err = loop {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            job.pump(Duration::from_millis(50))
        })) {
            Ok(()) => assert!(!job.all_terminal(), "restore did not fail"),
            Err(_) => break job.failure.clone().unwrap(),
        }
    };
    assert!(
        err.message.contains("parallelism 3")
            && err.message.contains("parallelism 2")
            && err.message.contains("Fixed"),
        "{err}"
    );
}

/// Committed lines under an HDFS directory; fails on leftover in-progress files.
fn committed_lines_on_hdfs(uri: &str) -> Vec<String> {
    let cluster = hadoop_minicluster::shared().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = flink_fs::FsPath::parse(uri).unwrap();
    let settings = flink_fs::HadoopSettings::from_conf_dir(cluster.conf_dir());
    let fs = {
        let _g = rt.enter();
        flink_fs::get_file_system(&dir, &settings).unwrap()
    };
    let mut lines = Vec::new();
    for e in rt.block_on(fs.list_status(&dir)).unwrap() {
        let name = e.path.name().to_string();
        assert!(name.starts_with("part-"), "left over: {name}");
        let data = rt.block_on(fs.read(&e.path)).unwrap();
        lines.extend(
            std::str::from_utf8(&data)
                .unwrap()
                .lines()
                .map(String::from),
        );
    }
    lines.sort();
    lines
}

#[test]
fn exactly_once_with_checkpoints_and_output_on_hdfs() {
    const N: u64 = 30_000;
    let cluster = hadoop_minicluster::shared().unwrap();
    let base = format!(
        "{}{}",
        cluster.default_fs(),
        cluster.unique_hdfs_dir("exactly-once")
    );
    let out = format!("{base}/out");
    let h = keyed_sum_harness_with_storage(&format!("{base}/checkpoints"));
    let args = [
        "--n", "30000", "--rate", "5000", "--src-p", "2", "--out", &out,
    ];
    let mut next_id = 1;
    let mut job = h.start("keyed-sum", &args, 2, 0, None);
    let done = job.checkpoints_until(&mut next_id, Duration::from_millis(100), 3);
    assert_eq!(done.len(), 3, "declined: {:?}", job.declined);
    job.pump(Duration::from_millis(150));
    job.kill();
    let last = done.last().unwrap().clone();
    let files: Vec<_> = last
        .handles_of("sum")
        .into_iter()
        .map(|(_, h)| h.location)
        .collect();
    assert!(
        files
            .iter()
            .all(|l| matches!(l, StateLocation::File(f) if f.starts_with("hdfs://"))),
        "{files:?}"
    );
    let mut job = h.start("keyed-sum", &args, 2, 1, Some(&last));
    let _ = job.checkpoints_until(&mut next_id, Duration::from_millis(100), 2);
    job.wait_finished();
    let got = committed_lines_on_hdfs(&out);
    let want = expected_lines(N);
    assert_eq!(got.len(), want.len(), "lost or duplicated records");
    assert!(got == want, "output differs from the failure-free run");
}

/// Two sources with disjoint keys (0..8 and 8..16): a short one that ends
/// early and a long one.
fn uneven(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    let out = env.arg("out").unwrap_or_default();
    let short = env
        .from_generator(Some(6_000), Some(20_000.0), |i| (i % 8, i))
        .uid("short")
        .set_parallelism(1);
    let long = env
        .from_generator(Some(24_000), Some(12_000.0), |i| (8 + i % 8, i))
        .uid("long")
        .set_parallelism(1);
    short
        .union([long])
        .key_by(|t: &(u64, u64)| t.0)
        .reduce(|a: (u64, u64), b: (u64, u64)| (a.0, a.1 + b.1))
        .uid("sum")
        .map(|(k, s): (u64, u64)| format!("{k},{s}"))
        .write_as_text(&out)
        .uid("sink");
    Ok(())
}

fn uneven_expected() -> Vec<String> {
    let mut lines = Vec::new();
    for (offset, n) in [(0u64, 6_000u64), (8, 24_000)] {
        let mut sums = [0u64; 8];
        for i in 0..n {
            let k = (i % 8) as usize;
            sums[k] += i;
            lines.push(format!("{},{}", offset as usize + k, sums[k]));
        }
    }
    lines.sort();
    lines
}

#[test]
fn a_source_that_ended_is_not_replayed_after_a_restore() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().display().to_string();
    let mut reg = ProgramRegistry::new();
    reg.register("uneven", "uneven sources", uneven);
    // With periodic checkpoints on, a source whose input ended waits for a
    // final checkpoint (its state then says "nothing left") before it ends.
    let h = Harness::new(reg).with_config("execution.checkpointing.interval", "50 ms");
    let args = ["--out", dir.as_str()];
    let mut next_id = 1;
    let mut job = h.start("uneven", &args, 2, 0, None);
    let mut last = None;
    while job.finished_tasks() == 0 {
        let done = job.checkpoints_until(&mut next_id, Duration::from_millis(50), 1);
        assert!(!job.all_terminal(), "job ended before the kill");
        last = done.into_iter().last().or(last);
    }
    // The short source has ended; the long one still runs.
    let done = job.checkpoints_until(&mut next_id, Duration::from_millis(50), 3);
    assert_eq!(done.len(), 3, "declined: {:?}", job.declined);
    let last = done.last().cloned().or(last).unwrap();
    assert!(
        last.handles_of("short").len() == 1,
        "the ended source's final state is part of later checkpoints"
    );
    job.kill();
    let mut job = h.start("uneven", &args, 2, 1, Some(&last));
    job.checkpoints_until(&mut next_id, Duration::from_millis(50), usize::MAX);
    job.wait_finished();
    let got = committed_lines(out.path());
    let want = uneven_expected();
    assert_eq!(got.len(), want.len(), "lost or duplicated records");
    assert!(got == want, "output differs from the failure-free run");
}
