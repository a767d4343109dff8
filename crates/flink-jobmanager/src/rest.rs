//! The REST API (axum), with Flink's paths and JSON shapes. Errors are
//! `{"errors": ["..."]}` with a 4xx/5xx status, as in Flink.

use crate::dispatcher::Dispatcher;
use crate::error::JobManagerError;
use crate::jobmaster::details::{JobDetails, all_states};
use crate::resource::{ResourceManager, now_ms};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use flink_types::{ExecutionState, JobGraph, JobId, JobStatus};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::Notify;

/// Version reported by `/overview` and `/config`.
pub const FLINK_VERSION: &str = concat!("flink-rs ", env!("CARGO_PKG_VERSION"));

#[derive(Clone)]
pub(crate) struct RestState {
    pub(crate) dispatcher: Arc<Dispatcher>,
    pub(crate) rm: Arc<ResourceManager>,
    pub(crate) shutdown_requested: Arc<Notify>,
    pub(crate) savepoints: Arc<crate::checkpoint_rest::SavepointOperations>,
}

/// A REST error: status plus messages.
pub(crate) struct RestError(pub(crate) StatusCode, pub(crate) String);

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        (self.0, axum::Json(json!({ "errors": [self.1] }))).into_response()
    }
}

impl From<JobManagerError> for RestError {
    fn from(e: JobManagerError) -> Self {
        let code = match &e {
            JobManagerError::JobNotFound(_) => StatusCode::NOT_FOUND,
            JobManagerError::DuplicateJob(_) => StatusCode::CONFLICT,
            JobManagerError::InvalidJobGraph(_) | JobManagerError::Config { .. } => {
                StatusCode::BAD_REQUEST
            }
            JobManagerError::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        RestError(code, e.to_string())
    }
}

pub(crate) type RestResult = Result<Response, RestError>;

pub(crate) fn ok(v: Value) -> RestResult {
    Ok(axum::Json(v).into_response())
}

pub(crate) fn parse_job_id(s: &str) -> Result<JobId, RestError> {
    s.parse()
        .map_err(|e: flink_types::IdParseError| RestError(StatusCode::BAD_REQUEST, e.to_string()))
}

pub(crate) fn router(state: RestState) -> Router {
    Router::new()
        .route("/config", get(config))
        .route("/overview", get(overview))
        .route("/taskmanagers", get(taskmanagers))
        .route("/jobs", get(jobs).post(submit))
        .route("/jobs/overview", get(jobs_overview))
        .route("/jobs/{jobid}", get(job).patch(cancel))
        .route("/jobs/{jobid}/exceptions", get(exceptions))
        .route("/jobs/{jobid}/execution-result", get(execution_result))
        .route("/cluster", delete(shutdown_cluster))
        .merge(crate::checkpoint_rest::routes())
        .fallback(not_found)
        .with_state(state)
}

async fn not_found() -> RestError {
    RestError(
        StatusCode::NOT_FOUND,
        "Not found: no such REST endpoint".into(),
    )
}

async fn config() -> RestResult {
    ok(json!({
        "refresh-interval": 3000,
        "timezone-name": "UTC",
        "timezone-offset": 0,
        "flink-version": FLINK_VERSION,
        "flink-revision": "",
        "features": {
            "web-submit": false,
            "web-cancel": true,
            "web-rescale": false,
            "web-history": false
        }
    }))
}

async fn overview(State(s): State<RestState>) -> RestResult {
    let counts = s.dispatcher.status_counts();
    let c = |st: JobStatus| counts.get(&st).copied().unwrap_or(0);
    let running: u32 = counts
        .iter()
        .filter(|(st, _)| !st.is_globally_terminal())
        .map(|(_, n)| n)
        .sum();
    let (total, free) = s.rm.slot_counts();
    ok(json!({
        "taskmanagers": s.rm.task_managers().len(),
        "slots-total": total,
        "slots-available": free,
        "jobs-running": running,
        "jobs-finished": c(JobStatus::Finished),
        "jobs-cancelled": c(JobStatus::Canceled),
        "jobs-failed": c(JobStatus::Failed),
        "flink-version": FLINK_VERSION,
        "flink-commit": "",
    }))
}

async fn taskmanagers(State(s): State<RestState>) -> RestResult {
    ok(json!({ "taskmanagers": s.rm.task_managers() }))
}

async fn jobs(State(s): State<RestState>) -> RestResult {
    let jobs: Vec<Value> = s
        .dispatcher
        .list_jobs()
        .iter()
        .map(|d| json!({ "id": d.job_id.to_hex(), "status": d.status.as_str() }))
        .collect();
    ok(json!({ "jobs": jobs }))
}

fn task_counts(d: &JobDetails) -> Value {
    let mut m: BTreeMap<String, Value> = d
        .state_counts()
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), json!(v)))
        .collect();
    m.insert(
        "total".into(),
        json!(d.executions.iter().map(Vec::len).sum::<usize>()),
    );
    m.insert("reconciling".into(), json!(0));
    json!(m)
}

