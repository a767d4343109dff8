//! HdfsFileSystem against the REAL Kerberos-enabled MiniDFSCluster (MiniKdc), logging in from the
//! minicluster's keytab. Its own test binary because KRB5_CONFIG is process-wide.

use bytes::Bytes;
use flink_fs::{FsError, FsPath, HadoopSettings, get_file_system};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kerberos_login_from_keytab_reads_and_writes() {
    let c = hadoop_minicluster::shared_secure().unwrap();
    let k = c.kerberos().unwrap();
    // SAFETY: the only test in this binary; set before any Kerberos library call reads it.
    unsafe { std::env::set_var("KRB5_CONFIG", &k.krb5_conf) };

    let base = FsPath::parse(&format!(
        "{}{}",
        c.default_fs(),
        c.unique_hdfs_dir("secure")
    ))
    .unwrap();
    let settings = HadoopSettings {
        kerberos_principal: Some(k.client_principal.clone()),
        kerberos_keytab: Some(k.keytab.clone()),
        ..HadoopSettings::from_conf_dir(c.conf_dir())
    };
    let fs = get_file_system(&base, &settings).unwrap();
    let f = base.join("hello").unwrap();
    fs.write(&f, Bytes::from_static(b"kerberized"), false)
        .await
        .unwrap();
    assert_eq!(&fs.read(&f).await.unwrap()[..], b"kerberized");
    let st = fs.get_file_status(&f).await.unwrap();
    assert_eq!(
        st.owner, "flink",
        "the principal's short name owns the file"
    );

    // without credentials the secure NameNode refuses the client
    let anonymous = HadoopSettings {
        user: Some("flink".into()),
        rpc_timeout_ms: 10_000,
        ..HadoopSettings::from_conf_dir(c.conf_dir())
    };
    let fs2 = get_file_system(&base, &anonymous).unwrap();
    let err = fs2.read(&f).await.unwrap_err();
    eprintln!("without credentials: {err}");
    assert!(matches!(err, FsError::Authentication { .. }), "{err:?}");
    assert!(err.to_string().contains("kinit"), "{err}");
    fs.delete(&base, true).await.unwrap();
}
