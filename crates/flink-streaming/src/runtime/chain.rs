//! Type-erased handles the task loop uses to drive a typed operator chain.

use crate::element::{CheckpointBarrier, Element, ElementReader};
use crate::runtime::operator::RuntimeContext;
use crate::runtime::output::{OpResult, OperatorError, Output};
use crate::runtime::snapshot::{OperatorSnapshot, SnapshotCollector};
use crate::runtime::source::{Source, SourceOutput, SourceStatus};
use serde::de::DeserializeOwned;

/// Untyped control of a chain: everything but records.
pub trait ChainControl: Send {
    /// Forward a combined watermark.
    fn watermark(&mut self, wm: i64) -> OpResult;
    /// Forward an idle/active status.
    fn watermark_status(&mut self, idle: bool) -> OpResult;
    /// Processing-time tick.
    fn processing_time(&mut self, now_ms: i64) -> OpResult;
    /// Snapshot and forward a barrier.
    fn checkpoint(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut SnapshotCollector,
    ) -> OpResult;
    /// Checkpoint completed.
    fn checkpoint_complete(&mut self, id: u64) -> OpResult;
    /// Checkpoint aborted.
    fn checkpoint_aborted(&mut self, id: u64) -> OpResult;
    /// End of all input.
    fn end_input(&mut self) -> OpResult;
}

impl<T: Send> ChainControl for Box<dyn Output<T>> {
    fn watermark(&mut self, wm: i64) -> OpResult {
        (**self).watermark(wm)
    }
    fn watermark_status(&mut self, idle: bool) -> OpResult {
        (**self).watermark_status(idle)
    }
    fn processing_time(&mut self, now_ms: i64) -> OpResult {
        (**self).processing_time(now_ms)
    }
    fn checkpoint(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut SnapshotCollector,
    ) -> OpResult {
        (**self).checkpoint(barrier, snapshot)
    }
    fn checkpoint_complete(&mut self, id: u64) -> OpResult {
        (**self).checkpoint_complete(id)
    }
    fn checkpoint_aborted(&mut self, id: u64) -> OpResult {
        (**self).checkpoint_aborted(id)
    }
    fn end_input(&mut self) -> OpResult {
        (**self).end_input()
    }
}

/// Tracks the watermark of every input channel and yields the combined one
/// (Flink `StatusWatermarkValve`): the minimum over active, unfinished channels.
#[derive(Debug)]
pub struct WatermarkValve {
    channels: Vec<ChannelWm>,
    last_emitted: i64,
}

#[derive(Debug, Clone, Copy)]
struct ChannelWm {
    wm: i64,
    idle: bool,
    finished: bool,
}

impl WatermarkValve {
    /// A valve over `n` channels.
    pub fn new(n: usize) -> Self {
        Self {
            channels: vec![
                ChannelWm {
                    wm: i64::MIN,
                    idle: false,
                    finished: false,
                };
                n
            ],
            last_emitted: i64::MIN,
        }
    }
    fn combined(&self) -> Option<i64> {
        self.channels
            .iter()
            .filter(|c| !c.idle && !c.finished)
            .map(|c| c.wm)
            .min()
    }
    fn advance(&mut self) -> Option<i64> {
        match self.combined() {
            Some(wm) if wm > self.last_emitted => {
                self.last_emitted = wm;
                Some(wm)
            }
            _ => None,
        }
    }
    /// A watermark arrived on `channel`; returns the new combined watermark if it advanced.
    pub fn input_watermark(&mut self, channel: usize, wm: i64) -> Option<i64> {
        let c = self.channels.get_mut(channel)?;
        if wm > c.wm {
            c.wm = wm;
        }
        c.idle = false;
        self.advance()
    }
    /// A channel went idle or active.
    pub fn input_status(&mut self, channel: usize, idle: bool) -> Option<i64> {
        let c = self.channels.get_mut(channel)?;
        c.idle = idle;
        self.advance()
    }
    /// A channel finished; it no longer holds the watermark back.
    pub fn channel_finished(&mut self, channel: usize) -> Option<i64> {
        let c = self.channels.get_mut(channel)?;
        c.finished = true;
        self.advance()
    }
}

