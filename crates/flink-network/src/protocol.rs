//! The wire format between a consumer TaskManager (client) and a producer
//! TaskManager's data server.
//!
//! A connection starts with the client sending the 8-byte [`MAGIC`]. After
//! that both directions carry frames:
//!
//! ```text
//! u32 BE  length of everything after this field (type + body), 1..=MAX_FRAME_LEN
//! u8      message type
//! ...     body (big-endian integers; buffer payloads raw)
//! ```
//!
//! Client → server: `PartitionRequest`, `AddCredit`, `CancelPartitionRequest`.
//! Server → client: `BufferResponse` (header + raw payload, written with
//! vectored I/O so payloads are never copied), `EndOfPartition`,
//! `PartitionNotFound`, `ErrorResponse`. Every message names the consumer's
//! `receiver id` (Flink's InputChannelID), which multiplexes many channels
//! over one connection.

use crate::NetworkError;
use crate::config::MAX_BUFFER_SIZE;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use flink_types::{ExecutionAttemptId, JobId, JobVertexId, ResultPartitionId};
use std::collections::VecDeque;
use std::io::IoSlice;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Sent by the client right after connecting: protocol name and version 1.
pub const MAGIC: [u8; 8] = *b"FLRSNET1";

/// Largest frame accepted: a maximal buffer plus its header.
pub const MAX_FRAME_LEN: usize = MAX_BUFFER_SIZE + 64;

const T_PARTITION_REQUEST: u8 = 1;
const T_ADD_CREDIT: u8 = 2;
const T_CANCEL_PARTITION_REQUEST: u8 = 3;
const T_BUFFER_RESPONSE: u8 = 0x81;
const T_END_OF_PARTITION: u8 = 0x82;
const T_PARTITION_NOT_FOUND: u8 = 0x83;
const T_ERROR_RESPONSE: u8 = 0x84;

/// Size of the fixed part of a BufferResponse frame (length, type, receiver, seq, backlog).
pub const BUFFER_HEADER_LEN: usize = 4 + 1 + 8 + 4 + 4;

const PARTITION_ID_LEN: usize = 32;

/// Messages from the consumer side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    /// Subscribe `receiver` to one subpartition with an initial credit.
    PartitionRequest {
        /// The consumer's channel id, unique per client connection.
        receiver: u64,
        /// Requested partition.
        partition: ResultPartitionId,
        /// Requested subpartition index.
        subpartition: u32,
        /// Initial credit (number of buffers the producer may send).
        credit: u32,
    },
    /// The consumer freed `credit` buffers of `receiver`.
    AddCredit {
        /// The consumer's channel id.
        receiver: u64,
        /// Additional credit.
        credit: u32,
    },
    /// The consumer is no longer interested in `receiver`.
    CancelPartitionRequest {
        /// The consumer's channel id.
        receiver: u64,
    },
}

/// Messages from the producer side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerMessage {
    /// One buffer for `receiver`; consumes one credit.
    Buffer {
        /// The consumer's channel id.
        receiver: u64,
        /// Per-receiver sequence number, starting at 0.
        seq: u32,
        /// Buffers still queued at the producer for this subpartition.
        backlog: u32,
        /// The payload.
        data: Bytes,
    },
    /// No more buffers for `receiver`.
    EndOfPartition {
        /// The consumer's channel id.
        receiver: u64,
        /// Sequence number (one past the last buffer).
        seq: u32,
    },
    /// The requested partition is not (yet) registered; the client may retry.
    PartitionNotFound {
        /// The consumer's channel id.
        receiver: u64,
    },
    /// The request of `receiver` failed for good.
    Error {
        /// The consumer's channel id.
        receiver: u64,
        /// The partition was released (as opposed to another failure).
        released: bool,
        /// Human-readable reason.
        message: String,
    },
}

fn put_partition_id(b: &mut BytesMut, p: &ResultPartitionId) {
    b.put_slice(&p.producer.job_id.0);
    b.put_u32(p.producer.vertex.0);
    b.put_u32(p.producer.subtask);
    b.put_u32(p.producer.attempt);
    b.put_u32(p.edge);
}

fn get_partition_id(b: &mut Bytes) -> ResultPartitionId {
    let mut job = [0u8; 16];
    b.copy_to_slice(&mut job);
    let vertex = b.get_u32();
    let subtask = b.get_u32();
    let attempt = b.get_u32();
    let edge = b.get_u32();
    ResultPartitionId {
        producer: ExecutionAttemptId {
            job_id: JobId(job),
            vertex: JobVertexId(vertex),
            subtask,
            attempt,
        },
        edge,
    }
}

