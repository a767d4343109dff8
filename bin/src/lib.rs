//! # flink-rs
//!
//! The multi-call binary of flink-rs as a library. The `flink-rs`
//! executable calls [`main_with_registry`] with the built-in examples; a
//! user's job bundle is an executable that links this crate and calls
//! [`bundle_main`] with its program, so the same file can act as client,
//! JobManager and TaskManager (see docs/user-jobs.md).
//!
//! Roles: `run`/`info`/`list`/`cancel` (client), `jobmanager` and
//! `taskmanager` (standalone processes), and the in-process local cluster
//! behind `run -t local`.

mod bench;
mod cluster;
mod logging;

pub use cluster::{LocalCluster, start_local_cluster, start_task_manager};
pub use flink_streaming::{
    Collector, Data, DataStream, Either, KeyedStream, ProgramError, ProgramFn, ProgramRegistry,
    RuntimeContext, StreamExecutionEnvironment, StreamOperator, WatermarkStrategy,
};

use flink_client::cli::{Command, ProgramSpec};
use flink_client::commands::{self, ClusterLauncher, ProgramLoader};
use flink_client::{BoxError, Cli, report_error};
use flink_config::Configuration;
use flink_streaming::registry::settings_from_config;
use flink_types::{JobGraph, JobId, ProgramRef};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// The name under which a bundle's program is registered.
pub const BUNDLE_PROGRAM: &str = "main";

/// Entry point of a user's job bundle: registers `program` as
/// [`BUNDLE_PROGRAM`] and runs the flink-rs command line.
pub fn bundle_main(program: ProgramFn) -> ExitCode {
    let mut registry = ProgramRegistry::new();
    registry.register(BUNDLE_PROGRAM, "the program of this bundle", program);
    main_with_registry(registry)
}

/// Builds job graphs from the programs in a registry.
pub struct RegistryLoader {
    registry: Arc<ProgramRegistry>,
    required_slots: Arc<AtomicU32>,
}

impl RegistryLoader {
    /// A loader over `registry`.
    pub fn new(registry: Arc<ProgramRegistry>) -> Self {
        Self {
            registry,
            required_slots: Arc::new(AtomicU32::new(1)),
        }
    }
}

/// The job graph of `spec` built from `registry` with configuration `config`.
pub fn load_job_graph(
    registry: &ProgramRegistry,
    spec: &ProgramSpec,
    config: &Configuration,
) -> Result<JobGraph, BoxError> {
    if !registry.contains(&spec.program) {
        let available: Vec<&str> = registry.list().map(|(n, _)| n).collect();
        return Err(if spec.program.starts_with("example:") {
            format!(
                "unknown example '{}'; available: {}",
                spec.program,
                available.join(", ")
            )
        } else {
            format!(
                "'{}' is neither a built-in example ({}) nor an existing job bundle file",
                spec.program,
                available.join(", ")
            )
        }
        .into());
    }
    let map = config.to_map();
    let program = ProgramRef {
        name: spec.program.clone(),
        args: spec.args.clone(),
        bundle: std::env::var("FLINK_RS_BUNDLE").ok(),
    };
    let graph = registry.build_graph(&program, settings_from_config(&map, &spec.program))?;
    Ok(graph.to_job_graph(JobId::generate(), program)?)
}

impl ProgramLoader for RegistryLoader {
    fn load(&self, spec: &ProgramSpec, config: &Configuration) -> Result<JobGraph, BoxError> {
        let graph = load_job_graph(&self.registry, spec, config)?;
        self.required_slots
            .store(graph.required_slots(), Ordering::SeqCst);
        Ok(graph)
    }
}

/// If the command runs a program given as a path to an executable bundle
/// (not a registered program), re-executes that bundle with the same
/// arguments and the program replaced by [`BUNDLE_PROGRAM`]. Returns only
/// when there is nothing to delegate (or the exec failed).
fn delegate_to_bundle(registry: &ProgramRegistry, cli: &Cli, argv: &[String]) -> Option<ExitCode> {
    let program = match &cli.command {
        Command::Run(a) | Command::RunApplication(a) => &a.program,
        Command::Info(a) => &a.program,
        _ => return None,
    };
    if registry.contains(program) || program.starts_with("example:") {
        return None;
    }
    let path = std::path::Path::new(program);
    if !path.is_file() {
        return None;
    }
    let pos = argv.iter().skip(1).position(|a| a == program)? + 1;
    let mut args: Vec<String> = argv[1..].to_vec();
    args[pos - 1] = BUNDLE_PROGRAM.to_string();
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    use std::os::unix::process::CommandExt;
    let err = std::process::Command::new(&abs)
        .args(&args)
        .env("FLINK_RS_BUNDLE", &abs)
        .exec();
    Some(report_error(&format!(
        "cannot execute job bundle '{}': {err}; a bundle must be an executable built against flink-rs",
        abs.display()
    )))
}

