//! The REST client and the commands against a small axum fake of the
//! JobManager that serves Flink-shaped JSON and walks each job through a
//! scripted status sequence (one step per `GET /jobs/:id`).

use async_trait::async_trait;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use flink_client::cli::{Cli, Command, RunArgs};
use flink_client::commands::{self, ClusterLauncher, NoLauncher, RunningCluster};
use flink_client::rest::{QueueStatus, RestClientOptions};
use flink_client::{BoxError, ClientError, RestClusterClient, error_line};
use flink_config::Configuration;
use flink_config::options::DeploymentTarget;
use flink_types::{
    ChainedOperator, JobEdge, JobGraph, JobId, JobStatus, JobVertex, JobVertexId, ProgramRef,
    RuntimeMode, ShipStrategy,
};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const T0: i64 = 1_700_000_000_000;

struct FakeJob {
    name: String,
    /// Remaining statuses; the first is current, each GET /jobs/:id advances.
    script: Vec<JobStatus>,
    /// Status timestamps as the JobManager reports them.
    timestamps: BTreeMap<String, i64>,
    failure: Option<String>,
    clock: i64,
    graph: JobGraph,
}

impl FakeJob {
    fn state(&self) -> JobStatus {
        self.script[0]
    }
}

#[derive(Default)]
struct Fake {
    jobs: Mutex<HashMap<JobId, FakeJob>>,
    /// Script for the next submitted job.
    next_script: Mutex<Vec<JobStatus>>,
    next_failure: Mutex<Option<String>>,
}

type S = Arc<Fake>;

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"errors": ["Job could not be found."]})),
    )
        .into_response()
}

async fn submit(State(s): State<S>, Json(graph): Json<JobGraph>) -> Response {
    let script = {
        let mut n = s.next_script.lock().unwrap();
        if n.is_empty() {
            vec![JobStatus::Running]
        } else {
            std::mem::take(&mut *n)
        }
    };
    let id = graph.job_id;
    let mut job = FakeJob {
        name: graph.name.clone(),
        timestamps: BTreeMap::new(),
        failure: s.next_failure.lock().unwrap().take(),
        clock: T0,
        script,
        graph,
    };
    job.timestamps.insert("INITIALIZING".into(), T0);
    let st = job.state();
    job.timestamps.insert(st.as_str().into(), T0);
    s.jobs.lock().unwrap().insert(id, job);
    (
        StatusCode::ACCEPTED,
        Json(json!({"jobUrl": format!("/jobs/{id}")})),
    )
        .into_response()
}

async fn overview_jobs(State(s): State<S>) -> Response {
    let jobs = s.jobs.lock().unwrap();
    let list: Vec<_> = jobs
        .iter()
        .map(|(id, j)| {
            json!({"jid": id, "name": j.name, "state": j.state(), "start-time": T0,
                   "end-time": -1, "duration": 1, "last-modification": T0,
                   "tasks": {"total": 1, "running": 1}})
        })
        .collect();
    Json(json!({ "jobs": list })).into_response()
}

async fn job_details(State(s): State<S>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<JobId>() else {
        return not_found();
    };
    let mut jobs = s.jobs.lock().unwrap();
    let Some(j) = jobs.get_mut(&id) else {
        return not_found();
    };
    let state = j.state();
    let body = json!({"jid": id, "name": j.name, "isStoppable": false, "state": state,
        "start-time": T0, "end-time": -1, "duration": j.clock - T0, "now": j.clock,
        "timestamps": j.timestamps, "vertices": [], "status-counts": {}, "plan": {}});
    if j.script.len() > 1 {
        j.script.remove(0);
        j.clock += 1000;
        let next = j.state();
        j.timestamps.insert(next.as_str().into(), j.clock);
    }
    Json(body).into_response()
}

#[derive(serde::Deserialize)]
struct Mode {
    mode: Option<String>,
}

