//! `yarn-shell-am`: runs [`flink_yarn_am::run_shell_application_master`] inside a YARN AM
//! container. The container command comes from `--command` or `SHELL_AM_COMMAND`.

use std::time::Duration;

use clap::Parser;
use flink_yarn_am::{ShellAmOptions, run_shell_application_master};
use hadoop_proto::yarn::FinalApplicationStatusProto;

#[derive(Parser, Debug)]
#[command(about = "Shell ApplicationMaster: runs a command in N YARN containers")]
struct Args {
    /// Number of containers.
    #[arg(long, default_value_t = 1)]
    containers: i32,
    /// Memory per container in MiB.
    #[arg(long, default_value_t = 128)]
    memory_mb: i64,
    /// Vcores per container.
    #[arg(long, default_value_t = 1)]
    vcores: i32,
    /// Command to run in each container.
    #[arg(long, env = "SHELL_AM_COMMAND")]
    command: String,
    /// Environment for the containers, KEY=VALUE (repeatable).
    #[arg(long = "env")]
    environment: Vec<String>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 600)]
    timeout_secs: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let environment = args
        .environment
        .iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| anyhow::anyhow!("--env '{kv}' is not KEY=VALUE"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let outcome = run_shell_application_master(ShellAmOptions {
        containers: args.containers,
        memory_mb: args.memory_mb,
        vcores: args.vcores,
        command: args.command,
        environment,
        heartbeat: Duration::from_millis(200),
        timeout: Duration::from_secs(args.timeout_secs),
    })
    .await?;
    eprintln!(
        "shell ApplicationMaster finished: {:?}: {}",
        outcome.status, outcome.diagnostics
    );
    if outcome.status != FinalApplicationStatusProto::AppSucceeded {
        std::process::exit(1);
    }
    Ok(())
}
