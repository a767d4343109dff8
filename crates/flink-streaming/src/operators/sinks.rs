//! Built-in sinks: print, text files, discard (blackhole), and a collecting
//! sink for tests and local runs.
//!
//! The text file sink writes each subtask's lines to an in-progress file
//! `.part-<subtask>-<n>.inprogress` in the output directory (local or HDFS)
//! and commits it exactly once, by renaming it to `part-<subtask>-<n>`,
//! when the checkpoint that closed it completes or the input ends
//! ([`TextFileSink`]).

use crate::element::CheckpointBarrier;
use crate::operators::files::{BlockingWriter, block_on, fs_err, resolve};
use crate::runtime::operator::{RuntimeContext, StreamOperator};
use crate::runtime::output::{OpResult, OperatorError, Output};
use crate::runtime::snapshot::{AsyncPart, Completion, OperatorSnapshot};
use flink_fs::{FileSystem, FsPath};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::fmt::{Debug, Display};
use std::io::Write;
use std::sync::{Arc, OnceLock};

fn io_err(context: String, source: std::io::Error) -> Box<OperatorError> {
    Box::new(OperatorError::Io { context, source })
}

/// Prints records to stdout with `Debug`, prefixed `<subtask+1>> ` when the
/// sink runs with parallelism > 1 (as Flink's `print()`).
pub struct PrintSink {
    prefix: String,
}

impl PrintSink {
    /// A print sink for the subtask in `ctx`.
    pub fn new(ctx: &RuntimeContext) -> Self {
        Self {
            prefix: if ctx.parallelism > 1 {
                format!("{}> ", ctx.subtask + 1)
            } else {
                String::new()
            },
        }
    }
}

impl<T: Debug + Send> StreamOperator<T, ()> for PrintSink {
    fn process(&mut self, value: T, _ts: Option<i64>, _out: &mut dyn Output<()>) -> OpResult {
        let mut stdout = std::io::stdout().lock();
        // stdout closed (e.g. `| head`) is not a job failure.
        let _ = writeln!(stdout, "{}{:?}", self.prefix, value);
        Ok(())
    }
}

/// Drops every record (Nexmark's blackhole).
pub struct DiscardSink;

impl<T: Send> StreamOperator<T, ()> for DiscardSink {
    #[inline]
    fn process(&mut self, _value: T, _ts: Option<i64>, _out: &mut dyn Output<()>) -> OpResult {
        Ok(())
    }
}

/// Name of the in-progress file of part `part` of `subtask`.
pub fn in_progress_name(subtask: u32, part: u64) -> String {
    format!(".part-{subtask}-{part}.inprogress")
}

/// Name of the committed file of part `part` of `subtask`.
pub fn committed_name(subtask: u32, part: u64) -> String {
    format!("part-{subtask}-{part}")
}

/// A closed part file waiting for its checkpoint to complete.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PendingFile {
    /// The checkpoint whose snapshot closed it.
    pub checkpoint: u64,
    /// Subtask that wrote it.
    pub subtask: u32,
    /// Part counter.
    pub part: u64,
    /// The output directory it was written to (full URI), so that a job
    /// restored with another output path still commits it in place.
    pub dir: String,
}

/// Operator state of a [`TextFileSink`] (bincode).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TextFileSinkState {
    /// Subtask that wrote the state.
    pub subtask: u32,
    /// Next part counter of that subtask.
    pub next_part: u64,
    /// Closed files not yet committed.
    pub pending: Vec<PendingFile>,
}

/// Writes records with `Display`, one per line, into part files under a
/// directory (local path, `file://` or `hdfs://` URI), exactly once with a
/// two-phase commit (Flink `FileSink` with an on-checkpoint rolling policy):
///
/// * records go to the in-progress file `.part-<subtask>-<n>.inprogress`,
///   created on the first record after a roll;
/// * a checkpoint's snapshot closes it: it becomes *pending*, recorded in
///   the operator state together with older pending files;
/// * `notify_checkpoint_complete(n)` renames the pending files of
///   checkpoints `<= n` to `part-<subtask>-<n>` (commit);
/// * on restore, the pending files in the restored state are committed
///   (renaming an already renamed file is fine), and this subtask's
///   in-progress files that the checkpoint does not know are deleted (their
///   records are replayed);
/// * at the end of a bounded input everything is committed.
pub struct TextFileSink {
    uri: String,
    uid: String,
    subtask: u32,
    fs: Option<Arc<dyn FileSystem>>,
    dir: Option<FsPath>,
    /// Job configuration (Hadoop settings for pending files of another directory).
    config: Arc<std::collections::BTreeMap<String, String>>,
    next_part: u64,
    current: Option<(u64, std::io::BufWriter<BlockingWriter>)>,
    pending: Vec<PendingFile>,
    /// Asynchronous closes of this run's pending files, by part.
    closes: HashMap<u64, Completion>,
    /// The close of the file rolled by the last snapshot, for the uploader.
    async_part: Option<AsyncPart>,
}

