//! The control plane end to end in one process: a JobManager and
//! TaskManagers on loopback ports, with a fake TaskSpawner that "runs"
//! tasks by reporting state changes.

use anyhow::{Context, Result, bail};
use flink_ha::StandaloneHaServices;
use flink_jobmanager::{
    JobManagerConfig, JobManagerHandle, JobManagerRunner, StandaloneResourceDriver,
};
use flink_taskmanager::{TaskManagerConfig, TaskManagerHandle, TaskManagerRunner};
use flink_types::*;
use parking_lot::Mutex;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// What a fake task does.
#[derive(Clone, Debug)]
enum Behavior {
    /// RUNNING, then FINISHED after the delay.
    Finish(Duration),
    /// RUNNING, then FAILED with the message after the delay.
    Fail(Duration, String),
    /// RUNNING until cancelled.
    RunUntilCancelled,
    /// RUNNING until a checkpoint completes, then FINISHED.
    UntilCheckpointComplete,
}

type BehaviorFn = Arc<dyn Fn(&TaskDeploymentDescriptor) -> Behavior + Send + Sync>;

/// Every deployment any fake spawner received: (TaskManager resource id, tdd).
type Log = Arc<Mutex<Vec<(ResourceId, TaskDeploymentDescriptor)>>>;

struct FakeSpawner {
    tm: Arc<Mutex<Option<ResourceId>>>,
    log: Log,
    behavior: BehaviorFn,
}

struct FakeControl {
    cancelled: AtomicBool,
    checkpoint_complete: AtomicBool,
    wake: Notify,
    attempt: ExecutionAttemptId,
    events: Arc<dyn TaskEvents>,
}

impl TaskControl for FakeControl {
    fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }
    /// Acknowledges at once with a one-handle snapshot.
    fn trigger_checkpoint(&self, checkpoint_id: u64, _: i64, _: bool) {
        let snapshot = TaskStateSnapshot::from([(
            format!("uid-{}", self.attempt.subtask),
            vec![StateHandle {
                location: StateLocation::Inline(vec![1, 2, 3]),
                key_group_offsets: vec![],
                size: 3,
            }],
        )]);
        self.events
            .checkpoint_acknowledged(self.attempt, checkpoint_id, snapshot);
    }
    fn notify_checkpoint_complete(&self, _: u64) {
        self.checkpoint_complete.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }
    fn notify_checkpoint_aborted(&self, _: u64) {}
}

impl TaskSpawner for FakeSpawner {
    fn spawn(
        &self,
        tdd: TaskDeploymentDescriptor,
        events: Arc<dyn TaskEvents>,
    ) -> Result<Arc<dyn TaskControl>, TaskFailure> {
        let tm = self.tm.lock().clone().unwrap_or(ResourceId("?".into()));
        self.log.lock().push((tm, tdd.clone()));
        let behavior = (self.behavior)(&tdd);
        let control = Arc::new(FakeControl {
            cancelled: AtomicBool::new(false),
            checkpoint_complete: AtomicBool::new(false),
            wake: Notify::new(),
            attempt: tdd.attempt,
            events: events.clone(),
        });
        let c = control.clone();
        let attempt = tdd.attempt;
        tokio::spawn(async move {
            events.state_changed(attempt, ExecutionState::Initializing, None);
            events.state_changed(attempt, ExecutionState::Running, None);
            let wait = async {
                match &behavior {
                    Behavior::Finish(d) | Behavior::Fail(d, _) => tokio::time::sleep(*d).await,
                    Behavior::RunUntilCancelled => std::future::pending().await,
                    Behavior::UntilCheckpointComplete => loop {
                        if c.checkpoint_complete.load(Ordering::SeqCst) {
                            break;
                        }
                        c.wake.notified().await;
                    },
                }
            };
            tokio::select! {
                _ = wait => {}
                _ = c.wake.notified() => {}
            }
            if c.cancelled.load(Ordering::SeqCst) {
                events.state_changed(attempt, ExecutionState::Canceled, None);
                return;
            }
            match behavior {
                Behavior::Finish(_) | Behavior::UntilCheckpointComplete => {
                    events.state_changed(attempt, ExecutionState::Finished, None)
                }
                Behavior::Fail(_, message) => events.state_changed(
                    attempt,
                    ExecutionState::Failed,
                    Some(TaskFailure {
                        operator: tdd.vertex_name.clone(),
                        message,
                    }),
                ),
                Behavior::RunUntilCancelled => {}
            }
        });
        Ok(control)
    }
}

struct Cluster {
    jm: JobManagerHandle,
    tms: Vec<Option<TaskManagerHandle>>,
    log: Log,
    http: reqwest::Client,
}

impl Cluster {
    async fn start(task_managers: usize, slots: u32, behavior: BehaviorFn) -> Result<Self> {
        let jm_config = JobManagerConfig {
            rpc_address: "127.0.0.1".into(),
            rpc_port: 0,
            rest_address: "127.0.0.1".into(),
            rest_port: 0,
            heartbeat_interval: Duration::from_millis(100),
            heartbeat_timeout: Duration::from_millis(600),
            slot_request_timeout: Duration::from_secs(2),
            ..Default::default()
        };
        let jm = JobManagerRunner::start(
            jm_config,
            Box::new(StandaloneResourceDriver),
            Arc::new(StandaloneHaServices::new()),
        )
        .await?;
        let port: u16 = jm
            .rpc_address()
            .rsplit(':')
            .next()
            .context("port")?
            .parse()?;
        let log: Log = Arc::default();
        let mut tms = Vec::new();
        for i in 0..task_managers {
            let config = TaskManagerConfig {
                num_task_slots: slots,
                host: "127.0.0.1".into(),
                resource_id: Some(format!("tm-{i}")),
                jobmanager_address: "127.0.0.1".into(),
                jobmanager_port: port,
                heartbeat_interval: Duration::from_millis(100),
                heartbeat_timeout: Duration::from_millis(600),
                ..Default::default()
            };
            let tm_id = Arc::new(Mutex::new(Some(ResourceId(format!("tm-{i}")))));
            let spawner = FakeSpawner {
                tm: tm_id,
                log: log.clone(),
                behavior: behavior.clone(),
            };
            let tm = TaskManagerRunner::start(
                config,
                Box::new(move |_network| Arc::new(spawner) as Arc<dyn TaskSpawner>),
            )
            .await?;
            tms.push(Some(tm));
        }
        let want = task_managers as u32 * slots;
        wait_until("TaskManagers registered", Duration::from_secs(10), || {
            jm.slot_counts().0 == want
        })
        .await?;
        Ok(Self {
            jm,
            tms,
            log,
            http: reqwest::Client::new(),
        })
    }

