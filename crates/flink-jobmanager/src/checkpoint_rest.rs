//! REST endpoints for checkpoints and savepoints, with Flink's paths and
//! JSON shapes:
//!
//! * `POST /jobs/:jobid/savepoints` `{"target-directory": .., "cancel-job": bool}`
//!   -> `{"request-id": ..}`
//! * `POST /jobs/:jobid/stop` `{"targetDirectory": .., "drain": bool}` -> `{"request-id": ..}`
//! * `GET /jobs/:jobid/savepoints/:triggerid` -> `{"status":{"id":"IN_PROGRESS"}}` or
//!   `{"status":{"id":"COMPLETED"},"operation":{"location": ..}}` /
//!   `{..,"operation":{"failure-cause":{..}}}`
//! * `GET /jobs/:jobid/checkpoints`: counts, latest completed/savepoint/failed/restored, history.

use crate::checkpoint::{SavepointMode, SavepointResult};
use crate::rest::{RestError, RestResult, RestState, ok, parse_job_id};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use flink_types::JobId;
use parking_lot::Mutex;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

/// Savepoint operations by (job, request id); `None` while in progress.
#[derive(Default)]
pub(crate) struct SavepointOperations {
    ops: Mutex<HashMap<(JobId, String), Option<SavepointResult>>>,
}

pub(crate) fn routes() -> Router<RestState> {
    Router::new()
        .route("/jobs/{jobid}/savepoints", post(trigger_savepoint))
        .route(
            "/jobs/{jobid}/savepoints/{triggerid}",
            get(savepoint_status),
        )
        .route("/jobs/{jobid}/stop", post(stop_with_savepoint))
        .route("/jobs/{jobid}/checkpoints", get(checkpoints))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SavepointRequestBody {
    #[serde(rename = "target-directory")]
    target_directory: Option<String>,
    #[serde(rename = "cancel-job")]
    cancel_job: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StopRequestBody {
    #[serde(rename = "targetDirectory")]
    target_directory: Option<String>,
    drain: bool,
}

fn body_json<T: for<'de> Deserialize<'de> + Default>(body: &Bytes) -> Result<T, RestError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        RestError(
            StatusCode::BAD_REQUEST,
            format!("the request body is not valid JSON for this request: {e}"),
        )
    })
}

async fn start(
    s: RestState,
    job_id: JobId,
    target: Option<String>,
    mode: SavepointMode,
) -> RestResult {
    let cp = s.dispatcher.checkpoint_coordinator(job_id)?.ok_or_else(|| {
        RestError(
            StatusCode::BAD_REQUEST,
            format!("Job {job_id} has no checkpoint coordinator (batch job); savepoints are not supported"),
        )
    })?;
    let status = s.dispatcher.job_details(job_id)?.status;
    if status.is_globally_terminal() {
        return Err(RestError(
            StatusCode::CONFLICT,
            format!("Job {job_id} is {status}; savepoints need a running job"),
        ));
    }
    let target = target.filter(|t| !t.trim().is_empty());
    let rx = cp.trigger_savepoint(target, mode);
    let request_id = flink_types::JobId::generate().to_hex();
    let key = (job_id, request_id.clone());
    s.savepoints.ops.lock().insert(key.clone(), None);
    let ops = s.savepoints.clone();
    tokio::spawn(async move {
        let r = rx
            .await
            .unwrap_or_else(|_| Err("the savepoint was abandoned (the job master stopped)".into()));
        match &r {
            Ok(path) => tracing::info!(job = %key.0, %path, "savepoint completed"),
            Err(e) => tracing::warn!(job = %key.0, error = %e, "savepoint failed"),
        }
        ops.ops.lock().insert(key, Some(r));
    });
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({ "request-id": request_id })),
    )
        .into_response())
}

async fn trigger_savepoint(
    State(s): State<RestState>,
    Path(jobid): Path<String>,
    body: Bytes,
) -> RestResult {
    let job_id = parse_job_id(&jobid)?;
    let req: SavepointRequestBody = body_json(&body)?;
    let mode = if req.cancel_job {
        SavepointMode::Cancel
    } else {
        SavepointMode::Continue
    };
    start(s, job_id, req.target_directory, mode).await
}

async fn stop_with_savepoint(
    State(s): State<RestState>,
    Path(jobid): Path<String>,
    body: Bytes,
) -> RestResult {
    let job_id = parse_job_id(&jobid)?;
    let req: StopRequestBody = body_json(&body)?;
    if req.drain {
        tracing::info!(job = %job_id, "stop with drain: sources are not drained (no MAX_WATERMARK); stopping with a savepoint");
    }
    start(s, job_id, req.target_directory, SavepointMode::Stop).await
}

