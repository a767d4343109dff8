//! Standalone clusters: `flink-rs jobmanager` and `flink-rs taskmanager` as
//! separate processes, and `flink-rs run -t remote -m host:port`.

use flink_it::*;
use std::process::Command;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(180);

#[test]
fn wordcount_on_a_standalone_cluster_matches_at_parallelism_1_and_4() {
    let cluster = StandaloneCluster::start(&flink_rs_bin(), 2, 2, &[]);
    let dir = tempfile_dir::Dir::new("flink-it-sa-wc");
    let input = dir.path().join("input.txt");
    let text = generate_text(3 * 1024 * 1024);
    std::fs::write(&input, &text).unwrap();
    for p in [1, 4] {
        let out = dir.path().join(format!("out-{p}"));
        let output = run_with_timeout(
            Command::new(flink_rs_bin())
                .args([
                    "run",
                    "-m",
                    &cluster.rest,
                    "-p",
                    &p.to_string(),
                    "example:wordcount",
                    "--input",
                ])
                .arg(&input)
                .arg("--output")
                .arg(&out),
            TIMEOUT,
        );
        assert!(
            output.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            read_word_counts(&out),
            expected_word_counts(&text),
            "parallelism {p}"
        );
    }

    // `list -a` shows the finished jobs.
    let list = run_with_timeout(
        Command::new(flink_rs_bin()).args(["list", "-a", "-m", &cluster.rest]),
        TIMEOUT,
    );
    let stdout = String::from_utf8_lossy(&list.stdout);
    assert!(
        stdout.contains("WordCount") && stdout.contains("FINISHED"),
        "{stdout}"
    );
}

/// `run [flags] -m <cluster> -p 2` with a fixed-delay restart strategy.
fn run_fixed_delay(
    cluster: &StandaloneCluster,
    flags: &[&str],
    attempts: u32,
    delay: &str,
    program: &[&str],
) -> std::process::Output {
    run_with_timeout(
        Command::new(bundle_bin())
            .arg("run")
            .args(flags)
            .args(["-m", &cluster.rest, "-p", "2", "-D"])
            .arg("restart-strategy.type=fixed-delay")
            .arg("-D")
            .arg(format!("restart-strategy.fixed-delay.attempts={attempts}"))
            .arg("-D")
            .arg(format!("restart-strategy.fixed-delay.delay={delay}"))
            .args(program),
        TIMEOUT,
    )
}

#[test]
fn fixed_delay_restarts_the_configured_number_of_times_then_fails() {
    let cluster = StandaloneCluster::start(&bundle_bin(), 1, 2, &[]);
    let output = run_fixed_delay(&cluster, &[], 2, "300 ms", &["panic", "--panic-at", "300"]);
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let all = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(!output.status.success(), "{all}");
    assert!(all.contains("boom: record 300 is cursed"), "{all}");
    // Attached mode polls, so short-lived states may not be printed; the
    // JobManager's exception history has one entry per failure.
    let job_id = job_id_of(&stdout);
    let exceptions = cluster
        .get_json(&format!("/jobs/{job_id}/exceptions"))
        .expect("exceptions");
    let entries = exceptions["exceptionHistory"]["entries"]
        .as_array()
        .expect("entries");
    assert_eq!(
        entries.len(),
        3,
        "initial failure + 2 restarts that failed again: {exceptions}"
    );
    assert!(stdout.contains("to RESTARTING"), "{stdout}");
}

#[test]
fn backpressure_keeps_task_manager_memory_bounded() {
    let cluster = StandaloneCluster::start(
        &bundle_bin(),
        1,
        2,
        &["taskmanager.memory.segment-size=32 kb"],
    );
    let output = run_with_timeout(
        Command::new(bundle_bin()).args(["run", "-d", "-m", &cluster.rest, "-p", "2", "slow-sink"]),
        TIMEOUT,
    );
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let job_id = stdout
        .split_whitespace()
        .last()
        .expect("job id")
        .to_string();
    let pid = cluster.task_manager_pid(0);
    // Let it run; sample RSS. The source could produce gigabytes per second if nothing held it back.
    std::thread::sleep(Duration::from_secs(2));
    let first = rss_kib(pid).expect("rss");
    let start = Instant::now();
    let mut max = first;
    while start.elapsed() < Duration::from_secs(6) {
        max = max.max(rss_kib(pid).expect("rss"));
        std::thread::sleep(Duration::from_millis(200));
    }
    let cancel = run_with_timeout(
        Command::new(bundle_bin()).args(["cancel", "-m", &cluster.rest, &job_id]),
        TIMEOUT,
    );
    assert!(
        cancel.status.success(),
        "{}",
        String::from_utf8_lossy(&cancel.stderr)
    );
    assert!(
        max < 300 * 1024,
        "TaskManager RSS reached {max} KiB under back-pressure"
    );
    assert!(
        max < first + 64 * 1024,
        "TaskManager RSS grew from {first} KiB to {max} KiB under back-pressure"
    );
}

#[test]
fn a_killed_task_manager_is_dropped_without_waiting_for_the_heartbeat_timeout() {
    // heartbeat.timeout is 10 minutes: only the failed RPCs to the dead
    // TaskManager (heartbeat.rpc-failure-threshold) can remove it in time.
    let mut cluster = StandaloneCluster::start(&bundle_bin(), 2, 1, &["heartbeat.timeout=10 min"]);
    let output = run_fixed_delay(&cluster, &["-d"], 5, "200 ms", &["slow-sink"]);
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(output.status.success(), "{stdout}");
    let job = job_id_of(&stdout);
    let running = |c: &StandaloneCluster| {
        c.get_json(&format!("/jobs/{job}")).is_some_and(|j| {
            j["state"] == "RUNNING"
                && j["vertices"]
                    .as_array()
                    .is_some_and(|vs| vs.iter().all(|v| v["status"] == "RUNNING"))
        })
    };
    let wait = |c: &StandaloneCluster, what: &str, f: &dyn Fn(&StandaloneCluster) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !f(c) {
            assert!(
                Instant::now() < deadline,
                "{what}; logs in {}",
                c.log_dir.path().display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait(&cluster, "the job did not start", &running);
    let task_managers = |c: &StandaloneCluster| -> Vec<String> {
        c.get_json("/taskmanagers")
            .and_then(|t| {
                t["taskmanagers"].as_array().map(|a| {
                    a.iter()
                        .filter_map(|tm| tm["id"].as_str().map(str::to_string))
                        .collect()
                })
            })
            .unwrap_or_default()
    };
    let before = task_managers(&cluster);
    assert_eq!(before.len(), 2, "{before:?}");
    let failures = |c: &StandaloneCluster| {
        c.get_json(&format!("/jobs/{job}/exceptions"))
            .and_then(|e| e["exceptionHistory"]["entries"].as_array().map(|a| a.len()))
            .unwrap_or(0)
    };
    assert_eq!(failures(&cluster), 0);
    cluster.kill_task_manager(1);
    cluster.add_task_manager();
    // The replacement registered, one of the two earlier TaskManagers is gone,
    // and the job failed over and runs again.
    wait(
        &cluster,
        "the dead TaskManager was not removed and the job did not run again",
        &|c| {
            let now = task_managers(c);
            now.len() == 2
                && now.iter().filter(|id| before.contains(id)).count() == 1
                && failures(c) >= 1
                && running(c)
        },
    );
    let _ = run_with_timeout(
        Command::new(bundle_bin()).args(["cancel", "-m", &cluster.rest, &job]),
        TIMEOUT,
    );
}
