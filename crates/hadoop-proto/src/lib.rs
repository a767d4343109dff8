//! # hadoop-proto
//!
//! Hadoop common and YARN protocol messages as prost types, generated at build time from the
//! `.proto` files in `proto/` (written for flink-rs with Hadoop's message names and field
//! numbers, Hadoop 3.4 compatible; compiled with the pure-Rust `protox`, no `protoc` needed).
//!
//! * [`common`]: package `hadoop.common`: IPC headers (`RpcRequestHeaderProto`,
//!   `RpcResponseHeaderProto`, `RpcSaslProto`), `IpcConnectionContextProto`,
//!   `RequestHeaderProto`, `TokenProto` and `CredentialsProto`.
//! * [`yarn`]: package `hadoop.yarn`: the YARN records, the ApplicationClient /
//!   ApplicationMaster / ContainerManagement request and response messages, and the token
//!   identifiers.
//!
//! This crate knows nothing of Flink; it only carries the wire types.

/// Package `hadoop.common`.
#[allow(clippy::all, missing_docs)]
pub mod common {
    include!(concat!(env!("OUT_DIR"), "/hadoop.common.rs"));
}

/// Package `hadoop.yarn`.
#[allow(clippy::all, missing_docs)]
pub mod yarn {
    include!(concat!(env!("OUT_DIR"), "/hadoop.yarn.rs"));
}

pub use prost::Message;

#[cfg(test)]
mod tests {
    use super::common::{RpcRequestHeaderProto, RpcSaslProto, rpc_sasl_proto::SaslState};
    use super::yarn::{ApplicationIdProto, ApplicationReportProto};
    use prost::Message;

    #[test]
    fn call_id_is_zigzag_encoded() {
        let h = RpcRequestHeaderProto {
            rpc_kind: None,
            rpc_op: None,
            call_id: -33,
            client_id: vec![],
            retry_count: Some(-1),
        };
        let bytes = h.encode_to_vec();
        // field 3, varint; zigzag(-33) = 65 = 0x41
        assert_eq!(&bytes[..2], &[0x18, 0x41]);
        assert_eq!(RpcRequestHeaderProto::decode(&bytes[..]).unwrap(), h);
    }

    #[test]
    fn defaults_follow_hadoop() {
        let r = ApplicationReportProto::default();
        assert_eq!(r.diagnostics(), "N/A");
        let s = RpcSaslProto {
            state: SaslState::Negotiate as i32,
            ..Default::default()
        };
        assert_eq!(s.state(), SaslState::Negotiate);
        let id = ApplicationIdProto {
            id: Some(7),
            cluster_timestamp: Some(1),
        };
        assert_eq!(
            ApplicationIdProto::decode(&*id.encode_to_vec()).unwrap(),
            id
        );
    }
}
