//! Unit tests of the checkpoint coordinator with a fake task gateway and
//! real (local) checkpoint storage.

use super::*;
use flink_types::{
    ChainedOperator, JobVertex, ProgramRef, ResourceId, StateHandle, StateLocation,
    TaskManagerLocation, key_group_range_for_operator,
};
use tokio::sync::mpsc;

#[derive(Debug, PartialEq)]
enum Ev {
    Trigger(ExecutionAttemptId, u64, bool),
    Complete(ExecutionAttemptId, u64),
    Aborted(ExecutionAttemptId, u64),
    FailJob(String),
    EndJob(JobStatus),
}

struct Fake(mpsc::UnboundedSender<Ev>);

impl CheckpointTaskGateway for Fake {
    fn trigger_checkpoint(&self, a: ExecutionAttemptId, id: u64, _: i64, sp: bool) {
        let _ = self.0.send(Ev::Trigger(a, id, sp));
    }
    fn notify_checkpoint_complete(&self, a: ExecutionAttemptId, id: u64) {
        let _ = self.0.send(Ev::Complete(a, id));
    }
    fn notify_checkpoint_aborted(&self, a: ExecutionAttemptId, id: u64) {
        let _ = self.0.send(Ev::Aborted(a, id));
    }
}

impl JobMasterActions for Fake {
    fn fail_job(&self, cause: String) {
        let _ = self.0.send(Ev::FailJob(cause));
    }
    fn end_job_after_savepoint(&self, status: JobStatus) {
        let _ = self.0.send(Ev::EndJob(status));
    }
}

const MAX_PAR: u32 = 16;

fn graph(job_id: JobId, sum_parallelism: u32, config: &[(&str, String)]) -> JobGraph {
    let vertex = |id: u32, name: &str, uid: &str, p: u32, src: bool| JobVertex {
        id: JobVertexId(id),
        name: name.into(),
        parallelism: p,
        max_parallelism: MAX_PAR,
        slot_sharing_group: "default".into(),
        operators: vec![ChainedOperator {
            stream_node: id,
            name: name.into(),
            uid: uid.into(),
        }],
        is_source: src,
    };
    JobGraph {
        job_id,
        name: "ckpt".into(),
        program: ProgramRef {
            name: "test".into(),
            args: vec![],
            bundle: None,
        },
        vertices: vec![
            vertex(0, "Source", "src", 1, true),
            vertex(1, "Sum", "sum", sum_parallelism, false),
        ],
        edges: vec![],
        runtime_mode: RuntimeMode::Streaming,
        config: config
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    }
}

fn attempt(g: &JobGraph, v: u32, subtask: u32, attempt: u32) -> ExecutionAttemptId {
    ExecutionAttemptId {
        job_id: g.job_id,
        vertex: JobVertexId(v),
        subtask,
        attempt,
    }
}

fn tasks(g: &JobGraph, n: u32) -> Vec<DeployedTask> {
    let loc = TaskManagerLocation {
        resource_id: ResourceId("tm".into()),
        rpc_address: String::new(),
        data_address: String::new(),
    };
    g.vertices
        .iter()
        .flat_map(|v| {
            let loc = loc.clone();
            (0..v.parallelism).map(move |i| DeployedTask {
                attempt: ExecutionAttemptId {
                    job_id: g.job_id,
                    vertex: v.id,
                    subtask: i,
                    attempt: n,
                },
                is_source: v.is_source,
                location: loc.clone(),
            })
        })
        .collect()
}

struct Harness {
    graph: JobGraph,
    cp: DefaultCheckpointCoordinator,
    rx: mpsc::UnboundedReceiver<Ev>,
    fake: Arc<Fake>,
    dir: String,
    /// Events put back by a helper that waited for something else.
    stash: std::collections::VecDeque<Ev>,
}

