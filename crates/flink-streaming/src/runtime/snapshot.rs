//! What operators write when they snapshot for a checkpoint, how a
//! subtask's snapshots become the state handles of its acknowledgement
//! ([`persist`]), and how restored handles are read back and split by key
//! group ([`materialize_restore`]).

use flink_types::{KeyGroupRange, StateHandle, StateLocation, TaskRestore, TaskStateSnapshot};
use std::sync::Arc;

/// State of one operator in one subtask for one checkpoint.
#[derive(Debug, Default, Clone)]
pub struct OperatorSnapshot {
    /// The operator uid.
    pub uid: String,
    /// Keyed state, one serialized blob per key group.
    pub key_groups: Vec<(u32, Vec<u8>)>,
    /// Non-keyed (operator) state, e.g. a source offset or a sink's pending files.
    pub operator_state: Option<Vec<u8>>,
}

/// Collects the operator snapshots of one subtask while a barrier walks the chain.
#[derive(Debug, Default)]
pub struct SnapshotCollector {
    /// Snapshots in chain order.
    pub operators: Vec<OperatorSnapshot>,
    /// Work to finish off the task thread before the acknowledgement.
    pub async_parts: Vec<AsyncPart>,
}

impl SnapshotCollector {
    /// Adds an operator's snapshot.
    pub fn add(&mut self, snapshot: OperatorSnapshot) {
        self.operators.push(snapshot);
    }
    /// Adds work that must finish before the checkpoint is acknowledged.
    pub fn add_async_part(&mut self, part: AsyncPart) {
        self.async_parts.push(part);
    }
}

type CompletionCell = (
    parking_lot::Mutex<Option<Result<(), String>>>,
    parking_lot::Condvar,
);

/// One blob to write: operator uid, file name, bytes, key-group offsets.
type Blob = (String, String, Vec<u8>, Vec<(u32, u64)>);

type AsyncWork = Box<dyn FnOnce() -> Result<(), String> + Send>;

/// The asynchronous part of an operator's snapshot (Flink's async snapshot
/// phase): work that must be done before the checkpoint is acknowledged but
/// need not block the task, e.g. closing (making durable) a file. The
/// uploader runs it before writing the state; an error declines the
/// checkpoint.
#[derive(Clone)]
pub struct AsyncPart {
    work: Arc<parking_lot::Mutex<Option<AsyncWork>>>,
}

impl AsyncPart {
    /// Wraps `work`.
    pub fn new(work: impl FnOnce() -> Result<(), String> + Send + 'static) -> Self {
        Self {
            work: Arc::new(parking_lot::Mutex::new(Some(Box::new(work)))),
        }
    }
    /// Runs the work (once; later calls do nothing).
    pub fn run(&self) -> Result<(), String> {
        let work = self.work.lock().take();
        match work {
            Some(w) => w(),
            None => Ok(()),
        }
    }
}

impl std::fmt::Debug for AsyncPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AsyncPart")
    }
}

/// A result set once by one thread and awaited by another (e.g. a sink
/// waiting until the asynchronous close of a file is done before renaming it).
#[derive(Clone, Debug, Default)]
pub struct Completion {
    inner: Arc<CompletionCell>,
}

impl Completion {
    /// Sets the result and wakes waiters.
    pub fn set(&self, r: Result<(), String>) {
        *self.inner.0.lock() = Some(r);
        self.inner.1.notify_all();
    }
    /// The result, if set.
    pub fn get(&self) -> Option<Result<(), String>> {
        self.inner.0.lock().clone()
    }
    /// Waits for the result.
    pub fn wait(&self) -> Result<(), String> {
        let mut g = self.inner.0.lock();
        loop {
            if let Some(r) = &*g {
                return r.clone();
            }
            self.inner.1.wait(&mut g);
        }
    }
}

