//! `flink-rs yarn-session` (`bin/yarn-session.sh`), Flink's `FlinkYarnSessionCli`: deploys a
//! long-running session cluster on YARN, or attaches to one with `-id`, and then either returns
//! (`-d`) or stays attached: it follows the application every 3 s and reads commands from
//! standard input (`stop`/`quit` stops the session, `help`); Ctrl-C stops a session this
//! command deployed and detaches from one it attached to, and so does the end of input (a
//! deploying client then keeps following the session until it ends). `echo stop | yarn-session.sh -id
//! <appId>` stops a detached session.
//!
//! After a deployment the application id is written to the YARN properties file
//! (`<yarn.properties-file.location or the temp dir>/.yarn-properties-<user>`), which `run`,
//! `list`, `cancel`, `savepoint` and `stop` with `-t yarn-session` use when no
//! `-Dyarn.application.id` is given.

use crate::commands::client_for;
use crate::error::ClientError;
use crate::yarn::YarnClusterDescriptor;
use clap::Args;
use flink_config::{ConfigSource, Configuration};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often an attached session client checks the application.
const POLL: Duration = Duration::from_secs(3);

/// Flags of `yarn-session` (Flink's short forms `-jm -tm -nm -at -qu -nl -id -z` are accepted).
#[derive(Args, Debug, Clone, PartialEq, Eq, Default)]
pub struct YarnSessionArgs {
    /// JobManager process memory (-jm), MB if no unit (e.g. 1024 or 1g).
    #[arg(long = "jobManagerMemory", value_name = "memory")]
    pub jobmanager_memory: Option<String>,
    /// TaskManager process memory (-tm), MB if no unit.
    #[arg(long = "taskManagerMemory", value_name = "memory")]
    pub taskmanager_memory: Option<String>,
    /// Slots per TaskManager.
    #[arg(short = 's', long = "slots")]
    pub slots: Option<u32>,
    /// Return once the session runs instead of staying attached.
    #[arg(short = 'd', long = "detached")]
    pub detached: bool,
    /// YARN application name (-nm).
    #[arg(long = "name")]
    pub name: Option<String>,
    /// YARN application type (-at).
    #[arg(long = "applicationType")]
    pub application_type: Option<String>,
    /// YARN queue (-qu).
    #[arg(long = "queue")]
    pub queue: Option<String>,
    /// YARN node label of the ApplicationMaster (-nl).
    #[arg(long = "nodeLabel")]
    pub node_label: Option<String>,
    /// Files or directories shipped to every container (repeatable).
    #[arg(short = 't', long = "ship")]
    pub ship: Vec<String>,
    /// The binary the session runs (default: this one); a job bundle makes its programs
    /// available to the session's jobs.
    #[arg(short = 'j', long = "jar", value_name = "binary")]
    pub jar: Option<PathBuf>,
    /// Attach to a running session (-id) instead of deploying one.
    #[arg(long = "applicationId", value_name = "applicationId")]
    pub application_id: Option<String>,
    /// High-availability cluster id (-z).
    #[arg(long = "zookeeperNamespace")]
    pub zookeeper_namespace: Option<String>,
    /// Generic configuration option, repeatable: -D key=value.
    #[arg(short = 'D', value_name = "key=value", value_parser = crate::cli::dynamic_property)]
    pub dynamic_properties: Vec<String>,
}

/// Rewrites Flink's multi-letter short flags of `yarn-session` to their long forms.
pub fn normalize_flags(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    if args.get(1).and_then(|a| a.to_str()) != Some("yarn-session") {
        return args;
    }
    args.into_iter()
        .map(|a| {
            let long = match a.to_str() {
                Some("-jm") => "--jobManagerMemory",
                Some("-tm") => "--taskManagerMemory",
                Some("-nm") => "--name",
                Some("-at") => "--applicationType",
                Some("-qu") => "--queue",
                Some("-nl") => "--nodeLabel",
                Some("-id") => "--applicationId",
                Some("-z") => "--zookeeperNamespace",
                _ => return a,
            };
            long.into()
        })
        .collect()
}

/// A memory flag: a bare number is MB (Flink's `-jm 1024`).
fn memory_flag(v: &str) -> String {
    let v = v.trim();
    if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()) {
        format!("{v}m")
    } else {
        v.to_string()
    }
}

