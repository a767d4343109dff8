//! `flink-rs savepoint <jobId> [targetDirectory]` and
//! `flink-rs stop [--savepointPath|-p <dir>] <jobId>`, over Flink's REST
//! savepoint API (`POST /jobs/:id/savepoints`, `POST /jobs/:id/stop`, then
//! polling `GET /jobs/:id/savepoints/:triggerid`). Restoring is `run -s`.

use crate::cli::ClusterArgs;
use crate::commands::cluster_client;
use crate::error::ClientError;
use crate::rest::RestClusterClient;
use clap::Args;
use flink_types::JobId;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::time::Duration;

/// How often the savepoint status is polled.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

fn parse_job_id(s: &str) -> Result<JobId, String> {
    s.parse()
        .map_err(|e: flink_types::IdParseError| e.to_string())
}

/// `flink-rs savepoint`.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct SavepointArgs {
    /// The cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// The job.
    #[arg(value_name = "jobId", value_parser = parse_job_id)]
    pub job_id: JobId,
    /// Directory for the savepoint (default: execution.checkpointing.savepoint-dir of the job).
    #[arg(value_name = "targetDirectory")]
    pub target_directory: Option<String>,
}

/// `flink-rs stop`: stop with savepoint; the job ends FINISHED.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct StopArgs {
    /// The cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Directory for the savepoint (default: execution.checkpointing.savepoint-dir of the job).
    #[arg(short = 'p', long = "savepointPath", value_name = "savepointPath")]
    pub savepoint_path: Option<String>,
    /// Send MAX_WATERMARK before stopping (accepted; flink-rs stops without draining).
    #[arg(short = 'd', long = "drain")]
    pub drain: bool,
    /// The job.
    #[arg(value_name = "jobId", value_parser = parse_job_id)]
    pub job_id: JobId,
}

#[derive(Serialize)]
struct SavepointTriggerRequest<'a> {
    #[serde(rename = "target-directory", skip_serializing_if = "Option::is_none")]
    target_directory: Option<&'a str>,
    #[serde(rename = "cancel-job")]
    cancel_job: bool,
}

#[derive(Serialize)]
struct StopRequest<'a> {
    #[serde(rename = "targetDirectory", skip_serializing_if = "Option::is_none")]
    target_directory: Option<&'a str>,
    drain: bool,
}

#[derive(Deserialize)]
struct TriggerResponse {
    #[serde(rename = "request-id")]
    request_id: String,
}

#[derive(Deserialize)]
struct QueueStatusId {
    id: String,
}

#[derive(Deserialize, Default)]
struct FailureCause {
    #[serde(rename = "stack-trace", default)]
    stack_trace: String,
}

#[derive(Deserialize, Default)]
struct SavepointOperation {
    location: Option<String>,
    #[serde(rename = "failure-cause")]
    failure_cause: Option<FailureCause>,
}

#[derive(Deserialize)]
struct SavepointStatusResponse {
    status: QueueStatusId,
    #[serde(default)]
    operation: Option<SavepointOperation>,
}

impl RestClusterClient {
    /// `POST /jobs/:id/savepoints`; returns the trigger (request) id.
    pub async fn trigger_savepoint(
        &self,
        job_id: JobId,
        target_directory: Option<&str>,
        cancel_job: bool,
    ) -> Result<String, ClientError> {
        let body = SavepointTriggerRequest {
            target_directory,
            cancel_job,
        };
        let path = format!("/jobs/{job_id}/savepoints");
        let r: TriggerResponse = self
            .request_for_job(Method::POST, &path, Some(&body), job_id)
            .await?;
        Ok(r.request_id)
    }

    /// `POST /jobs/:id/stop`; returns the trigger (request) id.
    pub async fn stop_with_savepoint(
        &self,
        job_id: JobId,
        target_directory: Option<&str>,
        drain: bool,
    ) -> Result<String, ClientError> {
        let body = StopRequest {
            target_directory,
            drain,
        };
        let path = format!("/jobs/{job_id}/stop");
        let r: TriggerResponse = self
            .request_for_job(Method::POST, &path, Some(&body), job_id)
            .await?;
        Ok(r.request_id)
    }

