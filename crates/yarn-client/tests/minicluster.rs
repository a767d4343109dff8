//! Against the real Hadoop mini cluster (tests/minicluster; run tests/minicluster/setup.sh once):
//! ApplicationClientProtocol calls, and an unmanaged AM that registers with its AMRMToken
//! (TOKEN/DIGEST-MD5), allocates two containers, starts them on the NodeManagers with their
//! NMTokens and container tokens, sees them complete, and unregisters.

use std::time::{Duration, Instant};

use hadoop_rpc::{AuthMethod, ConnectionOptions, HadoopConf, RpcError};
use yarn_client::proto::*;
use yarn_client::{
    AmRmClient, ApplicationClient, NmClient, YarnError, any_host_request, ids, node_address,
};

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
    let c = client(&conf);
    let app = c.new_application().await.unwrap();
    let app_id = app.application_id.unwrap();
    let ctx = ApplicationSubmissionContextProto {
        application_id: Some(app_id),
        application_name: Some("yarn-client-unmanaged-am-test".into()),
        queue: Some("default".into()),
        am_container_spec: Some(ContainerLaunchContextProto::default()),
        unmanaged_am: Some(true),
        resource: Some(ResourceProto {
            memory: Some(128),
            virtual_cores: Some(1),
        }),
        application_type: Some("FLINK-RS-TEST".into()),
        ..Default::default()
    };
    c.submit_application(ctx).await.unwrap();

    // The unmanaged AM's AMRMToken comes with the report once the attempt is launched.
    let deadline = Instant::now() + Duration::from_secs(60);
    let token = loop {
        let t0 = Instant::now();
        let r = c.application_report(&app_id).await.unwrap();
        eprintln!("getApplicationReport round trip: {:?}", t0.elapsed());
        if let Some(t) = r.am_rm_token {
            break hadoop_rpc::Token::from(t);
        }
        assert!(Instant::now() < deadline, "no AMRMToken: {r:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let amrm = AmRmClient::from_conf(&conf, token, ConnectionOptions::default()).unwrap();
    let reg = amrm.register("localhost", 0, "").await.unwrap();
    assert!(reg.maximum_capability.unwrap().memory() >= 128);

    let nm = NmClient::new(ConnectionOptions::default());
    let mut started = Vec::new();
    let mut completed = Vec::new();
    let mut last_ask = 0;
    let mut release = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while completed.len() < 2 {
        assert!(
            Instant::now() < deadline,
            "containers did not complete; started {started:?}"
        );
        // Asks state the total outstanding count and are sent only when it changes (the RM
        // replaces its count with every ask it receives).
        let outstanding = 2 - started.len() as i32;
        let asks = if outstanding != last_ask {
            vec![any_host_request(1, 128, 1, outstanding)]
        } else {
            vec![]
        };
        let t0 = Instant::now();
        let resp = amrm
            .allocate(asks, std::mem::take(&mut release), 0.1)
            .await
            .unwrap();
        eprintln!("allocate round trip: {:?}", t0.elapsed());
        for container in resp.allocated_containers {
            if started.len() >= 2 {
                release.push(container.id.unwrap());
                continue;
            }
            let node = node_address(container.node_id.as_ref().unwrap());
            let nm_token = amrm.nm_token(&node).await.expect("NMToken for node");
            let launch = ContainerLaunchContextProto {
                command: vec![
                    "echo started-by-yarn-client-test 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr".into(),
                ],
                ..Default::default()
            };
            nm.start_container(&container, launch, &nm_token)
                .await
                .unwrap();
            let cid = container.id.unwrap();
            let st = nm
                .container_statuses(&node, std::slice::from_ref(&cid), &nm_token)
                .await
                .unwrap();
            assert!(st.failed_requests.is_empty(), "{st:?}");
            started.push(ids::format_container_id(&cid));
        }
        last_ask = 2 - started.len() as i32;
        for s in resp.completed_container_statuses {
            let id = ids::format_container_id(s.container_id.as_ref().unwrap());
            if started.contains(&id) {
                assert_eq!(s.exit_status(), 0, "{s:?}");
                completed.push(s);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(started.len(), 2);
    amrm.finish(
        FinalApplicationStatusProto::AppSucceeded,
        "done",
        "",
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = c.application_report(&app_id).await.unwrap();
        if r.yarn_application_state() == YarnApplicationStateProto::Finished {
            assert_eq!(
                r.final_application_status(),
                FinalApplicationStatusProto::AppSucceeded
            );
            break;
        }
        assert!(Instant::now() < deadline, "{r:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