async fn cancel(State(s): State<S>, Path(id): Path<String>, Query(m): Query<Mode>) -> Response {
    if m.mode.as_deref() != Some("cancel") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"errors": ["bad mode"]})),
        )
            .into_response();
    }
    let Ok(id) = id.parse::<JobId>() else {
        return not_found();
    };
    let mut jobs = s.jobs.lock().unwrap();
    let Some(j) = jobs.get_mut(&id) else {
        return not_found();
    };
    j.script = vec![JobStatus::Canceled];
    j.timestamps.insert("CANCELED".into(), j.clock + 1);
    (StatusCode::ACCEPTED, Json(json!({}))).into_response()
}

async fn execution_result(State(s): State<S>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<JobId>() else {
        return not_found();
    };
    let jobs = s.jobs.lock().unwrap();
    let Some(j) = jobs.get(&id) else {
        return not_found();
    };
    let st = j.state();
    if !st.is_globally_terminal() {
        return Json(json!({"status": {"id": "IN_PROGRESS"}})).into_response();
    }
    let app = match st {
        JobStatus::Finished => "SUCCEEDED",
        JobStatus::Failed => "FAILED",
        _ => "CANCELED",
    };
    let mut res = json!({"id": id, "application-status": app, "accumulator-results": {},
                         "net-runtime": 1234});
    if let Some(f) = &j.failure {
        res["failure-cause"] = json!({"class": "org.apache.flink.runtime.JobException",
            "stack-trace": format!("org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy\n\tat a.b\nCaused by: {f}\n\tat c.d\n"),
            "serialized-throwable": "AAAA"});
    }
    Json(json!({"status": {"id": "COMPLETED"}, "job-execution-result": res})).into_response()
}

async fn cluster_overview(State(s): State<S>) -> Response {
    let n = s.jobs.lock().unwrap().len();
    Json(
        json!({"taskmanagers": 2, "slots-total": 4, "slots-available": 3,
        "jobs-running": n, "jobs-finished": 0, "jobs-cancelled": 0, "jobs-failed": 0,
        "flink-version": "2.0-rs", "flink-commit": "x"}),
    )
    .into_response()
}

/// Starts the fake on a free loopback port; returns its URL and state.
async fn start_fake() -> (String, S) {
    let state: S = Arc::new(Fake::default());
    let app = Router::new()
        .route("/jobs", post(submit))
        .route("/jobs/overview", get(overview_jobs))
        .route("/jobs/{id}", get(job_details).patch(cancel))
        .route("/jobs/{id}/execution-result", get(execution_result))
        .route("/overview", get(cluster_overview))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}"), state)
}

fn graph(name: &str, parallelism: u32) -> JobGraph {
    let vertex = |id: u32, name: &str, is_source: bool| JobVertex {
        id: JobVertexId(id),
        name: name.into(),
        parallelism,
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
        vertices: vec![vertex(0, "Source: Words", true), vertex(1, "Count", false)],
        edges: vec![JobEdge {
            source: JobVertexId(0),
            target: JobVertexId(1),
            ship_strategy: ShipStrategy::Hash,
            target_input: 0,
            source_node: 0,
            target_node: 1,
        }],
        runtime_mode: RuntimeMode::Streaming,
        config: BTreeMap::new(),
    }
}

fn client(url: &str) -> RestClusterClient {
    RestClusterClient::new(url, RestClientOptions::default()).unwrap()
}

/// Loader used by `run`: builds the test graph with `parallelism.default`.
fn loader(p: &flink_client::cli::ProgramSpec, c: &Configuration) -> Result<JobGraph, BoxError> {
    if p.example_name() != Some("wordcount") {
        return Err(format!("unknown example '{}'", p.program).into());
    }
    let par = c.get(&flink_config::options::PARALLELISM_DEFAULT)?;
    let mut g = graph("WordCount", par);
    g.program.args = p.args.clone();
    Ok(g)
}

fn run_args(args: &[&str]) -> RunArgs {
    let cli = Cli::try_parse_args(["flink-rs", "run"].iter().chain(args.iter())).unwrap();
    match cli.command {
        Command::Run(r) => r,
        c => panic!("{c:?}"),
    }
}

