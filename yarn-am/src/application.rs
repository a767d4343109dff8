//! The ApplicationMaster of an application cluster (`flink-rs
//! yarn-application-am`, Flink's `YarnApplicationClusterEntryPoint`): loads
//! the frozen configuration from the container's working directory, starts
//! the JobManager with the YARN resource driver, registers with the
//! ResourceManager (REST port as the AM's RPC port, web UI as the tracking
//! URL), runs the application's `main()` (builds the job graph) and submits
//! it, and when the job ends unregisters with SUCCEEDED, FAILED (with the
//! root cause) or KILLED and deletes the staging directory.
//!
//! The ApplicationMaster of a session cluster (`flink-rs yarn-session-am`,
//! Flink's `YarnSessionClusterEntrypoint`) is the same without a program:
//! clients submit jobs over REST, and it runs until a client asks it to
//! stop (`DELETE /cluster`, e.g. `stop` in `yarn-session.sh`), then
//! unregisters with SUCCEEDED.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use flink_config::{ConfigSource, Configuration};
use flink_ha::StandaloneHaServices;
use flink_jobmanager::{ApplicationStatus, JobManagerConfig, JobManagerRunner};
use flink_types::{JobGraph, JobId, JobStatus};
use hadoop_rpc::{ConnectionOptions, HadoopConf};
use yarn_client::{AmEnvironment, AmRmClient, ids};

use crate::contract::{
    ApplicationProgram, ENV_APP_ID, ENV_HADOOP_USER, ENV_PROGRAM, ENV_STAGED_RESOURCES,
    ENV_YARN_FILES, HADOOP_CONF, StagedResource,
};
use crate::driver::{AmError, YarnAmDriver};
use crate::resource_driver::{AmRegistration, YarnDriverSettings, YarnResourceDriver};

/// Builds the job graph of the application's program (the binary knows its
/// programs; this crate does not depend on the data plane).
pub type JobBuilder =
    Box<dyn Fn(&Configuration, &ApplicationProgram) -> Result<JobGraph, String> + Send + Sync>;

/// How long the REST endpoint stays up after the job ended.
pub const FINAL_STATE_GRACE: Duration = Duration::from_millis(600);

/// How the application ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationOutcome {
    /// Final status sent to YARN.
    pub status: ApplicationStatus,
    /// Diagnostics sent to YARN.
    pub diagnostics: String,
}

fn invalid(msg: impl Into<String>) -> AmError {
    AmError::InvalidOption(msg.into())
}

/// Loads `config.yaml` from `dir` and applies what the AM must override.
pub fn am_configuration(dir: &Path, nm_host: &str, app_id: &str) -> Result<Configuration, AmError> {
    let mut config = Configuration::load_from_dir(dir)
        .map_err(|e| invalid(format!("cannot load the shipped configuration: {e}")))?;
    let src = || ConfigSource::Set("ApplicationMaster".into());
    let am_port = config
        .to_map()
        .get("yarn.application-master.port")
        .cloned()
        .unwrap_or_else(|| "0".into());
    // A single port is used as is; a range or 0 lets the OS pick.
    let rpc_port = am_port
        .trim()
        .parse::<u16>()
        .map(|p| p.to_string())
        .unwrap_or_else(|_| "0".into());
    for (k, v) in [
        ("jobmanager.rpc.address", nm_host),
        ("jobmanager.rpc.port", rpc_port.as_str()),
        ("rest.address", nm_host),
        ("rest.bind-address", "0.0.0.0"),
        ("rest.port", "0"),
    ] {
        config.set_string(k, v, src());
    }
    if !config.to_map().contains_key("high-availability.cluster-id") {
        config.set_string("high-availability.cluster-id", app_id, src());
    }
    Ok(config)
}

