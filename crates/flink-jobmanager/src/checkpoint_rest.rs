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
