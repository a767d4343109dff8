//! Consumer side: the [`InputGate`] a consuming task reads from.
//!
//! A gate owns one slot per input channel. A *local* channel reads the
//! producer's subpartition queue directly (no copy, no socket). A *remote*
//! channel's buffers are pushed into the gate by the connection task of
//! [`crate::client`], each consuming one credit; the credit goes back to the
//! producer only when the task takes the buffer out of the gate.
//!
//! Channels with something to read sit in a FIFO of available channels; the
//! gate takes one buffer per turn and re-queues the channel, which makes it
//! fair across channels and FIFO per channel.

use crate::client::ClientConnection;
use crate::env::{Core, Counters};
use crate::partition::{ResultPartition, SubEvent};
use crate::{Canceller, InputChannelSpec, NetworkError};
use bytes::Bytes;
use flink_types::JobId;
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What [`InputGate::next_timeout`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateEvent {
    /// A buffer from `channel`.
    Buffer {
        /// Index of the channel in the gate's channel list.
        channel: usize,
        /// The buffer as written by the producer.
        data: Bytes,
    },
    /// `channel` delivered all its data and its end-of-partition.
    ChannelFinished {
        /// Index of the channel.
        channel: usize,
    },
    /// Nothing arrived within the timeout.
    Timeout,
    /// Every channel has finished (returned again on every later call).
    AllFinished,
}

pub(crate) struct RemoteChannel {
    pub(crate) receiver: u64,
    pub(crate) conn: Arc<ClientConnection>,
    queue: VecDeque<Bytes>,
    eop: bool,
    /// Credits announced to the producer and not yet used by a buffer.
    outstanding: u32,
    /// Floating credits currently lent to this channel by the gate's pool.
    floating_held: u32,
    expected_seq: u32,
}

pub(crate) enum ChannelKind {
    /// `None` until the producer registers the partition locally.
    Local(Option<Arc<ResultPartition>>),
    Remote(RemoteChannel),
}

pub(crate) struct Channel {
    pub(crate) spec: InputChannelSpec,
    in_available: bool,
    blocked: bool,
    finished: bool,
    pub(crate) kind: ChannelKind,
}

struct GateInner {
    channels: Vec<Channel>,
    waker: Option<GateWaker>,
    available: VecDeque<usize>,
    blocked_pending: Vec<usize>,
    finished: usize,
    cancelled: bool,
    error: Option<NetworkError>,
    waiting: bool,
    floating_pool: u32,
}

/// The part of a gate shared with producers (local listeners) and connections.
pub(crate) struct GateShared {
    inner: Mutex<GateInner>,
    cv: Condvar,
    pub(crate) job: Option<JobId>,
    stats: Arc<Counters>,
}

impl GateShared {
    pub(crate) fn local_channel(spec: InputChannelSpec) -> Channel {
        Channel {
            spec,
            in_available: false,
            blocked: false,
            finished: false,
            kind: ChannelKind::Local(None),
        }
    }

    pub(crate) fn remote_channel(
        spec: InputChannelSpec,
        receiver: u64,
        conn: Arc<ClientConnection>,
        initial_credit: u32,
    ) -> Channel {
        Channel {
            spec,
            in_available: false,
            blocked: false,
            finished: false,
            kind: ChannelKind::Remote(RemoteChannel {
                receiver,
                conn,
                queue: VecDeque::new(),
                eop: false,
                outstanding: initial_credit,
                floating_held: 0,
                expected_seq: 0,
            }),
        }
    }

    pub(crate) fn new(
        channels: Vec<Channel>,
        floating: u32,
        job: Option<JobId>,
        stats: Arc<Counters>,
    ) -> Self {
        GateShared {
            inner: Mutex::new(GateInner {
                channels,
                waker: None,
                available: VecDeque::new(),
                blocked_pending: Vec::new(),
                finished: 0,
                cancelled: false,
                error: None,
                waiting: false,
                floating_pool: floating,
            }),
            cv: Condvar::new(),
            job,
            stats,
        }
    }

    fn mark_available(&self, g: &mut GateInner, channel: usize) {
        let Some(c) = g.channels.get_mut(channel) else {
            return;
        };
        if c.in_available || c.finished {
            return;
        }
        c.in_available = true;
        g.available.push_back(channel);
        if g.waiting {
            self.cv.notify_one();
        }
        if let Some(w) = &g.waker {
            w.wake();
        }
    }

    /// Something became readable on `channel`.
    pub(crate) fn notify_available(&self, channel: usize) {
        let mut g = self.inner.lock();
        self.mark_available(&mut g, channel);
    }

    /// Fails the gate (first error wins) unless it already finished.
    pub(crate) fn fail(&self, err: NetworkError) {
        let mut g = self.inner.lock();
        if g.error.is_none() && g.finished < g.channels.len() {
            tracing::debug!(error = %err, "input gate failed");
            g.error = Some(err);
        }
        self.cv.notify_all();
        if let Some(w) = &g.waker {
            w.wake();
        }
    }

    /// Fails the gate if `channel` has not finished yet.
    pub(crate) fn fail_channel(&self, channel: usize, err: NetworkError) {
        let unfinished = {
            let g = self.inner.lock();
            g.channels.get(channel).is_some_and(|c| !c.finished)
        };
        if unfinished {
            self.fail(err);
        }
    }

    pub(crate) fn cancel(&self) {
        let mut g = self.inner.lock();
        g.cancelled = true;
        self.cv.notify_all();
        if let Some(w) = &g.waker {
            w.wake();
        }
    }

    pub(crate) fn spec(&self, channel: usize) -> Option<InputChannelSpec> {
        self.inner
            .lock()
            .channels
            .get(channel)
            .map(|c| c.spec.clone())
    }

    /// The producer registered the partition of local channel `channel`.
    pub(crate) fn attach_local(
        self: &Arc<Self>,
        channel: usize,
        partition: Arc<ResultPartition>,
    ) -> Result<(), NetworkError> {
        let subpartition = {
            let mut g = self.inner.lock();
            let Some(c) = g.channels.get_mut(channel) else {
                return Ok(());
            };
            c.kind = ChannelKind::Local(Some(partition.clone()));
            c.spec.subpartition
        };
        let listener = crate::partition::Listener::LocalGate {
            gate: Arc::downgrade(self),
            channel,
        };
        if partition.attach(subpartition, listener)? {
            self.notify_available(channel);
        }
        Ok(())
    }

    /// A buffer for remote channel `channel` arrived. Returns floating credit
    /// to announce in addition (0 for none).
    pub(crate) fn on_remote_buffer(
        &self,
        channel: usize,
        seq: u32,
        backlog: u32,
        data: Bytes,
    ) -> Result<u32, NetworkError> {
        let mut g = self.inner.lock();
        let inner = &mut *g;
        let Some(c) = inner.channels.get_mut(channel) else {
            return Ok(0);
        };
        if c.finished {
            return Ok(0);
        }
        let ChannelKind::Remote(r) = &mut c.kind else {
            return Ok(0);
        };
        if seq != r.expected_seq {
            return Err(NetworkError::Protocol(format!(
                "buffer sequence number {seq} for partition {} subpartition {}, expected {}",
                c.spec.partition, c.spec.subpartition, r.expected_seq
            )));
        }
        if r.outstanding == 0 {
            return Err(NetworkError::Protocol(format!(
                "producer sent a buffer for partition {} without credit",
                c.spec.partition
            )));
        }
        r.expected_seq = r.expected_seq.wrapping_add(1);
        r.outstanding -= 1;
        r.queue.push_back(data);
        self.stats.on_received();
        let mut grant = 0;
        if backlog > r.outstanding && inner.floating_pool > 0 {
            grant = inner.floating_pool.min(backlog - r.outstanding);
            inner.floating_pool -= grant;
            r.floating_held += grant;
            r.outstanding += grant;
        }
        self.mark_available(&mut g, channel);
        Ok(grant)
    }

    /// End-of-partition for remote channel `channel` arrived.
    pub(crate) fn on_remote_eop(&self, channel: usize, seq: u32) -> Result<(), NetworkError> {
        let mut g = self.inner.lock();
        let Some(c) = g.channels.get_mut(channel) else {
            return Ok(());
        };
        let ChannelKind::Remote(r) = &mut c.kind else {
            return Ok(());
        };
        if seq != r.expected_seq {
            return Err(NetworkError::Protocol(format!(
                "end-of-partition sequence number {seq} for partition {}, expected {}",
                c.spec.partition, r.expected_seq
            )));
        }
        r.eop = true;
        self.mark_available(&mut g, channel);
        Ok(())
    }
}

/// Lets one task thread wait on several [`InputGate`]s at once (two-input
/// operators, unions of gates).
///
/// ```no_run
/// # fn demo(mut gates: Vec<flink_network::InputGate>) -> Result<(), flink_network::NetworkError> {
/// use flink_network::{GateEvent, GateWaker};
/// let waker = GateWaker::new();
/// for g in gates.iter_mut() {
///     g.set_waker(waker.clone());
/// }
/// loop {
///     let epoch = waker.epoch(); // read BEFORE polling, so no wake-up is lost
///     let mut got_any = false;
///     for g in gates.iter_mut() {
///         if let GateEvent::Buffer { data, .. } = g.poll()? {
///             got_any = true;
///             let _ = data; // process
///         }
///     }
///     if !got_any {
///         waker.wait(epoch, Some(std::time::Duration::from_millis(100)));
///     }
/// #   break;
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct GateWaker {
    inner: Arc<(Mutex<u64>, Condvar)>,
}

impl GateWaker {
    /// A new waker, not yet attached to any gate.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current wake-up count; pass it to [`Self::wait`].
    pub fn epoch(&self) -> u64 {
        *self.inner.0.lock()
    }

    /// Blocks until some gate was woken after `epoch` was read, or until
    /// `timeout`. Returns whether a wake-up happened.
    pub fn wait(&self, epoch: u64, timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut n = self.inner.0.lock();
        while *n == epoch {
            match deadline {
                Some(d) => {
                    if self.inner.1.wait_until(&mut n, d).timed_out() {
                        return *n != epoch;
                    }
                }
                None => self.inner.1.wait(&mut n),
            }
        }
        true
    }

    pub(crate) fn wake(&self) {
        let mut n = self.inner.0.lock();
        *n = n.wrapping_add(1);
        self.inner.1.notify_all();
    }
}

impl std::fmt::Debug for GateWaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GateWaker(epoch {})", self.epoch())
    }
}

