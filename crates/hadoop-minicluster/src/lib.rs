//! # hadoop-minicluster
//!
//! Test support: starts the REAL Hadoop mini cluster of `tests/minicluster` (Hadoop 3.4.2:
//! MiniDFSCluster, MiniYARNCluster with two NodeManagers, optionally MiniKdc) in one JVM, waits for
//! its ready line and stops it when the guard is dropped.
//!
//! Prerequisite (once per machine): `tests/minicluster/setup.sh` (downloads from Maven Central and
//! compiles). The guard then runs `java` directly, no Maven at test time; if the build is missing or
//! stale the error says so and names the script.
//!
//! ```no_run
//! // one cluster per test binary, shared by all its tests (startup costs ~10 s)
//! let cluster = hadoop_minicluster::shared().unwrap();
//! let dir = cluster.unique_hdfs_dir("my_test"); // each test uses its own HDFS dir
//! println!("{} {} {}", cluster.default_fs(), cluster.rm_address(), dir);
//! ```
//!
//! Stopping: dropping a [`MiniCluster`] closes the JVM's stdin (it stops YARN, which kills running
//! containers, then HDFS), waits up to 30 s, then SIGKILLs the JVM and every process below it
//! (containers run in their own sessions, so the tree is found via `/proc`). The [`shared`] cluster
//! lives in a static and is never dropped; it stops when the test process exits, because the pipe to
//! its stdin closes then.

mod cluster;
mod error;
mod process;
pub mod site;

use std::sync::OnceLock;

pub use cluster::{
    KEEP_WORK_DIR_ENV, KerberosInfo, MINICLUSTER_DIR_ENV, MiniCluster, MiniClusterOptions,
};
pub use error::MiniClusterError;

static SHARED: OnceLock<Result<MiniCluster, String>> = OnceLock::new();
static SHARED_SECURE: OnceLock<Result<MiniCluster, String>> = OnceLock::new();

/// The process-wide plain (non-Kerberos) cluster, started on first use with default options.
pub fn shared() -> Result<&'static MiniCluster, MiniClusterError> {
    shared_from(&SHARED, MiniClusterOptions::default())
}

/// The process-wide Kerberos cluster, started on first use.
pub fn shared_secure() -> Result<&'static MiniCluster, MiniClusterError> {
    shared_from(
        &SHARED_SECURE,
        MiniClusterOptions {
            secure: true,
            ..MiniClusterOptions::default()
        },
    )
}

fn shared_from(
    cell: &'static OnceLock<Result<MiniCluster, String>>,
    options: MiniClusterOptions,
) -> Result<&'static MiniCluster, MiniClusterError> {
    cell.get_or_init(|| MiniCluster::start(options).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| MiniClusterError::SharedStartFailed(e.clone()))
}
