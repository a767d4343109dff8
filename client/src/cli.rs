//! The command line, with Flink's flags: `run`, `run-application`, `list`, `cancel`, `info`,
//! and the role commands `jobmanager` and `taskmanager`.
//!
//! The binary parses with [`Cli::parse_from`] (or embeds [`Command`] in its
//! own subcommand enum with `#[command(flatten)]`), then calls the command
//! implementations in [`crate::commands`].

use clap::{Args, Parser, Subcommand};
use flink_config::options::{
    self, DeploymentTarget, EXECUTION_ATTACHED, EXECUTION_TARGET, PARALLELISM_DEFAULT,
    SAVEPOINT_IGNORE_UNCLAIMED_STATE, SAVEPOINT_PATH,
};
use flink_config::{ConfigSource, Configuration, OptionValue, parse_dynamic_property};
use std::path::PathBuf;

/// flink-rs: Apache Flink's runtime and its YARN deployment, in Rust.
#[derive(Parser, Debug, Clone, PartialEq, Eq)]
#[command(name = "flink-rs", version, about, propagate_version = true)]
pub struct Cli {
    /// The action.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses `args` (including the program name), returning clap's error
    /// (which prints usage) on bad input.
    pub fn try_parse_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
        let mut cli = <Self as Parser>::try_parse_from(crate::yarn_session::normalize_flags(args))?;
        // `run-application` is `run` with -t yarn-application as the default target.
        if let Command::RunApplication(a) = &cli.command {
            let mut a = a.clone();
            a.cluster
                .target
                .get_or_insert(DeploymentTarget::YarnApplication);
            cli.command = Command::Run(a);
        }
        Ok(cli)
    }

    /// Parses `args` for `main`: help and version go to stdout (exit 0), a
    /// usage error is printed as one `Error: ...` line on stderr (exit 2).
    pub fn parse_or_report<I, T>(args: I) -> Result<Self, std::process::ExitCode>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::error::ErrorKind;
        Self::try_parse_args(args).map_err(|e| match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                let _ = e.print();
                std::process::ExitCode::SUCCESS
            }
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                let _ = e.print();
                std::process::ExitCode::from(2)
            }
            _ => {
                eprintln!("{}", clap_error_line(&e));
                std::process::ExitCode::from(2)
            }
        })
    }
}

/// A clap usage error as one line: `Error: <message> (see --help)`.
pub fn clap_error_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect();
    let msg = parts.join(" ");
    let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
    format!("Error: {msg} (see --help)")
}

/// The actions.
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Compiles and runs a program.
    Run(RunArgs),
    /// Runs a program in application mode: its own cluster on YARN, with the
    /// program's main() in the ApplicationMaster (-t yarn-application).
    RunApplication(RunArgs),
    /// Lists running and scheduled jobs.
    List(ListArgs),
    /// Cancels a running job.
    Cancel(CancelArgs),
    /// Triggers a savepoint: `savepoint <jobId> [targetDirectory]`.
    Savepoint(crate::savepoint::SavepointArgs),
    /// Stops a job with a savepoint: `stop [-p savepointPath] <jobId>`.
    Stop(crate::savepoint::StopArgs),
    /// Shows the optimized execution plan of a program as JSON.
    Info(InfoArgs),
    /// Starts a session cluster on YARN, or attaches to one (-id); Flink's yarn-session.sh.
    YarnSession(crate::yarn_session::YarnSessionArgs),
    /// Runs a JobManager (standalone or inside a YARN container).
    Jobmanager(RoleArgs),
    /// Runs a TaskManager (standalone or inside a YARN container).
    Taskmanager(RoleArgs),
}

/// Parses and checks one `-D key=value`.
pub(crate) fn dynamic_property(s: &str) -> Result<String, String> {
    parse_dynamic_property(s)
        .map(|_| s.to_string())
        .map_err(|e| e.to_string())
}

fn deployment_target(s: &str) -> Result<DeploymentTarget, String> {
    DeploymentTarget::parse_value(s)
        .map_err(|_| format!("expected {}", DeploymentTarget::expected()))
}

fn positive_parallelism(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(format!(
            "invalid parallelism '{s}': expected a positive integer"
        )),
    }
}