impl Harness {
    fn new(tmp: &std::path::Path, sum_p: u32, extra: &[(&str, String)]) -> Self {
        Self::for_job(JobId::generate(), tmp, sum_p, extra)
    }
    fn for_job(job: JobId, tmp: &std::path::Path, sum_p: u32, extra: &[(&str, String)]) -> Self {
        let dir = format!("file://{}", tmp.join("ck").display());
        let mut cfg = vec![
            ("execution.checkpointing.dir", dir.clone()),
            ("state.storage.fs.memory-threshold", "64b".to_string()),
        ];
        cfg.extend(extra.iter().cloned());
        let graph = graph(job, sum_p, &cfg);
        let cp = DefaultCheckpointCoordinator::new(&graph, HadoopSettings::default()).unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        let fake = Arc::new(Fake(tx));
        cp.set_job_actions(fake.clone());
        Harness {
            graph,
            cp,
            rx,
            fake,
            dir,
            stash: Default::default(),
        }
    }
    fn storage(&self) -> CheckpointStorage {
        CheckpointStorage::new(&self.dir, self.graph.job_id, 64, HadoopSettings::default()).unwrap()
    }
    async fn run(&self, n: u32) {
        self.cp.prepare_restore().await.unwrap();
        self.cp
            .job_running(tasks(&self.graph, n), self.fake.clone());
    }
    async fn next(&mut self) -> Ev {
        if let Some(ev) = self.stash.pop_front() {
            return ev;
        }
        tokio::time::timeout(Duration::from_secs(20), self.rx.recv())
            .await
            .expect("no coordinator event within 20 s")
            .expect("channel closed")
    }
    /// Waits for the next trigger; returns (id, is_savepoint).
    async fn next_trigger(&mut self) -> (u64, bool) {
        loop {
            if let Ev::Trigger(_, id, sp) = self.next().await {
                return (id, sp);
            }
        }
    }
    /// Acks `id` from every task of attempt `n` with state: the source an
    /// inline offset, each Sum subtask one keyed file for its key groups
    /// holding `value`.
    async fn ack_all(&self, n: u32, id: u64, value: u8) {
        let storage = self.storage();
        self.cp.acknowledge(
            attempt(&self.graph, 0, 0, n),
            id,
            BTreeMap::from([(
                "src".to_string(),
                vec![StateHandle {
                    location: StateLocation::Inline(id.to_be_bytes().to_vec()),
                    key_group_offsets: vec![],
                    size: 8,
                }],
            )]),
        );
        let p = self.graph.vertices[1].parallelism;
        for i in 0..p {
            let range = key_group_range_for_operator(MAX_PAR, p, i);
            let loc = storage
                .write_state(id, &format!("sum-{i}"), vec![value; 100])
                .await
                .unwrap();
            self.cp.acknowledge(
                attempt(&self.graph, 1, i, n),
                id,
                BTreeMap::from([(
                    "sum".to_string(),
                    vec![StateHandle {
                        location: loc,
                        key_group_offsets: range.iter().map(|kg| (kg, 0)).collect(),
                        size: 100,
                    }],
                )]),
            );
        }
    }
    /// Waits until every task got `Complete(id)`.
    async fn completes(&mut self, id: u64) {
        let mut n = 0;
        let total = self.graph.num_subtasks();
        let mut other = Vec::new();
        while n < total {
            match self.next().await {
                Ev::Complete(_, c) if c == id => n += 1,
                Ev::Complete(_, c) => panic!("completion of {c} while waiting for {id}"),
                Ev::Aborted(_, a) => panic!("checkpoint {a} aborted while waiting for {id}"),
                ev => other.push(ev),
            }
        }
        for ev in other.into_iter().rev() {
            self.stash.push_front(ev);
        }
    }
}

fn ms(v: u64) -> String {
    format!("{v} ms")
}

#[tokio::test]
async fn periodic_checkpoints_complete_after_metadata_and_retain_num_retained() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = Harness::new(
        tmp.path(),
        2,
        &[
            ("execution.checkpointing.interval", ms(50)),
            ("execution.checkpointing.num-retained", "2".into()),
        ],
    );
    h.run(0).await;
    let mut last = 0;
    for round in 0..4 {
        let (id, sp) = h.next_trigger().await;
        assert!(!sp);
        assert!(id > last, "ids increase: {id} after {last}");
        last = id;
        h.ack_all(0, id, round).await;
        h.completes(id).await;
        // _metadata is durable before tasks hear of completion.
        let c = h.storage().load_checkpoint(id).await.unwrap();
        assert_eq!(c.metadata.operators["sum"].subtasks.len(), 2);
    }
    h.cp.job_stopped();
    // Subsumed checkpoints are discarded in the background after the
    // completion is announced.
    let mut ids = h.storage().list_checkpoint_ids().await.unwrap();
    for _ in 0..100 {
        if ids.len() <= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        ids = h.storage().list_checkpoint_ids().await.unwrap();
    }
    assert_eq!(ids.len(), 2, "num-retained=2 keeps two: {ids:?}");
    assert_eq!(*ids.last().unwrap(), last);
    let stats = h.cp.stats();
    assert_eq!(stats.counts.completed, 4);
    assert_eq!(stats.latest.completed.unwrap().id, last);
}

