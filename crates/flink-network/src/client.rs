//! Consumer side of TCP: one [`ClientConnection`] per producer TaskManager
//! address, multiplexing all remote input channels of this process that read
//! from it. A writer half sends requests and credits (batched), a reader half
//! dispatches buffers to the gates by receiver id.

use crate::NetworkError;
use crate::env::Core;
use crate::gate::GateShared;
use crate::protocol::{ClientMessage, FrameReader, MAGIC, ServerMessage, write_chunks};
use bytes::{Bytes, BytesMut};
use flink_types::ResultPartitionId;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

const FIRST_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// A registered remote channel, as the connection knows it.
pub(crate) struct ChannelRef {
    pub(crate) gate: Weak<GateShared>,
    pub(crate) channel: usize,
    pub(crate) partition: ResultPartitionId,
    pub(crate) subpartition: u32,
    pub(crate) initial_credit: u32,
    pub(crate) deadline: Instant,
    pub(crate) backoff: Duration,
}

impl ChannelRef {
    pub(crate) fn new(
        gate: Weak<GateShared>,
        channel: usize,
        partition: ResultPartitionId,
        subpartition: u32,
        initial_credit: u32,
        timeout: Duration,
    ) -> Self {
        ChannelRef {
            gate,
            channel,
            partition,
            subpartition,
            initial_credit,
            deadline: Instant::now() + timeout,
            backoff: FIRST_BACKOFF,
        }
    }

    fn request(&self, receiver: u64) -> ClientMessage {
        ClientMessage::PartitionRequest {
            receiver,
            partition: self.partition,
            subpartition: self.subpartition,
            credit: self.initial_credit,
        }
    }
}

#[derive(Default)]
struct ConnState {
    channels: HashMap<u64, ChannelRef>,
    closed: Option<NetworkError>,
}

/// A connection to one producer TaskManager's data server.
pub(crate) struct ClientConnection {
    pub(crate) address: String,
    tx: UnboundedSender<ClientMessage>,
    state: Mutex<ConnState>,
}

impl ClientConnection {
    /// Creates the connection and spawns its task (which connects).
    pub(crate) fn open(core: &Arc<Core>, address: String) -> Arc<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        let conn = Arc::new(ClientConnection {
            address,
            tx,
            state: Mutex::new(ConnState::default()),
        });
        let task_conn = conn.clone();
        let task_core = core.clone();
        core.handle.spawn(async move {
            let err = run(&task_core, &task_conn, rx).await;
            tracing::debug!(address = %task_conn.address, error = %err, "data connection closed");
            task_conn.fail_all(err);
            task_core.forget_connection(&task_conn);
        });
        conn
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.state.lock().closed.is_some()
    }

    /// Registers `receiver` and sends its partition request.
    pub(crate) fn request(&self, receiver: u64, ch: ChannelRef) -> Result<(), NetworkError> {
        let mut st = self.state.lock();
        if let Some(e) = &st.closed {
            return Err(e.clone());
        }
        let msg = ch.request(receiver);
        st.channels.insert(receiver, ch);
        let _ = self.tx.send(msg);
        Ok(())
    }

    pub(crate) fn add_credit(&self, receiver: u64, credit: u32) {
        let _ = self.tx.send(ClientMessage::AddCredit { receiver, credit });
    }

    /// The channel finished normally; forget it.
    pub(crate) fn channel_done(&self, receiver: u64) {
        self.state.lock().channels.remove(&receiver);
    }

    /// The consumer went away before the end.
    pub(crate) fn cancel_request(&self, receiver: u64) {
        if self.state.lock().channels.remove(&receiver).is_some() {
            let _ = self
                .tx
                .send(ClientMessage::CancelPartitionRequest { receiver });
        }
    }

    /// Closes the connection for new channels and fails all registered ones.
    pub(crate) fn fail_all(&self, err: NetworkError) {
        let channels = {
            let mut st = self.state.lock();
            if st.closed.is_none() {
                st.closed = Some(err.clone());
            }
            std::mem::take(&mut st.channels)
        };
        for (_, ch) in channels {
            if let Some(g) = ch.gate.upgrade() {
                g.fail_channel(ch.channel, err.clone());
            }
        }
    }

    fn lookup(&self, receiver: u64) -> Option<(Arc<GateShared>, usize)> {
        let st = self.state.lock();
        let ch = st.channels.get(&receiver)?;
        Some((ch.gate.upgrade()?, ch.channel))
    }

    fn remove(&self, receiver: u64) -> Option<ChannelRef> {
        self.state.lock().channels.remove(&receiver)
    }

    fn on_partition_not_found(self: &Arc<Self>, core: &Arc<Core>, receiver: u64) {
        let mut st = self.state.lock();
        let Some(ch) = st.channels.get_mut(&receiver) else {
            return;
        };
        let now = Instant::now();
        if now >= ch.deadline {
            let Some(ch) = st.channels.remove(&receiver) else {
                return;
            };
            drop(st);
            if let Some(g) = ch.gate.upgrade() {
                g.fail_channel(
                    ch.channel,
                    NetworkError::PartitionNotFound {
                        partition: ch.partition,
                        address: self.address.clone(),
                    },
                );
            }
            return;
        }
        let delay = ch.backoff.min(ch.deadline - now);
        ch.backoff = (ch.backoff * 2).min(MAX_BACKOFF);
        tracing::trace!(partition = %ch.partition, ?delay, "partition not found yet; retrying");
        let conn = self.clone();
        core.handle.spawn(async move {
            tokio::time::sleep(delay).await;
            let st = conn.state.lock();
            if let Some(ch) = st.channels.get(&receiver) {
                let _ = conn.tx.send(ch.request(receiver));
            }
        });
    }
}