/// What decoding a buffer ended with.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// The whole buffer was processed.
    Done,
    /// A barrier was read at the given position; the rest of the buffer
    /// starts at `next_pos` and must wait if the channel gets blocked.
    Barrier {
        /// The barrier.
        barrier: CheckpointBarrier,
        /// Where the remaining elements start.
        next_pos: usize,
    },
}

/// Feeds network buffers into the head of a chain.
pub trait InputDecoder: Send {
    /// Processes the elements of `buf` from `pos`, arrived on logical input
    /// `input` and valve channel `channel`.
    fn process(
        &mut self,
        input: u32,
        channel: usize,
        buf: &[u8],
        pos: usize,
        valve: &mut WatermarkValve,
    ) -> Result<Decoded, Box<OperatorError>>;
    /// The chain behind the decoder.
    fn chain(&mut self) -> &mut dyn ChainControl;
}

#[inline]
fn decode_into<T: DeserializeOwned>(
    reader: &mut ElementReader<'_>,
    channel: usize,
    valve: &mut WatermarkValve,
    target: &mut dyn Output<T>,
) -> Result<Decoded, Box<OperatorError>> {
    while let Some(el) = reader.next_element::<T>()? {
        match el {
            Element::Record(v, ts) => target.record(v, ts)?,
            Element::Watermark(wm) => {
                if let Some(w) = valve.input_watermark(channel, wm) {
                    target.watermark(w)?;
                }
            }
            Element::Status(idle) => {
                if let Some(w) = valve.input_status(channel, idle) {
                    target.watermark(w)?;
                }
            }
            Element::Barrier(barrier) => {
                return Ok(Decoded::Barrier {
                    barrier,
                    next_pos: reader.position(),
                });
            }
        }
    }
    Ok(Decoded::Done)
}

/// Decoder for a one-input head operator.
pub struct OneInputDecoder<T> {
    head: Box<dyn Output<T>>,
}

impl<T> OneInputDecoder<T> {
    /// Wraps the head's input.
    pub fn new(head: Box<dyn Output<T>>) -> Self {
        Self { head }
    }
}

impl<T: DeserializeOwned + Send + 'static> InputDecoder for OneInputDecoder<T> {
    fn process(
        &mut self,
        _input: u32,
        channel: usize,
        buf: &[u8],
        pos: usize,
        valve: &mut WatermarkValve,
    ) -> Result<Decoded, Box<OperatorError>> {
        let mut reader = ElementReader::new(buf, pos);
        decode_into::<T>(&mut reader, channel, valve, &mut *self.head)
    }
    fn chain(&mut self) -> &mut dyn ChainControl {
        &mut self.head
    }
}

/// The input of a two-input operator: a record from the first or the second input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Either<A, B> {
    /// From input 1.
    Left(A),
    /// From input 2.
    Right(B),
}

/// Adapts records of one input to the `Either` head.
struct Side<'a, A, B, const LEFT: bool> {
    head: &'a mut dyn Output<Either<A, B>>,
}

impl<A: Send, B: Send> Output<A> for Side<'_, A, B, true> {
    #[inline]
    fn record(&mut self, value: A, ts: Option<i64>) -> OpResult {
        self.head.record(Either::Left(value), ts)
    }
    fn watermark(&mut self, wm: i64) -> OpResult {
        self.head.watermark(wm)
    }
    fn watermark_status(&mut self, idle: bool) -> OpResult {
        self.head.watermark_status(idle)
    }
    fn processing_time(&mut self, now_ms: i64) -> OpResult {
        self.head.processing_time(now_ms)
    }
    fn checkpoint(&mut self, b: &CheckpointBarrier, s: &mut SnapshotCollector) -> OpResult {
        self.head.checkpoint(b, s)
    }
    fn checkpoint_complete(&mut self, id: u64) -> OpResult {
        self.head.checkpoint_complete(id)
    }
    fn checkpoint_aborted(&mut self, id: u64) -> OpResult {
        self.head.checkpoint_aborted(id)
    }
    fn end_input(&mut self) -> OpResult {
        self.head.end_input()
    }
}