#[tokio::test]
async fn only_sources_are_triggered() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = Harness::new(
        tmp.path(),
        3,
        &[("execution.checkpointing.interval", ms(20))],
    );
    h.run(0).await;
    let Ev::Trigger(a, _, _) = h.next().await else {
        panic!("expected a trigger")
    };
    assert_eq!(a.vertex, JobVertexId(0));
    h.cp.job_stopped();
}

#[tokio::test]
async fn timeouts_abort_and_exceeding_tolerable_failures_fails_the_job() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = Harness::new(
        tmp.path(),
        1,
        &[
            ("execution.checkpointing.interval", ms(10)),
            ("execution.checkpointing.timeout", ms(100)),
            (
                "execution.checkpointing.tolerable-failed-checkpoints",
                "2".into(),
            ),
        ],
    );
    h.run(0).await;
    let mut aborted = Vec::new();
    let cause = loop {
        match h.next().await {
            Ev::Aborted(a, id) if a.vertex == JobVertexId(0) => aborted.push(id),
            Ev::FailJob(c) => break c,
            Ev::Complete(..) => panic!("nothing acknowledged, nothing may complete"),
            _ => {}
        }
    };
    // Failures 1 and 2 are tolerated, the 3rd fails the job.
    assert_eq!(aborted.len(), 3, "{aborted:?}");
    assert!(cause.contains("tolerable"), "{cause}");
    assert!(cause.contains("expired"), "{cause}");
    assert!(h.cp.stats().counts.failed >= 3);
    h.cp.job_stopped();
}

#[tokio::test]
async fn a_completed_checkpoint_resets_the_failure_count_and_declines_abort() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = Harness::new(
        tmp.path(),
        1,
        &[
            ("execution.checkpointing.interval", ms(10)),
            (
                "execution.checkpointing.tolerable-failed-checkpoints",
                "1".into(),
            ),
        ],
    );
    h.run(0).await;
    // decline, complete, decline, decline -> only the 2nd run of failures fails the job.
    let (id1, _) = h.next_trigger().await;
    h.cp.decline(attempt(&h.graph, 1, 0, 0), id1, "disk full".into());
    let (id2, _) = h.next_trigger().await;
    h.ack_all(0, id2, 1).await;
    h.completes(id2).await;
    let (id3, _) = h.next_trigger().await;
    h.cp.decline(attempt(&h.graph, 1, 0, 0), id3, "disk full".into());
    let (id4, _) = h.next_trigger().await;
    h.cp.decline(attempt(&h.graph, 1, 0, 0), id4, "disk full again".into());
    let cause = loop {
        if let Ev::FailJob(c) = h.next().await {
            break c;
        }
    };
    assert!(cause.contains(&format!("checkpoint {id4}")), "{cause}");
    assert!(cause.contains("disk full again"), "{cause}");
    h.cp.job_stopped();
}

#[tokio::test]
async fn min_pause_separates_completion_and_next_trigger() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = Harness::new(
        tmp.path(),
        1,
        &[
            ("execution.checkpointing.interval", ms(10)),
            ("execution.checkpointing.min-pause", ms(300)),
        ],
    );
    h.run(0).await;
    let (id, _) = h.next_trigger().await;
    // The checkpoint cannot complete before its last acknowledgement is sent, so the pause is
    // measured from there: a slow machine can only make the observed gap longer.
    let before_ack = Instant::now();
    h.ack_all(0, id, 1).await;
    h.completes(id).await;
    let (next, _) = h.next_trigger().await;
    assert_eq!(next, id + 1);
    assert!(
        before_ack.elapsed() >= Duration::from_millis(300),
        "next trigger {:?} after completion",
        before_ack.elapsed()
    );
    h.cp.job_stopped();
}

