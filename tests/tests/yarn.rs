//! YARN application mode on the real Hadoop mini cluster (MiniDFSCluster +
//! MiniYARNCluster, started once for this test binary; run
//! tests/minicluster/setup.sh once): `flink-rs run-application` deploys
//! the binary, the ApplicationMaster hosts the JobManager, TaskManagers run
//! in YARN containers, data is read from and written to HDFS. Every check of
//! the outcome reads YARN's own application report and HDFS, never only the
//! CLI's output.

use flink_it::{
    bundle_bin, expected_word_counts, flink_rs_bin, generate_text, job_id_of, run_with_timeout,
    tempfile_dir,
};
use hadoop_proto::yarn::{
    ApplicationReportProto, FinalApplicationStatusProto, YarnApplicationStateProto,
};
use hadoop_rpc::{AuthMethod, ConnectionOptions, HadoopConf};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use yarn_client::{ApplicationClient, ids};

/// Small containers: flink-rs processes need tens of MB.
const SMALL: [&str; 4] = [
    "-Djobmanager.memory.process.size=256m",
    "-Dtaskmanager.memory.process.size=256m",
    // Notice completed containers quickly.
    "-Dyarn.heartbeat.interval=1",
    "-Dyarn.heartbeat.container-request-interval=200 ms",
];

fn cluster() -> &'static hadoop_minicluster::MiniCluster {
    hadoop_minicluster::shared().expect("mini cluster (run tests/minicluster/setup.sh once)")
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    })
}

fn hdfs(uri: &str) -> (Arc<dyn flink_fs::FileSystem>, flink_fs::FsPath) {
    let settings = flink_fs::HadoopSettings {
        user: Some(hadoop_rpc::current_user()),
        ..flink_fs::HadoopSettings::from_conf_dir(cluster().conf_dir())
    };
    flink_fs::resolve(uri, &settings).expect("hdfs path")
}

/// A fresh directory on the mini cluster's HDFS, as a full `hdfs://` URI.
fn hdfs_dir(name: &str) -> String {
    let fs = cluster().default_fs().trim_end_matches('/').to_string();
    let dir = format!("{fs}{}", cluster().unique_hdfs_dir(name));
    assert!(dir.starts_with("hdfs://"), "{dir}");
    dir
}

fn hdfs_put(uri: &str, data: Vec<u8>) {
    let (fs, p) = hdfs(uri);
    runtime()
        .block_on(fs.write(&p, data.into(), true))
        .expect("write to HDFS");
}

fn hdfs_put_file(local: &Path, uri: &str) {
    let (fs, p) = hdfs(uri);
    runtime()
        .block_on(async {
            if let Some(parent) = p.parent() {
                fs.mkdirs(&parent, 0o755).await?;
            }
            fs.copy_from_local(
                local,
                &p,
                &flink_fs::CreateOptions {
                    overwrite: true,
                    ..Default::default()
                },
                &mut |_| {},
            )
            .await
        })
        .expect("upload to HDFS");
}

/// Names in an HDFS directory (empty when it does not exist).
fn hdfs_list(uri: &str) -> Vec<String> {
    let (fs, p) = hdfs(uri);
    runtime()
        .block_on(fs.list_status(&p))
        .map(|v| v.into_iter().map(|s| s.path.name().to_string()).collect())
        .unwrap_or_default()
}

/// `word count` lines of every committed `part-*` file in an HDFS dir.
fn hdfs_word_counts(dir: &str) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for name in hdfs_list(dir) {
        if !name.starts_with("part-") {
            continue;
        }
        let (fs, p) = hdfs(&format!("{dir}/{name}"));
        let bytes = runtime().block_on(fs.read(&p)).expect("read part file");
        for line in String::from_utf8_lossy(&bytes).lines() {
            let (w, c) = line.rsplit_once(' ').expect("'word count' line");
            let prev = m.insert(w.to_string(), c.parse::<u64>().expect("count"));
            assert!(prev.is_none(), "word '{w}' appears twice in the output");
        }
    }
    m
}

fn yarn_client() -> ApplicationClient {
    let conf = HadoopConf::from_dir(cluster().conf_dir()).expect("conf");
    ApplicationClient::from_conf(
        &conf,
        AuthMethod::Simple {
            user: hadoop_rpc::current_user(),
        },
        ConnectionOptions::default(),
    )
    .expect("yarn client")
}

fn report(app_id: &str) -> ApplicationReportProto {
    let id = ids::parse_application_id(app_id).expect("app id");
    runtime()
        .block_on(yarn_client().application_report(&id))
        .expect("application report")
}