/// Options shared by the commands that talk to a cluster.
#[derive(Args, Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterArgs {
    /// Deployment target: local, remote, yarn-session, yarn-application or yarn-per-job.
    #[arg(short = 't', long = "target", value_parser = deployment_target)]
    pub target: Option<DeploymentTarget>,
    /// Address of the JobManager's REST endpoint (host:port) to connect to.
    #[arg(short = 'm', long = "jobmanager", value_name = "host:port")]
    pub jobmanager: Option<String>,
    /// Generic configuration option, repeatable: -D key=value.
    #[arg(short = 'D', value_name = "key=value", value_parser = dynamic_property)]
    pub dynamic_properties: Vec<String>,
}

impl ClusterArgs {
    /// Loads `$FLINK_CONF_DIR/config.yaml` (see
    /// [`Configuration::default_conf_dir`]), applies `-D`, then `-t` and `-m`.
    pub fn load_configuration(&self) -> Result<Configuration, crate::ClientError> {
        let mut c = Configuration::load(None, &self.dynamic_properties)?;
        self.apply(&mut c)?;
        Ok(c)
    }

    /// Applies `-t` and `-m` on top of an already loaded configuration.
    pub fn apply(&self, c: &mut Configuration) -> Result<(), crate::ClientError> {
        if let Some(t) = self.target {
            c.set(&EXECUTION_TARGET, &t, "-t");
        }
        if let Some(m) = &self.jobmanager {
            let (host, port) = parse_host_port(m)?;
            let src = || ConfigSource::Set("-m".into());
            c.set_string(options::REST_ADDRESS.key(), &host, src());
            c.set_string(options::JOB_MANAGER_RPC_ADDRESS.key(), &host, src());
            if let Some(p) = port {
                c.set_string(options::REST_PORT.key(), &p.to_string(), src());
            }
            // -m means "this cluster": it overrides a target from the config
            // file, but not an explicit -t.
            if self.target.is_none() {
                c.set(&EXECUTION_TARGET, &DeploymentTarget::Remote, "-m");
            }
        }
        Ok(())
    }
}

/// Parses `-m`: `host:port`, `host`, or `http://host:port`.
pub fn parse_host_port(s: &str) -> Result<(String, Option<u16>), crate::ClientError> {
    let bad = |why: &str| {
        crate::ClientError::InvalidArgument(format!(
            "invalid JobManager address '{s}' (-m): {why}; expected host:port, e.g. -m localhost:8081"
        ))
    };
    let t = s.trim();
    let t = t.strip_prefix("http://").unwrap_or(t).trim_end_matches('/');
    if t.eq_ignore_ascii_case("yarn-cluster") {
        return Err(bad(
            "the legacy 'yarn-cluster' mode is not supported, use -t yarn-application",
        ));
    }
    let (host, port) = match t.rsplit_once(':') {
        Some((h, p)) => {
            let port: u16 = p
                .parse()
                .map_err(|_| bad("the port is not a number between 0 and 65535"))?;
            (h, Some(port))
        }
        None => (t, None),
    };
    if host.is_empty() || host.contains('/') {
        return Err(bad("the host is missing or invalid"));
    }
    Ok((host.to_string(), port))
}

/// `flink-rs run`.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct RunArgs {
    /// Where to run.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Parallelism of the job (overrides parallelism.default).
    #[arg(short = 'p', long = "parallelism", value_parser = positive_parallelism)]
    pub parallelism: Option<u32>,
    /// Submit the job and return without waiting for it to finish.
    #[arg(short = 'd', long = "detached")]
    pub detached: bool,
    /// Savepoint or retained checkpoint to restore the job from.
    #[arg(short = 's', long = "fromSavepoint", value_name = "savepointPath")]
    pub savepoint: Option<String>,
    /// Allow skipping savepoint state that cannot be restored.
    #[arg(short = 'n', long = "allowNonRestoredState")]
    pub allow_non_restored_state: bool,
    /// The job: a bundle executable or `example:NAME`.
    #[arg(value_name = "bundle|example:NAME")]
    pub program: String,
    /// Arguments of the job, passed on untouched (including ones that look like flags).
    #[arg(
        value_name = "job args",
        trailing_var_arg = true,
        allow_hyphen_values = true,
        num_args = 0..
    )]
    pub job_args: Vec<String>,
}

impl RunArgs {
    /// Loads the configuration and applies every flag of `run`.
    pub fn load_configuration(&self) -> Result<Configuration, crate::ClientError> {
        let mut c = self.cluster.load_configuration()?;
        self.apply(&mut c);
        Ok(c)
    }

