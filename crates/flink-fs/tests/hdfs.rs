//! HdfsFileSystem against the REAL MiniDFSCluster (tests/minicluster via hadoop-minicluster).
//! Needs tests/minicluster/setup.sh to have run once.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use flink_fs::{FileSystem, FsError, FsPath, HadoopSettings, HdfsFileSystem, get_file_system};

fn cluster() -> &'static hadoop_minicluster::MiniCluster {
    hadoop_minicluster::shared().unwrap()
}

fn settings() -> HadoopSettings {
    HadoopSettings::from_conf_dir(cluster().conf_dir())
}

/// A fresh directory on the minicluster for one test, as an absolute hdfs://127.0.0.1:port URI.
fn fresh_dir(name: &str) -> FsPath {
    let c = cluster();
    FsPath::parse(&format!("{}{}", c.default_fs(), c.unique_hdfs_dir(name))).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hdfs_behaves_like_a_file_system() {
    let base = fresh_dir("behaves");
    let fs = get_file_system(&base, &settings()).unwrap();
    assert_eq!(fs.scheme(), "hdfs");
    common::behaves_like_a_file_system(fs.as_ref(), &base).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hdfs_copy_from_local_with_progress() {
    let base = fresh_dir("copy");
    let fs = get_file_system(&base, &settings()).unwrap();
    common::copies_from_local(fs.as_ref(), &base).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_matches_listing_and_server_settings() {
    let base = fresh_dir("status");
    let fs = get_file_system(&base, &settings()).unwrap();
    let f = base.join("f").unwrap();
    fs.write(&f, Bytes::from(vec![7u8; 4096]), false)
        .await
        .unwrap();
    let st = fs.get_file_status(&f).await.unwrap();
    let listed = fs.list_status(&base).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].path, f);
    assert_eq!(listed[0].modification_time_ms, st.modification_time_ms);
    assert_eq!(listed[0].len, 4096);
    assert_eq!(
        st.replication,
        Some(1),
        "dfs.replication=1 on the minicluster"
    );
    assert!(st.block_size.unwrap_or(0) > 0);
    assert_eq!(st.owner, cluster().facts()["user"]);
    // rewriting moves the modification time forward
    tokio::time::sleep(Duration::from_millis(20)).await;
    fs.write(&f, Bytes::from_static(b"x"), true).await.unwrap();
    let st2 = fs.get_file_status(&f).await.unwrap();
    assert!(st2.modification_time_ms > st.modification_time_ms);
    fs.delete(&base, true).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_fs_from_the_conf_dir() {
    // hdfs:///path: the NameNode comes from fs.defaultFS in core-site.xml
    let dir = cluster().unique_hdfs_dir("defaultfs");
    let path = FsPath::parse(&format!("hdfs://{dir}/x")).unwrap();
    assert_eq!(path.authority(), None);
    let fs = get_file_system(&path, &settings()).unwrap();
    fs.write(&path, Bytes::from_static(b"via fs.defaultFS"), false)
        .await
        .unwrap();
    // the same file through the explicit address
    let explicit = FsPath::parse(&format!("{}{dir}/x", cluster().default_fs())).unwrap();
    let fs2 = get_file_system(&explicit, &HadoopSettings::default()).unwrap();
    assert_eq!(&fs2.read(&explicit).await.unwrap()[..], b"via fs.defaultFS");
    // a path of another NameNode is refused, not silently used
    let other = FsPath::parse("hdfs://10.255.255.1:8020/x").unwrap();
    assert!(matches!(
        fs2.read(&other).await.unwrap_err(),
        FsError::InvalidPath { .. }
    ));
    fs2.delete(
        &FsPath::parse(&format!("{}{dir}", cluster().default_fs())).unwrap(),
        true,
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permissions_are_enforced_for_other_users() {
    let base = fresh_dir("perm");
    let owner_fs = get_file_system(&base, &settings()).unwrap();
    let private = base.join("private").unwrap();
    owner_fs.mkdirs(&private, 0o700).await.unwrap();
    assert_eq!(
        owner_fs.get_file_status(&private).await.unwrap().permission,
        0o700
    );

    let intruder = HadoopSettings {
        user: Some("intruder".into()),
        ..settings()
    };
    let fs = HdfsFileSystem::new(&base, &intruder).unwrap();
    let err = fs
        .write(
            &private.join("x").unwrap(),
            Bytes::from_static(b"no"),
            false,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, FsError::PermissionDenied { .. }), "{err:?}");
    assert!(err.to_string().contains("private"), "{err}");
    assert!(matches!(
        fs.list_status(&private).await.unwrap_err(),
        FsError::PermissionDenied { .. }
    ));
    owner_fs.delete(&base, true).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_namenode_fails_fast_naming_the_address() {
    // a port nobody listens on
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let path = FsPath::parse(&format!("hdfs://127.0.0.1:{port}/x")).unwrap();
    let s = HadoopSettings {
        rpc_timeout_ms: 3_000,
        ..HadoopSettings::default()
    };
    let fs = get_file_system(&path, &s).unwrap();
    let started = Instant::now();
    let err = fs.get_file_status(&path).await.unwrap_err();
    let took = started.elapsed();
    eprintln!("unreachable NameNode after {took:?}: {err}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(matches!(err, FsError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("refused"), "{err}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}
