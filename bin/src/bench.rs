//! `flink-rs bench nexmark`: runs one Nexmark query on the local runtime
//! (the in-process JobManager and TaskManager of `run -t local`) and reports
//! throughput in total and per core, peak RSS and result latency.
//!
//! ```text
//! flink-rs bench nexmark --query q5 [--events 10000000] [--rate R] [--event-rate E]
//!                        [-p 2] [--watermark-delay-ms 4000] [--json]
//! ```
//!
//! * events/s = generated events / (job end − first source poll), wall clock;
//! * per core = generated events / CPU seconds (user + system, `getrusage`)
//!   this process spent from submission to the end of the job: every thread
//!   of JobManager, TaskManager, network and tasks counts;
//! * peak RSS = `VmHWM` of the process (JobManager, TaskManager and client);
//! * latency: see `flink_nexmark::probe` (input complete → result at the sink).

use crate::cluster::start_local_cluster;
use crate::load_job_graph;
use flink_client::BoxError;
use flink_client::cli::ProgramSpec;
use flink_config::{ConfigSource, Configuration};
use flink_nexmark::probe::{peak_rss_bytes, probe, process_cpu_seconds};
use flink_nexmark::queries::{QUERIES, is_windowed};
use flink_streaming::ProgramRegistry;
use flink_types::JobStatus;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

const USAGE: &str = "usage: flink-rs bench nexmark --query qN [--events N] [--rate EVENTS_PER_S] \
[--event-rate EVENTS_PER_S] [-p PARALLELISM] [--watermark-delay-ms MS] [--json]";

#[derive(Debug)]
struct BenchArgs {
    query: String,
    events: u64,
    rate: Option<f64>,
    event_rate: Option<f64>,
    parallelism: u32,
    watermark_delay_ms: Option<u64>,
    json: bool,
}

fn parse_args(args: &[String]) -> Result<BenchArgs, String> {
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("nexmark") => {}
        Some(other) => {
            return Err(format!(
                "unknown benchmark '{other}'; available: nexmark\n{USAGE}"
            ));
        }
        None => return Err(USAGE.to_string()),
    }
    let mut a = BenchArgs {
        query: String::new(),
        events: 10_000_000,
        rate: None,
        event_rate: None,
        parallelism: 2,
        watermark_delay_ms: None,
        json: false,
    };
    fn value<'a>(flag: &str, v: Option<&'a String>) -> Result<&'a str, String> {
        v.map(String::as_str)
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
    }
    fn num<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
        v.parse()
            .map_err(|_| format!("{flag} '{v}' is not a valid number\n{USAGE}"))
    }
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--query" | "-q" => a.query = value(flag, it.next())?.to_string(),
            "--events" => a.events = num(flag, value(flag, it.next())?)?,
            "--rate" => a.rate = Some(num(flag, value(flag, it.next())?)?),
            "--event-rate" => a.event_rate = Some(num(flag, value(flag, it.next())?)?),
            "-p" | "--parallelism" => a.parallelism = num(flag, value(flag, it.next())?)?,
            "--watermark-delay-ms" => {
                a.watermark_delay_ms = Some(num(flag, value(flag, it.next())?)?)
            }
            "--json" => a.json = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown option '{other}'\n{USAGE}")),
        }
    }
    if !QUERIES.contains(&a.query.as_str()) {
        return Err(format!(
            "--query must be one of {}; got '{}'\n{USAGE}",
            QUERIES.join(", "),
            a.query
        ));
    }
    if a.events == 0 {
        return Err("--events must be at least 1 (the benchmark needs a bounded input)".into());
    }
    if a.parallelism == 0 {
        return Err("-p must be at least 1".into());
    }
    Ok(a)
}

/// What one run measured.
#[derive(Debug, serde::Serialize)]
struct BenchResult {
    query: String,
    events: u64,
    parallelism: u32,
    rate: Option<f64>,
    event_rate: f64,
    wall_seconds: f64,
    cpu_seconds: f64,
    events_per_second: f64,
    events_per_second_per_core: f64,
    peak_rss_mib: Option<f64>,
    latency_p50_ms: Option<f64>,
    latency_p99_ms: Option<f64>,
    latency_samples: u64,
    windowed: bool,
}