impl TextFileSink {
    /// A sink writing under `dir` (a local path, `file://` or `hdfs://` URI).
    pub fn new(dir: &str, ctx: &RuntimeContext) -> Self {
        Self {
            uri: dir.to_string(),
            uid: ctx.operator_uid.clone(),
            subtask: ctx.subtask,
            fs: None,
            dir: None,
            config: Default::default(),
            next_part: 0,
            current: None,
            pending: Vec::new(),
            closes: HashMap::new(),
            async_part: None,
        }
    }

    fn fs(&self) -> Result<(&dyn FileSystem, &FsPath), Box<OperatorError>> {
        match (&self.fs, &self.dir) {
            (Some(fs), Some(dir)) => Ok((fs.as_ref(), dir)),
            _ => Err(Box::new(OperatorError::Other(format!(
                "file sink '{}' used before open",
                self.uri
            )))),
        }
    }

    fn path(&self, name: &str) -> Result<FsPath, Box<OperatorError>> {
        let (_, dir) = self.fs()?;
        dir.join(name)
            .map_err(|e| fs_err(format!("output path in '{}'", self.uri), e))
    }

    /// Renames a pending file to its final name; fine if that already happened.
    fn commit(&mut self, f: &PendingFile) -> OpResult {
        if f.subtask == self.subtask
            && let Some(closing) = self.closes.remove(&f.part)
        {
            closing
                .wait()
                .map_err(|e| Box::new(OperatorError::Other(e)))?;
        }
        let (fs, dir): (Arc<dyn FileSystem>, FsPath) = match (&self.fs, &self.dir) {
            (Some(fs), Some(d)) if f.dir.is_empty() || f.dir == d.to_string() => {
                (fs.clone(), d.clone())
            }
            (Some(_), Some(_)) => resolve(&f.dir, &self.config)
                .map_err(|e| fs_err(format!("output directory '{}'", f.dir), e))?,
            _ => {
                return Err(Box::new(OperatorError::Other(format!(
                    "file sink '{}' used before open",
                    self.uri
                ))));
            }
        };
        let join = |name: String| {
            dir.join(&name)
                .map_err(|e| fs_err(format!("output path in '{}'", f.dir), e))
        };
        let from = join(in_progress_name(f.subtask, f.part))?;
        let to = join(committed_name(f.subtask, f.part))?;
        match block_on(fs.rename(&from, &to, false)) {
            Ok(()) => Ok(()),
            Err(e) => {
                // Idempotent: a restore may commit what a notification already did.
                let done = block_on(fs.exists(&to)).unwrap_or(false)
                    && !block_on(fs.exists(&from)).unwrap_or(true);
                if done {
                    Ok(())
                } else {
                    Err(fs_err(format!("cannot commit '{to}'"), e))
                }
            }
        }
    }

    /// Closes the in-progress file (if any) and returns its part number.
    fn close_current(&mut self) -> Result<Option<u64>, Box<OperatorError>> {
        let Some((part, w)) = self.current.take() else {
            return Ok(None);
        };
        let name = in_progress_name(self.subtask, part);
        let w = w.into_inner().map_err(|e| {
            io_err(
                format!("cannot write to '{}/{name}'", self.uri),
                e.into_error(),
            )
        })?;
        w.close()
            .map_err(|e| fs_err(format!("cannot close '{}/{name}'", self.uri), e))?;
        Ok(Some(part))
    }

