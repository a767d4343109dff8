//! `yarn-shell-am`: the shell ApplicationMaster as a stand-alone binary
//! (the same code runs as `flink-rs yarn-shell-am`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match flink_yarn_am::shell_cli::shell_am_main(std::env::args().skip(1).collect()).await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("Error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
