//! End to end on the real mini cluster (run tests/minicluster/setup.sh once): the Rust
//! `yarn-shell-am` binary is uploaded to HDFS, submitted as the ApplicationMaster of a YARN
//! application through the native ApplicationClientProtocol client, localized by the
//! NodeManager, registers over TOKEN/DIGEST-MD5, runs a command in two containers that each
//! write a file to HDFS, and unregisters; YARN's own report is checked. Also a failing command
//! (-> FAILED with diagnostics) and a client kill (-> KILLED).
//!
//! HDFS access in this test uses WebHDFS through `curl` (the file-system crate is another
//! engineer's); the containers write their files the same way.

use std::process::Command;
use std::time::{Duration, Instant};

use hadoop_proto::yarn::*;
use hadoop_rpc::{AuthMethod, ConnectionOptions, HadoopConf};
use yarn_client::{ApplicationClient, escape_env_value, local_resource};

struct Env {
    cluster: &'static hadoop_minicluster::MiniCluster,
    conf: HadoopConf,
    user: String,
}

fn env() -> Env {
    let cluster =
        hadoop_minicluster::shared().expect("mini cluster (run tests/minicluster/setup.sh once)");
    let conf = HadoopConf::from_dir(cluster.conf_dir()).unwrap();
    let user = cluster
        .facts()
        .get("user")
        .cloned()
        .unwrap_or_else(|| "root".into());
    Env {
        cluster,
        conf,
        user,
    }
}

fn webhdfs_url(e: &Env, path: &str, op: &str) -> String {
    format!(
        "{}/webhdfs/v1{path}?op={op}&user.name={}",
        e.cluster.namenode_http_url(),
        e.user
    )
}

fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-sS", "-f", "-L"])
        .args(args)
        .output()
        .expect("curl");
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Uploads a local file; returns (length, modification time) as HDFS reports them.
fn upload(e: &Env, local: &str, path: &str) -> (u64, u64) {
    curl(&[
        "-X",
        "PUT",
        "-T",
        local,
        &format!("{}&overwrite=true", webhdfs_url(e, path, "CREATE")),
    ]);
    let st: serde_json::Value =
        serde_json::from_str(&curl(&[&webhdfs_url(e, path, "GETFILESTATUS")])).unwrap();
    let fs = &st["FileStatus"];
    (
        fs["length"].as_u64().unwrap(),
        fs["modificationTime"].as_u64().unwrap(),
    )
}

