//! Implementations of `run`, `list`, `cancel` and `info`. They take their
//! dependencies as parameters: a [`ProgramLoader`] that turns a program
//! reference into a [`JobGraph`], and a [`ClusterLauncher`] that starts a
//! cluster for targets other than `remote` (the binary wires both to the
//! runtime). Output goes to a writer so it can be checked in tests.

use crate::cli::{CancelArgs, InfoArgs, ListArgs, ProgramSpec, RunArgs};
use crate::error::{BoxError, ClientError};
use crate::rest::{JobDetails, JobOverview, QueueStatus, RestClientOptions, RestClusterClient};
use crate::time::format_timestamp;
use async_trait::async_trait;
use flink_config::options::{DeploymentTarget, EXECUTION_ATTACHED, EXECUTION_TARGET};
use flink_config::{Configuration, RestConfig};
use flink_types::{JobGraph, JobId, JobStatus};
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Turns a program reference into a job graph (the binary knows the
/// built-in examples and how to query a bundle).
pub trait ProgramLoader: Send + Sync {
    /// Builds the job graph; `config` is the effective configuration
    /// (parallelism from `parallelism.default`, ...).
    fn load(&self, program: &ProgramSpec, config: &Configuration) -> Result<JobGraph, BoxError>;
}

impl<F> ProgramLoader for F
where
    F: Fn(&ProgramSpec, &Configuration) -> Result<JobGraph, BoxError> + Send + Sync,
{
    fn load(&self, program: &ProgramSpec, config: &Configuration) -> Result<JobGraph, BoxError> {
        self(program, config)
    }
}

/// A cluster started for one `run` (e.g. the in-process local cluster).
#[async_trait]
pub trait RunningCluster: Send {
    /// Base URL of its REST endpoint, `http://host:port`.
    fn rest_url(&self) -> String;
    /// Stops it (called after an attached job ended).
    async fn shutdown(self: Box<Self>) -> Result<(), BoxError>;
}

/// Starts clusters for deployment targets other than `remote`.
#[async_trait]
pub trait ClusterLauncher: Send + Sync {
    /// Starts a cluster for `target`. Return an error naming the target if
    /// this build cannot deploy it.
    async fn launch(
        &self,
        target: DeploymentTarget,
        config: &Configuration,
    ) -> Result<Box<dyn RunningCluster>, BoxError>;
}

/// A launcher that supports no target (for `list`/`cancel`, or tests).
pub struct NoLauncher;

#[async_trait]
impl ClusterLauncher for NoLauncher {
    async fn launch(
        &self,
        target: DeploymentTarget,
        _config: &Configuration,
    ) -> Result<Box<dyn RunningCluster>, BoxError> {
        Err(format!("deployment target '{target}' is not supported by this command").into())
    }
}

/// Runs a client command (`run`, `list`, `cancel`, `info`) and returns
/// `Ok(true)`; returns `Ok(false)` for the role commands (`jobmanager`,
/// `taskmanager`), which the binary starts itself.
pub async fn execute(
    command: &crate::cli::Command,
    loader: &dyn ProgramLoader,
    launcher: &dyn ClusterLauncher,
    out: &mut (dyn Write + Send),
) -> Result<bool, ClientError> {
    use crate::cli::Command;
    match command {
        Command::Run(a) | Command::RunApplication(a) => run(a, loader, launcher, out).await?,
        Command::List(a) => list(a, out).await?,
        Command::Cancel(a) => cancel(a, out).await?,
        Command::Savepoint(a) => {
            crate::savepoint::savepoint(a, out).await?;
        }
        Command::Stop(a) => {
            crate::savepoint::stop(a, out).await?;
        }
        Command::Info(a) => info(a, loader, out)?,
        Command::YarnSession(a) => {
            let stdin = Box::new(std::io::BufReader::new(std::io::stdin()));
            crate::yarn_session::yarn_session(a, stdin, out).await?;
        }
        Command::Jobmanager(_) | Command::Taskmanager(_) => return Ok(false),
    }
    Ok(true)
}

/// How long attached mode waits for the execution result of a terminal job.
pub const RESULT_WAIT: Duration = Duration::from_secs(60);

/// How often attached mode polls the job status.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(250);

/// A REST client for the cluster the configuration points at.
pub fn rest_client_for(config: &Configuration) -> Result<RestClusterClient, ClientError> {
    let rest = RestConfig::from_configuration(config)?;
    RestClusterClient::new(&rest.url(), RestClientOptions::from_rest_config(&rest))
}

pub fn client_for(url: &str, config: &Configuration) -> Result<RestClusterClient, ClientError> {
    let rest = RestConfig::from_configuration(config)?;
    RestClusterClient::new(url, RestClientOptions::from_rest_config(&rest))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Builds the job graph for `program`, adding the effective configuration
/// to `JobGraph::config` for keys the program did not set.
pub fn build_job_graph(
    loader: &dyn ProgramLoader,
    program: &ProgramSpec,
    config: &Configuration,
) -> Result<JobGraph, ClientError> {
    let mut graph = loader
        .load(program, config)
        .map_err(|e| ClientError::Program {
            program: program.program.clone(),
            message: e.to_string(),
        })?;
    for (k, v) in config.to_map() {
        graph.config.entry(k).or_insert(v);
    }
    Ok(graph)
}

/// `flink-rs run`: builds the job, deploys or finds the cluster, submits,
/// and in attached mode follows the job until it ends.
pub async fn run(
    args: &RunArgs,
    loader: &dyn ProgramLoader,
    launcher: &dyn ClusterLauncher,
    out: &mut (dyn Write + Send),
) -> Result<(), ClientError> {
    let config = args.load_configuration()?;
    run_with_config(args, &config, loader, launcher, out, DEFAULT_POLL_INTERVAL).await
}

/// [`run`] with an already loaded configuration and a chosen poll interval.
pub async fn run_with_config(
    args: &RunArgs,
    config: &Configuration,
    loader: &dyn ProgramLoader,
    launcher: &dyn ClusterLauncher,
    out: &mut (dyn Write + Send),
    poll_interval: Duration,
) -> Result<(), ClientError> {
    let target = config
        .get_optional(&EXECUTION_TARGET)?
        .unwrap_or(DeploymentTarget::Remote);
    let attached = config.get(&EXECUTION_ATTACHED)?;
    if !attached && target == DeploymentTarget::Local {
        return Err(ClientError::InvalidArgument(
            "-d (detached) cannot be used with -t local: the local cluster stops when the client exits; drop -d or use -t remote".into(),
        ));
    }
    let graph = build_job_graph(loader, &args.program_spec(), config)?;
    if target == DeploymentTarget::YarnApplication {
        return run_application(args, config, &graph, out, poll_interval).await;
    }
    if target == DeploymentTarget::YarnPerJob {
        return Err(ClientError::InvalidArgument(
            "-t yarn-per-job is deprecated in Flink and not offered by flink-rs: use -t yarn-application".into(),
        ));
    }

    let (client, cluster) = if target == DeploymentTarget::Remote {
        (rest_client_for(config)?, None)
    } else if target == DeploymentTarget::YarnSession {
        (cluster_client(config, "run").await?, None)
    } else {
        let cluster = launcher
            .launch(target, config)
            .await
            .map_err(|e| ClientError::Launch {
                target: target.to_string(),
                message: e.to_string(),
            })?;
        (client_for(&cluster.rest_url(), config)?, Some(cluster))
    };

    let result = submit_and_follow(&client, &graph, attached, out, poll_interval).await;
    if let Some(c) = cluster
        && let Err(e) = c.shutdown().await
    {
        tracing::warn!("stopping the {target} cluster failed: {e}");
    }
    result
}

/// `run -t yarn-application` / `run-application`: deploys an application
/// cluster on YARN whose ApplicationMaster runs the program, then (attached)
/// follows the job and the application to their end.
async fn run_application(
    args: &RunArgs,
    config: &Configuration,
    graph: &JobGraph,
    out: &mut (dyn Write + Send),
    poll_interval: Duration,
) -> Result<(), ClientError> {
    let attached = config.get(&EXECUTION_ATTACHED)?;
    let program = flink_yarn_am::contract::ApplicationProgram {
        name: args.program.clone(),
        args: args.job_args.clone(),
    };
    let binary = std::env::current_exe().map_err(|e| {
        ClientError::InvalidArgument(format!(
            "cannot locate the flink-rs executable to ship: {e}"
        ))
    })?;
    let yarn = crate::yarn::YarnClusterDescriptor::from_env()?;
    writeln!(
        out,
        "Deploying job '{}' ({} operators, parallelism up to {}) as a YARN application",
        graph.name,
        graph
            .vertices
            .iter()
            .map(|v| v.operators.len())
            .sum::<usize>(),
        graph
            .vertices
            .iter()
            .map(|v| v.parallelism)
            .max()
            .unwrap_or(1)
    )?;
    let started = std::time::Instant::now();
    let app = yarn
        .deploy_application(config, &program, &binary, out)
        .await?;
    if !attached {
        writeln!(out, "Application {} is running (detached).", app.id)?;
        writeln!(
            out,
            "  list jobs:   flink-rs list -t yarn-application -Dyarn.application.id={}",
            app.id
        )?;
        writeln!(
            out,
            "  cancel a job: flink-rs cancel -t yarn-application -Dyarn.application.id={} <jobId>",
            app.id
        )?;
        out.flush()?;
        return Ok(());
    }
    let client = client_for(&app.rest_url, config)?;
    // The JobManager ends with the application: poll faster to see the end.
    follow_application_job(
        client,
        &yarn,
        config,
        &app.id,
        out,
        poll_interval.min(Duration::from_millis(100)),
    )
    .await;
    let end = yarn.wait_for_end(&app.id, Duration::from_secs(180)).await?;
    writeln!(
        out,
        "Application {} {} with final status {} after {:.2} s{}",
        app.id,
        end.state,
        end.final_status,
        started.elapsed().as_secs_f64(),
        if end.diagnostics.is_empty() {
            String::new()
        } else {
            format!(": {}", end.diagnostics)
        }
    )?;
    out.flush()?;
    match end.final_status.as_str() {
        "SUCCEEDED" => Ok(()),
        "KILLED" => Err(ClientError::Yarn(format!(
            "application {} was killed: {}",
            app.id, end.diagnostics
        ))),
        _ => Err(ClientError::Yarn(format!(
            "application {} failed: {}",
            app.id, end.diagnostics
        ))),
    }
}

/// Prints the job's status changes while the application's JobManager
/// answers (it goes away with the application when the job ends). When it
/// stops answering while YARN still runs the application, a new
/// ApplicationMaster attempt took over: the job is followed there.
async fn follow_application_job(
    mut client: RestClusterClient,
    yarn: &crate::yarn::YarnClusterDescriptor,
    config: &Configuration,
    app_id: &str,
    out: &mut (dyn Write + Send),
    poll_interval: Duration,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let job_id = loop {
        match client.list_jobs().await {
            Ok(jobs) if !jobs.is_empty() => break jobs[0].jid,
            Ok(_) => {}
            Err(_) => return,
        }
        if std::time::Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep(poll_interval).await;
    };
    let _ = writeln!(
        out,
        "Job has been submitted with JobID {job_id} (application {app_id})"
    );
    let mut printer = StatusPrinter::default();
    loop {
        let details = match client.job_details(job_id).await {
            Ok(d) => d,
            Err(_) => match next_attempt_client(yarn, config, app_id, client.url()).await {
                Some(c) => {
                    let _ = writeln!(
                        out,
                        "The JobManager of {app_id} moved to a new ApplicationMaster attempt: {}",
                        c.url()
                    );
                    client = c;
                    continue;
                }
                None => return,
            },
        };
        for line in printer.observe(&details, now_ms()) {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
        if details.state.is_globally_terminal() {
            return;
        }
        tokio::time::sleep(poll_interval).await;
    }
}

/// After the JobManager at `old_url` stopped answering: the REST client of
/// the application's next ApplicationMaster attempt, once YARN reports one
/// running (None if the application ended).
async fn next_attempt_client(
    yarn: &crate::yarn::YarnClusterDescriptor,
    config: &Configuration,
    app_id: &str,
    old_url: &str,
) -> Option<RestClusterClient> {
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    while std::time::Instant::now() < deadline {
        if yarn.wait_for_end(app_id, Duration::ZERO).await.is_ok() {
            return None;
        }
        if let Ok(url) = yarn.rest_url(app_id).await
            && url.trim_end_matches('/') != old_url.trim_end_matches('/')
        {
            return client_for(&url, config).ok();
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    None
}

/// Submits `graph`; when `attached`, prints status changes until the job
/// ends and returns an error unless it FINISHED.
pub async fn submit_and_follow(
    client: &RestClusterClient,
    graph: &JobGraph,
    attached: bool,
    out: &mut (dyn Write + Send),
    poll_interval: Duration,
) -> Result<(), ClientError> {
    let job_id = client.submit_job(graph).await?;
    writeln!(out, "Job has been submitted with JobID {job_id}")?;
    out.flush()?;
    if !attached {
        return Ok(());
    }
    wait_for_job(client, job_id, out, poll_interval).await
}

/// Follows a submitted job: prints each status change, then the result.
pub async fn wait_for_job(
    client: &RestClusterClient,
    job_id: JobId,
    out: &mut (dyn Write + Send),
    poll_interval: Duration,
) -> Result<(), ClientError> {
    let mut printer = StatusPrinter::default();
    loop {
        let details = client.job_details(job_id).await?;
        for line in printer.observe(&details, now_ms()) {
            writeln!(out, "{line}")?;
        }
        out.flush()?;
        if details.state.is_globally_terminal() {
            break;
        }
        tokio::time::sleep(poll_interval).await;
    }
    // The execution result may lag the status by a moment; wait a bounded time.
    let deadline = std::time::Instant::now() + RESULT_WAIT;
    let result = loop {
        let r = client.job_result(job_id).await?;
        match (r.status.id, r.job_execution_result) {
            (QueueStatus::Completed, Some(res)) => break res,
            _ if std::time::Instant::now() >= deadline => {
                return Err(ClientError::InvalidResponse {
                    what: format!("GET /jobs/{job_id}/execution-result"),
                    url: client.url().to_string(),
                    message: format!(
                        "the job is terminal but its result was not available within {} s",
                        RESULT_WAIT.as_secs()
                    ),
                });
            }
            _ => tokio::time::sleep(poll_interval).await,
        }
    };
    finish_lines(job_id, &result, out)
}

/// Prints the end of an attached run and maps the outcome to a result.
fn finish_lines(
    job_id: JobId,
    result: &crate::rest::JobExecutionResult,
    out: &mut (dyn Write + Send),
) -> Result<(), ClientError> {
    match result.application_status.as_str() {
        "SUCCEEDED" => {
            writeln!(out, "Job with JobID {job_id} has finished.")?;
            writeln!(out, "Job Runtime: {} ms", result.net_runtime)?;
            out.flush()?;
            Ok(())
        }
        "FAILED" => Err(ClientError::JobFailed {
            job_id,
            cause: result
                .failure_cause
                .as_ref()
                .map(|f| f.root_cause())
                .unwrap_or_else(|| "no failure cause reported".into()),
        }),
        "CANCELED" => Err(ClientError::JobNotFinished {
            job_id,
            state: "CANCELED".into(),
        }),
        other => Err(ClientError::JobNotFinished {
            job_id,
            state: other.to_string(),
        }),
    }
}

/// Turns a sequence of observed job details into Flink's status lines:
/// `<time> Job <name> (<id>) switched from RUNNING to FINISHED.`
#[derive(Default, Debug)]
pub struct StatusPrinter {
    last: Option<JobStatus>,
}

impl StatusPrinter {
    /// Lines for the changes visible in `details` since the previous call.
    /// On the first call, transitions before the current status are
    /// reconstructed from the job's status timestamps.
    pub fn observe(&mut self, details: &JobDetails, now: i64) -> Vec<String> {
        let mut lines = Vec::new();
        let current = details.state;
        let line = |from: JobStatus, to: JobStatus, at: i64| {
            format!(
                "{} Job {} ({}) switched from {from} to {to}.",
                format_timestamp(at),
                details.name,
                details.jid
            )
        };
        match self.last {
            None => {
                let mut seen: Vec<(i64, JobStatus)> = ALL_STATUSES
                    .iter()
                    .filter_map(|s| details.timestamp_of(*s).map(|t| (t, *s)))
                    .filter(|(t, _)| details.timestamp_of(current).is_none_or(|c| *t <= c))
                    .collect();
                seen.sort_by_key(|(t, s)| (*t, status_rank(*s)));
                if seen.last().map(|(_, s)| *s) != Some(current) {
                    seen.push((details.timestamp_of(current).unwrap_or(now), current));
                }
                for w in seen.windows(2) {
                    lines.push(line(w[0].1, w[1].1, w[1].0));
                }
            }
            Some(prev) if prev != current => {
                let at = details.timestamp_of(current).unwrap_or(now);
                lines.push(line(prev, current, at));
            }
            Some(_) => {}
        }
        self.last = Some(current);
        lines
    }
}

const ALL_STATUSES: [JobStatus; 11] = [
    JobStatus::Initializing,
    JobStatus::Created,
    JobStatus::Running,
    JobStatus::Failing,
    JobStatus::Failed,
    JobStatus::Cancelling,
    JobStatus::Canceled,
    JobStatus::Finished,
    JobStatus::Restarting,
    JobStatus::Suspended,
    JobStatus::Reconciling,
];

/// Orders statuses with equal timestamps along the usual lifecycle.
fn status_rank(s: JobStatus) -> usize {
    ALL_STATUSES
        .iter()
        .position(|x| *x == s)
        .unwrap_or(usize::MAX)
}

// ---------------------------------------------------------------------------
// list
// ---------------------------------------------------------------------------

const RUNNING_HEADER: &str = "------------------ Running/Restarting Jobs -------------------";
const SCHEDULED_HEADER: &str = "----------------------- Scheduled Jobs -----------------------";
const TERMINATED_HEADER: &str = "---------------------- Terminated Jobs -----------------------";
const FOOTER: &str = "--------------------------------------------------------------";

/// `flink-rs list`.
pub async fn list(args: &ListArgs, out: &mut (dyn Write + Send)) -> Result<(), ClientError> {
    let config = args.cluster.load_configuration()?;
    let client = cluster_client(&config, "list").await?;
    writeln!(out, "Waiting for response...")?;
    let jobs = client.list_jobs().await?;
    let f = &args.filter;
    let (show_running, show_scheduled, show_terminated) = if f.all {
        (true, true, true)
    } else if f.running || f.scheduled {
        (f.running, f.scheduled, false)
    } else {
        (true, true, false)
    };
    write!(
        out,
        "{}",
        format_job_list(&jobs, show_running, show_scheduled, show_terminated)
    )?;
    out.flush()?;
    Ok(())
}

/// The REST client of the cluster `config` points at: `-m`/`rest.address`
/// for `remote` (the default), or the JobManager of the YARN application
/// `yarn.application.id` for the YARN targets (found through YARN's
/// application report). Every command that talks to a running cluster
/// (`list`, `cancel`, `savepoint`, `stop`, `run -t yarn-session`) uses this.
pub async fn cluster_client(
    config: &Configuration,
    command: &str,
) -> Result<RestClusterClient, ClientError> {
    match config.get_optional(&EXECUTION_TARGET)? {
        None | Some(DeploymentTarget::Remote) => rest_client_for(config),
        Some(
            t @ (DeploymentTarget::YarnApplication
            | DeploymentTarget::YarnSession
            | DeploymentTarget::YarnPerJob),
        ) => {
            let yarn = crate::yarn::YarnClusterDescriptor::from_env()?;
            let mut app_id = config.to_map().get("yarn.application.id").cloned();
            // A session started by `yarn-session` is found through the YARN properties file.
            let props = crate::yarn_session::properties_file(config, yarn.user());
            if app_id.is_none() && t == DeploymentTarget::YarnSession {
                app_id = crate::yarn_session::read_properties_file(&props);
                if let Some(id) = &app_id {
                    tracing::info!(application = %id, file = %props.display(), "using the session from the YARN properties file");
                }
            }
            let Some(app_id) = app_id else {
                let hint = if t == DeploymentTarget::YarnSession {
                    format!(
                        " or start a session with bin/yarn-session.sh (no session recorded in {})",
                        props.display()
                    )
                } else {
                    String::new()
                };
                return Err(ClientError::InvalidArgument(format!(
                    "`{command}` with -t {t} needs the application: add -Dyarn.application.id=<application_..._....> (see `yarn application -list`){hint}"
                )));
            };
            let url = yarn.rest_url(&app_id).await?;
            client_for(&url, config)
        }
        Some(t) => Err(ClientError::InvalidArgument(format!(
            "`{command}` with -t {t} is not possible: a {t} cluster lives only as long as its `run`; use -t remote -m host:port or a YARN target"
        ))),
    }
}

/// Flink's `list` output for `jobs`.
pub fn format_job_list(
    jobs: &[JobOverview],
    show_running: bool,
    show_scheduled: bool,
    show_terminated: bool,
) -> String {
    let mut running = Vec::new();
    let mut scheduled = Vec::new();
    let mut terminated = Vec::new();
    for j in jobs {
        if matches!(j.state, JobStatus::Created | JobStatus::Initializing) {
            scheduled.push(j);
        } else if j.state.is_globally_terminal() {
            terminated.push(j);
        } else {
            running.push(j);
        }
    }
    let mut s = String::new();
    let mut section = |list: &mut Vec<&JobOverview>, header: &str, empty: &str| {
        if list.is_empty() {
            s.push_str(empty);
            s.push('\n');
            return;
        }
        list.sort_by_key(|j| j.start_time);
        s.push_str(header);
        s.push('\n');
        for j in list.iter() {
            s.push_str(&format!(
                "{} : {} : {} ({})\n",
                format_timestamp(j.start_time),
                j.jid,
                j.name,
                j.state
            ));
        }
        s.push_str(FOOTER);
        s.push('\n');
    };
    if show_running {
        section(&mut running, RUNNING_HEADER, "No running jobs.");
    }
    if show_scheduled {
        section(&mut scheduled, SCHEDULED_HEADER, "No scheduled jobs.");
    }
    if show_terminated {
        section(&mut terminated, TERMINATED_HEADER, "No terminated jobs.");
    }
    s
}

// ---------------------------------------------------------------------------
// cancel, info
// ---------------------------------------------------------------------------

/// `flink-rs cancel`.
pub async fn cancel(args: &CancelArgs, out: &mut (dyn Write + Send)) -> Result<(), ClientError> {
    let config = args.cluster.load_configuration()?;
    let client = cluster_client(&config, "cancel").await?;
    writeln!(out, "Cancelling job {}.", args.job_id)?;
    client.cancel_job(args.job_id).await?;
    writeln!(out, "Cancelled job {}.", args.job_id)?;
    out.flush()?;
    Ok(())
}

/// `flink-rs info`: prints the job graph as Flink's execution plan JSON.
pub fn info(
    args: &InfoArgs,
    loader: &dyn ProgramLoader,
    out: &mut (dyn Write + Send),
) -> Result<(), ClientError> {
    let config = args.load_configuration()?;
    let graph = build_job_graph(loader, &args.program_spec(), &config)?;
    writeln!(
        out,
        "----------------------- Execution Plan -----------------------"
    )?;
    let plan = execution_plan(&graph);
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&plan).unwrap_or_else(|_| plan.to_string())
    )?;
    writeln!(
        out,
        "--------------------------------------------------------------"
    )?;
    out.flush()?;
    Ok(())
}

/// The job graph in the shape of Flink's JSON plan (`nodes` with
/// `predecessors` and `ship_strategy`).
pub fn execution_plan(graph: &JobGraph) -> serde_json::Value {
    let nodes: Vec<serde_json::Value> = graph
        .vertices
        .iter()
        .map(|v| {
            let preds: Vec<serde_json::Value> = graph
                .inputs_of(v.id)
                .map(|(_, e)| {
                    serde_json::json!({
                        "id": e.source.0,
                        "ship_strategy": e.ship_strategy.as_str(),
                        "side": if e.target_input == 0 { "first" } else { "second" },
                    })
                })
                .collect();
            let mut node = serde_json::json!({
                "id": v.id.0,
                "type": v.operators.first().map(|o| o.name.as_str()).unwrap_or(v.name.as_str()),
                "pact": if v.is_source { "Data Source" } else { "Operator" },
                "contents": v.name,
                "parallelism": v.parallelism,
                "max_parallelism": v.max_parallelism,
            });
            if !preds.is_empty() {
                node["predecessors"] = serde_json::Value::Array(preds);
            }
            node
        })
        .collect();
    serde_json::json!({ "jid": graph.job_id, "name": graph.name, "nodes": nodes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn details(state: JobStatus, ts: &[(JobStatus, i64)]) -> JobDetails {
        JobDetails {
            jid: JobId::from_parts(1, 2),
            name: "WordCount".into(),
            state,
            start_time: 0,
            end_time: -1,
            duration: 0,
            now: 0,
            timestamps: ts
                .iter()
                .map(|(s, t)| (s.as_str().to_string(), *t))
                .collect::<BTreeMap<_, _>>(),
            vertices: vec![],
        }
    }

    // 2023-11-14 22:13:20 UTC
    const T0: i64 = 1_700_000_000_000;

    #[test]
    fn status_printer_prints_changes_once() {
        let mut p = StatusPrinter::default();
        let jid = JobId::from_parts(1, 2);
        let a = p.observe(
            &details(
                JobStatus::Running,
                &[
                    (JobStatus::Initializing, T0),
                    (JobStatus::Created, T0),
                    (JobStatus::Running, T0 + 1000),
                ],
            ),
            T0 + 5000,
        );
        assert_eq!(
            a,
            vec![
                format!(
                    "14.11.2023 22:13:20 Job WordCount ({jid}) switched from INITIALIZING to CREATED."
                ),
                format!(
                    "14.11.2023 22:13:21 Job WordCount ({jid}) switched from CREATED to RUNNING."
                ),
            ]
        );
        assert!(
            p.observe(&details(JobStatus::Running, &[]), T0 + 6000)
                .is_empty()
        );
        let b = p.observe(
            &details(JobStatus::Finished, &[(JobStatus::Finished, T0 + 7000)]),
            T0 + 9000,
        );
        assert_eq!(
            b,
            vec![format!(
                "14.11.2023 22:13:27 Job WordCount ({jid}) switched from RUNNING to FINISHED."
            )]
        );
        // Restarts: RESTARTING then RUNNING again, timestamps unknown -> now.
        let mut p = StatusPrinter::default();
        p.observe(&details(JobStatus::Running, &[]), T0);
        let c = p.observe(&details(JobStatus::Restarting, &[]), T0 + 60_000);
        assert_eq!(
            c,
            vec![format!(
                "14.11.2023 22:14:20 Job WordCount ({jid}) switched from RUNNING to RESTARTING."
            )]
        );
    }

    #[test]
    fn first_observation_without_history_prints_nothing() {
        let mut p = StatusPrinter::default();
        assert!(p.observe(&details(JobStatus::Running, &[]), T0).is_empty());
    }

    fn overview(n: u64, state: JobStatus, start: i64) -> JobOverview {
        JobOverview {
            jid: JobId::from_parts(0, n),
            name: format!("job{n}"),
            state,
            start_time: start,
            end_time: -1,
            duration: 0,
            last_modification: 0,
        }
    }

    #[test]
    fn job_list_in_flink_format() {
        let jobs = vec![
            overview(2, JobStatus::Restarting, T0 + 1000),
            overview(1, JobStatus::Running, T0),
            overview(3, JobStatus::Created, T0),
            overview(4, JobStatus::Finished, T0),
        ];
        let id = |n| JobId::from_parts(0, n);
        assert_eq!(
            format_job_list(&jobs, true, true, false),
            format!(
                "{RUNNING_HEADER}\n14.11.2023 22:13:20 : {} : job1 (RUNNING)\n14.11.2023 22:13:21 : {} : job2 (RESTARTING)\n{FOOTER}\n\
                 {SCHEDULED_HEADER}\n14.11.2023 22:13:20 : {} : job3 (CREATED)\n{FOOTER}\n",
                id(1),
                id(2),
                id(3)
            )
        );
        assert_eq!(
            format_job_list(&[], true, true, false),
            "No running jobs.\nNo scheduled jobs.\n"
        );
        let all = format_job_list(&jobs, true, true, true);
        assert!(all.contains(&format!(
            "{TERMINATED_HEADER}\n14.11.2023 22:13:20 : {} : job4 (FINISHED)\n",
            id(4)
        )));
        assert_eq!(
            format_job_list(&jobs[3..], true, false, false),
            "No running jobs.\n"
        );
    }
}