    fn restore(&mut self, ctx: &RuntimeContext) -> OpResult {
        let Some(restore) = &ctx.restore else {
            return Ok(());
        };
        let mut states = Vec::new();
        for handle in restore
            .operator_state
            .get(&ctx.operator_uid)
            .into_iter()
            .flatten()
        {
            let flink_types::StateLocation::Inline(bytes) = &handle.location else {
                return Err(Box::new(OperatorError::Other(format!(
                    "file sink '{}': state handle was not read by the task",
                    self.uri
                ))));
            };
            let (st, _): (TextFileSinkState, usize) =
                bincode::serde::decode_from_slice(bytes, crate::element::codec()).map_err(|e| {
                    Box::new(OperatorError::Other(format!(
                        "file sink '{}': corrupt sink state in checkpoint: {e}",
                        self.uri
                    )))
                })?;
            states.push(st);
        }
        // Several states (after a parallelism change, every subtask gets the
        // union): commit all pending files, and never reuse a part counter of
        // a former subtask with our index.
        for st in &states {
            for f in &st.pending {
                self.commit(f)?;
            }
            if st.subtask == self.subtask {
                self.next_part = self.next_part.max(st.next_part);
            }
        }
        // In-progress files that no checkpoint knows: ours from the part
        // counter on, and (subtask 0 does this) those of former subtasks that
        // no longer exist after a parallelism change. Their records are replayed.
        let (fs, dir) = self.fs()?;
        let entries = match block_on(fs.list_status(dir)) {
            Ok(e) => e,
            Err(e) if e.is_not_found() => Vec::new(),
            Err(e) => return Err(fs_err(format!("cannot list '{}'", self.uri), e)),
        };
        let mut beyond: Option<u64> = None;
        for e in entries {
            if let Some((subtask, part)) = parse_committed(e.path.name())
                && subtask == self.subtask
                && part >= self.next_part
            {
                beyond = beyond.max(Some(part));
                continue;
            }
            let Some((subtask, part)) = parse_in_progress(e.path.name()) else {
                continue;
            };
            let stale = (subtask == self.subtask && part >= self.next_part)
                || (self.subtask == 0 && subtask >= ctx.parallelism);
            if stale {
                block_on(fs.delete(&e.path, false))
                    .map_err(|err| fs_err(format!("cannot delete stale '{}'", e.path), err))?;
            }
        }
        // Committed parts past the restored counter exist only when the job was
        // restored from an older checkpoint than the latest one that completed
        // (the newer ones were unreadable): keep them and go on after them.
        // Their records are replayed, so they appear twice.
        if let Some(last) = beyond {
            tracing::warn!(
                sink = %self.uri,
                subtask = self.subtask,
                restored_part = self.next_part,
                last_committed_part = last,
                "committed files newer than the restored checkpoint exist (restored from an older \
                 checkpoint): keeping them; records after that checkpoint are written again"
            );
            self.next_part = last + 1;
        }
        Ok(())
    }
}

/// `(subtask, part)` of a committed file name.
fn parse_committed(name: &str) -> Option<(u32, u64)> {
    let (subtask, part) = name.strip_prefix("part-")?.split_once('-')?;
    Some((subtask.parse().ok()?, part.parse().ok()?))
}

/// `(subtask, part)` of an in-progress file name.
fn parse_in_progress(name: &str) -> Option<(u32, u64)> {
    let (subtask, part) = name
        .strip_prefix(".part-")?
        .strip_suffix(".inprogress")?
        .split_once('-')?;
    Some((subtask.parse().ok()?, part.parse().ok()?))
}

impl<T: Display + Send> StreamOperator<T, ()> for TextFileSink {
    fn open(&mut self, ctx: &RuntimeContext) -> OpResult {
        let (fs, dir) = resolve(&self.uri, &ctx.config)
            .map_err(|e| fs_err(format!("output directory '{}'", self.uri), e))?;
        block_on(fs.mkdirs(&dir, 0o755))
            .map_err(|e| fs_err(format!("cannot create output directory '{}'", self.uri), e))?;
        self.fs = Some(fs);
        self.dir = Some(dir);
        self.config = ctx.config.clone();
        self.restore(ctx)
    }