fn list(e: &Env, dir: &str) -> Vec<String> {
    let out = Command::new("curl")
        .args(["-sS", "-L", &webhdfs_url(e, dir, "LISTSTATUS")])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    v["FileStatuses"]["FileStatus"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["pathSuffix"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

struct Submitted {
    client: ApplicationClient,
    app_id: ApplicationIdProto,
    submitted_at: Instant,
    dir: String,
}

/// The ApplicationMaster executable: the `flink-rs` binary, run as
/// `flink-rs yarn-shell-am`, when it is built next to this test (tests/run-all.sh
/// builds it first); else this crate's stand-alone `yarn-shell-am`.
fn am_binary() -> (String, &'static str, &'static str) {
    let exe = std::env::current_exe().expect("test exe");
    if let Some(profile) = exe.parent().and_then(|d| d.parent()) {
        let flink_rs = profile.join("flink-rs");
        if flink_rs.exists() {
            return (flink_rs.display().to_string(), "flink-rs", "yarn-shell-am ");
        }
    }
    (
        env!("CARGO_BIN_EXE_yarn-shell-am").to_string(),
        "yarn-shell-am",
        "",
    )
}

/// Uploads the AM binary (once per test) and submits an application running `command` in two containers.
async fn submit(e: &Env, name: &str, command: &str) -> Submitted {
    let dir = e.cluster.unique_hdfs_dir(name);
    let (am_bin, am_name, am_sub) = am_binary();
    let am_path = format!("{dir}/{am_name}");
    let (len, mtime) = upload(e, &am_bin, &am_path);
    let resource = local_resource(
        &format!("{}{am_path}", e.conf.default_fs()),
        len,
        mtime,
        LocalResourceTypeProto::File,
        LocalResourceVisibilityProto::Application,
    )
    .unwrap();
    let client = ApplicationClient::from_conf(
        &e.conf,
        AuthMethod::Simple {
            user: e.user.clone(),
        },
        ConnectionOptions::default(),
    )
    .unwrap();
    let app_id = client
        .new_application()
        .await
        .unwrap()
        .application_id
        .unwrap();
    let env_entry = |k: &str, v: &str| StringStringMapProto {
        key: Some(k.into()),
        value: Some(v.into()),
    };
    let am_spec = ContainerLaunchContextProto {
        local_resources: vec![StringLocalResourceMapProto {
            key: Some(am_name.into()),
            value: Some(resource),
        }],
        environment: vec![
            env_entry(
                "HADOOP_CONF_DIR",
                &e.cluster.conf_dir().display().to_string(),
            ),
            env_entry("SHELL_AM_COMMAND", &escape_env_value(command)),
            env_entry("OUT_DIR", &dir),
            env_entry("RUST_LOG", "info"),
        ],
        command: vec![format!(
            "./{am_name} {am_sub}--containers 2 --memory-mb 128 --timeout-secs 120 --env OUT_DIR=$OUT_DIR 1><LOG_DIR>/am.out 2><LOG_DIR>/am.err"
        )],
        ..Default::default()
    };
    let ctx = ApplicationSubmissionContextProto {
        application_id: Some(app_id),
        application_name: Some(format!("flink-rs-{name}")),
        queue: Some("default".into()),
        am_container_spec: Some(am_spec),
        max_app_attempts: Some(1),
        resource: Some(ResourceProto {
            memory: Some(256),
            virtual_cores: Some(1),
        }),
        application_type: Some("FLINK-RS-TEST".into()),
        ..Default::default()
    };
    let submitted_at = Instant::now();
    client.submit_application(ctx).await.unwrap();
    Submitted {
        client,
        app_id,
        submitted_at,
        dir,
    }
}

async fn wait_for(
    s: &Submitted,
    what: &str,
    done: impl Fn(&ApplicationReportProto) -> bool,
) -> ApplicationReportProto {
    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        let r = s.client.application_report(&s.app_id).await.unwrap();
        if done(&r) {
            return r;
        }
        let state = r.yarn_application_state();
        assert!(
            Instant::now() < deadline
                && !matches!(
                    state,
                    YarnApplicationStateProto::Failed | YarnApplicationStateProto::Killed
                )
                || done(&r),
            "waiting for {what}: {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The container command: writes `out-<container id>` into `$OUT_DIR` via WebHDFS.
fn writer_command(e: &Env) -> String {
    format!(
        "echo \"hello from $CONTAINER_ID\" > out.txt && curl -sS -f -L -X PUT -T out.txt \"{}/webhdfs/v1$OUT_DIR/out-$CONTAINER_ID?op=CREATE&overwrite=true&user.name={}\"",
        e.cluster.namenode_http_url(),
        e.user
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_am_succeeds_and_containers_write_hdfs_files() {
    let e = env();
    let cmd = writer_command(&e);
    let s = submit(&e, "shell_am_ok", &cmd).await;
    let r = wait_for(&s, "RUNNING (AM registered)", |r| {
        r.yarn_application_state() >= YarnApplicationStateProto::Running
    })
    .await;
    eprintln!("submit -> AM registered: {:?}", s.submitted_at.elapsed());
    assert_ne!(
        r.yarn_application_state(),
        YarnApplicationStateProto::Failed,
        "{r:?}"
    );
    let r = wait_for(&s, "FINISHED", |r| {
        r.yarn_application_state() == YarnApplicationStateProto::Finished
    })
    .await;
    assert_eq!(
        r.final_application_status(),
        FinalApplicationStatusProto::AppSucceeded,
        "{r:?}"
    );
    assert!(
        r.diagnostics().contains("all 2 containers succeeded"),
        "{}",
        r.diagnostics()
    );
    let t0 = Instant::now();
    let _ = s.client.application_report(&s.app_id).await.unwrap();
    eprintln!("getApplicationReport round trip: {:?}", t0.elapsed());
    // Both containers wrote their file.
    let files: Vec<String> = list(&e, &s.dir)
        .into_iter()
        .filter(|f| f.starts_with("out-container_"))
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_command_unregisters_failed_with_diagnostics() {
    let e = env();
    let s = submit(&e, "shell_am_fail", "echo failing on purpose; exit 3").await;
    let r = wait_for(&s, "FINISHED", |r| {
        r.yarn_application_state() >= YarnApplicationStateProto::Finished
    })
    .await;
    assert_eq!(
        r.final_application_status(),
        FinalApplicationStatusProto::AppFailed,
        "{r:?}"
    );
    assert!(
        r.diagnostics().contains("exited with status 3"),
        "{}",
        r.diagnostics()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_kill_gives_killed() {
    let e = env();
    let s = submit(&e, "shell_am_kill", "sleep 120").await;
    wait_for(&s, "RUNNING", |r| {
        r.yarn_application_state() == YarnApplicationStateProto::Running
    })
    .await;
    s.client
        .kill_application(&s.app_id, Some("killed by test"))
        .await
        .unwrap();
    let r = wait_for(&s, "KILLED", |r| {
        r.yarn_application_state() == YarnApplicationStateProto::Killed
    })
    .await;
    assert_eq!(
        r.final_application_status(),
        FinalApplicationStatusProto::AppKilled,
        "{r:?}"
    );
}
