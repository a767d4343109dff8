//! The wire form of stream elements inside network buffers.
//!
//! A buffer is a sequence of elements, each a one-byte tag followed by its
//! payload. Records are bincode-encoded (serde) without a length prefix:
//! the decoder knows how many bytes it consumed. Buffers never split an
//! element; a record larger than a segment gets a buffer of its own.

use bytes::{BufMut, BytesMut};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Record without a timestamp.
pub const TAG_RECORD: u8 = 0;
/// Record with an i64 event timestamp.
pub const TAG_RECORD_TS: u8 = 1;
/// Watermark (i64).
pub const TAG_WATERMARK: u8 = 2;
/// Checkpoint barrier (id u64, timestamp i64, kind u8).
pub const TAG_BARRIER: u8 = 3;
/// The channel went idle (excluded from watermark calculation).
pub const TAG_IDLE: u8 = 4;
/// The channel became active again.
pub const TAG_ACTIVE: u8 = 5;

/// A checkpoint barrier as it travels with the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckpointBarrier {
    /// Checkpoint id.
    pub id: u64,
    /// Trigger time (ms since epoch).
    pub timestamp: i64,
    /// Whether this is a savepoint.
    pub is_savepoint: bool,
}

/// The bincode configuration used for records everywhere.
pub fn codec() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Error decoding a buffer.
#[derive(Debug, thiserror::Error)]
pub enum ElementError {
    /// A record did not decode.
    #[error("corrupt record in network buffer at byte {offset}: {source}")]
    Decode {
        /// Offset in the buffer.
        offset: usize,
        /// Decoder error.
        source: bincode::error::DecodeError,
    },
    /// A record did not encode.
    #[error("could not serialize record: {0}")]
    Encode(#[from] bincode::error::EncodeError),
    /// An unknown tag or a truncated fixed-size element.
    #[error("corrupt network buffer at byte {offset}: {what}")]
    Corrupt {
        /// Offset in the buffer.
        offset: usize,
        /// What was wrong.
        what: &'static str,
    },
}

struct BytesMutWriter<'a>(&'a mut BytesMut);

impl bincode::enc::write::Writer for BytesMutWriter<'_> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> Result<(), bincode::error::EncodeError> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

/// Appends a record to `buf`.
#[inline]
pub fn write_record<T: Serialize>(
    buf: &mut BytesMut,
    value: &T,
    ts: Option<i64>,
) -> Result<(), ElementError> {
    match ts {
        Some(ts) => {
            buf.put_u8(TAG_RECORD_TS);
            buf.put_i64_le(ts);
        }
        None => buf.put_u8(TAG_RECORD),
    }
    bincode::serde::encode_into_writer(value, BytesMutWriter(buf), codec())?;
    Ok(())
}

/// Appends a watermark.
pub fn write_watermark(buf: &mut BytesMut, wm: i64) {
    buf.put_u8(TAG_WATERMARK);
    buf.put_i64_le(wm);
}

/// Appends a barrier.
pub fn write_barrier(buf: &mut BytesMut, b: &CheckpointBarrier) {
    buf.put_u8(TAG_BARRIER);
    buf.put_u64_le(b.id);
    buf.put_i64_le(b.timestamp);
    buf.put_u8(b.is_savepoint as u8);
}

/// Appends an idle/active marker.
pub fn write_status(buf: &mut BytesMut, idle: bool) {
    buf.put_u8(if idle { TAG_IDLE } else { TAG_ACTIVE });
}

/// One decoded element; records are handed out typed.
#[derive(Debug, PartialEq)]
pub enum Element<T> {
    /// A record with its optional timestamp.
    Record(T, Option<i64>),
    /// A watermark.
    Watermark(i64),
    /// A barrier.
    Barrier(CheckpointBarrier),
    /// Channel idle (true) or active (false).
    Status(bool),
}

