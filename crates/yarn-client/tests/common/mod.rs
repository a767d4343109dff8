//! Shared flows for the mini-cluster tests.

use std::time::{Duration, Instant};

use hadoop_rpc::{AuthMethod, ConnectionOptions, HadoopConf};
use yarn_client::proto::*;
use yarn_client::{AmRmClient, ApplicationClient, NmClient, any_host_request, ids, node_address};

/// Submits an unmanaged AM application, registers with its AMRMToken, runs two containers
/// through the NodeManagers and unregisters SUCCEEDED; returns nothing, panics on failure.
pub async fn run_unmanaged_am(conf: &HadoopConf) {
    let c = ApplicationClient::from_conf(
        conf,
        AuthMethod::simple_from_env(),
        ConnectionOptions::default(),
    )
    .unwrap();
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
    let amrm = AmRmClient::from_conf(conf, token, ConnectionOptions::default()).unwrap();
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
