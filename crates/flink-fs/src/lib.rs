//! # flink-fs
//!
//! File systems behind one trait: the local file system and HDFS (via hdfs-native), addressed by file:// and hdfs:// URIs.
