//! The typed push interface between chained operators, and the outputs at
//! the ends of a chain: fan-out to several successors and the network
//! record writer that serializes into buffers for a result partition.

use crate::element::{self, CheckpointBarrier};
use crate::runtime::snapshot::SnapshotCollector;
use bytes::BytesMut;
use flink_network::ResultPartitionWriter;
use flink_types::{ShipStrategy, key_group_for_hash, operator_index_for_key_group};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// An error raised inside an operator; fails the task.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// The network layer failed (released, cancelled, connection lost).
    #[error(transparent)]
    Network(#[from] flink_network::NetworkError),
    /// A record could not be (de)serialized.
    #[error(transparent)]
    Element(#[from] element::ElementError),
    /// I/O in a source or sink.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file-system call (local or HDFS) in a source, sink or checkpoint.
    #[error("{context}: {source}")]
    Fs {
        /// What was being done.
        context: String,
        /// The file-system error.
        source: flink_fs::FsError,
    },
    /// Anything else, with a message.
    #[error("{0}")]
    Other(String),
}

/// Result of pushing into an operator. Boxed error keeps the hot path small.
pub type OpResult = Result<(), Box<OperatorError>>;

impl From<flink_network::NetworkError> for Box<OperatorError> {
    fn from(e: flink_network::NetworkError) -> Self {
        Box::new(OperatorError::Network(e))
    }
}
impl From<element::ElementError> for Box<OperatorError> {
    fn from(e: element::ElementError) -> Self {
        Box::new(OperatorError::Element(e))
    }
}

/// The input side of an operator, as seen by the operator before it in a
/// chain (Flink's `Output` and `Input` in one). Every event flows
/// downstream through it.
pub trait Output<T>: Send {
    /// A record with its optional event timestamp (the hot path).
    fn record(&mut self, value: T, ts: Option<i64>) -> OpResult;
    /// The combined input watermark advanced to `wm`.
    fn watermark(&mut self, wm: i64) -> OpResult;
    /// The upstream went idle (`true`) or active again (`false`); idle inputs
    /// do not hold back the downstream watermark.
    fn watermark_status(&mut self, idle: bool) -> OpResult;
    /// Periodic processing-time tick (fires processing-time timers, flushes buffers).
    fn processing_time(&mut self, now_ms: i64) -> OpResult;
    /// All barriers of checkpoint `barrier.id` arrived: snapshot state into
    /// `snapshot`, then forward the barrier.
    fn checkpoint(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut SnapshotCollector,
    ) -> OpResult;
    /// Checkpoint `id` is complete everywhere.
    fn checkpoint_complete(&mut self, id: u64) -> OpResult;
    /// Checkpoint `id` was aborted. Default: nothing to do (ends of chains).
    fn checkpoint_aborted(&mut self, _id: u64) -> OpResult {
        Ok(())
    }
    /// The input ended: flush everything and propagate.
    fn end_input(&mut self) -> OpResult;
}

/// Several successors: records are cloned to all but the last.
pub struct Fanout<T> {
    outputs: Vec<Box<dyn Output<T>>>,
}

impl<T> Fanout<T> {
    /// A fan-out over `outputs` (at least two).
    pub fn new(outputs: Vec<Box<dyn Output<T>>>) -> Self {
        Self { outputs }
    }
}

impl<T: Clone + Send> Output<T> for Fanout<T> {
    #[inline]
    fn record(&mut self, value: T, ts: Option<i64>) -> OpResult {
        if let Some((last, rest)) = self.outputs.split_last_mut() {
            for o in rest {
                o.record(value.clone(), ts)?;
            }
            last.record(value, ts)?;
        }
        Ok(())
    }
    fn watermark(&mut self, wm: i64) -> OpResult {
        self.outputs.iter_mut().try_for_each(|o| o.watermark(wm))
    }
    fn watermark_status(&mut self, idle: bool) -> OpResult {
        self.outputs
            .iter_mut()
            .try_for_each(|o| o.watermark_status(idle))
    }
    fn processing_time(&mut self, now_ms: i64) -> OpResult {
        self.outputs
            .iter_mut()
            .try_for_each(|o| o.processing_time(now_ms))
    }
    fn checkpoint(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut SnapshotCollector,
    ) -> OpResult {
        self.outputs
            .iter_mut()
            .try_for_each(|o| o.checkpoint(barrier, snapshot))
    }
    fn checkpoint_complete(&mut self, id: u64) -> OpResult {
        self.outputs
            .iter_mut()
            .try_for_each(|o| o.checkpoint_complete(id))
    }
    fn checkpoint_aborted(&mut self, id: u64) -> OpResult {
        self.outputs
            .iter_mut()
            .try_for_each(|o| o.checkpoint_aborted(id))
    }
    fn end_input(&mut self) -> OpResult {
        self.outputs.iter_mut().try_for_each(|o| o.end_input())
    }
}

/// Discards everything (an operator with no successors that is not a sink).
pub struct Discard;

impl<T: Send> Output<T> for Discard {
    fn record(&mut self, _: T, _: Option<i64>) -> OpResult {
        Ok(())
    }
    fn watermark(&mut self, _: i64) -> OpResult {
        Ok(())
    }
    fn watermark_status(&mut self, _: bool) -> OpResult {
        Ok(())
    }
    fn processing_time(&mut self, _: i64) -> OpResult {
        Ok(())
    }
    fn checkpoint(&mut self, _: &CheckpointBarrier, _: &mut SnapshotCollector) -> OpResult {
        Ok(())
    }
    fn checkpoint_complete(&mut self, _: u64) -> OpResult {
        Ok(())
    }
    fn end_input(&mut self) -> OpResult {
        Ok(())
    }
}

/// Keeps every record with its timestamp and the last watermark: the end of
/// a chain when an operator is driven outside a task (tests, benchmarks).
#[derive(Debug)]
pub struct VecOutput<T> {
    /// Records with their timestamps, in arrival order.
    pub records: Vec<(T, Option<i64>)>,
    /// The last watermark seen.
    pub watermark: Option<i64>,
}

impl<T> Default for VecOutput<T> {
    fn default() -> Self {
        Self {
            records: Vec::new(),
            watermark: None,
        }
    }
}

impl<T: Send> Output<T> for VecOutput<T> {
    fn record(&mut self, value: T, ts: Option<i64>) -> OpResult {
        self.records.push((value, ts));
        Ok(())
    }
    fn watermark(&mut self, wm: i64) -> OpResult {
        self.watermark = Some(wm);
        Ok(())
    }
    fn watermark_status(&mut self, _: bool) -> OpResult {
        Ok(())
    }
    fn processing_time(&mut self, _: i64) -> OpResult {
        Ok(())
    }
    fn checkpoint(&mut self, _: &CheckpointBarrier, _: &mut SnapshotCollector) -> OpResult {
        Ok(())
    }
    fn checkpoint_complete(&mut self, _: u64) -> OpResult {
        Ok(())
    }
    fn end_input(&mut self) -> OpResult {
        Ok(())
    }
}

/// Hash of a record's key, for HASH partitioning.
pub type KeyHashFn<T> = Arc<dyn Fn(&T) -> u64 + Send + Sync>;

/// How a record writer picks subpartitions.
pub enum ChannelSelector<T> {
    /// Always subpartition 0 (FORWARD, GLOBAL).
    Single,
    /// Round robin (REBALANCE, RESCALE).
    RoundRobin(usize),
    /// By key group.
    Hash {
        /// Key hash.
        key_hash: KeyHashFn<T>,
        /// Consumer max parallelism.
        max_parallelism: u32,
        /// Consumer parallelism.
        parallelism: u32,
    },
    /// Every subpartition.
    Broadcast,
}

impl<T> ChannelSelector<T> {
    /// The selector for a ship strategy.
    pub fn for_strategy(
        strategy: ShipStrategy,
        key_hash: Option<KeyHashFn<T>>,
        max_parallelism: u32,
        parallelism: u32,
        subtask: u32,
    ) -> Self {
        match (strategy, key_hash) {
            (ShipStrategy::Hash, Some(key_hash)) => Self::Hash {
                key_hash,
                max_parallelism,
                parallelism,
            },
            (ShipStrategy::Broadcast, _) => Self::Broadcast,
            (ShipStrategy::Forward | ShipStrategy::Global, _) => Self::Single,
            // Start round robin at a subtask-dependent offset, as Flink does, so
            // producers do not all hit consumer 0 first.
            _ => Self::RoundRobin(subtask as usize),
        }
    }
}

/// Serializes records into buffers of one result partition (Flink `RecordWriter`).
pub struct NetworkOutput<T> {
    writer: ResultPartitionWriter,
    buffers: Vec<BytesMut>,
    selector: ChannelSelector<T>,
    segment_size: usize,
    flush_interval_ms: i64,
    last_flush_ms: i64,
}

impl<T> NetworkOutput<T> {
    /// A record writer over `writer`.
    pub fn new(
        writer: ResultPartitionWriter,
        selector: ChannelSelector<T>,
        segment_size: usize,
        buffer_timeout: Duration,
    ) -> Self {
        let n = writer.num_subpartitions() as usize;
        Self {
            writer,
            buffers: (0..n)
                .map(|_| BytesMut::with_capacity(segment_size))
                .collect(),
            selector,
            segment_size,
            flush_interval_ms: buffer_timeout.as_millis() as i64,
            last_flush_ms: 0,
        }
    }

    #[inline]
    fn maybe_flush(&mut self, sp: usize) -> OpResult {
        if self.buffers[sp].len() >= self.segment_size {
            self.flush_one(sp)?;
        }
        Ok(())
    }

    fn flush_one(&mut self, sp: usize) -> OpResult {
        if !self.buffers[sp].is_empty() {
            let full = std::mem::replace(
                &mut self.buffers[sp],
                BytesMut::with_capacity(self.segment_size),
            );
            self.writer.write(sp as u32, full.freeze())?;
        }
        Ok(())
    }

    /// Sends every non-empty buffer.
    pub fn flush_all(&mut self) -> OpResult {
        for sp in 0..self.buffers.len() {
            self.flush_one(sp)?;
        }
        Ok(())
    }
}

impl<T: Serialize + Send> Output<T> for NetworkOutput<T> {
    #[inline]
    fn record(&mut self, value: T, ts: Option<i64>) -> OpResult {
        let n = self.buffers.len();
        if n == 0 {
            return Ok(());
        }
        let sp = match &mut self.selector {
            ChannelSelector::Single => 0,
            ChannelSelector::RoundRobin(next) => {
                *next = (*next + 1) % n;
                *next
            }
            ChannelSelector::Hash {
                key_hash,
                max_parallelism,
                parallelism,
            } => {
                let kg = key_group_for_hash(key_hash(&value), *max_parallelism);
                (operator_index_for_key_group(*max_parallelism, *parallelism, kg) as usize)
                    .min(n - 1)
            }
            ChannelSelector::Broadcast => {
                let start = self.buffers[0].len();
                element::write_record(&mut self.buffers[0], &value, ts)?;
                let (first, rest) = self.buffers.split_at_mut(1);
                let encoded = &first[0][start..];
                for b in rest.iter_mut() {
                    b.extend_from_slice(encoded);
                }
                for sp in 0..n {
                    self.maybe_flush(sp)?;
                }
                return Ok(());
            }
        };
        element::write_record(&mut self.buffers[sp], &value, ts)?;
        self.maybe_flush(sp)
    }

    fn watermark(&mut self, wm: i64) -> OpResult {
        for sp in 0..self.buffers.len() {
            element::write_watermark(&mut self.buffers[sp], wm);
            self.maybe_flush(sp)?;
        }
        Ok(())
    }

    fn watermark_status(&mut self, idle: bool) -> OpResult {
        for sp in 0..self.buffers.len() {
            element::write_status(&mut self.buffers[sp], idle);
            self.maybe_flush(sp)?;
        }
        Ok(())
    }

    fn processing_time(&mut self, now_ms: i64) -> OpResult {
        if now_ms - self.last_flush_ms >= self.flush_interval_ms {
            self.last_flush_ms = now_ms;
            self.flush_all()?;
        }
        Ok(())
    }

    fn checkpoint(&mut self, barrier: &CheckpointBarrier, _: &mut SnapshotCollector) -> OpResult {
        for b in &mut self.buffers {
            element::write_barrier(b, barrier);
        }
        self.flush_all()
    }

    fn checkpoint_complete(&mut self, _: u64) -> OpResult {
        Ok(())
    }

    fn end_input(&mut self) -> OpResult {
        self.flush_all()?;
        self.writer.finish()?;
        Ok(())
    }
}
