//! # hadoop-minicluster
//!
//! Test support: starts the real Hadoop mini cluster (MiniDFSCluster + MiniYARNCluster, optionally MiniKdc) from tests/minicluster and stops it on drop.
