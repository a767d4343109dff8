//! Deploying to and finding clusters on YARN (Flink's `YarnClusterDescriptor`).
//!
//! * [`YarnClusterDescriptor::deploy_application`]: application mode. Checks
//!   the requested container sizes against the cluster's maximum, stages the
//!   binary (or job bundle), the frozen configuration, the Hadoop site files
//!   and `yarn.ship-files` in `<staging>/.flink-rs/<applicationId>/`
//!   (permission 700), submits the ApplicationMaster and follows it to
//!   RUNNING, printing each phase with its timing. If any step fails, the
//!   application is killed and the staging directory deleted.
//! * [`YarnClusterDescriptor::rest_url`]: the JobManager's REST endpoint of a
//!   running application (`-Dyarn.application.id=...`), from the
//!   application report (the AM registers its REST port as its RPC port).

use crate::error::ClientError;
use flink_config::Configuration;
use flink_fs::{CreateOptions, FileSystem, FsPath, HadoopSettings};
use flink_yarn_am::contract::{
    AM_ROLE, AM_SESSION_ROLE, ApplicationProgram, BINARY, CONFIG_FILE, ENV_APP_ID, ENV_HADOOP_USER,
    ENV_PROGRAM, ENV_STAGED_RESOURCES, ENV_YARN_FILES, HADOOP_CONF, STAGING_SUBDIR, StagedResource,
    render_flat_config,
};
use hadoop_proto::yarn::{
    ApplicationIdProto, ApplicationReportProto, ApplicationSubmissionContextProto,
    ContainerLaunchContextProto, FinalApplicationStatusProto, PriorityProto, ResourceProto,
    StringStringMapProto, YarnApplicationStateProto,
};
use hadoop_rpc::{AuthMethod, ConnectionOptions, HadoopConf};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use yarn_client::{ApplicationClient, escape_env_value, ids};

/// How often the application report is polled while deploying (as Flink).
pub const REPORT_POLL: Duration = Duration::from_millis(250);

fn yarn_err(what: &str, e: impl std::fmt::Display) -> ClientError {
    ClientError::Yarn(format!("{what}: {e}"))
}

/// A client of one YARN cluster (from `HADOOP_CONF_DIR` / `YARN_CONF_DIR`).
pub struct YarnClusterDescriptor {
    conf: HadoopConf,
    conf_dirs: Vec<PathBuf>,
    client: ApplicationClient,
    user: String,
}

/// A deployed application cluster.
#[derive(Debug, Clone)]
pub struct YarnApplication {
    /// `application_<ts>_<n>`.
    pub id: String,
    /// Parsed id.
    pub proto_id: ApplicationIdProto,
    /// The JobManager's REST endpoint, `http://host:port`.
    pub rest_url: String,
    /// The staging directory (deleted by the AM at the end).
    pub staging_dir: String,
}

/// The end of an application as YARN reports it.
#[derive(Debug, Clone)]
pub struct ApplicationEnd {
    /// YARN state (FINISHED, FAILED, KILLED).
    pub state: String,
    /// Final status (SUCCEEDED, FAILED, KILLED, UNDEFINED).
    pub final_status: String,
    /// YARN's diagnostics.
    pub diagnostics: String,
}

fn state_name(s: YarnApplicationStateProto) -> &'static str {
    match s {
        YarnApplicationStateProto::New => "NEW",
        YarnApplicationStateProto::NewSaving => "NEW_SAVING",
        YarnApplicationStateProto::Submitted => "SUBMITTED",
        YarnApplicationStateProto::Accepted => "ACCEPTED",
        YarnApplicationStateProto::Running => "RUNNING",
        YarnApplicationStateProto::Finished => "FINISHED",
        YarnApplicationStateProto::Failed => "FAILED",
        YarnApplicationStateProto::Killed => "KILLED",
    }
}

fn final_status_name(s: FinalApplicationStatusProto) -> &'static str {
    match s {
        FinalApplicationStatusProto::AppUndefined => "UNDEFINED",
        FinalApplicationStatusProto::AppSucceeded => "SUCCEEDED",
        FinalApplicationStatusProto::AppFailed => "FAILED",
        FinalApplicationStatusProto::AppKilled => "KILLED",
        FinalApplicationStatusProto::AppEnded => "ENDED",
    }
}

