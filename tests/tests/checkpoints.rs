//! Checkpoints, savepoints and recovery on a standalone cluster of real
//! processes (`flink-it-bundle jobmanager` / `taskmanager`), with the
//! `exactly-once-counts` job: keyed running counts from a rate-limited
//! generator through the two-phase-commit file sink. Exactly once means the
//! committed output holds every `(key, n)` for `n = 1..=count(key)` exactly
//! one time, which is also the failure-free output.

use flink_it::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(240);

fn text(o: &std::process::Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `run -d` of `exactly-once-counts`; returns the job id.
fn submit(cluster: &StandaloneCluster, p: u32, extra: &[String], args: &[String]) -> String {
    let out = run_with_timeout(
        Command::new(bundle_bin())
            .args(["run", "-d", "-m", &cluster.rest, "-p", &p.to_string()])
            .args(extra.iter().flat_map(|d| ["-D".to_string(), d.clone()]))
            .arg("exactly-once-counts")
            .args(args),
        TIMEOUT,
    );
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    job_id_of(&all)
}

fn job_state(cluster: &StandaloneCluster, job: &str) -> String {
    cluster
        .get_json(&format!("/jobs/{job}"))
        .and_then(|v| v["state"].as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Whether every task of the job runs (savepoints need that).
fn all_tasks_running(cluster: &StandaloneCluster, job: &str) -> bool {
    cluster
        .get_json(&format!("/jobs/{job}"))
        .and_then(|v| {
            let vs = v["vertices"].as_array()?.clone();
            Some(!vs.is_empty() && vs.iter().all(|x| x["status"] == "RUNNING"))
        })
        .unwrap_or(false)
}

fn checkpoints(cluster: &StandaloneCluster, job: &str) -> serde_json::Value {
    cluster
        .get_json(&format!("/jobs/{job}/checkpoints"))
        .unwrap_or_default()
}

/// Waits until `f` holds (polling), or panics with `what` and the logs' place.
fn wait_until(
    cluster: &StandaloneCluster,
    what: &str,
    timeout: Duration,
    mut f: impl FnMut() -> bool,
) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; logs in {}",
            cluster.log_dir.path().display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn wait_terminal(cluster: &StandaloneCluster, job: &str) -> String {
    let mut state = String::new();
    wait_until(cluster, "the job to end", TIMEOUT, || {
        state = job_state(cluster, job);
        matches!(state.as_str(), "FINISHED" | "FAILED" | "CANCELED")
    });
    state
}

/// Committed `<key> <n>` lines of the `part-*` files below `dirs`, counted.
fn committed(dirs: &[&Path]) -> BTreeMap<(u64, u64), u32> {
    let mut m = BTreeMap::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if !name.starts_with("part-") {
                continue;
            }
            for line in std::fs::read_to_string(e.path()).unwrap().lines() {
                let (k, n) = line.split_once(' ').expect("'key count' line");
                *m.entry((k.parse().unwrap(), n.parse().unwrap()))
                    .or_insert(0) += 1;
            }
        }
    }
    m
}

fn expected(events: u64, keys: u64) -> BTreeMap<(u64, u64), u32> {
    let mut m = BTreeMap::new();
    for k in 0..keys {
        let count = (0..events).filter(|i| i % keys == k).count() as u64;
        for n in 1..=count {
            m.insert((k, n), 1u32);
        }
    }
    m
}

fn assert_exactly_once(got: &BTreeMap<(u64, u64), u32>, events: u64, keys: u64) {
    let dups: Vec<_> = got.iter().filter(|(_, c)| **c > 1).take(5).collect();
    assert!(
        dups.is_empty(),
        "duplicates in the committed output: {dups:?}"
    );
    let want = expected(events, keys);
    let missing: Vec<_> = want
        .keys()
        .filter(|k| !got.contains_key(k))
        .take(5)
        .collect();
    assert!(missing.is_empty(), "lost updates, e.g. {missing:?}");
    assert_eq!(got, &want);
}

fn job_args(events: u64, rate: u64, keys: u64, out: &Path) -> Vec<String> {
    vec![
        "--events".into(),
        events.to_string(),
        "--rate".into(),
        rate.to_string(),
        "--keys".into(),
        keys.to_string(),
        "--output".into(),
        out.display().to_string(),
    ]
}

#[test]
fn three_task_manager_kills_leave_the_committed_output_exactly_once() {
    // Two TaskManagers with one slot each run the job at parallelism 2, so
    // every kill hits the job; a fresh TaskManager replaces the killed one.
    let mut cluster = StandaloneCluster::start(&bundle_bin(), 2, 1, &[]);
    let dir = tempfile_dir::Dir::new("flink-it-ckpt-kill");
    let out = dir.path().join("out");
    let (events, rate, keys) = (150_000u64, 4_000u64, 50u64);
    let job = submit(
        &cluster,
        2,
        &[
            "execution.checkpointing.interval=300 ms".into(),
            format!(
                "execution.checkpointing.dir=file://{}/ck",
                dir.path().display()
            ),
            "restart-strategy.exponential-delay.initial-backoff=200 ms".into(),
            "restart-strategy.exponential-delay.max-backoff=2 s".into(),
        ],
        &job_args(events, rate, keys, &out),
    );
    let mut live: Vec<usize> = vec![0, 1];
    for round in 0..3 {
        let restored_before = checkpoints(&cluster, &job)["counts"]["restored"]
            .as_u64()
            .unwrap_or(0);
        let completed_before = checkpoints(&cluster, &job)["counts"]["completed"]
            .as_u64()
            .unwrap_or(0);
        // A checkpoint completed in this run (after the restore, if any).
        wait_until(
            &cluster,
            "a completed checkpoint",
            Duration::from_secs(90),
            || {
                let c = checkpoints(&cluster, &job);
                job_state(&cluster, &job) == "RUNNING"
                    && c["counts"]["completed"].as_u64().unwrap_or(0) > completed_before
            },
        );
        assert_ne!(
            job_state(&cluster, &job),
            "FINISHED",
            "the job finished before kill {round}; make it longer"
        );
        let victim = live.remove(0);
        cluster.kill_task_manager(victim);
        live.push(cluster.add_task_manager());
        wait_until(
            &cluster,
            "the restore from the checkpoint",
            Duration::from_secs(90),
            || {
                checkpoints(&cluster, &job)["counts"]["restored"]
                    .as_u64()
                    .unwrap_or(0)
                    > restored_before
            },
        );
    }
    let state = wait_terminal(&cluster, &job);
    assert_eq!(
        state,
        "FINISHED",
        "logs in {}",
        cluster.log_dir.path().display()
    );
    assert_exactly_once(&committed(&[&out]), events, keys);
}

#[test]
fn savepoint_at_parallelism_2_restores_at_4_and_then_1_with_exact_state() {
    let cluster = StandaloneCluster::start(&bundle_bin(), 2, 2, &[]);
    let dir = tempfile_dir::Dir::new("flink-it-ckpt-sp");
    let (events, rate, keys) = (60_000u64, 2_000u64, 40u64);
    let sp_dir = dir.path().join("savepoints");
    let ck = format!(
        "execution.checkpointing.dir=file://{}/ck",
        dir.path().display()
    );
    let mut outs = Vec::new();
    let mut restore_from: Option<String> = None;
    for (round, p) in [2u32, 4, 1].into_iter().enumerate() {
        // One output directory, as a job restored from a savepoint writes
        // where it wrote before.
        let out = dir.path().join("out");
        let mut args = vec![
            "run".to_string(),
            "-d".into(),
            "-m".into(),
            cluster.rest.clone(),
        ];
        args.extend(["-p".into(), p.to_string()]);
        if let Some(sp) = &restore_from {
            args.extend(["-s".into(), sp.clone()]);
        }
        args.extend(["-D".into(), ck.clone()]);
        args.push("exactly-once-counts".into());
        args.extend(job_args(events, rate, keys, &out));
        let o = run_with_timeout(Command::new(bundle_bin()).args(&args), TIMEOUT);
        let all = text(&o);
        assert!(o.status.success(), "{all}");
        let job = all
            .lines()
            .find_map(|l| l.split("submitted with JobID ").nth(1))
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("no job id:\n{all}"))
            .to_string();
        outs.push(out);
        if p == 1 {
            // The last run goes to the end.
            assert_eq!(wait_terminal(&cluster, &job), "FINISHED");
            let c = checkpoints(&cluster, &job);
            assert_eq!(c["latest"]["restored"]["is_savepoint"], true, "{c}");
            break;
        }
        wait_until(&cluster, "the job to run", Duration::from_secs(60), || {
            all_tasks_running(&cluster, &job)
        });
        // Let some records through, then stop with a savepoint (moving it
        // proves it is relocatable).
        std::thread::sleep(Duration::from_millis(1500));
        let o = run_with_timeout(
            Command::new(bundle_bin())
                .args(["stop", "-m", &cluster.rest, "-p"])
                .arg(&sp_dir)
                .arg(&job),
            TIMEOUT,
        );
        let all = text(&o);
        assert!(
            o.status.success(),
            "{all}\nexceptions: {}\nJobManager log:\n{}",
            cluster
                .get_json(&format!("/jobs/{job}/exceptions"))
                .unwrap_or_default(),
            std::fs::read_to_string(cluster.log_dir.path().join("jobmanager-0.log"))
                .unwrap_or_default()
        );
        assert!(all.contains(&format!("Suspending job \"{job}\"")), "{all}");
        let path = all
            .lines()
            .find_map(|l| l.strip_prefix("Savepoint completed. Path: "))
            .unwrap_or_else(|| panic!("no savepoint path:\n{all}"))
            .trim()
            .to_string();
        assert_eq!(wait_terminal(&cluster, &job), "FINISHED");
        let local = path.strip_prefix("file://").unwrap_or(&path);
        let moved = dir.path().join(format!("moved-{round}"));
        std::fs::rename(local, &moved).unwrap();
        restore_from = Some(moved.display().to_string());
    }
    assert_exactly_once(&committed(&[outs[0].as_path()]), events, keys);
}

