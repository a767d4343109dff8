//! [`RestClusterClient`]: the client side of the JobManager's REST API, in
//! Flink's URL scheme and JSON shapes (`/jobs`, `/jobs/overview`,
//! `/jobs/:id`, `/jobs/:id/execution-result`, `/overview`).

use crate::error::ClientError;
use flink_types::{JobGraph, JobId, JobStatus};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

// ---------------------------------------------------------------------------
// Messages (Flink's REST shapes; unknown fields are ignored)
// ---------------------------------------------------------------------------

/// Answer to `POST /jobs` (Flink `JobSubmitResponseBody`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct JobSubmitResponse {
    /// `/jobs/<jobId>`.
    #[serde(rename = "jobUrl")]
    pub job_url: String,
}

/// One job in `GET /jobs/overview` (Flink `JobDetails`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct JobOverview {
    /// Job id.
    pub jid: JobId,
    /// Job name.
    pub name: String,
    /// Current status.
    pub state: JobStatus,
    /// Start time, ms since the epoch.
    #[serde(rename = "start-time", default)]
    pub start_time: i64,
    /// End time, ms since the epoch, or -1.
    #[serde(rename = "end-time", default = "minus_one")]
    pub end_time: i64,
    /// Duration in ms.
    #[serde(default)]
    pub duration: i64,
    /// Last modification, ms since the epoch.
    #[serde(rename = "last-modification", default)]
    pub last_modification: i64,
}

fn minus_one() -> i64 {
    -1
}

/// Answer to `GET /jobs/overview` (Flink `MultipleJobsDetails`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug, Default)]
pub struct JobsOverview {
    /// The jobs.
    pub jobs: Vec<JobOverview>,
}

/// One vertex in `GET /jobs/:id`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct JobVertexDetails {
    /// Vertex id.
    pub id: String,
    /// Vertex name.
    pub name: String,
    /// Parallelism.
    #[serde(default)]
    pub parallelism: u32,
    /// Aggregated execution state.
    #[serde(default)]
    pub status: Option<String>,
}

/// Answer to `GET /jobs/:id` (Flink `JobDetailsInfo`, the fields the client uses).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct JobDetails {
    /// Job id.
    pub jid: JobId,
    /// Job name.
    pub name: String,
    /// Current status.
    pub state: JobStatus,
    /// Start time, ms since the epoch.
    #[serde(rename = "start-time", default)]
    pub start_time: i64,
    /// End time, ms since the epoch, or -1.
    #[serde(rename = "end-time", default = "minus_one")]
    pub end_time: i64,
    /// Duration in ms.
    #[serde(default)]
    pub duration: i64,
    /// Server time of the answer, ms since the epoch.
    #[serde(default)]
    pub now: i64,
    /// When the job entered each status (ms since the epoch; 0 = never).
    #[serde(default)]
    pub timestamps: BTreeMap<String, i64>,
    /// The vertices.
    #[serde(default)]
    pub vertices: Vec<JobVertexDetails>,
}

impl JobDetails {
    /// When the job entered `status`, if known.
    pub fn timestamp_of(&self, status: JobStatus) -> Option<i64> {
        self.timestamps
            .get(status.as_str())
            .copied()
            .filter(|t| *t > 0)
    }
}

/// `status` of `GET /jobs/:id/execution-result`.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Debug)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QueueStatus {
    /// The job has not reached a terminal state.
    InProgress,
    /// The result is available.
    Completed,
}

/// Wrapper of the queue status (`{"id": "COMPLETED"}`).
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct QueueStatusBody {
    /// The status.
    pub id: QueueStatus,
}

/// A serialized failure (Flink `SerializedThrowable` as JSON).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug, Default)]
pub struct FailureCause {
    /// Exception class, or a Rust error type name.
    #[serde(default)]
    pub class: String,
    /// The full trace, Flink style (`Caused by:` lines for the chain).
    #[serde(rename = "stack-trace", default)]
    pub stack_trace: String,
}

