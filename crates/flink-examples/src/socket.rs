//! `example:socket-window-wordcount`: word counts per 5 s processing-time
//! window over lines read from a TCP socket, like Flink's
//! `SocketWindowWordCount`.
//!
//! Start a text server first (`nc -lk 9000`), then
//! `flink-rs run -t local example:socket-window-wordcount --port 9000`
//! (`--hostname` defaults to localhost). Each window prints
//! `(word, count)` for the words typed during it. The job ends when the
//! server closes the connection.

use crate::wordcount::tokenize;
use flink_streaming::{
    Collector, ProgramError, StreamExecutionEnvironment, TumblingProcessingTimeWindows,
};
use std::time::Duration;

/// The program.
pub fn socket_window_wordcount(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    env.set_job_name("Socket Window WordCount");
    let host = env.arg("hostname").unwrap_or_else(|| "localhost".into());
    let port: u16 = env
        .arg("port")
        .ok_or("--port is required, e.g. --port 9000 (start a server with `nc -lk 9000`)")?
        .parse()
        .map_err(|_| "--port must be a TCP port number")?;
    let seconds: u64 = env
        .arg("window-seconds")
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(5);
    env.socket_text_stream(&host, port)
        .flat_map(|line: String, out: &mut Collector<'_, (String, u64)>| {
            tokenize(&line, |w| out.collect((w, 1)))
        })
        .name("Tokenizer")
        .key_by(|(w, _): &(String, u64)| w.clone())
        .window(TumblingProcessingTimeWindows::of(Duration::from_secs(
            seconds,
        )))
        .reduce(|a: (String, u64), b: (String, u64)| (a.0, a.1 + b.1))
        .print();
    Ok(())
}
