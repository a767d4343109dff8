//! Blocking access to the file systems of `flink-fs` (local paths, `file://`
//! and `hdfs://` URIs) for sources and sinks, which run on plain task
//! threads. `flink-fs` is async: its calls run on one small tokio runtime
//! shared by all tasks of the process ([`block_on`]); reads and writes are
//! streamed and buffered ([`BlockingReader`], [`BlockingWriter`]), never whole
//! files in memory.
//!
//! The Hadoop configuration comes from the job configuration key
//! `env.hadoop.conf.dir` when set, else from `$HADOOP_CONF_DIR` (which the
//! HDFS client reads itself); `hdfs:///path` resolves against its
//! `fs.defaultFS`.

use crate::runtime::output::OperatorError;
use bytes::Bytes;
use flink_fs::{FileSystem, FileSystemCache, FsError, FsInputStream, FsOutputStream, FsPath};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// Job configuration key naming the directory with core-site.xml/hdfs-site.xml.
pub const HADOOP_CONF_DIR_KEY: &str = "env.hadoop.conf.dir";

/// Size of the chunks handed to the file system by [`BlockingWriter`].
pub const WRITE_CHUNK: usize = 1 << 20;

fn runtime() -> Result<&'static tokio::runtime::Runtime, FsError> {
    static RT: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("flink-fs-io")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| FsError::Config(format!("cannot start the file system I/O runtime: {e}")))
}

/// Runs `f` on the shared I/O runtime and waits for it. Must not be called
/// from inside a tokio runtime (task threads are plain threads).
pub fn block_on<T>(f: impl Future<Output = Result<T, FsError>>) -> Result<T, FsError> {
    runtime()?.block_on(f)
}

/// The error of a file-system call made for `context`.
pub fn fs_err(context: impl Into<String>, source: FsError) -> Box<OperatorError> {
    Box::new(OperatorError::Fs {
        context: context.into(),
        source,
    })
}

fn caches() -> &'static Mutex<HashMap<Option<PathBuf>, Arc<FileSystemCache>>> {
    static C: OnceLock<Mutex<HashMap<Option<PathBuf>, Arc<FileSystemCache>>>> = OnceLock::new();
    C.get_or_init(Default::default)
}

/// The Hadoop settings of a job: `env.hadoop.conf.dir`, else `$HADOOP_CONF_DIR`.
pub fn hadoop_settings(config: &BTreeMap<String, String>) -> flink_fs::HadoopSettings {
    flink_fs::HadoopSettings {
        conf_dir: config
            .get(HADOOP_CONF_DIR_KEY)
            .filter(|s| !s.trim().is_empty())
            .map(PathBuf::from),
        ..flink_fs::HadoopSettings::default()
    }
}

/// Parses `uri` (a local path, `file://` or `hdfs://` URI) and returns the
/// (process-wide cached) file system serving it.
pub fn resolve(
    uri: &str,
    config: &BTreeMap<String, String>,
) -> Result<(Arc<dyn FileSystem>, FsPath), FsError> {
    let settings = hadoop_settings(config);
    let cache = caches()
        .lock()
        .entry(settings.conf_dir.clone())
        .or_insert_with(|| Arc::new(FileSystemCache::new(settings)))
        .clone();
    // Building an HDFS client may need the runtime context (it spawns its
    // connection tasks there).
    let _guard = runtime()?.enter();
    cache.resolve(uri)
}

/// A file of a [`FileSystem`] as a blocking `Read + Seek` (wrap it in a
/// `BufReader`).
pub struct BlockingReader {
    inner: Box<dyn FsInputStream>,
}

impl BlockingReader {
    /// Opens `path` on `fs`.
    pub fn open(fs: &dyn FileSystem, path: &FsPath) -> Result<Self, FsError> {
        let inner = block_on(fs.open(path))?;
        Ok(Self { inner })
    }
}

impl Read for BlockingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rt = runtime().map_err(std::io::Error::other)?;
        rt.block_on(self.inner.read(buf))
    }
}

impl Seek for BlockingReader {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        let rt = runtime().map_err(std::io::Error::other)?;
        rt.block_on(self.inner.seek(pos))
    }
}

/// A file being written on a [`FileSystem`] as a blocking `Write`; data goes
/// to the file system in chunks of [`WRITE_CHUNK`] bytes. Call
/// [`close`](Self::close): dropping loses what was not sent.
pub struct BlockingWriter {
    out: Box<dyn FsOutputStream>,
    buf: Vec<u8>,
    written: u64,
}

impl BlockingWriter {
    /// Creates `path` on `fs` (replacing an existing file when `overwrite`).
    pub fn create(fs: &dyn FileSystem, path: &FsPath, overwrite: bool) -> Result<Self, FsError> {
        let out = block_on(fs.create(path, overwrite))?;
        Ok(Self {
            out,
            buf: Vec::with_capacity(WRITE_CHUNK),
            written: 0,
        })
    }

    fn send(&mut self) -> Result<(), FsError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(WRITE_CHUNK));
        self.written += chunk.len() as u64;
        let out = &mut self.out;
        block_on(out.write(Bytes::from(chunk)))
    }

    /// Bytes written so far (including buffered ones).
    pub fn len(&self) -> u64 {
        self.written + self.buf.len() as u64
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sends the buffered bytes and closes the file (durable on return).
    pub fn close(mut self) -> Result<u64, FsError> {
        self.send()?;
        let out = &mut self.out;
        block_on(out.close())?;
        Ok(self.written)
    }
}

impl Write for BlockingWriter {
    #[inline]
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= WRITE_CHUNK {
            self.send().map_err(std::io::Error::other)?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.send().map_err(std::io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_write_then_streamed_read_with_seek() {
        let dir = tempfile::tempdir().unwrap();
        let uri = format!("file://{}/a/b.txt", dir.path().display());
        let (fs, path) = resolve(&uri, &BTreeMap::new()).unwrap();
        let mut w = BlockingWriter::create(fs.as_ref(), &path, false).unwrap();
        let line = b"0123456789\n";
        for _ in 0..200_000 {
            w.write_all(line).unwrap();
        }
        assert_eq!(w.len(), 2_200_000);
        assert_eq!(w.close().unwrap(), 2_200_000);
        let mut r = BlockingReader::open(fs.as_ref(), &path).unwrap();
        r.seek(SeekFrom::Start(2_199_989)).unwrap();
        let mut rest = String::new();
        r.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "0123456789\n");
        assert_eq!(
            std::fs::metadata(dir.path().join("a/b.txt")).unwrap().len(),
            2_200_000
        );
    }

    #[test]
    fn unknown_scheme_is_a_clear_error() {
        let e = resolve("s3://bucket/x", &BTreeMap::new()).unwrap_err();
        assert!(e.to_string().contains("s3"), "{e}");
    }
}