#[tokio::test]
async fn ids_never_repeat_across_restarts_and_new_coordinators() {
    let tmp = tempfile::tempdir().unwrap();
    let job = JobId::generate();
    let cfg = [("execution.checkpointing.interval", ms(20))];
    let mut h = Harness::for_job(job, tmp.path(), 1, &cfg);
    h.run(0).await;
    let (id1, _) = h.next_trigger().await;
    h.ack_all(0, id1, 1).await;
    h.completes(id1).await;
    // An unacknowledged checkpoint is aborted by the failover.
    let (id2, _) = h.next_trigger().await;
    h.cp.job_stopped();
    loop {
        if let Ev::Aborted(_, a) = h.next().await {
            assert_eq!(a, id2);
            break;
        }
    }
    // Restart: restores id1, continues after id2.
    h.run(1).await;
    assert_eq!(
        h.cp.restore_for(&attempt(&h.graph, 1, 0, 1))
            .unwrap()
            .checkpoint_id,
        id1
    );
    let (id3, _) = h.next_trigger().await;
    assert!(id3 > id2);
    h.ack_all(1, id3, 3).await;
    h.completes(id3).await;
    h.cp.job_stopped();
    // A new coordinator (JobManager failover) continues after the highest directory.
    let mut h2 = Harness::for_job(job, tmp.path(), 1, &cfg);
    h2.run(0).await;
    assert_eq!(
        h2.cp
            .restore_for(&attempt(&h2.graph, 0, 0, 0))
            .unwrap()
            .checkpoint_id,
        id3
    );
    let (id4, _) = h2.next_trigger().await;
    assert!(id4 > id3, "{id4} > {id3}");
    h2.cp.job_stopped();
}

#[tokio::test]
async fn corrupt_latest_metadata_falls_back_then_fails_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = Harness::new(
        tmp.path(),
        2,
        &[
            ("execution.checkpointing.interval", ms(20)),
            ("execution.checkpointing.num-retained", "2".into()),
        ],
    );
    h.run(0).await;
    let mut ids = Vec::new();
    for v in 0..2 {
        let (id, _) = h.next_trigger().await;
        h.ack_all(0, id, v).await;
        h.completes(id).await;
        ids.push(id);
    }
    h.cp.job_stopped();
    let s = h.storage();
    let meta = |id| {
        flink_fs::FsPath::parse(&s.checkpoint_dir(id))
            .unwrap()
            .local_path()
            .unwrap()
            .join("_metadata")
    };
    std::fs::write(meta(ids[1]), b"not metadata").unwrap();
    h.cp.prepare_restore().await.unwrap();
    let r = h.cp.restore_for(&attempt(&h.graph, 1, 1, 1)).unwrap();
    assert_eq!(r.checkpoint_id, ids[0]);
    let handle = &r.operator_state["sum"][0];
    let bytes = flink_checkpoint::read_state(&handle.location, &HadoopSettings::default())
        .await
        .unwrap();
    assert_eq!(bytes, vec![0u8; 100]);
    std::fs::remove_file(meta(ids[0])).unwrap();
    let e = h.cp.prepare_restore().await.unwrap_err();
    assert!(e.contains("no valid checkpoint left"), "{e}");
    assert!(e.contains(&format!("chk-{}", ids[1])), "{e}");
}

#[tokio::test]
async fn savepoint_is_relocatable_and_restores_at_another_parallelism() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = Harness::new(tmp.path(), 2, &[]);
    h.run(0).await;
    let sp_dir = tmp.path().join("savepoints");
    let rx =
        h.cp.trigger_savepoint(Some(sp_dir.display().to_string()), SavepointMode::Continue);
    let (id, is_sp) = h.next_trigger().await;
    assert!(is_sp);
    h.ack_all(0, id, 42).await;
    let path = rx.await.unwrap().unwrap();
    let local = flink_fs::FsPath::parse(&path)
        .unwrap()
        .local_path()
        .unwrap();
    assert!(local.starts_with(&sp_dir), "{path}");
    assert!(
        local
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with(&format!("savepoint-{}-", &h.graph.job_id.to_hex()[..6])),
        "{path}"
    );
    // An intermediate savepoint commits nothing (no notifications).
    h.cp.job_stopped();
    while let Ok(ev) = h.rx.try_recv() {
        assert!(!matches!(ev, Ev::Complete(..)), "unexpected {ev:?}");
    }
    // Move it, then restore a new job at parallelism 4 and 1.
    let moved = tmp.path().join("moved-sp");
    std::fs::rename(&local, &moved).unwrap();
    for p in [4u32, 1] {
        let h2 = Harness::new(
            &tmp.path().join(format!("p{p}")),
            p,
            &[("execution.savepoint.path", moved.display().to_string())],
        );
        h2.cp.prepare_restore().await.unwrap();
        let mut groups = Vec::new();
        for i in 0..p {
            let r = h2.cp.restore_for(&attempt(&h2.graph, 1, i, 0)).unwrap();
            assert_eq!(r.checkpoint_id, id);
            let own = key_group_range_for_operator(MAX_PAR, p, i);
            for hd in &r.operator_state["sum"] {
                assert!(hd.key_group_offsets.iter().any(|(kg, _)| own.contains(*kg)));
                let b = flink_checkpoint::read_state(&hd.location, &HadoopSettings::default())
                    .await
                    .unwrap();
                assert_eq!(b, vec![42u8; 100]);
                groups.extend(
                    hd.key_group_offsets
                        .iter()
                        .map(|(kg, _)| *kg)
                        .filter(|kg| own.contains(*kg)),
                );
            }
        }
        groups.sort_unstable();
        assert_eq!(groups, (0..MAX_PAR).collect::<Vec<_>>(), "p={p}");
        let s = h2.cp.stats();
        assert_eq!(s.counts.restored, 1);
        assert!(s.latest.restored.unwrap().is_savepoint);
    }
}

