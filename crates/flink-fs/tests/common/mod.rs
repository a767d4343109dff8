//! One behaviour suite run against every file system (local here, the real HDFS in hdfs.rs).

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use flink_fs::{CreateOptions, FileSystem, FsError, FsPath};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Deterministic, non-repeating-looking test data.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

/// Write/read/list/rename/delete/permissions/append on `fs` below the (fresh) directory `base`.
pub async fn behaves_like_a_file_system(fs: &dyn FileSystem, base: &FsPath) {
    assert!(!fs.exists(base).await.unwrap(), "{base} must be fresh");
    let before = now_ms();
    fs.mkdirs(base, 0o755).await.unwrap();
    fs.mkdirs(base, 0o755).await.unwrap(); // idempotent
    let st = fs.get_file_status(base).await.unwrap();
    assert!(st.is_dir);
    assert_eq!(st.len, 0);

    // whole-file write and read
    let a = base.join("a.txt").unwrap();
    fs.write(&a, Bytes::from_static(b"hello flink"), false)
        .await
        .unwrap();
    assert_eq!(&fs.read(&a).await.unwrap()[..], b"hello flink");
    let st = fs.get_file_status(&a).await.unwrap();
    assert!(!st.is_dir);
    assert_eq!(st.len, 11);
    assert_eq!(st.path, a);
    let after = now_ms();
    // modification time is a real wall-clock time of the write (servers round to ms/s)
    assert!(
        st.modification_time_ms + 2_000 >= before && st.modification_time_ms <= after + 2_000,
        "mtime {} not within [{before}, {after}]",
        st.modification_time_ms
    );

    // no overwrite without asking; overwrite when asked
    let err = fs
        .write(&a, Bytes::from_static(b"x"), false)
        .await
        .unwrap_err();
    assert!(matches!(err, FsError::AlreadyExists { .. }), "{err:?}");
    fs.write(&a, Bytes::from_static(b"second"), true)
        .await
        .unwrap();
    assert_eq!(&fs.read(&a).await.unwrap()[..], b"second");

    // streaming write in pieces, streaming read with seek
    let big = base.join("dir/nested/big.bin").unwrap(); // parents are created
    let data = pattern(5 * 1024 * 1024 + 123);
    let mut out = fs.create(&big, false).await.unwrap();
    for chunk in data.chunks(700_000) {
        out.write(Bytes::copy_from_slice(chunk)).await.unwrap();
    }
    assert_eq!(out.bytes_written(), data.len() as u64);
    out.close().await.unwrap();
    out.close().await.unwrap(); // second close is a no-op
    assert_eq!(
        fs.get_file_status(&big).await.unwrap().len,
        data.len() as u64
    );
    let back = fs.read(&big).await.unwrap();
    assert!(back[..] == data[..], "multi-MB content differs");
    let mut input = fs.open(&big).await.unwrap();
    input
        .seek(std::io::SeekFrom::Start(4_000_000))
        .await
        .unwrap();
    let mut buf = vec![0u8; 1000];
    input.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf[..], &data[4_000_000..4_001_000]);
    let mut rest = Vec::new();
    input.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest.len(), data.len() - 4_001_000);

    // listing
    let listed = fs.list_status(base).await.unwrap();
    let names: Vec<&str> = listed.iter().map(|s| s.path.name()).collect();
    assert_eq!(names, vec!["a.txt", "dir"]);
    assert!(listed[1].is_dir && !listed[0].is_dir);
    assert_eq!(listed[0].path, a);
    let file_listing = fs.list_status(&a).await.unwrap();
    assert_eq!(file_listing.len(), 1);
    assert_eq!(file_listing[0].len, 6);

    // permissions: a private dir, then a file mode change
    let private = base.join("private").unwrap();
    fs.mkdirs(&private, 0o700).await.unwrap();
    assert_eq!(
        fs.get_file_status(&private).await.unwrap().permission,
        0o700
    );
    fs.set_permission(&a, 0o600).await.unwrap();
    assert_eq!(fs.get_file_status(&a).await.unwrap().permission, 0o600);
    let opts = CreateOptions {
        permission: 0o640,
        ..CreateOptions::default()
    };
    let p640 = base.join("p640").unwrap();
    let mut o = fs.create_with(&p640, &opts).await.unwrap();
    o.close().await.unwrap();
    assert_eq!(fs.get_file_status(&p640).await.unwrap().permission, 0o640);
    assert_eq!(fs.read(&p640).await.unwrap().len(), 0);

    // rename: atomic move, no clobbering unless asked
    let b = base.join("b.txt").unwrap();
    fs.rename(&a, &b, false).await.unwrap();
    assert!(!fs.exists(&a).await.unwrap());
    assert_eq!(&fs.read(&b).await.unwrap()[..], b"second");
    fs.write(&a, Bytes::from_static(b"new a"), false)
        .await
        .unwrap();
    let err = fs.rename(&a, &b, false).await.unwrap_err();
    assert!(matches!(err, FsError::AlreadyExists { .. }), "{err:?}");
    assert!(err.to_string().contains("b.txt"), "{err}");
    fs.rename(&a, &b, true).await.unwrap();
    assert_eq!(&fs.read(&b).await.unwrap()[..], b"new a");
    let err = fs
        .rename(&a, &base.join("c").unwrap(), false)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");

    // append
    if fs.supports_append() {
        let mut ap = fs.append(&b).await.unwrap();
        ap.write(Bytes::from_static(b" + more")).await.unwrap();
        ap.close().await.unwrap();
        assert_eq!(&fs.read(&b).await.unwrap()[..], b"new a + more");
    }

    // errors name the path
    let missing = base.join("missing").unwrap();
    let err = fs.read(&missing).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("missing"), "{err}");
    assert!(
        fs.get_file_status(&missing)
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(matches!(
        fs.read(base).await.unwrap_err(),
        FsError::IsADirectory { .. }
    ));
    let err = fs.mkdirs(&b.join("sub").unwrap(), 0o755).await.unwrap_err();
    assert!(matches!(err, FsError::NotADirectory { .. }), "{err:?}");

    // delete
    assert!(!fs.delete(&missing, false).await.unwrap());
    let dir = base.join("dir").unwrap();
    let err = fs.delete(&dir, false).await.unwrap_err();
    assert!(matches!(err, FsError::DirectoryNotEmpty { .. }), "{err:?}");
    assert!(err.to_string().contains("dir"), "{err}");
    assert!(fs.exists(&big).await.unwrap());
    assert!(fs.delete(&dir, true).await.unwrap());
    assert!(!fs.exists(&dir).await.unwrap());
    assert!(fs.delete(&b, false).await.unwrap());
    assert!(fs.delete(base, true).await.unwrap());
    assert!(!fs.exists(base).await.unwrap());
}

