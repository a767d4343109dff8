//! A minimal ApplicationMaster that runs one shell command in N containers and finishes
//! SUCCEEDED when all exit 0, or FAILED (with diagnostics) when any fails. Used to prove the
//! native YARN path end to end; the JobManager reuses [`crate::driver`].

use std::collections::HashSet;
use std::time::{Duration, Instant};

use hadoop_proto::yarn::{
    ContainerLaunchContextProto, FinalApplicationStatusProto, StringStringMapProto,
};
use hadoop_rpc::{ConnectionOptions, HadoopConf};
use yarn_client::{AmEnvironment, AmRmClient, escape_env_value, ids};

/// Environment variable carrying the command into each container (escaped for the
/// NodeManager's launch script, expanded and run there).
pub const WORKER_COMMAND_ENV: &str = "SHELL_AM_WORKER_COMMAND";

use crate::driver::{AmError, ContainerSpec, Result, YarnAmDriver};

/// Options of the shell AM.
#[derive(Debug, Clone)]
pub struct ShellAmOptions {
    /// Number of containers to run the command in.
    pub containers: i32,
    /// Memory per container (MiB).
    pub memory_mb: i64,
    /// Vcores per container.
    pub vcores: i32,
    /// The command (run by bash via the NodeManager's launch script).
    pub command: String,
    /// Extra environment for the containers.
    pub environment: Vec<(String, String)>,
    /// Allocate heartbeat interval.
    pub heartbeat: Duration,
    /// Give up (finish FAILED) after this long.
    pub timeout: Duration,
}

impl ShellAmOptions {
    fn validate(&self) -> Result<()> {
        if self.containers < 1 {
            return Err(AmError::InvalidOption(format!(
                "containers must be at least 1, got {}",
                self.containers
            )));
        }
        if self.memory_mb < 1 || self.vcores < 1 {
            return Err(AmError::InvalidOption(
                "memory and vcores must be positive".into(),
            ));
        }
        if self.command.trim().is_empty() {
            return Err(AmError::InvalidOption(
                "the container command is empty".into(),
            ));
        }
        Ok(())
    }
}

/// How the shell AM ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellAmOutcome {
    /// Final status sent to YARN.
    pub status: FinalApplicationStatusProto,
    /// Diagnostics sent to YARN.
    pub diagnostics: String,
}

/// Runs the shell AM inside its YARN container: reads `CONTAINER_ID`, `NM_HOST`,
/// `HADOOP_TOKEN_FILE_LOCATION` and `HADOOP_CONF_DIR`, registers, requests the containers,
/// launches the command on each, waits for all, and unregisters.
pub async fn run_shell_application_master(opts: ShellAmOptions) -> Result<ShellAmOutcome> {
    opts.validate()?;
    let env = AmEnvironment::from_env()?;
    let conf = HadoopConf::from_env().map_err(yarn_client::YarnError::from)?;
    let options = ConnectionOptions::default();
    let amrm = AmRmClient::from_conf(&conf, env.amrm_token()?, options.clone())?;
    let mut driver = YarnAmDriver::new(amrm, options);
    tracing::info!(attempt = %ids::format_attempt_id(&env.attempt_id), "registering the shell ApplicationMaster");
    driver.register(&env.nm_host, 0, "").await?;

    let spec = ContainerSpec {
        memory_mb: opts.memory_mb,
        vcores: opts.vcores,
        priority: 1,
    };
    driver.requests.request(spec, opts.containers);
    let outcome = run_loop(&mut driver, &opts, spec).await;
    let (status, diagnostics) = match &outcome {
        Ok(diag) if diag.is_empty() => (
            FinalApplicationStatusProto::AppSucceeded,
            format!("all {} containers succeeded", opts.containers),
        ),
        Ok(diag) => (FinalApplicationStatusProto::AppFailed, diag.clone()),
        Err(AmError::Shutdown) => return Err(AmError::Shutdown),
        Err(e) => (
            FinalApplicationStatusProto::AppFailed,
            format!("shell ApplicationMaster failed: {e}"),
        ),
    };
    tracing::info!(?status, %diagnostics, "unregistering");
    driver.finish(status, &diagnostics).await?;
    Ok(ShellAmOutcome {
        status,
        diagnostics,
    })
}

/// Returns an empty string on success, else the failure diagnostics.
async fn run_loop(
    driver: &mut YarnAmDriver,
    opts: &ShellAmOptions,
    spec: ContainerSpec,
) -> Result<String> {
    let deadline = Instant::now() + opts.timeout;
    let mut launched: HashSet<String> = HashSet::new();
    let mut finished = 0;
    let mut failures: Vec<String> = Vec::new();
    let mut env: Vec<StringStringMapProto> = opts
        .environment
        .iter()
        .map(|(k, v)| StringStringMapProto {
            key: Some(k.clone()),
            value: Some(escape_env_value(v)),
        })
        .collect();
    env.push(StringStringMapProto {
        key: Some(WORKER_COMMAND_ENV.into()),
        value: Some(escape_env_value(&opts.command)),
    });
    while finished < opts.containers {
        if Instant::now() > deadline {
            return Ok(format!(
                "timed out after {:?} with {finished} of {} containers finished",
                opts.timeout, opts.containers
            ));
        }
        let progress = finished as f32 / opts.containers as f32;
        let hb = driver.heartbeat(progress).await?;
        for c in hb.allocated {
            let Some(cid) = c.id else { continue };
            let name = ids::format_container_id(&cid);
            let ctx = ContainerLaunchContextProto {
                environment: env.clone(),
                // The launch script expands the variable; the container's bash runs the text.
                command: vec![format!(
                    "{{ ${WORKER_COMMAND_ENV} ; }} 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"
                )],
                ..Default::default()
            };
            match driver.launch(&c, ctx).await {
                Ok(()) => {
                    tracing::info!(container = %name, "container started");
                    launched.insert(name);
                }
                Err(e) => {
                    failures.push(format!("could not start {name}: {e}"));
                    driver.requests.release(cid);
                    finished += 1;
                }
            }
        }
        for s in hb.completed {
            let name = s
                .container_id
                .as_ref()
                .map(ids::format_container_id)
                .unwrap_or_default();
            if !launched.remove(&name) {
                continue;
            }
            finished += 1;
            if s.exit_status() != 0 {
                failures.push(format!(
                    "container {name} exited with status {}: {}",
                    s.exit_status(),
                    s.diagnostics().trim()
                ));
            } else {
                tracing::info!(container = %name, "container succeeded");
            }
        }
        if finished < opts.containers {
            tokio::time::sleep(opts.heartbeat).await;
        }
    }
    let _ = spec;
    Ok(failures.join("; "))
}