impl<A: Send, B: Send> Output<B> for Side<'_, A, B, false> {
    #[inline]
    fn record(&mut self, value: B, ts: Option<i64>) -> OpResult {
        self.head.record(Either::Right(value), ts)
    }
    fn watermark(&mut self, wm: i64) -> OpResult {
        self.head.watermark(wm)
    }
    fn watermark_status(&mut self, idle: bool) -> OpResult {
        self.head.watermark_status(idle)
    }
    fn processing_time(&mut self, now_ms: i64) -> OpResult {
        self.head.processing_time(now_ms)
    }
    fn checkpoint(&mut self, b: &CheckpointBarrier, s: &mut SnapshotCollector) -> OpResult {
        self.head.checkpoint(b, s)
    }
    fn checkpoint_complete(&mut self, id: u64) -> OpResult {
        self.head.checkpoint_complete(id)
    }
    fn checkpoint_aborted(&mut self, id: u64) -> OpResult {
        self.head.checkpoint_aborted(id)
    }
    fn end_input(&mut self) -> OpResult {
        self.head.end_input()
    }
}

/// Decoder for a two-input head operator whose input is `Either<A, B>`.
pub struct TwoInputDecoder<A, B> {
    head: Box<dyn Output<Either<A, B>>>,
}

impl<A, B> TwoInputDecoder<A, B> {
    /// Wraps the head's input.
    pub fn new(head: Box<dyn Output<Either<A, B>>>) -> Self {
        Self { head }
    }
}

impl<A, B> InputDecoder for TwoInputDecoder<A, B>
where
    A: DeserializeOwned + Send + 'static,
    B: DeserializeOwned + Send + 'static,
{
    fn process(
        &mut self,
        input: u32,
        channel: usize,
        buf: &[u8],
        pos: usize,
        valve: &mut WatermarkValve,
    ) -> Result<Decoded, Box<OperatorError>> {
        let mut reader = ElementReader::new(buf, pos);
        if input == 0 {
            let mut side = Side::<A, B, true> {
                head: &mut *self.head,
            };
            decode_into::<A>(&mut reader, channel, valve, &mut side)
        } else {
            let mut side = Side::<A, B, false> {
                head: &mut *self.head,
            };
            decode_into::<B>(&mut reader, channel, valve, &mut side)
        }
    }
    fn chain(&mut self) -> &mut dyn ChainControl {
        &mut self.head
    }
}

/// How a source's position travels in a checkpoint: with the subtask and
/// parallelism that wrote it, so a restore can tell a parallelism change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceStateEnvelope {
    /// Subtask that wrote the state.
    pub subtask: u32,
    /// Parallelism it ran with.
    pub parallelism: u32,
    /// The source's own state ([`Source::snapshot_state`]).
    pub state: Vec<u8>,
}

/// Drives a source at the head of a chain.
pub trait SourceDriver: Send {
    /// Opens the source.
    fn open(&mut self, ctx: &RuntimeContext) -> OpResult;
    /// Polls one batch.
    fn poll(&mut self) -> Result<SourceStatus, Box<OperatorError>>;
    /// The source's state for a checkpoint, wrapped in a [`SourceStateEnvelope`].
    fn snapshot(
        &mut self,
        ctx: &RuntimeContext,
    ) -> Result<Option<OperatorSnapshot>, Box<OperatorError>>;
    /// Restores the source from the operator-state blobs handed to this
    /// subtask (one blob with unchanged parallelism, those of all former
    /// subtasks after a change).
    fn restore(&mut self, states: &[Vec<u8>], ctx: &RuntimeContext) -> OpResult;
    /// Checkpoint completed (source and chain).
    fn checkpoint_complete(&mut self, id: u64) -> OpResult;
    /// The chain behind the source.
    fn chain(&mut self) -> &mut dyn ChainControl;
}