fn frame_start(b: &mut BytesMut, ty: u8, body_len: usize) {
    // body_len is bounded by our own message sizes (< MAX_FRAME_LEN).
    b.put_u32((body_len + 1) as u32);
    b.put_u8(ty);
}

impl ClientMessage {
    /// Appends the encoded frame to `b`.
    pub fn encode(&self, b: &mut BytesMut) {
        match self {
            ClientMessage::PartitionRequest {
                receiver,
                partition,
                subpartition,
                credit,
            } => {
                frame_start(b, T_PARTITION_REQUEST, 8 + PARTITION_ID_LEN + 8);
                b.put_u64(*receiver);
                put_partition_id(b, partition);
                b.put_u32(*subpartition);
                b.put_u32(*credit);
            }
            ClientMessage::AddCredit { receiver, credit } => {
                frame_start(b, T_ADD_CREDIT, 12);
                b.put_u64(*receiver);
                b.put_u32(*credit);
            }
            ClientMessage::CancelPartitionRequest { receiver } => {
                frame_start(b, T_CANCEL_PARTITION_REQUEST, 8);
                b.put_u64(*receiver);
            }
        }
    }

    /// Decodes one frame body (after the length) sent by a client.
    pub fn decode(ty: u8, mut body: Bytes) -> Result<Self, NetworkError> {
        let expect = |n: usize, name: &str, body: &Bytes| {
            if body.len() == n {
                Ok(())
            } else {
                Err(NetworkError::Protocol(format!(
                    "{name} frame body must be {n} bytes, got {}",
                    body.len()
                )))
            }
        };
        match ty {
            T_PARTITION_REQUEST => {
                expect(8 + PARTITION_ID_LEN + 8, "PartitionRequest", &body)?;
                let receiver = body.get_u64();
                let partition = get_partition_id(&mut body);
                Ok(ClientMessage::PartitionRequest {
                    receiver,
                    partition,
                    subpartition: body.get_u32(),
                    credit: body.get_u32(),
                })
            }
            T_ADD_CREDIT => {
                expect(12, "AddCredit", &body)?;
                Ok(ClientMessage::AddCredit {
                    receiver: body.get_u64(),
                    credit: body.get_u32(),
                })
            }
            T_CANCEL_PARTITION_REQUEST => {
                expect(8, "CancelPartitionRequest", &body)?;
                Ok(ClientMessage::CancelPartitionRequest {
                    receiver: body.get_u64(),
                })
            }
            other => Err(NetworkError::Protocol(format!(
                "unknown client message type {other:#04x}"
            ))),
        }
    }
}

impl ServerMessage {
    /// Appends the encoded frame to `chunks`; small headers are carved out of
    /// `arena` (no allocation per message), payloads are passed through as is.
    pub fn encode_into(&self, arena: &mut BytesMut, chunks: &mut VecDeque<Bytes>) {
        if arena.capacity() - arena.len() < 256 {
            arena.reserve(16 * 1024);
        }
        match self {
            ServerMessage::Buffer {
                receiver,
                seq,
                backlog,
                data,
            } => {
                frame_start(arena, T_BUFFER_RESPONSE, 16 + data.len());
                arena.put_u64(*receiver);
                arena.put_u32(*seq);
                arena.put_u32(*backlog);
                chunks.push_back(arena.split().freeze());
                if !data.is_empty() {
                    chunks.push_back(data.clone());
                }
            }
            ServerMessage::EndOfPartition { receiver, seq } => {
                frame_start(arena, T_END_OF_PARTITION, 12);
                arena.put_u64(*receiver);
                arena.put_u32(*seq);
                chunks.push_back(arena.split().freeze());
            }
            ServerMessage::PartitionNotFound { receiver } => {
                frame_start(arena, T_PARTITION_NOT_FOUND, 8);
                arena.put_u64(*receiver);
                chunks.push_back(arena.split().freeze());
            }
            ServerMessage::Error {
                receiver,
                released,
                message,
            } => {
                let msg = truncate_utf8(message, 4096);
                frame_start(arena, T_ERROR_RESPONSE, 9 + msg.len());
                arena.put_u64(*receiver);
                arena.put_u8(u8::from(*released));
                arena.put_slice(msg.as_bytes());
                chunks.push_back(arena.split().freeze());
            }
        }
    }

