//! Completed checkpoints on storage: writing `_metadata` atomically,
//! listing `chk-<n>` directories, retention, finding the latest valid
//! checkpoint, savepoints and resolving a path given to restore from.

use crate::error::{CheckpointError, Result};
use crate::io::{file_system, parse_path, run_io};
use crate::metadata::{self, CheckpointMetadata};
use crate::storage::{
    CHECKPOINT_DIR_PREFIX, CheckpointStorage, METADATA_FILE, METADATA_INPROGRESS_FILE,
};
use flink_fs::{FileSystem, FsPath, HadoopSettings};
use flink_types::StateLocation;
use std::collections::BTreeSet;
use std::sync::Arc;

/// A checkpoint or savepoint read back from storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletedCheckpoint {
    /// Its metadata (file handles absolute).
    pub metadata: CheckpointMetadata,
    /// The `_metadata` file.
    pub metadata_path: String,
    /// The directory holding `_metadata` (what `-s` and REST report).
    pub external_path: String,
}

fn child(dir: &FsPath, name: &str) -> Result<FsPath> {
    dir.join(name)
        .map_err(|e| CheckpointError::fs("name a file in", dir, e))
}

/// Writes `meta` as `<dir>/_metadata`: first `_metadata.inprogress`, then an
/// atomic rename, so a reader sees a complete file or none. With
/// `relative`, file handles below `dir` are stored relative to it.
async fn write_metadata_file(
    fs: Arc<dyn FileSystem>,
    dir: FsPath,
    meta: &CheckpointMetadata,
    relative: bool,
) -> Result<String> {
    let bytes = metadata::encode(meta, relative.then_some(&dir))?;
    let tmp = child(&dir, METADATA_INPROGRESS_FILE)?;
    let fin = child(&dir, METADATA_FILE)?;
    fs.mkdirs(&dir, 0o755)
        .await
        .map_err(|e| CheckpointError::fs("create checkpoint directory", &dir, e))?;
    fs.write(&tmp, bytes::Bytes::from(bytes), true)
        .await
        .map_err(|e| CheckpointError::fs("write", &tmp, e))?;
    fs.rename(&tmp, &fin, false)
        .await
        .map_err(|e| CheckpointError::fs("rename _metadata.inprogress to _metadata in", &dir, e))?;
    Ok(fin.to_string())
}

/// Reads and validates the `_metadata` file at `path`.
pub async fn read_metadata(path: &str, settings: &HadoopSettings) -> Result<CheckpointMetadata> {
    let p = parse_path(path)?;
    let settings = settings.clone();
    run_io(async move {
        let fs = file_system(&settings, &p)?;
        let bytes = fs
            .read(&p)
            .await
            .map_err(|e| CheckpointError::fs("read", &p, e))?;
        metadata::decode(&bytes, &p)
    })
    .await
}

impl CheckpointStorage {
    async fn fs(&self) -> Result<Arc<dyn FileSystem>> {
        file_system(self.settings(), self.job_path())
    }

    /// Makes checkpoint `meta.checkpoint_id` durable: writes
    /// `chk-<n>/_metadata` (last, atomically). Returns the checkpoint directory.
    pub async fn finalize_checkpoint(&self, meta: &CheckpointMetadata) -> Result<String> {
        let this = self.clone();
        let meta = meta.clone();
        run_io(async move {
            let fs = this.fs().await?;
            let dir = this.checkpoint_path(meta.checkpoint_id);
            write_metadata_file(fs, dir.clone(), &meta, false).await?;
            Ok(dir.to_string())
        })
        .await
    }

