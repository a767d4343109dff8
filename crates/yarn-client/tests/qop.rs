//! DIGEST-MD5 security layers against the real ResourceManager and NodeManagers: a mini
//! cluster with `hadoop.rpc.protection=privacy` (auth-conf, 3DES chosen) and one with
//! `integrity` (auth-int). The unmanaged-AM flow's AMRM and NM connections are TOKEN
//! authenticated, so every call after the handshake is wrapped.

mod common;

use hadoop_minicluster::{MiniCluster, MiniClusterOptions};
use hadoop_rpc::HadoopConf;

fn start(protection: &str) -> MiniCluster {
    MiniCluster::start(MiniClusterOptions {
        settings: vec![("hadoop.rpc.protection".into(), protection.into())],
        ..MiniClusterOptions::default()
    })
    .expect("mini cluster (run tests/minicluster/setup.sh once)")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacy_auth_conf() {
    let cluster = start("privacy");
    let conf = HadoopConf::from_dir(cluster.conf_dir()).unwrap();
    assert_eq!(
        conf.get("hadoop.rpc.protection").as_deref(),
        Some("privacy")
    );
    common::run_unmanaged_am(&conf).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integrity_auth_int() {
    let cluster = start("integrity");
    let conf = HadoopConf::from_dir(cluster.conf_dir()).unwrap();
    common::run_unmanaged_am(&conf).await;
}