async fn run(a: &BenchArgs) -> Result<BenchResult, BoxError> {
    let mut registry = ProgramRegistry::new();
    flink_examples::nexmark::register(&mut registry);
    let registry = Arc::new(registry);
    let probe_name = format!("bench-{}-{}", std::process::id(), a.query);
    let mut args = vec![
        "--events".to_string(),
        a.events.to_string(),
        "--sink".into(),
        format!("latency:{probe_name}"),
        "--probe".into(),
        probe_name.clone(),
    ];
    if let Some(r) = a.rate {
        args.extend(["--rate".into(), r.to_string()]);
    }
    let event_rate = a.event_rate.unwrap_or(10_000_000.0);
    args.extend(["--event-rate".into(), event_rate.to_string()]);
    if let Some(d) = a.watermark_delay_ms {
        args.extend(["--watermark-delay-ms".into(), d.to_string()]);
    }
    let mut config = Configuration::new();
    let set = ConfigSource::Set("flink-rs bench".into());
    config.set_string(
        "parallelism.default",
        &a.parallelism.to_string(),
        set.clone(),
    );
    let spec = ProgramSpec {
        program: format!("example:nexmark-{}", a.query),
        args,
    };
    let graph = load_job_graph(&registry, &spec, &config)?;
    let slots = graph.required_slots().max(a.parallelism);
    let cluster = start_local_cluster(&config, registry.clone(), 1, slots).await?;
    let cpu0 = process_cpu_seconds();
    let submitted = Instant::now();
    let outcome = async {
        let job = cluster.job_manager.submit_job(graph).await?;
        let result = cluster.job_manager.wait_job_result(job).await?;
        Ok::<_, BoxError>(result)
    }
    .await;
    let end = Instant::now();
    let cpu = process_cpu_seconds() - cpu0;
    for tm in &cluster.task_managers {
        tm.shutdown().await;
    }
    cluster.job_manager.shutdown().await;
    let result = outcome?;
    if result.status != JobStatus::Finished {
        return Err(format!(
            "the benchmark job ended {}: {}",
            result.status,
            result.failure_cause.unwrap_or_default()
        )
        .into());
    }
    let p = probe(&probe_name);
    let start = p.first_poll.lock().unwrap_or(submitted);
    let wall = end.duration_since(start).as_secs_f64();
    let lat = p.latencies();
    let ms = |v: Option<u64>| v.map(|us| us as f64 / 1000.0);
    Ok(BenchResult {
        query: a.query.clone(),
        events: a.events,
        parallelism: a.parallelism,
        rate: a.rate,
        event_rate,
        wall_seconds: wall,
        cpu_seconds: cpu,
        events_per_second: a.events as f64 / wall,
        events_per_second_per_core: a.events as f64 / cpu.max(1e-9),
        peak_rss_mib: peak_rss_bytes().map(|b| b as f64 / (1024.0 * 1024.0)),
        latency_p50_ms: ms(lat.quantile(0.5)),
        latency_p99_ms: ms(lat.quantile(0.99)),
        latency_samples: lat.count(),
        windowed: is_windowed(&a.query),
    })
}

fn print_text(r: &BenchResult) {
    let opt = |v: Option<f64>, unit: &str| match v {
        Some(v) => format!("{v:.1} {unit}"),
        None => "n/a".to_string(),
    };
    println!(
        "nexmark {}: {} events, p={}, {} in {:.2} s wall, {:.2} s CPU",
        r.query,
        r.events,
        r.parallelism,
        match r.rate {
            Some(rate) => format!("throttled to {rate} events/s"),
            None => "unthrottled".to_string(),
        },
        r.wall_seconds,
        r.cpu_seconds
    );
    println!(
        "  throughput: {:.3} M events/s; {:.3} M events/s per core",
        r.events_per_second / 1e6,
        r.events_per_second_per_core / 1e6
    );
    println!("  peak RSS: {}", opt(r.peak_rss_mib, "MiB"));
    println!(
        "  latency (input complete -> result at sink{}): p50 {}, p99 {} over {} results",
        if r.windowed {
            ""
        } else {
            ", every 1024th record"
        },
        opt(r.latency_p50_ms, "ms"),
        opt(r.latency_p99_ms, "ms"),
        r.latency_samples
    );
}

/// Entry point of `flink-rs bench ...` (`args` after `bench`).
pub fn bench_main(args: &[String]) -> ExitCode {
    let a = match parse_args(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    crate::logging::init(false);
    let runtime = match crate::async_runtime("flink-rs-io") {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let result = runtime.block_on(run(&a));
    runtime.shutdown_background();
    match result {
        Ok(r) => {
            if a.json {
                match serde_json::to_string(&r) {
                    // A closed stdout (e.g. `| head`) is not a benchmark failure.
                    Ok(s) => {
                        use std::io::Write;
                        let _ = writeln!(std::io::stdout(), "{s}");
                    }
                    Err(e) => {
                        eprintln!("cannot encode the result: {e}");
                        return ExitCode::from(1);
                    }
                }
            } else {
                print_text(&r);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("benchmark failed: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_and_rejects_arguments() {
        let a = parse_args(&args("nexmark --query q5 --events 1000 -p 1 --json")).unwrap();
        assert_eq!(
            (a.query.as_str(), a.events, a.parallelism, a.json),
            ("q5", 1000, 1, true)
        );
        assert!(
            parse_args(&args("nexmark --query q6"))
                .unwrap_err()
                .contains("q0, q1")
        );
        assert!(
            parse_args(&args("tpch --query q1"))
                .unwrap_err()
                .contains("nexmark")
        );
        assert!(parse_args(&args("nexmark --query q1 --events x")).is_err());
        assert!(parse_args(&args("nexmark --query q1 --bogus")).is_err());
    }
}