/// The driver settings for TaskManager containers of this application.
fn driver_settings(
    map: &BTreeMap<String, String>,
    staged: Vec<StagedResource>,
    staging_dir: Option<String>,
) -> Result<YarnDriverSettings, AmError> {
    let duration = |key: &str, default: Duration| -> Result<Duration, AmError> {
        match map.get(key) {
            None => Ok(default),
            Some(v) => {
                // `yarn.heartbeat.interval` is in seconds when it is a bare number.
                if key == "yarn.heartbeat.interval"
                    && let Ok(secs) = v.trim().parse::<u64>()
                {
                    return Ok(Duration::from_secs(secs));
                }
                flink_config::parse_duration(v)
                    .map_err(|e| invalid(format!("invalid {key} '{v}': {e}")))
            }
        }
    };
    let containers_vcores = match map.get("yarn.containers.vcores") {
        Some(v) => v
            .trim()
            .parse::<i32>()
            .map_err(|_| invalid(format!("invalid yarn.containers.vcores '{v}'")))?,
        None => -1,
    };
    let mut environment = vec![
        ("HADOOP_CONF_DIR".to_string(), format!("$PWD/{HADOOP_CONF}")),
        ("FLINK_CONF_DIR".to_string(), "$PWD".to_string()),
    ];
    for key in [ENV_HADOOP_USER, "RUST_LOG", "RUST_BACKTRACE"] {
        if let Ok(v) = std::env::var(key) {
            environment.push((key.to_string(), yarn_client::escape_env_value(&v)));
        }
    }
    for (k, v) in map {
        if let Some(name) = k.strip_prefix("containerized.taskmanager.env.") {
            environment.push((name.to_string(), yarn_client::escape_env_value(v)));
        }
    }
    let max_failure_rate = match map.get("resourcemanager.start-worker.max-failure-rate") {
        Some(v) => v.trim().parse::<f64>().map_err(|_| {
            invalid(format!(
                "invalid resourcemanager.start-worker.max-failure-rate '{v}'"
            ))
        })?,
        None => 10.0,
    };
    Ok(YarnDriverSettings {
        resources: staged,
        environment,
        dynamic_properties: Vec::new(),
        containers_vcores,
        heartbeat_interval: duration("yarn.heartbeat.interval", Duration::from_secs(5))?,
        container_request_interval: duration(
            "yarn.heartbeat.container-request-interval",
            Duration::from_millis(500),
        )?,
        node_label: map.get("yarn.taskmanager.node-label").cloned(),
        max_start_failures_per_minute: max_failure_rate,
        start_retry_interval: duration(
            "resourcemanager.start-worker.retry-interval",
            Duration::from_secs(3),
        )?,
        staging_dir,
    })
}

/// What the ApplicationMaster runs.
pub enum AmMode {
    /// An application cluster: the program from `_FLINK_RS_PROGRAM`, built with the builder.
    Application(JobBuilder),
    /// A session cluster: jobs come over REST until the cluster is stopped.
    Session,
}

/// Runs the application master of an application cluster in its YARN
/// container until the application ends.
pub async fn run_application_master(build_job: JobBuilder) -> Result<ApplicationOutcome, AmError> {
    run_master(AmMode::Application(build_job)).await
}

/// Runs the application master of a session cluster until it is stopped.
pub async fn run_session_master() -> Result<ApplicationOutcome, AmError> {
    run_master(AmMode::Session).await
}

