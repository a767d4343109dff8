//! The command line of the shell ApplicationMaster (`flink-rs yarn-shell-am`
//! and the stand-alone `yarn-shell-am` binary): runs a command in N YARN
//! containers and unregisters with the outcome.

use crate::{ShellAmOptions, run_shell_application_master};
use clap::Parser;
use hadoop_proto::yarn::FinalApplicationStatusProto;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(about = "Shell ApplicationMaster: runs a command in N YARN containers")]
pub struct ShellAmArgs {
    /// Number of containers.
    #[arg(long, default_value_t = 1)]
    pub containers: i32,
    /// Memory per container in MiB.
    #[arg(long, default_value_t = 128)]
    pub memory_mb: i64,
    /// Vcores per container.
    #[arg(long, default_value_t = 1)]
    pub vcores: i32,
    /// Command to run in each container.
    #[arg(long, env = "SHELL_AM_COMMAND")]
    pub command: String,
    /// Environment for the containers, KEY=VALUE (repeatable).
    #[arg(long = "env")]
    pub environment: Vec<String>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 600)]
    pub timeout_secs: u64,
}

/// Parses `args` (without the program name), runs the ApplicationMaster and
/// returns whether the application SUCCEEDED; errors are one-line messages.
pub async fn shell_am_main(args: Vec<String>) -> Result<bool, String> {
    let args =
        ShellAmArgs::try_parse_from(std::iter::once("yarn-shell-am".to_string()).chain(args))
            .map_err(|e| e.to_string())?;
    let environment = args
        .environment
        .iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| format!("--env '{kv}' is not KEY=VALUE"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let outcome = run_shell_application_master(ShellAmOptions {
        containers: args.containers,
        memory_mb: args.memory_mb,
        vcores: args.vcores,
        command: args.command,
        environment,
        heartbeat: Duration::from_millis(200),
        timeout: Duration::from_secs(args.timeout_secs),
    })
    .await
    .map_err(|e| e.to_string())?;
    eprintln!(
        "shell ApplicationMaster finished: {:?}: {}",
        outcome.status, outcome.diagnostics
    );
    Ok(outcome.status == FinalApplicationStatusProto::AppSucceeded)
}