/// A typed source bound to its chain.
pub struct TypedSourceDriver<T> {
    source: Box<dyn Source<T>>,
    out: Box<dyn Output<T>>,
}

impl<T> TypedSourceDriver<T> {
    /// Binds `source` to `out`.
    pub fn new(source: Box<dyn Source<T>>, out: Box<dyn Output<T>>) -> Self {
        Self { source, out }
    }
}

fn corrupt_source_state(ctx: &RuntimeContext, e: impl std::fmt::Display) -> Box<OperatorError> {
    Box::new(OperatorError::Other(format!(
        "source '{}': corrupt source state in the checkpoint: {e}",
        ctx.operator_name
    )))
}

impl<T: Send + 'static> SourceDriver for TypedSourceDriver<T> {
    fn open(&mut self, ctx: &RuntimeContext) -> OpResult {
        self.source.open(ctx)
    }
    fn poll(&mut self) -> Result<SourceStatus, Box<OperatorError>> {
        let mut out = SourceOutput::new(&mut *self.out);
        self.source.poll_next(&mut out)
    }
    fn snapshot(
        &mut self,
        ctx: &RuntimeContext,
    ) -> Result<Option<OperatorSnapshot>, Box<OperatorError>> {
        let Some(state) = self.source.snapshot_state() else {
            return Ok(None);
        };
        let envelope = SourceStateEnvelope {
            subtask: ctx.subtask,
            parallelism: ctx.parallelism,
            state,
        };
        let bytes = bincode::serde::encode_to_vec(&envelope, crate::element::codec())
            .map_err(|e| Box::new(OperatorError::Element(e.into())))?;
        Ok(Some(OperatorSnapshot {
            uid: ctx.operator_uid.clone(),
            key_groups: Vec::new(),
            operator_state: Some(bytes),
        }))
    }
    fn restore(&mut self, states: &[Vec<u8>], ctx: &RuntimeContext) -> OpResult {
        let mut envelopes = Vec::with_capacity(states.len());
        for s in states {
            let (e, _): (SourceStateEnvelope, usize) =
                bincode::serde::decode_from_slice(s, crate::element::codec())
                    .map_err(|e| corrupt_source_state(ctx, e))?;
            envelopes.push(e);
        }
        let Some(first) = envelopes.first() else {
            return Ok(());
        };
        let old_parallelism = first.parallelism;
        if envelopes.iter().all(|e| e.parallelism == ctx.parallelism) {
            // Unchanged parallelism: our own position.
            return match envelopes.iter().find(|e| e.subtask == ctx.subtask) {
                Some(e) => self.source.restore_state(&e.state),
                None => Ok(()),
            };
        }
        let states: Vec<Vec<u8>> = envelopes.into_iter().map(|e| e.state).collect();
        self.source
            .restore_rescaled(&states, ctx.subtask, ctx.parallelism)
            .map_err(|e| {
                Box::new(OperatorError::Other(format!(
                    "source '{}' cannot be restored at parallelism {} from a checkpoint taken \
                     at parallelism {old_parallelism}: {e}",
                    ctx.operator_name, ctx.parallelism
                )))
            })
    }
    fn checkpoint_complete(&mut self, id: u64) -> OpResult {
        self.source.checkpoint_complete(id);
        self.out.checkpoint_complete(id)
    }
    fn chain(&mut self) -> &mut dyn ChainControl {
        &mut self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valve_takes_minimum_of_active_channels() {
        let mut v = WatermarkValve::new(2);
        assert_eq!(v.input_watermark(0, 10), None);
        assert_eq!(v.input_watermark(1, 5), Some(5));
        assert_eq!(v.input_watermark(1, 20), Some(10));
        assert_eq!(v.input_status(0, true), Some(20));
        assert_eq!(v.input_watermark(1, 15), None, "watermarks never go back");
        assert_eq!(v.channel_finished(1), None);
    }
}
