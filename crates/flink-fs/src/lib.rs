//! # flink-fs
//!
//! Storage behind one async trait, [`FileSystem`], used by sources and sinks, checkpoint storage,
//! HA storage and the YARN client's uploads. Paths are [`FsPath`] URIs:
//!
//! | URI | File system |
//! |---|---|
//! | `/abs/path`, `rel/path`, `file:///abs/path`, `file:/abs/path` | [`LocalFileSystem`] |
//! | `hdfs://host:port/path`, `hdfs://nameservice/path`, `hdfs:///path` (fs.defaultFS) | [`HdfsFileSystem`] (hdfs-native) |
//!
//! [`get_file_system`] picks the implementation for a URI; anything else is an
//! [`FsError::UnsupportedScheme`] naming the scheme and the supported ones.
//!
//! ```no_run
//! # async fn demo() -> flink_fs::Result<()> {
//! use flink_fs::{get_file_system, FsPath, HadoopSettings};
//! let settings = HadoopSettings::from_conf_dir("/etc/hadoop/conf");
//! let dir = FsPath::parse("hdfs://127.0.0.1:9000/flink/checkpoints")?;
//! let fs = get_file_system(&dir, &settings)?;
//! fs.mkdirs(&dir, 0o700).await?;
//! fs.write(&dir.join("chk-1/_metadata")?, bytes::Bytes::from_static(b"meta"), false).await?;
//! # Ok(()) }
//! ```
//!
//! HDFS calls are bounded by [`HadoopSettings::rpc_timeout_ms`], so an unreachable NameNode gives
//! an error naming its address instead of hanging. The HDFS implementation is tested against the
//! real MiniDFSCluster (crate `hadoop-minicluster`).

mod error;
mod fs;
mod hdfs;
mod local;
mod path;
mod settings;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use error::{FsError, Result};
pub use fs::{
    COPY_CHUNK_SIZE, CreateOptions, FileStatus, FileSystem, FsInputStream, FsOutputStream,
};
pub use hdfs::HdfsFileSystem;
pub use local::LocalFileSystem;
pub use path::{FsPath, SUPPORTED_SCHEMES, Scheme};
pub use settings::HadoopSettings;

/// The file system serving `uri` (local for `file:` and plain paths, HDFS for `hdfs:`).
/// For HDFS this builds a client for the URI's NameNode (or fs.defaultFS when it names none);
/// keep the returned `Arc` and reuse it, it holds the NameNode connection.
pub fn get_file_system(uri: &FsPath, settings: &HadoopSettings) -> Result<Arc<dyn FileSystem>> {
    match uri.scheme() {
        Scheme::Local => Ok(Arc::new(LocalFileSystem::new())),
        Scheme::Hdfs => Ok(Arc::new(HdfsFileSystem::new(uri, settings)?)),
    }
}

/// Parses `uri` and returns its file system together with the parsed path.
pub fn resolve(uri: &str, settings: &HadoopSettings) -> Result<(Arc<dyn FileSystem>, FsPath)> {
    let path = FsPath::parse(uri)?;
    Ok((get_file_system(&path, settings)?, path))
}

/// Scheme and authority (`None` for local paths and `hdfs:///` fs.defaultFS paths).
type CacheKey = (Scheme, Option<String>);

/// File systems by scheme and authority, built once and shared (like Flink's `FileSystem.get`):
/// every `hdfs://nn:8020/...` path of one cache uses the same HDFS client and connection.
#[derive(Debug)]
pub struct FileSystemCache {
    settings: HadoopSettings,
    by_key: Mutex<HashMap<CacheKey, Arc<dyn FileSystem>>>,
}

impl FileSystemCache {
    /// An empty cache; `settings` apply to every HDFS client it builds.
    pub fn new(settings: HadoopSettings) -> Self {
        FileSystemCache {
            settings,
            by_key: Mutex::new(HashMap::new()),
        }
    }

    /// The file system for `path`, building it on first use.
    pub fn get(&self, path: &FsPath) -> Result<Arc<dyn FileSystem>> {
        let key = (path.scheme(), path.authority().map(str::to_string));
        let mut map = self
            .by_key
            .lock()
            .map_err(|_| FsError::Config("file system cache lock poisoned".into()))?;
        if let Some(fs) = map.get(&key) {
            return Ok(Arc::clone(fs));
        }
        let fs = get_file_system(path, &self.settings)?;
        map.insert(key, Arc::clone(&fs));
        Ok(fs)
    }

    /// Parses `uri` and returns its (cached) file system with the parsed path.
    pub fn resolve(&self, uri: &str) -> Result<(Arc<dyn FileSystem>, FsPath)> {
        let path = FsPath::parse(uri)?;
        Ok((self.get(&path)?, path))
    }
}
