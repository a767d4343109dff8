//! The local file system against the common behaviour suite, plus local specifics.

mod common;

use flink_fs::{FileSystem, FsError, FsPath, HadoopSettings, LocalFileSystem, get_file_system};

#[tokio::test]
async fn local_file_system_behaves() {
    let tmp = tempfile::tempdir().unwrap();
    let base = FsPath::from_local(&tmp.path().join("base")).unwrap();
    common::behaves_like_a_file_system(&LocalFileSystem::new(), &base).await;
}

#[tokio::test]
async fn local_copy_from_local() {
    let tmp = tempfile::tempdir().unwrap();
    let base = FsPath::from_local(&tmp.path().join("copy")).unwrap();
    common::copies_from_local(&LocalFileSystem::new(), &base).await;
}

#[tokio::test]
async fn dispatch_by_scheme() {
    let settings = HadoopSettings::default();
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("x").display().to_string();
    for uri in [plain.clone(), format!("file://{plain}")] {
        let (fs, path) = flink_fs::resolve(&uri, &settings).unwrap();
        assert_eq!(fs.scheme(), "file");
        fs.write(&path, bytes::Bytes::from_static(b"1"), true)
            .await
            .unwrap();
        assert!(fs.exists(&path).await.unwrap());
    }
    let hdfs = get_file_system(&FsPath::parse("hdfs://127.0.0.1:9/x").unwrap(), &settings).unwrap();
    assert_eq!(hdfs.scheme(), "hdfs");
    assert_eq!(hdfs.uri(), "hdfs://127.0.0.1:9");
    let err = flink_fs::resolve("gs://bucket/x", &settings).unwrap_err();
    assert!(matches!(err, FsError::UnsupportedScheme { .. }), "{err:?}");
    assert!(err.to_string().contains("'gs'"), "{err}");
}

#[tokio::test]
async fn local_rejects_foreign_paths_and_file_in_the_way() {
    let fs = LocalFileSystem::new();
    let err = fs
        .read(&FsPath::parse("hdfs://nn:1/x").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, FsError::InvalidPath { .. }), "{err:?}");
    let tmp = tempfile::tempdir().unwrap();
    let file = FsPath::from_local(&tmp.path().join("f")).unwrap();
    fs.write(&file, bytes::Bytes::from_static(b"x"), false)
        .await
        .unwrap();
    let err = fs.mkdirs(&file, 0o755).await.unwrap_err();
    assert!(matches!(err, FsError::NotADirectory { .. }), "{err:?}");
    let Err(err) = fs
        .create(&FsPath::from_local(tmp.path()).unwrap(), true)
        .await
    else {
        panic!("creating a file over a directory must fail");
    };
    assert!(matches!(err, FsError::IsADirectory { .. }), "{err:?}");
    // writing after close is an error, not a panic
    let mut out = fs.create(&file, true).await.unwrap();
    out.close().await.unwrap();
    assert!(out.write(bytes::Bytes::from_static(b"late")).await.is_err());
}

#[tokio::test]
async fn cache_shares_one_instance_per_scheme_and_authority() {
    let cache = flink_fs::FileSystemCache::new(HadoopSettings::default());
    let (a, _) = cache.resolve("/tmp/a").unwrap();
    let (b, _) = cache.resolve("file:///tmp/b").unwrap();
    assert!(std::sync::Arc::ptr_eq(&a, &b));
    let (h1, _) = cache.resolve("hdfs://127.0.0.1:9/x").unwrap();
    let (h2, _) = cache.resolve("hdfs://127.0.0.1:9/y/z").unwrap();
    let (h3, _) = cache.resolve("hdfs://127.0.0.1:10/x").unwrap();
    assert!(std::sync::Arc::ptr_eq(&h1, &h2));
    assert!(!std::sync::Arc::ptr_eq(&h1, &h3));
    assert!(cache.resolve("s3://b/k").is_err());
}