    /// Ids of the `chk-<n>` directories of this job, ascending (whether
    /// complete or not). A missing job directory means none.
    pub async fn list_checkpoint_ids(&self) -> Result<Vec<u64>> {
        let this = self.clone();
        run_io(async move {
            let fs = this.fs().await?;
            let dir = this.job_path();
            let entries = match fs.list_status(dir).await {
                Ok(e) => e,
                Err(e) if e.is_not_found() => return Ok(Vec::new()),
                Err(e) => return Err(CheckpointError::fs("list", dir, e)),
            };
            let mut ids: Vec<u64> = entries
                .iter()
                .filter(|s| s.is_dir)
                .filter_map(|s| {
                    s.path
                        .name()
                        .strip_prefix(CHECKPOINT_DIR_PREFIX)?
                        .parse()
                        .ok()
                })
                .collect();
            ids.sort_unstable();
            Ok(ids)
        })
        .await
    }

    /// Reads `chk-<id>/_metadata`.
    pub async fn load_checkpoint(&self, checkpoint_id: u64) -> Result<CompletedCheckpoint> {
        let dir = self.checkpoint_path(checkpoint_id);
        let path = child(&dir, METADATA_FILE)?;
        let metadata = read_metadata(&path.to_string(), self.settings()).await?;
        if metadata.checkpoint_id != checkpoint_id {
            return Err(CheckpointError::CorruptMetadata {
                path: path.to_string(),
                reason: format!(
                    "it describes checkpoint {} but lies in chk-{checkpoint_id}",
                    metadata.checkpoint_id
                ),
            });
        }
        Ok(CompletedCheckpoint {
            metadata,
            metadata_path: path.to_string(),
            external_path: dir.to_string(),
        })
    }

    /// The newest checkpoint whose `_metadata` is valid. Candidates are the
    /// `chk-<n>` directories plus `known_completed` (ids the caller saw
    /// complete). A newer candidate that fails to load is skipped with a
    /// warning. A directory without `_metadata` that is not in
    /// `known_completed` is an unfinished checkpoint and skipped silently.
    /// `Ok(None)`: nothing to restore; [`CheckpointError::NoValidCheckpoint`]:
    /// checkpoints existed but none can be read.
    pub async fn latest_valid(
        &self,
        known_completed: &[u64],
    ) -> Result<Option<CompletedCheckpoint>> {
        let listed = self.list_checkpoint_ids().await?;
        let known: BTreeSet<u64> = known_completed.iter().copied().collect();
        let all: BTreeSet<u64> = listed
            .iter()
            .copied()
            .chain(known.iter().copied())
            .collect();
        let mut problems = Vec::new();
        for id in all.into_iter().rev() {
            match self.load_checkpoint(id).await {
                Ok(c) => {
                    if !problems.is_empty() {
                        tracing::warn!(
                            checkpoint = id,
                            skipped = ?problems,
                            "falling back to an older checkpoint because newer ones cannot be read; \
                             output that exactly-once sinks committed after it is written again"
                        );
                    }
                    return Ok(Some(c));
                }
                Err(CheckpointError::Fs { source, .. })
                    if source.is_not_found() && !known.contains(&id) =>
                {
                    tracing::debug!(
                        checkpoint = id,
                        "skipping unfinished checkpoint (no _metadata)"
                    );
                }
                Err(e) => {
                    tracing::warn!(checkpoint = id, error = %e, "checkpoint cannot be used for recovery");
                    problems.push(format!("chk-{id}: {e}"));
                }
            }
        }
        if problems.is_empty() {
            Ok(None)
        } else {
            Err(CheckpointError::NoValidCheckpoint {
                dir: self.job_dir(),
                problems,
            })
        }
    }

    /// Deletes `chk-<id>` (an aborted or subsumed checkpoint).
    pub async fn discard_checkpoint(&self, checkpoint_id: u64) -> Result<()> {
        let this = self.clone();
        run_io(async move {
            let fs = this.fs().await?;
            let dir = this.checkpoint_path(checkpoint_id);
            fs.delete(&dir, true)
                .await
                .map_err(|e| CheckpointError::fs("delete", &dir, e))?;
            Ok(())
        })
        .await
    }

