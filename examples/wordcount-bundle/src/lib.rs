//! # wordcount-bundle
//!
//! An example user job bundle: a Rust program against the flink-rs API.
