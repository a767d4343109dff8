//! The shared I/O runtime all checkpoint file operations run on.
//!
//! Stream tasks run on plain threads and the JobManager on its own tokio
//! runtime; HDFS clients keep connection tasks on the runtime that opened
//! them. Running every storage call on one small process-wide runtime keeps
//! clients and their connections together, and gives blocking callers a
//! [`block_on`] that works from any thread.

use crate::error::{CheckpointError, Result};
use flink_fs::{FileSystem, FileSystemCache, FsPath, HadoopSettings};
use std::future::Future;
use std::sync::{Arc, OnceLock};

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("checkpoint-io")
            .enable_all()
            .build()
            // Building a runtime fails only when the OS refuses threads.
            .unwrap_or_else(|e| panic!("cannot start the checkpoint I/O runtime: {e}"))
    })
}

/// A handle of the shared checkpoint I/O runtime (e.g. to spawn the
/// asynchronous part of a snapshot on it).
pub fn io_handle() -> tokio::runtime::Handle {
    runtime().handle().clone()
}

/// Runs `fut` on the I/O runtime and awaits it from any runtime.
pub async fn run_io<F, T>(fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    runtime()
        .spawn(fut)
        .await
        .map_err(|e| CheckpointError::Runtime(e.to_string()))?
}

/// Runs `fut` on the I/O runtime and blocks the calling thread until it is
/// done. Works from plain threads (stream tasks) and from inside another
/// runtime (it then blocks that runtime's thread: use [`run_io`] there).
pub fn block_on<F, T>(fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime().spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv()
        .map_err(|_| CheckpointError::Runtime("the I/O task was dropped".into()))?
}

/// The process-wide file system cache for `settings` (one per distinct
/// settings value; in practice one, from `HADOOP_CONF_DIR`).
pub(crate) fn file_system(settings: &HadoopSettings, path: &FsPath) -> Result<Arc<dyn FileSystem>> {
    type Caches = std::sync::Mutex<Vec<(HadoopSettings, Arc<FileSystemCache>)>>;
    static CACHES: OnceLock<Caches> = OnceLock::new();
    let cache = {
        let mut caches = CACHES
            .get_or_init(Default::default)
            .lock()
            .map_err(|_| CheckpointError::Runtime("file system cache poisoned".into()))?;
        match caches.iter().find(|(s, _)| s == settings) {
            Some((_, c)) => c.clone(),
            None => {
                let c = Arc::new(FileSystemCache::new(settings.clone()));
                caches.push((settings.clone(), c.clone()));
                c
            }
        }
    };
    cache
        .get(path)
        .map_err(|e| CheckpointError::fs("open the file system of", path, e))
}

/// Parses a URI or path, naming it in the error.
pub(crate) fn parse_path(uri: &str) -> Result<FsPath> {
    FsPath::parse(uri).map_err(|e| CheckpointError::fs("parse", uri, e))
}
