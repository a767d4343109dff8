//! The task side of checkpoints: aligning barriers across input channels
//! ([`BarrierAligner`]) and uploading snapshots off the task thread
//! ([`SnapshotUploader`]).
//!
//! Alignment (Flink's aligned checkpoints): when barrier `n` arrives on a
//! channel, the task blocks that channel (its data stays in the gate and
//! back-pressures the producer) until every channel of every input gate has
//! delivered barrier `n` or has ended. Then the chain snapshots its operators,
//! forwards the barrier and unblocks. So the snapshot holds exactly the
//! effects of the records before barrier `n` on every channel. A barrier of a
//! newer checkpoint aborts the alignment of an older one (the older checkpoint
//! is declined); barriers of checkpoints older than the current one are
//! stale and ignored.

use crate::element::CheckpointBarrier;
use crate::runtime::snapshot::{
    AsyncPart, OperatorSnapshot, SnapshotCollector, StateWriter, persist,
};
use flink_types::{ExecutionAttemptId, TaskEvents};
use std::sync::Arc;
use std::thread::JoinHandle;

/// What a barrier arriving on a channel means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarrierOutcome {
    /// A barrier of an older (aborted or completed) checkpoint: ignore it.
    Stale,
    /// The channel must be blocked until the alignment completes.
    Block,
    /// All channels delivered the barrier (or ended): snapshot now, then
    /// unblock every channel.
    Aligned(CheckpointBarrier),
}

#[derive(Debug)]
struct Pending {
    barrier: CheckpointBarrier,
    seen: Vec<bool>,
}

/// Barrier alignment bookkeeping over all input channels of a task
/// (channels of several gates numbered consecutively).
#[derive(Debug)]
pub struct BarrierAligner {
    finished: Vec<bool>,
    pending: Option<Pending>,
    /// Highest checkpoint id whose alignment started.
    last_started: u64,
}

impl BarrierAligner {
    /// An aligner over `channels` channels.
    pub fn new(channels: usize) -> Self {
        Self {
            finished: vec![false; channels],
            pending: None,
            last_started: 0,
        }
    }

    /// The checkpoint being aligned, if any.
    pub fn pending(&self) -> Option<u64> {
        self.pending.as_ref().map(|p| p.barrier.id)
    }

    fn aligned(&self) -> bool {
        self.pending.as_ref().is_some_and(|p| {
            p.seen
                .iter()
                .zip(&self.finished)
                .all(|(&seen, &finished)| seen || finished)
        })
    }

    fn take_if_aligned(&mut self) -> Option<CheckpointBarrier> {
        if self.aligned() {
            self.pending.take().map(|p| p.barrier)
        } else {
            None
        }
    }

    /// Barrier `barrier` arrived on `channel`. The second value is an older
    /// checkpoint whose alignment this barrier aborted (decline it and
    /// unblock the channels before acting on the outcome).
    pub fn on_barrier(
        &mut self,
        channel: usize,
        barrier: CheckpointBarrier,
    ) -> (BarrierOutcome, Option<u64>) {
        let mut aborted = None;
        match &self.pending {
            Some(p) if barrier.id == p.barrier.id => {}
            Some(p) if barrier.id < p.barrier.id => return (BarrierOutcome::Stale, None),
            _ if barrier.id <= self.last_started => return (BarrierOutcome::Stale, None),
            pending => {
                aborted = pending.as_ref().map(|p| p.barrier.id);
                self.last_started = barrier.id;
                self.pending = Some(Pending {
                    barrier,
                    seen: vec![false; self.finished.len()],
                });
            }
        }
        if let Some(p) = self.pending.as_mut()
            && let Some(s) = p.seen.get_mut(channel)
        {
            *s = true;
        }
        match self.take_if_aligned() {
            Some(b) => (BarrierOutcome::Aligned(b), aborted),
            None => (BarrierOutcome::Block, aborted),
        }
    }

