//! The [`FileSystem`] trait and the types it uses.

use std::fmt::Debug;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeek};

use crate::error::{FsError, Result};
use crate::path::FsPath;

/// Size of the chunks `copy_from_local` reads and writes (and reports progress for).
pub const COPY_CHUNK_SIZE: usize = 1 << 20;

/// Status of one file or directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStatus {
    /// Full path (with scheme and authority).
    pub path: FsPath,
    /// Length in bytes (0 for directories).
    pub len: u64,
    /// Whether this is a directory.
    pub is_dir: bool,
    /// Last modification, milliseconds since the Unix epoch.
    pub modification_time_ms: u64,
    /// Permission bits, e.g. `0o755`.
    pub permission: u32,
    /// Owner (user name on HDFS, numeric uid on the local file system).
    pub owner: String,
    /// Group (name on HDFS, numeric gid locally).
    pub group: String,
    /// Replication factor (HDFS files only).
    pub replication: Option<u32>,
    /// Block size (HDFS files only).
    pub block_size: Option<u64>,
}

/// How to create a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOptions {
    /// Replace an existing file (otherwise [`FsError::AlreadyExists`]).
    pub overwrite: bool,
    /// Permission bits of the new file (default `0o644`).
    pub permission: u32,
    /// HDFS replication (default: the server's `dfs.replication`); ignored locally.
    pub replication: Option<u32>,
    /// HDFS block size (default: the server's); ignored locally.
    pub block_size: Option<u64>,
}

impl Default for CreateOptions {
    fn default() -> Self {
        CreateOptions {
            overwrite: false,
            permission: 0o644,
            replication: None,
            block_size: None,
        }
    }
}

/// A readable, seekable file (a `tokio` reader: use `AsyncReadExt`/`AsyncSeekExt`).
pub trait FsInputStream: AsyncRead + AsyncSeek + Send + Unpin {}
impl<T: AsyncRead + AsyncSeek + Send + Unpin> FsInputStream for T {}

/// A file being written. Data is durable/visible only after [`close`](FsOutputStream::close)
/// (or [`sync`](FsOutputStream::sync)); dropping without `close` may lose data.
#[async_trait]
pub trait FsOutputStream: Send {
    /// Appends `data` to the file.
    async fn write(&mut self, data: Bytes) -> Result<()>;
    /// Makes everything written so far durable (fsync / HDFS hsync).
    async fn sync(&mut self) -> Result<()>;
    /// Flushes and closes the file. Calling it twice is an error-free no-op.
    async fn close(&mut self) -> Result<()>;
    /// Bytes written through this stream.
    fn bytes_written(&self) -> u64;
}

/// One storage system (local disk, HDFS, ...), used by sources/sinks, checkpoint and HA storage
/// and YARN uploads. Paths must belong to the file system (same scheme and, for HDFS, the same
/// NameNode or none).
#[async_trait]
pub trait FileSystem: Debug + Send + Sync {
    /// The scheme this file system serves (`file`, `hdfs`).
    fn scheme(&self) -> &'static str;

    /// A human-readable name of where data goes (`local`, `hdfs://127.0.0.1:9000`).
    fn uri(&self) -> String;

    /// Whether [`append`](FileSystem::append) works here.
    fn supports_append(&self) -> bool;

    /// Opens a file for streaming reads.
    async fn open(&self, path: &FsPath) -> Result<Box<dyn FsInputStream>>;

    /// Reads a whole file.
    async fn read(&self, path: &FsPath) -> Result<Bytes> {
        let mut input = self.open(path).await?;
        let mut buf = Vec::new();
        input
            .read_to_end(&mut buf)
            .await
            .map_err(|e| FsError::from_io("read", &path.to_string(), e))?;
        Ok(Bytes::from(buf))
    }

    /// Creates a file (parent directories are created as needed).
    async fn create_with(
        &self,
        path: &FsPath,
        options: &CreateOptions,
    ) -> Result<Box<dyn FsOutputStream>>;

    /// Creates a file with default options.
    async fn create(&self, path: &FsPath, overwrite: bool) -> Result<Box<dyn FsOutputStream>> {
        self.create_with(
            path,
            &CreateOptions {
                overwrite,
                ..CreateOptions::default()
            },
        )
        .await
    }

    /// Writes a whole file and closes it.
    async fn write(&self, path: &FsPath, data: Bytes, overwrite: bool) -> Result<()> {
        let mut out = self.create(path, overwrite).await?;
        out.write(data).await?;
        out.close().await
    }

    /// Opens an existing file for appending ([`FsError::Unsupported`] where not supported).
    async fn append(&self, path: &FsPath) -> Result<Box<dyn FsOutputStream>>;

    /// Renames `src` to `dst`. Atomic on HDFS and for files on one local file system. Without
    /// `overwrite`, an existing `dst` is an [`FsError::AlreadyExists`].
    async fn rename(&self, src: &FsPath, dst: &FsPath, overwrite: bool) -> Result<()>;

    /// Deletes a file or directory; `Ok(false)` if it did not exist. A non-empty directory needs
    /// `recursive`.
    async fn delete(&self, path: &FsPath, recursive: bool) -> Result<bool>;

    /// Creates a directory and its missing parents; `permission` (e.g. `0o700`) applies to the
    /// last one. Succeeds if it already exists as a directory.
    async fn mkdirs(&self, path: &FsPath, permission: u32) -> Result<()>;

    /// The entries of a directory (not recursive), or the status of a file.
    async fn list_status(&self, path: &FsPath) -> Result<Vec<FileStatus>>;

    /// Status of one path ([`FsError::NotFound`] if missing).
    async fn get_file_status(&self, path: &FsPath) -> Result<FileStatus>;

    /// Whether the path exists.
    async fn exists(&self, path: &FsPath) -> Result<bool> {
        match self.get_file_status(path).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Sets permission bits (e.g. `0o700`).
    async fn set_permission(&self, path: &FsPath, permission: u32) -> Result<()>;

    /// Uploads a local file to `remote` (which must belong to this file system), calling
    /// `progress` with the total bytes copied so far after every chunk. Returns the bytes copied.
    async fn copy_from_local(
        &self,
        local: &std::path::Path,
        remote: &FsPath,
        options: &CreateOptions,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64> {
        let shown = local.display().to_string();
        let meta = tokio::fs::metadata(local)
            .await
            .map_err(|e| FsError::from_io("copy_from_local", &shown, e))?;
        if meta.is_dir() {
            return Err(FsError::IsADirectory { path: shown });
        }
        let mut file = tokio::fs::File::open(local)
            .await
            .map_err(|e| FsError::from_io("copy_from_local", &shown, e))?;
        let mut out = self.create_with(remote, options).await?;
        let mut total = 0u64;
        loop {
            let mut buf = Vec::with_capacity(COPY_CHUNK_SIZE);
            let n = (&mut file)
                .take(COPY_CHUNK_SIZE as u64)
                .read_to_end(&mut buf)
                .await
                .map_err(|e| FsError::from_io("copy_from_local", &shown, e))?;
            if n == 0 {
                break;
            }
            out.write(Bytes::from(buf)).await?;
            total += n as u64;
            progress(total);
        }
        out.close().await?;
        Ok(total)
    }
}