    async fn get(&self, path: &str) -> Result<(u16, Value)> {
        let r = self
            .http
            .get(format!("{}{path}", self.jm.rest_url()))
            .send()
            .await?;
        let status = r.status().as_u16();
        Ok((status, r.json().await?))
    }

    fn tdds(&self) -> Vec<(ResourceId, TaskDeploymentDescriptor)> {
        self.log.lock().clone()
    }

    async fn stop(self) {
        for tm in self.tms.iter().flatten() {
            tm.shutdown().await;
        }
        self.jm.shutdown().await;
    }
}

async fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while !cond() {
        if Instant::now() > deadline {
            bail!("timed out waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Source -FORWARD-> Map -HASH-> Sink, all in one slot-sharing group, or
/// Source -HASH-> Sink when `with_map` is false.
fn job(parallelism: u32, with_map: bool, config: &[(&str, &str)]) -> JobGraph {
    let names: Vec<&str> = if with_map {
        vec!["Source", "Map", "Sink"]
    } else {
        vec!["Source", "Sink"]
    };
    let vertices = names
        .iter()
        .enumerate()
        .map(|(i, name)| JobVertex {
            id: JobVertexId(i as u32),
            name: name.to_string(),
            parallelism,
            max_parallelism: 128,
            slot_sharing_group: "default".into(),
            operators: vec![ChainedOperator {
                stream_node: i as u32 + 1,
                name: name.to_string(),
                uid: format!("uid-{name}"),
            }],
            is_source: i == 0,
        })
        .collect::<Vec<_>>();
    let mut edges = Vec::new();
    for i in 0..vertices.len() - 1 {
        let ship = if with_map && i == 0 {
            ShipStrategy::Forward
        } else {
            ShipStrategy::Hash
        };
        edges.push(JobEdge {
            source: JobVertexId(i as u32),
            target: JobVertexId(i as u32 + 1),
            ship_strategy: ship,
            target_input: 0,
            source_node: i as u32 + 1,
            target_node: i as u32 + 2,
        });
    }
    JobGraph {
        job_id: JobId::generate(),
        name: "control-plane-test".into(),
        program: ProgramRef {
            name: "test".into(),
            args: vec![],
            bundle: None,
        },
        vertices,
        edges,
        runtime_mode: RuntimeMode::Streaming,
        config: config
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn finish_quickly() -> BehaviorFn {
    Arc::new(|_| Behavior::Finish(Duration::from_millis(100)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_runs_with_slot_sharing_and_correct_wiring() -> Result<()> {
    let c = Cluster::start(2, 2, finish_quickly()).await?;
    let g = job(4, true, &[]);
    assert_eq!(g.required_slots(), 4);
    let job_id = c.jm.submit_job(g).await?;
    let result = c.jm.wait_job_result(job_id).await?;
    assert_eq!(result.status, JobStatus::Finished, "{result:?}");

    let tdds = c.tdds();
    assert_eq!(tdds.len(), 12);
    let tm_of = |v: u32, s: u32| -> ResourceId {
        tdds.iter()
            .find(|(_, t)| t.attempt.vertex == JobVertexId(v) && t.attempt.subtask == s)
            .map(|(tm, _)| tm.clone())
            .unwrap()
    };
    let slot_of = |v: u32, s: u32| -> AllocationId {
        tdds.iter()
            .find(|(_, t)| t.attempt.vertex == JobVertexId(v) && t.attempt.subtask == s)
            .map(|(_, t)| t.allocation_id)
            .unwrap()
    };
    // Both TaskManagers are used, 2 slots each, one subtask column per slot.
    for tm in ["tm-0", "tm-1"] {
        assert_eq!(tdds.iter().filter(|(r, _)| r.0 == tm).count(), 6, "{tm}");
    }
    for s in 0..4 {
        assert_eq!(slot_of(0, s), slot_of(1, s));
        assert_eq!(slot_of(1, s), slot_of(2, s));
        assert_eq!(tm_of(0, s), tm_of(2, s));
    }
    let distinct: std::collections::HashSet<_> = (0..4).map(|s| slot_of(0, s)).collect();
    assert_eq!(distinct.len(), 4);

    for (tm, tdd) in &tdds {
        let s = tdd.attempt.subtask;
        assert_eq!(tdd.attempt.attempt, 0);
        assert_eq!(tdd.parallelism, 4);
        assert_eq!(tdd.chained_nodes, vec![tdd.attempt.vertex.0 + 1]);
        match tdd.attempt.vertex.0 {
            0 => {
                assert!(tdd.inputs.is_empty());
                assert_eq!(tdd.outputs.len(), 1);
                assert_eq!(tdd.outputs[0].ship_strategy, ShipStrategy::Forward);
                assert_eq!(tdd.outputs[0].consumer_subtasks, vec![s]);
            }
            1 => {
                // FORWARD: exactly one channel, from the source subtask with the same index.
                assert_eq!(tdd.inputs.len(), 1);
                let chans = &tdd.inputs[0].channels;
                assert_eq!(chans.len(), 1);
                assert_eq!(chans[0].partition.producer.vertex, JobVertexId(0));
                assert_eq!(chans[0].partition.producer.subtask, s);
                assert_eq!(chans[0].subpartition, 0);
                assert_eq!(chans[0].producer_location.resource_id, tm_of(0, s));
                assert_eq!(&chans[0].producer_location.resource_id, tm);
                assert_eq!(tdd.outputs[0].ship_strategy, ShipStrategy::Hash);
                assert_eq!(tdd.outputs[0].consumer_subtasks, vec![0, 1, 2, 3]);
                assert_eq!(tdd.outputs[0].num_consumers, 4);
            }
            2 => {
                // HASH: one channel per map subtask, reading subpartition `s`.
                let chans = &tdd.inputs[0].channels;
                assert_eq!(chans.len(), 4);
                for (p, ch) in chans.iter().enumerate() {
                    assert_eq!(ch.partition.producer.vertex, JobVertexId(1));
                    assert_eq!(ch.partition.producer.subtask, p as u32);
                    assert_eq!(ch.partition.edge, 1);
                    assert_eq!(ch.subpartition, s);
                    assert_eq!(ch.producer_location.resource_id, tm_of(1, p as u32));
                    let producer_tm = c.tms[tm_of(1, p as u32).0[3..].parse::<usize>()?]
                        .as_ref()
                        .unwrap();
                    assert_eq!(
                        ch.producer_location.data_address,
                        producer_tm.data_address()
                    );
                }
                assert!(tdd.outputs.is_empty());
            }
            v => bail!("unexpected vertex {v}"),
        }
    }

    // REST shows the finished job.
    let (code, overview) = c.get("/jobs/overview").await?;
    assert_eq!(code, 200);
    let j = &overview["jobs"][0];
    assert_eq!(j["jid"], job_id.to_hex());
    assert_eq!(j["state"], "FINISHED");
    assert_eq!(j["tasks"]["finished"], 12);
    assert_eq!(j["tasks"]["total"], 12);
    let (code, details) = c.get(&format!("/jobs/{job_id}")).await?;
    assert_eq!(code, 200);
    assert_eq!(details["state"], "FINISHED");
    assert_eq!(details["vertices"].as_array().unwrap().len(), 3);
    assert_eq!(details["vertices"][1]["name"], "Map");
    assert_eq!(details["vertices"][1]["status"], "FINISHED");
    assert_eq!(details["vertices"][1]["parallelism"], 4);
    assert_eq!(
        details["plan"]["nodes"][2]["inputs"][0]["ship_strategy"],
        "HASH"
    );
    let (_, res) = c.get(&format!("/jobs/{job_id}/execution-result")).await?;
    assert_eq!(res["status"]["id"], "COMPLETED");
    assert_eq!(
        res["job-execution-result"]["application-status"],
        "SUCCEEDED"
    );
    let (_, jobs) = c.get("/jobs").await?;
    assert_eq!(jobs["jobs"][0]["status"], "FINISHED");
    // Slots come back after the job.
    wait_until("slots released", Duration::from_secs(5), || {
        c.jm.slot_counts().1 == 4
    })
    .await?;
    let (_, ov) = c.get("/overview").await?;
    assert_eq!(ov["taskmanagers"], 2);
    assert_eq!(ov["slots-total"], 4);
    assert_eq!(ov["jobs-finished"], 1);
    let (_, tms) = c.get("/taskmanagers").await?;
    assert_eq!(tms["taskmanagers"].as_array().unwrap().len(), 2);
    c.stop().await;
    Ok(())
}

fn fail_map_subtask_1() -> BehaviorFn {
    Arc::new(|t: &TaskDeploymentDescriptor| {
        if t.vertex_name == "Map" && t.attempt.subtask == 1 {
            Behavior::Fail(Duration::from_millis(50), "panicked at 'boom'".into())
        } else {
            Behavior::RunUntilCancelled
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_task_without_restart_fails_the_job_with_the_root_cause() -> Result<()> {
    let c = Cluster::start(2, 2, fail_map_subtask_1()).await?;
    let job_id =
        c.jm.submit_job(job(4, true, &[("restart-strategy.type", "none")]))
            .await?;
    let result = c.jm.wait_job_result(job_id).await?;
    assert_eq!(result.status, JobStatus::Failed);
    let cause = result.failure_cause.clone().unwrap_or_default();
    assert_eq!(cause, "Map (2/4): panicked at 'boom'");

    let (_, ex) = c.get(&format!("/jobs/{job_id}/exceptions")).await?;
    assert_eq!(ex["root-exception"], cause);
    assert_eq!(
        ex["exceptionHistory"]["entries"][0]["taskName"],
        "Map (2/4)"
    );
    let (_, res) = c.get(&format!("/jobs/{job_id}/execution-result")).await?;
    assert_eq!(res["job-execution-result"]["application-status"], "FAILED");
    assert!(
        res["job-execution-result"]["failure-cause"]["stack-trace"]
            .as_str()
            .unwrap()
            .contains("panicked at 'boom'")
    );
    // The other tasks were cancelled, and every slot is free again.
    let d = c.jm.job_details(job_id)?;
    let states = d.state_counts();
    assert_eq!(states["FAILED"], 1);
    assert_eq!(states["CANCELED"], 11);
    wait_until("slots released", Duration::from_secs(5), || {
        c.jm.slot_counts().1 == 4
    })
    .await?;
    c.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_delay_restarts_then_fails() -> Result<()> {
    let c = Cluster::start(2, 2, fail_map_subtask_1()).await?;
    let job_id =
        c.jm.submit_job(job(
            4,
            true,
            &[
                ("restart-strategy.type", "fixed-delay"),
                ("restart-strategy.fixed-delay.attempts", "2"),
                ("restart-strategy.fixed-delay.delay", "50 ms"),
            ],
        ))
        .await?;
    let result = c.jm.wait_job_result(job_id).await?;
    assert_eq!(result.status, JobStatus::Failed);
    assert_eq!(
        result.failure_cause.as_deref(),
        Some("Map (2/4): panicked at 'boom'")
    );
    let mut attempts: Vec<u32> = c
        .tdds()
        .iter()
        .filter(|(_, t)| t.vertex_name == "Map" && t.attempt.subtask == 1)
        .map(|(_, t)| t.attempt.attempt)
        .collect();
    attempts.sort();
    assert_eq!(attempts, vec![0, 1, 2]);
    // Every redeployment is a full restart: 12 tasks per attempt.
    assert_eq!(c.tdds().len(), 36);
    let (_, ex) = c.get(&format!("/jobs/{job_id}/exceptions")).await?;
    assert_eq!(
        ex["exceptionHistory"]["entries"].as_array().unwrap().len(),
        3
    );
    c.stop().await;
    Ok(())
}

/// Attempt 0 runs until cancelled; later attempts finish.
fn run_then_finish() -> BehaviorFn {
    Arc::new(|t: &TaskDeploymentDescriptor| {
        if t.attempt.attempt == 0 {
            Behavior::RunUntilCancelled
        } else {
            Behavior::Finish(Duration::from_millis(100))
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_task_manager_restarts_the_job_on_remaining_slots() -> Result<()> {
    let mut c = Cluster::start(2, 2, run_then_finish()).await?;
    let job_id =
        c.jm.submit_job(job(
            2,
            false,
            &[
                ("restart-strategy.type", "fixed-delay"),
                ("restart-strategy.fixed-delay.attempts", "3"),
                ("restart-strategy.fixed-delay.delay", "50 ms"),
            ],
        ))
        .await?;
    wait_until("all 4 tasks deployed", Duration::from_secs(5), || {
        c.tdds().len() == 4
    })
    .await?;
    // Slots are filled TaskManager by TaskManager: all tasks are on one.
    let victim = c.tdds()[0].0.clone();
    assert!(c.tdds().iter().all(|(tm, _)| *tm == victim));
    let idx: usize = victim.0[3..].parse()?;
    drop(c.tms[idx].take()); // crash: no goodbye, heartbeats stop
    let result = c.jm.wait_job_result(job_id).await?;
    assert_eq!(result.status, JobStatus::Finished, "{result:?}");
    let second: Vec<_> = c
        .tdds()
        .into_iter()
        .filter(|(_, t)| t.attempt.attempt == 1)
        .collect();
    assert_eq!(second.len(), 4);
    assert!(second.iter().all(|(tm, _)| *tm != victim));
    let d = c.jm.job_details(job_id)?;
    assert!(
        d.exceptions[0]
            .exception
            .contains(&format!("TaskManager {victim} was lost"))
            && d.exceptions[0].exception.contains("timed out"),
        "{:?}",
        d.exceptions
    );
    assert_eq!(c.jm.task_managers().len(), 1);
    c.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_task_manager_without_enough_slots_fails_clearly() -> Result<()> {
    let mut c = Cluster::start(2, 2, Arc::new(|_| Behavior::RunUntilCancelled)).await?;
    let job_id =
        c.jm.submit_job(job(
            4,
            false,
            &[
                ("restart-strategy.type", "fixed-delay"),
                ("restart-strategy.fixed-delay.attempts", "1"),
                ("restart-strategy.fixed-delay.delay", "10 ms"),
            ],
        ))
        .await?;
    wait_until("all 8 tasks deployed", Duration::from_secs(5), || {
        c.tdds().len() == 8
    })
    .await?;
    drop(c.tms[1].take());
    let result = c.jm.wait_job_result(job_id).await?;
    assert_eq!(result.status, JobStatus::Failed);
    let cause = result.failure_cause.unwrap_or_default();
    assert!(cause.contains("could not acquire 4 slots"), "{cause}");
    assert!(cause.contains("2 available"), "{cause}");
    assert!(
        cause.contains("start more TaskManagers or lower the parallelism"),
        "{cause}"
    );
    let d = c.jm.job_details(job_id)?;
    assert!(
        d.exceptions[0]
            .exception
            .contains("TaskManager tm-1 was lost"),
        "{:?}",
        d.exceptions
    );
    c.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_enough_slots_fails_after_the_slot_request_timeout() -> Result<()> {
    let c = Cluster::start(1, 2, finish_quickly()).await?;
    let started = Instant::now();
    let job_id = c.jm.submit_job(job(4, false, &[])).await?;
    let result = c.jm.wait_job_result(job_id).await?;
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "failed before the timeout"
    );
    assert_eq!(result.status, JobStatus::Failed);
    let cause = result.failure_cause.unwrap_or_default();
    assert!(cause.contains("could not acquire 4 slots"), "{cause}");
    assert!(cause.contains("2 available"), "{cause}");
    assert!(c.tdds().is_empty());
    c.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_submission_cancel_and_unknown_jobs() -> Result<()> {
    let c = Cluster::start(1, 2, Arc::new(|_| Behavior::RunUntilCancelled)).await?;
    let unknown = JobId::generate();
    let (code, body) = c.get(&format!("/jobs/{unknown}")).await?;
    assert_eq!(code, 404);
    assert!(
        body["errors"][0]
            .as_str()
            .unwrap()
            .contains(&unknown.to_hex())
    );
    let (code, _) = c.get(&format!("/jobs/{unknown}/execution-result")).await?;
    assert_eq!(code, 404);
    let (code, body) = c.get("/jobs/not-a-job-id").await?;
    assert_eq!(code, 400);
    assert!(
        body["errors"][0]
            .as_str()
            .unwrap()
            .contains("32 hexadecimal")
    );

    // Submit over REST, the way the CLI does.
    let g = job(2, false, &[]);
    let job_id = g.job_id;
    let r = c
        .http
        .post(format!("{}/jobs", c.jm.rest_url()))
        .json(&g)
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 202);
    let body: Value = r.json().await?;
    assert_eq!(body["jobUrl"], format!("/jobs/{job_id}"));
    // Bad bodies are a clear 400.
    let r = c
        .http
        .post(format!("{}/jobs", c.jm.rest_url()))
        .body("{}")
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 400);

    wait_until("job running", Duration::from_secs(5), || {
        c.jm.job_details(job_id)
            .map(|d| d.state_counts()["RUNNING"] == 4)
            .unwrap_or(false)
    })
    .await?;
    let (_, res) = c.get(&format!("/jobs/{job_id}/execution-result")).await?;
    assert_eq!(res["status"]["id"], "IN_PROGRESS");
    let r = c
        .http
        .patch(format!("{}/jobs/{job_id}?mode=cancel", c.jm.rest_url()))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 202);
    let result = c.jm.wait_job_result(job_id).await?;
    assert_eq!(result.status, JobStatus::Canceled);
    let (_, d) = c.get(&format!("/jobs/{job_id}")).await?;
    assert_eq!(d["state"], "CANCELED");
    assert_eq!(d["status-counts"]["CANCELED"], 4);
    let (_, res) = c.get(&format!("/jobs/{job_id}/execution-result")).await?;
    assert_eq!(
        res["job-execution-result"]["application-status"],
        "CANCELED"
    );
    let (_, ov) = c.get("/overview").await?;
    assert_eq!(ov["jobs-cancelled"], 1);
    let (code, conf) = c.get("/config").await?;
    assert_eq!(code, 200);
    assert!(
        conf["flink-version"]
            .as_str()
            .unwrap()
            .starts_with("flink-rs")
    );
    let (code, _) = c.get("/no/such/endpoint").await?;
    assert_eq!(code, 404);
    // DELETE /cluster asks the process to shut down.
    let r = c
        .http
        .delete(format!("{}/cluster", c.jm.rest_url()))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 202);
    tokio::time::timeout(Duration::from_secs(2), c.jm.cluster_shutdown_requested()).await?;
    c.stop().await;
    Ok(())
}

/// A driver that starts TaskManagers in this process on request, like the
/// YARN driver starts containers.
struct InProcessDriver {
    jm_port: Arc<Mutex<u16>>,
    workers: Arc<Mutex<Vec<TaskManagerHandle>>>,
    requests: Arc<Mutex<Vec<u32>>>,
    released: Arc<Mutex<Vec<ResourceId>>>,
    log: Log,
}

#[async_trait::async_trait]
impl flink_jobmanager::ResourceDriver for InProcessDriver {
    async fn request_workers(
        &self,
        count: u32,
        spec: &flink_jobmanager::WorkerResourceSpec,
    ) -> Result<(), flink_jobmanager::ResourceDriverError> {
        self.requests.lock().push(count);
        for _ in 0..count {
            let n = self.requests.lock().iter().sum::<u32>() as usize + self.workers.lock().len();
            let id = format!("worker-{n}");
            let config = TaskManagerConfig {
                num_task_slots: spec.num_slots,
                host: "127.0.0.1".into(),
                resource_id: Some(id.clone()),
                jobmanager_address: "127.0.0.1".into(),
                jobmanager_port: *self.jm_port.lock(),
                heartbeat_interval: Duration::from_millis(100),
                heartbeat_timeout: Duration::from_millis(600),
                ..Default::default()
            };
            let spawner = FakeSpawner {
                tm: Arc::new(Mutex::new(Some(ResourceId(id)))),
                log: self.log.clone(),
                behavior: finish_quickly(),
            };
            let tm = TaskManagerRunner::start(
                config,
                Box::new(move |_| Arc::new(spawner) as Arc<dyn TaskSpawner>),
            )
            .await
            .map_err(|e| flink_jobmanager::ResourceDriverError(e.to_string()))?;
            self.workers.lock().push(tm);
        }
        Ok(())
    }
    async fn release_worker(
        &self,
        resource_id: &ResourceId,
    ) -> Result<(), flink_jobmanager::ResourceDriverError> {
        self.released.lock().push(resource_id.clone());
        Ok(())
    }
    async fn deregister_application(
        &self,
        _status: flink_jobmanager::ApplicationStatus,
        _diagnostics: Option<String>,
    ) -> Result<(), flink_jobmanager::ResourceDriverError> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_driver_gets_workers_on_demand_and_releases_idle_ones() -> Result<()> {
    let jm_port = Arc::new(Mutex::new(0));
    let workers = Arc::new(Mutex::new(Vec::new()));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let released = Arc::new(Mutex::new(Vec::new()));
    let log: Log = Arc::default();
    let driver = InProcessDriver {
        jm_port: jm_port.clone(),
        workers: workers.clone(),
        requests: requests.clone(),
        released: released.clone(),
        log: log.clone(),
    };
    let jm = JobManagerRunner::start(
        JobManagerConfig {
            rpc_address: "127.0.0.1".into(),
            rpc_port: 0,
            rest_address: "127.0.0.1".into(),
            rest_port: 0,
            heartbeat_interval: Duration::from_millis(100),
            heartbeat_timeout: Duration::from_millis(600),
            slot_request_timeout: Duration::from_secs(10),
            taskmanager_timeout: Duration::from_millis(300),
            slots_per_task_manager: 1,
            ..Default::default()
        },
        Box::new(driver),
        Arc::new(StandaloneHaServices::new()),
    )
    .await?;
    *jm_port.lock() = jm
        .rpc_address()
        .rsplit(':')
        .next()
        .context("port")?
        .parse()?;
    let job_id = jm.submit_job(job(2, false, &[])).await?;
    let result = jm.wait_job_result(job_id).await?;
    assert_eq!(result.status, JobStatus::Finished, "{result:?}");
    assert_eq!(
        requests.lock().iter().sum::<u32>(),
        2,
        "exactly 2 one-slot workers requested"
    );
    assert_eq!(log.lock().len(), 4);
    // Idle workers are released through the driver and told to shut down.
    wait_until("idle workers released", Duration::from_secs(5), || {
        released.lock().len() == 2
    })
    .await?;
    wait_until(
        "released workers unregistered",
        Duration::from_secs(5),
        || jm.task_managers().is_empty(),
    )
    .await?;
    let handles: Vec<TaskManagerHandle> = workers.lock().drain(..).collect();
    for tm in &handles {
        let exit = tokio::time::timeout(Duration::from_secs(5), tm.wait_terminated()).await?;
        assert!(
            matches!(
                exit,
                flink_taskmanager::TaskManagerExit::ShutdownRequested(_)
            ),
            "{exit:?}"
        );
    }
    jm.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slot_allocations_unknown_to_the_jobmanager_are_freed_by_heartbeats() -> Result<()> {
    use flink_proto::pb;
    let c = Cluster::start(1, 2, finish_quickly()).await?;
    let tm = c.tms[0].as_ref().unwrap();
    let mut client = pb::task_executor_gateway_client::TaskExecutorGatewayClient::connect(format!(
        "http://{}",
        tm.rpc_address()
    ))
    .await?;
    // A slot the JobManager never asked for (like a FreeSlot that got lost).
    client
        .request_slot(pb::RequestSlotRequest {
            slot_index: Some(1),
            allocation_id: AllocationId::generate().to_hex(),
            job_id: JobId::generate().to_hex(),
            jobmanager_address: "nowhere:1".into(),
        })
        .await?;
    assert_eq!(tm.allocated_slots(), 1);
    wait_until("stale slot freed", Duration::from_secs(5), || {
        tm.allocated_slots() == 0
    })
    .await?;
    // Slot requests are validated.
    let err = client
        .request_slot(pb::RequestSlotRequest {
            slot_index: Some(7),
            allocation_id: AllocationId::generate().to_hex(),
            job_id: JobId::generate().to_hex(),
            jobmanager_address: String::new(),
        })
        .await
        .unwrap_err();
    assert!(err.message().contains("out of range"), "{err}");
    let err = client
        .request_slot(pb::RequestSlotRequest {
            slot_index: None,
            allocation_id: "zz".into(),
            job_id: JobId::generate().to_hex(),
            jobmanager_address: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    c.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_manager_follows_the_leader_through_ha() -> Result<()> {
    let ha = Arc::new(StandaloneHaServices::new());
    let jm_config = || JobManagerConfig {
        rpc_address: "127.0.0.1".into(),
        rpc_port: 0,
        rest_address: "127.0.0.1".into(),
        rest_port: 0,
        heartbeat_interval: Duration::from_millis(100),
        heartbeat_timeout: Duration::from_millis(600),
        ..Default::default()
    };
    let log: Log = Arc::default();
    let spawner = FakeSpawner {
        tm: Arc::new(Mutex::new(Some(ResourceId("tm-ha".into())))),
        log: log.clone(),
        behavior: finish_quickly(),
    };
    // The TaskManager starts first and waits for a leader.
    let tm = TaskManagerRunner::start_with_options(
        TaskManagerConfig {
            host: "127.0.0.1".into(),
            resource_id: Some("tm-ha".into()),
            heartbeat_interval: Duration::from_millis(100),
            heartbeat_timeout: Duration::from_millis(600),
            ..Default::default()
        },
        Default::default(),
        Box::new(move |_| Arc::new(spawner) as Arc<dyn TaskSpawner>),
        Some(flink_ha::HaServices::leader_retrieval(
            ha.as_ref(),
            flink_ha::LeaderComponent::ResourceManager,
        )),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!tm.is_registered());
    let jm1 = JobManagerRunner::start(jm_config(), Box::new(StandaloneResourceDriver), ha.clone())
        .await?;
    wait_until(
        "registered at the first leader",
        Duration::from_secs(5),
        || jm1.slot_counts().0 == 1,
    )
    .await?;
    let job_id = jm1.submit_job(job(1, false, &[])).await?;
    assert_eq!(
        jm1.wait_job_result(job_id).await?.status,
        JobStatus::Finished
    );

    // A new leader publishes itself: the TaskManager moves over.
    let jm2 = JobManagerRunner::start(jm_config(), Box::new(StandaloneResourceDriver), ha.clone())
        .await?;
    wait_until(
        "registered at the new leader",
        Duration::from_secs(5),
        || jm2.slot_counts().0 == 1,
    )
    .await?;
    let job_id = jm2.submit_job(job(1, false, &[])).await?;
    assert_eq!(
        jm2.wait_job_result(job_id).await?.status,
        JobStatus::Finished
    );
    // The old leader stops hearing from it.
    wait_until(
        "old leader dropped the TaskManager",
        Duration::from_secs(5),
        || jm1.task_managers().is_empty(),
    )
    .await?;
    tm.shutdown().await;
    jm1.shutdown().await;
    jm2.shutdown().await;
    Ok(())
}

fn lonely_tm_config(jobmanager_port: u16) -> TaskManagerConfig {
    TaskManagerConfig {
        host: "127.0.0.1".into(),
        jobmanager_address: "127.0.0.1".into(),
        jobmanager_port,
        heartbeat_interval: Duration::from_millis(100),
        heartbeat_timeout: Duration::from_millis(600),
        ..Default::default()
    }
}

fn idle_spawner() -> flink_taskmanager::SpawnerFactory {
    let spawner = FakeSpawner {
        tm: Arc::default(),
        log: Arc::default(),
        behavior: finish_quickly(),
    };
    Box::new(move |_| Arc::new(spawner) as Arc<dyn TaskSpawner>)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_gives_up_after_the_timeout_naming_the_jobmanager() -> Result<()> {
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let mut config = lonely_tm_config(port);
    config.registration_timeout = Duration::from_millis(500);
    let tm = TaskManagerRunner::start(config, idle_spawner()).await?;
    let exit = tokio::time::timeout(Duration::from_secs(10), tm.wait_terminated()).await?;
    match exit {
        flink_taskmanager::TaskManagerExit::RegistrationTimeout(msg) => {
            assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
            assert!(msg.contains("taskmanager.registration.timeout"), "{msg}");
        }
        other => bail!("unexpected exit {other:?}"),
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_manager_exits_on_jobmanager_loss_when_configured() -> Result<()> {
    let c = Cluster::start(1, 1, Arc::new(|_| Behavior::RunUntilCancelled)).await?;
    let port: u16 =
        c.jm.rpc_address()
            .rsplit(':')
            .next()
            .context("port")?
            .parse()?;
    let mut config = lonely_tm_config(port);
    config.exit_on_jm_loss = true;
    let tm = TaskManagerRunner::start(config, idle_spawner()).await?;
    wait_until("registered", Duration::from_secs(5), || {
        c.jm.slot_counts().0 == 2
    })
    .await?;
    let started = Instant::now();
    c.jm.shutdown().await;
    let exit = tokio::time::timeout(Duration::from_secs(10), tm.wait_terminated()).await?;
    assert!(
        matches!(exit, flink_taskmanager::TaskManagerExit::JobManagerLost(_)),
        "{exit:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "exited before the heartbeat timeout"
    );
    // The TaskManager without the flag keeps trying to register instead.
    let other = c.tms[0].as_ref().unwrap();
    wait_until(
        "other TaskManager noticed the loss",
        Duration::from_secs(5),
        || !other.is_registered(),
    )
    .await?;
    assert!(
        tokio::time::timeout(Duration::from_millis(300), other.wait_terminated())
            .await
            .is_err()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_task_manager_shutdown_cancels_tasks_and_fails_over_at_once() -> Result<()> {
    let mut c = Cluster::start(2, 1, run_then_finish()).await?;
    let job_id =
        c.jm.submit_job(job(
            1,
            false,
            &[
                ("restart-strategy.type", "fixed-delay"),
                ("restart-strategy.fixed-delay.delay", "10 ms"),
            ],
        ))
        .await?;
    wait_until("job running", Duration::from_secs(5), || {
        c.jm.job_details(job_id)
            .map(|d| d.state_counts()["RUNNING"] == 2)
            .unwrap_or(false)
    })
    .await?;
    let host: usize = c.tdds()[0].0.0[3..].parse()?;
    let tm = c.tms[host].take().unwrap();
    let started = Instant::now();
    tm.shutdown().await;
    assert_eq!(tm.running_tasks(), 0);
    let result = c.jm.wait_job_result(job_id).await?;
    assert_eq!(result.status, JobStatus::Finished);
    let d = c.jm.job_details(job_id)?;
    assert!(
        d.exceptions[0].exception.contains("disconnected"),
        "{:?}",
        d.exceptions
    );
    // No heartbeat timeout was needed (600 ms + restart + run would be longer).
    assert!(started.elapsed() < Duration::from_secs(3));
    c.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_leader_recovers_unfinished_jobs_from_the_job_graph_store() -> Result<()> {
    let ha = Arc::new(StandaloneHaServices::new());
    let jm_config = || JobManagerConfig {
        rpc_address: "127.0.0.1".into(),
        rpc_port: 0,
        rest_address: "127.0.0.1".into(),
        rest_port: 0,
        heartbeat_interval: Duration::from_millis(100),
        heartbeat_timeout: Duration::from_millis(600),
        ..Default::default()
    };
    let jm1 = JobManagerRunner::start(jm_config(), Box::new(StandaloneResourceDriver), ha.clone())
        .await?;
    let log: Log = Arc::default();
    // Tasks of the first leader's deployment run until cancelled, later ones finish.
    let leader_generation = Arc::new(AtomicBool::new(false));
    let second = leader_generation.clone();
    let spawner = FakeSpawner {
        tm: Arc::new(Mutex::new(Some(ResourceId("tm-ha".into())))),
        log: log.clone(),
        behavior: Arc::new(move |_| {
            if second.load(Ordering::SeqCst) {
                Behavior::Finish(Duration::from_millis(100))
            } else {
                Behavior::RunUntilCancelled
            }
        }),
    };
    let tm = TaskManagerRunner::start_with_options(
        TaskManagerConfig {
            host: "127.0.0.1".into(),
            num_task_slots: 2,
            heartbeat_interval: Duration::from_millis(100),
            heartbeat_timeout: Duration::from_millis(600),
            ..Default::default()
        },
        Default::default(),
        Box::new(move |_| Arc::new(spawner) as Arc<dyn TaskSpawner>),
        Some(flink_ha::HaServices::leader_retrieval(
            ha.as_ref(),
            flink_ha::LeaderComponent::ResourceManager,
        )),
    )
    .await?;
    wait_until("registered", Duration::from_secs(5), || {
        jm1.slot_counts().0 == 2
    })
    .await?;
    let job_id = jm1.submit_job(job(2, false, &[])).await?;
    wait_until(
        "running on the first leader",
        Duration::from_secs(5),
        || log.lock().len() == 4,
    )
    .await?;
    // The first leader goes away without finishing the job.
    jm1.shutdown().await;
    assert_eq!(jm1.job_status(job_id)?, JobStatus::Suspended);
    leader_generation.store(true, Ordering::SeqCst);
    let jm2 = JobManagerRunner::start(jm_config(), Box::new(StandaloneResourceDriver), ha.clone())
        .await?;
    let result =
        tokio::time::timeout(Duration::from_secs(10), jm2.wait_job_result(job_id)).await??;
    assert_eq!(result.status, JobStatus::Finished, "{result:?}");
    assert_eq!(log.lock().len(), 8);
    // Finished jobs leave the store: a third leader recovers nothing.
    assert!(
        flink_ha::HaServices::job_graph_store(ha.as_ref())
            .job_ids()
            .await?
            .is_empty()
    );
    tm.shutdown().await;
    jm2.shutdown().await;
    Ok(())
}

/// A driver whose first worker "dies" before registering (like a YARN
/// container that fails to start); later requests start real TaskManagers.
struct FlakyDriver {
    inner: InProcessDriver,
    events: Mutex<Option<Arc<dyn flink_jobmanager::ResourceEventHandler>>>,
    failed_once: AtomicBool,
    /// The first request is lost silently instead of reported.
    silent: bool,
}

#[async_trait::async_trait]
impl flink_jobmanager::ResourceDriver for FlakyDriver {
    async fn initialize(
        &self,
        events: Arc<dyn flink_jobmanager::ResourceEventHandler>,
    ) -> Result<(), flink_jobmanager::ResourceDriverError> {
        *self.events.lock() = Some(events);
        Ok(())
    }
    async fn request_workers(
        &self,
        count: u32,
        spec: &flink_jobmanager::WorkerResourceSpec,
    ) -> Result<(), flink_jobmanager::ResourceDriverError> {
        if !self.failed_once.swap(true, Ordering::SeqCst) {
            self.inner.requests.lock().push(count);
            if self.silent {
                return Ok(());
            }
            let events = self.events.lock().clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if let Some(e) = events {
                    for i in 0..count {
                        e.on_worker_terminated(
                            ResourceId(format!("container-{i}")),
                            "container exited with code 1 before registering".into(),
                        );
                    }
                }
            });
            return Ok(());
        }
        self.inner.request_workers(count, spec).await
    }
    async fn release_worker(
        &self,
        resource_id: &ResourceId,
    ) -> Result<(), flink_jobmanager::ResourceDriverError> {
        self.inner.release_worker(resource_id).await
    }
    async fn deregister_application(
        &self,
        status: flink_jobmanager::ApplicationStatus,
        diagnostics: Option<String>,
    ) -> Result<(), flink_jobmanager::ResourceDriverError> {
        self.inner.deregister_application(status, diagnostics).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_that_die_before_registering_are_requested_again() -> Result<()> {
    flaky_workers_are_replaced(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_that_never_register_are_requested_again_after_the_timeout() -> Result<()> {
    flaky_workers_are_replaced(true).await
}

async fn flaky_workers_are_replaced(silent: bool) -> Result<()> {
    let jm_port = Arc::new(Mutex::new(0));
    let workers = Arc::new(Mutex::new(Vec::new()));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let driver = FlakyDriver {
        inner: InProcessDriver {
            jm_port: jm_port.clone(),
            workers: workers.clone(),
            requests: requests.clone(),
            released: Arc::default(),
            log: Arc::default(),
        },
        events: Mutex::new(None),
        failed_once: AtomicBool::new(false),
        silent,
    };
    let jm = JobManagerRunner::start(
        JobManagerConfig {
            rpc_address: "127.0.0.1".into(),
            rpc_port: 0,
            rest_address: "127.0.0.1".into(),
            rest_port: 0,
            heartbeat_interval: Duration::from_millis(100),
            heartbeat_timeout: Duration::from_millis(600),
            slot_request_timeout: Duration::from_secs(10),
            slots_per_task_manager: 2,
            worker_registration_timeout: Duration::from_millis(400),
            ..Default::default()
        },
        Box::new(driver),
        Arc::new(StandaloneHaServices::new()),
    )
    .await?;
    *jm_port.lock() = jm
        .rpc_address()
        .rsplit(':')
        .next()
        .context("port")?
        .parse()?;
    let job_id = jm.submit_job(job(4, false, &[])).await?;
    let result = jm.wait_job_result(job_id).await?;
    assert_eq!(result.status, JobStatus::Finished, "{result:?}");
    // 4 slots / 2 per worker: 2 workers, requested twice because the first two died.
    assert_eq!(*requests.lock(), vec![2, 2]);
    assert_eq!(workers.lock().len(), 2);
    let handles: Vec<TaskManagerHandle> = workers.lock().drain(..).collect();
    for tm in &handles {
        tm.shutdown().await;
    }
    jm.shutdown().await;
    Ok(())
}

/// A stand-in checkpoint coordinator: triggers checkpoint 1 on the sources
/// when the job runs, completes it when all sources acknowledged.
#[derive(Default)]
struct TestCoordinator {
    running: Mutex<Vec<flink_jobmanager::checkpoint::DeployedTask>>,
    gateway: Mutex<Option<Arc<dyn flink_jobmanager::checkpoint::CheckpointTaskGateway>>>,
    acks: Mutex<Vec<(ExecutionAttemptId, u64, TaskStateSnapshot)>>,
    stopped: AtomicBool,
}

impl flink_jobmanager::CheckpointCoordinator for TestCoordinator {
    fn job_running(
        &self,
        tasks: Vec<flink_jobmanager::checkpoint::DeployedTask>,
        gateway: Arc<dyn flink_jobmanager::checkpoint::CheckpointTaskGateway>,
    ) {
        for t in tasks.iter().filter(|t| t.is_source) {
            gateway.trigger_checkpoint(t.attempt, 1, 1000, false);
        }
        *self.running.lock() = tasks;
        *self.gateway.lock() = Some(gateway);
    }
    fn job_stopped(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }
    fn acknowledge(
        &self,
        attempt: ExecutionAttemptId,
        checkpoint_id: u64,
        snapshot: TaskStateSnapshot,
    ) {
        let mut acks = self.acks.lock();
        acks.push((attempt, checkpoint_id, snapshot));
        let sources = self.running.lock().iter().filter(|t| t.is_source).count();
        if acks.len() == sources
            && let Some(g) = self.gateway.lock().as_ref()
        {
            for t in self.running.lock().iter() {
                g.notify_checkpoint_complete(t.attempt, checkpoint_id);
            }
        }
    }
    fn decline(&self, _: ExecutionAttemptId, _: u64, _: String) {}
    fn restore_for(&self, attempt: &ExecutionAttemptId) -> Option<TaskRestore> {
        Some(TaskRestore {
            checkpoint_id: 7,
            operator_state: BTreeMap::from([(format!("restored-{}", attempt.subtask), vec![])]),
        })
    }
}

struct TestCoordinatorFactory(Arc<TestCoordinator>);

impl flink_jobmanager::CheckpointCoordinatorFactory for TestCoordinatorFactory {
    fn create(
        &self,
        _graph: &JobGraph,
    ) -> Option<Arc<dyn flink_jobmanager::CheckpointCoordinator>> {
        Some(self.0.clone())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoint_hooks_reach_tasks_and_the_coordinator() -> Result<()> {
    let coordinator = Arc::new(TestCoordinator::default());
    let jm = JobManagerRunner::start_with_checkpointing(
        JobManagerConfig {
            rpc_address: "127.0.0.1".into(),
            rpc_port: 0,
            rest_address: "127.0.0.1".into(),
            rest_port: 0,
            heartbeat_interval: Duration::from_millis(100),
            heartbeat_timeout: Duration::from_millis(600),
            ..Default::default()
        },
        Box::new(StandaloneResourceDriver),
        Arc::new(StandaloneHaServices::new()),
        Some(Arc::new(TestCoordinatorFactory(coordinator.clone()))),
    )
    .await?;
    let port: u16 = jm
        .rpc_address()
        .rsplit(':')
        .next()
        .context("port")?
        .parse()?;
    let log: Log = Arc::default();
    let spawner = FakeSpawner {
        tm: Arc::new(Mutex::new(Some(ResourceId("tm-cp".into())))),
        log: log.clone(),
        behavior: Arc::new(|_| Behavior::UntilCheckpointComplete),
    };
    let tm = TaskManagerRunner::start(
        TaskManagerConfig {
            num_task_slots: 2,
            ..lonely_tm_config(port)
        },
        Box::new(move |_| Arc::new(spawner) as Arc<dyn TaskSpawner>),
    )
    .await?;
    wait_until("registered", Duration::from_secs(5), || {
        jm.slot_counts().0 == 2
    })
    .await?;
    let job_id = jm.submit_job(job(2, false, &[])).await?;
    // The job only finishes if the trigger reached the sources, their acks
    // reached the coordinator and its notifications reached every task.
    let result =
        tokio::time::timeout(Duration::from_secs(10), jm.wait_job_result(job_id)).await??;
    assert_eq!(result.status, JobStatus::Finished, "{result:?}");
    let acks = coordinator.acks.lock().clone();
    assert_eq!(acks.len(), 2);
    for (attempt, id, snapshot) in &acks {
        assert_eq!(attempt.vertex, JobVertexId(0));
        assert_eq!(*id, 1);
        assert_eq!(snapshot[&format!("uid-{}", attempt.subtask)][0].size, 3);
    }
    assert_eq!(coordinator.running.lock().len(), 4);
    assert!(coordinator.stopped.load(Ordering::SeqCst));
    for (_, tdd) in log.lock().iter() {
        let restore = tdd.restore.as_ref().context("restore")?;
        assert_eq!(restore.checkpoint_id, 7);
        assert!(
            restore
                .operator_state
                .contains_key(&format!("restored-{}", tdd.attempt.subtask))
        );
    }
    tm.shutdown().await;
    jm.shutdown().await;
    Ok(())
}