fn run_config(args: &RunArgs) -> Configuration {
    let mut c = Configuration::new();
    args.cluster.apply(&mut c).unwrap();
    args.apply(&mut c);
    c
}

#[tokio::test]
async fn submit_list_details_cancel_and_overview() {
    let (url, fake) = start_fake().await;
    let c = client(&url);
    let g = graph("Job A", 2);
    let id = c.submit_job(&g).await.unwrap();
    assert_eq!(id, g.job_id);
    // The fake received the whole graph as JSON.
    assert_eq!(fake.jobs.lock().unwrap()[&id].graph, g);

    let jobs = c.list_jobs().await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].jid, id);
    assert_eq!(jobs[0].name, "Job A");
    assert_eq!(jobs[0].state, JobStatus::Running);

    let d = c.job_details(id).await.unwrap();
    assert_eq!(d.state, JobStatus::Running);
    assert_eq!(d.timestamp_of(JobStatus::Initializing), Some(T0));

    let r = c.job_result(id).await.unwrap();
    assert_eq!(r.status.id, QueueStatus::InProgress);

    c.cancel_job(id).await.unwrap();
    assert_eq!(c.job_details(id).await.unwrap().state, JobStatus::Canceled);
    let r = c.job_result(id).await.unwrap();
    assert_eq!(r.status.id, QueueStatus::Completed);
    assert_eq!(
        r.job_execution_result.unwrap().application_status,
        "CANCELED"
    );

    let o = c.overview().await.unwrap();
    assert_eq!((o.taskmanagers, o.slots_total, o.jobs_running), (2, 4, 1));
}

#[tokio::test]
async fn unknown_job_is_a_clear_404() {
    let (url, _fake) = start_fake().await;
    let c = client(&url);
    let missing = JobId::from_parts(7, 7);
    for e in [
        c.job_details(missing).await.unwrap_err(),
        c.cancel_job(missing).await.unwrap_err(),
        c.job_result(missing).await.unwrap_err(),
    ] {
        assert!(matches!(e, ClientError::JobNotFound { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!("job {missing} not found at {url}: check the job id with `flink-rs list -a`")
        );
    }
    // Other paths keep Flink's error text.
    let e = reqwest_get_404(&url).await;
    assert!(e.contains("HTTP 404"), "{e}");
}

async fn reqwest_get_404(url: &str) -> String {
    // A path the fake does not serve: the client reports status and text.
    let c = RestClusterClient::new(&format!("{url}/nope"), RestClientOptions::default()).unwrap();
    c.overview().await.unwrap_err().to_string()
}

#[tokio::test]
async fn unreachable_port_gives_one_line_error_quickly() {
    // Bind and drop to get a loopback port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let c = RestClusterClient::new(
        &url,
        RestClientOptions {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
        },
    )
    .unwrap();
    let start = Instant::now();
    let e = c.list_jobs().await.unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(
        error_line(&e),
        format!(
            "Error: could not reach the JobManager at {url} (connection refused): is the cluster running? check -m / rest.address, or use -t local"
        )
    );
}

#[tokio::test]
async fn attached_run_prints_transitions_and_runtime() {
    let (url, fake) = start_fake().await;
    *fake.next_script.lock().unwrap() = vec![
        JobStatus::Created,
        JobStatus::Running,
        JobStatus::Running,
        JobStatus::Finished,
    ];
    let m = url.trim_start_matches("http://");
    let args = run_args(&["-m", m, "-p", "3", "example:wordcount", "--input", "x"]);
    let config = run_config(&args);
    let mut out = Vec::new();
    commands::run_with_config(
        &args,
        &config,
        &loader,
        &NoLauncher,
        &mut out,
        Duration::from_millis(5),
    )
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    let jid = fake.jobs.lock().unwrap().keys().next().copied().unwrap();
    let job = &fake.jobs.lock().unwrap()[&jid];
    assert_eq!(job.graph.vertices[0].parallelism, 3);
    assert_eq!(job.graph.program.args, vec!["--input", "x"]);
    assert_eq!(
        job.graph
            .config
            .get("parallelism.default")
            .map(String::as_str),
        Some("3")
    );
    assert_eq!(
        text,
        format!(
            "Job has been submitted with JobID {jid}\n\
             14.11.2023 22:13:20 Job WordCount ({jid}) switched from INITIALIZING to CREATED.\n\
             14.11.2023 22:13:21 Job WordCount ({jid}) switched from CREATED to RUNNING.\n\
             14.11.2023 22:13:23 Job WordCount ({jid}) switched from RUNNING to FINISHED.\n\
             Job with JobID {jid} has finished.\n\
             Job Runtime: 1234 ms\n"
        )
    );
}

#[tokio::test]
async fn attached_run_of_a_failing_job_reports_the_root_cause() {
    let (url, fake) = start_fake().await;
    *fake.next_script.lock().unwrap() =
        vec![JobStatus::Running, JobStatus::Failing, JobStatus::Failed];
    *fake.next_failure.lock().unwrap() = Some("java.io.IOException: disk full".into());
    let args = run_args(&["-m", url.trim_start_matches("http://"), "example:wordcount"]);
    let config = run_config(&args);
    let mut out = Vec::new();
    let e = commands::run_with_config(
        &args,
        &config,
        &loader,
        &NoLauncher,
        &mut out,
        Duration::from_millis(5),
    )
    .await
    .unwrap_err();
    let jid = fake.jobs.lock().unwrap().keys().next().copied().unwrap();
    assert_eq!(
        error_line(&e),
        format!("Error: job {jid} failed: java.io.IOException: disk full")
    );
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("switched from RUNNING to FAILING."), "{text}");
    assert!(text.contains("switched from FAILING to FAILED."), "{text}");
    assert!(!text.contains("has finished"), "{text}");
}

