//! Errors of the mini cluster guard.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong starting or talking to the mini cluster.
#[derive(Debug, thiserror::Error)]
pub enum MiniClusterError {
    /// The Maven project has not been built (or its artifacts are gone).
    #[error(
        "the Hadoop minicluster is not built: {missing} is missing (minicluster dir {dir}). \
         Run tests/minicluster/setup.sh once (needs a JDK 17, Maven and Maven Central)"
    )]
    NotBuilt { dir: PathBuf, missing: PathBuf },

    /// The driver source changed after the last build.
    #[error(
        "the Hadoop minicluster build is stale: {source_file} is newer than {class_file}. \
         Re-run tests/minicluster/setup.sh"
    )]
    Stale {
        source_file: PathBuf,
        class_file: PathBuf,
    },

    /// `java` could not be started.
    #[error(
        "cannot run java ({java}): {source}. Install a JDK 17 or set JAVA_HOME, \
         then run tests/minicluster/setup.sh"
    )]
    JavaNotFound {
        java: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The JVM exited before printing the ready line.
    #[error(
        "the Hadoop minicluster exited before it was ready ({status}).\nstderr:\n{stderr}\nlast lines of {log}:\n{log_tail}"
    )]
    ExitedEarly {
        status: String,
        stderr: String,
        log: PathBuf,
        log_tail: String,
    },

    /// No ready line within the startup timeout.
    #[error(
        "the Hadoop minicluster was not ready within {timeout:?} (killed it).\nstderr:\n{stderr}\nlast lines of {log}:\n{log_tail}"
    )]
    StartTimeout {
        timeout: Duration,
        stderr: String,
        log: PathBuf,
        log_tail: String,
    },

    /// The ready line or a file the cluster wrote could not be understood.
    #[error("unexpected minicluster output: {0}")]
    BadOutput(String),

    /// The shared cluster failed to start earlier in this process.
    #[error("the shared Hadoop minicluster failed to start: {0}")]
    SharedStartFailed(String),

    /// Local I/O (work dir, conf files).
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl MiniClusterError {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        MiniClusterError::Io {
            what: what.into(),
            source,
        }
    }
}