    /// `channel` ended; it counts as aligned from now on. Returns the
    /// barrier whose alignment this completes.
    pub fn on_channel_finished(&mut self, channel: usize) -> Option<CheckpointBarrier> {
        if let Some(f) = self.finished.get_mut(channel) {
            *f = true;
        }
        self.take_if_aligned()
    }

    /// Checkpoint `id` was aborted: stop aligning it. Returns whether an
    /// alignment was in progress (the caller unblocks the channels).
    pub fn abort(&mut self, id: u64) -> bool {
        if self.pending.as_ref().is_some_and(|p| p.barrier.id <= id) {
            self.pending = None;
            self.last_started = self.last_started.max(id);
            true
        } else {
            false
        }
    }
}

type Job = (u64, Vec<OperatorSnapshot>, Vec<AsyncPart>);

/// Uploads the snapshots of one task off the task thread (one uploader
/// thread per task, started on the first checkpoint, in checkpoint order),
/// then acknowledges the checkpoint to the JobManager, or declines it with
/// the reason when writing failed.
pub struct SnapshotUploader {
    attempt: ExecutionAttemptId,
    events: Arc<dyn TaskEvents>,
    writer: StateWriter,
    name: String,
    tx: Option<crossbeam_channel::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl SnapshotUploader {
    /// An uploader for `attempt`, writing through `writer`.
    pub fn new(
        attempt: ExecutionAttemptId,
        events: Arc<dyn TaskEvents>,
        writer: StateWriter,
    ) -> Self {
        Self {
            name: format!("{}-{}", attempt.subtask, attempt.attempt),
            attempt,
            events,
            writer,
            tx: None,
            thread: None,
        }
    }

    /// Queues the synchronous snapshot of checkpoint `id` for its
    /// asynchronous parts, upload and acknowledgement.
    pub fn submit(&mut self, id: u64, collector: SnapshotCollector) {
        let SnapshotCollector {
            operators: snapshots,
            async_parts,
        } = collector;
        if self.tx.is_none() {
            let (tx, rx) = crossbeam_channel::unbounded::<Job>();
            let (attempt, events, writer, name) = (
                self.attempt,
                self.events.clone(),
                self.writer.clone(),
                self.name.clone(),
            );
            let spawned = std::thread::Builder::new()
                .name(format!("snapshot-upload-{}", attempt.subtask))
                .spawn(move || {
                    // After a failed asynchronous part (e.g. a file that did
                    // not close), later checkpoints may hold state that depends
                    // on it: decline them all.
                    let mut failed: Option<String> = None;
                    for (id, snapshots, parts) in rx {
                        if failed.is_some() {
                            for p in &parts {
                                let _ = p.run();
                            }
                        } else {
                            // Asynchronous parts and state upload run side by side;
                            // both must be done before the acknowledgement.
                            let (parts_result, persisted) = std::thread::scope(|scope| {
                                let closing = (!parts.is_empty()).then(|| {
                                    scope.spawn(|| {
                                        parts.iter().map(|p| p.run()).find(|r| r.is_err())
                                    })
                                });
                                let persisted = persist(snapshots, id, &name, &writer);
                                let parts_result = match closing.map(|h| h.join()) {
                                    Some(Ok(Some(Err(e)))) => Err(e),
                                    Some(Err(_)) => Err("asynchronous part panicked".to_string()),
                                    _ => Ok(()),
                                };
                                (parts_result, persisted)
                            });
                            if let Err(e) = parts_result {
                                failed = Some(e);
                            } else {
                                acknowledge(attempt, &*events, id, persisted);
                                continue;
                            }
                        }
                        let e = failed.as_deref().unwrap_or_default();
                        tracing::warn!(checkpoint = id, reason = %e, "checkpoint declined");
                        events.checkpoint_declined(
                            attempt,
                            id,
                            format!("asynchronous part of the snapshot failed: {e}"),
                        );
                    }
                });
            match spawned {
                Ok(t) => {
                    self.tx = Some(tx);
                    self.thread = Some(t);
                }
                Err(e) => {
                    for p in &async_parts {
                        let _ = p.run();
                    }
                    self.events.checkpoint_declined(
                        self.attempt,
                        id,
                        format!("cannot start the snapshot upload thread: {e}"),
                    );
                    return;
                }
            }
        }
        if let Some(tx) = &self.tx
            && let Err(crossbeam_channel::SendError((_, _, parts))) =
                tx.send((id, snapshots, async_parts))
        {
            for p in &parts {
                let _ = p.run();
            }
            self.events.checkpoint_declined(
                self.attempt,
                id,
                "the snapshot upload thread is gone".into(),
            );
        }
    }

    /// Waits until every queued snapshot is acknowledged or declined.
    pub fn finish(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Stops taking snapshots without waiting for queued ones (the task
    /// failed or was cancelled: its acknowledgements no longer matter).
    pub fn abandon(&mut self) {
        self.tx = None;
        self.thread = None;
    }
}

impl Drop for SnapshotUploader {
    fn drop(&mut self) {
        self.abandon();
    }
}

fn acknowledge(
    attempt: ExecutionAttemptId,
    events: &dyn TaskEvents,
    id: u64,
    persisted: Result<flink_types::TaskStateSnapshot, String>,
) {
    match persisted {
        Ok(snapshot) => {
            tracing::debug!(checkpoint = id, "snapshot uploaded");
            events.checkpoint_acknowledged(attempt, id, snapshot);
        }
        Err(reason) => {
            tracing::warn!(checkpoint = id, %reason, "checkpoint declined");
            events.checkpoint_declined(attempt, id, reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(id: u64) -> CheckpointBarrier {
        CheckpointBarrier {
            id,
            timestamp: 0,
            is_savepoint: false,
        }
    }

    #[test]
    fn aligns_over_all_channels() {
        let mut a = BarrierAligner::new(3);
        assert_eq!(a.on_barrier(1, b(1)), (BarrierOutcome::Block, None));
        assert_eq!(a.on_barrier(0, b(1)), (BarrierOutcome::Block, None));
        assert_eq!(a.pending(), Some(1));
        assert_eq!(a.on_barrier(2, b(1)), (BarrierOutcome::Aligned(b(1)), None));
        assert_eq!(a.pending(), None);
        // a late duplicate is stale
        assert_eq!(a.on_barrier(2, b(1)), (BarrierOutcome::Stale, None));
    }

    #[test]
    fn single_channel_aligns_at_once() {
        let mut a = BarrierAligner::new(1);
        assert_eq!(a.on_barrier(0, b(4)), (BarrierOutcome::Aligned(b(4)), None));
    }

    #[test]
    fn finished_channels_count_as_aligned() {
        let mut a = BarrierAligner::new(3);
        assert_eq!(a.on_barrier(0, b(1)), (BarrierOutcome::Block, None));
        assert_eq!(a.on_channel_finished(2), None);
        assert_eq!(a.on_channel_finished(1), Some(b(1)));
        // later checkpoints only wait for channel 0
        assert_eq!(a.on_barrier(0, b(2)), (BarrierOutcome::Aligned(b(2)), None));
    }

    #[test]
    fn newer_barrier_aborts_older_alignment() {
        let mut a = BarrierAligner::new(2);
        assert_eq!(a.on_barrier(0, b(1)), (BarrierOutcome::Block, None));
        assert_eq!(a.on_barrier(1, b(2)), (BarrierOutcome::Block, Some(1)));
        // the old barrier showing up later is stale
        assert_eq!(a.on_barrier(1, b(1)), (BarrierOutcome::Stale, None));
        assert_eq!(a.on_barrier(0, b(2)), (BarrierOutcome::Aligned(b(2)), None));
    }

    #[test]
    fn abort_notification_stops_alignment() {
        let mut a = BarrierAligner::new(2);
        assert_eq!(a.on_barrier(0, b(3)), (BarrierOutcome::Block, None));
        assert!(!a.abort(2));
        assert!(a.abort(3));
        assert_eq!(a.pending(), None);
        assert_eq!(a.on_barrier(1, b(3)), (BarrierOutcome::Stale, None));
        assert_eq!(a.on_barrier(1, b(4)), (BarrierOutcome::Block, None));
    }
}