impl YarnSessionArgs {
    /// The configuration: `config.yaml`, `-D`, then the flags.
    pub fn load_configuration(&self) -> Result<Configuration, ClientError> {
        let mut c = Configuration::load(None, &self.dynamic_properties)?;
        let src = || ConfigSource::Set("yarn-session flags".into());
        let mut set = |k: &str, v: String| c.set_string(k, &v, src());
        if let Some(m) = &self.jobmanager_memory {
            set("jobmanager.memory.process.size", memory_flag(m));
        }
        if let Some(m) = &self.taskmanager_memory {
            set("taskmanager.memory.process.size", memory_flag(m));
        }
        if let Some(s) = self.slots {
            set("taskmanager.numberOfTaskSlots", s.to_string());
        }
        if let Some(v) = &self.name {
            set("yarn.application.name", v.clone());
        }
        if let Some(v) = &self.application_type {
            set("yarn.application.type", v.clone());
        }
        if let Some(v) = &self.queue {
            set("yarn.application.queue", v.clone());
        }
        if let Some(v) = &self.node_label {
            set("yarn.application.node-label", v.clone());
        }
        if !self.ship.is_empty() {
            set("yarn.ship-files", self.ship.join(";"));
        }
        if let Some(v) = &self.application_id {
            set("yarn.application.id", v.clone());
        }
        if let Some(v) = &self.zookeeper_namespace {
            set("high-availability.cluster-id", v.clone());
        }
        set("execution.target", "yarn-session".into());
        Ok(c)
    }
}

/// The YARN properties file of `user`: `<yarn.properties-file.location or temp dir>/.yarn-properties-<user>`.
pub fn properties_file(config: &Configuration, user: &str) -> PathBuf {
    let dir = config
        .to_map()
        .get("yarn.properties-file.location")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    dir.join(format!(".yarn-properties-{user}"))
}

/// The application id recorded in a YARN properties file, if any.
pub fn read_properties_file(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| k.trim() == "applicationID")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn write_properties_file(path: &Path, app_id: &str, dynamic: &[String]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(
        path,
        format!(
            "#Generated YARN properties file\napplicationID={app_id}\ndynamicPropertiesString={}\n",
            dynamic.join("@@")
        ),
    )
}

/// Removes the properties file if it names `app_id`.
fn remove_properties_file(path: &Path, app_id: &str) {
    if read_properties_file(path).as_deref() == Some(app_id) {
        let _ = std::fs::remove_file(path);
    }
}

/// What came from standard input.
enum Input {
    Line(String),
    Eof,
}

/// `flink-rs yarn-session`.
pub async fn yarn_session(
    args: &YarnSessionArgs,
    input: Box<dyn std::io::BufRead + Send>,
    out: &mut (dyn Write + Send),
) -> Result<(), ClientError> {
    let config = args.load_configuration()?;
    let yarn = YarnClusterDescriptor::from_env()?;
    let props = properties_file(&config, yarn.user());
    let (app_id, rest_url, deployed) = match &args.application_id {
        Some(id) => {
            let url = yarn.rest_url(id).await?;
            writeln!(
                out,
                "Attached to the session cluster {id}; JobManager web interface: {url}"
            )?;
            (id.clone(), url, false)
        }
        None => {
            let binary = match &args.jar {
                Some(p) if p.is_file() => p.clone(),
                Some(p) => {
                    return Err(ClientError::InvalidArgument(format!(
                        "-j {}: no such file; give the flink-rs binary or a job bundle",
                        p.display()
                    )));
                }
                None => std::env::current_exe().map_err(|e| {
                    ClientError::InvalidArgument(format!(
                        "cannot locate the flink-rs executable to ship: {e}"
                    ))
                })?,
            };
            writeln!(out, "Deploying a session cluster on YARN")?;
            let app = yarn.deploy_session(&config, &binary, out).await?;
            if let Err(e) = write_properties_file(&props, &app.id, &args.dynamic_properties) {
                writeln!(
                    out,
                    "Warning: cannot write the YARN properties file {}: {e}",
                    props.display()
                )?;
            }
            writeln!(out, "Session cluster {} is running.", app.id)?;
            writeln!(
                out,
                "  submit a job:  flink-rs run -t yarn-session [-Dyarn.application.id={}] <program> [args]",
                app.id
            )?;
            writeln!(
                out,
                "  stop it:       echo stop | bin/yarn-session.sh -id {}",
                app.id
            )?;
            (app.id, app.rest_url, true)
        }
    };
    out.flush()?;
    if args.detached {
        writeln!(
            out,
            "Detached; the session keeps running (YARN properties file: {}).",
            props.display()
        )?;
        return Ok(());
    }

    writeln!(
        out,
        "Commands: 'stop' or 'quit' stops the session cluster, 'help' shows this. {}",
        if deployed {
            "Ctrl-C also stops it."
        } else {
            "Ctrl-C detaches."
        }
    )?;
    out.flush()?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::Builder::new()
        .name("yarn-session-stdin".into())
        .spawn(move || {
            let mut input = input;
            let mut line = String::new();
            loop {
                line.clear();
                match input.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if tx.send(Input::Line(line.trim_end().to_string())).is_err() {
                            return;
                        }
                    }
                }
            }
            let _ = tx.send(Input::Eof);
        })
        .map_err(|e| ClientError::InvalidArgument(format!("cannot read standard input: {e}")))?;
    let mut reading = true;
    loop {
        tokio::select! {
            msg = rx.recv(), if reading => match msg {
                Some(Input::Line(l)) => match l.trim() {
                    "stop" | "quit" => {
                        return stop_session(&yarn, &config, &app_id, &rest_url, &props, out).await;
                    }
                    "help" => writeln!(out, "Commands: 'stop' or 'quit' stops the session cluster, 'help' shows this.")?,
                    "" => {}
                    other => writeln!(out, "Unknown command '{other}'; type 'help'.")?,
                },
                Some(Input::Eof) | None => {
                    if !deployed {
                        writeln!(out, "End of input: detached; the session keeps running.")?;
                        return Ok(());
                    }
                    reading = false;
                }
            },
            _ = tokio::signal::ctrl_c() => {
                if deployed {
                    writeln!(out, "Interrupted: stopping the session cluster.")?;
                    return stop_session(&yarn, &config, &app_id, &rest_url, &props, out).await;
                }
                writeln!(out, "Detached; the session keeps running.")?;
                return Ok(());
            }
            _ = tokio::time::sleep(POLL) => {
                let end = yarn.wait_for_end(&app_id, Duration::ZERO).await;
                if let Ok(end) = end {
                    remove_properties_file(&props, &app_id);
                    writeln!(out, "Session cluster {app_id} ended {} ({}): {}", end.state, end.final_status, end.diagnostics)?;
                    return if end.final_status == "SUCCEEDED" {
                        Ok(())
                    } else {
                        Err(ClientError::Yarn(format!("session cluster {app_id} ended {}: {}", end.final_status, end.diagnostics)))
                    };
                }
            }
        }
        out.flush()?;
    }
}