    /// Polls `GET /jobs/:id/savepoints/:triggerid` until the savepoint
    /// completes; returns its path, or the failure as an error.
    pub async fn wait_for_savepoint(
        &self,
        job_id: JobId,
        trigger_id: &str,
    ) -> Result<String, ClientError> {
        let path = format!("/jobs/{job_id}/savepoints/{trigger_id}");
        loop {
            let r: SavepointStatusResponse = self
                .request_for_job::<(), _>(Method::GET, &path, None, job_id)
                .await?;
            if r.status.id == "COMPLETED" {
                let op = r.operation.unwrap_or_default();
                return match (op.location, op.failure_cause) {
                    (Some(location), _) => Ok(location),
                    (None, Some(f)) => Err(ClientError::InvalidArgument(format!(
                        "savepoint for job {job_id} failed: {}",
                        f.stack_trace
                    ))),
                    (None, None) => Err(ClientError::InvalidResponse {
                        what: format!("GET {path}"),
                        url: self.url().to_string(),
                        message: "COMPLETED without location or failure-cause".into(),
                    }),
                };
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }
}

/// `flink-rs savepoint <jobId> [targetDirectory]`.
pub async fn savepoint(
    args: &SavepointArgs,
    out: &mut (dyn Write + Send),
) -> Result<String, ClientError> {
    let config = args.cluster.load_configuration()?;
    let client = cluster_client(&config, "savepoint").await?;
    writeln!(out, "Triggering savepoint for job {}.", args.job_id)?;
    writeln!(out, "Waiting for response...")?;
    out.flush()?;
    let trigger = client
        .trigger_savepoint(args.job_id, args.target_directory.as_deref(), false)
        .await?;
    let path = client.wait_for_savepoint(args.job_id, &trigger).await?;
    writeln!(out, "Savepoint completed. Path: {path}")?;
    writeln!(
        out,
        "You can resume your program from this savepoint with the run command."
    )?;
    out.flush()?;
    Ok(path)
}

/// `flink-rs stop [-p dir] <jobId>`.
pub async fn stop(args: &StopArgs, out: &mut (dyn Write + Send)) -> Result<String, ClientError> {
    let config = args.cluster.load_configuration()?;
    let client = cluster_client(&config, "stop").await?;
    writeln!(
        out,
        "Suspending job \"{}\" with a CANONICAL savepoint.",
        args.job_id
    )?;
    out.flush()?;
    let trigger = client
        .stop_with_savepoint(args.job_id, args.savepoint_path.as_deref(), args.drain)
        .await?;
    let path = client.wait_for_savepoint(args.job_id, &trigger).await?;
    writeln!(out, "Savepoint completed. Path: {path}")?;
    out.flush()?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn savepoint_and_stop_parse_like_flink() {
        let jid = "a".repeat(32);
        let c = Cli::try_parse_from(["flink-rs", "savepoint", &jid, "hdfs:///sp"]).unwrap();
        let Command::Savepoint(a) = c.command else {
            panic!("{:?}", c.command)
        };
        assert_eq!(a.job_id.to_string(), jid);
        assert_eq!(a.target_directory.as_deref(), Some("hdfs:///sp"));

        let c = Cli::try_parse_from([
            "flink-rs",
            "stop",
            "--savepointPath",
            "/tmp/sp",
            "-t",
            "yarn-application",
            "-Dyarn.application.id=application_1_0001",
            &jid,
        ])
        .unwrap();
        let Command::Stop(a) = c.command else {
            panic!("{:?}", c.command)
        };
        assert_eq!(a.savepoint_path.as_deref(), Some("/tmp/sp"));
        assert_eq!(a.cluster.dynamic_properties.len(), 1);

        let c = Cli::try_parse_from(["flink-rs", "stop", "-p", "/x", &jid]).unwrap();
        assert!(matches!(c.command, Command::Stop(_)));
        assert!(Cli::try_parse_from(["flink-rs", "savepoint", "not-a-job"]).is_err());
    }
}
