//! The error type of the client, and the one-line error report for `main`.

use flink_config::ConfigError;
use flink_types::JobId;
use std::process::ExitCode;

/// A boxed error from a dependency injected by the binary (program loader,
/// cluster launcher).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Everything the client reports to the user. Every message is one line that
/// names the problem and, where there is one, the fix.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The configuration or a flag is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A command line argument is invalid.
    #[error("{0}")]
    InvalidArgument(String),
    /// The JobManager's REST endpoint could not be reached.
    #[error(
        "could not reach the JobManager at {url} ({reason}): is the cluster running? check -m / rest.address, or use -t local"
    )]
    Unreachable {
        /// Base URL of the endpoint.
        url: String,
        /// Short cause ("connection refused", "connection timed out after 15 s", ...).
        reason: String,
    },
    /// A request was sent but no (complete) answer arrived in time.
    #[error("the JobManager at {url} did not answer {what} within {timeout_secs} s")]
    Timeout {
        /// Base URL.
        url: String,
        /// The request, e.g. "GET /jobs/overview".
        what: String,
        /// The timeout.
        timeout_secs: u64,
    },
    /// The job does not exist on the cluster.
    #[error("job {job_id} not found at {url}: check the job id with `flink-rs list -a`")]
    JobNotFound {
        /// The job.
        job_id: JobId,
        /// Base URL.
        url: String,
    },
    /// The JobManager answered with an error status.
    #[error("{what} failed at {url}: HTTP {status}: {message}")]
    Http {
        /// The request, e.g. "POST /jobs".
        what: String,
        /// Base URL.
        url: String,
        /// HTTP status code.
        status: u16,
        /// Flink's `errors` text, or the body.
        message: String,
    },
    /// The JobManager's answer could not be understood.
    #[error("unexpected answer to {what} from {url}: {message}")]
    InvalidResponse {
        /// The request.
        what: String,
        /// Base URL.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The program could not be turned into a job graph.
    #[error("could not build the job from '{program}': {message}")]
    Program {
        /// The program reference as given.
        program: String,
        /// The loader's message.
        message: String,
    },
    /// A cluster for the target could not be started.
    #[error("could not start the {target} cluster: {message}")]
    Launch {
        /// The deployment target.
        target: String,
        /// The launcher's message.
        message: String,
    },
    /// The job ended FAILED.
    #[error("job {job_id} failed: {cause}")]
    JobFailed {
        /// The job.
        job_id: JobId,
        /// Root cause, one line.
        cause: String,
    },
    /// The job ended CANCELED or in another non-FINISHED terminal state.
    #[error("job {job_id} ended in state {state}")]
    JobNotFinished {
        /// The job.
        job_id: JobId,
        /// The final state.
        state: String,
    },
    /// A YARN operation failed (deploy, report, kill).
    #[error("{0}")]
    Yarn(String),
    /// Writing output failed (e.g. a closed pipe).
    #[error("could not write output: {0}")]
    Output(#[from] std::io::Error),
}

/// Prints `Error: <message>` on one line to stderr and returns a failing exit code.
pub fn report_error(err: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("{}", error_line(err));
    ExitCode::FAILURE
}

/// The one-line text [`report_error`] prints: `Error: ` and the message with
/// line breaks folded into spaces.
pub fn error_line(err: &dyn std::fmt::Display) -> String {
    let text = err.to_string();
    let one_line: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    format!("Error: {}", one_line.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_line_is_one_line() {
        let e = ClientError::InvalidArgument("first\n  second\n".into());
        assert_eq!(error_line(&e), "Error: first second");
        let e = ClientError::Unreachable {
            url: "http://h:1".into(),
            reason: "connection refused".into(),
        };
        assert_eq!(
            error_line(&e),
            "Error: could not reach the JobManager at http://h:1 (connection refused): is the cluster running? check -m / rest.address, or use -t local"
        );
    }
}
