//! # flink-yarn-am
//!
//! The YARN ApplicationMaster: AMRM loop, NodeManager container starts, YARN resource driver for the JobManager.
