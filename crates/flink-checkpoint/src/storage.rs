//! [`CheckpointStorage`]: where a job's checkpoint state goes, and reading
//! state back ([`read_state`]).

use crate::error::{CheckpointError, Result};
use crate::io::{block_on, file_system, parse_path, run_io};
use flink_config::{ConfigSource, Configuration, options};
use flink_fs::{FsPath, HadoopSettings};
use flink_types::{JobId, StateLocation};
use std::collections::BTreeMap;
use std::sync::Arc;

/// File name of a checkpoint's metadata, inside `chk-<n>/` or a savepoint dir.
pub const METADATA_FILE: &str = "_metadata";
/// Name the metadata is written under before it is renamed to [`METADATA_FILE`].
pub const METADATA_INPROGRESS_FILE: &str = "_metadata.inprogress";
/// Prefix of checkpoint directories (`chk-<n>`).
pub const CHECKPOINT_DIR_PREFIX: &str = "chk-";
/// Default `state.storage.fs.memory-threshold`.
pub const DEFAULT_MEMORY_THRESHOLD: usize = 20 * 1024;

/// The job configuration as a typed [`Configuration`].
pub(crate) fn configuration(config: &BTreeMap<String, String>) -> Configuration {
    let mut c = Configuration::new();
    for (k, v) in config {
        c.set_string(k, v, ConfigSource::Set("the job configuration".into()));
    }
    c
}

pub(crate) fn config_error(e: flink_config::ConfigError) -> CheckpointError {
    CheckpointError::Config {
        key: String::new(),
        value: String::new(),
        reason: e.to_string(),
    }
}

/// `state.storage.fs.memory-threshold` of a job configuration, in bytes:
/// state blobs smaller than this are kept inline in the metadata.
pub fn memory_threshold(config: &BTreeMap<String, String>) -> Result<usize> {
    let c = configuration(config);
    let t = c
        .get(&options::STATE_STORAGE_FS_MEMORY_THRESHOLD)
        .map_err(config_error)?;
    Ok(usize::try_from(t.bytes()).unwrap_or(usize::MAX))
}

/// Where one job's checkpoints go: `<dir>/<jobId>/chk-<n>/` (Flink's
/// `FsCheckpointStorageAccess` layout). Cheap to clone.
#[derive(Clone, Debug)]
pub struct CheckpointStorage {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    job_id: JobId,
    job_dir: FsPath,
    memory_threshold: usize,
    settings: HadoopSettings,
}

impl CheckpointStorage {
    /// From a job configuration: `execution.checkpointing.dir` (or the legacy
    /// `state.checkpoints.dir`) and `state.storage.fs.memory-threshold`.
    /// `Ok(None)` when no directory is configured: tasks then put all state
    /// inline into the acknowledgement and the JobManager keeps completed
    /// checkpoints in memory (Flink's `JobManagerCheckpointStorage`).
    /// Hadoop settings come from `HADOOP_CONF_DIR`.
    pub fn from_config(config: &BTreeMap<String, String>, job_id: JobId) -> Result<Option<Self>> {
        Self::from_config_with(config, job_id, HadoopSettings::default())
    }

    /// [`Self::from_config`] with explicit Hadoop settings.
    pub fn from_config_with(
        config: &BTreeMap<String, String>,
        job_id: JobId,
        settings: HadoopSettings,
    ) -> Result<Option<Self>> {
        let c = configuration(config);
        let Some(dir) = c
            .get_optional(&options::CHECKPOINTING_DIR)
            .map_err(config_error)?
        else {
            return Ok(None);
        };
        let threshold = memory_threshold(config)?;
        Self::new(&dir, job_id, threshold, settings).map(Some)
    }

    /// Storage below `dir` (`file://`, `hdfs://` or a local path).
    pub fn new(
        dir: &str,
        job_id: JobId,
        memory_threshold: usize,
        settings: HadoopSettings,
    ) -> Result<Self> {
        let root = FsPath::parse(dir).map_err(|e| CheckpointError::Config {
            key: "execution.checkpointing.dir".into(),
            value: dir.into(),
            reason: format!("{e}; use file:///path or hdfs://namenode:port/path"),
        })?;
        let job_dir = root
            .join(&job_id.to_hex())
            .map_err(|e| CheckpointError::fs("build the job directory below", &root, e))?;
        Ok(CheckpointStorage {
            inner: Arc::new(Inner {
                job_id,
                job_dir,
                memory_threshold,
                settings,
            }),
        })
    }

    /// The job.
    pub fn job_id(&self) -> JobId {
        self.inner.job_id
    }

    /// `<dir>/<jobId>` as a URI.
    pub fn job_dir(&self) -> String {
        self.inner.job_dir.to_string()
    }

    pub(crate) fn job_path(&self) -> &FsPath {
        &self.inner.job_dir
    }

    pub(crate) fn checkpoint_path(&self, checkpoint_id: u64) -> FsPath {
        // A single path segment without `..`: join cannot fail.
        self.inner
            .job_dir
            .join(&format!("{CHECKPOINT_DIR_PREFIX}{checkpoint_id}"))
            .unwrap_or_else(|_| self.inner.job_dir.clone())
    }

    /// `<dir>/<jobId>/chk-<checkpoint_id>` as a URI.
    pub fn checkpoint_dir(&self, checkpoint_id: u64) -> String {
        self.checkpoint_path(checkpoint_id).to_string()
    }

    /// Blobs smaller than this many bytes are returned inline by [`Self::write_state`].
    pub fn memory_threshold(&self) -> usize {
        self.inner.memory_threshold
    }