/// Asks the session's JobManager to shut down (it cancels its jobs, unregisters and deletes
/// the staging directory); if it cannot be reached, kills the application.
async fn stop_session(
    yarn: &YarnClusterDescriptor,
    config: &Configuration,
    app_id: &str,
    rest_url: &str,
    props: &Path,
    out: &mut (dyn Write + Send),
) -> Result<(), ClientError> {
    writeln!(out, "Stopping the session cluster {app_id}")?;
    out.flush()?;
    let asked = match client_for(rest_url, config) {
        Ok(c) => c.shutdown_cluster().await,
        Err(e) => Err(e),
    };
    if let Err(e) = asked {
        writeln!(
            out,
            "The JobManager did not take the request ({e}); killing the application."
        )?;
        yarn.kill(app_id, "stopped by the flink-rs yarn-session client")
            .await?;
    }
    let end = yarn.wait_for_end(app_id, Duration::from_secs(120)).await?;
    remove_properties_file(props, app_id);
    writeln!(
        out,
        "Session cluster {app_id} ended {} ({})",
        end.state, end.final_status
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flink_short_flags_become_long_ones() {
        let a = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            normalize_flags(a(&["flink-rs", "yarn-session", "-jm", "1024", "-id", "x"])),
            a(&[
                "flink-rs",
                "yarn-session",
                "--jobManagerMemory",
                "1024",
                "--applicationId",
                "x"
            ])
        );
        // Other commands keep their flags.
        assert_eq!(
            normalize_flags(a(&["flink-rs", "run", "-nm"])),
            a(&["flink-rs", "run", "-nm"])
        );
    }

    #[test]
    fn memory_without_unit_is_megabytes() {
        assert_eq!(memory_flag("1024"), "1024m");
        assert_eq!(memory_flag("2 g"), "2 g");
    }

    #[test]
    fn properties_file_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Configuration::new();
        c.set_string(
            "yarn.properties-file.location",
            &dir.path().display().to_string(),
            ConfigSource::Set("test".into()),
        );
        let p = properties_file(&c, "alice");
        assert_eq!(p, dir.path().join(".yarn-properties-alice"));
        assert_eq!(read_properties_file(&p), None);
        write_properties_file(&p, "application_1_0002", &["a=b".into()]).unwrap();
        assert_eq!(
            read_properties_file(&p).as_deref(),
            Some("application_1_0002")
        );
        remove_properties_file(&p, "application_1_0003");
        assert!(p.exists());
        remove_properties_file(&p, "application_1_0002");
        assert!(!p.exists());
    }
}