#[test]
fn savepoint_command_and_unclaimed_state() {
    let cluster = StandaloneCluster::start(&bundle_bin(), 1, 2, &[]);
    let dir = tempfile_dir::Dir::new("flink-it-ckpt-cli");
    let out = dir.path().join("out");
    let job = submit(&cluster, 1, &[], &job_args(10_000_000, 1_000, 10, &out));
    wait_until(&cluster, "the job to run", Duration::from_secs(60), || {
        all_tasks_running(&cluster, &job)
    });
    let sp_dir = dir.path().join("sp");
    let o = run_with_timeout(
        Command::new(bundle_bin())
            .args(["savepoint", "-m", &cluster.rest, &job])
            .arg(&sp_dir),
        TIMEOUT,
    );
    let all = text(&o);
    assert!(o.status.success(), "{all}");
    assert!(
        all.contains(&format!("Triggering savepoint for job {job}.")),
        "{all}"
    );
    let path = all
        .lines()
        .find_map(|l| l.strip_prefix("Savepoint completed. Path: "))
        .unwrap_or_else(|| panic!("{all}"))
        .trim()
        .to_string();
    assert!(
        path.contains(&format!("/sp/savepoint-{}-", &job[..6])),
        "{path}"
    );
    // The job keeps running after a plain savepoint.
    assert_eq!(job_state(&cluster, &job), "RUNNING");
    let c = checkpoints(&cluster, &job);
    assert_eq!(
        c["latest"]["savepoint"]["external_path"],
        path.as_str(),
        "{c}"
    );
    let o = run_with_timeout(
        Command::new(bundle_bin()).args(["cancel", "-m", &cluster.rest, &job]),
        TIMEOUT,
    );
    assert!(o.status.success(), "{}", text(&o));
    wait_terminal(&cluster, &job);

    // A job without the savepoint's operators: clear error, or -n to skip.
    let o = run_with_timeout(
        Command::new(bundle_bin()).args(["run", "-d", "-m", &cluster.rest, "-s", &path, "panic"]),
        TIMEOUT,
    );
    assert!(o.status.success(), "{}", text(&o));
    let bad = text(&o)
        .lines()
        .find_map(|l| l.split("submitted with JobID ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_string();
    assert_eq!(wait_terminal(&cluster, &bad), "FAILED");
    let ex = cluster
        .get_json(&format!("/jobs/{bad}/exceptions"))
        .unwrap_or_default();
    let root = ex["root-exception"].as_str().unwrap_or_default();
    assert!(
        root.contains("not in the job") && root.contains("--allowNonRestoredState"),
        "{ex}"
    );
    let o = run_with_timeout(
        Command::new(bundle_bin()).args([
            "run",
            "-m",
            &cluster.rest,
            "-n",
            "-s",
            &path,
            "panic",
            "--panic-at",
            "0",
        ]),
        TIMEOUT,
    );
    assert!(o.status.success(), "-n skips the state: {}", text(&o));

    // A savepoint of an unknown job is a clear error.
    let o = run_with_timeout(
        Command::new(bundle_bin()).args(["savepoint", "-m", &cluster.rest, &"0".repeat(32)]),
        TIMEOUT,
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("not found"), "{}", text(&o));
}

/// `_metadata` files of the job's retained checkpoints, newest first.
fn metadata_files(ck: &Path, job: &str) -> Vec<(u64, std::path::PathBuf)> {
    let mut v: Vec<(u64, std::path::PathBuf)> = std::fs::read_dir(ck.join(job))
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| {
                    let id = e.file_name().to_str()?.strip_prefix("chk-")?.parse().ok()?;
                    let m = e.path().join("_metadata");
                    m.is_file().then_some((id, m))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort_by_key(|e| std::cmp::Reverse(e.0));
    v
}

#[test]
fn corrupt_latest_metadata_falls_back_then_fails_clearly() {
    let mut cluster = StandaloneCluster::start(&bundle_bin(), 2, 1, &[]);
    let dir = tempfile_dir::Dir::new("flink-it-ckpt-corrupt");
    let ck = dir.path().join("ck");
    let out = dir.path().join("out");
    // Long interval: nothing completes between corrupting and the kill.
    let job = submit(
        &cluster,
        2,
        &[
            "execution.checkpointing.interval=1500 ms".into(),
            "execution.checkpointing.num-retained=2".into(),
            format!("execution.checkpointing.dir=file://{}", ck.display()),
            "restart-strategy.type=fixed-delay".into(),
            "restart-strategy.fixed-delay.attempts=5".into(),
            "restart-strategy.fixed-delay.delay=200 ms".into(),
        ],
        &job_args(10_000_000, 1_000, 10, &out),
    );
    let mut completed = 0;
    wait_until(
        &cluster,
        "two retained checkpoints",
        Duration::from_secs(60),
        || {
            completed = checkpoints(&cluster, &job)["counts"]["completed"]
                .as_u64()
                .unwrap_or(0);
            metadata_files(&ck, &job).len() >= 2
        },
    );
    // Just after a completion, corrupt the newest and kill a TaskManager.
    wait_until(
        &cluster,
        "a fresh checkpoint",
        Duration::from_secs(30),
        || {
            checkpoints(&cluster, &job)["counts"]["completed"]
                .as_u64()
                .unwrap_or(0)
                > completed
        },
    );
    let files = metadata_files(&ck, &job);
    let (newest, previous) = (files[0].0, files[1].0);
    std::fs::write(&files[0].1, b"{\"magic\":\"garbage\"}\n{}").unwrap();
    cluster.kill_task_manager(0);
    let mut tm = cluster.add_task_manager();
    wait_until(&cluster, "the restore", Duration::from_secs(60), || {
        checkpoints(&cluster, &job)["latest"]["restored"]["id"]
            .as_u64()
            .is_some()
    });
    let c = checkpoints(&cluster, &job);
    let restored = c["latest"]["restored"]["id"].as_u64().unwrap_or(0);
    // On a slow machine one more checkpoint may complete between corrupting
    // and the kill; then that one is the latest. The corrupt one never is.
    assert!(
        restored == previous || restored > newest,
        "chk-{newest} is corrupt, chk-{previous} must be used: {c}"
    );

    // Now destroy every retained checkpoint: the next failure is fatal, with
    // an error that names the problem. (Again, should a checkpoint complete
    // between destroying and the kill, the job recovers and we try again.)
    let mut state = String::new();
    for _ in 0..4 {
        let restored_before = checkpoints(&cluster, &job)["counts"]["restored"]
            .as_u64()
            .unwrap_or(0);
        let done = checkpoints(&cluster, &job)["counts"]["completed"]
            .as_u64()
            .unwrap_or(0);
        wait_until(
            &cluster,
            "a checkpoint after the restore",
            Duration::from_secs(60),
            || {
                job_state(&cluster, &job) == "RUNNING"
                    && checkpoints(&cluster, &job)["counts"]["completed"]
                        .as_u64()
                        .unwrap_or(0)
                        > done
            },
        );
        for (_, f) in metadata_files(&ck, &job) {
            // Retention may delete a file between listing and writing.
            let _ = std::fs::write(f, b"");
        }
        cluster.kill_task_manager(tm);
        tm = cluster.add_task_manager();
        wait_until(
            &cluster,
            "the job failing or recovering",
            Duration::from_secs(90),
            || {
                state = job_state(&cluster, &job);
                state == "FAILED"
                    || (state == "RUNNING"
                        && checkpoints(&cluster, &job)["counts"]["restored"]
                            .as_u64()
                            .unwrap_or(0)
                            > restored_before)
            },
        );
        if state == "FAILED" {
            break;
        }
    }
    assert_eq!(state, "FAILED");
    let ex = cluster
        .get_json(&format!("/jobs/{job}/exceptions"))
        .unwrap_or_default();
    let root = ex["root-exception"].as_str().unwrap_or_default();
    assert!(root.contains("no valid checkpoint left"), "{ex}");
}
