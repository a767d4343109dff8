//! An example job bundle. A bundle is an ordinary Rust executable that links
//! the `flink-rs` library and hands its program to [`flink_rs::bundle_main`];
//! the built file then serves every role the job needs (client, JobManager,
//! TaskManager). Build it and run it like any flink-rs job:
//!
//! ```text
//! cargo build --release -p wordcount-bundle
//! flink-rs run -t local target/release/wordcount-bundle --input README.md
//! ```
//!
//! This program counts, per word length, how many words of that length the
//! input has, and prints `(length, count)` updates.

use flink_rs::{Collector, ProgramError, StreamExecutionEnvironment};

fn word_lengths(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    env.set_job_name("Word lengths");
    let lines = match env.arg("input") {
        Some(path) => env.read_text_file(&path),
        None => env.from_collection(vec![
            "the quick brown fox".to_string(),
            "jumps over the lazy dog".to_string(),
        ]),
    };
    lines
        .flat_map(|line: String, out: &mut Collector<'_, (u32, u64)>| {
            for w in line
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
            {
                out.collect((w.chars().count() as u32, 1));
            }
        })
        .key_by(|(len, _): &(u32, u64)| *len)
        .sum(|t: &mut (u32, u64)| &mut t.1)
        .print();
    Ok(())
}

fn main() -> std::process::ExitCode {
    flink_rs::bundle_main(word_lengths)
}