impl FailureCause {
    /// The root cause on one line: the last `Caused by:` of the trace, else
    /// its first line, else the class.
    pub fn root_cause(&self) -> String {
        let lines: Vec<&str> = self
            .stack_trace
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let root = lines
            .iter()
            .rev()
            .find_map(|l| l.strip_prefix("Caused by:"))
            .map(str::trim)
            .or_else(|| lines.first().copied());
        match root {
            Some(r) => r.to_string(),
            None if !self.class.is_empty() => self.class.clone(),
            None => "unknown cause".to_string(),
        }
    }
}

/// The job result inside an execution result (Flink `JobResult` JSON).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct JobExecutionResult {
    /// Job id.
    pub id: JobId,
    /// SUCCEEDED, FAILED, CANCELED or UNKNOWN.
    #[serde(rename = "application-status")]
    pub application_status: String,
    /// Net runtime in ms.
    #[serde(rename = "net-runtime", default)]
    pub net_runtime: i64,
    /// Accumulator results (name -> serialized value).
    #[serde(rename = "accumulator-results", default)]
    pub accumulator_results: BTreeMap<String, serde_json::Value>,
    /// The failure, if the job failed.
    #[serde(rename = "failure-cause", default)]
    pub failure_cause: Option<FailureCause>,
}

/// Answer to `GET /jobs/:id/execution-result`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct ExecutionResultResponse {
    /// Whether the result is available.
    pub status: QueueStatusBody,
    /// The result when completed.
    #[serde(rename = "job-execution-result", default)]
    pub job_execution_result: Option<JobExecutionResult>,
}

/// Answer to `GET /overview` (Flink `ClusterOverviewWithVersion`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug, Default)]
pub struct ClusterOverview {
    /// Registered TaskManagers.
    #[serde(default)]
    pub taskmanagers: u32,
    /// Total slots.
    #[serde(rename = "slots-total", default)]
    pub slots_total: u32,
    /// Free slots.
    #[serde(rename = "slots-available", default)]
    pub slots_available: u32,
    /// Running jobs.
    #[serde(rename = "jobs-running", default)]
    pub jobs_running: u32,
    /// Finished jobs.
    #[serde(rename = "jobs-finished", default)]
    pub jobs_finished: u32,
    /// Cancelled jobs.
    #[serde(rename = "jobs-cancelled", default)]
    pub jobs_cancelled: u32,
    /// Failed jobs.
    #[serde(rename = "jobs-failed", default)]
    pub jobs_failed: u32,
    /// Version of the cluster.
    #[serde(rename = "flink-version", default)]
    pub flink_version: String,
}

/// Flink's error body: `{"errors": ["..."]}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug, Default)]
pub struct ErrorResponse {
    /// The messages.
    #[serde(default)]
    pub errors: Vec<String>,
}

// ---------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------

/// Timeouts of a [`RestClusterClient`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RestClientOptions {
    /// TCP connect timeout (`rest.connection-timeout`).
    pub connect_timeout: Duration,
    /// Whole-request timeout (`rest.idleness-timeout`).
    pub request_timeout: Duration,
}

impl Default for RestClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(15),
            request_timeout: Duration::from_secs(60),
        }
    }
}

impl RestClientOptions {
    /// Timeouts from the REST section of the configuration.
    pub fn from_rest_config(rest: &flink_config::RestConfig) -> Self {
        Self {
            connect_timeout: rest.connection_timeout,
            request_timeout: rest.idleness_timeout,
        }
    }
}

/// Client of one JobManager's REST endpoint.
#[derive(Clone, Debug)]
pub struct RestClusterClient {
    base: String,
    http: reqwest::Client,
    options: RestClientOptions,
}

