//! Producer side: a [`ResultPartition`] with bounded subpartition queues and
//! the blocking [`ResultPartitionWriter`] a producing task owns.
//!
//! Each subpartition is a FIFO of `Bytes` buffers behind a short mutex. The
//! writer blocks on a condition variable while the queue holds
//! `max_queued_buffers_per_subpartition` buffers. Exactly one consumer
//! (a local input channel or a TCP reader of the data server) is attached
//! per subpartition; it is told through its [`Listener`] when the queue
//! goes from "nothing to read" to "something to read", and then drains it.

use crate::config::MAX_BUFFER_SIZE;
use crate::env::{Core, Counters};
use crate::gate::GateShared;
use crate::{Canceller, NetworkError};
use bytes::Bytes;
use flink_types::ResultPartitionId;
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Weak};
use tokio::sync::mpsc::UnboundedSender;

/// Who to tell that a subpartition has something to read.
pub(crate) enum Listener {
    /// A local input channel of a gate in this process.
    LocalGate {
        gate: Weak<GateShared>,
        channel: usize,
    },
    /// A reader on a data-server connection (wakes that connection's task).
    Server {
        tx: UnboundedSender<u64>,
        receiver: u64,
    },
}

impl Listener {
    fn notify(&self) {
        match self {
            Listener::LocalGate { gate, channel } => {
                if let Some(g) = gate.upgrade() {
                    g.notify_available(*channel);
                }
            }
            Listener::Server { tx, receiver } => {
                // The connection may be gone; its cleanup releases the partition.
                let _ = tx.send(*receiver);
            }
        }
    }
}

/// What a consumer got from a subpartition.
pub(crate) enum SubEvent {
    Buffer {
        data: Bytes,
        /// Buffers still queued after this one.
        backlog: usize,
        /// Something (a buffer or the end of partition) is still to be read.
        more: bool,
    },
    EndOfPartition,
}

#[derive(Default)]
struct SubState {
    queue: VecDeque<Bytes>,
    finished: bool,
    eop_consumed: bool,
    released: Option<String>,
    listener: Option<Listener>,
    has_consumer: bool,
    writer_waiting: bool,
}

impl SubState {
    fn has_event(&self) -> bool {
        !self.queue.is_empty() || (self.finished && !self.eop_consumed)
    }
}

struct Subpartition {
    state: Mutex<SubState>,
    space: Condvar,
}

/// One registered result partition (shared by writer, consumers and the registry).
pub(crate) struct ResultPartition {
    pub(crate) id: ResultPartitionId,
    subs: Box<[Subpartition]>,
    max_queued: usize,
    cancelled: AtomicBool,
    consumed: AtomicU32,
    core: Weak<Core>,
    stats: Arc<Counters>,
}

impl ResultPartition {
    pub(crate) fn new(
        id: ResultPartitionId,
        num_subpartitions: u32,
        max_queued: usize,
        core: Weak<Core>,
        stats: Arc<Counters>,
    ) -> Self {
        let subs = (0..num_subpartitions)
            .map(|_| Subpartition {
                state: Mutex::new(SubState::default()),
                space: Condvar::new(),
            })
            .collect();
        ResultPartition {
            id,
            subs,
            max_queued,
            cancelled: AtomicBool::new(false),
            consumed: AtomicU32::new(0),
            core,
            stats,
        }
    }

    pub(crate) fn num_subpartitions(&self) -> u32 {
        self.subs.len() as u32
    }

    fn sub(&self, index: u32) -> Result<&Subpartition, NetworkError> {
        self.subs.get(index as usize).ok_or_else(|| {
            NetworkError::InvalidArgument(format!(
                "subpartition {index} does not exist in partition {} which has {} subpartitions",
                self.id,
                self.subs.len()
            ))
        })
    }

    fn released_err(&self, reason: &str) -> NetworkError {
        NetworkError::Released {
            partition: self.id,
            reason: reason.to_string(),
        }
    }

    fn write(&self, index: u32, buffer: Bytes) -> Result<(), NetworkError> {
        let sub = self.sub(index)?;
        let len = buffer.len();
        let mut st = sub.state.lock();
        loop {
            if self.cancelled.load(Ordering::Acquire) {
                return Err(NetworkError::Cancelled);
            }
            if let Some(reason) = &st.released {
                return Err(self.released_err(reason));
            }
            if st.finished {
                return Err(NetworkError::InvalidArgument(format!(
                    "write to subpartition {index} of partition {} after finish()",
                    self.id
                )));
            }
            if st.queue.len() < self.max_queued {
                break;
            }
            st.writer_waiting = true;
            sub.space.wait(&mut st);
        }
        let was_empty = st.queue.is_empty();
        st.queue.push_back(buffer);
        self.stats.on_written(len);
        if was_empty && let Some(l) = &st.listener {
            l.notify();
        }
        Ok(())
    }

    fn finish(&self) -> Result<(), NetworkError> {
        for sub in self.subs.iter() {
            let mut st = sub.state.lock();
            if let Some(reason) = &st.released {
                return Err(self.released_err(reason));
            }
            if st.finished {
                continue;
            }
            st.finished = true;
            if st.queue.is_empty()
                && let Some(l) = &st.listener
            {
                l.notify();
            }
        }
        Ok(())
    }