/// Runs the flink-rs command line with the programs in `registry`.
pub fn main_with_registry(registry: ProgramRegistry) -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("yarn-shell-am") {
        return yarn_shell_am(argv[2..].to_vec());
    }
    if argv.get(1).map(String::as_str) == Some("bench") {
        return bench::bench_main(&argv[2..]);
    }
    if argv.get(1).map(String::as_str) == Some(flink_yarn_am::contract::AM_ROLE) {
        return yarn_application_am(Some(Arc::new(registry)));
    }
    if argv.get(1).map(String::as_str) == Some(flink_yarn_am::contract::AM_SESSION_ROLE) {
        return yarn_application_am(None);
    }
    let cli = match Cli::try_parse_args(&argv) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if let Some(code) = delegate_to_bundle(&registry, &cli, &argv) {
        return code;
    }
    let role = matches!(
        cli.command,
        Command::Jobmanager(_) | Command::Taskmanager(_)
    );
    logging::init(role);
    let runtime = match async_runtime("flink-rs-io") {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let registry = Arc::new(registry);
    let result = runtime.block_on(dispatch(cli.command, registry));
    // Task threads may still be winding down; do not wait for the runtime.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report_error(&e),
    }
}

/// The process's async runtime (RPC, REST, HDFS); task threads are separate.
/// On failure the error is reported and the exit code returned.
pub(crate) fn async_runtime(thread_name: &str) -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name(thread_name)
        .build()
        .map_err(|e| report_error(&format!("cannot start the async runtime: {e}")))
}

/// Hidden role `flink-rs yarn-shell-am`: a YARN ApplicationMaster that runs
/// a shell command in N containers (the end-to-end test of the YARN client).
fn yarn_shell_am(args: Vec<String>) -> ExitCode {
    logging::init(true);
    let runtime = match async_runtime("flink-rs-am") {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match runtime.block_on(flink_yarn_am::shell_cli::shell_am_main(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => report_error(&e),
    }
}

/// Hidden roles `flink-rs yarn-application-am` (with the registry: the
/// ApplicationMaster of a YARN application cluster, JobManager + the
/// application's program) and `flink-rs yarn-session-am` (without: the
/// ApplicationMaster of a session cluster).
fn yarn_application_am(registry: Option<Arc<ProgramRegistry>>) -> ExitCode {
    use flink_yarn_am::application::{AmMode, JobBuilder, run_master};
    logging::init(true);
    let runtime = match async_runtime("flink-rs-am") {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let mode = match registry {
        Some(registry) => {
            let build: JobBuilder = Box::new(move |config, program| {
                let spec = ProgramSpec {
                    program: program.name.clone(),
                    args: program.args.clone(),
                };
                load_job_graph(&registry, &spec, config).map_err(|e| e.to_string())
            });
            AmMode::Application(build)
        }
        None => AmMode::Session,
    };
    let result = runtime.block_on(run_master(mode));
    runtime.shutdown_background();
    match result {
        Ok(outcome) => {
            eprintln!(
                "application finished: {}: {}",
                outcome.status.as_str(),
                outcome.diagnostics
            );
            ExitCode::SUCCESS
        }
        Err(e) => report_error(&e),
    }
}

async fn dispatch(command: Command, registry: Arc<ProgramRegistry>) -> Result<(), BoxError> {
    let mut stdout = std::io::stdout();
    match command {
        Command::Run(args) | Command::RunApplication(args) => {
            let loader = RegistryLoader::new(registry.clone());
            let launcher = cluster::LocalLauncher {
                registry,
                required_slots: loader.required_slots.clone(),
            };
            commands::run(
                &args,
                &loader,
                &launcher as &dyn ClusterLauncher,
                &mut stdout,
            )
            .await?;
        }
        Command::Info(args) => {
            let loader = RegistryLoader::new(registry);
            commands::info(&args, &loader, &mut stdout)?;
        }
        Command::List(args) => commands::list(&args, &mut stdout).await?,
        Command::Cancel(args) => commands::cancel(&args, &mut stdout).await?,
        Command::Savepoint(args) => {
            flink_client::savepoint::savepoint(&args, &mut stdout).await?;
        }
        Command::Stop(args) => {
            flink_client::savepoint::stop(&args, &mut stdout).await?;
        }
        Command::YarnSession(args) => {
            let stdin = Box::new(std::io::BufReader::new(std::io::stdin()));
            flink_client::yarn_session::yarn_session(&args, stdin, &mut stdout).await?;
        }
        Command::Jobmanager(args) => {
            let config = args.load_configuration()?;
            cluster::run_standalone_jobmanager(&config).await?;
        }
        Command::Taskmanager(args) => {
            let config = args.load_configuration()?;
            cluster::run_standalone_taskmanager(&config, registry).await?;
        }
    }
    Ok(())
}