    #[inline]
    fn process(&mut self, value: T, _ts: Option<i64>, _out: &mut dyn Output<()>) -> OpResult {
        if self.current.is_none() {
            let part = self.next_part;
            self.next_part += 1;
            let name = in_progress_name(self.subtask, part);
            let path = self.path(&name)?;
            let (fs, _) = self.fs()?;
            let w = BlockingWriter::create(fs, &path, true)
                .map_err(|e| fs_err(format!("cannot create '{path}'"), e))?;
            self.current = Some((part, std::io::BufWriter::with_capacity(64 * 1024, w)));
        }
        if let Some((_, w)) = self.current.as_mut() {
            writeln!(w, "{value}")
                .map_err(|e| io_err(format!("cannot write to '{}'", self.uri), e))?;
        }
        Ok(())
    }

    fn snapshot(
        &mut self,
        barrier: &CheckpointBarrier,
    ) -> Result<Option<OperatorSnapshot>, Box<OperatorError>> {
        // A file an earlier snapshot rolled did not close: its checkpoint was
        // declined, and this one would hold it as pending too. Fail, so the
        // job restarts from the last completed checkpoint.
        for c in self.closes.values() {
            if let Some(Err(e)) = c.get() {
                return Err(Box::new(OperatorError::Other(e)));
            }
        }
        if let Some((part, w)) = self.current.take() {
            // Synchronous part: hand the buffered lines to the file system.
            // Asynchronous part: close (make durable) the file.
            let name = format!("{}/{}", self.uri, in_progress_name(self.subtask, part));
            let w = w
                .into_inner()
                .map_err(|e| io_err(format!("cannot write to '{name}'"), e.into_error()))?;
            let done = Completion::default();
            let signal = done.clone();
            self.async_part = Some(AsyncPart::new(move || {
                let r = w
                    .close()
                    .map(|_| ())
                    .map_err(|e| format!("file sink: cannot close '{name}': {e}"));
                signal.set(r.clone());
                r
            }));
            self.closes.insert(part, done);
            self.pending.push(PendingFile {
                checkpoint: barrier.id,
                subtask: self.subtask,
                part,
                dir: self.dir.as_ref().map(|d| d.to_string()).unwrap_or_default(),
            });
        }
        let state = TextFileSinkState {
            subtask: self.subtask,
            next_part: self.next_part,
            pending: self.pending.clone(),
        };
        let bytes = bincode::serde::encode_to_vec(&state, crate::element::codec())
            .map_err(|e| Box::new(OperatorError::Element(e.into())))?;
        Ok(Some(OperatorSnapshot {
            uid: self.uid.clone(),
            key_groups: Vec::new(),
            operator_state: Some(bytes),
        }))
    }

    fn snapshot_async_part(&mut self) -> Option<AsyncPart> {
        self.async_part.take()
    }

    fn checkpoint_complete(&mut self, id: u64) -> OpResult {
        let (ready, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|f| f.checkpoint <= id);
        self.pending = later;
        for f in &ready {
            self.commit(f)?;
        }
        Ok(())
    }

    fn end_input(&mut self, _out: &mut dyn Output<()>) -> OpResult {
        if let Some(part) = self.close_current()? {
            self.pending.push(PendingFile {
                checkpoint: 0,
                subtask: self.subtask,
                part,
                dir: self.dir.as_ref().map(|d| d.to_string()).unwrap_or_default(),
            });
        }
        for f in std::mem::take(&mut self.pending) {
            self.commit(&f)?;
        }
        Ok(())
    }
}

type Collected = Mutex<HashMap<String, Vec<serde_json::Value>>>;

fn collected() -> &'static Collected {
    static C: OnceLock<Collected> = OnceLock::new();
    C.get_or_init(Default::default)
}

/// Collects records (as JSON values) into a process-wide named buffer, for
/// tests and local runs. Read them with [`take_collected`].
pub struct CollectSink {
    name: Arc<str>,
    buffer: Vec<serde_json::Value>,
}

impl CollectSink {
    /// A sink collecting into buffer `name`.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.into(),
            buffer: Vec::new(),
        }
    }
}

