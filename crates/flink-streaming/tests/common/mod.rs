//! Runs a program's job graph directly on stream tasks in this process
//! (one NetworkEnvironment, no JobManager), to test the data plane alone.
#![allow(dead_code)]

pub mod checkpoints;

use flink_network::{NetworkConfig, NetworkEnvironment};
use flink_streaming::ProgramRegistry;
use flink_streaming::registry::settings_from_config;
use flink_streaming::runtime::task::{StreamTaskSettings, StreamTaskSpawner};
use flink_types::*;
use std::collections::BTreeMap;
use std::sync::{Arc, mpsc};
use std::time::Duration;

struct Events(mpsc::Sender<(ExecutionAttemptId, ExecutionState, Option<TaskFailure>)>);

impl TaskEvents for Events {
    fn state_changed(&self, a: ExecutionAttemptId, s: ExecutionState, f: Option<TaskFailure>) {
        let _ = self.0.send((a, s, f));
    }
    fn checkpoint_acknowledged(&self, _: ExecutionAttemptId, _: u64, _: TaskStateSnapshot) {}
    fn checkpoint_declined(&self, _: ExecutionAttemptId, _: u64, _: String) {}
}

/// The TDDs of a job where every subtask runs at `location`.
fn tdds(g: &JobGraph, location: &TaskManagerLocation) -> Vec<TaskDeploymentDescriptor> {
    let place = |_: JobVertexId, _: u32| Placement {
        allocation_id: AllocationId::generate(),
        location: location.clone(),
    };
    g.vertices
        .iter()
        .flat_map(|v| (0..v.parallelism).map(move |s| (v.id, s)))
        .filter_map(|(v, s)| build_tdd(g, v, s, 0, &place))
        .collect()
}

/// Runs `program` with `args` and `parallelism`; returns the job graph or the first task failure.
pub fn run(
    registry: ProgramRegistry,
    program: &str,
    args: &[&str],
    parallelism: u32,
) -> Result<JobGraph, TaskFailure> {
    run_with_config(registry, program, args, parallelism, &[])
}

/// [`run`] with extra job configuration entries.
pub fn run_with_config(
    registry: ProgramRegistry,
    program: &str,
    args: &[&str],
    parallelism: u32,
    extra: &[(&str, &str)],
) -> Result<JobGraph, TaskFailure> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
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
    for (k, v) in extra {
        config.insert(k.to_string(), v.to_string());
    }
    let program = ProgramRef {
        name: program.into(),
        args: args.iter().map(|s| s.to_string()).collect(),
        bundle: None,
    };
    let graph = registry
        .build_graph(&program, settings_from_config(&config, "test"))
        .unwrap();
    let mut job = graph.to_job_graph(JobId::generate(), program).unwrap();
    for (k, v) in extra {
        job.config.insert(k.to_string(), v.to_string());
    }
    let location = TaskManagerLocation {
        resource_id: ResourceId("tm".into()),
        rpc_address: "-".into(),
        data_address: net.data_address(),
    };
    let spawner = StreamTaskSpawner::new(
        Arc::new(registry),
        net.clone(),
        StreamTaskSettings::default(),
    );
    let (tx, rx) = mpsc::channel();
    let events: Arc<dyn TaskEvents> = Arc::new(Events(tx));
    let all = tdds(&job, &location);
    let n = all.len();
    let mut controls = Vec::new();
    for tdd in all {
        controls.push(flink_types::TaskSpawner::spawn(
            &spawner,
            tdd,
            events.clone(),
        )?);
    }
    let mut done = 0;
    let mut failure = None;
    while done < n {
        let (_, state, f) = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("job did not finish within 60 s");
        if state.is_terminal() {
            done += 1;
            if state == ExecutionState::Failed && failure.is_none() {
                failure = f;
                for c in &controls {
                    c.cancel();
                }
            }
        }
    }
    match failure {
        Some(f) => Err(f),
        None => Ok(job),
    }
}