    /// Retention after checkpoint `latest` completed: deletes every
    /// `chk-<n>` with `n < latest` that is not in `retained`. Newer
    /// directories (checkpoints still in progress) are left alone.
    pub async fn subsume(&self, latest: u64, retained: &[u64]) -> Result<Vec<u64>> {
        let keep: BTreeSet<u64> = retained.iter().copied().collect();
        let mut deleted = Vec::new();
        for id in self.list_checkpoint_ids().await? {
            if id < latest && !keep.contains(&id) {
                self.discard_checkpoint(id).await?;
                deleted.push(id);
            }
        }
        Ok(deleted)
    }

    /// Deletes `<dir>/<jobId>` with everything in it.
    pub async fn delete_job_dir(&self) -> Result<()> {
        let this = self.clone();
        run_io(async move {
            let fs = this.fs().await?;
            let dir = this.job_path();
            fs.delete(dir, true)
                .await
                .map_err(|e| CheckpointError::fs("delete", dir, e))?;
            Ok(())
        })
        .await
    }
}

/// Writes a self-contained, relocatable savepoint into a new directory
/// `<target_dir>/savepoint-<first 6 hex of the job id>-<random>/`: state
/// files of the savepoint's own checkpoint directory (in `storage`) are
/// moved there, other files are copied, and `_metadata` references them
/// relative to itself. Returns the savepoint directory.
pub async fn write_savepoint(
    storage: Option<&CheckpointStorage>,
    target_dir: &str,
    meta: &CheckpointMetadata,
    settings: &HadoopSettings,
) -> Result<String> {
    let target = FsPath::parse(target_dir).map_err(|e| CheckpointError::Config {
        key: "execution.checkpointing.savepoint-dir".into(),
        value: target_dir.into(),
        reason: format!("{e}; use file:///path or hdfs://namenode:port/path"),
    })?;
    let name = format!(
        "savepoint-{}-{:012x}",
        &meta.job_id.to_hex()[..6],
        rand::random::<u64>() & 0xffff_ffff_ffff
    );
    let dir = child(&target, &name)?;
    let own_dir = storage.map(|s| s.checkpoint_path(meta.checkpoint_id));
    let settings = settings.clone();
    let mut meta = meta.clone();
    meta.is_savepoint = true;
    run_io(async move {
        let fs = file_system(&settings, &dir)?;
        fs.mkdirs(&dir, 0o755)
            .await
            .map_err(|e| CheckpointError::fs("create savepoint directory", &dir, e))?;
        let mut used = BTreeSet::new();
        for op in meta.operators.values_mut() {
            for handles in op.subtasks.values_mut() {
                for h in handles.iter_mut() {
                    let StateLocation::File(uri) = &h.location else {
                        continue;
                    };
                    let src = parse_path(uri)?;
                    let mut file = src.name().to_string();
                    while !used.insert(file.clone()) {
                        file = format!("{}-{:04x}", src.name(), rand::random::<u16>());
                    }
                    let dst = child(&dir, &file)?;
                    let same_fs =
                        src.scheme() == dst.scheme() && src.authority() == dst.authority();
                    let own = own_dir.as_ref().is_some_and(|d| src.starts_with(d));
                    if own && same_fs {
                        fs.rename(&src, &dst, false).await.map_err(|e| {
                            CheckpointError::fs("move state file into the savepoint", &src, e)
                        })?;
                    } else {
                        let src_fs = file_system(&settings, &src)?;
                        let bytes = src_fs
                            .read(&src)
                            .await
                            .map_err(|e| CheckpointError::fs("read state file", &src, e))?;
                        fs.write(&dst, bytes, false)
                            .await
                            .map_err(|e| CheckpointError::fs("write savepoint file", &dst, e))?;
                    }
                    h.location = StateLocation::File(dst.to_string());
                }
            }
        }
        write_metadata_file(fs, dir.clone(), &meta, true).await?;
        Ok(dir.to_string())
    })
    .await
}

