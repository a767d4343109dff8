//! # hadoop-proto
//!
//! Hadoop common and YARN protocol messages (prost), with Hadoop's field numbers.