/// Waits for the application to end; returns YARN's final report.
fn wait_for_end(app_id: &str, timeout: Duration) -> ApplicationReportProto {
    let deadline = Instant::now() + timeout;
    loop {
        let r = report(app_id);
        if matches!(
            r.yarn_application_state(),
            YarnApplicationStateProto::Finished
                | YarnApplicationStateProto::Failed
                | YarnApplicationStateProto::Killed
        ) {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "{app_id} still {:?} after {timeout:?}",
            r.yarn_application_state()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn cli(bin: &Path) -> Command {
    let mut c = Command::new(bin);
    c.env("HADOOP_CONF_DIR", cluster().conf_dir())
        .env_remove("YARN_CONF_DIR")
        .env_remove("FLINK_CONF_DIR")
        .env("RUST_LOG", "info");
    c
}

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The id of the RUNNING job of an application, from `flink-rs list` (the
/// job shows up once the ApplicationMaster has submitted it).
fn running_job_of(app_opt: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let l = run_with_timeout(
            cli(&flink_rs_bin()).args(["list", "-t", "yarn-application", app_opt]),
            Duration::from_secs(30),
        );
        let lt = text(&l);
        assert!(l.status.success(), "{lt}");
        if let Some(line) = lt.lines().find(|l| l.contains("(RUNNING)")) {
            return line.split(" : ").nth(1).expect("job id").trim().to_string();
        }
        assert!(Instant::now() < deadline, "job never RUNNING:\n{lt}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// `echo <command> | flink-rs yarn-session -id <app>`, as Flink users talk to a running session.
fn session_command(app: &str, props_opt: &str, command: &str, timeout: Duration) -> Output {
    run_with_timeout(
        cli(Path::new("sh"))
            .arg("-c")
            .arg(format!(
                "echo {command} | \"$0\" yarn-session -id {app} {props_opt}"
            ))
            .arg(flink_rs_bin()),
        timeout,
    )
}

/// The application id the client printed.
fn app_id_of(out: &str) -> String {
    let i = out
        .find("application_")
        .unwrap_or_else(|| panic!("no application id in output:\n{out}"));
    out[i..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// Containers of an application whose `taskmanager.log` exists in a NodeManager log dir.
fn task_manager_containers(app_id: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![cluster().work_dir().to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "taskmanager.log")
                && p.to_string_lossy().contains(app_id)
                && let Some(c) = p.parent().and_then(|d| d.file_name())
            {
                found.push(c.to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// The home staging directory `.flink-rs` entries.
fn staged_apps() -> Vec<String> {
    hdfs_list(&format!(
        "{}/user/{}/.flink-rs",
        cluster().default_fs(),
        hadoop_rpc::current_user()
    ))
}

/// The test bundle, uploaded once to HDFS as `<dir>/flink-rs` for
/// `yarn.provided.lib.dirs` (pre-staged, PUBLIC: nothing is uploaded per run).
fn provided_bundle_dir() -> &'static str {
    static DIR: OnceLock<String> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = format!("{}/flink-it-lib", cluster().default_fs());
        hdfs_put_file(&bundle_bin(), &format!("{dir}/flink-rs"));
        dir
    })
}

#[test]
fn wordcount_on_hdfs_runs_as_a_yarn_application() {
    let dir = hdfs_dir("yarn-wordcount");
    let input = generate_text(2 << 20);
    hdfs_put(&format!("{dir}/in.txt"), input.clone().into_bytes());
    let output = format!("{dir}/out");
    let out = run_with_timeout(
        cli(&flink_rs_bin())
            .args([
                "run-application",
                "-p",
                "4",
                "-Dtaskmanager.numberOfTaskSlots=2",
            ])
            .args(SMALL)
            .args(["example:wordcount", "--input"])
            .arg(format!("{dir}/in.txt"))
            .arg("--output")
            .arg(&output),
        Duration::from_secs(240),
    );
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    let app = app_id_of(&all);
    for phase in [
        "Uploading flink-rs",
        "Submitted application",
        "is RUNNING",
        "JobManager web interface: http://",
        "switched from RUNNING to FINISHED",
    ] {
        assert!(all.contains(phase), "missing '{phase}' in:\n{all}");
    }
    let r = report(&app);
    assert_eq!(
        r.yarn_application_state(),
        YarnApplicationStateProto::Finished
    );
    assert_eq!(
        r.final_application_status(),
        FinalApplicationStatusProto::AppSucceeded,
        "{}",
        r.diagnostics()
    );
    assert_eq!(hdfs_word_counts(&output), expected_word_counts(&input));
    let local_twin = output
        .split_once("://")
        .and_then(|(_, r)| r.find('/').map(|i| &r[i..]));
    assert!(
        local_twin.is_some_and(|p| !Path::new(p).exists()),
        "the output went to the local file system, not HDFS"
    );
    let tms = task_manager_containers(&app);
    assert_eq!(tms.len(), 2, "TaskManager containers: {tms:?}");
    assert!(
        !staged_apps().contains(&app),
        "staging dir of {app} left behind"
    );
}

#[test]
fn a_panicking_operator_fails_the_application_with_its_message() {
    let out = run_with_timeout(
        cli(&bundle_bin())
            .args(["run-application", "-p", "1"])
            .args(SMALL)
            .arg(format!(
                "-Dyarn.provided.lib.dirs={}",
                provided_bundle_dir()
            ))
            .args(["panic", "--panic-at", "300"]),
        Duration::from_secs(240),
    );
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("nothing to upload"), "{all}");
    let app = app_id_of(&all);
    let r = report(&app);
    assert_eq!(
        r.final_application_status(),
        FinalApplicationStatusProto::AppFailed
    );
    let diag = r.diagnostics();
    assert!(
        diag.contains("boom: record 300 is cursed") && diag.contains("Cursed Map"),
        "diagnostics: {diag}"
    );
    assert!(all.contains("boom: record 300 is cursed"), "{all}");
}

#[test]
fn cancelling_the_job_kills_the_application() {
    let out = run_with_timeout(
        cli(&bundle_bin())
            .args(["run-application", "-d", "-p", "1"])
            .args(SMALL)
            .arg(format!(
                "-Dyarn.provided.lib.dirs={}",
                provided_bundle_dir()
            ))
            .arg("slow-sink"),
        Duration::from_secs(240),
    );
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    let app = app_id_of(&all);
    let app_opt = format!("-Dyarn.application.id={app}");
    let job_id = running_job_of(&app_opt);
    let c = run_with_timeout(
        cli(&flink_rs_bin()).args(["cancel", "-t", "yarn-application", &app_opt, &job_id]),
        Duration::from_secs(30),
    );
    assert!(c.status.success(), "{}", text(&c));
    let r = wait_for_end(&app, Duration::from_secs(60));
    assert_eq!(
        r.final_application_status(),
        FinalApplicationStatusProto::AppKilled,
        "{}",
        r.diagnostics()
    );
    // Talking to an ended application is a clear error.
    let l = run_with_timeout(
        cli(&flink_rs_bin()).args(["list", "-t", "yarn-application", &app_opt]),
        Duration::from_secs(30),
    );
    let lt = text(&l);
    assert!(!l.status.success());
    assert!(lt.contains("only a RUNNING application"), "{lt}");
    assert!(!staged_apps().contains(&app));
}

type Printed = Arc<std::sync::Mutex<String>>;

/// Collects a running client's stdout and stderr, line by line, while it runs.
fn collect_output(child: &mut std::process::Child) -> (Printed, Vec<std::thread::JoinHandle<()>>) {
    let printed: Printed = Arc::default();
    let mut readers = Vec::new();
    for stream in [
        Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().expect("stderr")),
    ] {
        let printed = printed.clone();
        readers.push(std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stream)
                .lines()
                .map_while(Result::ok)
            {
                let mut p = printed.lock().unwrap();
                p.push_str(&line);
                p.push('\n');
            }
        }));
    }
    (printed, readers)
}

/// Waits for the client to exit (killing it after `deadline`); returns its status and output.
fn wait_collected(
    child: &mut std::process::Child,
    printed: &Printed,
    readers: Vec<std::thread::JoinHandle<()>>,
    deadline: Instant,
) -> (std::process::ExitStatus, String) {
    let exit = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("client did not finish:\n{}", printed.lock().unwrap());
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    for r in readers {
        let _ = r.join();
    }
    let all = printed.lock().unwrap().clone();
    (exit, all)
}

/// Process ids of the TaskManagers of `app` (their command line names the container).
fn task_manager_pids(app: &str) -> Vec<u32> {
    let suffix = app.trim_start_matches("application_");
    let mut pids = Vec::new();
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains(" taskmanager ")
            && cmd.contains(&format!("taskmanager.resource-id=container_{suffix}_"))
        {
            pids.push(pid);
        }
    }
    pids
}

#[test]
fn a_killed_task_manager_container_is_replaced_and_the_job_finishes() {
    let dir = hdfs_dir("yarn-tm-kill");
    let input = generate_text(1 << 20);
    let lines = input.lines().count() as u64;
    hdfs_put(&format!("{dir}/in.txt"), input.clone().into_bytes());
    let output = format!("{dir}/out");
    // About 8 s of input per attempt: a 20 ms pause every lines/400 lines.
    let every = 1.max(lines / 400);
    let mut child = cli(&bundle_bin())
        .args([
            "run-application",
            "-p",
            "2",
            "-Dtaskmanager.numberOfTaskSlots=1",
        ])
        .args(SMALL)
        .arg(format!(
            "-Dyarn.provided.lib.dirs={}",
            provided_bundle_dir()
        ))
        .args([
            "-Drestart-strategy.type=fixed-delay",
            "-Drestart-strategy.fixed-delay.attempts=3",
            "-Drestart-strategy.fixed-delay.delay=1 s",
            "slow-wordcount",
            "--pause-every",
            &every.to_string(),
            "--input",
            &format!("{dir}/in.txt"),
            "--output",
            &output,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn client");
    let (printed, readers) = collect_output(&mut child);
    // Find the application and wait until both TaskManagers run.
    let deadline = Instant::now() + Duration::from_secs(90);
    let (app, pids) = loop {
        let so_far = printed.lock().unwrap().clone();
        if so_far.contains("Submitted application") {
            let app = app_id_of(&so_far);
            let pids = task_manager_pids(&app);
            if pids.len() == 2 {
                break (app, pids);
            }
        }
        assert!(
            Instant::now() < deadline,
            "TaskManagers never started:\n{so_far}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    // Let the job make progress, then kill one TaskManager's process.
    std::thread::sleep(Duration::from_secs(2));
    let status = Command::new("kill")
        .args(["-9", &pids[0].to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let (exit, all) = wait_collected(
        &mut child,
        &printed,
        readers,
        deadline + Duration::from_secs(180),
    );
    assert!(exit.success(), "{all}");
    let r = report(&app);
    assert_eq!(
        r.final_application_status(),
        FinalApplicationStatusProto::AppSucceeded,
        "{}",
        r.diagnostics()
    );
    // A replacement container was started: more TaskManager containers than slots needed.
    let tms = task_manager_containers(&app);
    assert!(tms.len() >= 3, "expected a replacement container: {tms:?}");
    assert_eq!(hdfs_word_counts(&output), expected_word_counts(&input));
}

#[test]
fn a_container_larger_than_the_cluster_allows_is_refused_and_nothing_is_left() {
    let before = staged_apps();
    let out = run_with_timeout(
        cli(&flink_rs_bin()).args([
            "run-application",
            "-Dtaskmanager.memory.process.size=100g",
            "example:wordcount",
        ]),
        Duration::from_secs(60),
    );
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("taskmanager.memory.process.size")
            && all.contains("larger than the largest container"),
        "{all}"
    );
    assert!(!all.contains("Uploading"), "{all}");
    // Other tests deploy at the same time: every new staging dir must belong to a
    // submitted application (the refused one never was).
    for app in staged_apps().into_iter().filter(|a| !before.contains(a)) {
        let id = ids::parse_application_id(&app).expect("app id");
        assert!(
            runtime()
                .block_on(yarn_client().application_report(&id))
                .is_ok(),
            "staging dir {app} of an application YARN never got"
        );
    }
}

#[test]
fn missing_hadoop_configuration_is_a_clear_error() {
    let out = run_with_timeout(
        Command::new(flink_rs_bin())
            .env_remove("HADOOP_CONF_DIR")
            .env_remove("YARN_CONF_DIR")
            .args(["run-application", "example:wordcount"]),
        Duration::from_secs(30),
    );
    let all = text(&out);
    assert!(!out.status.success());
    assert!(all.contains("HADOOP_CONF_DIR"), "{all}");
}

#[test]
fn a_rejected_application_is_cleaned_up_and_explained() {
    let out = run_with_timeout(
        cli(&bundle_bin())
            .args(["run-application", "-Dyarn.application.queue=no-such-queue"])
            .args(SMALL)
            .arg(format!(
                "-Dyarn.provided.lib.dirs={}",
                provided_bundle_dir()
            ))
            .arg("example:wordcount"),
        Duration::from_secs(120),
    );
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("Warning: the queue 'no-such-queue'"), "{all}");
    assert!(
        all.contains("no-such-queue") && all.contains("Error:"),
        "{all}"
    );
    assert!(
        all.contains("killing it and removing its staging files"),
        "{all}"
    );
    // Other tests deploy at the same time: look only at this application's directory.
    let app = app_id_of(&all);
    assert!(
        !staged_apps().contains(&app),
        "staging dir of {app} left behind"
    );
}

#[test]
fn ship_files_are_localized_next_to_the_job() {
    // A local input shipped with yarn.ship-files is read by the TaskManagers
    // from their working directory; the output goes to HDFS.
    let local = std::env::temp_dir().join(format!("flink-rs-ship-{}", std::process::id()));
    std::fs::create_dir_all(&local).unwrap();
    let input = generate_text(64 << 10);
    std::fs::write(local.join("shipped.txt"), &input).unwrap();
    let output = format!("{}/out", hdfs_dir("yarn-ship"));
    let out = run_with_timeout(
        cli(&bundle_bin())
            .current_dir(&local)
            .args(["run-application", "-p", "1"])
            .args(SMALL)
            .arg(format!(
                "-Dyarn.provided.lib.dirs={}",
                provided_bundle_dir()
            ))
            .arg(format!(
                "-Dyarn.ship-files={}",
                local.join("shipped.txt").display()
            ))
            .args([
                "example:wordcount",
                "--input",
                "shipped.txt",
                "--output",
                &output,
            ]),
        Duration::from_secs(240),
    );
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("Uploading shipped.txt"), "{all}");
    assert_eq!(hdfs_word_counts(&output), expected_word_counts(&input));
    let _ = std::fs::remove_dir_all(&local);
}

/// Every committed `<key> <n>` line of an HDFS output dir, counted.
fn hdfs_lines(dir: &str) -> BTreeMap<(u64, u64), u32> {
    let mut m = BTreeMap::new();
    for name in hdfs_list(dir) {
        if !name.starts_with("part-") {
            continue;
        }
        let (fs, p) = hdfs(&format!("{dir}/{name}"));
        let bytes = runtime().block_on(fs.read(&p)).expect("read part file");
        for line in String::from_utf8_lossy(&bytes).lines() {
            let (k, n) = line.split_once(' ').expect("'key count' line");
            *m.entry((k.parse().expect("key"), n.parse().expect("count")))
                .or_insert(0) += 1;
        }
    }
    m
}

/// Every expected update once, nothing else; failures name a few offenders.
fn assert_exactly_once(got: &BTreeMap<(u64, u64), u32>, expected: &BTreeMap<(u64, u64), u32>) {
    let dups: Vec<_> = got.iter().filter(|(_, c)| **c > 1).collect();
    let missing: Vec<_> = expected.keys().filter(|k| !got.contains_key(k)).collect();
    let extra: Vec<_> = got.keys().filter(|k| !expected.contains_key(k)).collect();
    assert!(
        dups.is_empty() && missing.is_empty() && extra.is_empty(),
        "{} duplicated (e.g. {:?}), {} lost (e.g. {:?}), {} unexpected (e.g. {:?})",
        dups.len(),
        &dups[..dups.len().min(5)],
        missing.len(),
        &missing[..missing.len().min(5)],
        extra.len(),
        &extra[..extra.len().min(5)]
    );
}

/// The process of an application's ApplicationMaster (its environment names the application).
fn application_master_pid(app: &str) -> Option<u32> {
    let want = format!("_FLINK_RS_APP_ID={app}");
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        if !String::from_utf8_lossy(&cmd).contains("yarn-application-am") {
            continue;
        }
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        if env.split(|b| *b == 0).any(|v| v == want.as_bytes()) {
            return Some(pid);
        }
    }
    None
}

/// What the exactly-once tests kill mid-job.
#[derive(PartialEq)]
enum Victim {
    TaskManager,
    ApplicationMaster,
}

#[test]
fn checkpoints_on_hdfs_make_a_killed_task_manager_invisible_in_the_output() {
    exactly_once_through_a_kill("yarn-exactly-once", Victim::TaskManager);
}

#[test]
fn a_new_application_master_attempt_resumes_from_the_latest_checkpoint() {
    exactly_once_through_a_kill("yarn-am-kill", Victim::ApplicationMaster);
}

/// Keyed running counts through the exactly-once file sink on HDFS with
/// checkpoints on HDFS; after two completed checkpoints `victim` is killed
/// with SIGKILL; the committed output must hold every update exactly once.
fn exactly_once_through_a_kill(name: &str, victim: Victim) {
    let dir = hdfs_dir(name);
    let output = format!("{dir}/out");
    let (events, keys) = (60_000u64, 50u64);
    let mut child = cli(&bundle_bin())
        .args([
            "run-application",
            "-p",
            "2",
            "-Dtaskmanager.numberOfTaskSlots=1",
        ])
        .args(SMALL)
        .arg(format!(
            "-Dyarn.provided.lib.dirs={}",
            provided_bundle_dir()
        ))
        .arg("-Dexecution.checkpointing.interval=300 ms")
        .arg("-Dyarn.application-attempts=2")
        .arg(format!("-Dexecution.checkpointing.dir={dir}/checkpoints"))
        .args([
            "-Drestart-strategy.type=fixed-delay",
            "-Drestart-strategy.fixed-delay.attempts=5",
            "-Drestart-strategy.fixed-delay.delay=500 ms",
            "exactly-once-counts",
            "--events",
            &events.to_string(),
            "--rate",
            "6000",
            "--keys",
            &keys.to_string(),
            "--output",
            &output,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn client");
    let (printed, readers) = collect_output(&mut child);
    // Wait for the job and for at least two completed checkpoints on HDFS.
    let deadline = Instant::now() + Duration::from_secs(120);
    let (app, rest, job) = loop {
        let so_far = printed.lock().unwrap().clone();
        let rest = so_far
            .lines()
            .find_map(|l| l.split("JobManager web interface: http://").nth(1))
            .and_then(|r| r.split_whitespace().next())
            .map(str::to_string);
        let job = so_far
            .lines()
            .find_map(|l| l.split("submitted with JobID ").nth(1))
            .and_then(|r| r.split_whitespace().next())
            .map(str::to_string);
        if let (Some(rest), Some(job)) = (rest, job) {
            let done = flink_it::http_get_json(&rest, &format!("/jobs/{job}/checkpoints"))
                .and_then(|v| v["counts"]["completed"].as_u64())
                .unwrap_or(0);
            if done >= 2 {
                break (app_id_of(&so_far), rest, job);
            }
        }
        assert!(
            Instant::now() < deadline,
            "no completed checkpoints:\n{so_far}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let restore_deadline = Instant::now() + Duration::from_secs(90);
    if victim == Victim::ApplicationMaster {
        let pid = application_master_pid(&app).expect("the ApplicationMaster's process");
        let status = Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    } else {
        let pids = task_manager_pids(&app);
        assert_eq!(pids.len(), 2, "TaskManagers: {pids:?}");
        let status = Command::new("kill")
            .args(["-9", &pids[1].to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        // The job restores from the latest checkpoint.
        loop {
            let restored = flink_it::http_get_json(&rest, &format!("/jobs/{job}/checkpoints"))
                .and_then(|v| v["counts"]["restored"].as_u64())
                .unwrap_or(0);
            if restored >= 1 {
                break;
            }
            assert!(
                Instant::now() < restore_deadline,
                "the job never restored from a checkpoint:\n{}",
                printed.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    let (exit, all) = wait_collected(
        &mut child,
        &printed,
        readers,
        restore_deadline + Duration::from_secs(180),
    );
    assert!(exit.success(), "{all}");
    if victim == Victim::ApplicationMaster {
        assert!(
            all.contains("moved to a new ApplicationMaster attempt"),
            "{all}"
        );
        let r = report(&app);
        assert_eq!(
            r.current_application_attempt_id
                .as_ref()
                .and_then(|a| a.attempt_id),
            Some(2),
            "{}",
            r.diagnostics()
        );
        assert_eq!(
            r.final_application_status(),
            FinalApplicationStatusProto::AppSucceeded
        );
    }
    // Exactly once: every (key, n) for n = 1..=count(key), each exactly one time.
    let got = hdfs_lines(&output);
    let mut expected = BTreeMap::new();
    for k in 0..keys {
        let count = (0..events).filter(|i| i % keys == k).count() as u64;
        for n in 1..=count {
            expected.insert((k, n), 1u32);
        }
    }
    assert_exactly_once(&got, &expected);
}

#[test]
fn stop_with_savepoint_on_yarn_and_resume_at_another_parallelism() {
    let dir = hdfs_dir("yarn-savepoint");
    let (events, keys) = (40_000u64, 20u64);
    let job_args = |output: &str| {
        vec![
            "exactly-once-counts".to_string(),
            "--events".into(),
            events.to_string(),
            "--rate".into(),
            "4000".into(),
            "--keys".into(),
            keys.to_string(),
            "--output".into(),
            output.to_string(),
        ]
    };
    let ckpt = format!("-Dexecution.checkpointing.dir={dir}/checkpoints");
    let provided = format!("-Dyarn.provided.lib.dirs={}", provided_bundle_dir());
    let first = run_with_timeout(
        cli(&bundle_bin())
            .args(["run-application", "-d", "-p", "2"])
            .args(SMALL)
            .args([&provided, &ckpt, "-Dexecution.checkpointing.interval=1 s"])
            .args(job_args(&format!("{dir}/out1"))),
        Duration::from_secs(240),
    );
    let ft = text(&first);
    assert!(first.status.success(), "{ft}");
    let app = app_id_of(&ft);
    let app_opt = format!("-Dyarn.application.id={app}");
    let job_id = running_job_of(&app_opt);
    // Stop once the job runs with all its tasks: a checkpoint has completed.
    let rest = ft
        .lines()
        .find_map(|l| l.split("JobManager web interface: http://").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .expect("web address")
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done = flink_it::http_get_json(&rest, &format!("/jobs/{job_id}/checkpoints"))
            .and_then(|v| v["counts"]["completed"].as_u64())
            .unwrap_or(0);
        if done >= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "no checkpoint completed");
        std::thread::sleep(Duration::from_millis(200));
    }
    let stop = run_with_timeout(
        cli(&flink_rs_bin()).args([
            "stop",
            "-t",
            "yarn-application",
            &app_opt,
            "-p",
            &format!("{dir}/savepoints"),
            &job_id,
        ]),
        Duration::from_secs(120),
    );
    let st = text(&stop);
    assert!(stop.status.success(), "{st}");
    let savepoint = st
        .lines()
        .find_map(|l| l.split("Savepoint completed. Path: ").nth(1))
        .unwrap_or_else(|| panic!("no savepoint path:\n{st}"))
        .trim()
        .to_string();
    let r = wait_for_end(&app, Duration::from_secs(60));
    assert_eq!(
        r.final_application_status(),
        FinalApplicationStatusProto::AppSucceeded,
        "{}",
        r.diagnostics()
    );
    let partial = hdfs_lines(&format!("{dir}/out1"));
    assert!(
        !partial.is_empty() && partial.len() < events as usize,
        "the first run should have stopped midway: {} updates",
        partial.len()
    );
    // Resume from the savepoint with parallelism 1 (keyed state and the
    // generator's position are redistributed), writing to another directory: the
    // sink's state names the directory of each pending file.
    let second = run_with_timeout(
        cli(&bundle_bin())
            .args(["run-application", "-p", "1", "-s", &savepoint])
            .args(SMALL)
            .args([&provided, &ckpt])
            .args(job_args(&format!("{dir}/out2"))),
        Duration::from_secs(240),
    );
    let s2 = text(&second);
    assert!(second.status.success(), "{s2}");
    // Pending files of the savepoint are committed in place (out1) by the
    // first run's completion notice or, at the latest, by the restore.
    let mut got = hdfs_lines(&format!("{dir}/out1"));
    assert!(got.len() >= partial.len());
    for (k, c) in hdfs_lines(&format!("{dir}/out2")) {
        *got.entry(k).or_insert(0) += c;
    }
    let mut expected = BTreeMap::new();
    for k in 0..keys {
        let count = (0..events).filter(|i| i % keys == k).count() as u64;
        for n in 1..=count {
            expected.insert((k, n), 1u32);
        }
    }
    assert_exactly_once(&got, &expected);
}

#[test]
fn a_session_runs_several_jobs_and_stops_on_request() {
    let props = tempfile_dir::Dir::new("flink-it-yarn-props");
    let props_opt = format!("-Dyarn.properties-file.location={}", props.path().display());
    // Deploy a session, attached: Flink's flags, the test bundle as the session's binary.
    let mut session = cli(&bundle_bin())
        .args(["yarn-session", "-s", "2", "-jm", "256", "-tm", "256"])
        .args(["-nm", "flink-it session"])
        .args(&SMALL[2..])
        .arg(&props_opt)
        .arg(format!(
            "-Dyarn.provided.lib.dirs={}",
            provided_bundle_dir()
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn yarn-session");
    let (printed, readers) = collect_output(&mut session);
    let deadline = Instant::now() + Duration::from_secs(240);
    let app = loop {
        let so_far = printed.lock().unwrap().clone();
        if so_far.contains("Commands: 'stop'") {
            break app_id_of(&so_far);
        }
        assert!(
            Instant::now() < deadline && session.try_wait().expect("wait").is_none(),
            "the session did not come up:\n{so_far}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let r = report(&app);
    assert_eq!(
        r.yarn_application_state(),
        YarnApplicationStateProto::Running
    );
    assert_eq!(r.name(), "flink-it session");
    let props_file = props
        .path()
        .join(format!(".yarn-properties-{}", hadoop_rpc::current_user()));
    let recorded = std::fs::read_to_string(&props_file).expect("YARN properties file");
    assert!(
        recorded.contains(&format!("applicationID={app}")),
        "{recorded}"
    );

    // Job 1, attached, finds the session through the properties file.
    let dir = hdfs_dir("yarn-session-wordcount");
    let input = generate_text(1 << 20);
    hdfs_put(&format!("{dir}/in.txt"), input.clone().into_bytes());
    let run = run_with_timeout(
        cli(&bundle_bin())
            .args(["run", "-t", "yarn-session", "-p", "2", &props_opt])
            .args(["example:wordcount", "--input"])
            .arg(format!("{dir}/in.txt"))
            .arg("--output")
            .arg(format!("{dir}/out")),
        Duration::from_secs(240),
    );
    assert!(run.status.success(), "{}", text(&run));
    assert_eq!(
        hdfs_word_counts(&format!("{dir}/out")),
        expected_word_counts(&input)
    );
    assert_eq!(
        report(&app).yarn_application_state(),
        YarnApplicationStateProto::Running,
        "the session outlives its jobs"
    );

    // Job 2, detached by application id; cancelling it leaves the session running.
    let app_opt = format!("-Dyarn.application.id={app}");
    let run = run_with_timeout(
        cli(&bundle_bin()).args(["run", "-d", "-t", "yarn-session", &app_opt, "slow-sink"]),
        Duration::from_secs(120),
    );
    assert!(run.status.success(), "{}", text(&run));
    let job = job_id_of(&String::from_utf8_lossy(&run.stdout));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let l = run_with_timeout(
            cli(&flink_rs_bin()).args(["list", "-t", "yarn-session", &props_opt]),
            Duration::from_secs(30),
        );
        let lt = text(&l);
        assert!(l.status.success(), "{lt}");
        if lt
            .lines()
            .any(|l| l.contains(&job) && l.contains("(RUNNING)"))
        {
            break;
        }
        assert!(Instant::now() < deadline, "job never RUNNING:\n{lt}");
        std::thread::sleep(Duration::from_millis(300));
    }
    let c = run_with_timeout(
        cli(&flink_rs_bin()).args(["cancel", "-t", "yarn-session", &app_opt, &job]),
        Duration::from_secs(30),
    );
    assert!(c.status.success(), "{}", text(&c));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        report(&app).yarn_application_state(),
        YarnApplicationStateProto::Running
    );

    // Attaching with -id: 'help', then the end of input detaches.
    let attach = session_command(&app, &props_opt, "help", Duration::from_secs(60));
    let at = text(&attach);
    assert!(attach.status.success(), "{at}");
    assert!(
        at.contains("Attached to the session cluster") && at.contains("detached"),
        "{at}"
    );
    assert_eq!(
        report(&app).yarn_application_state(),
        YarnApplicationStateProto::Running
    );

    // Stop it as Flink users do: echo stop | yarn-session.sh -id <appId>.
    let stop = session_command(&app, &props_opt, "stop", Duration::from_secs(180));
    let st = text(&stop);
    assert!(stop.status.success(), "{st}");
    assert!(st.contains("ended FINISHED (SUCCEEDED)"), "{st}");
    // The attached client that deployed the session sees it end and exits.
    let (exit, all) = wait_collected(
        &mut session,
        &printed,
        readers,
        Instant::now() + Duration::from_secs(60),
    );
    assert!(exit.success(), "{all}");
    assert!(all.contains("ended FINISHED (SUCCEEDED)"), "{all}");
    let r = report(&app);
    assert_eq!(
        r.final_application_status(),
        FinalApplicationStatusProto::AppSucceeded,
        "{}",
        r.diagnostics()
    );
    assert!(
        !staged_apps().contains(&app),
        "staging dir of {app} left behind"
    );
    assert!(
        !props_file.exists(),
        "the properties file names a stopped session"
    );
}