/// Resolves a path given to restore from (`-s`, `execution.savepoint.path`):
/// a savepoint directory, a `chk-<n>` directory or a `_metadata` file.
pub async fn load_restore_path(
    path: &str,
    settings: &HadoopSettings,
) -> Result<CompletedCheckpoint> {
    let invalid = |reason: String| CheckpointError::InvalidRestorePath {
        path: path.to_string(),
        reason,
    };
    let p = FsPath::parse(path).map_err(|e| invalid(e.to_string()))?;
    let settings2 = settings.clone();
    let p2 = p.clone();
    let status = run_io(async move {
        let fs = file_system(&settings2, &p2)?;
        fs.get_file_status(&p2)
            .await
            .map_err(|e| CheckpointError::fs("stat", &p2, e))
    })
    .await;
    let status = match status {
        Ok(s) => s,
        Err(CheckpointError::Fs { source, .. }) if source.is_not_found() => {
            return Err(invalid("it does not exist".into()));
        }
        Err(e) => return Err(e),
    };
    let (meta_path, dir) = if status.is_dir {
        (child(&p, METADATA_FILE)?, p.clone())
    } else {
        (p.clone(), p.parent().unwrap_or_else(|| p.clone()))
    };
    let metadata = match read_metadata(&meta_path.to_string(), settings).await {
        Ok(m) => m,
        Err(CheckpointError::Fs { source, .. }) if source.is_not_found() => {
            return Err(invalid(format!(
                "no {METADATA_FILE} file in {dir}; give a savepoint directory, a chk-<n> \
                 directory or a _metadata file"
            )));
        }
        Err(e) => return Err(e),
    };
    Ok(CompletedCheckpoint {
        metadata,
        metadata_path: meta_path.to_string(),
        external_path: dir.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::OperatorState;
    use flink_types::{JobId, StateHandle};
    use std::collections::BTreeMap;

    fn storage(dir: &std::path::Path) -> CheckpointStorage {
        CheckpointStorage::new(
            dir.to_str().unwrap(),
            JobId::from_parts(0xabcdef, 1),
            16,
            HadoopSettings::default(),
        )
        .unwrap()
    }

    async fn complete(s: &CheckpointStorage, id: u64) -> CheckpointMetadata {
        let loc = s
            .write_state(id, "op-0", vec![id as u8; 100])
            .await
            .unwrap();
        let meta = CheckpointMetadata {
            job_id: s.job_id(),
            checkpoint_id: id,
            timestamp_ms: 1,
            is_savepoint: false,
            operators: BTreeMap::from([(
                "op".into(),
                OperatorState {
                    parallelism: 1,
                    max_parallelism: 128,
                    subtasks: BTreeMap::from([(
                        0,
                        vec![StateHandle {
                            location: loc,
                            key_group_offsets: vec![(0, 0)],
                            size: 100,
                        }],
                    )]),
                },
            )]),
        };
        s.finalize_checkpoint(&meta).await.unwrap();
        meta
    }

    fn local(uri: &str) -> std::path::PathBuf {
        FsPath::parse(uri).unwrap().local_path().unwrap()
    }

    #[tokio::test]
    async fn metadata_is_written_last_and_atomically() {
        let tmp = tempfile::tempdir().unwrap();
        let s = storage(tmp.path());
        let m = complete(&s, 1).await;
        let dir = local(&s.checkpoint_dir(1));
        assert!(dir.join("_metadata").is_file());
        assert!(!dir.join("_metadata.inprogress").exists());
        assert_eq!(s.load_checkpoint(1).await.unwrap().metadata, m);
        // Never overwrites a completed checkpoint's metadata.
        assert!(s.finalize_checkpoint(&m).await.is_err());
    }

    #[tokio::test]
    async fn retention_and_fallback_to_the_previous_checkpoint() {
        let tmp = tempfile::tempdir().unwrap();
        let s = storage(tmp.path());
        for id in 1..=4 {
            complete(&s, id).await;
        }
        // An unfinished checkpoint 5 (state, no _metadata).
        s.write_state(5, "op-0", vec![5; 100]).await.unwrap();
        assert_eq!(s.list_checkpoint_ids().await.unwrap(), vec![1, 2, 3, 4, 5]);
        assert_eq!(s.subsume(4, &[3, 4]).await.unwrap(), vec![1, 2]);
        assert_eq!(s.list_checkpoint_ids().await.unwrap(), vec![3, 4, 5]);

        let latest = s.latest_valid(&[3, 4]).await.unwrap().unwrap();
        assert_eq!(latest.metadata.checkpoint_id, 4);

        // Corrupt 4: recovery falls back to 3.
        std::fs::write(
            local(&s.checkpoint_dir(4)).join("_metadata"),
            b"{\"magic\":1",
        )
        .unwrap();
        let latest = s.latest_valid(&[3, 4]).await.unwrap().unwrap();
        assert_eq!(latest.metadata.checkpoint_id, 3);

        // Remove 3's metadata: nothing left, and the error says why.
        std::fs::remove_file(local(&s.checkpoint_dir(3)).join("_metadata")).unwrap();
        let e = s.latest_valid(&[3, 4]).await.unwrap_err().to_string();
        assert!(e.contains("no valid checkpoint left"), "{e}");
        assert!(e.contains("chk-4") && e.contains("chk-3"), "{e}");

        // Without knowing 3 completed, a dir without _metadata is unfinished;
        // the corrupt 4 still counts.
        let e = s.latest_valid(&[]).await.unwrap_err().to_string();
        assert!(e.contains("chk-4") && !e.contains("chk-3"), "{e}");

        s.delete_job_dir().await.unwrap();
        assert!(s.latest_valid(&[]).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn savepoints_are_self_contained_and_relocatable() {
        let tmp = tempfile::tempdir().unwrap();
        let s = storage(&tmp.path().join("ck"));
        let m = complete(&s, 7).await;
        let sp_root = tmp.path().join("sp");
        let sp = write_savepoint(
            Some(&s),
            sp_root.to_str().unwrap(),
            &m,
            &HadoopSettings::default(),
        )
        .await
        .unwrap();
        let sp_dir = local(&sp);
        let name = sp_dir.file_name().unwrap().to_str().unwrap().to_string();
        assert!(name.starts_with("savepoint-000000-"), "{name}");
        // The state file moved out of chk-7 into the savepoint.
        s.discard_checkpoint(7).await.unwrap();
        let text = std::fs::read_to_string(sp_dir.join("_metadata")).unwrap();
        assert!(text.contains("\"relative\""), "{text}");
        assert!(!text.contains(tmp.path().to_str().unwrap()), "{text}");

        // Move the whole directory; restore from dir and from _metadata.
        let moved = tmp.path().join("moved");
        std::fs::rename(&sp_dir, &moved).unwrap();
        for p in [moved.clone(), moved.join("_metadata")] {
            let c = load_restore_path(p.to_str().unwrap(), &HadoopSettings::default())
                .await
                .unwrap();
            assert!(c.metadata.is_savepoint);
            let h = &c.metadata.operators["op"].subtasks[&0][0];
            let bytes = crate::read_state(&h.location, &HadoopSettings::default())
                .await
                .unwrap();
            assert_eq!(bytes, vec![7u8; 100]);
            assert!(c.external_path.ends_with("/moved"), "{}", c.external_path);
        }
        // A chk dir works too; bad paths are clear errors.
        complete(&s, 8).await;
        let c = load_restore_path(&s.checkpoint_dir(8), &HadoopSettings::default())
            .await
            .unwrap();
        assert_eq!(c.metadata.checkpoint_id, 8);
        let e = load_restore_path(tmp.path().to_str().unwrap(), &HadoopSettings::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("no _metadata file"), "{e}");
        let e = load_restore_path("/does/not/exist", &HadoopSettings::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/does/not/exist") && e.contains("does not exist"),
            "{e}"
        );
    }
}
