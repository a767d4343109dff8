//! Throughput of a keyed job with checkpointing off and on.
//!
//! A generator (parallelism 2, unthrottled) feeds a keyed rolling sum over
//! 100k keys (parallelism 2, over the network) into a discarding sink; the
//! job runs on stream tasks in this process (the test harness plays the
//! checkpoint coordinator). Reported: records/s, checkpoints completed and
//! the mean checkpoint time, for no checkpoints and checkpoints every
//! 1 s / 200 ms / 50 ms into a local checkpoint directory.
//!
//! `cargo bench -p flink-streaming --bench checkpointing [-- records]`

#[path = "../tests/common/checkpoints.rs"]
#[allow(dead_code)]
mod checkpoints;

use checkpoints::Harness;
use flink_streaming::*;
use std::time::{Duration, Instant};

fn keyed_job(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    let n: u64 = env.arg("n").unwrap_or_default().parse()?;
    env.from_generator(Some(n), None, |i| {
        (i.wrapping_mul(0x9E37_79B9) % 100_000, i)
    })
    .uid("gen")
    .key_by(|t: &(u64, u64)| t.0)
    .reduce(|a: (u64, u64), b: (u64, u64)| (a.0, a.1.wrapping_add(b.1)))
    .uid("sum")
    .discard();
    Ok(())
}

fn main() {
    let n: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(4_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut reg = ProgramRegistry::new();
    reg.register("keyed", "keyed rolling sum", keyed_job);
    let h = Harness::new(reg).with_config(
        "execution.checkpointing.dir",
        &format!("file://{}", dir.path().display()),
    );
    let n_arg = n.to_string();
    println!("keyed rolling sum, {n} records, 100k keys, parallelism 2");
    // Three rounds, best of each: the machine is shared, so one slow run
    // says little.
    let intervals = [None, Some(1000u64), Some(200), Some(50)];
    let mut best = vec![(0.0f64, 0usize, 0.0f64); intervals.len()];
    for _round in 0..3 {
        for (i, interval) in intervals.iter().enumerate() {
            let started = Instant::now();
            let mut job = h.start("keyed", &["--n", &n_arg], 2, 0, None);
            let mut next_id = 1;
            if let Some(ms) = interval {
                job.checkpoints_until(&mut next_id, Duration::from_millis(*ms), usize::MAX);
            }
            job.wait_finished();
            let rate = n as f64 / started.elapsed().as_secs_f64();
            let d = &job.durations;
            let mean = d.iter().sum::<Duration>().as_secs_f64() * 1e3 / d.len().max(1) as f64;
            if rate > best[i].0 {
                best[i] = (rate, d.len(), mean);
            }
        }
    }
    let base = best[0].0;
    for (interval, (rate, count, mean)) in intervals.iter().zip(best) {
        let label = interval.map_or("off".to_string(), |ms| format!("every {ms} ms"));
        println!(
            "checkpointing {label:>13}: {:>6.2} M records/s ({:>5.1}% of off), {count} checkpoints, mean {mean:.1} ms",
            rate / 1e6,
            100.0 * rate / base,
        );
    }
}
