//! # flink-client
//!
//! The flink-rs command line and the JobManager's REST client.
//!
//! * [`cli`]: the clap definition ([`cli::Cli`], [`cli::Command`]) with
//!   Flink's flags: `run [-t] [-m] [-p] [-d] [-D k=v]... [-s] <program> [args]`,
//!   `list [-a|-r|-s]`, `cancel <jobId>`, `savepoint <jobId> [dir]`,
//!   `stop [-p dir] <jobId>` ([`savepoint`]), `info`, and the role commands
//!   `jobmanager` / `taskmanager` (`--configDir`, `-D`).
//! * [`commands`]: the command implementations. They take their
//!   dependencies as parameters: a [`commands::ProgramLoader`] (program
//!   reference -> `JobGraph`) and a [`commands::ClusterLauncher`] (starts
//!   e.g. the local cluster), which the binary wires to the runtime.
//! * [`rest`]: [`RestClusterClient`] for `/jobs`, `/jobs/overview`,
//!   `/jobs/:id`, `/jobs/:id/execution-result` and `/overview`, with
//!   Flink's JSON shapes and one-line errors with a bounded connect time.
//! * [`report_error`]: prints `Error: <one line>` on stderr for `main`.

pub mod cli;
pub mod commands;
pub mod error;
pub mod rest;
pub mod savepoint;
pub mod time;
pub mod yarn;
pub mod yarn_session;

pub use cli::{Cli, Command};
pub use error::{BoxError, ClientError, error_line, report_error};
pub use rest::RestClusterClient;