fn end_time(d: &JobDetails) -> i64 {
    d.end_time.unwrap_or(-1)
}

async fn jobs_overview(State(s): State<RestState>) -> RestResult {
    let now = now_ms();
    let jobs: Vec<Value> = s
        .dispatcher
        .list_jobs()
        .iter()
        .map(|d| {
            json!({
                "jid": d.job_id.to_hex(),
                "name": d.name,
                "state": d.status.as_str(),
                "start-time": d.start_time,
                "end-time": end_time(d),
                "duration": d.duration(now),
                "last-modification": d.last_modification,
                "tasks": task_counts(d),
            })
        })
        .collect();
    ok(json!({ "jobs": jobs }))
}

/// Flink-style 32-hex id of a job vertex.
fn vertex_id(v: flink_types::JobVertexId) -> String {
    format!("{:032x}", v.0)
}

/// Aggregate state of a vertex's subtasks.
fn vertex_status(states: &[ExecutionState]) -> ExecutionState {
    use ExecutionState::*;
    let any = |s: ExecutionState| states.contains(&s);
    if states.is_empty() {
        Created
    } else if states.iter().all(|s| *s == Finished) {
        Finished
    } else if any(Failed) {
        Failed
    } else if any(Canceling) {
        Canceling
    } else if states.iter().all(|s| s.is_terminal()) && any(Canceled) {
        Canceled
    } else if any(Running) {
        Running
    } else if any(Initializing) {
        Initializing
    } else if any(Deploying) {
        Deploying
    } else if any(Scheduled) {
        Scheduled
    } else {
        Created
    }
}

fn plan(d: &JobDetails) -> Value {
    let g = &d.graph;
    let nodes: Vec<Value> = g
        .vertices
        .iter()
        .map(|v| {
            let inputs: Vec<Value> = g
                .inputs_of(v.id)
                .enumerate()
                .map(|(num, (_, e))| {
                    json!({
                        "num": num,
                        "id": vertex_id(e.source),
                        "ship_strategy": e.ship_strategy.as_str(),
                        "exchange": "pipelined_bounded",
                    })
                })
                .collect();
            json!({
                "id": vertex_id(v.id),
                "parallelism": v.parallelism,
                "operator": "",
                "operator_strategy": "",
                "description": v.name,
                "inputs": inputs,
                "optimizer_properties": {},
            })
        })
        .collect();
    json!({
        "jid": d.job_id.to_hex(),
        "name": d.name,
        "type": match g.runtime_mode {
            flink_types::RuntimeMode::Streaming => "STREAMING",
            flink_types::RuntimeMode::Batch => "BATCH",
        },
        "nodes": nodes,
    })
}

async fn job(State(s): State<RestState>, Path(jobid): Path<String>) -> RestResult {
    let d = s.dispatcher.job_details(parse_job_id(&jobid)?)?;
    let now = now_ms();
    let vertices: Vec<Value> = d
        .graph
        .vertices
        .iter()
        .zip(d.executions.iter())
        .map(|(v, execs)| {
            let states: Vec<ExecutionState> = execs.iter().map(|e| e.state).collect();
            let start = execs
                .iter()
                .filter_map(|e| e.start_time)
                .min()
                .unwrap_or(-1);
            let all_done = execs.iter().all(|e| e.end_time.is_some());
            let end = if all_done {
                execs.iter().filter_map(|e| e.end_time).max().unwrap_or(-1)
            } else {
                -1
            };
            let duration = if start < 0 {
                -1
            } else if end >= 0 {
                end - start
            } else {
                now - start
            };
            let mut tasks = all_states();
            for st in &states {
                *tasks.entry(st.as_str()).or_default() += 1;
            }
            json!({
                "id": vertex_id(v.id),
                "name": v.name,
                "maxParallelism": v.max_parallelism,
                "parallelism": v.parallelism,
                "status": vertex_status(&states).as_str(),
                "start-time": start,
                "end-time": end,
                "duration": duration,
                "tasks": tasks,
                "metrics": {},
            })
        })
        .collect();
    let timestamps: BTreeMap<&str, i64> = [
        JobStatus::Initializing,
        JobStatus::Created,
        JobStatus::Running,
        JobStatus::Failing,
        JobStatus::Failed,
        JobStatus::Cancelling,
        JobStatus::Canceled,
        JobStatus::Finished,
        JobStatus::Restarting,
        JobStatus::Suspended,
        JobStatus::Reconciling,
    ]
    .iter()
    .map(|st| {
        (
            st.as_str(),
            d.timestamps.get(st.as_str()).copied().unwrap_or(0),
        )
    })
    .collect();
    ok(json!({
        "jid": d.job_id.to_hex(),
        "name": d.name,
        "isStoppable": false,
        "state": d.status.as_str(),
        "job-type": "STREAMING",
        "start-time": d.start_time,
        "end-time": end_time(&d),
        "duration": d.duration(now),
        "maxParallelism": -1,
        "now": now,
        "timestamps": timestamps,
        "vertices": vertices,
        "status-counts": d.state_counts(),
        "plan": plan(&d),
    }))
}

