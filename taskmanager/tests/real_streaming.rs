//! The control plane with the real data plane: a JobManager and two
//! TaskManagers (each with its own NetworkEnvironment and the stream-task
//! spawner) run `example:wordcount` with parallelism 2, so the HASH shuffle
//! crosses TaskManagers over TCP.

use anyhow::{Context, Result};
use flink_ha::StandaloneHaServices;
use flink_jobmanager::{JobManagerConfig, JobManagerRunner, StandaloneResourceDriver};
use flink_streaming::ProgramRegistry;
use flink_streaming::registry::settings_from_config;
use flink_streaming::runtime::task::{StreamTaskSettings, StreamTaskSpawner};
use flink_taskmanager::{TaskManagerConfig, TaskManagerRunner};
use flink_types::{JobId, JobStatus, ProgramRef, TaskSpawner};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn registry() -> Arc<ProgramRegistry> {
    let mut r = ProgramRegistry::new();
    flink_examples::register_examples(&mut r);
    Arc::new(r)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wordcount_runs_across_two_task_managers() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("input.txt");
    let output = dir.path().join("out");
    std::fs::write(&input, "to be or not to be\nthat is the question\nto be\n")?;

    let jm = JobManagerRunner::start(
        JobManagerConfig {
            rpc_address: "127.0.0.1".into(),
            rpc_port: 0,
            rest_address: "127.0.0.1".into(),
            rest_port: 0,
            heartbeat_interval: Duration::from_millis(200),
            heartbeat_timeout: Duration::from_secs(2),
            slot_request_timeout: Duration::from_secs(10),
            ..Default::default()
        },
        Box::new(StandaloneResourceDriver),
        Arc::new(StandaloneHaServices::new()),
    )
    .await?;
    let port: u16 = jm
        .rpc_address()
        .rsplit(':')
        .next()
        .context("port")?
        .parse()?;
    let registry = registry();
    let mut tms = Vec::new();
    for i in 0..2 {
        let registry = registry.clone();
        let tm = TaskManagerRunner::start(
            TaskManagerConfig {
                num_task_slots: 1,
                host: "127.0.0.1".into(),
                resource_id: Some(format!("tm-{i}")),
                jobmanager_address: "127.0.0.1".into(),
                jobmanager_port: port,
                heartbeat_interval: Duration::from_millis(200),
                heartbeat_timeout: Duration::from_secs(2),
                ..Default::default()
            },
            Box::new(move |network| {
                Arc::new(StreamTaskSpawner::new(
                    registry,
                    network,
                    StreamTaskSettings::default(),
                )) as Arc<dyn TaskSpawner>
            }),
        )
        .await?;
        tms.push(tm);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while jm.slot_counts().0 < 2 {
        anyhow::ensure!(Instant::now() < deadline, "TaskManagers did not register");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let program = ProgramRef {
        name: "example:wordcount".into(),
        args: vec![
            "--input".into(),
            input.display().to_string(),
            "--output".into(),
            output.display().to_string(),
        ],
        bundle: None,
    };
    let config: BTreeMap<String, String> =
        [("parallelism.default".to_string(), "2".to_string())].into();
    let graph = registry
        .build_graph(&program, settings_from_config(&config, "wordcount"))?
        .to_job_graph(JobId::generate(), program)?;
    let mut graph = graph;
    graph.config = config;
    assert_eq!(graph.required_slots(), 2);
    let job_id = jm.submit_job(graph).await?;
    let result =
        tokio::time::timeout(Duration::from_secs(60), jm.wait_job_result(job_id)).await??;
    assert_eq!(result.status, JobStatus::Finished, "{result:?}");

    let mut counts: HashMap<String, u64> = HashMap::new();
    for entry in std::fs::read_dir(&output)? {
        let path = entry?.path();
        if path.is_file() {
            for line in std::fs::read_to_string(&path)?.lines() {
                let (w, n) = line.rsplit_once(' ').context("line format")?;
                *counts.entry(w.to_string()).or_default() += n.parse::<u64>()?;
            }
        }
    }
    assert_eq!(counts.get("to"), Some(&3), "{counts:?}");
    assert_eq!(counts.get("be"), Some(&3), "{counts:?}");
    assert_eq!(counts.get("question"), Some(&1), "{counts:?}");
    assert_eq!(counts.len(), 8, "{counts:?}");
    for tm in &tms {
        tm.shutdown().await;
    }
    jm.shutdown().await;
    Ok(())
}