/// Persists one state blob of a checkpoint: `(checkpoint id, name, bytes)`
/// to where it lives (checkpoint storage, or inline in the acknowledgement).
pub type StateWriter =
    Arc<dyn Fn(u64, &str, Vec<u8>) -> Result<StateLocation, String> + Send + Sync>;

/// Reads the bytes of a state location.
pub type StateReader = Arc<dyn Fn(&StateLocation) -> Result<Vec<u8>, String> + Send + Sync>;

/// A writer that keeps every blob inline (no checkpoint directory configured).
pub fn inline_writer() -> StateWriter {
    Arc::new(|_, _, bytes| Ok(StateLocation::Inline(bytes)))
}

/// At most this many state blobs of one task are written at the same time.
const PARALLEL_WRITES: usize = 8;

/// Turns the operator snapshots of one subtask into the handles of its
/// acknowledgement: per operator one handle for keyed state (the key-group
/// blobs concatenated, `key_group_offsets` saying where each starts) and one
/// for operator state. `name` (e.g. `<subtask>-<attempt>`) goes into file
/// names. The blobs are written concurrently (a file close on HDFS waits for
/// the DataNode's report, so sequential writes would add up).
pub fn persist(
    snapshots: Vec<OperatorSnapshot>,
    checkpoint_id: u64,
    name: &str,
    writer: &StateWriter,
) -> Result<TaskStateSnapshot, String> {
    let mut blobs: Vec<Blob> = Vec::new();
    for s in snapshots {
        if !s.key_groups.is_empty() {
            let total = s.key_groups.iter().map(|(_, b)| b.len()).sum();
            let mut bytes = Vec::with_capacity(total);
            let mut offsets = Vec::with_capacity(s.key_groups.len());
            for (kg, blob) in &s.key_groups {
                offsets.push((*kg, bytes.len() as u64));
                bytes.extend_from_slice(blob);
            }
            blobs.push((
                s.uid.clone(),
                format!("{}-{name}-keyed", s.uid),
                bytes,
                offsets,
            ));
        }
        if let Some(bytes) = s.operator_state {
            blobs.push((
                s.uid.clone(),
                format!("{}-{name}-op", s.uid),
                bytes,
                Vec::new(),
            ));
        }
    }
    let write = |(uid, file, bytes, offsets): Blob| {
        let size = bytes.len() as u64;
        let what = if offsets.is_empty() {
            "operator"
        } else {
            "keyed"
        };
        writer(checkpoint_id, &file, bytes)
            .map(|location| {
                (
                    uid.clone(),
                    StateHandle {
                        location,
                        key_group_offsets: offsets,
                        size,
                    },
                )
            })
            .map_err(|e| format!("operator '{uid}': cannot write {what} state: {e}"))
    };
    let mut written = Vec::with_capacity(blobs.len());
    let mut blobs = blobs.into_iter().peekable();
    while blobs.peek().is_some() {
        let batch: Vec<_> = blobs.by_ref().take(PARALLEL_WRITES).collect();
        if batch.len() == 1 {
            written.extend(batch.into_iter().map(write));
            continue;
        }
        std::thread::scope(|scope| {
            let running: Vec<_> = batch
                .into_iter()
                .map(|b| scope.spawn(|| write(b)))
                .collect();
            for r in running {
                written.push(
                    r.join()
                        .unwrap_or_else(|_| Err("state writer panicked".to_string())),
                );
            }
        });
    }
    let mut out = TaskStateSnapshot::new();
    for w in written {
        let (uid, handle) = w?;
        out.entry(uid).or_default().push(handle);
    }
    Ok(out)
}