async fn exceptions(State(s): State<RestState>, Path(jobid): Path<String>) -> RestResult {
    let d = s.dispatcher.job_details(parse_job_id(&jobid)?)?;
    let last = d.exceptions.last();
    let root = d
        .failure_cause
        .clone()
        .or_else(|| last.map(|e| e.exception.clone()));
    let entries: Vec<Value> = d
        .exceptions
        .iter()
        .rev()
        .map(|e| {
            json!({
                "exceptionName": "flink-rs.TaskFailure",
                "stacktrace": e.exception,
                "timestamp": e.timestamp,
                "taskName": e.task_name,
                "location": e.location,
                "failureLabels": {},
                "concurrentExceptions": [],
            })
        })
        .collect();
    let all: Vec<Value> = d
        .exceptions
        .iter()
        .rev()
        .map(|e| {
            json!({
                "exception": e.exception,
                "task": e.task_name,
                "location": e.location,
                "timestamp": e.timestamp,
            })
        })
        .collect();
    ok(json!({
        "root-exception": root,
        "timestamp": last.map(|e| e.timestamp),
        "all-exceptions": all,
        "truncated": false,
        "exceptionHistory": { "entries": entries, "truncated": false },
    }))
}

async fn execution_result(State(s): State<RestState>, Path(jobid): Path<String>) -> RestResult {
    let job_id = parse_job_id(&jobid)?;
    match s.dispatcher.job_result(job_id)? {
        None => ok(json!({ "status": { "id": "IN_PROGRESS" } })),
        Some(r) => {
            let mut result = json!({
                "id": r.job_id.to_hex(),
                "application-status": r.application_status().as_str(),
                "accumulator-results": {},
                "net-runtime": r.net_runtime_ms,
            });
            if let Some(cause) = &r.failure_cause {
                result["failure-cause"] = json!({
                    "class": "flink-rs.JobExecutionException",
                    "stack-trace": cause,
                    "serialized-throwable": "",
                });
            }
            ok(json!({ "status": { "id": "COMPLETED" }, "job-execution-result": result }))
        }
    }
}

async fn submit(State(s): State<RestState>, body: Bytes) -> RestResult {
    let graph: JobGraph = serde_json::from_slice(&body).map_err(|e| {
        RestError(
            StatusCode::BAD_REQUEST,
            format!("the request body is not a valid flink-rs JobGraph (JSON): {e}"),
        )
    })?;
    let job_id = s.dispatcher.submit(graph).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({ "jobUrl": format!("/jobs/{}", job_id.to_hex()) })),
    )
        .into_response())
}

async fn cancel(
    State(s): State<RestState>,
    Path(jobid): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> RestResult {
    let job_id = parse_job_id(&jobid)?;
    match q.get("mode").map(String::as_str) {
        None | Some("cancel") => {}
        Some(other) => {
            return Err(RestError(
                StatusCode::BAD_REQUEST,
                format!("unsupported termination mode '{other}'; use mode=cancel"),
            ));
        }
    }
    s.dispatcher.cancel(job_id)?;
    Ok((StatusCode::ACCEPTED, axum::Json(json!({}))).into_response())
}

async fn shutdown_cluster(State(s): State<RestState>) -> RestResult {
    s.shutdown_requested.notify_waiters();
    s.shutdown_requested.notify_one();
    Ok((StatusCode::ACCEPTED, axum::Json(json!({}))).into_response())
}
