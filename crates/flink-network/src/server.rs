//! Producer side of TCP: the data server. One task accepts connections; per
//! connection a reader task decodes client frames and a writer task serves
//! the subscribed subpartitions. The writer takes a buffer off a subpartition
//! queue only while the consumer has credit for it, batches frames and
//! writes them with vectored I/O.

use crate::NetworkError;
use crate::env::Core;
use crate::partition::{Listener, ResultPartition, SubEvent};
use crate::protocol::{ClientMessage, FrameReader, MAGIC, ServerMessage, write_chunks};
use bytes::{Bytes, BytesMut};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

/// Bytes gathered before a write is issued.
const WRITE_BATCH_BYTES: usize = 1024 * 1024;

/// Accepts connections until the environment shuts down.
pub(crate) async fn accept_loop(core: Arc<Core>, listener: TcpListener) {
    loop {
        tokio::select! {
            _ = core.shutdown.cancelled() => break,
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    tracing::debug!(%peer, "data connection accepted");
                    let core = core.clone();
                    tokio::spawn(async move {
                        if let Err(e) = serve(core, stream).await {
                            tracing::warn!(%peer, error = %e, "closing data connection");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a data connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }
}

enum Control {
    Message(ClientMessage),
    Failed(NetworkError),
}

struct Reader {
    partition: Arc<ResultPartition>,
    subpartition: u32,
    credit: u32,
    in_avail: bool,
    seq: u32,
}

struct Connection {
    core: Arc<Core>,
    readers: HashMap<u64, Reader>,
    avail: VecDeque<u64>,
    avail_tx: UnboundedSender<u64>,
    chunks: VecDeque<Bytes>,
    chunk_bytes: usize,
    arena: BytesMut,
    wr: OwnedWriteHalf,
}

async fn serve(core: Arc<Core>, stream: TcpStream) -> Result<(), NetworkError> {
    let _ = stream.set_nodelay(true);
    core.stats.connection_opened();
    let (rd, wr) = stream.into_split();
    let (ctl_tx, mut ctl_rx) = mpsc::unbounded_channel();
    let (avail_tx, mut avail_rx) = mpsc::unbounded_channel();
    let reader_task = tokio::spawn(read_loop(rd, ctl_tx));
    let mut conn = Connection {
        core: core.clone(),
        readers: HashMap::new(),
        avail: VecDeque::new(),
        avail_tx,
        chunks: VecDeque::new(),
        chunk_bytes: 0,
        arena: BytesMut::with_capacity(16 * 1024),
        wr,
    };
    let result = conn.run(&mut ctl_rx, &mut avail_rx).await;
    reader_task.abort();
    for (_, r) in conn.readers.drain() {
        r.partition
            .consumer_gone(r.subpartition, "the consumer's connection closed");
    }
    core.stats.connection_closed();
    result
}

async fn read_loop(rd: tokio::net::tcp::OwnedReadHalf, tx: UnboundedSender<Control>) {
    let mut reader = FrameReader::new(rd);
    let result = async {
        match reader.read_raw(MAGIC.len()).await? {
            Some(m) if m[..] == MAGIC[..] => {}
            Some(m) => {
                return Err(NetworkError::Protocol(format!(
                    "bad connection preamble {:02x?}; expected {:?} (not a flink-rs data client, or another version)",
                    &m[..],
                    std::str::from_utf8(&MAGIC).unwrap_or("?")
                )));
            }
            None => return Ok(()),
        }
        while let Some((ty, body)) = reader.next_frame().await? {
            let msg = ClientMessage::decode(ty, body)?;
            if tx.send(Control::Message(msg)).is_err() {
                break;
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        let _ = tx.send(Control::Failed(e));
    }
}

impl Connection {
    async fn run(
        &mut self,
        ctl_rx: &mut UnboundedReceiver<Control>,
        avail_rx: &mut UnboundedReceiver<u64>,
    ) -> Result<(), NetworkError> {
        let shutdown = self.core.shutdown.clone();
        loop {
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => return Ok(()),
                c = ctl_rx.recv() => match c {
                    None => return Ok(()),
                    Some(c) => self.on_control(c)?,
                },
                Some(r) = avail_rx.recv() => self.mark_avail(r),
            }
            while let Ok(c) = ctl_rx.try_recv() {
                self.on_control(c)?;
            }
            while let Ok(r) = avail_rx.try_recv() {
                self.mark_avail(r);
            }
            self.serve_available().await?;
        }
    }

    fn mark_avail(&mut self, receiver: u64) {
        if let Some(r) = self.readers.get_mut(&receiver)
            && !r.in_avail
        {
            r.in_avail = true;
            self.avail.push_back(receiver);
        }
    }

    fn push(&mut self, msg: ServerMessage) {
        let before = self.chunks.len();
        msg.encode_into(&mut self.arena, &mut self.chunks);
        self.chunk_bytes += self.chunks.range(before..).map(Bytes::len).sum::<usize>();
    }

    fn on_control(&mut self, c: Control) -> Result<(), NetworkError> {
        let msg = match c {
            Control::Message(m) => m,
            Control::Failed(e) => return Err(e),
        };
        match msg {
            ClientMessage::PartitionRequest {
                receiver,
                partition,
                subpartition,
                credit,
            } => {
                if self.readers.contains_key(&receiver) {
                    self.push(ServerMessage::Error {
                        receiver,
                        released: false,
                        message: format!("duplicate partition request for receiver {receiver}"),
                    });
                    return Ok(());
                }
                let Some(p) = self.core.lookup_partition(&partition) else {
                    self.push(ServerMessage::PartitionNotFound { receiver });
                    return Ok(());
                };
                let listener = Listener::Server {
                    tx: self.avail_tx.clone(),
                    receiver,
                };
                match p.attach(subpartition, listener) {
                    Ok(has_event) => {
                        tracing::debug!(%partition, subpartition, receiver, credit, "partition request accepted");
                        self.readers.insert(
                            receiver,
                            Reader {
                                partition: p,
                                subpartition,
                                credit,
                                in_avail: false,
                                seq: 0,
                            },
                        );
                        if has_event {
                            self.mark_avail(receiver);
                        }
                    }
                    Err(e) => self.push(ServerMessage::Error {
                        receiver,
                        released: matches!(e, NetworkError::Released { .. }),
                        message: e.to_string(),
                    }),
                }
            }
            ClientMessage::AddCredit { receiver, credit } => {
                if let Some(r) = self.readers.get_mut(&receiver) {
                    r.credit = r.credit.saturating_add(credit);
                    self.mark_avail(receiver);
                }
            }
            ClientMessage::CancelPartitionRequest { receiver } => {
                if let Some(r) = self.readers.remove(&receiver) {
                    r.partition
                        .consumer_gone(r.subpartition, "the consumer cancelled its request");
                }
            }
        }
        Ok(())
    }

    /// Sends what the available readers have and have credit for.
    async fn serve_available(&mut self) -> Result<(), NetworkError> {
        while let Some(receiver) = self.avail.pop_front() {
            let Some(r) = self.readers.get_mut(&receiver) else {
                continue;
            };
            r.in_avail = false;
            let msg = match r.partition.poll(r.subpartition, r.credit > 0) {
                Ok(Some(SubEvent::Buffer {
                    data,
                    backlog,
                    more,
                })) => {
                    r.credit -= 1;
                    let seq = r.seq;
                    r.seq = r.seq.wrapping_add(1);
                    // Re-queue if there is more and we may send it (the end of
                    // partition needs no credit).
                    if more && (r.credit > 0 || backlog == 0) {
                        r.in_avail = true;
                        self.avail.push_back(receiver);
                    }
                    self.core.stats.on_sent(data.len());
                    ServerMessage::Buffer {
                        receiver,
                        seq,
                        backlog: u32::try_from(backlog).unwrap_or(u32::MAX),
                        data,
                    }
                }
                Ok(Some(SubEvent::EndOfPartition)) => {
                    let seq = r.seq;
                    self.readers.remove(&receiver);
                    ServerMessage::EndOfPartition { receiver, seq }
                }
                Ok(None) => continue,
                Err(e) => {
                    self.readers.remove(&receiver);
                    ServerMessage::Error {
                        receiver,
                        released: matches!(e, NetworkError::Released { .. }),
                        message: e.to_string(),
                    }
                }
            };
            self.push(msg);
            if self.chunk_bytes >= WRITE_BATCH_BYTES {
                self.flush().await?;
            }
        }
        self.flush().await
    }

    async fn flush(&mut self) -> Result<(), NetworkError> {
        if self.chunks.is_empty() {
            return Ok(());
        }
        self.chunk_bytes = 0;
        write_chunks(&mut self.wr, &mut self.chunks)
            .await
            .map_err(|e| NetworkError::io("writing to a consumer", e))
    }
}