fn is_terminal(s: YarnApplicationStateProto) -> bool {
    matches!(
        s,
        YarnApplicationStateProto::Finished
            | YarnApplicationStateProto::Failed
            | YarnApplicationStateProto::Killed
    )
}

/// `12.3 MB`.
pub fn format_bytes(n: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / MB)
    } else if n >= 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// Memory in MiB of a Flink memory size option.
fn memory_mb(config: &Configuration, key: &str, default_mb: u64) -> Result<u64, ClientError> {
    match config.to_map().get(key) {
        None => Ok(default_mb),
        Some(v) => flink_config::MemorySize::parse(v)
            .map(|m| m.bytes() / (1024 * 1024))
            .map_err(|e| ClientError::InvalidArgument(format!("invalid {key} '{v}': {e}"))),
    }
}

fn int_option(config: &Configuration, key: &str, default: i64) -> Result<i64, ClientError> {
    match config.to_map().get(key) {
        None => Ok(default),
        Some(v) => v.trim().parse::<i64>().map_err(|_| {
            ClientError::InvalidArgument(format!("invalid {key} '{v}': expected an integer"))
        }),
    }
}

/// Container sizes an application needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplicationResources {
    /// AM (JobManager) memory, MiB.
    pub jm_memory_mb: u64,
    /// AM vcores.
    pub jm_vcores: u32,
    /// TaskManager memory, MiB.
    pub tm_memory_mb: u64,
    /// TaskManager vcores.
    pub tm_vcores: u32,
}

impl ApplicationResources {
    /// From `jobmanager.memory.process.size` (1600m), `yarn.appmaster.vcores` (1),
    /// `taskmanager.memory.process.size` (1728m), `yarn.containers.vcores` (slots).
    pub fn from_config(config: &Configuration) -> Result<Self, ClientError> {
        let slots = int_option(config, "taskmanager.numberOfTaskSlots", 1)?.max(1);
        let tm_vcores = match int_option(config, "yarn.containers.vcores", -1)? {
            v if v > 0 => v,
            _ => slots,
        };
        Ok(Self {
            jm_memory_mb: memory_mb(config, "jobmanager.memory.process.size", 1600)?,
            jm_vcores: int_option(config, "yarn.appmaster.vcores", 1)?.max(1) as u32,
            tm_memory_mb: memory_mb(config, "taskmanager.memory.process.size", 1728)?,
            tm_vcores: tm_vcores as u32,
        })
    }

    /// Checks against the cluster's largest container; errors name the key to change.
    pub fn validate(&self, max_memory_mb: i64, max_vcores: i32) -> Result<(), ClientError> {
        let check = |what: &str, key: &str, want: u64, max: i64, unit: &str| {
            if max > 0 && want as i64 > max {
                Err(ClientError::InvalidArgument(format!(
                    "the {what} ({want} {unit}) is larger than the largest container this YARN cluster grants ({max} {unit}, yarn.scheduler.maximum-allocation-*): lower {key}"
                )))
            } else {
                Ok(())
            }
        };
        check(
            "JobManager memory",
            "jobmanager.memory.process.size",
            self.jm_memory_mb,
            max_memory_mb,
            "MB",
        )?;
        check(
            "TaskManager memory",
            "taskmanager.memory.process.size",
            self.tm_memory_mb,
            max_memory_mb,
            "MB",
        )?;
        check(
            "JobManager vcores",
            "yarn.appmaster.vcores",
            self.jm_vcores as u64,
            max_vcores as i64,
            "vcores",
        )?;
        check(
            "TaskManager vcores",
            "yarn.containers.vcores (default: taskmanager.numberOfTaskSlots)",
            self.tm_vcores as u64,
            max_vcores as i64,
            "vcores",
        )
    }
}

