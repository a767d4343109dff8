//! Checkpoint storage on the REAL MiniDFSCluster (hadoop-minicluster):
//! state files, atomic `_metadata`, retention, fallback from a corrupt
//! `_metadata`, and savepoints moved within HDFS and copied to local disk.

use flink_checkpoint::{
    CheckpointMetadata, CheckpointStorage, OperatorState, load_restore_path, read_state,
    write_savepoint,
};
use flink_fs::{FsPath, HadoopSettings, get_file_system};
use flink_types::{JobId, StateHandle, StateLocation};
use std::collections::BTreeMap;

fn cluster() -> &'static hadoop_minicluster::MiniCluster {
    hadoop_minicluster::shared().unwrap()
}

fn settings() -> HadoopSettings {
    HadoopSettings::from_conf_dir(cluster().conf_dir())
}

fn fresh_dir(name: &str) -> String {
    let c = cluster();
    format!("{}{}", c.default_fs(), c.unique_hdfs_dir(name))
}

async fn complete(s: &CheckpointStorage, id: u64, value: u8) -> CheckpointMetadata {
    let file = s
        .write_state(id, "sum-0-0-keyed", vec![value; 4096])
        .await
        .unwrap();
    assert!(
        matches!(file, StateLocation::File(ref u) if u.starts_with("hdfs://")),
        "{file:?}"
    );
    let inline = s
        .write_state(id, "src-0-0-op", vec![value; 8])
        .await
        .unwrap();
    assert!(matches!(inline, StateLocation::Inline(_)));
    let meta = CheckpointMetadata {
        job_id: s.job_id(),
        checkpoint_id: id,
        timestamp_ms: 1,
        is_savepoint: false,
        operators: BTreeMap::from([
            (
                "sum".to_string(),
                OperatorState {
                    parallelism: 1,
                    max_parallelism: 128,
                    subtasks: BTreeMap::from([(
                        0,
                        vec![StateHandle {
                            location: file,
                            key_group_offsets: (0..128).map(|g| (g, 32 * g as u64)).collect(),
                            size: 4096,
                        }],
                    )]),
                },
            ),
            (
                "src".to_string(),
                OperatorState {
                    parallelism: 1,
                    max_parallelism: 128,
                    subtasks: BTreeMap::from([(
                        0,
                        vec![StateHandle {
                            location: inline,
                            key_group_offsets: vec![],
                            size: 8,
                        }],
                    )]),
                },
            ),
        ]),
    };
    let dir = s.finalize_checkpoint(&meta).await.unwrap();
    assert_eq!(dir, s.checkpoint_dir(id));
    meta
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_retention_and_fallback_on_hdfs() {
    let root = fresh_dir("ckpt-store");
    let s = CheckpointStorage::new(&root, JobId::generate(), 1024, settings()).unwrap();
    for id in 1..=3 {
        complete(&s, id, id as u8).await;
    }
    assert_eq!(s.subsume(3, &[2, 3]).await.unwrap(), vec![1]);
    assert_eq!(s.list_checkpoint_ids().await.unwrap(), vec![2, 3]);
    let latest = s.latest_valid(&[2, 3]).await.unwrap().unwrap();
    assert_eq!(latest.metadata.checkpoint_id, 3);
    let h = &latest.metadata.operators["sum"].subtasks[&0][0];
    assert_eq!(
        read_state(&h.location, &settings()).await.unwrap(),
        vec![3u8; 4096]
    );

    // Corrupt chk-3/_metadata on HDFS: recovery falls back to chk-2.
    let meta3 = FsPath::parse(&format!("{}/_metadata", s.checkpoint_dir(3))).unwrap();
    let fs = get_file_system(&meta3, &settings()).unwrap();
    fs.write(&meta3, bytes::Bytes::from_static(b"{}\n{}"), true)
        .await
        .unwrap();
    let c = s.latest_valid(&[2, 3]).await.unwrap().unwrap();
    assert_eq!(c.metadata.checkpoint_id, 2);
    fs.delete(
        &FsPath::parse(&format!("{}/_metadata", s.checkpoint_dir(2))).unwrap(),
        false,
    )
    .await
    .unwrap();
    let e = s.latest_valid(&[2, 3]).await.unwrap_err().to_string();
    assert!(
        e.contains("no valid checkpoint left") && e.contains("hdfs://"),
        "{e}"
    );
    s.delete_job_dir().await.unwrap();
    assert!(s.list_checkpoint_ids().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn savepoints_move_within_hdfs_and_copy_to_local_disk() {
    let root = fresh_dir("ckpt-sp");
    let s = CheckpointStorage::new(&root, JobId::generate(), 1024, settings()).unwrap();
    let m = complete(&s, 5, 9).await;
    // Same file system: state files are moved into the savepoint.
    let sp = write_savepoint(Some(&s), &format!("{root}/savepoints"), &m, &settings())
        .await
        .unwrap();
    assert!(sp.contains("/savepoints/savepoint-"), "{sp}");
    // Relocate the directory on HDFS, then restore from it.
    let fs = get_file_system(&FsPath::parse(&sp).unwrap(), &settings()).unwrap();
    let moved = format!("{root}/elsewhere");
    fs.rename(
        &FsPath::parse(&sp).unwrap(),
        &FsPath::parse(&moved).unwrap(),
        false,
    )
    .await
    .unwrap();
    s.discard_checkpoint(5).await.unwrap();
    let c = load_restore_path(&moved, &settings()).await.unwrap();
    assert!(c.metadata.is_savepoint);
    let h = &c.metadata.operators["sum"].subtasks[&0][0];
    let StateLocation::File(uri) = &h.location else {
        panic!("{h:?}")
    };
    assert!(uri.starts_with(&moved), "{uri}");
    assert_eq!(
        read_state(&h.location, &settings()).await.unwrap(),
        vec![9u8; 4096]
    );

    // Another file system: copied from HDFS to a local savepoint directory.
    let m2 = complete(&s, 6, 7).await;
    let local = std::env::temp_dir().join(format!("flink-ckpt-sp-{}", std::process::id()));
    let sp2 = write_savepoint(Some(&s), local.to_str().unwrap(), &m2, &settings())
        .await
        .unwrap();
    assert!(sp2.starts_with("file://"), "{sp2}");
    let c2 = load_restore_path(&sp2, &HadoopSettings::default())
        .await
        .unwrap();
    let h2 = &c2.metadata.operators["sum"].subtasks[&0][0];
    assert_eq!(
        read_state(&h2.location, &HadoopSettings::default())
            .await
            .unwrap(),
        vec![7u8; 4096]
    );
    let _ = std::fs::remove_dir_all(local);
}
