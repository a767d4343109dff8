//! # flink-it
//!
//! Integration tests: local and standalone clusters, the real Hadoop mini cluster, ZooKeeper.
