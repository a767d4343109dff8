//! Starts the real Hadoop mini cluster and checks what the guard promises.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use hadoop_minicluster::{MiniCluster, MiniClusterError, MiniClusterOptions};

fn accepts_tcp(address: &str) -> bool {
    let Some(addr) = address.to_socket_addrs().ok().and_then(|mut a| a.next()) else {
        return false;
    };
    TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
}

#[test]
fn shared_cluster_is_up_and_described_by_its_site_files() {
    let c = hadoop_minicluster::shared().unwrap();
    eprintln!(
        "minicluster started in {:?}: {:?}",
        c.startup_time(),
        c.facts()
    );

    for f in [
        "core-site.xml",
        "hdfs-site.xml",
        "yarn-site.xml",
        "minicluster.properties",
    ] {
        assert!(
            c.conf_dir().join(f).is_file(),
            "{f} missing in {}",
            c.conf_dir().display()
        );
    }
    let (name, dir) = c.hadoop_conf_dir_env();
    assert_eq!(name, "HADOOP_CONF_DIR");
    assert_eq!(dir, c.conf_dir());

    assert!(
        c.default_fs().starts_with("hdfs://127.0.0.1:"),
        "{}",
        c.default_fs()
    );
    assert_eq!(c.core_site()["fs.defaultFS"], c.default_fs());
    assert_eq!(c.get("fs.defaultFS"), Some(c.default_fs()));
    assert_eq!(
        c.yarn_site()["yarn.resourcemanager.address"],
        c.rm_address()
    );
    assert_eq!(
        c.yarn_site()["yarn.resourcemanager.scheduler.address"],
        c.rm_scheduler_address()
    );
    assert_eq!(c.get("dfs.replication"), Some("1"));
    assert_eq!(c.get("yarn.nodemanager.vmem-check-enabled"), Some("false"));
    assert_eq!(c.get("yarn.log-aggregation-enable"), Some("false"));
    assert_eq!(c.node_managers(), 2);
    assert!(c.kerberos().is_none());
    // no unresolved ports or variables in the addresses clients use
    for key in [
        "yarn.resourcemanager.address",
        "yarn.resourcemanager.scheduler.address",
        "yarn.resourcemanager.webapp.address",
    ] {
        let v = c.get(key).unwrap();
        assert!(!v.ends_with(":0") && !v.contains("${"), "{key}={v}");
    }

    assert!(
        accepts_tcp(c.namenode_address()),
        "NameNode {}",
        c.namenode_address()
    );
    assert!(accepts_tcp(c.rm_address()), "RM {}", c.rm_address());
    assert!(
        accepts_tcp(c.rm_scheduler_address()),
        "RM scheduler {}",
        c.rm_scheduler_address()
    );

    // The driver prints the ready line only after the RM reported both NodeManagers registered
    // (MiniYARNCluster.waitForNodeManagersToConnect). The RM REST API cannot confirm it: in one JVM the
    // last started web app (a NodeManager's) owns Guice's static filter pipeline, so /ws/v1/cluster/* 404s.
    assert!(accepts_tcp(c.rm_web_url().trim_start_matches("http://")));

    // same instance for every caller in this process; unique dirs per test
    let again = hadoop_minicluster::shared().unwrap();
    assert!(std::ptr::eq(c, again));
    let a = c.unique_hdfs_dir("t 1");
    let b = c.unique_hdfs_dir("t 1");
    assert_ne!(a, b);
    assert!(a.starts_with("/tmp/flink-rs-tests/t_1-"), "{a}");
}

#[test]
fn drop_stops_the_jvm_and_frees_ports_and_work_dir() {
    let c = MiniCluster::start(MiniClusterOptions {
        node_managers: 1,
        settings: vec![("yarn.nodemanager.resource.memory-mb".into(), "2048".into())],
        ..MiniClusterOptions::default()
    })
    .unwrap();
    assert_eq!(c.node_managers(), 1);
    assert_eq!(c.get("yarn.nodemanager.resource.memory-mb"), Some("2048"));
    let pid = c.pid();
    let nn = c.namenode_address().to_string();
    let rm = c.rm_address().to_string();
    let work = c.work_dir().to_path_buf();
    assert!(accepts_tcp(&nn) && accepts_tcp(&rm));
    assert!(Path::new(&format!("/proc/{pid}")).exists());

    let stopping = std::time::Instant::now();
    drop(c);
    // the graceful path (stdin EOF -> driver stops YARN and HDFS) finishes well before the 30 s kill
    assert!(
        stopping.elapsed() < Duration::from_secs(25),
        "stop took {:?}",
        stopping.elapsed()
    );
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "JVM {pid} still running"
    );
    assert!(!accepts_tcp(&nn), "NameNode port still open");
    assert!(!accepts_tcp(&rm), "RM port still open");
    assert!(!work.exists(), "work dir {} not removed", work.display());
}

