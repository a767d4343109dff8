//! Text file source and sink on the REAL HDFS mini cluster (crate
//! hadoop-minicluster; needs tests/minicluster/setup.sh to have run once):
//! a word count reads its input from HDFS and writes its output to HDFS.

mod common;

use bytes::Bytes;
use flink_fs::{FileSystem, FsPath, HadoopSettings, get_file_system};
use flink_streaming::*;
use std::collections::BTreeMap;

fn cluster() -> &'static hadoop_minicluster::MiniCluster {
    hadoop_minicluster::shared().unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn hdfs() -> (std::sync::Arc<dyn FileSystem>, tokio::runtime::Runtime) {
    let rt = rt();
    let root = FsPath::parse(cluster().default_fs()).unwrap();
    let settings = HadoopSettings::from_conf_dir(cluster().conf_dir());
    let fs = {
        let _g = rt.enter();
        get_file_system(&root, &settings).unwrap()
    };
    (fs, rt)
}

fn word_count(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    let input = env.arg("input").unwrap_or_default();
    let output = env.arg("output").unwrap_or_default();
    env.read_text_file(&input)
        .flat_map(|line: String, out: &mut Collector<'_, (String, u64)>| {
            for w in line.split_whitespace() {
                out.collect((w.to_string(), 1));
            }
        })
        .key_by(|(w, _): &(String, u64)| w.clone())
        .sum(|t: &mut (String, u64)| &mut t.1)
        .map(|(w, c): (String, u64)| format!("{w},{c}"))
        .write_as_text(&output);
    Ok(())
}

/// Input lines (about 1.7 MB: several 256 KiB read buffers per subtask) and their word counts.
fn input() -> (String, BTreeMap<String, u64>) {
    let mut text = String::new();
    let mut counts = BTreeMap::new();
    for i in 0..60_000u64 {
        let words = [
            format!("w{}", i % 97),
            format!("v{}", i % 13),
            "all".to_string(),
        ];
        text.push_str(&words.join(" "));
        text.push('\n');
        for w in words {
            *counts.entry(w).or_insert(0) += 1;
        }
    }
    (text, counts)
}

/// Final count per word from the committed part files under `dir`; fails on
/// leftover in-progress files.
fn read_output(
    fs: &dyn FileSystem,
    rt: &tokio::runtime::Runtime,
    dir: &FsPath,
) -> BTreeMap<String, u64> {
    let mut finals = BTreeMap::new();
    let entries = rt.block_on(fs.list_status(dir)).unwrap();
    assert!(!entries.is_empty(), "no output in {dir}");
    for e in entries {
        let name = e.path.name().to_string();
        assert!(name.starts_with("part-"), "uncommitted file {name}");
        let data = rt.block_on(fs.read(&e.path)).unwrap();
        for line in std::str::from_utf8(&data).unwrap().lines() {
            let (w, c) = line.rsplit_once(',').unwrap();
            let c: u64 = c.parse().unwrap();
            let e = finals.entry(w.to_string()).or_insert(0);
            *e = (*e).max(c);
        }
    }
    finals
}

#[test]
fn word_count_reads_and_writes_hdfs() {
    let (fs, rt) = hdfs();
    let base = format!(
        "{}{}",
        cluster().default_fs(),
        cluster().unique_hdfs_dir("streaming-wc")
    );
    let (text, expected) = input();
    let in_path = FsPath::parse(&format!("{base}/in/words.txt")).unwrap();
    rt.block_on(fs.write(&in_path, Bytes::from(text), false))
        .unwrap();
    let out = format!("{base}/out");
    let mut reg = ProgramRegistry::new();
    reg.register("wc", "word count", word_count);
    // Explicit NameNode address; the client needs no Hadoop configuration.
    common::run(
        reg,
        "wc",
        &["--input", &in_path.to_string(), "--output", &out],
        2,
    )
    .unwrap();
    let got = read_output(fs.as_ref(), &rt, &FsPath::parse(&out).unwrap());
    assert_eq!(got, expected);
}

#[test]
fn hdfs_default_fs_paths_use_the_hadoop_conf_dir() {
    let (fs, rt) = hdfs();
    let dir = cluster().unique_hdfs_dir("streaming-defaultfs");
    let (text, expected) = input();
    let explicit_in = FsPath::parse(&format!("{}{dir}/in.txt", cluster().default_fs())).unwrap();
    rt.block_on(fs.write(&explicit_in, Bytes::from(text), false))
        .unwrap();
    let mut reg = ProgramRegistry::new();
    reg.register("wc", "word count", word_count);
    let conf_dir = cluster().conf_dir().display().to_string();
    common::run_with_config(
        reg,
        "wc",
        &[
            "--input",
            &format!("hdfs://{dir}/in.txt"),
            "--output",
            &format!("hdfs://{dir}/out"),
        ],
        3,
        &[("env.hadoop.conf.dir", &conf_dir)],
    )
    .unwrap();
    let out = FsPath::parse(&format!("{}{dir}/out", cluster().default_fs())).unwrap();
    assert_eq!(read_output(fs.as_ref(), &rt, &out), expected);
}

#[test]
fn missing_hdfs_input_fails_with_the_path() {
    let dir = cluster().unique_hdfs_dir("streaming-missing");
    let missing = format!("{}{dir}/nope.txt", cluster().default_fs());
    let mut reg = ProgramRegistry::new();
    reg.register("wc", "word count", word_count);
    let out = tempfile::tempdir().unwrap();
    let err = common::run(
        reg,
        "wc",
        &[
            "--input",
            &missing,
            "--output",
            &out.path().display().to_string(),
        ],
        1,
    )
    .unwrap_err();
    assert!(err.message.contains("nope.txt"), "{err}");
}
