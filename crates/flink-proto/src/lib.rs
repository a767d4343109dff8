//! # flink-proto
//!
//! Internal gRPC protocol between the JobManager and TaskManagers (tonic/prost).