/// Runs the application master in its YARN container until the application ends.
pub async fn run_master(mode: AmMode) -> Result<ApplicationOutcome, AmError> {
    let env = AmEnvironment::from_env()?;
    let app_id = std::env::var(ENV_APP_ID).unwrap_or_else(|_| {
        env.attempt_id
            .application_id
            .as_ref()
            .map(ids::format_application_id)
            .unwrap_or_default()
    });
    let attempt = env.attempt_id.attempt_id.unwrap_or(1);
    tracing::info!(
        application = %app_id,
        attempt,
        container = %ids::format_container_id(&env.container_id),
        host = %env.nm_host,
        "starting the flink-rs ApplicationMaster"
    );
    if attempt > 1 {
        tracing::warn!(
            attempt,
            "a previous ApplicationMaster attempt ended without finishing the application; \
             the job resumes from its latest completed checkpoint, if it has one"
        );
    }
    let cwd = std::env::current_dir()
        .map_err(|e| invalid(format!("cannot read the working directory: {e}")))?;
    let config = am_configuration(&cwd, &env.nm_host, &app_id)?;
    let map = config.to_map();
    let program: Option<(ApplicationProgram, JobBuilder)> = match mode {
        AmMode::Application(build_job) => {
            let program = std::env::var(ENV_PROGRAM)
                .map_err(|_| invalid(format!("{ENV_PROGRAM} is not set")))
                .and_then(|s| {
                    serde_json::from_str(&s)
                        .map_err(|e| invalid(format!("invalid {ENV_PROGRAM}: {e}")))
                })?;
            Some((program, build_job))
        }
        AmMode::Session => None,
    };
    let staged: Vec<StagedResource> = match std::env::var(ENV_STAGED_RESOURCES) {
        Ok(s) => serde_json::from_str(&s)
            .map_err(|e| invalid(format!("invalid {ENV_STAGED_RESOURCES}: {e}")))?,
        Err(_) => return Err(invalid(format!("{ENV_STAGED_RESOURCES} is not set"))),
    };
    let staging_dir = std::env::var(ENV_YARN_FILES).ok();

    let conf = HadoopConf::from_env().map_err(yarn_client::YarnError::from)?;
    let options = ConnectionOptions::default();
    let amrm = AmRmClient::from_conf(&conf, env.amrm_token()?, options.clone())?;
    let am = YarnAmDriver::new(amrm, options);
    let driver = YarnResourceDriver::start(am, driver_settings(&map, staged, staging_dir)?);

    let jm_config = JobManagerConfig::from_flat(&map)
        .map_err(|e| invalid(format!("invalid JobManager configuration: {e}")))?;
    let jm = JobManagerRunner::start(
        jm_config,
        Box::new(driver.clone()),
        Arc::new(StandaloneHaServices::new()),
    )
    .await
    .map_err(|e| invalid(format!("cannot start the JobManager: {e}")))?;
    let rest_port = jm
        .rest_address()
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok())
        .unwrap_or(0);
    let tracking_url = format!("http://{}:{rest_port}", env.nm_host);
    driver
        .register(AmRegistration {
            host: env.nm_host.clone(),
            rest_port,
            tracking_url: tracking_url.clone(),
            jobmanager_rpc_address: jm.rpc_address().to_string(),
        })
        .await
        .map_err(invalid)?;
    tracing::info!(web = %tracking_url, rpc = %jm.rpc_address(), "JobManager running in the ApplicationMaster");
    driver.set_progress(0.1);

    let outcome = match &program {
        Some((program, build_job)) => run_program(&jm, &driver, &config, program, build_job).await,
        None => run_session(&jm).await,
    };
    tracing::info!(status = outcome.status.as_str(), diagnostics = %outcome.diagnostics, "application finished");
    // Attached clients poll the job over REST: let them see its final state
    // before the JobManager goes away with the application.
    tokio::time::sleep(FINAL_STATE_GRACE).await;
    driver.set_progress(1.0);
    if let Err(e) = jm
        .shutdown_cluster(outcome.status, Some(outcome.diagnostics.clone()))
        .await
    {
        tracing::error!(error = %e, "could not end the application cleanly");
        return Err(invalid(e.to_string()));
    }
    Ok(outcome)
}

/// The application's job id: `$internal.pipeline.job-id` if set (Flink's
/// fixed job id), else derived from `high-availability.cluster-id` (by
/// default the application id), so it is the same in every AM attempt.
pub fn fixed_job_id(map: &BTreeMap<String, String>) -> JobId {
    if let Some(id) = map
        .get("$internal.pipeline.job-id")
        .and_then(|v| v.parse::<JobId>().ok())
    {
        return id;
    }
    let cluster = map
        .get("high-availability.cluster-id")
        .map(String::as_str)
        .unwrap_or("default");
    // FNV-1a, 64 bits, over two different prefixes.
    let fnv = |prefix: &str| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in prefix.bytes().chain(cluster.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    };
    JobId::from_parts(fnv("flink-rs-job:"), fnv("flink-rs-application:"))
}

/// Serves jobs until a client stops the session or the JobManager fails.
async fn run_session(jm: &flink_jobmanager::JobManagerHandle) -> ApplicationOutcome {
    tracing::info!("session cluster ready for jobs");
    tokio::select! {
        _ = jm.cluster_shutdown_requested() => {
            let jobs = jm.list_jobs();
            for j in jobs.iter().filter(|j| !j.status.is_globally_terminal()) {
                tracing::info!(job = %j.job_id, "cancelling the job: the session is stopping");
                let _ = jm.cancel_job(j.job_id);
            }
            ApplicationOutcome {
                status: ApplicationStatus::Succeeded,
                diagnostics: format!("Session cluster stopped on request after {} job(s)", jobs.len()),
            }
        }
        e = jm.wait_fatal_error() => ApplicationOutcome {
            status: ApplicationStatus::Failed,
            diagnostics: format!("the JobManager hit a fatal error: {e}"),
        },
    }
}