    /// Decodes one frame body (after the length) sent by a server.
    pub fn decode(ty: u8, mut body: Bytes) -> Result<Self, NetworkError> {
        let at_least = |n: usize, name: &str, body: &Bytes| {
            if body.len() >= n {
                Ok(())
            } else {
                Err(NetworkError::Protocol(format!(
                    "{name} frame body must be at least {n} bytes, got {}",
                    body.len()
                )))
            }
        };
        match ty {
            T_BUFFER_RESPONSE => {
                at_least(16, "BufferResponse", &body)?;
                let receiver = body.get_u64();
                let seq = body.get_u32();
                let backlog = body.get_u32();
                Ok(ServerMessage::Buffer {
                    receiver,
                    seq,
                    backlog,
                    data: body,
                })
            }
            T_END_OF_PARTITION => {
                at_least(12, "EndOfPartition", &body)?;
                Ok(ServerMessage::EndOfPartition {
                    receiver: body.get_u64(),
                    seq: body.get_u32(),
                })
            }
            T_PARTITION_NOT_FOUND => {
                at_least(8, "PartitionNotFound", &body)?;
                Ok(ServerMessage::PartitionNotFound {
                    receiver: body.get_u64(),
                })
            }
            T_ERROR_RESPONSE => {
                at_least(9, "ErrorResponse", &body)?;
                let receiver = body.get_u64();
                let released = body.get_u8() != 0;
                let message = String::from_utf8_lossy(&body).into_owned();
                Ok(ServerMessage::Error {
                    receiver,
                    released,
                    message,
                })
            }
            other => Err(NetworkError::Protocol(format!(
                "unknown server message type {other:#04x}"
            ))),
        }
    }
}

fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Reads frames from a stream into one growing buffer; frame bodies are
/// split off without copying. Memory grows only as bytes actually arrive,
/// so a lying length prefix cannot trigger a huge allocation.
pub struct FrameReader<R> {
    stream: R,
    buf: BytesMut,
}

const READ_CHUNK: usize = 256 * 1024;

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// Wraps a stream.
    pub fn new(stream: R) -> Self {
        FrameReader {
            stream,
            buf: BytesMut::with_capacity(READ_CHUNK),
        }
    }

    /// Reads exactly `n` raw bytes (used for the handshake).
    pub async fn read_raw(&mut self, n: usize) -> Result<Option<Bytes>, NetworkError> {
        while self.buf.len() < n {
            if !self.fill().await? {
                return Ok(None);
            }
        }
        Ok(Some(self.buf.split_to(n).freeze()))
    }

    async fn fill(&mut self) -> Result<bool, NetworkError> {
        if self.buf.capacity() - self.buf.len() < 4096 {
            self.buf.reserve(READ_CHUNK);
        }
        let n = self
            .stream
            .read_buf(&mut self.buf)
            .await
            .map_err(|e| NetworkError::io("reading from the connection", e))?;
        Ok(n > 0)
    }

    /// The next frame as (type, body), `None` on a clean end of stream at a
    /// frame boundary.
    pub async fn next_frame(&mut self) -> Result<Option<(u8, Bytes)>, NetworkError> {
        loop {
            if self.buf.len() >= 4 {
                let len = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]])
                    as usize;
                if len == 0 || len > MAX_FRAME_LEN {
                    return Err(NetworkError::Protocol(format!(
                        "frame length {len} is outside 1..={MAX_FRAME_LEN}"
                    )));
                }
                if self.buf.len() >= 4 + len {
                    self.buf.advance(4);
                    let mut frame = self.buf.split_to(len).freeze();
                    let ty = frame.get_u8();
                    return Ok(Some((ty, frame)));
                }
                let missing = 4 + len - self.buf.len();
                if self.buf.capacity() - self.buf.len() < missing.min(READ_CHUNK) {
                    self.buf.reserve(missing.clamp(4096, READ_CHUNK));
                }
            }
            if !self.fill().await? {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                return Err(NetworkError::Protocol(format!(
                    "connection closed in the middle of a frame ({} bytes pending)",
                    self.buf.len()
                )));
            }
        }
    }
}