fn lost(address: &str, reason: impl Into<String>) -> NetworkError {
    NetworkError::ConnectionLost {
        address: address.to_string(),
        reason: reason.into(),
    }
}

/// Runs the connection until it fails; returns the error to report.
async fn run(
    core: &Arc<Core>,
    conn: &Arc<ClientConnection>,
    rx: UnboundedReceiver<ClientMessage>,
) -> NetworkError {
    let address = conn.address.clone();
    let stream = match tokio::time::timeout(
        core.config.connect_timeout,
        TcpStream::connect(address.as_str()),
    )
    .await
    {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            return NetworkError::Connect {
                address,
                source: Arc::new(e),
            };
        }
        Err(_) => {
            return NetworkError::Connect {
                address,
                source: Arc::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("connect timed out after {:?}", core.config.connect_timeout),
                )),
            };
        }
    };
    let _ = stream.set_nodelay(true);
    core.stats.connection_opened();
    let (rd, wr) = stream.into_split();
    let result = tokio::select! {
        r = write_loop(wr, rx) => r.map_err(|e| lost(&address, e.to_string())),
        r = read_loop(core, conn, rd) => r,
        _ = core.shutdown.cancelled() => Err(NetworkError::Shutdown),
    };
    core.stats.connection_closed();
    match result {
        Ok(()) => lost(&address, "closed by the producer"),
        Err(NetworkError::Shutdown) => NetworkError::Shutdown,
        Err(e @ NetworkError::ConnectionLost { .. }) => e,
        Err(e) => lost(&address, e.to_string()),
    }
}

async fn write_loop(
    mut wr: tokio::net::tcp::OwnedWriteHalf,
    mut rx: UnboundedReceiver<ClientMessage>,
) -> std::io::Result<()> {
    let mut chunks = VecDeque::from([Bytes::from_static(&MAGIC)]);
    write_chunks(&mut wr, &mut chunks).await?;
    let mut buf = BytesMut::with_capacity(4096);
    while let Some(msg) = rx.recv().await {
        msg.encode(&mut buf);
        while buf.len() < 64 * 1024 {
            match rx.try_recv() {
                Ok(m) => m.encode(&mut buf),
                Err(_) => break,
            }
        }
        chunks.push_back(buf.split().freeze());
        write_chunks(&mut wr, &mut chunks).await?;
    }
    Ok(())
}

async fn read_loop(
    core: &Arc<Core>,
    conn: &Arc<ClientConnection>,
    rd: tokio::net::tcp::OwnedReadHalf,
) -> Result<(), NetworkError> {
    let mut reader = FrameReader::new(rd);
    while let Some((ty, body)) = reader.next_frame().await? {
        match ServerMessage::decode(ty, body)? {
            ServerMessage::Buffer {
                receiver,
                seq,
                backlog,
                data,
            } => {
                core.stats.on_bytes_received(data.len());
                match conn.lookup(receiver) {
                    Some((gate, channel)) => {
                        let grant = gate.on_remote_buffer(channel, seq, backlog, data)?;
                        if grant > 0 {
                            conn.add_credit(receiver, grant);
                        }
                    }
                    None => conn.cancel_request(receiver),
                }
            }
            ServerMessage::EndOfPartition { receiver, seq } => {
                if let Some(ch) = conn.remove(receiver)
                    && let Some(g) = ch.gate.upgrade()
                {
                    g.on_remote_eop(ch.channel, seq)?;
                }
            }
            ServerMessage::PartitionNotFound { receiver } => {
                conn.on_partition_not_found(core, receiver);
            }
            ServerMessage::Error {
                receiver,
                released,
                message,
            } => {
                if let Some(ch) = conn.remove(receiver)
                    && let Some(g) = ch.gate.upgrade()
                {
                    let err = if released {
                        NetworkError::Released {
                            partition: ch.partition,
                            reason: format!("at {}: {message}", conn.address),
                        }
                    } else {
                        NetworkError::Remote {
                            address: conn.address.clone(),
                            partition: ch.partition,
                            message,
                        }
                    };
                    g.fail_channel(ch.channel, err);
                }
            }
        }
    }
    Ok(())
}