impl RestClusterClient {
    /// A client for `base_url` (`http://host:port`, no trailing path).
    pub fn new(base_url: &str, options: RestClientOptions) -> Result<Self, ClientError> {
        let base = base_url.trim_end_matches('/').to_string();
        if !base.starts_with("http://") {
            return Err(ClientError::InvalidArgument(format!(
                "invalid JobManager address '{base_url}': expected http://host:port"
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .build()
            .map_err(|e| ClientError::InvalidArgument(format!("cannot create HTTP client: {e}")))?;
        Ok(Self {
            base,
            http,
            options,
        })
    }

    /// The base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// `POST /jobs` with the job graph as JSON; returns the job id.
    pub async fn submit_job(&self, job_graph: &JobGraph) -> Result<JobId, ClientError> {
        let what = "POST /jobs";
        let resp: JobSubmitResponse = self
            .request(Method::POST, "/jobs", Some(job_graph), what)
            .await?;
        let id_text = resp.job_url.rsplit('/').next().unwrap_or_default();
        id_text.parse().map_err(|_| ClientError::InvalidResponse {
            what: what.into(),
            url: self.base.clone(),
            message: format!("jobUrl '{}' does not end in a job id", resp.job_url),
        })
    }

    /// `GET /jobs/overview`.
    pub async fn list_jobs(&self) -> Result<Vec<JobOverview>, ClientError> {
        let o: JobsOverview = self
            .request::<(), _>(Method::GET, "/jobs/overview", None, "GET /jobs/overview")
            .await?;
        Ok(o.jobs)
    }

    /// `GET /jobs/:id`.
    pub async fn job_details(&self, job_id: JobId) -> Result<JobDetails, ClientError> {
        let path = format!("/jobs/{job_id}");
        self.request_for_job::<(), _>(Method::GET, &path, None, job_id)
            .await
    }

    /// `PATCH /jobs/:id?mode=cancel`.
    pub async fn cancel_job(&self, job_id: JobId) -> Result<(), ClientError> {
        let path = format!("/jobs/{job_id}?mode=cancel");
        let _: serde_json::Value = self
            .request_for_job::<(), _>(Method::PATCH, &path, None, job_id)
            .await?;
        Ok(())
    }

    /// `GET /jobs/:id/execution-result`.
    pub async fn job_result(&self, job_id: JobId) -> Result<ExecutionResultResponse, ClientError> {
        let path = format!("/jobs/{job_id}/execution-result");
        self.request_for_job::<(), _>(Method::GET, &path, None, job_id)
            .await
    }

    /// `DELETE /cluster`: asks the cluster to shut down (its jobs are cancelled).
    pub async fn shutdown_cluster(&self) -> Result<(), ClientError> {
        let _: serde_json::Value = self
            .request::<(), _>(Method::DELETE, "/cluster", None, "DELETE /cluster")
            .await?;
        Ok(())
    }

    /// `GET /overview`.
    pub async fn overview(&self) -> Result<ClusterOverview, ClientError> {
        self.request::<(), _>(Method::GET, "/overview", None, "GET /overview")
            .await
    }

    /// A request about one job: HTTP 404 becomes [`ClientError::JobNotFound`].
    pub(crate) async fn request_for_job<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        job_id: JobId,
    ) -> Result<T, ClientError> {
        let what = format!("{method} {}", path.split('?').next().unwrap_or(path));
        match self.request(method, path, body, &what).await {
            Err(ClientError::Http { status: 404, .. }) => Err(ClientError::JobNotFound {
                job_id,
                url: self.base.clone(),
            }),
            other => other,
        }
    }

    async fn request<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        what: &str,
    ) -> Result<T, ClientError> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| self.transport_error(e, what))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| self.transport_error(e, what))?;
        if !status.is_success() {
            return Err(ClientError::Http {
                what: what.to_string(),
                url: self.base.clone(),
                status: status.as_u16(),
                message: error_message(status, &bytes),
            });
        }
        let bytes = if bytes.is_empty() {
            &b"{}"[..]
        } else {
            &bytes[..]
        };
        serde_json::from_slice(bytes).map_err(|e| ClientError::InvalidResponse {
            what: what.to_string(),
            url: self.base.clone(),
            message: e.to_string(),
        })
    }

    fn transport_error(&self, e: reqwest::Error, what: &str) -> ClientError {
        if e.is_connect() {
            let reason = connect_reason(&e, self.options.connect_timeout);
            return ClientError::Unreachable {
                url: self.base.clone(),
                reason,
            };
        }
        if e.is_timeout() {
            return ClientError::Timeout {
                url: self.base.clone(),
                what: what.to_string(),
                timeout_secs: self.options.request_timeout.as_secs(),
            };
        }
        ClientError::Unreachable {
            url: self.base.clone(),
            reason: innermost_message(&e),
        }
    }
}