/// What `take` decided, acted upon after the gate lock is released.
enum Taken {
    Event(GateEvent, Option<(Arc<ClientConnection>, u64, u32)>),
    Local(usize, Arc<ResultPartition>, u32),
    Nothing,
}

/// The consuming task's view of its inputs. Blocking; owned by the task thread.
pub struct InputGate {
    shared: Arc<GateShared>,
    core: Arc<Core>,
    num_channels: usize,
}

impl InputGate {
    pub(crate) fn new(shared: Arc<GateShared>, core: Arc<Core>, num_channels: usize) -> Self {
        InputGate {
            shared,
            core,
            num_channels,
        }
    }

    /// Number of input channels.
    pub fn num_channels(&self) -> usize {
        self.num_channels
    }

    /// Non-blocking poll: `Timeout` at once when nothing is available.
    pub fn poll(&mut self) -> Result<GateEvent, NetworkError> {
        self.next_timeout(Some(Duration::ZERO))
    }

    /// The next buffer from any non-blocked channel (FIFO per channel, round
    /// robin across channels), a channel's end, `AllFinished`, or `Timeout`
    /// after `timeout` (`None` waits forever).
    pub fn next_timeout(&mut self, timeout: Option<Duration>) -> Result<GateEvent, NetworkError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let taken = {
                let mut g = self.shared.inner.lock();
                loop {
                    if g.cancelled {
                        return Err(NetworkError::Cancelled);
                    }
                    if let Some(e) = &g.error {
                        return Err(e.clone());
                    }
                    if g.finished == g.channels.len() {
                        return Ok(GateEvent::AllFinished);
                    }
                    let taken = self.take(&mut g);
                    if !matches!(taken, Taken::Nothing) {
                        break taken;
                    }
                    if !g.available.is_empty() {
                        continue;
                    }
                    match deadline {
                        Some(d) => {
                            if Instant::now() >= d {
                                return Ok(GateEvent::Timeout);
                            }
                            g.waiting = true;
                            self.shared.cv.wait_until(&mut g, d);
                            g.waiting = false;
                        }
                        None => {
                            g.waiting = true;
                            self.shared.cv.wait(&mut g);
                            g.waiting = false;
                        }
                    }
                }
            };
            match taken {
                Taken::Event(ev, credit) => {
                    if let Some((conn, receiver, n)) = credit {
                        conn.add_credit(receiver, n);
                    }
                    if let GateEvent::ChannelFinished { channel } = &ev {
                        self.on_channel_finished(*channel);
                    }
                    return Ok(ev);
                }
                Taken::Local(channel, partition, sub) => match partition.poll(sub, true) {
                    Ok(Some(SubEvent::Buffer { data, more, .. })) => {
                        self.shared.stats.on_taken();
                        if more {
                            self.shared.notify_available(channel);
                        }
                        return Ok(GateEvent::Buffer { channel, data });
                    }
                    Ok(Some(SubEvent::EndOfPartition)) => {
                        let mut g = self.shared.inner.lock();
                        if let Some(c) = g.channels.get_mut(channel) {
                            c.finished = true;
                        }
                        g.finished += 1;
                        return Ok(GateEvent::ChannelFinished { channel });
                    }
                    Ok(None) => continue,
                    Err(e) => {
                        self.shared.fail(e.clone());
                        return Err(e);
                    }
                },
                Taken::Nothing => continue,
            }
        }
    }

    /// Picks the next available channel and, for remote channels, takes its
    /// next event right away (all under the gate lock).
    fn take(&self, g: &mut GateInner) -> Taken {
        let Some(ch) = g.available.pop_front() else {
            return Taken::Nothing;
        };
        let inner = &mut *g;
        let Some(c) = inner.channels.get_mut(ch) else {
            return Taken::Nothing;
        };
        if c.blocked {
            inner.blocked_pending.push(ch);
            return Taken::Nothing;
        }
        c.in_available = false;
        match &mut c.kind {
            ChannelKind::Local(Some(p)) => Taken::Local(ch, p.clone(), c.spec.subpartition),
            ChannelKind::Local(None) => Taken::Nothing,
            ChannelKind::Remote(r) => {
                if let Some(data) = r.queue.pop_front() {
                    self.shared.stats.on_taken_remote();
                    let credit = if r.floating_held > 0 {
                        r.floating_held -= 1;
                        inner.floating_pool += 1;
                        None
                    } else {
                        r.outstanding += 1;
                        Some((r.conn.clone(), r.receiver, 1))
                    };
                    if !r.queue.is_empty() || r.eop {
                        c.in_available = true;
                        inner.available.push_back(ch);
                    }
                    Taken::Event(GateEvent::Buffer { channel: ch, data }, credit)
                } else if r.eop {
                    c.finished = true;
                    inner.finished += 1;
                    Taken::Event(GateEvent::ChannelFinished { channel: ch }, None)
                } else {
                    Taken::Nothing
                }
            }
        }
    }

    fn on_channel_finished(&self, channel: usize) {
        let g = self.shared.inner.lock();
        if let Some(Channel {
            kind: ChannelKind::Remote(r),
            ..
        }) = g.channels.get(channel)
        {
            r.conn.channel_done(r.receiver);
        }
    }

    /// Barrier alignment: buffers of `channel` stay queued (credits are not
    /// returned, so its producer backpressures) until [`Self::unblock_all`].
    pub fn block_channel(&mut self, channel: usize) {
        let mut g = self.shared.inner.lock();
        if let Some(c) = g.channels.get_mut(channel) {
            c.blocked = true;
        }
    }

    /// Unblocks every channel; their pending data becomes readable again.
    pub fn unblock_all(&mut self) {
        let mut g = self.shared.inner.lock();
        for c in g.channels.iter_mut() {
            c.blocked = false;
        }
        let pending = std::mem::take(&mut g.blocked_pending);
        g.available.extend(pending);
    }

    /// Registers a [`GateWaker`] that is woken whenever this gate gets
    /// something to return (data, end of a channel, an error, cancel). Use
    /// one waker for all gates of a multi-input task.
    pub fn set_waker(&mut self, waker: GateWaker) {
        let mut g = self.shared.inner.lock();
        if !g.available.is_empty() || g.error.is_some() || g.cancelled {
            waker.wake();
        }
        g.waker = Some(waker);
    }

    /// Makes a blocked or later `next_timeout` return `Cancelled`.
    pub fn canceller(&self) -> Canceller {
        Canceller::gate(self.shared.clone())
    }
}

impl Drop for InputGate {
    fn drop(&mut self) {
        let mut locals = Vec::new();
        let mut remotes = Vec::new();
        {
            let g = self.shared.inner.lock();
            for c in g.channels.iter() {
                if c.finished {
                    continue;
                }
                match &c.kind {
                    ChannelKind::Local(Some(p)) => locals.push((p.clone(), c.spec.subpartition)),
                    ChannelKind::Local(None) => {}
                    ChannelKind::Remote(r) => remotes.push((r.conn.clone(), r.receiver)),
                }
            }
        }
        for (p, sub) in locals {
            p.consumer_gone(sub, "input gate dropped");
        }
        for (conn, receiver) in remotes {
            conn.cancel_request(receiver);
        }
        self.core.forget_gate(&self.shared);
    }
}

impl std::fmt::Debug for InputGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputGate")
            .field("channels", &self.num_channels)
            .finish()
    }
}
