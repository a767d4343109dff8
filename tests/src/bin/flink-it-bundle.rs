//! A job bundle with the programs the integration tests need, plus the
//! built-in examples: `panic`, `slow-sink`, `slow-wordcount`, `exactly-once-counts`, `large-state`.

use flink_rs::{Collector, ProgramError, ProgramRegistry, StreamExecutionEnvironment};

/// Generates numbers; the map panics at `--panic-at N` (default 500).
fn panic_job(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    let at: u64 = env
        .arg("panic-at")
        .unwrap_or_else(|| "500".into())
        .parse()?;
    env.from_sequence(1, 100_000)
        .rebalance()
        .map(move |x: u64| {
            if x == at {
                panic!("boom: record {x} is cursed");
            }
            x
        })
        .name("Cursed Map")
        .discard();
    Ok(())
}

/// A fast source behind a slow sink, across a network edge: back-pressure.
fn slow_sink(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    let payload = "x".repeat(200);
    env.from_generator(Some(50_000_000), None, move |i| (i, payload.clone()))
        .rebalance()
        .map(|(i, p): (u64, String)| {
            std::thread::sleep(std::time::Duration::from_micros(200));
            (i, p.len())
        })
        .name("Slow Map")
        .discard();
    Ok(())
}

/// `example:wordcount` with a pause after every `--pause-every` lines
/// (`--pause-ms`, default 20): long enough to kill a TaskManager mid-job.
fn slow_wordcount(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    use flink_examples::wordcount::{FinalCount, tokenize};
    env.set_job_name("Slow WordCount");
    let input = env.arg("input").ok_or("--input is required")?;
    let output = env.arg("output").ok_or("--output is required")?;
    let every: u64 = env
        .arg("pause-every")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let pause_ms: u64 = env
        .arg("pause-ms")
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let mut seen = 0u64;
    env.read_text_file(&input)
        .map(move |line: String| {
            seen += 1;
            if seen.is_multiple_of(every) {
                std::thread::sleep(std::time::Duration::from_millis(pause_ms));
            }
            line
        })
        .name("Throttle")
        .flat_map(|line: String, out: &mut Collector<'_, (String, u64)>| {
            tokenize(&line, |w| out.collect((w, 1)))
        })
        .name("Tokenizer")
        .key_by(|(w, _): &(String, u64)| w.clone())
        .transform("Word Count", FinalCount::new)
        .map(|(w, n): (String, u64)| format!("{w} {n}"))
        .name("Format")
        .write_as_text(&output);
    Ok(())
}

/// Keyed running counts through the exactly-once file sink: `--events N`
/// generated at `--rate R` per second (per subtask), key `i % --keys K`; every
/// update is written as a line `<key> <count>`. With exactly-once, the
/// committed output holds each `(key, n)` for `n = 1..=count(key)` once.
fn exactly_once_counts(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    env.set_job_name("Exactly-once counts");
    let output = env.arg("output").ok_or("--output is required")?;
    let events: u64 = env
        .arg("events")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rate: f64 = env
        .arg("rate")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000.0);
    let keys: u64 = env.arg("keys").and_then(|v| v.parse().ok()).unwrap_or(100);
    env.from_generator(Some(events), Some(rate), move |i| (i % keys, 1u64))
        .key_by(|(k, _): &(u64, u64)| *k)
        .reduce(|(k, a): (u64, u64), (_, b): (u64, u64)| (k, a + b))
        .name("Running Count")
        .map(|(k, n): (u64, u64)| format!("{k} {n}"))
        .name("Format")
        .write_as_text(&output);
    Ok(())
}

/// Keyed state of a chosen size for checkpoint benchmarks: `--keys N` keys, each holding the
/// latest `--value-bytes B` payload (default 100) written to it, fed by a generator of
/// `--events` records (default 3 x keys) at `--rate` records/s; nothing is emitted downstream.
fn large_state(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    env.set_job_name("Large keyed state");
    let keys: u64 = env
        .arg("keys")
        .unwrap_or_else(|| "1000000".into())
        .parse()?;
    let value_bytes: usize = env
        .arg("value-bytes")
        .unwrap_or_else(|| "100".into())
        .parse()?;
    let events: u64 = match env.arg("events") {
        Some(v) => v.parse()?,
        None => keys.saturating_mul(3),
    };
    let rate: Option<f64> = env.arg("rate").map(|v| v.parse()).transpose()?;
    env.from_generator(Some(events), rate, move |i| {
        let mut v = format!("{i:020}");
        v.extend(std::iter::repeat_n(
            'x',
            value_bytes.saturating_sub(v.len()),
        ));
        (i % keys, v)
    })
    .key_by(|(k, _): &(u64, String)| *k)
    .reduce(|_old: (u64, String), new: (u64, String)| new)
    .name("Latest Value")
    .filter(|_: &(u64, String)| false)
    .discard();
    Ok(())
}

fn main() -> std::process::ExitCode {
    let mut registry = ProgramRegistry::new();
    flink_examples::register_examples(&mut registry);
    registry.register("panic", "panics at --panic-at N", panic_job);
    registry.register("slow-sink", "fast source, slow sink", slow_sink);
    registry.register(
        "exactly-once-counts",
        "keyed running counts through the exactly-once file sink",
        exactly_once_counts,
    );
    registry.register(
        "large-state",
        "keyed state of --keys N x --value-bytes B, for checkpoint benchmarks",
        large_state,
    );
    registry.register(
        "slow-wordcount",
        "wordcount with a pause every N lines",
        slow_wordcount,
    );
    flink_rs::main_with_registry(registry)
}