/// Builds, submits and follows the application's job.
async fn run_program(
    jm: &flink_jobmanager::JobManagerHandle,
    driver: &YarnResourceDriver,
    config: &Configuration,
    program: &ApplicationProgram,
    build_job: &JobBuilder,
) -> ApplicationOutcome {
    let failed = |diagnostics: String| ApplicationOutcome {
        status: ApplicationStatus::Failed,
        diagnostics,
    };
    let mut graph = match build_job(config, program) {
        Ok(g) => g,
        Err(e) => {
            return failed(format!(
                "the application's program '{}' could not be built: {e}",
                program.name
            ));
        }
    };
    for (k, v) in config.to_map() {
        graph.config.entry(k).or_insert(v);
    }
    // The same job id in every ApplicationMaster attempt: a new attempt (the
    // AM's machine died; `yarn.application-attempts` > 1) finds the job's
    // checkpoints under `<execution.checkpointing.dir>/<jobId>/` and resumes
    // from the latest one instead of starting over.
    graph.job_id = fixed_job_id(&config.to_map());
    let name = graph.name.clone();
    let job_id = match jm.submit_job(graph).await {
        Ok(id) => id,
        Err(e) => return failed(format!("job '{name}' could not be submitted: {e}")),
    };
    tracing::info!(job = %job_id, %name, "job submitted");
    driver.set_progress(0.2);
    let result = tokio::select! {
        r = jm.wait_job_result(job_id) => r,
        e = jm.wait_fatal_error() => {
            return failed(format!("the JobManager hit a fatal error: {e}"));
        }
    };
    match result {
        Ok(r) => {
            let status = r.application_status();
            let diagnostics = match r.status {
                JobStatus::Finished => format!(
                    "Job '{name}' ({job_id}) finished in {} ms",
                    r.net_runtime_ms
                ),
                JobStatus::Canceled => format!("Job '{name}' ({job_id}) was cancelled"),
                JobStatus::Failed => format!(
                    "Job '{name}' ({job_id}) failed: {}",
                    r.failure_cause
                        .as_deref()
                        .unwrap_or("no failure cause reported")
                ),
                other => format!("Job '{name}' ({job_id}) ended {other}"),
            };
            ApplicationOutcome {
                status,
                diagnostics,
            }
        }
        Err(e) => failed(format!("lost track of job {job_id}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn am_overrides_addresses_and_keeps_user_keys() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.yaml"),
            "taskmanager.numberOfTaskSlots: \"2\"\nrest.port: \"8081\"\n",
        )
        .unwrap();
        let c = am_configuration(dir.path(), "nm1.example", "application_1_0001").unwrap();
        let m = c.to_map();
        assert_eq!(m["taskmanager.numberOfTaskSlots"], "2");
        assert_eq!(m["rest.port"], "0");
        assert_eq!(m["rest.address"], "nm1.example");
        assert_eq!(m["jobmanager.rpc.address"], "nm1.example");
        assert_eq!(m["high-availability.cluster-id"], "application_1_0001");
    }

    #[test]
    fn the_job_id_is_the_same_in_every_attempt() {
        let mut m = BTreeMap::new();
        m.insert(
            "high-availability.cluster-id".to_string(),
            "application_1_0001".to_string(),
        );
        let a = fixed_job_id(&m);
        assert_eq!(a, fixed_job_id(&m));
        m.insert(
            "high-availability.cluster-id".to_string(),
            "application_1_0002".to_string(),
        );
        assert_ne!(a, fixed_job_id(&m));
        let explicit: JobId = "00112233445566778899aabbccddeeff".parse().unwrap();
        m.insert(
            "$internal.pipeline.job-id".to_string(),
            explicit.to_string(),
        );
        assert_eq!(fixed_job_id(&m), explicit);
    }

    #[test]
    fn driver_settings_read_flink_keys() {
        let mut m = BTreeMap::new();
        m.insert("yarn.heartbeat.interval".to_string(), "2".to_string());
        m.insert(
            "yarn.heartbeat.container-request-interval".to_string(),
            "100 ms".to_string(),
        );
        m.insert("yarn.containers.vcores".to_string(), "3".to_string());
        m.insert(
            "containerized.taskmanager.env.FOO".to_string(),
            "bar".to_string(),
        );
        let s = driver_settings(&m, vec![], None).unwrap();
        assert_eq!(s.heartbeat_interval, Duration::from_secs(2));
        assert_eq!(s.container_request_interval, Duration::from_millis(100));
        assert_eq!(s.containers_vcores, 3);
        assert!(s.environment.iter().any(|(k, v)| k == "FOO" && v == "bar"));
        m.insert("yarn.containers.vcores".to_string(), "x".to_string());
        assert!(driver_settings(&m, vec![], None).is_err());
    }
}
