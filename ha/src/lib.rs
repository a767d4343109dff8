//! # flink-ha
//!
//! High availability services: leader election and retrieval, job graph and checkpoint stores (none, ZooKeeper + HDFS).
