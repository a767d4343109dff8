//! The [`MiniCluster`] guard: launches the JVM, waits for it to be ready and stops it on drop.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::error::MiniClusterError;
use crate::process;
use crate::site;

/// Environment variable overriding where the Maven project (tests/minicluster) lives.
pub const MINICLUSTER_DIR_ENV: &str = "FLINK_RS_MINICLUSTER_DIR";
/// Set to `1` to keep the work dir (data, logs) after the cluster stops.
pub const KEEP_WORK_DIR_ENV: &str = "FLINK_RS_MINICLUSTER_KEEP";

const MAIN_CLASS: &str = "org.flinkrs.minicluster.Main";
const MAIN_CLASS_FILE: &str = "target/classes/org/flinkrs/minicluster/Main.class";
const CLASSPATH_FILE: &str = "target/classpath.txt";
const JVM_OPTIONS_FILE: &str = "jvm.options";

/// How to start a mini cluster.
#[derive(Debug, Clone)]
pub struct MiniClusterOptions {
    /// Start a MiniKdc and turn Kerberos on for HDFS and YARN.
    pub secure: bool,
    /// Number of NodeManagers (the harness default is 2).
    pub node_managers: u32,
    /// How long to wait for the ready line before killing the JVM.
    pub startup_timeout: Duration,
    /// Extra Hadoop/YARN settings (`--set key=value`), applied last.
    pub settings: Vec<(String, String)>,
    /// The Maven project dir; default: `$FLINK_RS_MINICLUSTER_DIR` or this repository's tests/minicluster.
    pub minicluster_dir: Option<PathBuf>,
    /// Where data, logs and the conf dir go; default: a fresh dir under the system temp dir (removed
    /// on drop). A given dir is never wiped: only the cluster's own subdirs are replaced.
    pub work_dir: Option<PathBuf>,
    /// Keep the work dir after stop (also enabled by `FLINK_RS_MINICLUSTER_KEEP=1`).
    pub keep_work_dir: bool,
}

impl Default for MiniClusterOptions {
    fn default() -> Self {
        MiniClusterOptions {
            secure: false,
            node_managers: 2,
            startup_timeout: Duration::from_secs(180),
            settings: Vec::new(),
            minicluster_dir: None,
            work_dir: None,
            keep_work_dir: false,
        }
    }
}

/// Kerberos facts of a secure cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KerberosInfo {
    /// krb5.conf for MIT/GSSAPI clients (`KRB5_CONFIG`).
    pub krb5_conf: PathBuf,
    /// One keytab with `hdfs/localhost`, `yarn/localhost`, `HTTP/localhost` and `flink/localhost`.
    pub keytab: PathBuf,
    /// The realm (`EXAMPLE.COM`).
    pub realm: String,
    /// The KDC as `host:port` (TCP).
    pub kdc: String,
    /// The NameNode/DataNode principal.
    pub hdfs_principal: String,
    /// The ResourceManager/NodeManager principal.
    pub yarn_principal: String,
    /// A client principal for tests (`flink/localhost@REALM`).
    pub client_principal: String,
}

/// A running Hadoop mini cluster (one JVM). Dropping it stops the cluster and kills its process tree.
#[derive(Debug)]
pub struct MiniCluster {
    child: Mutex<Option<Child>>,
    stdin: Mutex<Option<ChildStdin>>,
    pid: u32,
    work_dir: PathBuf,
    conf_dir: PathBuf,
    log_file: PathBuf,
    keep_work_dir: bool,
    /// The work dir is a temp dir this guard made (removed whole on drop) rather than the caller's.
    owns_work_dir: bool,
    facts: BTreeMap<String, String>,
    core_site: BTreeMap<String, String>,
    hdfs_site: BTreeMap<String, String>,
    yarn_site: BTreeMap<String, String>,
    kerberos: Option<KerberosInfo>,
    startup: Duration,
    java: PathBuf,
    layout: Layout,
}

static WORK_DIR_COUNTER: AtomicU32 = AtomicU32::new(0);

