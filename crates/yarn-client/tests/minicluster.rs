//! Against the real Hadoop mini cluster (tests/minicluster; run tests/minicluster/setup.sh once):
//! ApplicationClientProtocol calls, and an unmanaged AM that registers with its AMRMToken
//! (TOKEN/DIGEST-MD5), allocates two containers, starts them on the NodeManagers with their
//! NMTokens and container tokens, sees them complete, and unregisters.

use std::time::{Duration, Instant};

use hadoop_rpc::{AuthMethod, ConnectionOptions, HadoopConf, RpcError};
use yarn_client::proto::*;
mod common;

use yarn_client::{ApplicationClient, YarnError, ids};

fn conf() -> (HadoopConf, &'static hadoop_minicluster::MiniCluster) {
    let cluster =
        hadoop_minicluster::shared().expect("mini cluster (run tests/minicluster/setup.sh once)");
    (HadoopConf::from_dir(cluster.conf_dir()).unwrap(), cluster)
}

fn client(conf: &HadoopConf) -> ApplicationClient {
    ApplicationClient::from_conf(
        conf,
        AuthMethod::simple_from_env(),
        ConnectionOptions::default(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_client_protocol_calls() {
    let (conf, cluster) = conf();
    assert_eq!(
        conf.rm_addresses().unwrap(),
        vec![cluster.rm_address().to_string()]
    );
    let c = client(&conf);
    let m = c.cluster_metrics().await.unwrap();
    assert_eq!(m.num_node_managers(), 2, "{m:?}");
    let nodes = c.cluster_nodes(&[NodeStateProto::NsRunning]).await.unwrap();
    assert_eq!(nodes.len(), 2);
    assert!(
        nodes
            .iter()
            .all(|n| n.capability.as_ref().unwrap().memory() > 0)
    );
    let q = c.queue_info("default").await.unwrap();
    assert_eq!(q.queue_name(), "default");
    let app = c.new_application().await.unwrap();
    let id = app.application_id.unwrap();
    assert!(ids::format_application_id(&id).starts_with("application_"));
    // A report for an application that was never submitted: a typed remote exception.
    let err = c.application_report(&id).await.unwrap_err();
    match &err {
        YarnError::Rpc(RpcError::Remote { class, .. }) => {
            assert!(class.ends_with("ApplicationNotFoundException"), "{class}")
        }
        other => panic!("unexpected {other:?}"),
    }
    // Many concurrent calls multiplexed on the one connection.
    let futs: Vec<_> = (0..20).map(|_| c.cluster_metrics()).collect();
    for r in futures_join(futs).await {
        assert_eq!(r.unwrap().num_node_managers(), 2);
    }
}

async fn futures_join<F: std::future::Future>(futs: Vec<F>) -> Vec<F::Output> {
    let mut out = Vec::new();
    let handles: Vec<_> = futs.into_iter().map(Box::pin).collect();
    for h in handles {
        out.push(h.await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_rm_fails_fast_naming_the_address() {
    let c = ApplicationClient::new(
        vec!["127.0.0.1:1".into()],
        AuthMethod::simple_from_env(),
        ConnectionOptions::default(),
    )
    .unwrap();
    let start = Instant::now();
    let err = c.cluster_metrics().await.unwrap_err().to_string();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert!(err.contains("127.0.0.1:1"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmanaged_am_runs_two_containers() {
    let (conf, _cluster) = conf();
    common::run_unmanaged_am(&conf).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fails_over_to_the_next_rm_address() {
    let (_conf, cluster) = conf();
    let c = ApplicationClient::new(
        vec!["127.0.0.1:1".into(), cluster.rm_address().to_string()],
        AuthMethod::simple_from_env(),
        ConnectionOptions::default(),
    )
    .unwrap();
    assert_eq!(c.cluster_metrics().await.unwrap().num_node_managers(), 2);
    assert_eq!(c.rpc().current_address().await, cluster.rm_address());
}

#[test]
fn missing_hadoop_conf_dir_says_what_to_set() {
    // Only checks the message of the configuration loader, without touching the process env.
    let err = HadoopConf::from_dir("/definitely/not/here")
        .unwrap_err()
        .to_string();
    assert!(err.contains("HADOOP_CONF_DIR"), "{err}");
}