impl YarnClusterDescriptor {
    /// Reads the Hadoop configuration from `HADOOP_CONF_DIR` / `YARN_CONF_DIR`.
    pub fn from_env() -> Result<Self, ClientError> {
        let conf = HadoopConf::from_env().map_err(|e| ClientError::Yarn(e.to_string()))?;
        let conf_dirs = ["HADOOP_CONF_DIR", "YARN_CONF_DIR"]
            .iter()
            .filter_map(|k| std::env::var_os(k).map(PathBuf::from))
            .collect();
        let user = hadoop_rpc::current_user();
        let auth = AuthMethod::Simple { user: user.clone() };
        let options = ConnectionOptions::default();
        let client = ApplicationClient::from_conf(&conf, auth, options)
            .map_err(|e| yarn_err("cannot create the YARN client", e))?;
        Ok(Self {
            conf,
            conf_dirs,
            client,
            user,
        })
    }

    fn fs_settings(&self) -> HadoopSettings {
        HadoopSettings {
            user: Some(self.user.clone()),
            ..HadoopSettings::default()
        }
    }

    fn rm_address(&self) -> String {
        self.conf
            .rm_addresses()
            .map(|a| a.join(","))
            .unwrap_or_else(|_| "?".into())
    }

    /// The report of an application.
    pub async fn report(&self, app_id: &str) -> Result<ApplicationReportProto, ClientError> {
        let id = ids::parse_application_id(app_id).map_err(|e| {
            ClientError::InvalidArgument(format!(
                "invalid yarn.application.id '{app_id}': {e}; expected application_<timestamp>_<number>"
            ))
        })?;
        self.client.application_report(&id).await.map_err(|e| {
            yarn_err(
                &format!(
                    "cannot get the report of {app_id} from the ResourceManager at {}",
                    self.rm_address()
                ),
                e,
            )
        })
    }

    /// The REST endpoint of a running application's JobManager.
    pub async fn rest_url(&self, app_id: &str) -> Result<String, ClientError> {
        let r = self.report(app_id).await?;
        let state = r.yarn_application_state();
        if state != YarnApplicationStateProto::Running {
            let mut msg = format!(
                "application {app_id} is {} (final status {})",
                state_name(state),
                final_status_name(r.final_application_status())
            );
            if !r.diagnostics().trim().is_empty() {
                msg.push_str(&format!(": {}", r.diagnostics().trim()));
            }
            msg.push_str("; only a RUNNING application has a JobManager to talk to");
            return Err(ClientError::Yarn(msg));
        }
        rest_url_of(&r).ok_or_else(|| {
            ClientError::Yarn(format!(
                "application {app_id} is RUNNING but reports no JobManager address yet; try again in a moment"
            ))
        })
    }

    /// The Hadoop user the client acts as.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Kills an application.
    pub async fn kill(&self, app_id: &str, reason: &str) -> Result<(), ClientError> {
        let app = yarn_client::ids::parse_application_id(app_id).map_err(|e| {
            ClientError::InvalidArgument(format!("invalid application id '{app_id}': {e}"))
        })?;
        self.client
            .kill_application(&app, Some(reason))
            .await
            .map_err(|e| yarn_err(&format!("cannot kill {app_id}"), e))?;
        Ok(())
    }

    /// Kills an application (if not yet ended) and deletes its staging dir.
    pub async fn kill_and_clean(&self, app: &ApplicationIdProto, staging_dir: Option<&str>) {
        match self
            .client
            .kill_application(
                app,
                Some("deployment failed; killed by the flink-rs client"),
            )
            .await
        {
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not kill the application"),
        }
        if let Some(dir) = staging_dir
            && let Ok((fs, path)) = flink_fs::resolve(dir, &self.fs_settings())
            && let Err(e) = fs.delete(&path, true).await
        {
            tracing::warn!(dir, error = %e, "could not delete the staging directory");
        }
    }

    /// Waits until the application has ended and returns how.
    pub async fn wait_for_end(
        &self,
        app_id: &str,
        timeout: Duration,
    ) -> Result<ApplicationEnd, ClientError> {
        let deadline = Instant::now() + timeout;
        loop {
            let r = self.report(app_id).await?;
            let state = r.yarn_application_state();
            if is_terminal(state) {
                return Ok(ApplicationEnd {
                    state: state_name(state).into(),
                    final_status: final_status_name(r.final_application_status()).into(),
                    diagnostics: summarize_diagnostics(r.diagnostics()),
                });
            }
            if Instant::now() >= deadline {
                return Err(ClientError::Yarn(format!(
                    "application {app_id} is still {} after {} s",
                    state_name(state),
                    timeout.as_secs()
                )));
            }
            tokio::time::sleep(REPORT_POLL).await;
        }
    }