#[test]
fn secure_cluster_has_a_working_kdc_and_keytab() {
    let c = hadoop_minicluster::shared_secure().unwrap();
    let k = c.kerberos().expect("kerberos info");
    assert_eq!(k.realm, "EXAMPLE.COM");
    assert!(k.krb5_conf.is_file() && k.keytab.is_file());
    assert_eq!(c.get("hadoop.security.authentication"), Some("kerberos"));
    assert_eq!(
        c.get("dfs.namenode.kerberos.principal"),
        Some(k.hdfs_principal.as_str())
    );
    assert_eq!(
        c.get("yarn.resourcemanager.principal"),
        Some(k.yarn_principal.as_str())
    );
    assert!(accepts_tcp(&k.kdc), "KDC {}", k.kdc);
    assert!(accepts_tcp(c.namenode_address()) && accepts_tcp(c.rm_address()));
    assert!(
        c.env_vars()
            .iter()
            .any(|(n, v)| n == "KRB5_CONFIG" && Path::new(v) == k.krb5_conf)
    );

    // the keytab really authenticates against the KDC (MIT kinit, as non-JVM clients will)
    let cache = c.work_dir().join("krb5cc_test");
    let out = std::process::Command::new("kinit")
        .env("KRB5_CONFIG", &k.krb5_conf)
        .env("KRB5CCNAME", format!("FILE:{}", cache.display()))
        .arg("-kt")
        .arg(&k.keytab)
        .arg(&k.client_principal)
        .output()
        .expect("kinit (Debian package krb5-user) must be installed");
    assert!(
        out.status.success(),
        "kinit failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(cache.is_file());
}

#[test]
fn missing_build_names_the_setup_script() {
    let empty =
        std::env::temp_dir().join(format!("flink-rs-no-minicluster-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let err = MiniCluster::start(MiniClusterOptions {
        minicluster_dir: Some(empty.clone()),
        ..MiniClusterOptions::default()
    })
    .unwrap_err();
    assert!(matches!(err, MiniClusterError::NotBuilt { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("tests/minicluster/setup.sh"), "{msg}");
    assert!(msg.contains("jvm.options"), "{msg}");
    std::fs::remove_dir_all(&empty).unwrap();
}

/// Submits a shell-command AM with the Java reference client; returns its `APP ...` line and what
/// the container wrote (its marker file).
fn run_shell_app(c: &MiniCluster, login: Option<(&str, &Path)>) -> (String, String) {
    let out_dir = c.work_dir().join(format!(
        "container-out-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&out_dir).unwrap();
    let marker = out_dir.join("marker");
    let command = format!(
        "echo launched > {m}; echo \"conf=$HADOOP_CONF_DIR\" >> {m}; echo \"cid=$CONTAINER_ID\" >> {m}; echo \"user=$USER\" >> {m}",
        m = marker.display()
    );
    let mut cmd = c.java_tool("org.flinkrs.minicluster.SubmitShellApp");
    cmd.arg("--conf-dir")
        .arg(c.conf_dir())
        .arg("--command")
        .arg(&command);
    if let Some((principal, keytab)) = login {
        cmd.arg("--principal")
            .arg(principal)
            .arg("--keytab")
            .arg(keytab);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}\nlog: {}",
        String::from_utf8_lossy(&out.stderr),
        c.log_tail(30)
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("APP "))
        .unwrap_or_else(|| panic!("{stdout}"))
        .to_string();
    // the shell AM never registers, so YARN fails the single attempt after it exits
    assert!(
        line.contains("state=FAILED") || line.contains("state=FINISHED"),
        "{line}"
    );
    let text = std::fs::read_to_string(&marker)
        .unwrap_or_else(|e| panic!("container did not run ({e}): {line}\n{}", c.log_tail(30)));
    std::fs::remove_dir_all(&out_dir).unwrap();
    (line, text)
}

#[test]
fn yarn_launches_a_container_with_the_default_container_executor() {
    let c = hadoop_minicluster::shared().unwrap();
    let (_, text) = run_shell_app(c, None);
    assert!(text.starts_with("launched\n"), "{text}");
    assert!(
        text.contains(&format!("conf={}", c.conf_dir().display())),
        "{text}"
    );
    assert!(text.contains("cid=container_"), "{text}");
}

#[test]
fn secure_yarn_launches_a_container_for_a_kerberos_user() {
    let c = hadoop_minicluster::shared_secure().unwrap();
    let k = c.kerberos().unwrap();
    let (line, text) = run_shell_app(c, Some((&k.client_principal, &k.keytab)));
    assert!(
        line.contains(" user=flink "),
        "the app runs as the principal's short name: {line}"
    );
    assert!(text.starts_with("launched\n"), "{text}");
    assert!(text.contains("user=flink"), "{text}");
}

#[test]
fn a_callers_work_dir_is_never_wiped() {
    let dir = std::env::temp_dir().join(format!("flink-rs-mc-callerdir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("sentinel"), b"mine").unwrap();
    let c = MiniCluster::start(MiniClusterOptions {
        node_managers: 1,
        work_dir: Some(dir.clone()),
        ..MiniClusterOptions::default()
    })
    .unwrap();
    assert_eq!(c.work_dir(), dir);
    assert!(c.conf_dir().starts_with(&dir));
    assert!(dir.join("data").is_dir());
    drop(c);
    assert_eq!(std::fs::read(dir.join("sentinel")).unwrap(), b"mine");
    assert!(dir.join("conf/core-site.xml").is_file(), "conf is kept");
    assert!(dir.join("minicluster.log").is_file(), "the log is kept");
    assert!(!dir.join("data").exists() && !dir.join("target").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