    /// Applies `-p`, `-d`, `-s` and `-n`.
    pub fn apply(&self, c: &mut Configuration) {
        if let Some(p) = self.parallelism {
            c.set(&PARALLELISM_DEFAULT, &p, "-p");
        }
        c.set(
            &EXECUTION_ATTACHED,
            &!self.detached,
            if self.detached { "-d" } else { "run" },
        );
        if let Some(s) = &self.savepoint {
            c.set(&SAVEPOINT_PATH, s, "-s");
        }
        if self.allow_non_restored_state {
            c.set(&SAVEPOINT_IGNORE_UNCLAIMED_STATE, &true, "-n");
        }
    }

    /// The program reference.
    pub fn program_spec(&self) -> ProgramSpec {
        ProgramSpec {
            program: self.program.clone(),
            args: self.job_args.clone(),
        }
    }
}

/// What to run: a bundle path or `example:NAME`, and its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramSpec {
    /// `example:NAME` or the path of a bundle executable.
    pub program: String,
    /// The job's own arguments.
    pub args: Vec<String>,
}

impl ProgramSpec {
    /// The example name for `example:NAME`.
    pub fn example_name(&self) -> Option<&str> {
        self.program.strip_prefix("example:")
    }
}

/// Which jobs `list` shows.
#[derive(Args, Debug, Clone, PartialEq, Eq, Default)]
#[group(multiple = false)]
pub struct ListFilter {
    /// Show all jobs, including terminated ones.
    #[arg(short = 'a', long = "all")]
    pub all: bool,
    /// Show only running jobs.
    #[arg(short = 'r', long = "running")]
    pub running: bool,
    /// Show only scheduled jobs.
    #[arg(short = 's', long = "scheduled")]
    pub scheduled: bool,
}

/// `flink-rs list`.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct ListArgs {
    /// The cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Which jobs.
    #[command(flatten)]
    pub filter: ListFilter,
}

/// `flink-rs cancel`.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct CancelArgs {
    /// The cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// The job to cancel.
    #[arg(value_name = "jobId", value_parser = parse_job_id)]
    pub job_id: flink_types::JobId,
}

fn parse_job_id(s: &str) -> Result<flink_types::JobId, String> {
    s.parse()
        .map_err(|e: flink_types::IdParseError| e.to_string())
}

/// `flink-rs info`.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct InfoArgs {
    /// Parallelism of the job (overrides parallelism.default).
    #[arg(short = 'p', long = "parallelism", value_parser = positive_parallelism)]
    pub parallelism: Option<u32>,
    /// Generic configuration option, repeatable: -D key=value.
    #[arg(short = 'D', value_name = "key=value", value_parser = dynamic_property)]
    pub dynamic_properties: Vec<String>,
    /// The job: a bundle executable or `example:NAME`.
    #[arg(value_name = "bundle|example:NAME")]
    pub program: String,
    /// Arguments of the job, passed on untouched.
    #[arg(
        value_name = "job args",
        trailing_var_arg = true,
        allow_hyphen_values = true,
        num_args = 0..
    )]
    pub job_args: Vec<String>,
}

impl InfoArgs {
    /// Loads the configuration and applies `-D` and `-p`.
    pub fn load_configuration(&self) -> Result<Configuration, crate::ClientError> {
        let mut c = Configuration::load(None, &self.dynamic_properties)?;
        if let Some(p) = self.parallelism {
            c.set(&PARALLELISM_DEFAULT, &p, "-p");
        }
        Ok(c)
    }

    /// The program reference.
    pub fn program_spec(&self) -> ProgramSpec {
        ProgramSpec {
            program: self.program.clone(),
            args: self.job_args.clone(),
        }
    }
}

/// Options of the role commands `jobmanager` and `taskmanager`.
#[derive(Args, Debug, Clone, PartialEq, Eq, Default)]
pub struct RoleArgs {
    /// Directory with config.yaml (default: $FLINK_CONF_DIR, else conf/ next to the binary).
    #[arg(short = 'c', long = "configDir", value_name = "dir")]
    pub config_dir: Option<PathBuf>,
    /// Generic configuration option, repeatable: -D key=value.
    #[arg(short = 'D', value_name = "key=value", value_parser = dynamic_property)]
    pub dynamic_properties: Vec<String>,
}