/// The text of an error answer: Flink's `errors` joined, else the body, else the reason phrase.
fn error_message(status: StatusCode, body: &[u8]) -> String {
    if let Ok(e) = serde_json::from_slice::<ErrorResponse>(body)
        && !e.errors.is_empty()
    {
        return e
            .errors
            .iter()
            .map(|m| m.lines().next().unwrap_or_default().trim())
            .collect::<Vec<_>>()
            .join("; ");
    }
    let text = String::from_utf8_lossy(body);
    let first = text.lines().next().unwrap_or_default().trim();
    if first.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        first.chars().take(300).collect()
    }
}

/// A short reason for a failed connect: "connection refused", "connection
/// timed out after 15 s", "could not resolve host", else the innermost message.
fn connect_reason(e: &reqwest::Error, connect_timeout: Duration) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused".into(),
                std::io::ErrorKind::TimedOut => {
                    return format!("connection timed out after {} s", connect_timeout.as_secs());
                }
                _ => {}
            }
        }
        source = s.source();
    }
    if e.is_timeout() {
        return format!("connection timed out after {} s", connect_timeout.as_secs());
    }
    let msg = innermost_message(e);
    let lower = msg.to_ascii_lowercase();
    if lower.contains("dns") || lower.contains("resolve") || lower.contains("name or service") {
        return format!("could not resolve host: {msg}");
    }
    msg
}

fn innermost_message(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_cause_is_the_last_caused_by() {
        let f = FailureCause {
            class: "org.apache.flink.runtime.JobException".into(),
            stack_trace: "org.apache.flink.runtime.JobException: Recovery is suppressed\n\tat x\nCaused by: java.lang.RuntimeException: outer\n\tat y\nCaused by: java.io.IOException: disk full\n\tat z\n".into(),
        };
        assert_eq!(f.root_cause(), "java.io.IOException: disk full");
        let f = FailureCause {
            class: "E".into(),
            stack_trace: "task panicked: boom\n".into(),
        };
        assert_eq!(f.root_cause(), "task panicked: boom");
        let f = FailureCause {
            class: "E".into(),
            stack_trace: String::new(),
        };
        assert_eq!(f.root_cause(), "E");
    }

    #[test]
    fn error_messages_prefer_flink_errors() {
        assert_eq!(
            error_message(
                StatusCode::NOT_FOUND,
                br#"{"errors":["Job not found.\nmore"]}"#
            ),
            "Job not found."
        );
        assert_eq!(error_message(StatusCode::BAD_GATEWAY, b""), "Bad Gateway");
        assert_eq!(
            error_message(StatusCode::BAD_REQUEST, b"plain text\nx"),
            "plain text"
        );
    }

    #[test]
    fn flink_shaped_json_parses() {
        let jid = "0123456789abcdef0123456789abcdef";
        let o: JobsOverview = serde_json::from_str(&format!(
            r#"{{"jobs":[{{"jid":"{jid}","name":"WordCount","state":"RUNNING","start-time":1700000000000,"end-time":-1,"duration":5,"last-modification":1700000000005,"tasks":{{"total":2}}}}]}}"#
        ))
        .unwrap();
        assert_eq!(o.jobs[0].state, JobStatus::Running);
        let r: ExecutionResultResponse = serde_json::from_str(&format!(
            r#"{{"status":{{"id":"COMPLETED"}},"job-execution-result":{{"id":"{jid}","application-status":"FAILED","accumulator-results":{{}},"net-runtime":42,"failure-cause":{{"class":"X","stack-trace":"X: bad","serialized-throwable":"AAA"}}}}}}"#
        ))
        .unwrap();
        let res = r.job_execution_result.unwrap();
        assert_eq!(res.net_runtime, 42);
        assert_eq!(res.failure_cause.unwrap().root_cause(), "X: bad");
        let r: ExecutionResultResponse =
            serde_json::from_str(r#"{"status":{"id":"IN_PROGRESS"}}"#).unwrap();
        assert_eq!(r.status.id, QueueStatus::InProgress);
        assert!(r.job_execution_result.is_none());
    }

    #[test]
    fn base_url_must_be_http() {
        let e = RestClusterClient::new("localhost:8081", RestClientOptions::default()).unwrap_err();
        assert!(e.to_string().contains("expected http://host:port"), "{e}");
    }
}