/// Writes all `chunks` with vectored writes (up to 64 slices per syscall).
pub async fn write_chunks<W: AsyncWrite + Unpin>(
    w: &mut W,
    chunks: &mut VecDeque<Bytes>,
) -> std::io::Result<()> {
    while !chunks.is_empty() {
        let n = {
            let mut slices = [IoSlice::new(&[]); 64];
            let mut count = 0;
            for (slot, c) in slices.iter_mut().zip(chunks.iter()) {
                *slot = IoSlice::new(c);
                count += 1;
            }
            w.write_vectored(&slices[..count]).await?
        };
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        let mut left = n;
        while left > 0 {
            let Some(front) = chunks.front_mut() else {
                break;
            };
            if front.len() <= left {
                left -= front.len();
                chunks.pop_front();
            } else {
                front.advance(left);
                left = 0;
            }
        }
    }
    w.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid() -> ResultPartitionId {
        ResultPartitionId {
            producer: ExecutionAttemptId {
                job_id: JobId::from_parts(1, 2),
                vertex: JobVertexId(3),
                subtask: 4,
                attempt: 5,
            },
            edge: 6,
        }
    }

    async fn roundtrip_frames(chunks: VecDeque<Bytes>) -> Vec<(u8, Bytes)> {
        let mut all = Vec::new();
        for c in chunks {
            all.extend_from_slice(&c);
        }
        let mut r = FrameReader::new(&all[..]);
        let mut out = Vec::new();
        while let Some(f) = r.next_frame().await.unwrap() {
            out.push(f);
        }
        out
    }

    #[tokio::test]
    async fn client_messages_round_trip() {
        let msgs = vec![
            ClientMessage::PartitionRequest {
                receiver: 7,
                partition: pid(),
                subpartition: 9,
                credit: 2,
            },
            ClientMessage::AddCredit {
                receiver: u64::MAX,
                credit: 3,
            },
            ClientMessage::CancelPartitionRequest { receiver: 0 },
        ];
        let mut b = BytesMut::new();
        for m in &msgs {
            m.encode(&mut b);
        }
        let frames = roundtrip_frames(VecDeque::from([b.freeze()])).await;
        let back: Vec<_> = frames
            .into_iter()
            .map(|(t, body)| ClientMessage::decode(t, body).unwrap())
            .collect();
        assert_eq!(back, msgs);
    }

    #[tokio::test]
    async fn server_messages_round_trip() {
        let msgs = vec![
            ServerMessage::Buffer {
                receiver: 1,
                seq: 0,
                backlog: 4,
                data: Bytes::from(vec![42u8; 100_000]),
            },
            ServerMessage::Buffer {
                receiver: 1,
                seq: 1,
                backlog: 0,
                data: Bytes::new(),
            },
            ServerMessage::EndOfPartition {
                receiver: 1,
                seq: 2,
            },
            ServerMessage::PartitionNotFound { receiver: 2 },
            ServerMessage::Error {
                receiver: 3,
                released: true,
                message: "gone".into(),
            },
        ];
        let mut arena = BytesMut::new();
        let mut chunks = VecDeque::new();
        for m in &msgs {
            m.encode_into(&mut arena, &mut chunks);
        }
        let frames = roundtrip_frames(chunks).await;
        let back: Vec<_> = frames
            .into_iter()
            .map(|(t, body)| ServerMessage::decode(t, body).unwrap())
            .collect();
        assert_eq!(back, msgs);
    }

    #[tokio::test]
    async fn malformed_frames_are_typed_errors() {
        // Oversized length.
        let data = [0xffu8, 0xff, 0xff, 0xff, 1];
        let err = FrameReader::new(&data[..]).next_frame().await.unwrap_err();
        assert!(matches!(err, NetworkError::Protocol(_)), "{err}");
        // Zero length.
        let data = [0u8, 0, 0, 0];
        assert!(FrameReader::new(&data[..]).next_frame().await.is_err());
        // Truncated frame.
        let data = [0u8, 0, 0, 10, 1, 2];
        assert!(FrameReader::new(&data[..]).next_frame().await.is_err());
        // Wrong body sizes and unknown types.
        assert!(ClientMessage::decode(T_ADD_CREDIT, Bytes::from_static(&[1, 2])).is_err());
        assert!(ClientMessage::decode(0x55, Bytes::new()).is_err());
        assert!(ServerMessage::decode(T_BUFFER_RESPONSE, Bytes::from_static(&[1])).is_err());
        assert!(ServerMessage::decode(0x01, Bytes::new()).is_err());
    }

    #[tokio::test]
    async fn write_chunks_handles_many_chunks() {
        let mut chunks: VecDeque<Bytes> = (0..200u8).map(|i| Bytes::from(vec![i; 3])).collect();
        let mut out = Vec::new();
        write_chunks(&mut out, &mut chunks).await.unwrap();
        assert_eq!(out.len(), 600);
        assert_eq!(out[599], 199);
    }
}
