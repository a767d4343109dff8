//! # flink-proto
//!
//! The internal gRPC protocol of the flink-rs control plane
//! (`proto/control.proto`, compiled with `protox` + `tonic-prost-build`):
//!
//! * [`pb::job_manager_gateway_server`] / [`pb::job_manager_gateway_client`]:
//!   TaskManager -> JobManager (registration, heartbeats, task state updates,
//!   checkpoint acks and declines, disconnect).
//! * [`pb::task_executor_gateway_server`] / [`pb::task_executor_gateway_client`]:
//!   JobManager -> TaskManager (slots, task submission and cancellation,
//!   checkpoint triggers and notifications, disconnect, shutdown).
//!
//! [`convert`] maps between the protobuf messages and `flink-types`
//! (deployment descriptors and state snapshots travel as serde JSON in a
//! `bytes` field: [`convert::encode_tdd`] / [`convert::decode_tdd`]);
//! [`status`] is the one place where errors become `tonic::Status` and back.

pub mod convert;
pub mod status;

/// Generated protobuf messages and gRPC services (package `flink.control`).
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod pb {
    tonic::include_proto!("flink.control");
}

pub use convert::ProtoError;

/// Largest control-plane message accepted (deployment descriptors of
/// high-parallelism HASH edges and checkpoint acks can exceed gRPC's 4 MiB
/// default).
pub const MAX_MESSAGE_SIZE: usize = 64 * 1024 * 1024;