/// Reads elements of type `T` from a buffer.
pub struct ElementReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> ElementReader<'a> {
    /// A reader over `buf` starting at `pos`.
    pub fn new(buf: &'a [u8], pos: usize) -> Self {
        Self { buf, pos }
    }
    /// Current offset.
    pub fn position(&self) -> usize {
        self.pos
    }
    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], ElementError> {
        let end = self.pos + N;
        let bytes = self.buf.get(self.pos..end).ok_or(ElementError::Corrupt {
            offset: self.pos,
            what: "truncated element",
        })?;
        self.pos = end;
        let mut a = [0u8; N];
        a.copy_from_slice(bytes);
        Ok(a)
    }
    /// Next element, or `None` at the end of the buffer.
    #[inline]
    pub fn next_element<T: DeserializeOwned>(
        &mut self,
    ) -> Result<Option<Element<T>>, ElementError> {
        let Some(&tag) = self.buf.get(self.pos) else {
            return Ok(None);
        };
        let start = self.pos;
        self.pos += 1;
        match tag {
            TAG_RECORD | TAG_RECORD_TS => {
                let ts = if tag == TAG_RECORD_TS {
                    Some(i64::from_le_bytes(self.fixed::<8>()?))
                } else {
                    None
                };
                let (v, used) =
                    bincode::serde::decode_from_slice::<T, _>(&self.buf[self.pos..], codec())
                        .map_err(|source| ElementError::Decode {
                            offset: start,
                            source,
                        })?;
                self.pos += used;
                Ok(Some(Element::Record(v, ts)))
            }
            TAG_WATERMARK => Ok(Some(Element::Watermark(i64::from_le_bytes(
                self.fixed::<8>()?,
            )))),
            TAG_BARRIER => {
                let id = u64::from_le_bytes(self.fixed::<8>()?);
                let timestamp = i64::from_le_bytes(self.fixed::<8>()?);
                let [kind] = self.fixed::<1>()?;
                Ok(Some(Element::Barrier(CheckpointBarrier {
                    id,
                    timestamp,
                    is_savepoint: kind == 1,
                })))
            }
            TAG_IDLE => Ok(Some(Element::Status(true))),
            TAG_ACTIVE => Ok(Some(Element::Status(false))),
            _ => Err(ElementError::Corrupt {
                offset: start,
                what: "unknown element tag",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_round_trip() {
        let mut buf = BytesMut::new();
        write_record(&mut buf, &("hello".to_string(), 3u64), Some(42)).unwrap();
        write_watermark(&mut buf, 40);
        write_record(&mut buf, &("x".to_string(), 1u64), None).unwrap();
        let b = CheckpointBarrier {
            id: 7,
            timestamp: 9,
            is_savepoint: true,
        };
        write_barrier(&mut buf, &b);
        write_status(&mut buf, true);
        let mut r = ElementReader::new(&buf, 0);
        assert_eq!(
            r.next_element::<(String, u64)>().unwrap(),
            Some(Element::Record(("hello".into(), 3), Some(42)))
        );
        assert_eq!(
            r.next_element::<(String, u64)>().unwrap(),
            Some(Element::Watermark(40))
        );
        assert_eq!(
            r.next_element::<(String, u64)>().unwrap(),
            Some(Element::Record(("x".into(), 1), None))
        );
        assert_eq!(
            r.next_element::<(String, u64)>().unwrap(),
            Some(Element::Barrier(b))
        );
        assert_eq!(
            r.next_element::<(String, u64)>().unwrap(),
            Some(Element::Status(true))
        );
        assert_eq!(r.next_element::<(String, u64)>().unwrap(), None);
    }

    #[test]
    fn corrupt_buffers_are_errors_not_panics() {
        for bad in [
            &[9u8][..],
            &[TAG_WATERMARK, 1, 2][..],
            &[TAG_RECORD, 0xff][..],
        ] {
            let mut r = ElementReader::new(bad, 0);
            assert!(r.next_element::<String>().is_err(), "{bad:?}");
        }
    }
}