#[tokio::test]
async fn detached_run_returns_after_submission() {
    let (url, fake) = start_fake().await;
    let args = run_args(&[
        "-d",
        "-m",
        url.trim_start_matches("http://"),
        "example:wordcount",
    ]);
    let config = run_config(&args);
    let mut out = Vec::new();
    commands::run_with_config(
        &args,
        &config,
        &loader,
        &NoLauncher,
        &mut out,
        Duration::from_millis(5),
    )
    .await
    .unwrap();
    let jid = fake.jobs.lock().unwrap().keys().next().copied().unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("Job has been submitted with JobID {jid}\n")
    );
}

#[tokio::test]
async fn unknown_program_is_a_clear_error() {
    let (url, _fake) = start_fake().await;
    let args = run_args(&["-m", url.trim_start_matches("http://"), "example:nope"]);
    let config = run_config(&args);
    let e = commands::run_with_config(
        &args,
        &config,
        &loader,
        &NoLauncher,
        &mut Vec::new(),
        Duration::from_millis(5),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "could not build the job from 'example:nope': unknown example 'example:nope'"
    );
}

struct FakeLocal {
    url: String,
    stopped: Arc<AtomicBool>,
}

#[async_trait]
impl RunningCluster for FakeLocal {
    fn rest_url(&self) -> String {
        self.url.clone()
    }
    async fn shutdown(self: Box<Self>) -> Result<(), BoxError> {
        self.stopped.store(true, Ordering::SeqCst);
        Ok(())
    }
}

struct LocalLauncher {
    url: String,
    stopped: Arc<AtomicBool>,
}

#[async_trait]
impl ClusterLauncher for LocalLauncher {
    async fn launch(
        &self,
        target: DeploymentTarget,
        _config: &Configuration,
    ) -> Result<Box<dyn RunningCluster>, BoxError> {
        if target != DeploymentTarget::Local {
            return Err("only local".into());
        }
        Ok(Box::new(FakeLocal {
            url: self.url.clone(),
            stopped: self.stopped.clone(),
        }))
    }
}