#[tokio::test]
async fn stop_with_savepoint_notifies_and_ends_the_job_finished() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = Harness::new(
        tmp.path(),
        1,
        &[(
            "execution.checkpointing.savepoint-dir",
            tmp.path().join("sp").display().to_string(),
        )],
    );
    h.run(0).await;
    let rx = h.cp.trigger_savepoint(None, SavepointMode::Stop);
    let (id, _) = h.next_trigger().await;
    h.ack_all(0, id, 1).await;
    h.completes(id).await;
    loop {
        if let Ev::EndJob(s) = h.next().await {
            assert_eq!(s, JobStatus::Finished);
            break;
        }
    }
    assert!(rx.await.unwrap().unwrap().contains("/sp/savepoint-"));
}

#[tokio::test]
async fn savepoint_errors_are_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let h = Harness::new(tmp.path(), 1, &[]);
    let e =
        h.cp.trigger_savepoint(None, SavepointMode::Continue)
            .await
            .unwrap()
            .unwrap_err();
    assert!(e.contains("execution.checkpointing.savepoint-dir"), "{e}");
    let e =
        h.cp.trigger_savepoint(Some("/tmp/x".into()), SavepointMode::Continue)
            .await
            .unwrap()
            .unwrap_err();
    assert!(e.contains("not all tasks of the job are running"), "{e}");
}

#[tokio::test]
async fn unclaimed_savepoint_state_fails_unless_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = Harness::new(tmp.path(), 1, &[]);
    h.run(0).await;
    let rx = h.cp.trigger_savepoint(
        Some(tmp.path().join("sp").display().to_string()),
        SavepointMode::Continue,
    );
    let (id, _) = h.next_trigger().await;
    h.ack_all(0, id, 1).await;
    let path = rx.await.unwrap().unwrap();
    h.cp.job_stopped();
    // A job whose Sum operator got another uid.
    let restore = |allow: bool| {
        let mut g = graph(
            JobId::generate(),
            1,
            &[
                ("execution.savepoint.path", path.clone()),
                (
                    "execution.savepoint.ignore-unclaimed-state",
                    allow.to_string(),
                ),
            ],
        );
        g.vertices[1].operators[0].uid = "sum-v2".into();
        DefaultCheckpointCoordinator::new(&g, HadoopSettings::default()).unwrap()
    };
    let e = restore(false).prepare_restore().await.unwrap_err();
    assert!(
        e.contains("sum") && e.contains("--allowNonRestoredState"),
        "{e}"
    );
    let c = restore(true);
    c.prepare_restore().await.unwrap();
    let g_attempt = ExecutionAttemptId {
        job_id: JobId::generate(),
        vertex: JobVertexId(0),
        subtask: 0,
        attempt: 0,
    };
    assert!(
        c.restore_for(&g_attempt)
            .unwrap()
            .operator_state
            .contains_key("src")
    );
    // A missing path is a clear error too.
    let mut g = graph(JobId::generate(), 1, &[]);
    g.config.insert(
        "execution.savepoint.path".into(),
        "/no/such/savepoint".into(),
    );
    let e = DefaultCheckpointCoordinator::new(&g, HadoopSettings::default())
        .unwrap()
        .prepare_restore()
        .await
        .unwrap_err();
    assert!(
        e.contains("/no/such/savepoint") && e.contains("does not exist"),
        "{e}"
    );
}