impl<T: serde::Serialize + Send> StreamOperator<T, ()> for CollectSink {
    fn process(&mut self, value: T, _ts: Option<i64>, _out: &mut dyn Output<()>) -> OpResult {
        let v = serde_json::to_value(&value)
            .map_err(|e| Box::new(OperatorError::Other(e.to_string())))?;
        self.buffer.push(v);
        if self.buffer.len() >= 4096 {
            collected()
                .lock()
                .entry(self.name.to_string())
                .or_default()
                .append(&mut self.buffer);
        }
        Ok(())
    }
    fn end_input(&mut self, _out: &mut dyn Output<()>) -> OpResult {
        collected()
            .lock()
            .entry(self.name.to_string())
            .or_default()
            .append(&mut self.buffer);
        Ok(())
    }
}

/// Takes everything collected under `name` so far, decoded as `T`.
pub fn take_collected<T: serde::de::DeserializeOwned>(
    name: &str,
) -> Result<Vec<T>, serde_json::Error> {
    let values = collected().lock().remove(name).unwrap_or_default();
    values.into_iter().map(serde_json::from_value).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::output::VecOutput;
    use flink_types::{StateHandle, StateLocation, TaskRestore};

    fn barrier(id: u64) -> CheckpointBarrier {
        CheckpointBarrier {
            id,
            timestamp: 0,
            is_savepoint: false,
        }
    }

    fn files(dir: &std::path::Path) -> Vec<(String, String)> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read_to_string(e.path()).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    }

    fn ctx_with(restore: Option<Vec<Vec<u8>>>) -> RuntimeContext {
        let mut ctx = RuntimeContext::standalone("Text File Sink");
        ctx.restore = restore.map(|states| {
            std::sync::Arc::new(TaskRestore {
                checkpoint_id: 0,
                operator_state: [(
                    ctx.operator_uid.clone(),
                    states
                        .into_iter()
                        .map(|b| StateHandle {
                            size: b.len() as u64,
                            location: StateLocation::Inline(b),
                            key_group_offsets: vec![],
                        })
                        .collect(),
                )]
                .into(),
            })
        });
        ctx
    }

    #[test]
    fn two_phase_commit_on_checkpoints_and_restore() {
        let dir = tempfile::tempdir().unwrap();
        let uri = dir.path().display().to_string();
        let mut out = VecOutput::<()>::default();
        let ctx = ctx_with(None);
        let mut sink = TextFileSink::new(&uri, &ctx);
        StreamOperator::<u32, ()>::open(&mut sink, &ctx).unwrap();
        sink.process(1u32, None, &mut out).unwrap();
        sink.process(2u32, None, &mut out).unwrap();
        let s1 = StreamOperator::<u32, ()>::snapshot(&mut sink, &barrier(1))
            .unwrap()
            .unwrap();
        let close1 = StreamOperator::<u32, ()>::snapshot_async_part(&mut sink).unwrap();
        close1.run().unwrap();
        sink.process(3u32, None, &mut out).unwrap();
        let s2 = StreamOperator::<u32, ()>::snapshot(&mut sink, &barrier(2))
            .unwrap()
            .unwrap();
        // the close runs off the task thread, here a little later
        let close2 = StreamOperator::<u32, ()>::snapshot_async_part(&mut sink).unwrap();
        let closing = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            close2.run().unwrap();
        });
        assert_eq!(s2.uid, ctx.operator_uid);
        let (st1, _): (TextFileSinkState, usize) = bincode::serde::decode_from_slice(
            s1.operator_state.as_deref().unwrap(),
            crate::element::codec(),
        )
        .unwrap();
        assert_eq!(st1.pending.len(), 1);
        let p = &st1.pending[0];
        assert_eq!((p.checkpoint, p.subtask, p.part), (1, 0, 0));
        assert!(p.dir.starts_with("file://"), "{}", p.dir);
        assert_eq!(st1.next_part, 1);
        // nothing committed before a checkpoint completes
        let f = files(dir.path());
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0], (".part-0-0.inprogress".into(), "1\n2\n".into()));
        assert_eq!(f[1].0, ".part-0-1.inprogress");
        StreamOperator::<u32, ()>::checkpoint_complete(&mut sink, 1).unwrap();
        StreamOperator::<u32, ()>::checkpoint_complete(&mut sink, 1).unwrap();
        sink.process(4u32, None, &mut out).unwrap();
        closing.join().unwrap();
        assert_eq!(
            files(dir.path()),
            vec![
                (".part-0-1.inprogress".into(), "3\n".into()),
                (".part-0-2.inprogress".into(), String::new()),
                ("part-0-0".into(), "1\n2\n".into()),
            ]
        );
        drop(sink); // the task dies: record 4 was after checkpoint 2

        // Restore from checkpoint 2 (twice: a restore may repeat).
        let mut restored = None;
        for _ in 0..2 {
            let ctx = ctx_with(Some(vec![s2.operator_state.clone().unwrap()]));
            let mut sink = TextFileSink::new(&uri, &ctx);
            StreamOperator::<u32, ()>::open(&mut sink, &ctx).unwrap();
            assert_eq!(
                files(dir.path()),
                vec![
                    ("part-0-0".into(), "1\n2\n".into()),
                    ("part-0-1".into(), "3\n".into()),
                ],
                "pending file of checkpoint 2 committed, stale in-progress file deleted"
            );
            restored = Some(sink);
        }
        // The replayed record 4 goes to a new part; the end of input commits it.
        let mut sink = restored.unwrap();
        sink.process(4u32, None, &mut out).unwrap();
        StreamOperator::<u32, ()>::end_input(&mut sink, &mut out).unwrap();
        assert_eq!(
            files(dir.path()),
            vec![
                ("part-0-0".into(), "1\n2\n".into()),
                ("part-0-1".into(), "3\n".into()),
                ("part-0-2".into(), "4\n".into()),
            ]
        );
    }

    #[test]
    fn restore_from_an_older_checkpoint_does_not_reuse_committed_parts() {
        let dir = tempfile::tempdir().unwrap();
        let uri = dir.path().display().to_string();
        let mut out = VecOutput::<()>::default();
        // An older checkpoint's state: part 0 pending, counter at 1. A later
        // checkpoint (now unreadable) had committed parts 1 and 2.
        std::fs::write(dir.path().join(".part-0-0.inprogress"), "a\n").unwrap();
        std::fs::write(dir.path().join("part-0-1"), "b\n").unwrap();
        std::fs::write(dir.path().join("part-0-2"), "c\n").unwrap();
        std::fs::write(dir.path().join(".part-0-3.inprogress"), "d\n").unwrap();
        let ctx = RuntimeContext::standalone("Text File Sink");
        let state = TextFileSinkState {
            subtask: 0,
            next_part: 1,
            pending: vec![PendingFile {
                checkpoint: 1,
                subtask: 0,
                part: 0,
                dir: format!("file://{uri}"),
            }],
        };
        let bytes = bincode::serde::encode_to_vec(&state, crate::element::codec()).unwrap();
        let ctx = {
            let mut c = ctx_with(Some(vec![bytes]));
            c.operator_uid = ctx.operator_uid.clone();
            c
        };
        let mut sink = TextFileSink::new(&uri, &ctx);
        StreamOperator::<String, ()>::open(&mut sink, &ctx).unwrap();
        sink.process("b".to_string(), None, &mut out).unwrap();
        StreamOperator::<String, ()>::end_input(&mut sink, &mut out).unwrap();
        assert_eq!(
            files(dir.path()),
            vec![
                ("part-0-0".into(), "a\n".into()),
                ("part-0-1".into(), "b\n".into()),
                ("part-0-2".into(), "c\n".into()),
                ("part-0-3".into(), "b\n".into()),
            ]
        );
    }

    #[test]
    fn commit_waits_for_the_asynchronous_close() {
        let dir = tempfile::tempdir().unwrap();
        let uri = dir.path().display().to_string();
        let mut out = VecOutput::<()>::default();
        let ctx = ctx_with(None);
        let mut sink = TextFileSink::new(&uri, &ctx);
        StreamOperator::<u32, ()>::open(&mut sink, &ctx).unwrap();
        sink.process(7u32, None, &mut out).unwrap();
        StreamOperator::<u32, ()>::snapshot(&mut sink, &barrier(1)).unwrap();
        let close = StreamOperator::<u32, ()>::snapshot_async_part(&mut sink).unwrap();
        let t = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            close.run().unwrap();
        });
        StreamOperator::<u32, ()>::checkpoint_complete(&mut sink, 1).unwrap();
        assert_eq!(
            files(dir.path()),
            vec![("part-0-0".to_string(), "7\n".to_string())]
        );
        t.join().unwrap();
    }
}