/// copy_from_local reports growing progress and copies the bytes exactly.
pub async fn copies_from_local(fs: &dyn FileSystem, base: &FsPath) {
    let local_dir = tempfile::tempdir().unwrap();
    let local = local_dir.path().join("upload.bin");
    let data = pattern(3 * flink_fs::COPY_CHUNK_SIZE + 17);
    std::fs::write(&local, &data).unwrap();
    let remote = base.join("uploads/upload.bin").unwrap();
    let mut seen = Vec::new();
    let n = fs
        .copy_from_local(
            &local,
            &remote,
            &CreateOptions {
                replication: Some(1),
                ..CreateOptions::default()
            },
            &mut |bytes| seen.push(bytes),
        )
        .await
        .unwrap();
    assert_eq!(n, data.len() as u64);
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert_eq!(*seen.last().unwrap(), data.len() as u64);
    assert!(fs.read(&remote).await.unwrap()[..] == data[..]);

    // a second copy without overwrite fails and names the target
    let err = fs
        .copy_from_local(&local, &remote, &CreateOptions::default(), &mut |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, FsError::AlreadyExists { .. }), "{err:?}");
    // a missing local file is a NotFound naming it
    let err = fs
        .copy_from_local(
            &local_dir.path().join("nope"),
            &remote,
            &CreateOptions::default(),
            &mut |_| {},
        )
        .await
        .unwrap_err();
    assert!(
        err.is_not_found() && err.to_string().contains("nope"),
        "{err}"
    );
    fs.delete(base, true).await.unwrap();
}
