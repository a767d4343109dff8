//! # flink-network
//!
//! The data plane shuffle: result partitions, input gates, network buffers and credit-based flow control over TCP, with local channels inside one TaskManager.
