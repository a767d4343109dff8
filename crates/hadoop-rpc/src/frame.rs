//! Encoding and decoding of Hadoop IPC frames (4-byte big-endian length, then varint-delimited
//! protobuf messages). Every decoder is bounds-checked and never panics on bad input.

use hadoop_proto::common::{
    RpcKindProto, RpcRequestHeaderProto, RpcResponseHeaderProto, RpcSaslProto,
    rpc_request_header_proto::OperationProto,
};
use prost::Message;

/// Call id of SASL negotiation frames.
pub const SASL_CALL_ID: i32 = -33;
/// Call id of the connection context frame.
pub const CONNECTION_CONTEXT_CALL_ID: i32 = -3;
/// Call id of a ping.
pub const PING_CALL_ID: i32 = -4;
/// Default largest frame accepted (Hadoop's `ipc.maximum.response.length`, 128 MiB).
pub const DEFAULT_MAX_FRAME: usize = 128 * 1024 * 1024;

/// An RPC request header for `call_id`.
pub fn request_header(call_id: i32, client_id: &[u8], retry_count: i32) -> RpcRequestHeaderProto {
    RpcRequestHeaderProto {
        rpc_kind: Some(RpcKindProto::RpcProtocolBuffer as i32),
        rpc_op: Some(OperationProto::RpcFinalPacket as i32),
        call_id,
        client_id: client_id.to_vec(),
        retry_count: Some(retry_count),
    }
}

/// Builds one frame: 4-byte length, then each message length-delimited.
pub fn frame(messages: &[&dyn DynMessage]) -> Vec<u8> {
    let mut body = Vec::new();
    for m in messages {
        m.encode_delimited(&mut body);
    }
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// Object-safe delimited encoding.
pub trait DynMessage {
    /// Appends the length-delimited encoding.
    fn encode_delimited(&self, out: &mut Vec<u8>);
}

impl<M: Message> DynMessage for M {
    fn encode_delimited(&self, out: &mut Vec<u8>) {
        // Writing into a Vec has unlimited capacity, so this cannot fail.
        let _ = self.encode_length_delimited(out);
    }
}

/// A SASL frame carrying `msg`.
pub fn sasl_frame(msg: &RpcSaslProto) -> Vec<u8> {
    frame(&[&request_header(SASL_CALL_ID, &[], -1), msg])
}

/// Splits one varint-delimited message off the front of `buf`.
pub fn take_delimited<'a>(buf: &mut &'a [u8]) -> Result<&'a [u8], String> {
    let len = prost::encoding::decode_varint(buf).map_err(|e| format!("bad length prefix: {e}"))?;
    if len > buf.len() as u64 {
        return Err(format!(
            "delimited message of {len} bytes but only {} bytes left",
            buf.len()
        ));
    }
    let (m, rest) = buf.split_at(len as usize);
    *buf = rest;
    Ok(m)
}

/// A decoded response frame: header plus the bytes after it.
#[derive(Debug)]
pub struct ResponseFrame {
    /// The response header.
    pub header: RpcResponseHeaderProto,
    /// Bytes after the header (the delimited response message, or a SASL message).
    pub rest: Vec<u8>,
}

impl ResponseFrame {
    /// The call id as the signed value the client used.
    pub fn call_id(&self) -> i32 {
        self.header.call_id as i32
    }
}

/// Decodes a frame body (without the 4-byte length).
pub fn decode_response(body: &[u8]) -> Result<ResponseFrame, String> {
    let mut buf = body;
    let h = take_delimited(&mut buf)?;
    let header = RpcResponseHeaderProto::decode(h)
        .map_err(|e| format!("bad RpcResponseHeaderProto: {e}"))?;
    Ok(ResponseFrame {
        header,
        rest: buf.to_vec(),
    })
}

/// Decodes the (only) delimited message in `rest`.
pub fn decode_delimited<M: Message + Default>(rest: &[u8], what: &str) -> Result<M, String> {
    let mut buf = rest;
    let m = take_delimited(&mut buf).map_err(|e| format!("{what}: {e}"))?;
    M::decode(m).map_err(|e| format!("bad {what}: {e}"))
}

/// Checks a frame length read from the wire.
pub fn check_len(len: u32, max: usize) -> Result<usize, String> {
    let len = len as usize;
    if len > max {
        return Err(format!(
            "frame of {len} bytes exceeds the limit of {max} bytes"
        ));
    }
    Ok(len)
}

/// Pops complete frames (length + body) from a byte stream buffer.
pub fn pop_frame(stream: &mut Vec<u8>, max: usize) -> Result<Option<Vec<u8>>, String> {
    if stream.len() < 4 {
        return Ok(None);
    }
    let len = check_len(
        u32::from_be_bytes([stream[0], stream[1], stream[2], stream[3]]),
        max,
    )?;
    if stream.len() < 4 + len {
        return Ok(None);
    }
    let body = stream[4..4 + len].to_vec();
    stream.drain(..4 + len);
    Ok(Some(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hadoop_proto::common::rpc_response_header_proto::RpcStatusProto;
    use proptest::prelude::*;

    #[test]
    fn roundtrip_response() {
        let h = RpcResponseHeaderProto {
            call_id: (-33i32) as u32,
            status: RpcStatusProto::Success as i32,
            ..Default::default()
        };
        let sasl = RpcSaslProto {
            state: 0,
            ..Default::default()
        };
        let f = frame(&[&h, &sasl]);
        let body = &f[4..];
        let r = decode_response(body).unwrap();
        assert_eq!(r.call_id(), -33);
        let s: RpcSaslProto = decode_delimited(&r.rest, "sasl").unwrap();
        assert_eq!(s, sasl);
        let mut stream = f.clone();
        stream.extend_from_slice(&f[..3]);
        assert!(pop_frame(&mut stream, 1 << 20).unwrap().is_some());
        assert!(pop_frame(&mut stream, 1 << 20).unwrap().is_none());
    }

    #[test]
    fn oversized_frame_is_rejected() {
        let mut s = vec![0x7f, 0xff, 0xff, 0xff, 0];
        assert!(
            pop_frame(&mut s, DEFAULT_MAX_FRAME)
                .unwrap_err()
                .contains("exceeds")
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn decoders_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(r) = decode_response(&data) {
                let _ = decode_delimited::<RpcSaslProto>(&r.rest, "sasl");
                let _ = decode_delimited::<hadoop_proto::yarn::AllocateResponseProto>(&r.rest, "allocate");
            }
            let mut s = data.clone();
            let _ = pop_frame(&mut s, 1024);
        }
    }
}
