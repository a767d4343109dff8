//! The REST client and the `list`/`cancel` commands against the real
//! flink-jobmanager (REST API on an ephemeral loopback port, no
//! TaskManagers, so submitted jobs wait for slots until cancelled).

use flink_client::cli::{Cli, Command};
use flink_client::commands;
use flink_client::rest::{QueueStatus, RestClientOptions};
use flink_client::{ClientError, RestClusterClient};
use flink_jobmanager::{
    JobManagerConfig, JobManagerHandle, JobManagerRunner, StandaloneResourceDriver,
};
use flink_types::{
    ChainedOperator, JobEdge, JobGraph, JobId, JobStatus, JobVertex, JobVertexId, ProgramRef,
    RuntimeMode, ShipStrategy,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

async fn start_job_manager() -> JobManagerHandle {
    let config = JobManagerConfig {
        rpc_address: "127.0.0.1".into(),
        rpc_port: 0,
        rest_address: "127.0.0.1".into(),
        rest_port: 0,
        ..JobManagerConfig::default()
    };
    JobManagerRunner::start(
        config,
        Box::new(StandaloneResourceDriver),
        Arc::new(flink_ha::StandaloneHaServices::new()),
    )
    .await
    .unwrap()
}

fn graph(name: &str) -> JobGraph {
    let vertex = |id: u32, name: &str, is_source: bool| JobVertex {
        id: JobVertexId(id),
        name: name.into(),
        parallelism: 1,
        max_parallelism: 128,
        slot_sharing_group: "default".into(),
        operators: vec![ChainedOperator {
            stream_node: id,
            name: name.into(),
            uid: format!("uid-{id}"),
        }],
        is_source,
    };
    JobGraph {
        job_id: JobId::generate(),
        name: name.into(),
        program: ProgramRef {
            name: "example:wordcount".into(),
            args: vec![],
            bundle: None,
        },
        vertices: vec![vertex(0, "Source", true), vertex(1, "Sink", false)],
        edges: vec![JobEdge {
            source: JobVertexId(0),
            target: JobVertexId(1),
            ship_strategy: ShipStrategy::Forward,
            target_input: 0,
            source_node: 0,
            target_node: 1,
        }],
        runtime_mode: RuntimeMode::Streaming,
        config: BTreeMap::new(),
    }
}

#[tokio::test]
async fn client_against_the_real_job_manager() {
    let jm = start_job_manager().await;
    let url = jm.rest_url();
    let client = RestClusterClient::new(&url, RestClientOptions::default()).unwrap();

    let g = graph("Real JM Job");
    let id = client.submit_job(&g).await.unwrap();
    assert_eq!(id, g.job_id);

    let jobs = client.list_jobs().await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].jid, id);
    assert_eq!(jobs[0].name, "Real JM Job");
    assert!(!jobs[0].state.is_globally_terminal());

    let details = client.job_details(id).await.unwrap();
    assert_eq!(details.jid, id);
    assert!(details.timestamp_of(JobStatus::Initializing).is_some());

    let overview = client.overview().await.unwrap();
    assert_eq!(overview.jobs_running, 1);
    assert_eq!(overview.taskmanagers, 0);

    assert_eq!(
        client.job_result(id).await.unwrap().status.id,
        QueueStatus::InProgress
    );

    // `list` through the command, as the user sees it.
    let m = url.trim_start_matches("http://").to_string();
    let Command::List(list) = Cli::try_parse_args(["flink-rs", "list", "-m", m.as_str()])
        .unwrap()
        .command
    else {
        panic!("not list")
    };
    let mut out = Vec::new();
    commands::list(&list, &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(&format!(" : {id} : Real JM Job (")), "{text}");

    // Follow the job while `cancel` ends it: attached mode reports CANCELED.
    let follower = {
        let client = client.clone();
        tokio::spawn(async move {
            let mut out = Vec::new();
            let r = commands::wait_for_job(&client, id, &mut out, Duration::from_millis(20)).await;
            (r, String::from_utf8(out).unwrap())
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let id_text = id.to_string();
    let Command::Cancel(cancel) =
        Cli::try_parse_args(["flink-rs", "cancel", "-m", m.as_str(), id_text.as_str()])
            .unwrap()
            .command
    else {
        panic!("not cancel")
    };
    let mut out = Vec::new();
    commands::cancel(&cancel, &mut out).await.unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("Cancelling job {id}.\nCancelled job {id}.\n")
    );

    let (result, followed) = tokio::time::timeout(Duration::from_secs(20), follower)
        .await
        .unwrap()
        .unwrap();
    let e = result.unwrap_err();
    assert_eq!(e.to_string(), format!("job {id} ended in state CANCELED"));
    assert!(
        followed.contains(&format!("Job Real JM Job ({id}) switched from ")),
        "{followed}"
    );
    assert!(followed.contains("to CANCELED."), "{followed}");

    let r = client.job_result(id).await.unwrap();
    assert_eq!(r.status.id, QueueStatus::Completed);
    assert_eq!(
        r.job_execution_result.unwrap().application_status,
        "CANCELED"
    );

    let missing = JobId::from_parts(1, 1);
    assert!(matches!(
        client.job_details(missing).await.unwrap_err(),
        ClientError::JobNotFound { .. }
    ));
    jm.shutdown().await;
}
