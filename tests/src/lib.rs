//! # flink-it
//!
//! Integration tests of flink-rs as users run it: the `flink-rs` command
//! line on the embedded local cluster, standalone clusters of separate
//! processes, and (in later suites) the real Hadoop mini cluster and
//! ZooKeeper. Helpers here start processes, pick free ports and compute
//! expected results independently of flink-rs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `target/<profile>/`, derived from the running test executable
/// (`target/<profile>/deps/<test>`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let deps = exe.parent().expect("deps dir");
    deps.parent().map(PathBuf::from).expect("profile dir")
}

/// The test bundle (flink-rs plus test programs), built by cargo with these tests.
pub fn bundle_bin() -> PathBuf {
    let p = profile_dir().join("flink-it-bundle");
    assert!(
        p.exists(),
        "{} not found: cargo builds it with the flink-it tests",
        p.display()
    );
    p
}

/// The real `flink-rs` binary (built by `tests/run-all.sh` before the tests).
pub fn flink_rs_bin() -> PathBuf {
    if let Ok(p) = std::env::var("FLINK_RS_BIN") {
        return PathBuf::from(p);
    }
    let candidate = profile_dir().join("flink-rs");
    assert!(
        candidate.exists(),
        "{} not found: build it first with `cargo build -p flink-rs` (tests/run-all.sh does)",
        candidate.display()
    );
    candidate
}

/// Runs a command to completion with a timeout; returns its output.
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    loop {
        if let Some(_status) = child.try_wait().expect("wait") {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "command timed out after {timeout:?}: {cmd:?}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `GET http://<host:port><path>` as JSON (plain HTTP/1.0 over a TCP stream;
/// no client dependency); `None` when unreachable or not JSON.
pub fn http_get_json(host_port: &str, path: &str) -> Option<serde_json::Value> {
    use std::io::{Read, Write};
    use std::net::ToSocketAddrs;
    let addr = host_port.to_socket_addrs().ok()?.next()?;
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {host_port}\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    let json = body.split("\r\n\r\n").nth(1)?;
    serde_json::from_str(json).ok()
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Splits like `example:wordcount`: maximal runs of letters/digits, lowercased.
pub fn expected_word_counts(text: &str) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        *m.entry(w.to_lowercase()).or_insert(0) += 1;
    }
    m
}

/// Reads `word count` lines from every `part-*` file of a wordcount output dir.
pub fn read_word_counts(dir: &std::path::Path) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("output dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if !name.starts_with("part-") {
            continue;
        }
        for line in std::fs::read_to_string(&path).expect("part file").lines() {
            let (w, c) = line.rsplit_once(' ').expect("'word count' line");
            let prev = m.insert(w.to_string(), c.parse::<u64>().expect("count"));
            assert!(prev.is_none(), "word '{w}' appears twice in the output");
        }
    }
    m
}

/// A deterministic multi-megabyte text with a Zipf-like word mix.
pub fn generate_text(bytes: usize) -> String {
    let words = [
        "stream",
        "Flink",
        "yarn",
        "state",
        "window",
        "barrier",
        "Checkpoint",
        "rust",
        "slot",
        "task",
        "key",
        "watermark",
        "café",
        "naïve",
        "x1",
        "2024",
        "über",
        "data",
        "node",
        "record",
    ];
    let mut s = String::with_capacity(bytes + 100);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut line_len = 0;
    while s.len() < bytes {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let r = (x % 1000) as usize;
        let w = if r < 500 {
            words[r % 4]
        } else {
            words[r % words.len()]
        };
        s.push_str(w);
        if x.is_multiple_of(97) {
            s.push_str(&format!("{}", x % 5000));
        }
        line_len += w.len() + 1;
        if line_len > 70 {
            s.push('\n');
            line_len = 0;
        } else {
            s.push(if x.is_multiple_of(11) { ',' } else { ' ' });
        }
    }
    s
}

/// A standalone cluster of separate processes (JobManager + TaskManagers),
/// killed on drop.
pub struct StandaloneCluster {
    /// `host:port` of the REST endpoint.
    pub rest: String,
    processes: Vec<Child>,
    /// Directory for logs.
    pub log_dir: tempfile_dir::Dir,
    bin: PathBuf,
    common: Vec<String>,
}