#[tokio::test]
async fn local_target_uses_the_launcher_and_stops_the_cluster() {
    let (url, fake) = start_fake().await;
    *fake.next_script.lock().unwrap() = vec![JobStatus::Running, JobStatus::Finished];
    let stopped = Arc::new(AtomicBool::new(false));
    let launcher = LocalLauncher {
        url,
        stopped: stopped.clone(),
    };
    let args = run_args(&["-t", "local", "example:wordcount"]);
    let config = run_config(&args);
    let mut out = Vec::new();
    commands::run_with_config(
        &args,
        &config,
        &loader,
        &launcher,
        &mut out,
        Duration::from_millis(5),
    )
    .await
    .unwrap();
    assert!(stopped.load(Ordering::SeqCst));
    assert!(String::from_utf8(out).unwrap().contains("has finished."));

    let e = commands::run_with_config(
        &run_args(&["-t", "local", "-d", "example:wordcount"]),
        &run_config(&run_args(&["-t", "local", "-d", "example:wordcount"])),
        &loader,
        &launcher,
        &mut Vec::new(),
        Duration::from_millis(5),
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("-d (detached) cannot be used with -t local"),
        "{e}"
    );

    let args = run_args(&["-t", "yarn-application", "example:wordcount"]);
    let e = commands::run_with_config(
        &args,
        &run_config(&args),
        &loader,
        &NoLauncher,
        &mut Vec::new(),
        Duration::from_millis(5),
    )
    .await
    .unwrap_err();
    // YARN targets go to the YARN descriptor, not the launcher; without a Hadoop configuration
    // the error says what to set.
    if std::env::var_os("HADOOP_CONF_DIR").is_none() && std::env::var_os("YARN_CONF_DIR").is_none()
    {
        assert!(e.to_string().contains("set HADOOP_CONF_DIR"), "{e}");
    }
}

#[tokio::test]
async fn list_and_cancel_commands_print_flink_output() {
    let (url, fake) = start_fake().await;
    let c = client(&url);
    let id = c.submit_job(&graph("Streaming Job", 1)).await.unwrap();
    let m = url.trim_start_matches("http://").to_string();

    let cli = Cli::try_parse_args(["flink-rs", "list", "-m", m.as_str()]).unwrap();
    let Command::List(list) = cli.command else {
        panic!()
    };
    let mut out = Vec::new();
    commands::list(&list, &mut out).await.unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!(
            "Waiting for response...\n\
             ------------------ Running/Restarting Jobs -------------------\n\
             14.11.2023 22:13:20 : {id} : Streaming Job (RUNNING)\n\
             --------------------------------------------------------------\n\
             No scheduled jobs.\n"
        )
    );

    let cli =
        Cli::try_parse_args(["flink-rs", "cancel", "-m", m.as_str(), &id.to_string()]).unwrap();
    let Command::Cancel(cancel) = cli.command else {
        panic!()
    };
    let mut out = Vec::new();
    commands::cancel(&cancel, &mut out).await.unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("Cancelling job {id}.\nCancelled job {id}.\n")
    );
    assert_eq!(fake.jobs.lock().unwrap()[&id].state(), JobStatus::Canceled);

    let cli = Cli::try_parse_args(["flink-rs", "list", "-m", m.as_str(), "-r"]).unwrap();
    let Command::List(list) = cli.command else {
        panic!()
    };
    let mut out = Vec::new();
    commands::list(&list, &mut out).await.unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "Waiting for response...\nNo running jobs.\n"
    );
}

#[test]
fn info_prints_the_plan() {
    let cli = Cli::try_parse_args(["flink-rs", "info", "-p", "4", "example:wordcount"]).unwrap();
    let Command::Info(info) = cli.command else {
        panic!()
    };
    let mut out = Vec::new();
    commands::info(&info, &loader, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let json_start = text.find('{').unwrap();
    let json_end = text.rfind('}').unwrap();
    let plan: serde_json::Value = serde_json::from_str(&text[json_start..=json_end]).unwrap();
    assert_eq!(plan["name"], "WordCount");
    assert_eq!(plan["nodes"][0]["pact"], "Data Source");
    assert_eq!(plan["nodes"][1]["parallelism"], 4);
    assert_eq!(plan["nodes"][1]["predecessors"][0]["ship_strategy"], "HASH");
    assert!(text.starts_with("----------------------- Execution Plan -----------------------\n"));
}