    /// Makes blocked and future writes return `Cancelled`.
    pub(crate) fn cancel_writer(&self) {
        self.cancelled.store(true, Ordering::Release);
        for sub in self.subs.iter() {
            let _guard = sub.state.lock();
            sub.space.notify_all();
        }
    }

    /// Drops all queued data; writers and consumers get `Released`.
    pub(crate) fn release(&self, reason: &str) {
        for sub in self.subs.iter() {
            let mut st = sub.state.lock();
            if st.eop_consumed || st.released.is_some() {
                continue;
            }
            st.released = Some(reason.to_string());
            self.stats.on_dropped(st.queue.len());
            st.queue.clear();
            sub.space.notify_all();
            if let Some(l) = st.listener.take() {
                l.notify();
            }
        }
        if let Some(core) = self.core.upgrade() {
            core.unregister_partition(self);
        }
    }

    /// Attaches the single consumer of subpartition `index`. Returns whether
    /// something is already readable.
    pub(crate) fn attach(&self, index: u32, listener: Listener) -> Result<bool, NetworkError> {
        let sub = self.sub(index)?;
        let mut st = sub.state.lock();
        if let Some(reason) = &st.released {
            return Err(self.released_err(reason));
        }
        if st.has_consumer {
            return Err(NetworkError::InvalidArgument(format!(
                "subpartition {index} of partition {} is already being consumed",
                self.id
            )));
        }
        st.has_consumer = true;
        st.listener = Some(listener);
        Ok(st.has_event())
    }

    /// Takes the next buffer (only if `allow_buffer`, i.e. the consumer has
    /// room) or the end-of-partition once all buffers were taken.
    pub(crate) fn poll(
        &self,
        index: u32,
        allow_buffer: bool,
    ) -> Result<Option<SubEvent>, NetworkError> {
        let sub = self.sub(index)?;
        let mut st = sub.state.lock();
        if let Some(reason) = &st.released {
            return Err(self.released_err(reason));
        }
        if allow_buffer && let Some(data) = st.queue.pop_front() {
            self.stats.on_dequeued();
            if st.writer_waiting {
                st.writer_waiting = false;
                sub.space.notify_one();
            }
            return Ok(Some(SubEvent::Buffer {
                data,
                backlog: st.queue.len(),
                more: st.has_event(),
            }));
        }
        if st.queue.is_empty() && st.finished && !st.eop_consumed {
            st.eop_consumed = true;
            st.listener = None;
            drop(st);
            if self.consumed.fetch_add(1, Ordering::AcqRel) + 1 == self.num_subpartitions()
                && let Some(core) = self.core.upgrade()
            {
                tracing::debug!(partition = %self.id, "all subpartitions consumed; releasing");
                core.unregister_partition(self);
            }
            return Ok(Some(SubEvent::EndOfPartition));
        }
        Ok(None)
    }

    /// The consumer of subpartition `index` went away before the end: the
    /// partition can no longer be delivered completely, so release it.
    pub(crate) fn consumer_gone(&self, index: u32, why: &str) {
        let done = self
            .subs
            .get(index as usize)
            .map(|s| s.state.lock().eop_consumed)
            .unwrap_or(true);
        if !done {
            tracing::debug!(partition = %self.id, index, why, "consumer gone; releasing partition");
            self.release(&format!(
                "the consumer of subpartition {index} went away ({why})"
            ));
        }
    }
}

/// The producing task's handle on its result partition. Blocking; owned by
/// the task thread.
pub struct ResultPartitionWriter {
    partition: Arc<ResultPartition>,
}

impl ResultPartitionWriter {
    pub(crate) fn new(partition: Arc<ResultPartition>) -> Self {
        ResultPartitionWriter { partition }
    }

    /// The partition written.
    pub fn partition_id(&self) -> ResultPartitionId {
        self.partition.id
    }

    /// Number of subpartitions (= consumer subtasks).
    pub fn num_subpartitions(&self) -> u32 {
        self.partition.num_subpartitions()
    }

    /// Enqueues `buffer` for `subpartition`. Blocks while that subpartition
    /// already holds `max_queued_buffers_per_subpartition` unconsumed buffers
    /// (backpressure). Errors when released or cancelled.
    pub fn write(&mut self, subpartition: u32, buffer: Bytes) -> Result<(), NetworkError> {
        if buffer.len() > MAX_BUFFER_SIZE {
            return Err(NetworkError::InvalidArgument(format!(
                "buffer of {} bytes exceeds the maximum of {MAX_BUFFER_SIZE}; split records across buffers of segment-size",
                buffer.len()
            )));
        }
        self.partition.write(subpartition, buffer)
    }

    /// Writes `buffer` to every subpartition (watermarks, barriers, broadcast).
    pub fn broadcast(&mut self, buffer: Bytes) -> Result<(), NetworkError> {
        for i in 0..self.partition.num_subpartitions() {
            self.write(i, buffer.clone())?;
        }
        Ok(())
    }

    /// Signals end-of-partition on every subpartition; queued data is still delivered.
    pub fn finish(&mut self) -> Result<(), NetworkError> {
        self.partition.finish()
    }

    /// A handle another thread can use to make blocked calls return `Cancelled`.
    pub fn canceller(&self) -> Canceller {
        Canceller::writer(self.partition.clone())
    }
}

impl std::fmt::Debug for ResultPartitionWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultPartitionWriter")
            .field("partition", &self.partition.id)
            .field("subpartitions", &self.partition.num_subpartitions())
            .finish()
    }
}
