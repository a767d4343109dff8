//! A job bundle with the programs the integration tests need, plus the
//! built-in examples: `panic`, `slow-sink`.

use flink_rs::{ProgramError, ProgramRegistry, StreamExecutionEnvironment};

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

fn main() -> std::process::ExitCode {
    let mut registry = ProgramRegistry::new();
    flink_examples::register_examples(&mut registry);
    registry.register("panic", "panics at --panic-at N", panic_job);
    registry.register("slow-sink", "fast source, slow sink", slow_sink);
    flink_rs::main_with_registry(registry)
}
