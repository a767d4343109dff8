//! The operator model: a [`StreamOperator`] sees one record at a time and
//! pushes results into the next operator's [`Output`]. [`Chained`] adapts
//! an operator plus its downstream into the `Output` of its input type,
//! forwarding everything the operator does not handle itself.

use crate::element::CheckpointBarrier;
use crate::runtime::output::{OpResult, Output};
use crate::runtime::snapshot::{AsyncPart, OperatorSnapshot, SnapshotCollector};
use flink_types::{KeyGroupRange, TaskRestore, key_group_range_for_operator};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::Arc;

thread_local! {
    static CURRENT_OPERATOR: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// Index (in the chain's operator name table) of the operator the current
/// thread is executing, for attributing panics.
pub fn current_operator() -> Option<usize> {
    let i = CURRENT_OPERATOR.with(|c| c.get());
    (i != usize::MAX).then_some(i)
}

#[inline]
fn enter(index: usize) {
    CURRENT_OPERATOR.with(|c| c.set(index));
}

/// What an operator instance knows about where it runs.
#[derive(Clone, Debug)]
pub struct RuntimeContext {
    /// Task name with subtask, e.g. `Map (2/4)#0`.
    pub task_name: String,
    /// This operator's name.
    pub operator_name: String,
    /// This operator's uid (state key in snapshots).
    pub operator_uid: String,
    /// Index of the operator in its chain's name table.
    pub operator_index: usize,
    /// Subtask index.
    pub subtask: u32,
    /// Parallelism of the vertex.
    pub parallelism: u32,
    /// Max parallelism (number of key groups).
    pub max_parallelism: u32,
    /// Attempt number.
    pub attempt: u32,
    /// Job configuration.
    pub config: Arc<BTreeMap<String, String>>,
    /// State to restore, if the task starts from a checkpoint.
    pub restore: Option<Arc<TaskRestore>>,
    /// Whether the job runs in BATCH mode.
    pub batch_mode: bool,
}

impl RuntimeContext {
    /// A context for driving an operator outside a task (tests,
    /// benchmarks): subtask 0 of 1, 128 key groups, no restore.
    pub fn standalone(operator_name: &str) -> Self {
        Self {
            task_name: format!("{operator_name} (1/1)#0"),
            operator_name: operator_name.to_string(),
            operator_uid: operator_name.to_lowercase(),
            operator_index: 0,
            subtask: 0,
            parallelism: 1,
            max_parallelism: flink_types::DEFAULT_MAX_PARALLELISM,
            attempt: 0,
            config: Default::default(),
            restore: None,
            batch_mode: false,
        }
    }
    /// Key groups owned by this subtask.
    pub fn key_group_range(&self) -> KeyGroupRange {
        key_group_range_for_operator(self.max_parallelism, self.parallelism, self.subtask)
    }
    /// A job configuration value.
    pub fn config_value(&self, key: &str) -> Option<&str> {
        self.config.get(key).map(String::as_str)
    }
}

/// A one-input operator (Flink `OneInputStreamOperator`).
pub trait StreamOperator<In, Out>: Send {
    /// Called once before any element, after state restore.
    fn open(&mut self, _ctx: &RuntimeContext) -> OpResult {
        Ok(())
    }
    /// One record.
    fn process(&mut self, value: In, ts: Option<i64>, out: &mut dyn Output<Out>) -> OpResult;
    /// The input watermark advanced. Default: forward.
    fn watermark(&mut self, wm: i64, out: &mut dyn Output<Out>) -> OpResult {
        out.watermark(wm)
    }
    /// Processing-time tick. Default: forward.
    fn processing_time(&mut self, now_ms: i64, out: &mut dyn Output<Out>) -> OpResult {
        out.processing_time(now_ms)
    }
    /// Snapshot own state for a checkpoint (the barrier is forwarded after).
    fn snapshot(
        &mut self,
        _barrier: &CheckpointBarrier,
    ) -> Result<Option<OperatorSnapshot>, Box<crate::runtime::output::OperatorError>> {
        Ok(None)
    }
    /// The asynchronous part of the snapshot just taken, if any: work done
    /// off the task thread before the checkpoint is acknowledged (e.g.
    /// closing a file). Called right after [`Self::snapshot`].
    fn snapshot_async_part(&mut self) -> Option<AsyncPart> {
        None
    }
    /// A checkpoint completed.
    fn checkpoint_complete(&mut self, _id: u64) -> OpResult {
        Ok(())
    }
    /// A checkpoint was aborted (what was prepared for it stays pending
    /// until a later checkpoint completes).
    fn checkpoint_aborted(&mut self, _id: u64) -> OpResult {
        Ok(())
    }
    /// End of input: emit what is left (before downstream ends).
    fn end_input(&mut self, _out: &mut dyn Output<Out>) -> OpResult {
        Ok(())
    }
}

/// An operator bound to its downstream: the `Output` of the operator's input type.
pub struct Chained<Op, Out> {
    op: Op,
    out: Box<dyn Output<Out>>,
    index: usize,
}

impl<Op, Out> Chained<Op, Out> {
    /// Binds `op` (chain operator `index`) to `out`.
    pub fn new(op: Op, out: Box<dyn Output<Out>>, index: usize) -> Self {
        Self { op, out, index }
    }
}

impl<In, Out, Op> Output<In> for Chained<Op, Out>
where
    Op: StreamOperator<In, Out>,
    Out: Send,
{
    #[inline]
    fn record(&mut self, value: In, ts: Option<i64>) -> OpResult {
        enter(self.index);
        self.op.process(value, ts, &mut *self.out)
    }
    fn watermark(&mut self, wm: i64) -> OpResult {
        enter(self.index);
        self.op.watermark(wm, &mut *self.out)
    }
    fn watermark_status(&mut self, idle: bool) -> OpResult {
        self.out.watermark_status(idle)
    }
    fn processing_time(&mut self, now_ms: i64) -> OpResult {
        enter(self.index);
        self.op.processing_time(now_ms, &mut *self.out)
    }
    fn checkpoint(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut SnapshotCollector,
    ) -> OpResult {
        enter(self.index);
        if let Some(s) = self.op.snapshot(barrier)? {
            snapshot.add(s);
        }
        if let Some(p) = self.op.snapshot_async_part() {
            snapshot.add_async_part(p);
        }
        self.out.checkpoint(barrier, snapshot)
    }
    fn checkpoint_complete(&mut self, id: u64) -> OpResult {
        enter(self.index);
        self.op.checkpoint_complete(id)?;
        self.out.checkpoint_complete(id)
    }
    fn checkpoint_aborted(&mut self, id: u64) -> OpResult {
        enter(self.index);
        self.op.checkpoint_aborted(id)?;
        self.out.checkpoint_aborted(id)
    }
    fn end_input(&mut self) -> OpResult {
        enter(self.index);
        self.op.end_input(&mut *self.out)?;
        self.out.end_input()
    }
}