impl RoleArgs {
    /// Loads the configuration directory and applies `-D`.
    pub fn load_configuration(&self) -> Result<Configuration, crate::ClientError> {
        Ok(Configuration::load(
            self.config_dir.as_deref(),
            &self.dynamic_properties,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_args(std::iter::once("flink-rs").chain(args.iter().copied()))
    }

    fn run(args: &[&str]) -> RunArgs {
        match parse(args).unwrap().command {
            Command::Run(r) => r,
            other => panic!("not run: {other:?}"),
        }
    }

    #[test]
    fn run_application_defaults_to_yarn_application() {
        let r = run(&["run-application", "-p", "4", "example:wordcount", "--x"]);
        assert_eq!(r.cluster.target, Some(DeploymentTarget::YarnApplication));
        assert_eq!(r.parallelism, Some(4));
        assert_eq!(r.job_args, vec!["--x"]);
        let r = run(&["run-application", "-t", "yarn-session", "example:wordcount"]);
        assert_eq!(r.cluster.target, Some(DeploymentTarget::YarnSession));
    }

    #[test]
    fn run_flags_and_repeated_dynamic_properties() {
        let r = run(&[
            "run",
            "-t",
            "remote",
            "-m",
            "jm:8082",
            "-p",
            "4",
            "-d",
            "-D",
            "a=1",
            "-Db=2",
            "-s",
            "hdfs:///sp",
            "-n",
            "example:wordcount",
        ]);
        assert_eq!(r.cluster.target, Some(DeploymentTarget::Remote));
        assert_eq!(r.cluster.jobmanager.as_deref(), Some("jm:8082"));
        assert_eq!(r.parallelism, Some(4));
        assert!(r.detached);
        assert_eq!(r.cluster.dynamic_properties, vec!["a=1", "b=2"]);
        assert_eq!(r.savepoint.as_deref(), Some("hdfs:///sp"));
        assert!(r.allow_non_restored_state);
        assert_eq!(r.program, "example:wordcount");
        assert!(r.job_args.is_empty());
        assert_eq!(r.program_spec().example_name(), Some("wordcount"));
    }

    #[test]
    fn job_args_pass_through_untouched() {
        let r = run(&[
            "run", "-p", "2", "./my-job", "--input", "in.txt", "-p", "9", "-d", "--", "x",
        ]);
        assert_eq!(r.parallelism, Some(2));
        assert!(!r.detached);
        assert_eq!(r.program, "./my-job");
        assert_eq!(
            r.job_args,
            vec!["--input", "in.txt", "-p", "9", "-d", "--", "x"]
        );
    }

    #[test]
    fn bad_input_is_rejected() {
        let e = parse(&["run", "-p", "0", "example:x"]).unwrap_err();
        assert!(
            e.to_string()
                .contains("invalid parallelism '0': expected a positive integer"),
            "{e}"
        );
        let e = parse(&["run", "-p", "many", "example:x"]).unwrap_err();
        assert!(e.to_string().contains("expected a positive integer"), "{e}");
        let e = parse(&["run", "-D", "novalue", "example:x"]).unwrap_err();
        assert!(e.to_string().contains("missing '='"), "{e}");
        let e = parse(&["run", "-t", "mars", "example:x"]).unwrap_err();
        assert!(e.to_string().contains("one of 'local', 'remote'"), "{e}");
        assert!(parse(&["run"]).is_err());
        let e = parse(&["cancel", "not-a-job-id"]).unwrap_err();
        assert!(e.to_string().contains("32 hexadecimal characters"), "{e}");
        assert!(parse(&["list", "-a", "-r"]).is_err());
    }

    #[test]
    fn usage_errors_render_on_one_line() {
        let e = parse(&["run", "-p", "0", "example:x"]).unwrap_err();
        assert_eq!(
            clap_error_line(&e),
            "Error: invalid value '0' for '--parallelism <PARALLELISM>': invalid parallelism '0': expected a positive integer (see --help)"
        );
        let e = parse(&["run"]).unwrap_err();
        let line = clap_error_line(&e);
        assert!(!line.contains('\n'));
        assert!(
            line.starts_with(
                "Error: the following required arguments were not provided: <bundle|example:NAME>"
            ),
            "{line}"
        );
        let e = parse(&["frobnicate"]).unwrap_err();
        assert!(clap_error_line(&e).starts_with("Error: unrecognized subcommand 'frobnicate'"));
    }

    #[test]
    fn list_cancel_info_and_roles() {
        match parse(&["list", "-m", "h:1", "-a"]).unwrap().command {
            Command::List(l) => {
                assert!(l.filter.all);
                assert_eq!(l.cluster.jobmanager.as_deref(), Some("h:1"));
            }
            c => panic!("{c:?}"),
        }
        let jid = "0123456789abcdef0123456789abcdef";
        match parse(&["cancel", "-m", "h:1", jid]).unwrap().command {
            Command::Cancel(c) => assert_eq!(c.job_id.to_string(), jid),
            c => panic!("{c:?}"),
        }
        match parse(&["info", "-p", "3", "-D", "k=v", "example:wc", "--x", "1"])
            .unwrap()
            .command
        {
            Command::Info(i) => {
                assert_eq!(i.parallelism, Some(3));
                assert_eq!(i.job_args, vec!["--x", "1"]);
            }
            c => panic!("{c:?}"),
        }
        match parse(&["taskmanager", "--configDir", "/etc/flink", "-D", "a=b"])
            .unwrap()
            .command
        {
            Command::Taskmanager(r) => {
                assert_eq!(r.config_dir, Some(PathBuf::from("/etc/flink")));
                assert_eq!(r.dynamic_properties, vec!["a=b"]);
            }
            c => panic!("{c:?}"),
        }
        match parse(&["jobmanager", "-c", "conf"]).unwrap().command {
            Command::Jobmanager(r) => assert_eq!(r.config_dir, Some(PathBuf::from("conf"))),
            c => panic!("{c:?}"),
        }
    }

    #[test]
    fn flags_land_in_the_configuration() {
        let r = run(&[
            "run",
            "-m",
            "jm:9000",
            "-p",
            "3",
            "-d",
            "-s",
            "/sp",
            "example:wc",
        ]);
        let mut c = Configuration::new();
        r.cluster.apply(&mut c).unwrap();
        r.apply(&mut c);
        let rest = flink_config::RestConfig::from_configuration(&c).unwrap();
        assert_eq!(rest.url(), "http://jm:9000");
        assert_eq!(c.get(&PARALLELISM_DEFAULT).unwrap(), 3);
        assert!(!c.get(&EXECUTION_ATTACHED).unwrap());
        assert_eq!(c.get(&EXECUTION_TARGET).unwrap(), DeploymentTarget::Remote);
        assert_eq!(
            c.get_optional(&SAVEPOINT_PATH).unwrap().as_deref(),
            Some("/sp")
        );

        // -m overrides a target from the config file, an explicit -t wins over -m.
        let mut c = Configuration::new();
        c.set(&EXECUTION_TARGET, &DeploymentTarget::Local, "config.yaml");
        run(&["run", "-m", "jm:1", "example:wc"])
            .cluster
            .apply(&mut c)
            .unwrap();
        assert_eq!(c.get(&EXECUTION_TARGET).unwrap(), DeploymentTarget::Remote);
        let mut c = Configuration::new();
        run(&["run", "-t", "local", "-m", "jm:1", "example:wc"])
            .cluster
            .apply(&mut c)
            .unwrap();
        assert_eq!(c.get(&EXECUTION_TARGET).unwrap(), DeploymentTarget::Local);
    }

    #[test]
    fn role_args_load_the_config_dir_and_overrides() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.yaml"),
            "taskmanager:\n  numberOfTaskSlots: 4\nrest.port: 9000\n",
        )
        .unwrap();
        let d = dir.path().to_str().unwrap();
        let cli = parse(&["taskmanager", "--configDir", d, "-D", "rest.port=9100"]).unwrap();
        let Command::Taskmanager(role) = cli.command else {
            panic!("not taskmanager")
        };
        let c = role.load_configuration().unwrap();
        assert_eq!(c.get(&options::TASK_MANAGER_NUM_TASK_SLOTS).unwrap(), 4);
        assert_eq!(c.get(&options::REST_PORT).unwrap(), 9100);
        let missing = RoleArgs {
            config_dir: Some(dir.path().join("nope")),
            dynamic_properties: vec![],
        };
        let e = missing.load_configuration().unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
    }

    #[test]
    fn host_port_forms() {
        assert_eq!(parse_host_port("h:1").unwrap(), ("h".into(), Some(1)));
        assert_eq!(
            parse_host_port("http://h:2/").unwrap(),
            ("h".into(), Some(2))
        );
        assert_eq!(parse_host_port("h").unwrap(), ("h".into(), None));
        assert!(
            parse_host_port("h:x")
                .unwrap_err()
                .to_string()
                .contains("expected host:port")
        );
        assert!(parse_host_port(":1").is_err());
        assert!(
            parse_host_port("yarn-cluster")
                .unwrap_err()
                .to_string()
                .contains("yarn-application")
        );
    }
}