    /// Deploys an application cluster running `program` from `binary`.
    pub async fn deploy_application(
        &self,
        config: &Configuration,
        program: &ApplicationProgram,
        binary: &Path,
        out: &mut (dyn Write + Send),
    ) -> Result<YarnApplication, ClientError> {
        self.deploy(config, Some(program), binary, out).await
    }

    /// Deploys a session cluster whose ApplicationMaster and TaskManagers run
    /// `binary` (flink-rs or a job bundle: its programs can run in the session).
    pub async fn deploy_session(
        &self,
        config: &Configuration,
        binary: &Path,
        out: &mut (dyn Write + Send),
    ) -> Result<YarnApplication, ClientError> {
        self.deploy(config, None, binary, out).await
    }

    /// Deploys an application cluster (`program`) or a session cluster (`None`).
    async fn deploy(
        &self,
        config: &Configuration,
        program: Option<&ApplicationProgram>,
        binary: &Path,
        out: &mut (dyn Write + Send),
    ) -> Result<YarnApplication, ClientError> {
        let started = Instant::now();
        let resources = ApplicationResources::from_config(config)?;
        let new_app = self.client.new_application().await.map_err(|e| {
            yarn_err(
                &format!(
                    "cannot reach the YARN ResourceManager at {} (check HADOOP_CONF_DIR / yarn.resourcemanager.address)",
                    self.rm_address()
                ),
                e,
            )
        })?;
        let app_proto = new_app
            .application_id
            .ok_or_else(|| ClientError::Yarn("getNewApplication returned no id".into()))?;
        let app_id = ids::format_application_id(&app_proto);
        let max = new_app.maximum_capability.unwrap_or_default();
        resources.validate(max.memory(), max.virtual_cores())?;
        let map = config.to_map();
        let queue = map
            .get("yarn.application.queue")
            .cloned()
            .unwrap_or_else(|| "default".into());
        if let Err(e) = self.client.queue_info(&queue).await {
            writeln!(
                out,
                "Warning: the queue '{queue}' could not be checked ({e}); the ResourceManager may reject the application"
            )?;
        }
        // From here on, failures kill the application and delete the staging dir.
        let mut staging_dir: Option<String> = None;
        let r = self
            .deploy_steps(
                config,
                program,
                binary,
                &app_proto,
                &app_id,
                resources,
                &queue,
                started,
                &mut staging_dir,
                out,
            )
            .await;
        match r {
            Ok(app) => Ok(app),
            Err(e) => {
                writeln!(
                    out,
                    "Deployment of {app_id} failed; killing it and removing its staging files."
                )?;
                self.kill_and_clean(&app_proto, staging_dir.as_deref())
                    .await;
                Err(e)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn deploy_steps(
        &self,
        config: &Configuration,
        program: Option<&ApplicationProgram>,
        binary: &Path,
        app_proto: &ApplicationIdProto,
        app_id: &str,
        resources: ApplicationResources,
        queue: &str,
        started: Instant,
        staging_out: &mut Option<String>,
        out: &mut (dyn Write + Send),
    ) -> Result<YarnApplication, ClientError> {
        let map = config.to_map();
        let settings = self.fs_settings();
        let staging_root = match map.get("yarn.staging-directory") {
            Some(d) => d.trim_end_matches('/').to_string(),
            None => format!(
                "{}/user/{}",
                self.conf.default_fs().trim_end_matches('/'),
                self.user
            ),
        };
        let app_dir = format!("{staging_root}/{STAGING_SUBDIR}/{app_id}");
        let (fs, app_path) = flink_fs::resolve(&app_dir, &settings)
            .map_err(|e| yarn_err(&format!("invalid staging directory '{app_dir}'"), e))?;
        fs.mkdirs(&app_path, 0o700).await.map_err(|e| {
            yarn_err(
                &format!("cannot create the staging directory {app_dir} (set yarn.staging-directory to a writable directory)"),
                e,
            )
        })?;
        *staging_out = Some(app_dir.clone());
        let replication = match int_option(config, "yarn.file-replication", -1)? {
            r if r > 0 => Some(r as u32),
            _ => None,
        };
        let create = CreateOptions {
            overwrite: true,
            replication,
            ..CreateOptions::default()
        };
        let mut staged: Vec<StagedResource> = Vec::new();
        let mut uploaded = 0u64;

        // 1. The binary: pre-staged (PUBLIC) or uploaded.
        let provided = self.find_provided_binary(&map, &settings).await?;
        match provided {
            Some(r) => {
                writeln!(
                    out,
                    "Using the pre-staged {} from yarn.provided.lib.dirs ({}), nothing to upload",
                    r.uri,
                    format_bytes(r.len)
                )?;
                staged.push(r);
            }
            None => {
                let r = upload_file(fs.as_ref(), binary, &app_path, BINARY, &create, false, out)
                    .await?;
                uploaded += r.len;
                staged.push(r);
            }
        }
        // 2. The frozen configuration.
        let mut frozen = map.clone();
        frozen.remove("execution.target");
        frozen.remove("yarn.application.id");
        frozen.insert(
            "execution.target".into(),
            if program.is_some() {
                "yarn-application"
            } else {
                "yarn-session"
            }
            .into(),
        );
        let text = render_flat_config(&frozen);
        let cfg_path = child(&app_path, CONFIG_FILE)?;
        fs.write(&cfg_path, bytes::Bytes::from(text.clone()), true)
            .await
            .map_err(|e| yarn_err("cannot upload the configuration", e))?;
        staged.push(stage(fs.as_ref(), &cfg_path, CONFIG_FILE, false).await?);
        uploaded += text.len() as u64;
        // 3. The Hadoop site files the client used (so containers reach the same cluster).
        for dir in &self.conf_dirs {
            for name in ["core-site.xml", "hdfs-site.xml", "yarn-site.xml"] {
                let local = dir.join(name);
                let key = format!("{HADOOP_CONF}/{name}");
                if !local.is_file() || staged.iter().any(|s| s.name == key) {
                    continue;
                }
                let remote = child(&app_path, &format!("{HADOOP_CONF}/{name}"))?;
                let n = fs
                    .copy_from_local(&local, &remote, &create, &mut |_| {})
                    .await
                    .map_err(|e| yarn_err(&format!("cannot upload {}", local.display()), e))?;
                uploaded += n;
                staged.push(stage(fs.as_ref(), &remote, &key, false).await?);
            }
        }
        // 4. yarn.ship-files.
        for f in map
            .get("yarn.ship-files")
            .map(|v| split_list(v))
            .unwrap_or_default()
        {
            let local = PathBuf::from(&f);
            if !local.exists() {
                return Err(ClientError::InvalidArgument(format!(
                    "yarn.ship-files: '{f}' does not exist"
                )));
            }
            for (file, rel) in walk(&local)? {
                let r =
                    upload_file(fs.as_ref(), &file, &app_path, &rel, &create, false, out).await?;
                uploaded += r.len;
                staged.push(r);
            }
        }
        writeln!(
            out,
            "Staged {} files ({}) in {app_dir} in {}",
            staged.len(),
            format_bytes(uploaded),
            secs(started.elapsed())
        )?;
        out.flush()?;

        // The ApplicationMaster's container.
        let staged_json = serde_json::to_string(&staged)
            .map_err(|e| ClientError::Yarn(format!("cannot encode the staged files: {e}")))?;
        let mut env: Vec<(String, String)> = vec![
            ("HADOOP_CONF_DIR".into(), format!("$PWD/{HADOOP_CONF}")),
            ("FLINK_CONF_DIR".into(), "$PWD".into()),
            (ENV_HADOOP_USER.into(), escape_env_value(&self.user)),
            (ENV_APP_ID.into(), escape_env_value(app_id)),
            (ENV_YARN_FILES.into(), escape_env_value(&app_dir)),
            (ENV_STAGED_RESOURCES.into(), escape_env_value(&staged_json)),
        ];
        if let Some(program) = program {
            let program_json = serde_json::to_string(program)
                .map_err(|e| ClientError::Yarn(format!("cannot encode the program: {e}")))?;
            env.push((ENV_PROGRAM.into(), escape_env_value(&program_json)));
        }
        let role = if program.is_some() {
            AM_ROLE
        } else {
            AM_SESSION_ROLE
        };
        for key in ["RUST_LOG", "RUST_BACKTRACE"] {
            if let Ok(v) = std::env::var(key) {
                env.push((key.into(), escape_env_value(&v)));
            }
        }
        for (k, v) in &map {
            if let Some(name) = k.strip_prefix("containerized.master.env.") {
                env.push((name.to_string(), escape_env_value(v)));
            }
        }
        let am_spec = ContainerLaunchContextProto {
            local_resources: StagedResource::to_launch_map(&staged)
                .map_err(|e| yarn_err("invalid staged file", e))?,
            environment: env
                .into_iter()
                .map(|(k, v)| StringStringMapProto {
                    key: Some(k),
                    value: Some(v),
                })
                .collect(),
            command: vec![format!(
                "exec ./{BINARY} {role} 1><LOG_DIR>/jobmanager.out 2><LOG_DIR>/jobmanager.log"
            )],
            ..Default::default()
        };
        let attempts = int_option(config, "yarn.application-attempts", 1)?.max(1) as i32;
        let priority = int_option(config, "yarn.application.priority", -1)?;
        let tags: Vec<String> = map
            .get("yarn.tags")
            .map(|t| split_list(t))
            .unwrap_or_default();
        let ctx = ApplicationSubmissionContextProto {
            application_id: Some(*app_proto),
            application_name: Some(map.get("yarn.application.name").cloned().unwrap_or_else(
                || {
                    if program.is_some() {
                        "Flink Application Cluster"
                    } else {
                        "Flink session cluster"
                    }
                    .into()
                },
            )),
            queue: Some(queue.to_string()),
            priority: (priority >= 0).then_some(PriorityProto {
                priority: Some(priority as i32),
            }),
            am_container_spec: Some(am_spec),
            max_app_attempts: Some(attempts),
            resource: Some(ResourceProto {
                memory: Some(resources.jm_memory_mb as i64),
                virtual_cores: Some(resources.jm_vcores as i32),
            }),
            application_type: Some(
                map.get("yarn.application.type")
                    .cloned()
                    .unwrap_or_else(|| "Apache Flink".into()),
            ),
            application_tags: tags,
            node_label_expression: map.get("yarn.application.node-label").cloned(),
            ..Default::default()
        };
        let submitted_at = Instant::now();
        self.client
            .submit_application(ctx)
            .await
            .map_err(|e| yarn_err(&format!("the ResourceManager rejected {app_id}"), e))?;
        writeln!(
            out,
            "Submitted application {app_id} to queue '{queue}' ({} after start)",
            secs(started.elapsed())
        )?;
        out.flush()?;

        // Follow the application to RUNNING.
        let mut last = None;
        let deadline = Instant::now()
            + map
                .get("yarn.deployment.timeout")
                .and_then(|v| flink_config::parse_duration(v).ok())
                .unwrap_or(Duration::from_secs(300));
        let report = loop {
            let r = self
                .client
                .application_report(app_proto)
                .await
                .map_err(|e| yarn_err("cannot follow the application", e))?;
            let state = r.yarn_application_state();
            if last != Some(state) {
                writeln!(
                    out,
                    "Application {app_id} is {} ({} after submission)",
                    state_name(state),
                    secs(submitted_at.elapsed())
                )?;
                out.flush()?;
                last = Some(state);
            }
            if state == YarnApplicationStateProto::Running && rest_url_of(&r).is_some() {
                break r;
            }
            if is_terminal(state) {
                return Err(ClientError::Yarn(format!(
                    "application {app_id} ended {} before it was running: {}",
                    final_status_name(r.final_application_status()),
                    summarize_diagnostics(r.diagnostics())
                )));
            }
            if Instant::now() >= deadline {
                return Err(ClientError::Yarn(format!(
                    "application {app_id} is still {} after {}; is the queue full? (yarn.deployment.timeout)",
                    state_name(state),
                    secs(submitted_at.elapsed())
                )));
            }
            tokio::time::sleep(REPORT_POLL).await;
        };
        let rest_url = rest_url_of(&report).unwrap_or_default();
        writeln!(
            out,
            "JobManager web interface: {rest_url} (deployed in {})",
            secs(started.elapsed())
        )?;
        out.flush()?;
        Ok(YarnApplication {
            id: app_id.to_string(),
            proto_id: *app_proto,
            rest_url,
            staging_dir: app_dir,
        })
    }

    /// A file named `flink-rs` in one of `yarn.provided.lib.dirs`.
    async fn find_provided_binary(
        &self,
        map: &std::collections::BTreeMap<String, String>,
        settings: &HadoopSettings,
    ) -> Result<Option<StagedResource>, ClientError> {
        let Some(dirs) = map.get("yarn.provided.lib.dirs") else {
            return Ok(None);
        };
        for dir in split_list(dirs) {
            let uri = format!("{}/{BINARY}", dir.trim_end_matches('/'));
            if !uri.contains("://") {
                return Err(ClientError::InvalidArgument(format!(
                    "yarn.provided.lib.dirs entry '{dir}' must be a full URI such as hdfs:///flink-rs/lib"
                )));
            }
            let (fs, path) = flink_fs::resolve(&uri, settings).map_err(|e| {
                yarn_err(&format!("invalid yarn.provided.lib.dirs entry '{dir}'"), e)
            })?;
            match fs.get_file_status(&path).await {
                Ok(st) if !st.is_dir => {
                    return Ok(Some(StagedResource {
                        name: BINARY.into(),
                        uri: st.path.to_string(),
                        len: st.len,
                        modification_time_ms: st.modification_time_ms,
                        public: true,
                    }));
                }
                Ok(_) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(yarn_err(&format!("cannot read {uri}"), e)),
            }
        }
        Err(ClientError::InvalidArgument(format!(
            "yarn.provided.lib.dirs ({dirs}) holds no file named '{BINARY}': copy the binary there (e.g. hdfs dfs -put flink-rs <dir>/) or drop the option"
        )))
    }
}

/// YARN's diagnostics without Java stack frames, at most ~1000 characters:
/// they often carry a whole NodeManager stack trace.
pub fn summarize_diagnostics(d: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for part in d.split_whitespace() {
        kept.push(part);
    }
    // Drop "at pkg.Class.method(File.java:1)" pairs and "... N more".
    let mut out: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < kept.len() {
        let w = kept[i];
        if w == "at" {
            // A frame is "at pkg.Class.method(File.java:1)" or "...(Native Method)".
            if let Some(n) = kept.get(i + 1).filter(|n| n.contains('(')) {
                let end = if n.ends_with(')') {
                    Some(i + 1)
                } else {
                    (i + 2..kept.len().min(i + 4)).find(|&j| kept[j].ends_with(')'))
                };
                if let Some(end) = end {
                    i = end + 1;
                    continue;
                }
            }
        }
        if w == "..." && kept.get(i + 2) == Some(&"more") {
            i += 3;
            continue;
        }
        out.push(w);
        i += 1;
    }
    let mut text = out.join(" ");
    if text.len() > 1000 {
        let mut cut = 1000;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str(" ...");
    }
    text
}

fn child(dir: &FsPath, name: &str) -> Result<FsPath, ClientError> {
    dir.join(name)
        .map_err(|e| ClientError::InvalidArgument(format!("invalid file name '{name}': {e}")))
}

/// `http://host:rpcPort` from a report of a running application.
fn rest_url_of(r: &ApplicationReportProto) -> Option<String> {
    let host = r.host.as_deref().filter(|h| !h.is_empty() && *h != "N/A")?;
    let port = r.rpc_port.filter(|p| *p > 0)?;
    Some(format!("http://{host}:{port}"))
}

fn split_list(v: &str) -> Vec<String> {
    v.split([';', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Files under `path` with their names relative to its parent (a file: itself).
fn walk(path: &Path) -> Result<Vec<(PathBuf, String)>, ClientError> {
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if path.is_file() {
        return Ok(vec![(path.to_path_buf(), base)]);
    }
    let mut out = Vec::new();
    let mut stack = vec![(path.to_path_buf(), base)];
    while let Some((dir, rel)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| {
            ClientError::InvalidArgument(format!(
                "yarn.ship-files: cannot read {}: {e}",
                dir.display()
            ))
        })?;
        for e in entries.flatten() {
            let p = e.path();
            let name = format!("{rel}/{}", e.file_name().to_string_lossy());
            if p.is_dir() {
                stack.push((p, name));
            } else {
                out.push((p, name));
            }
        }
    }
    out.sort();
    Ok(out)
}

async fn stage(
    fs: &dyn FileSystem,
    path: &FsPath,
    name: &str,
    public: bool,
) -> Result<StagedResource, ClientError> {
    let st = fs
        .get_file_status(path)
        .await
        .map_err(|e| yarn_err(&format!("cannot stat {path}"), e))?;
    Ok(StagedResource {
        name: name.to_string(),
        uri: st.path.to_string(),
        len: st.len,
        modification_time_ms: st.modification_time_ms,
        public,
    })
}

/// Uploads one local file as `<dir>/<name>` with a progress line.
async fn upload_file(
    fs: &dyn FileSystem,
    local: &Path,
    dir: &FsPath,
    name: &str,
    create: &CreateOptions,
    public: bool,
    out: &mut (dyn Write + Send),
) -> Result<StagedResource, ClientError> {
    let size = std::fs::metadata(local)
        .map_err(|e| ClientError::InvalidArgument(format!("cannot read {}: {e}", local.display())))?
        .len();
    let remote = child(dir, name)?;
    let started = Instant::now();
    write!(out, "Uploading {name} ({}) ...", format_bytes(size))?;
    out.flush()?;
    let step = (size / 4).max(8 << 20);
    let mut last_shown = 0u64;
    let mut progress = |done: u64| {
        if done >= last_shown + step && done < size {
            last_shown = done;
            let _ = write!(out, " {}%", done * 100 / size.max(1));
            let _ = out.flush();
        }
    };
    let n = fs
        .copy_from_local(local, &remote, create, &mut progress)
        .await
        .map_err(|e| yarn_err(&format!("cannot upload {}", local.display()), e))?;
    let el = started.elapsed();
    writeln!(
        out,
        " done in {} ({:.0} MB/s)",
        secs(el),
        n as f64 / 1048576.0 / el.as_secs_f64().max(1e-6)
    )?;
    stage(fs, &remote, name, public).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_follow_flink_keys_and_are_checked() {
        let mut c = Configuration::new();
        let src = || flink_config::ConfigSource::Set("test".into());
        c.set_string("taskmanager.numberOfTaskSlots", "3", src());
        c.set_string("taskmanager.memory.process.size", "1g", src());
        let r = ApplicationResources::from_config(&c).unwrap();
        assert_eq!(r.tm_vcores, 3);
        assert_eq!(r.tm_memory_mb, 1024);
        assert_eq!(r.jm_memory_mb, 1600);
        r.validate(6144, 4).unwrap();
        let e = r.validate(1200, 4).unwrap_err().to_string();
        assert!(e.contains("jobmanager.memory.process.size"), "{e}");
        c.set_string("jobmanager.memory.process.size", "768m", src());
        let r = ApplicationResources::from_config(&c).unwrap();
        let e = r.validate(900, 4).unwrap_err().to_string();
        assert!(e.contains("taskmanager.memory.process.size"), "{e}");
        let e = r.validate(6144, 2).unwrap_err().to_string();
        assert!(e.contains("yarn.containers.vcores"), "{e}");
    }

    #[test]
    fn report_gives_the_rest_url() {
        let r = ApplicationReportProto {
            host: Some("nm1".into()),
            rpc_port: Some(40123),
            ..Default::default()
        };
        assert_eq!(rest_url_of(&r).as_deref(), Some("http://nm1:40123"));
        let r = ApplicationReportProto {
            host: Some("N/A".into()),
            rpc_port: Some(-1),
            ..Default::default()
        };
        assert_eq!(rest_url_of(&r), None);
    }

    #[test]
    fn diagnostics_lose_stack_frames() {
        let d = "Diagnostics: boom at org.a.B.c(B.java:1) at java.base/x.Y.z(Native Method) ... 21 more Caused by: Permission denied: user=x";
        assert_eq!(
            summarize_diagnostics(d),
            "Diagnostics: boom Caused by: Permission denied: user=x"
        );
    }

    #[test]
    fn lists_split_on_semicolons_and_commas() {
        assert_eq!(split_list("a; b,c ,"), vec!["a", "b", "c"]);
    }
}