    /// How HDFS is reached.
    pub fn settings(&self) -> &HadoopSettings {
        &self.inner.settings
    }

    /// Task side: persists one state blob of checkpoint `checkpoint_id`.
    /// Blobs under the memory threshold come back as
    /// [`StateLocation::Inline`]; larger ones go to
    /// `chk-<n>/<name>-<random>` and come back as [`StateLocation::File`].
    /// `name` should say what the blob is (e.g. `<uid>-<subtask>-keyed`);
    /// characters outside `[A-Za-z0-9._-]` are replaced by `_`.
    pub async fn write_state(
        &self,
        checkpoint_id: u64,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<StateLocation> {
        if bytes.len() < self.inner.memory_threshold {
            return Ok(StateLocation::Inline(bytes));
        }
        let file = format!("{}-{:08x}", sanitize(name), rand::random::<u32>());
        let path = self
            .checkpoint_path(checkpoint_id)
            .join(&file)
            .map_err(|e| {
                CheckpointError::fs(
                    "name a state file in",
                    self.checkpoint_dir(checkpoint_id),
                    e,
                )
            })?;
        let settings = self.inner.settings.clone();
        run_io(async move {
            let fs = file_system(&settings, &path)?;
            fs.write(&path, bytes::Bytes::from(bytes), true)
                .await
                .map_err(|e| CheckpointError::fs("write state file", &path, e))?;
            Ok(StateLocation::File(path.to_string()))
        })
        .await
    }

    /// [`Self::write_state`] for plain threads (stream tasks): blocks until written.
    pub fn write_state_blocking(
        &self,
        checkpoint_id: u64,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<StateLocation> {
        let this = self.clone();
        let name = name.to_string();
        block_on(async move { this.write_state(checkpoint_id, &name, bytes).await })
    }
}

/// Keeps a file name to `[A-Za-z0-9._-]`.
fn sanitize(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') || s.starts_with('_') {
        format!("state{s}")
    } else {
        s
    }
}

/// Reads the bytes of a state handle's location: inline bytes, or a whole
/// `file://` / `hdfs://` file (errors name the path).
pub async fn read_state(location: &StateLocation, settings: &HadoopSettings) -> Result<Vec<u8>> {
    match location {
        StateLocation::Inline(b) => Ok(b.clone()),
        StateLocation::File(uri) => {
            let path = parse_path(uri)?;
            let settings = settings.clone();
            run_io(async move {
                let fs = file_system(&settings, &path)?;
                let b = fs
                    .read(&path)
                    .await
                    .map_err(|e| CheckpointError::fs("read state file", &path, e))?;
                Ok(b.to_vec())
            })
            .await
        }
    }
}

/// [`read_state`] for plain threads: blocks until read.
pub fn read_state_blocking(location: &StateLocation, settings: &HadoopSettings) -> Result<Vec<u8>> {
    match location {
        StateLocation::Inline(b) => Ok(b.clone()),
        StateLocation::File(_) => {
            let location = location.clone();
            let settings = settings.clone();
            block_on(async move { read_state(&location, &settings).await })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_dir_means_inline_storage() {
        let cfg = BTreeMap::new();
        assert!(
            CheckpointStorage::from_config(&cfg, JobId::generate())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn small_blobs_inline_large_ones_in_files_and_read_back() {
        let tmp = tempfile::tempdir().unwrap();
        let job = JobId::from_parts(1, 2);
        let cfg = BTreeMap::from([
            (
                "state.checkpoints.dir".to_string(),
                format!("file://{}", tmp.path().display()),
            ),
            (
                "state.storage.fs.memory-threshold".to_string(),
                "1kb".to_string(),
            ),
        ]);
        let s = CheckpointStorage::from_config(&cfg, job).unwrap().unwrap();
        assert_eq!(s.memory_threshold(), 1024);
        assert_eq!(
            s.checkpoint_dir(3),
            format!("file://{}/{}/chk-3", tmp.path().display(), job.to_hex())
        );
        let small = s.write_state_blocking(3, "op/1", vec![1, 2, 3]).unwrap();
        assert_eq!(small, StateLocation::Inline(vec![1, 2, 3]));
        let big = vec![7u8; 5000];
        let loc = s
            .write_state_blocking(3, "uid a/0 keyed", big.clone())
            .unwrap();
        let StateLocation::File(uri) = &loc else {
            panic!("expected a file, got {loc:?}")
        };
        assert!(uri.starts_with(&s.checkpoint_dir(3)), "{uri}");
        assert!(uri.contains("uid_a_0_keyed-"), "{uri}");
        let settings = HadoopSettings::default();
        assert_eq!(read_state_blocking(&loc, &settings).unwrap(), big);
        let missing = StateLocation::File(format!("{}/nope", s.checkpoint_dir(3)));
        let e = read_state_blocking(&missing, &settings).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
    }

    #[tokio::test]
    async fn async_write_and_read_from_another_runtime() {
        let tmp = tempfile::tempdir().unwrap();
        let s = CheckpointStorage::new(
            tmp.path().to_str().unwrap(),
            JobId::from_parts(3, 4),
            0,
            HadoopSettings::default(),
        )
        .unwrap();
        let loc = s.write_state(1, "x", vec![9; 10]).await.unwrap();
        assert!(matches!(loc, StateLocation::File(_)));
        assert_eq!(
            read_state(&loc, &HadoopSettings::default()).await.unwrap(),
            vec![9; 10]
        );
    }

    #[test]
    fn bad_dir_names_the_key() {
        let e = CheckpointStorage::new(
            "s3://bucket/x",
            JobId::generate(),
            0,
            HadoopSettings::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("execution.checkpointing.dir"), "{e}");
    }
}
