//! Runs a program's job graph on stream tasks in this process (one
//! NetworkEnvironment, no JobManager): the data plane of the local runtime.

use flink_network::{NetworkConfig, NetworkEnvironment};
use flink_streaming::ProgramRegistry;
use flink_streaming::registry::settings_from_config;
use flink_streaming::runtime::task::{StreamTaskSettings, StreamTaskSpawner};
use flink_types::*;
use std::collections::BTreeMap;
use std::sync::{Arc, mpsc};
use std::time::Duration;

struct Events(mpsc::Sender<(ExecutionState, Option<TaskFailure>)>);

impl TaskEvents for Events {
    fn state_changed(&self, _: ExecutionAttemptId, s: ExecutionState, f: Option<TaskFailure>) {
        let _ = self.0.send((s, f));
    }
    fn checkpoint_acknowledged(&self, _: ExecutionAttemptId, _: u64, _: TaskStateSnapshot) {}
    fn checkpoint_declined(&self, _: ExecutionAttemptId, _: u64, _: String) {}
}

/// Runs `program` with `args` at `parallelism` until every task ended.
pub fn run(registry: ProgramRegistry, program: &str, args: &[String], parallelism: u32) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let net = rt
        .block_on(NetworkEnvironment::start(
            "127.0.0.1",
            0,
            "127.0.0.1",
            NetworkConfig::default(),
        ))
        .unwrap();
    let mut config = BTreeMap::new();
    config.insert("parallelism.default".to_string(), parallelism.to_string());
    let program = ProgramRef {
        name: program.into(),
        args: args.to_vec(),
        bundle: None,
    };
    let graph = registry
        .build_graph(&program, settings_from_config(&config, "test"))
        .unwrap();
    let job = graph.to_job_graph(JobId::generate(), program).unwrap();
    let location = TaskManagerLocation {
        resource_id: ResourceId("tm".into()),
        rpc_address: "-".into(),
        data_address: net.data_address(),
    };
    let place = |_: JobVertexId, _: u32| Placement {
        allocation_id: AllocationId::generate(),
        location: location.clone(),
    };
    let tdds: Vec<_> = job
        .vertices
        .iter()
        .flat_map(|v| (0..v.parallelism).map(move |s| (v.id, s)))
        .filter_map(|(v, s)| build_tdd(&job, v, s, 0, &place))
        .collect();
    let spawner = StreamTaskSpawner::new(
        Arc::new(registry),
        net.clone(),
        StreamTaskSettings::default(),
    );
    let (tx, rx) = mpsc::channel();
    let events: Arc<dyn TaskEvents> = Arc::new(Events(tx));
    let n = tdds.len();
    for tdd in tdds {
        flink_types::TaskSpawner::spawn(&spawner, tdd, events.clone()).unwrap();
    }
    let mut done = 0;
    while done < n {
        let (state, failure) = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("job did not finish within 120 s");
        if state.is_terminal() {
            assert_eq!(state, ExecutionState::Finished, "task failed: {failure:?}");
            done += 1;
        }
    }
}
