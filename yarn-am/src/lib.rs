//! # flink-yarn-am
//!
//! The YARN ApplicationMaster side of flink-rs.
//!
//! * [`driver`]: reusable AM machinery over `yarn-client`: [`driver::RequestTracker`]
//!   (outstanding asks sent only on change, allocation matching, surplus release),
//!   [`driver::YarnAmDriver`] (register, heartbeat with RESYNC / SHUTDOWN handling, container
//!   launch with the node's NMToken, unregister).
//! * [`resource_driver`]: [`resource_driver::YarnResourceDriver`], the JobManager's
//!   `ResourceDriver` on YARN (TaskManager containers, replacement, final status).
//! * [`application`]: [`application::run_application_master`], the AM of an application
//!   cluster: JobManager + YARN driver + the application's program.
//! * [`contract`]: names and environment the client and the AM agree on.
//! * [`shell`]: [`shell::run_shell_application_master`], a minimal AM that runs one shell
//!   command in N containers (the end-to-end proof of the native YARN path; exposed as the
//!   `yarn-shell-am` binary and, once wired, `flink-rs yarn-shell-am`).

pub mod application;
pub mod contract;
pub mod driver;
pub mod resource_driver;
pub mod shell;
pub mod shell_cli;

pub use driver::{AmError, ContainerSpec, RequestTracker, YarnAmDriver};
pub use shell::{ShellAmOptions, ShellAmOutcome, run_shell_application_master};