impl MiniCluster {
    /// Starts a new cluster and waits until it is ready (typically 7-15 s).
    pub fn start(options: MiniClusterOptions) -> Result<MiniCluster, MiniClusterError> {
        let began = Instant::now();
        let dir = minicluster_dir(&options);
        let layout = check_build(&dir)?;
        let java = java_binary();

        let work_dir = match &options.work_dir {
            Some(w) => w.clone(),
            None => {
                prune_stale_work_dirs();
                std::env::temp_dir().join(format!(
                    "flink-rs-minicluster-{}-{}",
                    std::process::id(),
                    WORK_DIR_COUNTER.fetch_add(1, Ordering::Relaxed)
                ))
            }
        };
        // Only what the cluster itself puts there is cleared; a caller's dir is never wiped.
        for sub in [
            "conf",
            "data",
            "target",
            "jvm-tmp",
            "minicluster.log",
            "minicluster-stdout.log",
        ] {
            let p = work_dir.join(sub);
            let res = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else if p.exists() {
                std::fs::remove_file(&p)
            } else {
                Ok(())
            };
            res.map_err(|e| {
                MiniClusterError::io(format!("cannot clear {} in the work dir", p.display()), e)
            })?;
        }
        let conf_dir = work_dir.join("conf");
        let jvm_tmp = work_dir.join("jvm-tmp"); // Jetty and friends unpack here, not in /tmp
        for d in [&conf_dir, &jvm_tmp] {
            std::fs::create_dir_all(d)
                .map_err(|e| MiniClusterError::io(format!("cannot create {}", d.display()), e))?;
        }
        let log_file = work_dir.join("minicluster.log");

        let mut cmd = Command::new(&java);
        cmd.arg(format!("@{}", layout.jvm_options.display()))
            .arg(format!("-Dminicluster.log.file={}", log_file.display()))
            .arg(format!("-Djava.io.tmpdir={}", jvm_tmp.display()))
            .arg("-cp")
            .arg(format!("{}:{}", layout.classes.display(), layout.classpath))
            .arg(MAIN_CLASS)
            .arg("--conf-dir")
            .arg(&conf_dir)
            .arg("--work-dir")
            .arg(&work_dir)
            .arg("--nodemanagers")
            .arg(options.node_managers.to_string())
            .arg("--cleanup");
        if options.secure {
            cmd.arg("--secure");
        }
        for (k, v) in &options.settings {
            cmd.arg("--set").arg(format!("{k}={v}"));
        }
        // MiniYARNCluster keeps its NodeManager dirs under ./target
        // NodeManagers pass HADOOP_CONF_DIR (whitelisted) on to containers, as on a real cluster
        cmd.env("HADOOP_CONF_DIR", &conf_dir);
        cmd.current_dir(&work_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        tracing::info!(work_dir = %work_dir.display(), secure = options.secure, "starting the Hadoop minicluster");
        let mut child = cmd
            .spawn()
            .map_err(|source| MiniClusterError::JavaNotFound {
                java: java.clone(),
                source,
            })?;
        let pid = child.id();
        let stdin = child.stdin.take();

        // stdout: forward the ready line; stderr: keep the last lines for error messages.
        let (ready_tx, ready_rx) = mpsc::channel::<String>();
        if let Some(out) = child.stdout.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    if line.starts_with("MINICLUSTER READY") {
                        let _ = ready_tx.send(line);
                    } else {
                        tracing::debug!(target: "minicluster", "{line}");
                    }
                }
            });
        }
        let stderr_tail = Arc::new(Mutex::new(Vec::<String>::new()));
        if let Some(err) = child.stderr.take() {
            let tail = Arc::clone(&stderr_tail);
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines() {
                    let Ok(line) = line else { break };
                    if let Ok(mut t) = tail.lock() {
                        t.push(line);
                        if t.len() > 50 {
                            t.remove(0);
                        }
                    }
                }
            });
        }

        let mut guard = MiniCluster {
            child: Mutex::new(Some(child)),
            stdin: Mutex::new(stdin),
            pid,
            work_dir: work_dir.clone(),
            conf_dir: conf_dir.clone(),
            log_file: log_file.clone(),
            keep_work_dir: true, // until ready: keep the logs of a failed start
            owns_work_dir: options.work_dir.is_none(),
            facts: BTreeMap::new(),
            core_site: BTreeMap::new(),
            hdfs_site: BTreeMap::new(),
            yarn_site: BTreeMap::new(),
            kerberos: None,
            startup: Duration::ZERO,
            java: java.clone(),
            layout,
        };
        let stderr_text = |tail: &Arc<Mutex<Vec<String>>>| {
            // give the reader thread a moment to drain the pipe
            std::thread::sleep(Duration::from_millis(200));
            tail.lock().map(|t| t.join("\n")).unwrap_or_default()
        };

        let deadline = Instant::now() + options.startup_timeout;
        let ready_line = loop {
            match ready_rx.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => break line,
                Err(mpsc::RecvTimeoutError::Timeout)
                | Err(mpsc::RecvTimeoutError::Disconnected) => {}
            }
            if let Some(status) = guard.try_exit_status() {
                return Err(MiniClusterError::ExitedEarly {
                    status,
                    stderr: stderr_text(&stderr_tail),
                    log_tail: tail_of_file(&log_file, 40),
                    log: log_file,
                });
            }
            if Instant::now() >= deadline {
                guard.kill_now();
                return Err(MiniClusterError::StartTimeout {
                    timeout: options.startup_timeout,
                    stderr: stderr_text(&stderr_tail),
                    log_tail: tail_of_file(&log_file, 40),
                    log: log_file,
                });
            }
        };

        let facts = site::parse_ready_line(&ready_line).ok_or_else(|| {
            MiniClusterError::BadOutput(format!("not a ready line: {ready_line}"))
        })?;
        for key in ["fs", "rm", "rm_scheduler", "rm_web", "nn_http"] {
            if !facts.contains_key(key) {
                return Err(MiniClusterError::BadOutput(format!(
                    "the ready line has no '{key}': {ready_line}"
                )));
            }
        }
        guard.core_site = read_site(&conf_dir.join("core-site.xml"))?;
        guard.hdfs_site = read_site(&conf_dir.join("hdfs-site.xml"))?;
        guard.yarn_site = read_site(&conf_dir.join("yarn-site.xml"))?;
        if options.secure {
            let get = |k: &str| {
                facts.get(k).cloned().ok_or_else(|| {
                    MiniClusterError::BadOutput(format!(
                        "secure ready line has no '{k}': {ready_line}"
                    ))
                })
            };
            guard.kerberos = Some(KerberosInfo {
                krb5_conf: PathBuf::from(get("krb5_conf")?),
                keytab: PathBuf::from(get("keytab")?),
                realm: get("realm")?,
                kdc: get("kdc")?,
                hdfs_principal: get("hdfs_principal")?,
                yarn_principal: get("yarn_principal")?,
                client_principal: get("client_principal")?,
            });
        }
        guard.facts = facts;
        guard.keep_work_dir =
            options.keep_work_dir || std::env::var(KEEP_WORK_DIR_ENV).is_ok_and(|v| v == "1");
        guard.startup = began.elapsed();
        tracing::info!(
            fs = guard.default_fs(),
            rm = guard.rm_address(),
            startup_ms = guard.startup.as_millis() as u64,
            "Hadoop minicluster ready"
        );
        Ok(guard)
    }

    /// The directory with core-site.xml, hdfs-site.xml, yarn-site.xml (and krb5.conf, keytab when secure).
    pub fn conf_dir(&self) -> &Path {
        &self.conf_dir
    }

    /// `("HADOOP_CONF_DIR", conf_dir)`, for `Command::env` of processes that should use this cluster.
    pub fn hadoop_conf_dir_env(&self) -> (&'static str, &Path) {
        ("HADOOP_CONF_DIR", &self.conf_dir)
    }

    /// Environment for child processes: `HADOOP_CONF_DIR`, and `KRB5_CONFIG` when secure.
    pub fn env_vars(&self) -> Vec<(String, String)> {
        let mut env = vec![(
            "HADOOP_CONF_DIR".to_string(),
            self.conf_dir.display().to_string(),
        )];
        if let Some(k) = &self.kerberos {
            env.push(("KRB5_CONFIG".to_string(), k.krb5_conf.display().to_string()));
        }
        env
    }

    /// `hdfs://127.0.0.1:<port>`.
    pub fn default_fs(&self) -> &str {
        self.fact("fs")
    }

    /// The NameNode RPC address `127.0.0.1:<port>`.
    pub fn namenode_address(&self) -> &str {
        self.default_fs().trim_start_matches("hdfs://")
    }

    /// The NameNode web UI, `http://127.0.0.1:<port>`.
    pub fn namenode_http_url(&self) -> &str {
        self.fact("nn_http")
    }

    /// `yarn.resourcemanager.address` (ApplicationClientProtocol), `localhost:<port>`.
    pub fn rm_address(&self) -> &str {
        self.fact("rm")
    }

    /// `yarn.resourcemanager.scheduler.address` (ApplicationMasterProtocol).
    pub fn rm_scheduler_address(&self) -> &str {
        self.fact("rm_scheduler")
    }

    /// The ResourceManager web UI / REST base, `http://localhost:<port>`.
    pub fn rm_web_url(&self) -> &str {
        self.fact("rm_web")
    }

    /// Number of NodeManagers.
    pub fn node_managers(&self) -> u32 {
        self.facts
            .get("nodemanagers")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    /// Every fact of the ready line (`fs`, `rm`, `rm_admin`, `rm_tracker`, `pid`, `startup_ms`, ...).
    pub fn facts(&self) -> &BTreeMap<String, String> {
        &self.facts
    }

    /// The effective core-site.xml.
    pub fn core_site(&self) -> &BTreeMap<String, String> {
        &self.core_site
    }

    /// The effective hdfs-site.xml.
    pub fn hdfs_site(&self) -> &BTreeMap<String, String> {
        &self.hdfs_site
    }

    /// The effective yarn-site.xml.
    pub fn yarn_site(&self) -> &BTreeMap<String, String> {
        &self.yarn_site
    }

    /// A setting from any of the three site files.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.yarn_site
            .get(key)
            .or_else(|| self.hdfs_site.get(key))
            .or_else(|| self.core_site.get(key))
            .map(String::as_str)
    }

    /// Kerberos facts when started with `secure: true`.
    pub fn kerberos(&self) -> Option<&KerberosInfo> {
        self.kerberos.as_ref()
    }

    /// The cluster's log file (all Hadoop logging).
    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    /// The work dir (data, logs, NodeManager dirs under `target/`).
    pub fn work_dir(&self) -> &Path {
        &self.work_dir
    }

    /// The JVM's pid.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// How long `start` took.
    pub fn startup_time(&self) -> Duration {
        self.startup
    }

    /// A fresh HDFS path `/tmp/flink-rs-tests/<name>-<unique>` for one test (not created).
    pub fn unique_hdfs_dir(&self, name: &str) -> String {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let clean: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!(
            "/tmp/flink-rs-tests/{clean}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// The last `lines` lines of the cluster log (for test failure messages).
    pub fn log_tail(&self, lines: usize) -> String {
        tail_of_file(&self.log_file, lines)
    }

    /// A `java` command running `main_class` on the minicluster's classpath (Hadoop 3.4 client and
    /// server jars plus the driver classes, e.g. `org.flinkrs.minicluster.SubmitShellApp`), with the
    /// JVM flags of `jvm.options`, `HADOOP_CONF_DIR` set, the cluster's krb5.conf when secure, and
    /// logging to `<work dir>/tool.log`.
    /// Add arguments and run it. Useful to compare a Rust client with the Java one.
    pub fn java_tool(&self, main_class: &str) -> Command {
        let mut cmd = Command::new(&self.java);
        cmd.arg(format!("@{}", self.layout.jvm_options.display()))
            .arg(format!(
                "-Dminicluster.log.file={}",
                self.work_dir.join("tool.log").display()
            ))
            .args(
                self.kerberos
                    .as_ref()
                    .map(|k| format!("-Djava.security.krb5.conf={}", k.krb5_conf.display())),
            )
            .arg("-cp")
            .arg(format!(
                "{}:{}",
                self.layout.classes.display(),
                self.layout.classpath
            ))
            .arg(main_class)
            .env("HADOOP_CONF_DIR", &self.conf_dir)
            .stdin(Stdio::null());
        cmd
    }

    /// Stops the cluster now (same as dropping it).
    pub fn stop(self) {
        drop(self);
    }

    fn fact(&self, key: &str) -> &str {
        self.facts.get(key).map(String::as_str).unwrap_or("")
    }

    fn try_exit_status(&self) -> Option<String> {
        let mut child = self.child.lock().ok()?;
        let c = child.as_mut()?;
        match c.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(format!("unknown: {e}")),
        }
    }

    fn kill_now(&self) {
        let tree = process::descendants(self.pid);
        process::kill_all(&tree);
        if let Ok(mut child) = self.child.lock()
            && let Some(c) = child.as_mut()
        {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Graceful stop: close stdin (the driver stops YARN, which kills containers, then HDFS), wait a
    /// bounded time, then SIGKILL whatever is left of the process tree.
    fn shutdown(&mut self) {
        let tree_before = process::descendants(self.pid);
        if let Ok(mut stdin) = self.stdin.lock() {
            if let Some(s) = stdin.as_mut() {
                let _ = s.flush();
            }
            *stdin = None; // EOF
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut exited = false;
        if let Ok(mut child) = self.child.lock()
            && let Some(c) = child.as_mut()
        {
            while Instant::now() < deadline {
                match c.try_wait() {
                    Ok(Some(_)) | Err(_) => {
                        exited = true;
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
            if !exited {
                tracing::warn!(
                    pid = self.pid,
                    "minicluster did not stop within 30 s; killing it"
                );
                let tree = process::descendants(self.pid);
                process::kill_all(&tree);
                let _ = c.kill();
                let _ = c.wait();
            }
            *child = None;
        }
        // containers that outlived a NodeManager (they run in their own sessions)
        let leftovers: Vec<u32> = tree_before
            .into_iter()
            .filter(|p| process::is_alive(*p))
            .collect();
        if !leftovers.is_empty() {
            tracing::debug!(?leftovers, "killing leftover minicluster processes");
            process::kill_all(&leftovers);
        }
        if !self.keep_work_dir {
            if self.owns_work_dir {
                let _ = std::fs::remove_dir_all(&self.work_dir);
            } else {
                // a caller's dir: drop the bulky parts, keep conf and logs
                for sub in ["data", "target", "jvm-tmp"] {
                    let _ = std::fs::remove_dir_all(self.work_dir.join(sub));
                }
            }
        }
    }
}

impl Drop for MiniCluster {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[derive(Debug, Clone)]
struct Layout {
    jvm_options: PathBuf,
    classes: PathBuf,
    classpath: String,
}

fn minicluster_dir(options: &MiniClusterOptions) -> PathBuf {
    if let Some(d) = &options.minicluster_dir {
        return d.clone();
    }
    if let Some(d) = std::env::var_os(MINICLUSTER_DIR_ENV) {
        return PathBuf::from(d);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/minicluster")
}

fn java_binary() -> PathBuf {
    match std::env::var_os("JAVA_HOME") {
        Some(home) if Path::new(&home).join("bin/java").is_file() => {
            Path::new(&home).join("bin/java")
        }
        _ => PathBuf::from("java"),
    }
}

/// Checks that setup.sh has run and is current; returns the paths to launch with.
fn check_build(dir: &Path) -> Result<Layout, MiniClusterError> {
    let not_built = |missing: PathBuf| MiniClusterError::NotBuilt {
        dir: dir.to_path_buf(),
        missing,
    };
    let jvm_options = dir.join(JVM_OPTIONS_FILE);
    let class_file = dir.join(MAIN_CLASS_FILE);
    let cp_file = dir.join(CLASSPATH_FILE);
    for p in [&jvm_options, &class_file, &cp_file] {
        if !p.is_file() {
            return Err(not_built(p.clone()));
        }
    }
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let Some(class) = mtime(&class_file)
        && let Some((source_file, _)) = newest_file(&dir.join("src")).filter(|(_, t)| *t > class)
    {
        return Err(MiniClusterError::Stale {
            source_file,
            class_file,
        });
    }
    let classpath = std::fs::read_to_string(&cp_file)
        .map_err(|e| MiniClusterError::io(format!("cannot read {}", cp_file.display()), e))?;
    let classpath = classpath.trim().to_string();
    if classpath.is_empty() {
        return Err(not_built(cp_file));
    }
    if let Some(missing) = classpath.split(':').find(|jar| !Path::new(jar).exists()) {
        return Err(not_built(PathBuf::from(missing)));
    }
    Ok(Layout {
        jvm_options,
        classes: dir.join("target/classes"),
        classpath,
    })
}

/// Removes `flink-rs-minicluster-<pid>-<n>` dirs of test processes that no longer run (shared
/// clusters live in statics and are never dropped, so their logs stay behind).
fn prune_stale_work_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("flink-rs-minicluster-"))
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !process::is_alive(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The most recently modified file below `dir`.
fn newest_file(dir: &Path) -> Option<(PathBuf, SystemTime)> {
    let mut best: Option<(PathBuf, SystemTime)> = None;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(e.path());
            } else if let Ok(t) = meta.modified()
                && best.as_ref().is_none_or(|(_, b)| t > *b)
            {
                best = Some((e.path(), t));
            }
        }
    }
    best
}

fn read_site(path: &Path) -> Result<BTreeMap<String, String>, MiniClusterError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| MiniClusterError::io(format!("cannot read {}", path.display()), e))?;
    site::parse_site_xml(&text)
        .map_err(|e| MiniClusterError::BadOutput(format!("{}: {e}", path.display())))
}

fn tail_of_file(path: &Path, lines: usize) -> String {
    let mut text = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = f.read_to_string(&mut text);
    } else {
        return format!("(no log at {})", path.display());
    }
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