#[tokio::test]
async fn retention_on_termination() {
    for (retention, status, kept) in [
        ("DELETE_ON_CANCELLATION", JobStatus::Canceled, false),
        ("RETAIN_ON_CANCELLATION", JobStatus::Canceled, true),
        ("DELETE_ON_CANCELLATION", JobStatus::Finished, false),
        ("RETAIN_ON_CANCELLATION", JobStatus::Finished, true),
        ("DELETE_ON_CANCELLATION", JobStatus::Failed, true),
        ("NO_EXTERNALIZED_CHECKPOINTS", JobStatus::Failed, false),
        ("NO_EXTERNALIZED_CHECKPOINTS", JobStatus::Suspended, true),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let mut h = Harness::new(
            tmp.path(),
            1,
            &[
                ("execution.checkpointing.interval", ms(10)),
                (
                    "execution.checkpointing.externalized-checkpoint-retention",
                    retention.into(),
                ),
            ],
        );
        h.run(0).await;
        let (id, _) = h.next_trigger().await;
        h.ack_all(0, id, 1).await;
        h.completes(id).await;
        h.cp.job_stopped();
        h.cp.job_terminated(status).await;
        let exists = !h.storage().list_checkpoint_ids().await.unwrap().is_empty();
        assert_eq!(exists, kept, "{retention} {status}");
    }
}

#[tokio::test]
async fn finished_tasks_do_not_block_checkpoints() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = Harness::new(
        tmp.path(),
        2,
        &[("execution.checkpointing.interval", ms(20))],
    );
    h.run(0).await;
    let (id, _) = h.next_trigger().await;
    // Sum 1 finishes without acknowledging; the others ack.
    h.cp.task_finished(attempt(&h.graph, 1, 1, 0));
    h.cp.acknowledge(attempt(&h.graph, 0, 0, 0), id, BTreeMap::new());
    h.cp.acknowledge(attempt(&h.graph, 1, 0, 0), id, BTreeMap::new());
    let mut completes = 0;
    while completes < 2 {
        match h.next().await {
            Ev::Complete(a, c) if c == id => {
                assert_ne!(a, attempt(&h.graph, 1, 1, 0));
                completes += 1;
            }
            Ev::Aborted(..) => panic!("aborted"),
            _ => {}
        }
    }
    h.cp.job_stopped();
}

#[tokio::test]
async fn a_finished_task_s_last_state_is_carried_into_later_checkpoints() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = Harness::new(
        tmp.path(),
        2,
        &[("execution.checkpointing.interval", ms(20))],
    );
    h.run(0).await;
    let inline = |uid: &str, v: u8| {
        BTreeMap::from([(
            uid.to_string(),
            vec![StateHandle {
                location: StateLocation::Inline(vec![v; 4]),
                key_group_offsets: vec![],
                size: 4,
            }],
        )])
    };
    let (id, _) = h.next_trigger().await;
    h.cp.acknowledge(attempt(&h.graph, 0, 0, 0), id, inline("src", 1));
    h.cp.acknowledge(attempt(&h.graph, 1, 0, 0), id, inline("sum", 2));
    h.cp.acknowledge(attempt(&h.graph, 1, 1, 0), id, inline("sum", 3));
    h.completes(id).await;
    // Sum 1 has acknowledged its final checkpoint and ends.
    h.cp.task_finished(attempt(&h.graph, 1, 1, 0));
    for round in 0..2u8 {
        let (next, _) = h.next_trigger().await;
        h.cp.acknowledge(attempt(&h.graph, 0, 0, 0), next, inline("src", 10 + round));
        h.cp.acknowledge(attempt(&h.graph, 1, 0, 0), next, inline("sum", 20 + round));
        let mut completes = 0;
        while completes < 2 {
            match h.next().await {
                Ev::Complete(_, c) if c == next => completes += 1,
                Ev::Aborted(..) => panic!("aborted"),
                _ => {}
            }
        }
        let c = h.storage().load_checkpoint(next).await.unwrap();
        let sum = &c.metadata.operators["sum"].subtasks;
        let bytes = |i: u32| match &sum[&i][0].location {
            StateLocation::Inline(b) => b.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(bytes(0), vec![20 + round; 4]);
        assert_eq!(bytes(1), vec![3; 4], "the finished subtask's last state");
    }
    h.cp.job_stopped();
}