async fn savepoint_status(
    State(s): State<RestState>,
    Path((jobid, triggerid)): Path<(String, String)>,
) -> RestResult {
    let job_id = parse_job_id(&jobid)?;
    let op = s
        .savepoints
        .ops
        .lock()
        .get(&(job_id, triggerid.clone()))
        .cloned();
    match op {
        None => Err(RestError(
            StatusCode::NOT_FOUND,
            format!("There is no savepoint operation with triggerId={triggerid} for job {job_id}"),
        )),
        Some(None) => ok(json!({ "status": { "id": "IN_PROGRESS" } })),
        Some(Some(Ok(location))) => ok(json!({
            "status": { "id": "COMPLETED" },
            "operation": { "location": location },
        })),
        Some(Some(Err(cause))) => ok(json!({
            "status": { "id": "COMPLETED" },
            "operation": { "failure-cause": {
                "class": "flink-rs.CheckpointException",
                "stack-trace": cause,
                "serialized-throwable": "",
            } },
        })),
    }
}

async fn checkpoints(State(s): State<RestState>, Path(jobid): Path<String>) -> RestResult {
    let job_id = parse_job_id(&jobid)?;
    let stats = match s.dispatcher.checkpoint_coordinator(job_id)? {
        Some(cp) => cp.stats(),
        None => Default::default(),
    };
    let v = serde_json::to_value(&stats)
        .map_err(|e| RestError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    ok(v)
}

#[cfg(test)]
mod tests {
    use crate::{JobManagerConfig, JobManagerRunner, StandaloneResourceDriver};
    use flink_types::{ChainedOperator, JobGraph, JobVertex, JobVertexId, ProgramRef, RuntimeMode};
    use serde_json::{Value, json};
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use std::time::Duration;

    fn graph() -> JobGraph {
        JobGraph {
            job_id: flink_types::JobId::generate(),
            name: "waits for slots".into(),
            program: ProgramRef {
                name: "test".into(),
                args: vec![],
                bundle: None,
            },
            vertices: vec![JobVertex {
                id: JobVertexId(0),
                name: "Source".into(),
                parallelism: 1,
                max_parallelism: 128,
                slot_sharing_group: "default".into(),
                operators: vec![ChainedOperator {
                    stream_node: 0,
                    name: "Source".into(),
                    uid: "src".into(),
                }],
                is_source: true,
            }],
            edges: vec![],
            runtime_mode: RuntimeMode::Streaming,
            config: BTreeMap::new(),
        }
    }

    #[tokio::test]
    async fn savepoint_endpoints_have_flink_shapes_and_clear_errors() {
        let jm = JobManagerRunner::start(
            JobManagerConfig {
                rpc_address: "127.0.0.1".into(),
                rpc_port: 0,
                rest_address: "127.0.0.1".into(),
                rest_port: 0,
                ..JobManagerConfig::default()
            },
            Box::new(StandaloneResourceDriver),
            Arc::new(flink_ha::StandaloneHaServices::new()),
        )
        .await
        .unwrap();
        let url = jm.rest_url();
        let http = reqwest::Client::new();
        let g = graph();
        let job = jm.submit_job(g).await.unwrap();

        // No TaskManagers: the tasks never run, so the savepoint fails clearly.
        let r = http
            .post(format!("{url}/jobs/{job}/savepoints"))
            .json(&json!({"target-directory": "/tmp/sp", "cancel-job": false}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let id = r.json::<Value>().await.unwrap()["request-id"]
            .as_str()
            .unwrap()
            .to_string();
        let status = loop {
            let v: Value = http
                .get(format!("{url}/jobs/{job}/savepoints/{id}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if v["status"]["id"] == "COMPLETED" {
                break v;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let cause = status["operation"]["failure-cause"]["stack-trace"]
            .as_str()
            .unwrap();
        assert!(
            cause.contains("not all tasks of the job are running"),
            "{status}"
        );

        // stop answers with a request id too; bad input is a 4xx naming the problem.
        let r = http
            .post(format!("{url}/jobs/{job}/stop"))
            .json(&json!({"targetDirectory": "/tmp/sp", "drain": false}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let r = http
            .post(format!("{url}/jobs/{job}/savepoints"))
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let r = http
            .get(format!("{url}/jobs/{job}/savepoints/nope"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let other = flink_types::JobId::generate();
        let r = http
            .post(format!("{url}/jobs/{other}/savepoints"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);

        let c: Value = http
            .get(format!("{url}/jobs/{job}/checkpoints"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(c["counts"]["total"], 0, "{c}");
        assert_eq!(c["counts"]["failed"], 0, "{c}");
        assert!(c["latest"]["completed"].is_null(), "{c}");
        jm.shutdown().await;
    }
}