/// Minimal temp dir (avoids a dependency).
pub mod tempfile_dir {
    use std::path::{Path, PathBuf};
    /// A directory removed on drop, unless the test is failing (so the logs
    /// its panic message points to are still there).
    pub struct Dir(PathBuf);
    impl Dir {
        /// A new unique directory under the system temp dir.
        pub fn new(prefix: &str) -> Self {
            let p = std::env::temp_dir().join(format!(
                "{prefix}-{}-{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0)
            ));
            std::fs::create_dir_all(&p).expect("temp dir");
            Self(p)
        }
        /// The path.
        pub fn path(&self) -> &Path {
            &self.0
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            if std::thread::panicking() {
                eprintln!("kept {} for the failing test", self.0.display());
                return;
            }
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl StandaloneCluster {
    /// Starts `bin jobmanager` and `n` × `bin taskmanager` with `slots` slots each, plus `extra` -D options.
    pub fn start(bin: &std::path::Path, n: usize, slots: u32, extra: &[&str]) -> Self {
        let rpc = free_port();
        let rest = free_port();
        let log_dir = tempfile_dir::Dir::new("flink-it-cluster");
        let mut common: Vec<String> = vec![
            "jobmanager.rpc.address=127.0.0.1".into(),
            format!("jobmanager.rpc.port={rpc}"),
            "rest.address=127.0.0.1".into(),
            "rest.bind-address=127.0.0.1".into(),
            format!("rest.port={rest}"),
            "taskmanager.host=127.0.0.1".into(),
            format!("taskmanager.numberOfTaskSlots={slots}"),
            "heartbeat.interval=500 ms".into(),
            "heartbeat.timeout=5 s".into(),
        ];
        common.extend(extra.iter().map(|s| s.to_string()));
        let spawn = |role: &str, i: usize| {
            let log =
                std::fs::File::create(log_dir.path().join(format!("{role}-{i}.log"))).expect("log");
            let mut cmd = Command::new(bin);
            cmd.arg(role);
            for d in &common {
                cmd.arg("-D").arg(d);
            }
            cmd.env("FLINK_CONF_DIR", log_dir.path())
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log"))
                .stderr(log)
                .spawn()
                .expect("spawn role")
        };
        let mut processes = vec![spawn("jobmanager", 0)];
        let rest_addr = format!("127.0.0.1:{rest}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&rest_addr).is_err() {
            assert!(Instant::now() < deadline, "JobManager REST did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
        for i in 0..n {
            processes.push(spawn("taskmanager", i));
        }
        let cluster = Self {
            rest: rest_addr,
            processes,
            log_dir,
            bin: bin.to_path_buf(),
            common,
        };
        cluster.wait_for_slots(n as u32 * slots);
        cluster
    }

    /// Waits until the JobManager reports `slots` slots in total.
    pub fn wait_for_slots(&self, slots: u32) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(v) = self.overview()
                && v["slots-total"].as_u64().unwrap_or(0) >= slots as u64
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "TaskManagers did not register {slots} slots; logs in {}",
                self.log_dir.path().display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `GET /overview`.
    pub fn overview(&self) -> Option<serde_json::Value> {
        self.get_json("/overview")
    }

    /// `GET <path>` as JSON (plain HTTP/1.0 over a TCP stream; no client dependency).
    pub fn get_json(&self, path: &str) -> Option<serde_json::Value> {
        http_get_json(&self.rest, path)
    }

    /// PID of TaskManager `i`.
    pub fn task_manager_pid(&self, i: usize) -> u32 {
        self.processes[1 + i].id()
    }

    /// Starts one more TaskManager (index = number started before) and
    /// returns its index.
    pub fn add_task_manager(&mut self) -> usize {
        let i = self.processes.len() - 1;
        let log = std::fs::File::create(self.log_dir.path().join(format!("taskmanager-{i}.log")))
            .expect("log");
        let mut cmd = Command::new(&self.bin);
        cmd.arg("taskmanager");
        for d in &self.common {
            cmd.arg("-D").arg(d);
        }
        let child = cmd
            .env("FLINK_CONF_DIR", self.log_dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn taskmanager");
        self.processes.push(child);
        i
    }

    /// Kills TaskManager `i` with SIGKILL.
    pub fn kill_task_manager(&mut self, i: usize) {
        let _ = self.processes[1 + i].kill();
        let _ = self.processes[1 + i].wait();
    }
}

impl Drop for StandaloneCluster {
    fn drop(&mut self) {
        for p in self.processes.iter_mut().rev() {
            let _ = p.kill();
            let _ = p.wait();
        }
    }
}

/// The job id in a client's output ("Job has been submitted with JobID <id>").
pub fn job_id_of(stdout: &str) -> String {
    stdout
        .split("JobID ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no job id in output:\n{stdout}"))
        .to_string()
}

/// Resident set size of a process in KiB (Linux `/proc`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