/// Reads the state handed to a subtask into memory, in the form operators
/// restore from: every keyed handle is split into one inline handle per key
/// group, keeping only the key groups in `range` (which is how a restore
/// changes parallelism); operator-state handles become inline as they are.
pub fn materialize_restore(
    restore: &TaskRestore,
    range: KeyGroupRange,
    reader: &StateReader,
) -> Result<TaskRestore, String> {
    let mut out = TaskRestore {
        checkpoint_id: restore.checkpoint_id,
        operator_state: Default::default(),
    };
    for (uid, handles) in &restore.operator_state {
        let mut kept = Vec::new();
        for h in handles {
            if !h.key_group_offsets.is_empty()
                && !h
                    .key_group_offsets
                    .iter()
                    .any(|(kg, _)| range.contains(*kg))
            {
                continue;
            }
            let bytes = reader(&h.location)
                .map_err(|e| format!("operator '{uid}': cannot read state: {e}"))?;
            if h.key_group_offsets.is_empty() {
                kept.push(StateHandle {
                    size: bytes.len() as u64,
                    location: StateLocation::Inline(bytes),
                    key_group_offsets: Vec::new(),
                });
                continue;
            }
            let mut offsets = h.key_group_offsets.clone();
            offsets.sort_by_key(|&(_, off)| off);
            for (i, &(kg, start)) in offsets.iter().enumerate() {
                let end = offsets
                    .get(i + 1)
                    .map(|&(_, o)| o)
                    .unwrap_or(bytes.len() as u64);
                let blob = usize::try_from(start)
                    .ok()
                    .zip(usize::try_from(end).ok())
                    .and_then(|(s, e)| bytes.get(s..e))
                    .ok_or_else(|| {
                        format!(
                            "operator '{uid}': key group {kg} at bytes {start}..{end} lies outside \
                             its state ({} bytes): the checkpoint is corrupt",
                            bytes.len()
                        )
                    })?;
                if range.contains(kg) {
                    kept.push(StateHandle {
                        size: blob.len() as u64,
                        location: StateLocation::Inline(blob.to_vec()),
                        key_group_offsets: vec![(kg, 0)],
                    });
                }
            }
        }
        out.operator_state.insert(uid.clone(), kept);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_state_is_split_by_key_group_on_restore() {
        let snap = OperatorSnapshot {
            uid: "op".into(),
            key_groups: vec![(1, vec![1, 1]), (5, vec![5]), (9, vec![9, 9, 9])],
            operator_state: Some(vec![42]),
        };
        let acked = persist(vec![snap], 3, "0-0", &inline_writer()).unwrap();
        let handles = &acked["op"];
        assert_eq!(handles.len(), 2);
        assert_eq!(handles[0].key_group_offsets, vec![(1, 0), (5, 2), (9, 3)]);
        let restore = TaskRestore {
            checkpoint_id: 3,
            operator_state: acked,
        };
        let reader: StateReader = Arc::new(|l| match l {
            StateLocation::Inline(b) => Ok(b.clone()),
            StateLocation::File(f) => Err(format!("no file {f}")),
        });
        let got =
            materialize_restore(&restore, KeyGroupRange { start: 4, end: 9 }, &reader).unwrap();
        let h = &got.operator_state["op"];
        assert_eq!(h.len(), 3, "{h:?}");
        assert_eq!(h[0].location, StateLocation::Inline(vec![5]));
        assert_eq!(h[0].key_group_offsets, vec![(5, 0)]);
        assert_eq!(h[1].location, StateLocation::Inline(vec![9, 9, 9]));
        assert_eq!(h[2].location, StateLocation::Inline(vec![42]));
        assert!(h[2].key_group_offsets.is_empty());
    }

    #[test]
    fn corrupt_offsets_are_an_error() {
        let restore = TaskRestore {
            checkpoint_id: 1,
            operator_state: [(
                "op".to_string(),
                vec![StateHandle {
                    location: StateLocation::Inline(vec![1, 2]),
                    key_group_offsets: vec![(0, 0), (1, 7)],
                    size: 2,
                }],
            )]
            .into(),
        };
        let reader: StateReader = Arc::new(|_| Ok(vec![1, 2]));
        let e =
            materialize_restore(&restore, KeyGroupRange { start: 0, end: 1 }, &reader).unwrap_err();
        assert!(e.contains("corrupt"), "{e}");
    }
}
